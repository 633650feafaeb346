"""An import's intake: the records of a file read, validated and made canonical, in chunks.

Every way into the store meets here: a `Reader` says how a file's bytes become numbered
records in the record format (`JsonLines`, or the reader of another dataset's export), and
from then on every record is parsed, checked and stored alike.

Validating and making a record canonical costs as much as every rule and write after it, so on
a machine with a second core forked processes do it while this one applies the rules (and
SQLite's writes wait for neither). What crosses back is compact: per record its canonical JSON
and fingerprints, with what the rules read of it (`Submitted`, made there as `record()` makes
it here), as a `Parsed`; or the problems found, as a `Refused`.

The same functions run in one process when forking is not available or does not pay: the
import sees the same chunks either way.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, Protocol

from timeline.errors import RecordRejected, TimelineError
from timeline.events import Submitted
from timeline.jsonl import (
    blocks,
    describe_undecodable,
    empty_file,
    label,
    numbered_lines,
    too_long,
    too_long_message,
)
from timeline.registry import digest, record_json
from timeline.stores.chain import is_heads_line
from timeline.validation import parse_record, repeated_keys

CHUNK_BYTES = 1 << 21  # lines parsed, sent, looked up and spooled together: about 2,500
FORK_FROM_BYTES = 1 << 20  # smaller files are read in this process: forking would not pay
MAX_WORKERS = 2  # with the importing process, enough to keep two CPUs busy
WORKERS_VARIABLE = "TIMELINE_IMPORT_WORKERS"

class Parsed(NamedTuple):
    """A valid line: what the rules read of its record, and what its stored events need."""

    line: int
    submitted: Submitted  # what the rules read, made as `record()` makes it
    content: bytes  # the record's JSON as stored: the vocabulary's key order, no nulls
    digest: str  # its fingerprint


class Refused(NamedTuple):
    """An invalid line, and each of its problems as (field, message)."""

    line: int
    problems: list[tuple[str, str]]


Chunk = list[Parsed | Refused]
Numbered = tuple[int, bytes]  # a line's number and its bytes: one record, in the record format


class Reader(Protocol):
    """How a file's bytes become records in the record format, each numbered by its line.

    What a way into the store (JSON Lines, a CSV export of another dataset) must say; the
    checks after it (shape, rules, ids, all or nothing) are every way's. Blocks end where a
    record ends, so that forked workers can each take every n-th block of the same file."""

    def blocks(self, file: BinaryIO) -> Iterator[bytes]:
        """The file in blocks of about CHUNK_BYTES, each ending where a record ends."""
        ...

    def records(self, name: str, block: bytes, first: int) -> list[Numbered | Refused]:
        """The records of a block whose first line is `first`: each as the JSON of a record,
        or refused with its problems (a value the format cannot say in the record format)."""
        ...

    def lines(self, block: bytes) -> int:
        """How many lines the block holds: the number of its next block's first line."""
        ...

    def column(self, field: str) -> str:
        """What a problem of a record's field is said to be about: the field itself, or the
        column of the file it was read from (`place.lat` -> ACLED's `latitude`)."""
        ...


class JsonLines:
    """The record format itself: one JSON object per line."""

    def blocks(self, file: BinaryIO) -> Iterator[bytes]:
        return blocks(file, CHUNK_BYTES)

    def records(self, name: str, block: bytes, first: int) -> list[Numbered | Refused]:
        numbered = numbered_lines(name, block, first)
        if numbered and is_heads_line(numbered[-1][1]):  # what `log --json` ends with
            numbered = numbered[:-1]
        cut = too_long(numbered, block)
        if not cut:
            return list(numbered)
        refused = [("record", too_long_message())]
        return [Refused(n, refused) if n in cut else (n, raw) for n, raw in numbered]

    def lines(self, block: bytes) -> int:
        return block.count(b"\n")

    def column(self, field: str) -> str:
        return field


JSON_LINES = JsonLines()


def parse_line(line: int, raw: bytes) -> Parsed | Refused:
    """A record of the file, parsed."""
    try:
        record = parse_record(raw)  # pydantic refuses bytes that are not UTF-8...
    except RecordRejected as error:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as undecodable:  # ...and this says which byte, and where
            return Refused(line, [("record", describe_undecodable(undecodable))])
        return Refused(line, error.problems)
    content = record_json(record)
    repeated = repeated_keys(raw, content)
    if repeated:
        return Refused(line, repeated)
    return Parsed(line, Submitted.of(record), content, digest(content))


def _located(reader: Reader, parsed: Parsed | Refused) -> Parsed | Refused:
    """A refused record's problems said about what the reader read them from."""
    if isinstance(parsed, Parsed) or isinstance(reader, JsonLines):
        return parsed
    problems = [(reader.column(field), message) for field, message in parsed.problems]
    return Refused(parsed.line, problems)


def _sent(parsed: Parsed | Refused) -> tuple[Any, ...]:
    """What crosses from a worker: plain data (NamedTuples and pydantic models pickle slower;
    a pydantic record pickles slower than it validates)."""
    if isinstance(parsed, Refused):
        return tuple(parsed)
    return (parsed.line, parsed.submitted.astuple(), *parsed[2:])


