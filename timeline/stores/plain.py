"""An SQLite store's events read by their position in its log with sqlite3 alone: what a
question asked as of a past moment (or `history`) reads, without importing eventsourcing;
each state unpacked (timeline.stores.packing)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from timeline.stores.packing import unpack

EVENTS_TABLE = "stored_events"  # eventsourcing's SQLite application recorder's table


def read_positions(
    cursor: sqlite3.Cursor | sqlite3.Connection, positions: Sequence[int],
    table: str = EVENTS_TABLE,
) -> list[tuple[int, str, bytes]]:  # fmt: skip
    """(position, topic, state) of the stored events at these positions, in order, each
    state as JSON however it is stored."""
    statement = (
        f"SELECT rowid, topic, state FROM {table} "
        "WHERE rowid IN (SELECT value FROM json_each(?)) ORDER BY rowid"
    )
    listed = f"[{','.join(str(int(position)) for position in positions)}]"
    return [
        (position, topic, unpack(state))
        for position, topic, state in cursor.execute(statement, (listed,))
    ]
