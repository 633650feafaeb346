"""Aggregates whose events are frozen pydantic models (eventsourcing's aggregate8 example)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Self, cast
from uuid import UUID, uuid5

from eventsourcing.domain import (
    BaseAggregate,
    CanInitAggregate,
    CanMutateAggregate,
    CanSnapshotAggregate,
    MutableOrImmutableAggregate,
)
from pydantic import BaseModel, ConfigDict

NAMESPACE = UUID("5b0d9a1e-7f3c-4c55-9a55-0e2a4c8f3b11")


@lru_cache(maxsize=8192)
def stable_id(kind: str, key: str) -> UUID:
    """The same UUID for the same key forever: how a slug or an event id finds its stream."""
    return uuid5(NAMESPACE, f"{kind}/{key}")


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    originator_id: UUID
    originator_version: int
    timestamp: datetime


class Snapshot(DomainEvent, CanSnapshotAggregate[UUID]):
    """An aggregate's state at one version, as JSON data. Each aggregate says what it keeps
    (`snapshot_state`) and how it comes back (`restore`); eventsourcing takes and restores the
    snapshot, which records the aggregate class's `class_version` and brings an older
    snapshot's data up to date with the class's `upcast_v1_v2(state)` (and so on) static
    methods. Snapshots only spare a replay."""

    topic: str
    state: dict[str, Any]

    @classmethod
    def take(cls, aggregate: MutableOrImmutableAggregate[UUID]) -> Self:
        """eventsourcing's snapshot of the aggregate, holding what the aggregate keeps."""
        snapshot = super().take(aggregate)
        own = cast(Aggregate, aggregate)
        state = {
            **{key: snapshot.state[key] for key in ("class_version",) if key in snapshot.state},
            "created_on": own.created_on.isoformat(),
            "modified_on": own.modified_on.isoformat(),
            **own.snapshot_state(),
        }
        return snapshot.model_copy(update={"state": state})

    def mutate(self, _: None) -> Aggregate:
        """eventsourcing's restore (the data upcast to the class's version; id and version
        set), then the aggregate's own `restore` of the data it kept."""
        aggregate = cast(Aggregate, super().mutate(None))
        kept = dict(vars(aggregate))
        vars(aggregate).clear()
        vars(aggregate).update(
            _id=kept.pop("_id"), _version=kept.pop("_version"),
            _pending_events=kept.pop("_pending_events"),
            _created_on=datetime.fromisoformat(kept.pop("created_on")),
            _modified_on=datetime.fromisoformat(kept.pop("modified_on")),
        )  # fmt: skip
        aggregate.restore(kept)
        return aggregate


class Aggregate(BaseAggregate[UUID]):
    class Event(DomainEvent, CanMutateAggregate[UUID]):
        pass

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str

    Snapshot = Snapshot

    def snapshot_state(self) -> dict[str, Any]:
        """The aggregate's own state as JSON data, for a snapshot."""
        raise NotImplementedError

    def restore(self, state: dict[str, Any]) -> None:
        """Set the aggregate's own state from `snapshot_state()`'s data."""
        raise NotImplementedError
