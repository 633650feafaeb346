"""The application: one object for scripts, notebooks and the CLI to record and read events."""

from __future__ import annotations

import contextlib
import getpass
import os
import pickle
import random
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, TypeVar
from uuid import UUID

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    Mapper,
    OperationalError,
    PersistenceError,
)

from timeline import intake, place_streams
from timeline.bulk import no_cycle_collection
from timeline.encoding import Batch, IdRow, Row
from timeline.environment import reason
from timeline.errors import (
    ConcurrentWrite,
    IdTakenMeanwhile,
    ImportFailed,
    InvalidInput,
    InvalidRecord,
    LineError,
    Problem,
    RecordRejected,
    StoreUnavailable,
    TimelineError,
)
from timeline.events import Event
from timeline.gazetteer import Gazetteer
from timeline.identity import with_id
from timeline.intake import JSON_LINES, Parsed, Reader, Refused
from timeline.jsonl import label, opened
from timeline.operation import Operation
from timeline.readers.dataset import DatasetReader
from timeline.readings import Data, current
from timeline.store import settings
from timeline.stores.chain import Broken, Checker, Heads
from timeline.stores.mapper import PydanticMapper
from timeline.stores.recorder import EventIdsTaken, TimelineRecorder
from timeline.terminal import UNSAFE_CLASS, shown
from timeline.unit_of_work import UnitOfWork
from timeline.validation import parse_record
from timeline.vocabulary import RECORDED

T = TypeVar("T")

MAX_REPORTED_ERRORS = 50
NOTES_SHOWN = 20  # new names found to be known places', said in an import's summary
INVALID = InvalidRecord.__name__  # the rule of a line refused for its shape
SNAPSHOT_EVERY = 200
TRIES = 8  # a write that meets another writer's is checked and tried again, this many times
BACKOFF_SECONDS = 0.02  # before the nth retry, a random wait of up to this times 2**(n-1)
BACKOFF_MOST_SECONDS = 2.0
# Told, once an import's transaction has committed, where its rows begin in the store's log
# and given them again, in order: how the application layer projects them inline.
Appended = Callable[[int, Iterable[Sequence[Row]]], None]


class Conflict(Exception):
    """Another writer stored into a stream this write was about to extend (an operation, a
    place, an event id) after this write read it: nothing was stored; read and check again,
    taking turns with the writers of these operations."""

    def __init__(self, operations: Sequence[str] = ()) -> None:
        super().__init__(operations)
        self.operations = operations


@dataclass(frozen=True)
class Imported:
    new: int
    already: int
    corrected: int = 0  # events a dataset's newer file revised: one report_corrected each
    retracted: int = 0  # events a deleted-events file withdrew
    not_found: int = 0  # ids of a deleted-events file that the store does not hold
    notes: tuple[str, ...] = ()  # new names found to be known places'

    def __str__(self) -> str:
        said = [f"{self.new} new", f"{self.already} already recorded"]
        for count, words in ((self.corrected, "corrected"), (self.retracted, "retracted"),
                             (self.not_found, "deleted ids not in the store")):  # fmt: skip
            if count:
                said.append(f"{count} {words}")
        notes = list(self.notes[:NOTES_SHOWN])
        if len(self.notes) > NOTES_SHOWN:
            more = len(self.notes) - NOTES_SHOWN
            notes.append(f"... and {more} more new names found to be known places'")
        return "\n".join([", ".join(said), *notes])


@dataclass(frozen=True)
class LoggedEvent:
    """An event as stored: its place in the log, when it was recorded, the record, and who
    recorded it (None for an event stored before analysts were kept)."""

    position: int
    recorded: datetime
    record: Event
    analyst: str | None = None


def analyst_of(analyst: str | None) -> str:
    """Who records: the name given, else the user's login name, else "unknown". A name is
    one line of text, as an outlet's is."""
    if analyst is None:
        try:
            analyst = getpass.getuser()
        except Exception:  # no login name (no USER, LOGNAME, nor a passwd entry)
            analyst = "unknown"
        return analyst if _ANALYST.fullmatch(analyst) else "unknown"
    if not _ANALYST.fullmatch(analyst):
        raise InvalidInput(
            "analyst", "must be 1 to 200 characters of one line, without control characters"
        )
    return analyst


_ANALYST = re.compile(f"[^\\s{UNSAFE_CLASS}](?:[^{UNSAFE_CLASS}]{{0,198}}[^\\s{UNSAFE_CLASS}])?")


