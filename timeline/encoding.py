"""The import's fast path: stored events written as bytes, exactly as the mapper writes them.

An import appends two stored events per record: the operation's `Recorded` and the id's
`Claimed`. Building each as a pydantic event object, then dumping it, costs more than checking
the record; so the import builds the same JSON directly, as rows: the tuple
`(originator id as hex, version, topic, state)` that SQLite's insert statement takes. A test
decodes these bytes with the application's mapper, rebuilds every aggregate, and compares with
what `record()` stores.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from pydantic import TypeAdapter

from timeline.domain import NAMESPACE
from timeline.registry import EventIdClaim
from timeline.vocabulary import RECORDED

Row = tuple[str, int, str, bytes]  # (originator id hex, version, topic, state)

_CLAIM_CLASS_TOPIC = orjson.dumps(get_topic(EventIdClaim))
_DATETIME = TypeAdapter(datetime)
_NAMESPACE = NAMESPACE.bytes


def timestamp_json(moment: datetime) -> bytes:
    """A timestamp as pydantic writes it (its JSON string, quotes included)."""
    return _DATETIME.dump_json(moment)


def claim_hex(event_id: str) -> str:
    """`EventIdClaim.create_id(event_id).hex` (a UUID version 5) without making UUID objects:
    an import computes one for every line, and uuid5() costs three times as much."""
    name = _NAMESPACE + b"event/" + event_id.encode()
    digest = bytearray(hashlib.sha1(name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return digest.hex()


def dashed(hex_id: str) -> str:
    """`str(UUID(hex_id))`: how pydantic writes a UUID in JSON."""
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"


def row(stored: StoredEvent) -> Row:
    """A stored event as a row."""
    originator_id = stored.originator_id
    hex_id = originator_id.hex if isinstance(originator_id, UUID) else str(originator_id)
    return hex_id, stored.originator_version, stored.topic, stored.state


def stored_event(row: Row) -> StoredEvent:
    """A row as a stored event, for the recorders that insert those."""
    return StoredEvent(UUID(row[0]), row[1], row[2], row[3])


class Stream:
    """The JSON an operation's stream repeats in every event: its id, written once."""

    def __init__(self, operation_id: UUID) -> None:
        self.hex = operation_id.hex
        self.json_id = str(operation_id).encode()


def analyst_json(analyst: str | None) -> bytes:
    """The `analyst` key of a `Recorded` event as pydantic writes it (none for None)."""
    return b',"analyst":' + orjson.dumps(analyst) if analyst is not None else b""


def recorded(
    stream: Stream, version: int, timestamp: bytes, record: bytes, analyst: bytes = b""
) -> Row:
    """The Operation's `Recorded` event; `record` is the record's own JSON (no nulls),
    `analyst` what `analyst_json` makes of who recorded it."""
    state = b'{"originator_id":"%s","originator_version":%d,"timestamp":%s,"record":%s%s}' % (
        stream.json_id, version, timestamp, record, analyst,
    )  # fmt: skip
    return stream.hex, version, RECORDED, state


def claimed(claim: str, event_id: str, operation: str, digest: str, timestamp: bytes) -> bytes:
    """The state of the `Claimed` event that creates an EventIdClaim stream, whose id (hex) is
    `claim`."""
    return (
        b'{"originator_id":"%s","originator_version":1,"timestamp":%s,"originator_topic":%s,'
        b'"event_id":%s,"operation":%s,"digest":"%s"}'
    ) % (
        dashed(claim).encode(), timestamp, _CLAIM_CLASS_TOPIC, orjson.dumps(event_id),
        orjson.dumps(operation), digest.encode(),
    )  # fmt: skip
