"""The import's fast path: stored events written as bytes, exactly as the mapper writes them.

An import appends two stored events per record: the operation's `Recorded` and the id's
`Claimed`. Building each as a pydantic event object, then dumping it, costs more than checking
the record; so the import builds the same JSON directly. A test decodes these bytes with the
application's mapper, rebuilds every aggregate, and compares with what `record()` stores.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from pydantic import TypeAdapter

from timeline.operation import Operation
from timeline.registry import EventIdClaim

RECORDED_TOPIC = get_topic(Operation.Recorded)  # type: ignore[attr-defined]
CLAIMED_TOPIC = get_topic(EventIdClaim.Claimed)  # type: ignore[attr-defined]
_CLAIM_CLASS_TOPIC = orjson.dumps(get_topic(EventIdClaim))
_DATETIME = TypeAdapter(datetime)


def timestamp_json(moment: datetime) -> bytes:
    """A timestamp as pydantic writes it (its JSON string, quotes included)."""
    return _DATETIME.dump_json(moment)


def recorded(operation_id: UUID, version: int, timestamp: bytes, record: bytes) -> StoredEvent:
    """The Operation's `Recorded` event; `record` is the record's own JSON (no nulls)."""
    state = b'{"originator_id":"%s","originator_version":%d,"timestamp":%s,"record":%s}' % (
        str(operation_id).encode(), version, timestamp, record,
    )  # fmt: skip
    return StoredEvent(operation_id, version, RECORDED_TOPIC, state)


def claimed(event_id: str, operation: str, digest: str, timestamp: bytes) -> StoredEvent:
    """The `Claimed` event that creates an EventIdClaim stream."""
    claim_id = EventIdClaim.create_id(event_id)
    state = (
        b'{"originator_id":"%s","originator_version":1,"timestamp":%s,"originator_topic":%s,'
        b'"event_id":%s,"operation":%s,"digest":"%s"}'
    ) % (
        str(claim_id).encode(), timestamp, _CLAIM_CLASS_TOPIC, orjson.dumps(event_id),
        orjson.dumps(operation), digest.encode(),
    )  # fmt: skip
    return StoredEvent(claim_id, 1, CLAIMED_TOPIC, state)
