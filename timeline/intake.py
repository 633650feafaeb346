"""An import's intake: the lines of a file read, validated and made canonical, in chunks.

Validating a line with pydantic costs as much as every rule and write after it, so on a machine
with a second core a forked process does it while this one applies the rules (and SQLite's
writes wait for neither). What crosses between them is compact: per line, a `Parsed` tuple of
strings and bytes, or a `Refused` one with the problems found. The pydantic record itself
crosses only for corrections and retractions, whose rules read it; pickling every record would
cost more than validating it again.

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
from typing import Any, BinaryIO, NamedTuple

from timeline import encoding
from timeline.encoding import claim_hex
from timeline.errors import RecordRejected, TimelineError
from timeline.events import Event, Place, ReportCorrected, ReportRetracted
from timeline.jsonl import blocks, describe_undecodable, empty_file, label, numbered_lines
from timeline.registry import digest, record_json
from timeline.validation import parse_record

CHUNK_BYTES = 1 << 21  # lines parsed, sent, looked up and spooled together: about 2,500
FORK_FROM_BYTES = 1 << 20  # smaller files are read in this process: forking would not pay
MAX_WORKERS = 2  # with the importing process, enough to keep two CPUs busy
WORKERS_VARIABLE = "TIMELINE_IMPORT_WORKERS"

PlaceFacts = tuple[str, float, float, str, tuple[str, ...] | None]  # name, lat, lon, kind, aliases


class Parsed(NamedTuple):
    """A valid line: what the rules and the stored events need of it."""

    line: int
    id: str
    type: str
    operation: str
    place: str | PlaceFacts | None  # a name, a place given in full, or none
    content: bytes  # the record's JSON as stored: the vocabulary's key order, no nulls
    digest: str  # its fingerprint
    claim: str  # the id of the stream that claims the record's id, as hex
    claimed: bytes  # the state of that stream's Claimed event, if the record is new
    record: ReportCorrected | ReportRetracted | None  # the record, for these two types only


class Refused(NamedTuple):
    """An invalid line, and each of its problems as (field, message)."""

    line: int
    problems: list[tuple[str, str]]


Chunk = list[Parsed | Refused]
_new = tuple.__new__  # a NamedTuple made from a tuple, without its __new__()'s Python call
_PARSED_FIELDS = len(Parsed._fields)


def parse_line(line: int, raw: bytes, timestamp: bytes) -> Parsed | Refused:
    """A line of the file, parsed; `timestamp` is the import's, as JSON, for the Claimed event."""
    try:
        record = parse_record(raw)  # pydantic refuses bytes that are not UTF-8...
    except RecordRejected as error:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as undecodable:  # ...and this says which byte, and where
            return Refused(line, [("record", describe_undecodable(undecodable))])
        return Refused(line, error.problems)
    place = getattr(record, "place", None)
    if isinstance(place, Place):
        place = (place.name, place.lat, place.lon, place.kind, place.aliases)
    rare = record if isinstance(record, ReportCorrected | ReportRetracted) else None
    content = record_json(record)
    fingerprint = digest(content)
    claim = claim_hex(record.id)
    claimed = encoding.claimed(claim, record.id, record.operation, fingerprint, timestamp)
    # interned: the Operation keeps every record's type, and a chunk pickles each once
    return _new(Parsed, (
        line, record.id, sys.intern(record.type), sys.intern(record.operation), place, content,
        fingerprint, claim, claimed, rare,
    ))  # fmt: skip


def place_of(facts: PlaceFacts) -> Place:
    """The Place model of a place given in full (validated already, so not again)."""
    name, lat, lon, kind, aliases = facts
    if aliases is None:
        return Place.model_construct(name=name, lat=lat, lon=lon, kind=kind)
    return Place.model_construct(name=name, lat=lat, lon=lon, kind=kind, aliases=aliases)


def subject(parsed: Parsed) -> Event:
    """What the Operation's rules read: the record itself for a correction or a retraction;
    otherwise its id, type and operation, all that `Operation.check()` and `apply_record()`
    read of the other types (the fast-path test holds them to it)."""
    record: Any = parsed.record or parsed
    return record  # type: ignore[no-any-return]


def chunks(
    source: str | Path,
    file: BinaryIO,
    timestamp: bytes,
    progress: Callable[[int], None] | None = None,
    *,
    workers: int | None = None,
) -> Iterator[Chunk]:
    """The lines of `file` (opened from `source`, "-" for standard input), parsed, in chunks,
    in order; `timestamp` is the import's, as JSON. `workers` forked processes parse them (by
    default, see _default_workers()); with none, this process does. A file without a single
    line to parse is refused."""
    name = label(source)
    if workers is None:
        workers = _default_workers(source)
    if workers < 1:
        parsed: Iterator[tuple[int, Chunk]] = _parsed(file, name, timestamp)
    elif str(source) == "-" or not file.seekable():
        parsed = _from_workers(source, file, timestamp, 1)  # a stream can only be read once, by one
    else:
        parsed = _from_workers(source, file, timestamp, workers)
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
    file: BinaryIO, name: str, timestamp: bytes, worker: int = 0, workers: int = 1
) -> Iterator[tuple[int, Chunk]]:
    """(bytes read, chunk) for every block of the file; the lines of every `workers`-th block
    are parsed, starting with block `worker`, the others' chunks are left empty."""
    first = 1
    for index, block in enumerate(blocks(file, CHUNK_BYTES)):
        if index % workers == worker:
            lines = numbered_lines(name, block, first)
            yield len(block), [parse_line(number, raw, timestamp) for number, raw in lines]
        first += block.count(b"\n")


def _typed(line: tuple[Any, ...]) -> Parsed | Refused:
    return _new(Parsed if len(line) == _PARSED_FIELDS else Refused, line)


def _work(
    source: str | Path,
    file: BinaryIO,
    timestamp: bytes,
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
            for size, chunk in _parsed(file, label(source), timestamp, worker, workers):
                plain = [tuple(line) for line in chunk]  # pickled faster than NamedTuples
                sender.send(("chunk", size, plain))
        sender.send(("end", 0, None))
    except TimelineError as error:
        sender.send(("error", 0, error))
    except BaseException:
        sender.send(("bug", 0, traceback.format_exc()))
    finally:
        sender.close()


def _from_workers(
    source: str | Path, file: BinaryIO, timestamp: bytes, workers: int
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
                    _work(source, file, timestamp, worker, workers, sender)
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
                yield size, [_typed(line) for line in payload]
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
