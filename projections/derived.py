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


def refresh(cursor: sqlite3.Cursor, places: Iterable[str], operations: Iterable[str]) -> None:
    for place in places:
        refresh_control(cursor, place)
    for operation in operations:
        refresh_forces(cursor, operation)
        refresh_operation(cursor, operation)


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


def refresh_forces(cursor: sqlite3.Cursor, operation: str) -> None:
    cursor.execute("DELETE FROM forces WHERE operation = ?", (operation,))
    cursor.execute(
        """
        INSERT INTO forces
        SELECT a.operation, a.force,
               (SELECT a2.side FROM actors a2 JOIN events e2 ON e2.id = a2.event_id
                 WHERE a2.operation = a.operation AND a2.force = a.force
                   AND e2.status != 'retracted'
                 GROUP BY a2.side ORDER BY count(*) DESC, a2.side LIMIT 1),
               group_concat(DISTINCT a.role),
               s.strength_best, s.strength_low, s.strength_high, s.id,
               (SELECT group_concat(a3.force, '; ') FROM actors a3
                 WHERE a3.event_id = s.id AND a3.force != a.force),
               min(e.occurred_earliest), max(e.occurred_latest),
               count(DISTINCT e.id),
               count(DISTINCT CASE WHEN a.role = 'attacker' AND e.type IN (?, ?, ?)
                                   THEN e.place END)
        FROM actors a
        JOIN events e ON e.id = a.event_id AND e.status != 'retracted'
        LEFT JOIN events s ON s.id = (
            SELECT e4.id FROM events e4 JOIN actors a4 ON a4.event_id = e4.id
             WHERE a4.operation = a.operation AND a4.force = a.force
               AND e4.type = 'forces_committed' AND e4.status != 'retracted'
             ORDER BY e4.occurred_latest DESC, e4.position DESC LIMIT 1)
        WHERE a.operation = ?
        GROUP BY a.operation, a.force
        """,
        (*TAKING_TYPES, operation),
    )


def refresh_operation(cursor: sqlite3.Cursor, operation: str) -> None:
    cursor.execute("DELETE FROM operations WHERE operation = ?", (operation,))
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
