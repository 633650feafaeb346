"""Messages between a forked process and its parent cross whole, in order, or not at all."""

from __future__ import annotations

import os
import sys

import pytest

from timeline.pipes import pipe

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux")


def test_messages_larger_than_the_pipe_arrive_whole_and_in_order() -> None:
    receiver, sender = pipe()
    messages = [("chunk", n, [b"x" * 3_000_000, "y" * n]) for n in (5, 1, 7)]
    pid = os.fork()
    if pid == 0:
        try:
            receiver.close()
            for message in messages:
                sender.send(message)
            sender.close()
        finally:
            os._exit(0)
    sender.close()

    received = [receiver.recv() for _ in messages]

    os.waitpid(pid, 0)
    assert received == messages
    with pytest.raises(EOFError):
        receiver.recv()
    receiver.close()


def test_a_sender_gone_before_a_whole_message_is_an_end_of_file() -> None:
    receiver, sender = pipe()
    os.write(sender.fd, b"\x10\x00\x00\x00\x00\x00\x00\x00only part")
    sender.close()

    with pytest.raises(EOFError):
        receiver.recv()
    receiver.close()
