"""The import's fast path: stored events written as bytes, exactly as the mapper writes them.

An import appends one stored event per record, the operation's `Recorded`, and one row of
the store's table of event ids (`IdRow`). Building the event as a pydantic object, then
dumping it, costs more than checking the record; so the import builds the same JSON directly,
as rows: the tuple `(originator id as hex, version, topic, state)` that SQLite's insert
statement takes. A test decodes these bytes with the application's mapper, rebuilds every
aggregate, and compares with what `record()` stores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent
from pydantic import TypeAdapter

from timeline.vocabulary import RECORDED

Row = tuple[str, int, str, bytes]  # (originator id hex, version, topic, state)
IdRow = tuple[str, str, str]  # (event id, digest of its record, operation): the id's row


@dataclass(slots=True)
class Batch:
    """What some records add to the store, in one transaction with the rest of a write: their
    stored events, as rows, and a row of the table of event ids for each record (whose
    primary key refuses an id stored already, by this writer or another)."""

    rows: list[Row] = field(default_factory=list)
    ids: list[IdRow] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.rows)

    def __iadd__(self, other: Batch) -> Batch:
        self.rows += other.rows
        self.ids += other.ids
        return self


_DATETIME = TypeAdapter(datetime)


def timestamp_json(moment: datetime) -> bytes:
    """A timestamp as pydantic writes it (its JSON string, quotes included)."""
    return _DATETIME.dump_json(moment)


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