class Timeline(Application[Any]):
    """Record events of operations and read them back.

    >>> app = Timeline(db="timeline.db")  # or a postgresql:// URL; default: $TIMELINE_DB
    >>> app.import_file("fixtures/al_qaim_2017.jsonl")
    >>> for event in app.log("al-qaim-2017"): ...
    """

    name = "Timeline"
    is_snapshotting_enabled = True
    recorder: TimelineRecorder

    def __init__(self, db: str | None = None, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env={**settings(db), **(env or {})})

    def construct_mapper(self) -> Mapper[Any]:
        return PydanticMapper(transcoder=JSONTranscoder())

    def construct_recorder(self) -> TimelineRecorder:
        recorder = super().construct_recorder()
        if not isinstance(recorder, TimelineRecorder):
            raise TypeError(
                f"{type(recorder).__qualname__} is not a TimelineRecorder: PERSISTENCE_MODULE "
                "must name timeline.stores.sqlite or timeline.stores.postgres"
            )
        return recorder

    def record(
        self, record: Event | Mapping[str, Any], *, unlaunched: bool = False,
        analyst: str | None = None,
    ) -> bool:  # fmt: skip
        """Append one event; True if new, False if this very event was already recorded.

        A record given as data without an `id` gets one derived from its content
        (`timeline.identity.with_id`), so that recording it again is a no-op. `analyst`: who
        records it (default: the user's login name), kept beside the record."""
        who = analyst_of(analyst)
        if not isinstance(record, Event):
            record = parse_record(with_id(record))
        checked = record

        def attempt(_: Sequence[str]) -> bool:
            with self.recorder.taking_turns([checked.operation]):
                unit = self._unit_of_work(unlaunched, analyst=who)
                stored = unit.add(checked)
                if stored:
                    self._append([stored])
            self._take_snapshots_of(unit)
            return bool(stored)

        return self._retrying(attempt)

    def import_file(
        self,
        source: str | Path | None,
        *,
        unlaunched: bool = False,
        progress: Callable[[int], None] | None = None,
        reader: Reader = JSON_LINES,
        deleted: str | Path | None = None,
        analyst: str | None = None,
        appended: Appended | None = None,
    ) -> Imported:
        """Append every event of a file ("-": standard input), all or nothing: JSON Lines, or
        what another `reader` reads (a dataset's export, `timeline.readers`).

        The whole file is checked first; the new events wait in a temporary file meanwhile,
        then go into the store in one transaction. Raises ImportFailed listing the first
        errors as FILE:LINE: field: message, having stored nothing. If another writer
        stored into the same operation or places meanwhile, the file is checked anew and
        appended again (up to TRIES times; once for standard input, which is read once).

        A dataset's rows need no launch, and a row whose event is stored with other content
        is its newer reading, recorded as a correction of what changed. `deleted`: the
        dataset's deleted-events file, whose ids the store holds are retracted (`source`
        None: that file alone). `analyst`: who imports (default: the user's login name),
        kept with each new event.

        `appended`: told, after the store's transaction has committed, the position of the
        first row appended and the rows again, in order (not told when another writer's rows
        may lie among them, or when nothing was appended).
        """
        who = analyst_of(analyst)
        dataset = reader if isinstance(reader, DatasetReader) else None
        if deleted is not None and dataset is None:
            raise InvalidInput("deleted", "is a dataset's deleted-events file, read with its rows")

        def attempt(operations: Sequence[str]) -> Imported:
            with self.recorder.taking_turns(operations):
                return self._import(source, unlaunched, progress, reader, deleted, who, appended)

        once = source is not None and str(source) == "-"  # standard input is read only once
        return self._retrying(attempt, tries=1 if once else TRIES)

    def _import(
        self,
        source: str | Path | None,
        unlaunched: bool,
        progress: Callable[[int], None] | None,
        reader: Reader,
        deleted: str | Path | None,
        who: str,
        appended: Appended | None = None,
    ) -> Imported:
        """One attempt of `import_file`: the whole file checked against the store as it is
        now, then appended (Conflict if another writer got there first); then `appended`
        told of the rows, if given."""
        name = label(source) if source is not None else ""
        dataset = reader if isinstance(reader, DatasetReader) else None
        unit = self._unit_of_work(unlaunched or dataset is not None, dataset, analyst=who)
        errors: list[LineError] = []
        total_errors = new = already = retracted = not_found = 0

        def reject(
            number: int, problems: list[Problem], rule: str = INVALID, path: str = name
        ) -> None:
            nonlocal total_errors
            total_errors += len(problems)
            room = MAX_REPORTED_ERRORS - len(errors)
            errors.extend(LineError(path, number, f, m, rule) for f, m in problems[:room])

        fresh = not self.recorder.max_notification_id()  # an empty store: no id to look up
        with contextlib.ExitStack() as stack, no_cycle_collection():
            spool = stack.enter_context(Spool(_size(source) if source is not None else 0))
            found: Iterable[intake.Chunk] = ()
            if source is not None:
                file = stack.enter_context(opened(source))
                found = intake.chunks(source, file, progress, reader=reader)
            for chunk in found:
                parsed = [line for line in chunk if isinstance(line, Parsed)]
                for refused in (line for line in chunk if isinstance(line, Refused)):
                    reject(refused.line, refused.problems)
                if not fresh:
                    unit.look_up(parsed)
                batch = Batch()
                for line in parsed:
                    try:
                        added = unit.add_parsed(line)
                    except RecordRejected as error:
                        problems = [(reader.column(f), m) for f, m in error.problems]
                        reject(line.line, problems, type(error).__name__)
                        continue
                    new += bool(added)
                    already += not added
                    batch += added
                if not total_errors:
                    spool.add(batch)
            if deleted is not None and dataset is not None:
                batch = Batch()
                with opened(deleted) as file:
                    for item in dataset.deletions(file):
                        if isinstance(item, Refused):
                            reject(item.line, item.problems, path=label(deleted))
                            continue
                        number, dataset_id, stamp = item
                        event_id = dataset.event_id(dataset_id)
                        operation = unit.stored_operation(event_id)
                        if operation is None:
                            not_found += 1
                            continue
                        if unit.is_retracted(event_id, operation):
                            already += 1
                            continue
                        try:
                            record = parse_record(dataset.retraction(event_id, operation, stamp))
                            added = unit.add(record, number)
                        except RecordRejected as error:
                            reject(number, error.problems, type(error).__name__, label(deleted))
                            continue
                        retracted += bool(added)
                        already += not added
                        batch += added
                if not total_errors:
                    spool.add(batch)
            if total_errors:
                raise ImportFailed(errors, total_errors)
            before = self.recorder.max_notification_id() or 0
            try:
                self._append(spool.batches(keep=appended is not None), rows=spool.rows)
            except IdTakenMeanwhile as error:
                first = min((unit.line_of(i) or 0 for i in error.event_ids), default=0)
                failed = [LineError(name, first, "id", error.message, type(error).__name__)]
                raise ImportFailed(failed, 1) from None
            except Conflict:  # the next attempt takes turns with the writers of these
                raise Conflict(sorted(unit.operations)) from None
            self._take_snapshots_of(unit)
            imported = Imported(
                new - unit.corrected, already, unit.corrected, retracted, not_found,
                tuple(unit.notes),
            )  # fmt: skip
            del unit  # what it holds of every record (ids, lines, aggregates) is not projected
            if appended is not None and spool.rows and self._appended_at(before + 1, spool):
                appended(before + 1, (batch.rows for batch in spool.batches()))
        return imported

    def gazetteer(self) -> Gazetteer:
        """The places as the store holds them now, as a writer checks against them."""
        return place_streams.read(self.recorder, self.snapshots).gazetteer

    def log(  # type: ignore[override]  # eventsourcing's log is its notification log: unused
        self, operation: str | None = None
    ) -> Iterator[LoggedEvent]:
        """Every recorded event in recording order, optionally of one operation only."""
        wanted = Operation.create_id(operation) if operation else None
        position = 0
        while True:
            page = self.recorder.select_notifications(
                position, limit=1000, topics=[RECORDED], inclusive_of_start=False
            )
            for notification in page:
                if wanted is None or notification.originator_id == wanted:
                    event: Any = self.mapper.to_domain_event(notification)
                    yield LoggedEvent(
                        notification.id, event.timestamp, event.record, event.analyst
                    )
            if len(page) < 1000:
                return
            position = page[-1].id

    def _retrying(self, attempt: Callable[[Sequence[str]], T], tries: int = TRIES) -> T:
        """`attempt(operations)`, again while it meets another writer's write (Conflict):
        each time after a random wait, growing exponentially (so that writers who met part),
        checking every record anew against the store as it now is, taking its turn with the
        other writers of the operations it met them in (`operations`). A record that
        another writer's now makes wrong (its id taken by another event, a rule broken) is
        refused as such by the check. After `tries`, ConcurrentWrite."""
        operations: Sequence[str] = ()
        for tried in range(1, tries + 1):
            try:
                return attempt(operations)
            except Conflict as conflict:
                operations = conflict.operations
                if tried == tries:
                    break
                wait = min(BACKOFF_MOST_SECONDS, BACKOFF_SECONDS * 2 ** (tried - 1))
                time.sleep(random.uniform(0, wait))
        again = (
            "standard input cannot be read twice: import a file to have it retried"
            if tries == 1
            else "run the command again"
        )
        raise ConcurrentWrite(
            f"other writers recorded into the same operation or places meanwhile, {tries} "
            f"time{'s' if tries > 1 else ''} in a row; nothing was stored: {again}"
        )

    def verify(self, against: Heads | None = None) -> Verified:
        """Every stream's chain of hashes computed again from the stored events
        (timeline.stores.chain): the first event whose row was edited, removed or moved
        within its stream, if any (`broken`). `against`: chain heads a copy was made with
        (`log --json`, a jsonl export): each must be a version of this store's chains."""
        checker = Checker(against)
        position = 0
        while True:
            page = self.recorder.read_chained(position, VERIFY_PAGE)
            if not checker.check([row for _, row in page]) or len(page) < VERIFY_PAGE:
                break
            position = page[-1][0]
        broken = checker.broken
        if broken is None:
            orphans = self.recorder.hashes_without_events(1)
            if orphans:
                broken = Broken(*orphans[0], "removed")
        if broken is not None and broken.how == "removed":
            broken = Broken(broken.stream, broken.version, "removed",
                            operation=self._operation_of(broken.stream))  # fmt: skip
        unmatched = [] if broken is not None else checker.unmatched(against or {})
        return Verified(checker.events, len(checker.last), broken, unmatched)

    def chain_heads(self) -> Heads:
        """Each stream's last stored hash (what `log --json` and a jsonl export end with)."""
        return self.recorder.chain_heads()

    def _operation_of(self, stream: str) -> str | None:
        """The operation whose stream this is, if a Recorded event of it is still stored."""
        for stored in self.recorder.select_events(UUID(stream), limit=50):
            if stored.topic == RECORDED:
                with contextlib.suppress(orjson.JSONDecodeError, KeyError, TypeError):
                    return str(orjson.loads(stored.state)["record"]["operation"])
        return None

    def _append(self, batches: Iterable[Batch], rows: int = 0) -> None:
        """Append in one transaction; a locked store, or an id another writer gave another
        event meanwhile, becomes a user's error; a conflict a Conflict, to be checked again."""
        try:
            self.recorder.append_rows(batches, count=rows)
        except EventIdsTaken as taken:
            error = _taken(taken.taken)
            if isinstance(error, ConcurrentWrite):
                raise Conflict from None  # the same events: checked again, found recorded
            raise error from None
        except IntegrityError:  # a stream's version taken meanwhile: checked again
            raise Conflict from None
        except (OperationalError, InterfaceError) as error:
            where = self.env.get("SQLITE_DBNAME") or "the store"
            raise StoreUnavailable(
                f"cannot write the store {where}: {reason(error, self.env.get('SQLITE_DBNAME'))}"
                "; nothing was stored"
            ) from None

    def _appended_at(self, first: int, spool: Spool) -> bool:
        """Whether the spool's rows are the store's from position `first` on: its first and
        last rows are there (one transaction's rows follow one another in the log)."""
        if spool.first is None or spool.last is None:
            return False
        found = self.recorder.read_positions([first, first + spool.rows - 1])
        ours = [(spool.first[2], spool.first[3]), (spool.last[2], spool.last[3])]
        return [(topic, bytes(state)) for _, topic, state in found] == ours

    def _take_snapshots_of(self, unit: UnitOfWork) -> None:
        """Snapshot each aggregate SNAPSHOT_EVERY events or more past its last snapshot:
        loading an operation of 30,000 events then reads one snapshot and the events after
        it. Snapshots only spare a replay; one that cannot be stored is simply not taken."""
        assert self.snapshots is not None
        for aggregate in unit.touched():
            last = self.snapshots.recorder.select_events(aggregate.id, desc=True, limit=1)
            since = aggregate.version - (last[0].originator_version if last else 0)
            if since >= SNAPSHOT_EVERY:
                with contextlib.suppress(PersistenceError):
                    self.snapshots.put([aggregate.Snapshot.take(aggregate)])

    def _unit_of_work(
        self, unlaunched: bool, dataset: DatasetReader | None = None, *,
        analyst: str | None = None,
    ) -> UnitOfWork:  # fmt: skip
        return UnitOfWork(
            self.repository, self.mapper, self._stored_ids, unlaunched=unlaunched,
            readings=self._readings if dataset is not None else None,
            revise=dataset.revision if dataset is not None else None, analyst=analyst,
            places=place_streams.read(self.recorder, self.snapshots),
        )  # fmt: skip

    def _readings(self, operation: str) -> dict[str, Data]:
        """How each stored event of an operation reads now, by id (retracted ones left out):
        from the operation's own stream in the store, never from the read models."""
        return current(self._stream_records(Operation.create_id(operation)))

    def _stream_records(self, stream: UUID) -> Iterator[Data]:
        after = None
        while True:
            page = self.recorder.select_events(stream, gt=after, limit=1000)
            for stored in page:
                if stored.topic == RECORDED:
                    yield orjson.loads(stored.state)["record"]
            if len(page) < 1000:
                return
            after = page[-1].originator_version

    def _stored_ids(self, event_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """(digest, operation) of those of these ids the store holds, by id."""
        return {
            event_id: (fingerprint, operation)
            for event_id, fingerprint, operation in self.recorder.select_event_ids(event_ids)
        }


VERIFY_PAGE = 5_000  # stored events a page of `verify` reads


@dataclass(frozen=True)
class Verified:
    """What `verify` found: how many events and streams it checked, the first broken link of
    a chain (None: every chain whole), and the heads of a copy this store does not hold."""

    events: int
    streams: int
    broken: Broken | None
    unmatched: list[str]

    def __str__(self) -> str:
        if self.broken is not None:
            return f"the chain of hashes is broken at {self.broken}"
        if self.unmatched:
            more = f" (and {len(self.unmatched) - 1} more)" if len(self.unmatched) > 1 else ""
            return f"the copy does not match this store: {self.unmatched[0]}{more}"
        return (
            f"verified: {self.events:,} stored events in {self.streams:,} streams, every "
            "chain of hashes whole"
        )


def _taken(taken: list[tuple[IdRow, IdRow]]) -> TimelineError:
    """What a user hears of ids another writer stored after this one checked them: the same
    events (a ConcurrentWrite: run again, they are found recorded), or others under the same
    ids (a DuplicateEventId, as the check would have said had it come later)."""
    different = [(ours, stored) for ours, stored in taken if ours[1] != stored[1]]
    if not different:
        ids = ", ".join(shown(ours[0]) for ours, _ in taken[:3])
        return ConcurrentWrite(
            f"another writer recorded the same events meanwhile ({ids}); nothing was stored: "
            "run the command again"
        )
    ours, stored = different[0]
    return IdTakenMeanwhile(
        f"{shown(ours[0])} was recorded meanwhile by another writer (operation "
        f"'{stored[2]}') with different content; nothing was stored",
        [ours[0] for ours, _ in different],
    )


def _size(source: str | Path) -> int | None:
    """The file's size in bytes; None for standard input or if it cannot be told."""
    if str(source) == "-":
        return None
    try:
        return os.path.getsize(source)
    except OSError:
        return None


class Spool:
    """Where the rows of an import wait while the rest of the file is checked: pickled to a
    temporary file, or, for a file whose rows will take no more than MEMORY_BYTES (about 1.5
    times its own bytes), in memory. Read back once, in order, freeing what was kept in memory
    as it goes.

    Memory is only for the small: kept rows freed during a large import's write stay in the
    process (the allocator keeps them) while SQLite's page cache grows (benchmarks/RESULTS.md)."""

    MEMORY_BYTES = 256 * 2**20

    def __init__(self, source_bytes: int | None = None) -> None:
        small = source_bytes is not None and source_bytes * 2 <= self.MEMORY_BYTES
        self.keep_bytes = self.MEMORY_BYTES if small else 0
        self.kept: list[Batch] = []
        self.kept_bytes = 0
        self.rows = 0
        self.file: IO[bytes] | None = None
        self.first: Row | None = None  # the first row and the last
        self.last: Row | None = None

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kept.clear()
        if self.file is not None:
            self.file.close()

    def add(self, batch: Batch) -> None:
        self.rows += len(batch.rows)
        if batch.rows:
            self.first = self.first or batch.rows[0]
            self.last = batch.rows[-1]
        if self.file is None:
            self.kept_bytes += sum(len(row[3]) for row in batch.rows)
            if self.kept_bytes <= self.keep_bytes:
                self.kept.append(batch)
                return
            self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by __exit__
        pickle.dump((batch.rows, batch.ids), self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def batches(self, *, keep: bool = False) -> Iterator[Batch]:
        """The batches, in order; freed as they go, unless they are to be read again
        (`keep`)."""
        if keep:
            yield from self.kept
        else:
            self.kept.reverse()
            while self.kept:
                yield self.kept.pop()
        if self.file is None:
            return
        self.file.seek(0)
        while True:
            try:
                yield Batch(*pickle.load(self.file))
            except EOFError:
                return
