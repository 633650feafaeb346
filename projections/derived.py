"""Read models derived from the `events` rows: control of places, forces, operations.

Each is recomputed, for the places and operations a batch touched, from the events as they
currently read; so a correction or a retraction moves every period and total it affects, and
a rebuild gives exactly what the incremental updates gave.

Control: `place_captured`, `place_liberated` and `crossing_captured` give the place to the
attacking side; `place_lost` gives it to the attacking side where one is named, else to
`unknown`; `place_entered` marks the current period contested without changing the holder (and
opens one for the defending side, or `unknown`, when none is open). A second capture by the side
already holding the place corroborates the period rather than opening a new one.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

import orjson

UNKNOWN = "unknown"
TAKING_TYPES = ("crossing_captured", "place_captured", "place_liberated")
CONTROL_TYPES = (*TAKING_TYPES, "place_lost", "place_entered")
_ORDER = "occurred_mid IS NULL, occurred_mid, position"


def mark_stale(cursor: sqlite3.Cursor, places: Iterable[str], operations: Iterable[str]) -> None:
    """Note, in the projecting transaction, what the derived models must recompute."""
    cursor.executemany(
        "INSERT OR IGNORE INTO stale VALUES (?, ?)",
        [("place", place) for place in places] + [("operation", op) for op in operations],
    )


_STALE_PLACES = "SELECT key FROM stale WHERE kind = 'place'"
_STALE_OPERATIONS = "SELECT key FROM stale WHERE kind = 'operation'"


def refresh_stale(cursor: sqlite3.Cursor) -> None:
    """Recompute control, forces and operations wherever they are stale, then clear the marks.

    Done once at the end of a catch-up (in its own transaction), not per page: a large catch-up
    touches every operation on every page. The marks are written with each page, so a crash
    leaves them for the next catch-up to finish. Each model is recomputed for every stale
    place or operation at once, in a few statements, not in a few statements for each.
    """
    refresh_control(cursor)
    cursor.execute(f"DELETE FROM forces WHERE operation IN ({_STALE_OPERATIONS})")
    cursor.execute(_FORCES.format(operation=_actors_operation(cursor)), TAKING_TYPES)
    refresh_operations(cursor)
    cursor.execute("DELETE FROM stale WHERE kind IN ('place', 'operation')")


def _actors_operation(cursor: sqlite3.Cursor) -> str:
    """`a.operation`, or `+a.operation` (which keeps SQLite off its index) when a quarter or
    more of the operations are stale: reading the actors in table order then beats looking
    up each operation's (twice as fast at 100,000 events)."""
    stale = cursor.execute("SELECT count(*) FROM stale WHERE kind = 'operation'").fetchone()[0]
    total = cursor.execute("SELECT count(*) FROM operations").fetchone()[0]
    return "+a.operation" if stale * 4 >= total else "a.operation"


