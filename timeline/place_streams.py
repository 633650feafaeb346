"""Where the gazetteer's events are stored, and the gazetteer read back from them.

Every import or record that gives a new place adds a gazetteer event; kept in one stream, they
made writers into different operations conflict on it. So the gazetteer's events are stored in
streams of their own, each taken at its next version, so that two writers conflict exactly
when their changes to the places could disagree:

- a place's stream, named for its name's key: its `PlaceRegistered` (version 1), then each
  `AliasesAdded` to it and each `PlacesMerged` keeping it; a merge also takes the next version
  of the stream of the place merged away;
- a name key's stream: a new alias takes version 1 of its key's stream (a `Guarded` event),
  so that one name never becomes two places' (a place's own name takes its place's stream);
- a spot's streams: a new place takes the next version of the grid cells of its kind that
  lie within SAME_SPOT_KM of it (`spot_cells`), so that two new places of one kind within
  that distance, given by two writers at once, conflict: the second retries, and finds the
  first place there (its name becomes an alias).

The gazetteer a writer checks against is these events read in the order they were stored
(with the single `Gazetteer` stream of a store written before, which they follow), from the
last snapshot of it on (`read`); it also says the version each stream was seen at, which a
new event of it follows. A conflict is found by eventsourcing's optimistic concurrency: the
append of a version already taken fails, and the writer checks its records again.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import EventStore, PersistenceError
from eventsourcing.utils import get_topic, resolve_topic

from timeline import geo
from timeline.domain import DomainEvent, Snapshot, stable_id
from timeline.events import Place, read_stored
from timeline.gazetteer import SAME_SPOT_KM, Gazetteer
from timeline.names import name_key
from timeline.stores.recorder import TimelineRecorder
from timeline.vocabulary import ALIASES_ADDED, PLACE_REGISTERED, PLACES_MERGED


class Guarded(DomainEvent):
    """A stream's next version taken, and nothing else said: what orders two writers whose
    changes to the places could disagree (a name key's, a spot's)."""


GUARDED = get_topic(Guarded)
PLACE_TOPICS = (PLACE_REGISTERED, ALIASES_ADDED, PLACES_MERGED, GUARDED)
AS_READ = stable_id("gazetteer", "as read")  # the snapshots of the gazetteer as read
PAGE = 5_000
SNAPSHOT_AFTER_EVENTS = 200  # gazetteer events read past the last snapshot
SNAPSHOT_AFTER_POSITIONS = 20_000  # stored events looked through past the last snapshot
_KM_A_DEGREE = geo.distance_km(0, 0, 1, 0)


def place_stream(name: str) -> UUID:
    """The stream of the place with this name, and of this name's key."""
    return stable_id("place", name_key(name))


def spot_cells(place: Place) -> list[tuple[str, geo.Cell]]:
    """The grid cells (of the place's kind) that a disc of SAME_SPOT_KM about it reaches: two
    new places of one kind that close share at least one (the nearer's own cell)."""
    km = SAME_SPOT_KM[place.kind] * 1.05  # a margin over the haversine's rounding
    lat_span = km / _KM_A_DEGREE
    wide = max(math.cos(math.radians(min(abs(place.lat) + lat_span, 89.0))), 1e-3)
    lon_span = min(km / (_KM_A_DEGREE * wide), 180.0)
    low, high = geo.cell(place.lat - lat_span, place.lon - lon_span), geo.cell(
        place.lat + lat_span, place.lon + lon_span
    )
    return [
        (place.kind, (row, column))
        for row in range(low[0], high[0] + 1)
        for column in range(low[1], high[1] + 1)
    ]


def spot_stream(kind: str, cell: geo.Cell) -> UUID:
    return stable_id("place-spot", f"{kind}/{cell[0]},{cell[1]}")


