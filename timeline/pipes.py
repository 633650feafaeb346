"""Messages from a forked process to its parent: pickled, framed by their length, each end
keeping one buffer from message to message.

multiprocessing's `Connection` pickles every message into new memory, and gathers it at the
other end in a new `BytesIO` before unpickling from a copy of it. An import's chunks are about
3 MB each: fresh memory that size for every chunk made the importing process fault its pages
in anew (140,000 page faults at 200,000 lines, a fifth of its CPU time spent in the kernel).
Here each end pickles into, or reads into, a buffer it reuses, and the receiver unpickles from
it in place.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import pickle
import struct
from typing import Any

PIPE_BYTES = 1 << 20  # Linux's default most (/proc/sys/fs/pipe-max-size); its own default: 64 KiB
_LENGTH = struct.Struct("<Q")


def pipe() -> tuple[Receiver, Sender]:
    """A one-way pipe: its receiving end and its sending end, each to close in its process."""
    read_fd, write_fd = os.pipe()
    with contextlib.suppress(OSError, AttributeError):  # a lower limit, or not Linux
        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)  # fewer writes, fewer wake-ups
    return Receiver(read_fd), Sender(write_fd)


class Sender:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = io.BytesIO()

    def send(self, message: Any) -> None:
        self.buffer.seek(0)  # not truncated: its memory is kept for the next message
        self.buffer.write(bytes(_LENGTH.size))
        pickle.Pickler(self.buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(message)
        end = self.buffer.tell()
        with self.buffer.getbuffer() as whole, whole[:end] as view:
            _LENGTH.pack_into(view, 0, end - _LENGTH.size)
            done = 0
            while done < end:
                done += os.write(self.fd, view[done:])

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Receiver:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray(_LENGTH.size)

    def recv(self) -> Any:
        """The next message; EOFError if the sender closed its end (or died) before sending a
        whole one."""
        with self._read(_LENGTH.size) as header:
            (length,) = _LENGTH.unpack(header)
        with self._read(length) as payload:
            return pickle.loads(payload)

    def _read(self, size: int) -> memoryview:
        if len(self.buffer) < size:
            self.buffer = bytearray(size + size // 4)  # chunks vary a little in size
        view = memoryview(self.buffer)[:size]
        done = 0
        while done < size:
            read = os.readv(self.fd, [view[done:]])
            if read == 0:
                view.release()
                raise EOFError
            done += read
        return view

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
