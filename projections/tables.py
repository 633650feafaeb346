"""Whole read-model tables as rows, every column, for exports: the SQL that `exports/` never
writes.

A selection of events (`choose`) is kept in a temporary table of the connection, in order;
every other table is then cut to it with a join: the sources and actors of the chosen
events, the places they name and those places' control periods, the forces and operations
of the operations they belong to. Without a selection every table is read whole. Rows come
out one at a time (a cursor, not a list), so an export of a million events holds one row.

List columns hold one encoding, read back by `decode` (and only there).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

from projections import queries, schema
from projections.projector import Stored, stored_states
from timeline.errors import InvalidInput
from timeline.readings import reading
from timeline.vocabulary import REPORT_CORRECTED

Row = dict[str, Any]
TABLES = ("events", "sources", "actors", "places", "control", "forces", "operations")
BY_OCCURRENCE = "e.occurred_mid IS NULL, e.occurred_mid, e.position"

# The list columns of each table: JSON arrays (None when empty), decoded here and only here.
LISTS: dict[str, tuple[str, ...]] = {
    "events": (
        "attackers", "defenders", "supporters", "parties", "forces", "grades", "outlets",
        "quotes",
    ),
    "places": ("aliases",),
    "control": ("events", "derived_from"),
    "forces": ("roles", "strength_shared_with", "derived_from"),
    "operations": ("launched", "sides", "derived_from"),
}
def decode(table: str, row: Row) -> Row:
    """The row with each of its list columns as a list (empty for none)."""
    for column in LISTS.get(table, ()):
        if column not in row:
            continue
        value = row[column]
        row[column] = [] if value is None else orjson.loads(value)
    return row


class Selection:
    """Which events an export holds: every one (`whole`), or those chosen, in order."""

    def __init__(self, db: sqlite3.Connection, whole: bool) -> None:
        self.db = db
        self.whole = whole

    def rows(self, table: str) -> Iterator[Row]:
        """Every row of the table that belongs to the selection, every column, in order."""
        if table not in TABLES:
            raise InvalidInput("table", f"no table '{table}': one of {', '.join(TABLES)}")
        sql = (_WHOLE if self.whole else _CUT)[table]
        cursor = self.db.execute(sql)
        names = [column[0] for column in cursor.description]
        for values in cursor:
            yield dict(zip(names, values, strict=True))

    def columns(self, table: str) -> list[str]:
        """The table's columns, in order: a header for an export that finds no row."""
        cursor = self.db.execute(f"SELECT * FROM ({_WHOLE[table]}) LIMIT 0")
        return [column[0] for column in cursor.description]

    def event_ids(self) -> set[str] | None:
        """The ids of the chosen events; None for every event."""
        if self.whole:
            return None
        return {event_id for (event_id,) in self.db.execute("SELECT id FROM temp.chosen")}

    def readings(self, stored: Stored | None = None) -> Iterator[tuple[Row, Row]]:
        """Each chosen event's row (decoded) with its record as it reads now: as first
        recorded, then each correction of it (`timeline.readings`), from the history (and
        `stored`, the store's events by position, which it keeps no copy of). The chosen
        events only: a selection of every event is read as one of every operation."""
        if self.whole:
            raise InvalidInput("include_retracted", "a reading is of an event that is chosen")
        events = self.db.execute(_CHOSEN_EVENTS)
        names = [column[0] for column in events.description]
        states = _with_states(self.db.execute(_READINGS), stored)
        pending = next(states, None)
        for n, *values in events:
            row = dict(zip(names[1:], values, strict=True))
            records: list[Row] = []
            while pending is not None and pending[0] == n:
                records.append(orjson.loads(pending[1])["record"])
                pending = next(states, None)
            first, *corrections = records
            yield decode("events", row), reading(first, (c["changes"] for c in corrections))

    def count(self) -> int:
        table = "events" if self.whole else "temp.chosen"
        return int(self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


READ_AT_ONCE = 5_000  # history rows whose stored events are read from the store at once


def _with_states(
    rows: Iterable[tuple[int, str | None, int]], stored: Stored | None
) -> Iterator[tuple[int, str | bytes]]:
    """(n, state) of each (n, state or NULL, position): the state kept, or the store's."""
    remaining = iter(rows)
    while chunk := list(itertools.islice(remaining, READ_AT_ONCE)):
        states = stored_states(((position, state) for _, state, position in chunk), stored)
        for (n, _, _), (_, state) in zip(chunk, states, strict=True):
            yield n, state


def choose(
    db: sqlite3.Connection,
    *,
    operations: Sequence[str] = (),
    include_retracted: bool = False,
    **filters: Any,
) -> Selection:
    """The events of these operations (none: of every operation) that match the filters of
    `queries.query` (place, force, side, type, between, text, min_grade), in order of
    operation as given, then of occurrence. No operation, filter or retracted event left out:
    the whole store, read table by table."""
    filters = {key: value for key, value in filters.items() if value is not None}
    slugs = [queries.find_operation(db, slug) for slug in dict.fromkeys(operations)]
    if not slugs and not filters and include_retracted:
        return Selection(db, whole=True)
    db.execute("DROP TABLE IF EXISTS temp.chosen")
    db.execute("CREATE TEMP TABLE chosen (n INTEGER PRIMARY KEY, id TEXT NOT NULL)")
    every: list[str | None] = [None]  # no operation named: every one
    for slug in [*slugs] or every:
        if filters:
            found = queries.query(
                db, operation=slug, include_retracted=include_retracted, limit=None, **filters
            )
            db.executemany("INSERT INTO temp.chosen (id) VALUES (?)", [(r["id"],) for r in found])
            continue
        where = ["1"]
        params: list[Any] = []
        if slug is not None:
            where.append("e.operation = ?")
            params.append(slug)
        if not include_retracted:
            where.append("e.status != 'retracted'")
        db.execute(
            f"INSERT INTO temp.chosen (id) SELECT e.id FROM events e "
            f"WHERE {' AND '.join(where)} ORDER BY {BY_OCCURRENCE}",
            params,
        )
    return Selection(db, whole=False)


_CHOSEN_EVENTS = "SELECT c.n, e.* FROM temp.chosen c JOIN events e ON e.id = c.id ORDER BY c.n"
_READINGS = (  # a chosen event's record (kept once corrected), then its corrections', in order
    "SELECT c.n, h.state, h.position FROM temp.chosen c "
    "JOIN history_kept h ON h.event_id = c.id "
    "UNION ALL SELECT c.n, NULL, e.position FROM temp.chosen c JOIN events e ON e.id = c.id "
    f"WHERE {schema.NOT_KEPT} "
    f"UNION ALL SELECT c.n, h.state, h.position FROM temp.chosen c "
    f"JOIN history_kept h ON h.target = c.id AND h.type = '{REPORT_CORRECTED}' ORDER BY 1, 3"
)
_OPERATIONS_CHOSEN = (
    "SELECT DISTINCT e.operation FROM temp.chosen c JOIN events e ON e.id = c.id"
)
_PLACES_CHOSEN = "SELECT DISTINCT e.place FROM temp.chosen c JOIN events e ON e.id = c.id"

def _of_events(table: str, alias: str, *extra: str) -> str:
    """A child table's columns as researchers read them: its event's id (and `extra` of the
    event's columns) for the position it is keyed by."""
    own = [column for column in schema.TABLES[table]["columns"] if column != "position"]
    return ", ".join(["e.id AS event_id", *(f"{alias}.{own[0]}",), *extra,
                      *(f"{alias}.{column}" for column in own[1:])])  # fmt: skip


_SOURCES = _of_events("sources", "s")
_ACTORS = _of_events("actors", "a", "e.operation")
_WHOLE = {
    "events": f"SELECT * FROM events e ORDER BY e.operation, {BY_OCCURRENCE}",
    "sources": f"SELECT {_SOURCES} FROM sources s JOIN events e ON e.rowid = s.position "
    f"ORDER BY e.operation, {BY_OCCURRENCE}, s.n",
    "actors": f"SELECT {_ACTORS} FROM actors a JOIN events e ON e.rowid = a.position "
    f"ORDER BY e.operation, {BY_OCCURRENCE}, a.n",
    "places": "SELECT * FROM places ORDER BY name",
    "control": "SELECT * FROM control ORDER BY place, period",
    "forces": "SELECT * FROM forces ORDER BY operation, force",
    "operations": "SELECT * FROM operations ORDER BY operation",
}
_CUT = {
    "events": "SELECT e.* FROM temp.chosen c JOIN events e ON e.id = c.id ORDER BY c.n",
    "sources": f"SELECT {_SOURCES} FROM temp.chosen c JOIN events e ON e.id = c.id "
    "JOIN sources s ON s.position = e.rowid ORDER BY c.n, s.n",
    "actors": f"SELECT {_ACTORS} FROM temp.chosen c JOIN events e ON e.id = c.id "
    "JOIN actors a ON a.position = e.rowid ORDER BY c.n, a.n",
    "places": f"SELECT * FROM places WHERE name IN ({_PLACES_CHOSEN}) ORDER BY name",
    "control": f"SELECT * FROM control WHERE place IN ({_PLACES_CHOSEN}) ORDER BY place, period",
    "forces": f"SELECT * FROM forces WHERE operation IN ({_OPERATIONS_CHOSEN}) "
    "ORDER BY operation, force",
    "operations": f"SELECT * FROM operations WHERE operation IN ({_OPERATIONS_CHOSEN}) "
    "ORDER BY operation",
}