def _received(sent: tuple[Any, ...]) -> Parsed | Refused:
    """A worker's line as this process hands it on."""
    if len(sent) == 2:
        return Refused(*sent)
    line, submitted, *rest = sent
    return Parsed(line, Submitted.fromtuple(submitted), *rest)


def chunks(
    source: str | Path,
    file: BinaryIO,
    progress: Callable[[int], None] | None = None,
    *,
    workers: int | None = None,
    reader: Reader = JSON_LINES,
) -> Iterator[Chunk]:
    """The records of `file` (opened from `source`, "-" for standard input), read by `reader`
    and parsed, in chunks, in order. `workers` forked
    processes parse them (by default, see _default_workers()); with none, this process does.
    A file without a single record to parse is refused."""
    name = label(source)
    if workers is None:
        workers = _default_workers(source)
    if workers < 1:
        parsed: Iterator[tuple[int, Chunk]] = _parsed(reader, file, name)
    elif str(source) == "-" or not file.seekable():  # a stream can only be read once, by one
        parsed = _from_workers(reader, source, file, 1)
    else:
        parsed = _from_workers(reader, source, file, workers)
    seen = False
    for size, chunk in parsed:
        if progress is not None:
            progress(size)
        if chunk:
            seen = True
            yield chunk
    if not seen:
        raise empty_file(name)


def _default_workers(source: str | Path) -> int:
    """TIMELINE_IMPORT_WORKERS if set (0: parse in this process); else one per CPU up to
    MAX_WORKERS, none on one CPU or for a file under FORK_FROM_BYTES. Only Linux forks."""
    if sys.platform != "linux":
        return 0
    wanted = os.environ.get(WORKERS_VARIABLE, "").strip()
    if wanted:
        if not wanted.isdigit():
            msg = f"{WORKERS_VARIABLE} must be a number of processes (0: none), not {wanted!r}"
            raise TimelineError(msg)
        return int(wanted)
    cpus = len(os.sched_getaffinity(0))
    if cpus < 2:
        return 0
    if str(source) != "-":
        try:
            if os.path.getsize(source) < FORK_FROM_BYTES:
                return 0
        except OSError:
            return 0
    return min(MAX_WORKERS, cpus)


def _parsed(
    reader: Reader, file: BinaryIO, name: str, worker: int = 0, workers: int = 1
) -> Iterator[tuple[int, Chunk]]:
    """(bytes read, chunk) for every block of the file; the records of every `workers`-th
    block are parsed, starting with block `worker`, the others' chunks are left empty."""
    first = 1
    for index, block in enumerate(reader.blocks(file)):
        if index % workers == worker:
            found = reader.records(name, block, first)
            yield len(block), [
                _located(reader, parse_line(*record))
                if not isinstance(record, Refused) else record
                for record in found
            ]
        first += reader.lines(block)


def _work(
    reader: Reader,
    source: str | Path,
    file: BinaryIO,
    worker: int,
    workers: int,
    sender: Connection,
) -> None:
    """A forked process: parse its blocks and send each, then "end"; or the error that
    stopped it (an unreadable file, or a bug's traceback)."""
    try:
        with contextlib.ExitStack() as stack:
            if workers > 1:  # each reads the file through its own file description
                file = stack.enter_context(open(source, "rb"))
            for size, chunk in _parsed(reader, file, label(source), worker, workers):
                sender.send(("chunk", size, [_sent(line) for line in chunk]))
        sender.send(("end", 0, None))
    except TimelineError as error:
        sender.send(("error", 0, error))
    except BaseException:
        sender.send(("bug", 0, traceback.format_exc()))
    finally:
        sender.close()


def _from_workers(
    reader: Reader, source: str | Path, file: BinaryIO, workers: int
) -> Iterator[tuple[int, Chunk]]:
    """Block i comes from worker i % workers; the first "end" means there is no block i.

    The workers are forked with os.fork() itself: multiprocessing's processes close their
    standard input first, which is the file they are to read when it is "-"."""
    sys.stdout.flush()  # else a child would write what waits in these buffers a second time
    sys.stderr.flush()
    receivers: list[Connection] = []
    children: list[int] = []
    try:
        for worker in range(workers):
            receiver, sender = Pipe(duplex=False)
            pid = os.fork()
            if pid == 0:  # the child: it never returns, whatever happens
                try:
                    receiver.close()
                    _work(reader, source, file, worker, workers, sender)
                finally:
                    os._exit(0)
            sender.close()
            receivers.append(receiver)
            children.append(pid)
        for index in itertools.count():
            try:
                kind, size, payload = receivers[index % workers].recv()
            except EOFError:
                raise RuntimeError(f"the process reading {label(source)} died") from None
            if kind == "chunk":
                yield size, [_received(line) for line in payload]
            elif kind == "end":
                return
            elif kind == "error":
                raise payload
            else:
                raise RuntimeError(f"the process reading {label(source)} failed:\n{payload}")
    finally:
        for receiver in receivers:
            receiver.close()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # done already, or not needed any more
            os.waitpid(pid, 0)