def refresh_control(cursor: sqlite3.Cursor) -> None:
    """The periods of control of every stale place, from its events in order of occurrence."""
    cursor.execute(f"DELETE FROM control WHERE place IN ({_STALE_PLACES})")
    events = cursor.execute(
        f"SELECT place, id, type, occurred_earliest, occurred_latest, attackers, defenders "
        f"FROM events WHERE place IN ({_STALE_PLACES}) AND status != 'retracted' AND type IN "
        f"({', '.join('?' * len(CONTROL_TYPES))}) ORDER BY place, {_ORDER}",
        sorted(CONTROL_TYPES),
    )
    rows = []
    for place, of_place in itertools.groupby(events, key=itemgetter(0)):
        rows += [
            (place, n, p["side"], p["start_earliest"], p["start_latest"], p["start_event"],
             p["end_earliest"], p["end_latest"], p["end_event"], p["contested_from"],
             p["contested_event"], orjson.dumps(p["events"]).decode())
            for n, p in enumerate(_periods(of_place), start=1)
        ]  # fmt: skip
    cursor.executemany("INSERT INTO control VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _periods(events: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    periods: list[dict[str, Any]] = []
    for _, event_id, kind, earliest, latest, attackers, defenders in events:
        current = periods[-1] if periods else None
        if kind == "place_entered":
            if current is None:
                current = _period(defenders or UNKNOWN, event_id, earliest, latest)
                periods.append(current)
            elif event_id not in current["events"]:
                current["events"].append(event_id)
            if current["contested_event"] is None:
                current.update(contested_from=earliest, contested_event=event_id)
            continue
        side = attackers or UNKNOWN
        if current is not None and current["side"] == side:
            current["events"].append(event_id)
            continue
        if current is not None:
            current.update(end_earliest=earliest, end_latest=latest, end_event=event_id)
        periods.append(_period(side, event_id, earliest, latest))
    return periods


def _period(side: str, event_id: str, earliest: str | None, latest: str | None) -> dict:
    return {
        "side": side, "start_earliest": earliest, "start_latest": latest,
        "start_event": event_id, "end_earliest": None, "end_latest": None, "end_event": None,
        "contested_from": None, "contested_event": None, "events": [event_id],
    }  # fmt: skip


_FORCES = """
WITH act AS (
    SELECT a.operation, a.force, a.side, a.role, e.id, e.type, e.place,
           e.occurred_earliest, e.occurred_latest, e.position,
           e.strength_best, e.strength_low, e.strength_high
    FROM actors a JOIN events e ON e.id = a.event_id
    WHERE {operation} IN (SELECT key FROM stale WHERE kind = 'operation')
      AND e.status != 'retracted'
),
sides AS (
    SELECT operation, force, side,
           row_number() OVER (PARTITION BY operation, force ORDER BY count(*) DESC, side) AS n
    FROM act GROUP BY operation, force, side
),
roles AS (
    SELECT operation, force, group_concat(role, ',') AS roles
    FROM (SELECT DISTINCT operation, force, role FROM act ORDER BY operation, force, role)
    GROUP BY operation, force
),
strengths AS (
    SELECT operation, force, id, strength_best, strength_low, strength_high,
           row_number() OVER (
               PARTITION BY operation, force ORDER BY occurred_latest DESC, position DESC
           ) AS n
    FROM act WHERE type = 'forces_committed'
),
totals AS (
    SELECT operation, force, min(occurred_earliest) AS first, max(occurred_latest) AS last,
           count(DISTINCT id) AS events,
           count(DISTINCT CASE WHEN role = 'attacker' AND type IN (?, ?, ?) THEN place END)
               AS taken
    FROM act GROUP BY operation, force
)
INSERT INTO forces
SELECT t.operation, t.force, s.side, r.roles,
       st.strength_best, st.strength_low, st.strength_high, st.id,
       (SELECT group_concat(force, '; ') FROM
           (SELECT a.force FROM actors a WHERE a.event_id = st.id AND a.force != t.force
            ORDER BY a.rowid)),
       t.first, t.last, t.events, t.taken
FROM totals t
JOIN sides s ON s.operation = t.operation AND s.force = t.force AND s.n = 1
JOIN roles r ON r.operation = t.operation AND r.force = t.force
LEFT JOIN strengths st ON st.operation = t.operation AND st.force = t.force AND st.n = 1
"""


def refresh_operations(cursor: sqlite3.Cursor) -> None:
    """The launch, conclusion, span, totals and sides of every stale operation."""
    cursor.execute(f"DELETE FROM operations WHERE operation IN ({_STALE_OPERATIONS})")

    def dates_of(kind: str) -> dict[str, list[tuple[Any, ...]]]:
        found: dict[str, list[tuple[Any, ...]]] = {}
        for operation, *dates in cursor.execute(
            f"SELECT operation, occurred, occurred_earliest, occurred_latest FROM events "
            f"WHERE operation IN ({_STALE_OPERATIONS}) AND type = ? AND status != 'retracted' "
            f"ORDER BY operation, {_ORDER}",
            (kind,),
        ):
            found.setdefault(operation, []).append(tuple(dates))
        return found

    launched, concluded = dates_of("operation_launched"), dates_of("operation_concluded")
    sides = dict(
        cursor.execute(
            "SELECT operation, group_concat(side, ' + ') FROM (SELECT DISTINCT a.operation, "
            "a.side FROM actors a JOIN events e ON e.id = a.event_id AND e.status != "
            f"'retracted' WHERE a.operation IN ({_STALE_OPERATIONS}) ORDER BY a.operation, "
            "a.side) GROUP BY operation"
        ).fetchall()
    )
    totals = cursor.execute(
        f"""SELECT operation, count(*), min(occurred_earliest), max(occurred_latest),
                   count(DISTINCT CASE WHEN type IN ({", ".join("?" * len(TAKING_TYPES))})
                                       THEN place END)
            FROM events WHERE operation IN ({_STALE_OPERATIONS}) AND status != 'retracted'
            GROUP BY operation""",
        TAKING_TYPES,
    ).fetchall()
    rows = []
    for operation, count, first, last, places_taken in totals:
        launches = launched.get(operation, [])
        conclusion = concluded.get(operation, [None])[0]
        texts = list(dict.fromkeys(text for text, _, _ in launches))
        rows.append((
            operation, "concluded" if conclusion else "ongoing", " | ".join(texts) or None,
            min((e for _, e, _ in launches if e), default=None),
            max((latest for _, _, latest in launches if latest), default=None),
            len(launches), int(len(texts) > 1), *(conclusion or (None, None, None)),
            first, last, count, places_taken, sides.get(operation),
        ))  # fmt: skip
    cursor.executemany(
        "INSERT INTO operations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )
