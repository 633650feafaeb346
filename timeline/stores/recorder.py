"""What the application and the catch-up ask of a store, beside eventsourcing's own methods."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent

from timeline.errors import NewerStore

if TYPE_CHECKING:
    from timeline.encoding import Row

Page = list[tuple[int, str, bytes]]  # (position in the log, topic, state) of stored events

# The layout of what a store holds (its tables, streams and the events' meaning), recorded in
# the store when it is made (SQLite: PRAGMA user_version, with application_id saying the file
# is a timeline store; PostgreSQL: the timeline_meta table). Raise it when a change would make
# an older version misread a store written by this one: the older one then refuses it
# (NewerStore) instead. A store made before versions were recorded is version 1.
STORE_VERSION = 1
STORE_APPLICATION_ID = 0x4F54_5354  # "OTST": an ops-timeline store, as `file(1)` may show it


def check_version(found: int, where: str) -> None:
    """Refuse a store of a later layout than this version knows."""
    if found > STORE_VERSION:
        raise NewerStore(
            f"the store {where} was written by a newer version of ops-timeline (store version "
            f"{found}; this one knows up to {STORE_VERSION}): upgrade ops-timeline to use it"
        )

LOOK_UP_CHUNK = 500  # stream ids a query of the first events


class TimelineRecorder(ApplicationRecorder):
    """An application recorder that also appends many rows in one transaction, reads the first
    events of many streams at once, and reads pages of the log as plain tuples.

    Each store's subclass writes its rows in eventsourcing's `_insert_events`, the hook its
    own examples override to write beside the events in the same transaction: whatever else a
    store must hold with its events (a table of event ids, say) is written there.
    """

    @abstractmethod
    def append_rows(self, batches: Iterable[Sequence[Row]], *, count: int = 0) -> int:
        """Insert every batch of rows, then commit once: all of them are stored, or none is.
        `count`: how many rows the batches hold, if known (a large append may be written
        differently). Returns how many rows were inserted."""

    @abstractmethod
    def select_first_events(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """The first stored event of each of these streams that exists, in a few queries, in
        no particular order."""

    @abstractmethod
    def select_first_states(self, originator_ids: Sequence[str]) -> list[bytes]:
        """The state of the first stored event of each of these streams (ids as hex) that
        exists, in a few queries, in no particular order."""

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
