"""Aggregates whose events are frozen pydantic models (eventsourcing's aggregate8 example)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from uuid import UUID, uuid5

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
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


class Aggregate(BaseAggregate[UUID]):
    class Event(DomainEvent, CanMutateAggregate[UUID]):
        pass

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str
