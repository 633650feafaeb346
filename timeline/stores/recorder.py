"""What the application and the catch-up ask of a store, beside eventsourcing's own methods."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    IntegrityError,
    Notification,
    StoredEvent,
)

from timeline.errors import NewerStore
from timeline.stores.packing import pack, unpack

if TYPE_CHECKING:
    from timeline.encoding import Batch, IdRow, Row
    from timeline.stores.chain import ChainedRow, Heads

Page = list[tuple[int, str, bytes]]  # (position in the log, topic, state) of stored events

# The layout of what a store holds (its tables, streams and the events' meaning), recorded in
# the store when it is made (SQLite: PRAGMA user_version, with application_id saying the file
# is a timeline store; PostgreSQL: the timeline_meta table). Raise it when a change would make
# an older version misread a store written by this one: the older one then refuses it
# (NewerStore) instead. A store made before versions were recorded is version 1.
#   1: each event id claimed by a stream of its own (an EventIdClaim's `Claimed` event).
#   2: event ids in a table (event_ids) written with the events; version 1's claims copied
#      into it when a store of version 1 is opened (`TimelineRecorder.migrate`).
#   3: states stored packed (timeline.stores.packing); those a store of version 2 holds are
#      kept as they are (JSON), and read as before.
STORE_VERSION = 3
STORE_APPLICATION_ID = 0x4F54_5354  # "OTST": an ops-timeline store, as `file(1)` may show it


def check_version(found: int, where: str) -> None:
    """Refuse a store of a later layout than this version knows."""
    if found > STORE_VERSION:
        raise NewerStore(
            f"the store {where} was written by a newer version of ops-timeline (store version "
            f"{found}; this one knows up to {STORE_VERSION}): upgrade ops-timeline to use it"
        )

LOOK_UP_CHUNK = 500  # event ids a query of the table of event ids asks for


class EventIdsTaken(IntegrityError):
    """Some ids of a write were stored by another writer after this one checked them: the
    table of event ids refused them, and nothing of the write was stored. `taken` pairs each
    id's row as this writer would have stored it with the row stored."""

    def __init__(self, taken: list[tuple[IdRow, IdRow]]) -> None:
        super().__init__(f"event ids stored meanwhile: {', '.join(t[0][0] for t in taken)}")
        self.taken = taken


class PackedStates(AggregateRecorder):
    """A recorder that packs every state it stores and unpacks every state it reads: the base
    of the timeline's recorders, the events' (TimelineRecorder) and the snapshots'.

    States are packed (timeline.stores.packing) as they are inserted, by each store's
    subclass, and unpacked as they are read, by every method that reads them
    (eventsourcing's `select_events` here, `select_notifications` and the timeline's own
    reads in TimelineRecorder), so that the mapper, the read models, `verify` and `copy` see
    each event's JSON, and its hash is that of its JSON. (eventsourcing's mapper can compress
    a state itself, given a compressor; but then every reader of stored states that bypasses
    the mapper, as the read models' pages do, would unpack it, and a hash would cover the
    packing, not the event: a copy packed otherwise would verify as edited.)

    Each store's recorder lists this class before eventsourcing's recorder of that store,
    whose methods `super()` reaches here, not the abstract ones mypy sees.
    """

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """eventsourcing's events of a stream, each state unpacked."""
        return unpacked(super().select_events(  # type: ignore[safe-super]
            originator_id, gt=gt, lte=lte, desc=desc, limit=limit
        ))  # fmt: skip


