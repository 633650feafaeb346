"""Event ids are unique in the store: each id claims a stream of its own (an index aggregate)."""

from __future__ import annotations

import hashlib
from uuid import UUID

import orjson
from eventsourcing.domain import event

from timeline.domain import Aggregate, stable_id
from timeline.events import Event


def digest(record: Event) -> str:
    """A fingerprint of a record's content: the same record imported twice is one event."""
    content = orjson.dumps(record.canonical(), option=orjson.OPT_SORT_KEYS)
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