class Places:
    """The gazetteer as read from the store at `position`, the version each of its streams
    was seen at, and where its new events go (`collect`)."""

    def __init__(
        self, gazetteer: Gazetteer, versions: dict[str, int], position: int = 0
    ) -> None:
        self.gazetteer = gazetteer
        self.versions = versions  # stream id (hex) -> the last version read or taken
        self.position = position  # the store's events read up to here
        self.snapshot_position = position
        self.read_since_snapshot = 0

    def fold(self, position: int, topic: str, state: bytes) -> None:
        """Apply one stored gazetteer event (read in the order they were stored)."""
        event: Any = read_stored(resolve_topic(topic), state)
        if topic != GUARDED:
            event.apply(self.gazetteer)
        self.versions[event.originator_id.hex] = event.originator_version
        self.position = position
        self.read_since_snapshot += 1

    def collect(self) -> list[DomainEvent]:
        """The gazetteer's new events, each in its stream at the version after the one read,
        with the guards that order them against other writers' (see the module)."""
        homed: list[DomainEvent] = []
        for pending in self.gazetteer.collect_events():
            event = cast(DomainEvent, pending)
            topic = get_topic(type(event))
            if topic == PLACE_REGISTERED:
                place: Place = getattr(event, "place")  # noqa: B009 - made by @event
                homed.append(self._next(event, place_stream(place.name)))
                homed += self._names(place.aliases or (), taken={name_key(place.name)})
                homed += [self._next(self._guard(event), spot_stream(kind, cell))
                          for kind, cell in spot_cells(place)]  # fmt: skip
            elif topic == ALIASES_ADDED:
                homed.append(self._next(event, place_stream(getattr(event, "name"))))  # noqa: B009
                homed += self._names(getattr(event, "aliases"), taken=set())  # noqa: B009
            elif topic == PLACES_MERGED:
                homed.append(self._next(event, place_stream(getattr(event, "name"))))  # noqa: B009
                gone = place_stream(getattr(event, "other"))  # noqa: B009
                homed.append(self._next(self._guard(event), gone))
            # else the Started event of a Gazetteer made anew: its stream is not written
        return homed

    def _names(self, names: tuple[str, ...], taken: set[str]) -> list[DomainEvent]:
        """Version 1 of each new name key's stream (each key once)."""
        guards = []
        for name in names:
            key = name_key(name)
            if key not in taken:
                taken.add(key)
                guards.append(self._next(self._guard(None), place_stream(name)))
        return guards

    def _guard(self, event: DomainEvent | None) -> Guarded:
        timestamp = event.timestamp if event is not None else self.gazetteer.modified_on
        return Guarded(originator_id=AS_READ, originator_version=0, timestamp=timestamp)

    def _next(self, event: DomainEvent, stream: UUID) -> DomainEvent:
        version = self.versions.get(stream.hex, 0) + 1
        self.versions[stream.hex] = version
        return event.model_copy(update={"originator_id": stream, "originator_version": version})

    def snapshot(self) -> Snapshot:
        """The gazetteer as read, with its streams' versions, at the position read."""
        taken = Snapshot.take(self.gazetteer)
        state = {**taken.state, "versions": self.versions}
        return taken.model_copy(update={
            "originator_id": AS_READ, "originator_version": self.position, "state": state,
        })  # fmt: skip


def read(recorder: TimelineRecorder, snapshots: EventStore[Any] | None) -> Places:
    """The gazetteer as the store holds it now: its last snapshot, then every gazetteer event
    stored after it, in order. A snapshot is taken when many were read (or many stored events
    looked through); one that cannot be stored (a role that may only read) is not taken."""
    end = recorder.max_notification_id() or 0
    places = _last_snapshot(snapshots) or Places(Gazetteer(), {})
    while True:
        page = recorder.read_page(places.position, PAGE, PLACE_TOPICS)
        for position, topic, state in page:
            places.fold(position, topic, state)
        if len(page) < PAGE:
            break
    places.position = max(places.position, end)
    places.gazetteer.collect_events()  # a Gazetteer made anew: its Started is not stored
    due = (
        places.read_since_snapshot >= SNAPSHOT_AFTER_EVENTS
        or places.position - places.snapshot_position >= SNAPSHOT_AFTER_POSITIONS
    )
    if due and snapshots is not None:
        with contextlib.suppress(PersistenceError):  # another writer took it, or may not write
            snapshots.put([places.snapshot()])
    return places


def _last_snapshot(snapshots: EventStore[Any] | None) -> Places | None:
    if snapshots is None:
        return None
    for stored in snapshots.get(AS_READ, desc=True, limit=1):
        snapshot = cast(Snapshot, stored)
        versions = dict(snapshot.state.get("versions", {}))
        gazetteer = snapshot.mutate(None)
        assert isinstance(gazetteer, Gazetteer), type(gazetteer)
        return Places(gazetteer, versions, snapshot.originator_version)
    return None
