"""Event ids are unique in the store: each id claims a stream of its own (an index aggregate)."""

from __future__ import annotations

import hashlib
from uuid import UUID

from eventsourcing.domain import event

from timeline.domain import Aggregate, stable_id
from timeline.events import Event


def record_json(record: Event) -> bytes:
    """The record as stored: its JSON, keys in the vocabulary's order, absent keys left out."""
    return record.__pydantic_serializer__.to_json(record, exclude_none=True)


def digest(content: bytes) -> str:
    """A fingerprint of a record's JSON: the same record imported twice is one event."""
    return hashlib.blake2b(content, digest_size=16).hexdigest()


class EventIdClaim(Aggregate):
    """The claim of one event id by one event: a second claim of the same id cannot be stored."""

    @staticmethod
    def create_id(event_id: str) -> UUID:
        return stable_id("event", event_id)

    @event("Claimed")
    def __init__(self, event_id: str, operation: str, digest: str) -> None:
        self.event_id = event_id
        self.operation = operation
        self.digest = digest
