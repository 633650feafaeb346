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

import sqlite3
from collections.abc import Iterable

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


def refresh_stale(cursor: sqlite3.Cursor) -> None:
    """Recompute control, forces and operations wherever they are stale, then clear the marks.

    Done once at the end of a catch-up (in its own transaction), not per page: a large catch-up
    touches every operation on every page. The marks are written with each page, so a crash
    leaves them for the next catch-up to finish.
    """
    for (place,) in cursor.execute("SELECT key FROM stale WHERE kind = 'place'").fetchall():
        refresh_control(cursor, place)
    cursor.execute(
        "DELETE FROM forces WHERE operation IN (SELECT key FROM stale WHERE kind = 'operation')"
    )
    cursor.execute(_FORCES, TAKING_TYPES)
    cursor.execute(
        "DELETE FROM operations WHERE operation IN (SELECT key FROM stale WHERE kind = 'operation')"
    )
    for (operation,) in cursor.execute("SELECT key FROM stale WHERE kind = 'operation'").fetchall():
        refresh_operation(cursor, operation)
    cursor.execute("DELETE FROM stale")


def refresh_control(cursor: sqlite3.Cursor, place: str) -> None:
    cursor.execute("DELETE FROM control WHERE place = ?", (place,))
    events = cursor.execute(
        f"SELECT id, type, occurred_earliest, occurred_latest, attackers, defenders "
        f"FROM events WHERE place = ? AND status != 'retracted' AND type IN "
        f"({', '.join('?' * len(CONTROL_TYPES))}) ORDER BY {_ORDER}",
        (place, *sorted(CONTROL_TYPES)),
    ).fetchall()
    periods: list[dict[str, object]] = []
    for event_id, kind, earliest, latest, attackers, defenders in events:
        current = periods[-1] if periods else None
        if kind == "place_entered":
            if current is None:
                current = _period(defenders or UNKNOWN, event_id, earliest, latest)
                periods.append(current)
            elif event_id not in current["events"]:  # type: ignore[operator]
                current["events"].append(event_id)  # type: ignore[attr-defined]
            if current["contested_event"] is None:
                current.update(contested_from=earliest, contested_event=event_id)
            continue
        side = attackers or UNKNOWN
        if current is not None and current["side"] == side:
            current["events"].append(event_id)  # type: ignore[attr-defined]
            continue
        if current is not None:
            current.update(end_earliest=earliest, end_latest=latest, end_event=event_id)
        periods.append(_period(side, event_id, earliest, latest))
    cursor.executemany(
        "INSERT INTO control VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (place, n, p["side"], p["start_earliest"], p["start_latest"], p["start_event"],
             p["end_earliest"], p["end_latest"], p["end_event"], p["contested_from"],
             p["contested_event"], orjson.dumps(p["events"]).decode())
            for n, p in enumerate(periods, start=1)
        ],
    )  # fmt: skip


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
    WHERE a.operation IN (SELECT key FROM stale WHERE kind = 'operation')
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


def refresh_operation(cursor: sqlite3.Cursor, operation: str) -> None:
    launches = cursor.execute(
        "SELECT occurred, occurred_earliest, occurred_latest FROM events WHERE operation = ? "
        "AND type = 'operation_launched' AND status != 'retracted' ORDER BY " + _ORDER,
        (operation,),
    ).fetchall()
    conclusion = cursor.execute(
        "SELECT occurred, occurred_earliest, occurred_latest FROM events WHERE operation = ? "
        "AND type = 'operation_concluded' AND status != 'retracted' ORDER BY " + _ORDER,
        (operation,),
    ).fetchone()
    totals = cursor.execute(
        f"""SELECT count(*), min(occurred_earliest), max(occurred_latest),
                   count(DISTINCT CASE WHEN type IN ({", ".join("?" * len(TAKING_TYPES))})
                                       THEN place END)
            FROM events WHERE operation = ? AND status != 'retracted'""",
        (*TAKING_TYPES, operation),
    ).fetchone()
    if totals[0] == 0:
        return
    sides = cursor.execute(
        "SELECT group_concat(side, ' + ') FROM (SELECT DISTINCT a.side FROM actors a "
        "JOIN events e ON e.id = a.event_id AND e.status != 'retracted' "
        "WHERE a.operation = ? ORDER BY a.side)",
        (operation,),
    ).fetchone()[0]
    texts = list(dict.fromkeys(text for text, _, _ in launches))
    cursor.execute(
        "INSERT INTO operations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            operation,
            "concluded" if conclusion else "ongoing",
            " | ".join(texts) or None,
            min((e for _, e, _ in launches if e), default=None),
            max((latest for _, _, latest in launches if latest), default=None),
            len(launches),
            int(len(texts) > 1),
            *(conclusion or (None, None, None)),
            totals[1],
            totals[2],
            totals[0],
            totals[3],
            sides,
        ),
    )
