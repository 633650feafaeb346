"""Aggregates whose events are frozen pydantic models (eventsourcing's aggregate8 example)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Self
from uuid import UUID, uuid5

from eventsourcing.domain import (
    BaseAggregate,
    CanInitAggregate,
    CanMutateAggregate,
    CanSnapshotAggregate,
)
from eventsourcing.utils import get_topic, resolve_topic
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
    """An aggregate's state at one version, as JSON data: each aggregate says what it keeps
    (`snapshot_state`) and how it comes back (`restore`). Snapshots only spare a replay."""

    topic: str
    state: dict[str, Any]

    @classmethod
    def take(cls, aggregate: Any) -> Self:
        state = {
            "created_on": aggregate.created_on.isoformat(),
            "modified_on": aggregate.modified_on.isoformat(),
            **aggregate.snapshot_state(),
        }
        return cls(
            originator_id=aggregate.id, originator_version=aggregate.version,
            timestamp=cls.create_timestamp(), topic=get_topic(type(aggregate)), state=state,
        )  # fmt: skip

    def mutate(self, _: None) -> Any:
        state = dict(self.state)
        aggregate = object.__new__(resolve_topic(self.topic))
        aggregate.__dict__.update(
            _id=self.originator_id, _version=self.originator_version, _pending_events=[],
            _created_on=datetime.fromisoformat(state.pop("created_on")),
            _modified_on=datetime.fromisoformat(state.pop("modified_on")),
        )  # fmt: skip
        aggregate.restore(state)
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