class TimelineRecorder(PackedStates, ApplicationRecorder):
    """An application recorder that also appends many rows in one transaction, keeps a table
    of event ids, and reads pages of the log as plain tuples, every state as its JSON
    (PackedStates).

    Each store's subclass writes in eventsourcing's `_insert_events`, the hook its own
    examples override to write beside the events in the same transaction (as
    `searchabletimestamps` writes its table of timestamps there): the events given as rows
    (`rows=`), the rows of the table of event ids (`ids=`), and each event's hash chained to
    its stream's previous one (timeline.stores.chain; its own method, `_insert_hashes`).

    Why the application passes the ids' rows rather than the recorder reading them off the
    `Recorded` events: the unit of work has the record's id, operation and digest in hand when
    it writes the event's bytes, whereas the recorder would have to parse every state again
    and know how a record is written and fingerprinted, which is the domain's business. It is
    how eventsourcing's examples pass theirs (`event_timestamps_data=`). The id's row is
    made by the same call that makes its `Recorded` row (`UnitOfWork.add`, `add_parsed`), so
    neither is written without the other.
    """

    event_ids_table = "event_ids"  # (event_id PRIMARY KEY, digest, operation)
    hashes_table = "event_hashes"  # (originator_id, originator_version) PRIMARY KEY, hash

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """eventsourcing's notifications, each state unpacked (see PackedStates)."""
        return unpacked(super().select_notifications(  # type: ignore[safe-super]
            start, limit, stop, topics, inclusive_of_start=inclusive_of_start
        ))  # fmt: skip

    @abstractmethod
    def append_rows(self, batches: Iterable[Batch], *, count: int = 0) -> int:
        """Insert every batch's rows and ids, then commit once: all of them are stored, or
        none is. Raises EventIdsTaken if the table of event ids holds one of the ids already.
        `count`: how many rows the batches hold, if known (a large append may be written
        differently). Returns how many rows were inserted."""

    @abstractmethod
    def select_event_ids(self, event_ids: Sequence[str]) -> list[IdRow]:
        """The stored rows of those of these ids the store holds, in a few queries, in no
        particular order."""

    @abstractmethod
    def read_chained(self, after: int, limit: int) -> list[tuple[int, ChainedRow]]:
        """The next `limit` stored events after position `after`, in log order, each with its
        position and its stored hash (None if it has none): what `timeline verify` walks."""

    @abstractmethod
    def hashes_without_events(self, limit: int) -> list[tuple[str, int]]:
        """(stream, version) of hashes whose event is not stored, in stream order."""

    @abstractmethod
    def chain_heads(self) -> Heads:
        """Each stream's last stored hash: stream id hex -> (version, hash as hex)."""

    @abstractmethod
    def taking_turns(self, keys: Sequence[str]) -> AbstractContextManager[None]:
        """Hold these keys (operations' slugs, say) against every other process that takes
        them, waiting for those that hold them: writers of one operation then check and
        append one after the other instead of meeting. Taken in sorted order (no two
        processes wait for each other); where no lock can be made (a store that cannot be
        written), none is held and the write says why."""

    @abstractmethod
    def read_page(self, after: int, limit: int, topics: Sequence[str]) -> Page:
        """(position, topic, state) of the next `limit` stored events of these topics after
        position `after`, in order: what `select_notifications` gives, without making a
        Notification and a UUID of every row."""

    @abstractmethod
    def read_positions(self, positions: Sequence[int]) -> Page:
        """(position, topic, state) of the stored events at these positions in the log, in
        order: what the read models read instead of keeping a copy of every stored event."""


E = TypeVar("E", bound=StoredEvent)  # a stored event, or a notification (one with its id)


def unpacked(events: Sequence[E]) -> list[E]:
    """Stored events (or notifications) as eventsourcing read them, each state as its JSON:
    what the recorders' `select_events` and `select_notifications` give the mapper."""
    return [replace(event, state=unpack(event.state)) for event in events]


def packed_events(events: Sequence[StoredEvent]) -> list[StoredEvent]:
    """Stored events as a store keeps them: each state packed."""
    return [
        StoredEvent(event.originator_id, event.originator_version, event.topic, pack(event.state))
        for event in events
    ]


def packed(rows: Iterable[Row]) -> Iterator[Row]:
    """Rows of stored events as a store keeps them: each state packed."""
    for stream, version, topic, state in rows:
        yield stream, version, topic, pack(state)


def readable(state: bytes) -> bytes:
    """A stored state's JSON, or the bytes as stored where they are neither JSON nor packed
    (an edit behind the store's back): what `verify` hashes and names as edited."""
    try:
        return unpack(state)
    except ValueError:
        return state


def taken_ids(wanted: Sequence[IdRow], stored: Iterable[IdRow]) -> list[tuple[IdRow, IdRow]]:
    """The ids of `wanted` whose stored row is another's (after an insert that skipped some):
    each as wanted, with the row stored."""
    ours = {row[0]: row for row in wanted}
    return [(ours[row[0]], row) for row in stored if ours.get(row[0]) != row]
