"""What the application and the catch-up ask of a store, beside eventsourcing's own methods."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent

if TYPE_CHECKING:
    from timeline.encoding import Row

Page = list[tuple[int, str, bytes]]  # (position in the log, topic, state) of stored events

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
    def read_page(self, after: int, limit: int, topics: Sequence[str]) -> Page:
        """(position, topic, state) of the next `limit` stored events of these topics after
        position `after`, in order: what `select_notifications` gives, without making a
        Notification and a UUID of every row."""
