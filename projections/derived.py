"""Read models derived from the `events` rows: control of places, forces, operations.

Each is recomputed, for the places and operations a batch touched, from the events as they
currently read; so a correction or a retraction moves every period and total it affects, and
a rebuild gives exactly what the incremental updates gave.

Control periods are worked out by `projections.control`, which `timeline control --on` and
the control map share.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from operator import itemgetter
from typing import Any, Literal

import orjson

from projections import claims, schema
from projections.contested import Conflict
from projections.control import periods
from timeline.vocabulary import (
    CHANGES_CONTROL,
    FORCES_COMMITTED,
    OPERATION_CONCLUDED,
    OPERATION_LAUNCHED,
    PASSES_CONTROL,
)

_ORDER = "occurred_mid IS NULL, occurred_mid, position"
_STALE_PLACES, _STALE_OPERATIONS = schema.STALE_PLACES, schema.STALE_OPERATIONS
_INSERT_STALE = schema.insert("stale", ("kind", "key"), verb="INSERT OR IGNORE")
COLUMNS = {  # the derived models' rows are built in these orders, in the order they are made
    "forces": (
        "operation", "force", "side", "roles", "strength_best", "strength_low",
        "strength_high", "strength_event", "strength_shared_with", "first_occurred",
        "last_occurred", "events", "places_taken", "derived_from",
    ),
    "contested": claims.COLUMNS,
    "control": (
        "place", "period", "side", "start_earliest", "start_latest", "start_event",
        "end_earliest", "end_latest", "end_event", "contested_from", "contested_event",
        "events", "derived_from",
    ),
    "operations": (
        "operation", "status", "launched", "launched_earliest", "launched_latest",
        "launch_claims", "launch_contested", "concluded", "concluded_earliest",
        "concluded_latest", "first_occurred", "last_occurred", "events", "places_taken",
        "sides", "derived_from",
    ),
}  # fmt: skip
_INSERTS = {table: schema.insert(table, columns) for table, columns in COLUMNS.items()}


def mark_stale(
    cursor: sqlite3.Cursor, places: Iterable[str], operations: Iterable[str],
    forces: Iterable[tuple[str, str]] = (), subjects: Iterable[tuple[str, str, str]] = (),
    wholly: Iterable[str] = (),
) -> None:  # fmt: skip
    """Note, in the projecting transaction, what the derived models must recompute: places,
    operations, forces (operation, force), figure conflicts (operation, kind, subject), and
    operations whose every force and figure is to be recomputed."""
    cursor.executemany(_INSERT_STALE, [
        *(("place", place) for place in places),
        *(("operation", operation) for operation in operations),
        *(("whole", operation) for operation in wholly),
        *(("force", orjson.dumps(force).decode()) for force in forces),
        *(("subject", orjson.dumps(subject).decode()) for subject in subjects),
    ])  # fmt: skip


def mark_at_place(cursor: sqlite3.Cursor, place: str) -> list[str]:
    """Mark stale every force and figure of each operation with an event at a place whose
    events changed place (a merge): `whole`; return those operations."""
    cursor.execute(schema.MARK_WHOLLY.format("e.place = ?"), (place,))
    return [operation for (operation,) in cursor.execute(
        "SELECT DISTINCT operation FROM events WHERE place = ?", (place,)
    )]  # fmt: skip


Rows = Iterable[tuple[Any, ...]]
Sink = Callable[[str, Rows], None]
"""Where recomputed rows go, a model (table) at a time, as they are made: into the table,
or into a file of their own to be copied into it later."""
_DELETES = {
    "control": (f"DELETE FROM control WHERE place IN ({_STALE_PLACES})",),
    "forces": (  # force IN (...): read through the force's index, then the pairs
        f"DELETE FROM forces WHERE force IN (SELECT json_extract(key, '$[1]') FROM stale "
        f"WHERE kind = 'force') AND (operation, force) IN ({schema.STALE_FORCES})",
        f"DELETE FROM forces WHERE operation IN ({schema.STALE_WHOLE})",
    ),
    "operations": (f"DELETE FROM operations WHERE operation IN ({_STALE_OPERATIONS})",),
    "contested": claims.DELETE_STALE,
}


def refresh_stale(cursor: sqlite3.Cursor) -> None:
    """Recompute control, forces, operations and contested wherever they are stale, then clear
    the marks.

    Done once at the end of a catch-up (in its own transaction), not per page: a large catch-up
    touches every operation on every page. The marks are written with each page, so a crash
    leaves them for the next catch-up to finish. Each model is recomputed for every stale
    place or operation at once, in a few statements, not in a few statements for each; its
    rows are written as they are made, never held all at once.
    """

    writer = cursor.connection.cursor()  # the rows are made reading through `cursor`
    recompute_stale(cursor, partial(_replace, writer))
    _marked(cursor)


Part = Literal["places", "forces"]
PARTS: tuple[Part, ...] = ("places", "forces")
"""The derived models in two parts that read nothing of each other's rows, of about equal
work: the places' and the operations' rows (control, the contested claims at places, each
operation's launch and conclusion claims, and the operations model, which shows whether its
launch is contested), and the forces' (forces, and the contested strengths and casualty
counts)."""


def recompute_stale(cursor: sqlite3.Cursor, sink: Sink, part: Part | None = None) -> None:
    """The derived models' rows wherever they are stale, each model's given to `sink` as
    they are made; only reading (so that it may run on another connection, in another process,
    while the catch-up builds its indexes). Each model reads the events' tables, not another
    derived model: so `sink` may replace one model's rows before the next is made.

    `part`: one of PARTS only (the contested model then gets that part's rows alone, which
    `sink` must keep beside the other part's); None: every model, each given to `sink` once."""
    places, forces = part in (None, "places"), part in (None, "forces")
    launches: set[str] = set()
    if forces:
        sink("forces", forces_rows(cursor))
    contested: list[Iterable[tuple[Any, ...]]] = []
    if places:
        contested.append(map(claims.row_of, claims.place_contested_rows(cursor)))
        contested.append(_contested(claims.launch_contested_rows(cursor), launches))
    if forces:
        contested.append(map(claims.row_of, claims.figure_contested_rows(cursor)))
    sink("contested", itertools.chain.from_iterable(contested))
    if places:
        sink("control", control_rows(cursor))
        sink("operations", operations_rows(cursor, launches))


def _contested(found: Iterable[Conflict], launches: set[str]) -> Iterator[tuple[Any, ...]]:
    """The rows of these conflicts; each operation whose launch claims stand in conflict
    added to `launches` (the operations model shows it)."""
    for conflict in found:
        if conflict.kind == "launch" and conflict.ended_at is None:
            launches.add(conflict.operation)
        yield claims.row_of(conflict)


def copy_stale(cursor: sqlite3.Cursor, rows_of: Callable[[str], Rows]) -> None:
    """Replace the stale places' and operations' rows with those a recomputation kept
    (`rows_of(table)`: its rows, in the order of COLUMNS), and clear the marks."""
    for table in COLUMNS:
        _replace(cursor, table, rows_of(table))
    _marked(cursor)


def _replace(cursor: sqlite3.Cursor, table: str, rows: Rows) -> None:
    """A model's stale rows replaced with these."""
    for statement in _DELETES[table]:
        cursor.execute(statement)
    cursor.executemany(_INSERTS[table], rows)


def _marked(cursor: sqlite3.Cursor) -> None:
    for statement in claims.MARK_STALE:
        cursor.execute(statement)
    cursor.execute(
        f"DELETE FROM stale WHERE kind IN ({', '.join(map(repr, schema.DERIVED_MARKS))})"
    )


def control_rows(cursor: sqlite3.Cursor) -> Iterator[tuple[Any, ...]]:
    """The periods of control of every stale place, from its events in order of occurrence."""
    events = cursor.execute(
        f"SELECT place, id, type, occurred_earliest, occurred_latest, attackers, defenders "
        f"FROM events WHERE place IN ({_STALE_PLACES}) AND status != 'retracted' AND +type IN "
        f"({', '.join('?' * len(CHANGES_CONTROL))}) ORDER BY place, {_ORDER}",
        sorted(CHANGES_CONTROL),
    )
    for place, of_place in itertools.groupby(map(_holders, events), key=itemgetter(0)):
        yield from (
            (place, n, p["side"], p["start_earliest"], p["start_latest"], p["start_event"],
             p["end_earliest"], p["end_latest"], p["end_event"], p["contested_from"],
             p["contested_event"], orjson.dumps(p["events"]).decode(),
             orjson.dumps([*p["events"], *([p["end_event"]] if p["end_event"] else [])]).decode())
            for n, p in enumerate(periods(of_place), start=1)
        )  # fmt: skip


def json_list(items: list[Any]) -> str | None:
    """A list column's one encoding, in every read model: a JSON array (None when empty)."""
    return orjson.dumps(items).decode() if items else None


def _holders(event: tuple[Any, ...]) -> tuple[Any, ...]:
    """An event row with its attacking and defending sides each as one holder's name: a
    coalition's sides joined, "A + B" (control.side names who holds a place, not a list)."""
    *head, attackers, defenders = event
    return (*head, *(attackers and " + ".join(orjson.loads(attackers)),
                     defenders and " + ".join(orjson.loads(defenders))))  # fmt: skip


class _Force:
    """What the events of one force in one operation add up to, as they are read."""

    __slots__ = ("events", "first", "last", "roles", "sides", "strength", "taken")

    def __init__(self) -> None:
        self.sides: dict[str, int] = {}
        self.roles: set[str] = set()
        self.strength: tuple[Any, ...] | None = None  # (order, event id, best, low, high)
        self.first: str | None = None
        self.last: str | None = None
        self.events: set[str] = set()
        self.taken: set[str] = set()


def forces_rows(cursor: sqlite3.Cursor) -> Iterator[tuple[Any, ...]]:
    """The summary of every stale force of an operation: its side (the one it is named with
    most, then the first in order), roles, latest strength committed (and the forces it is
    shared with), span, events and places taken; from its events that are not retracted.

    Their actors and events are read together, in order of operation, through the stale
    forces' operations' events (each actor a seek in its key's tree), and added up here one
    operation at a time: memory is bounded by the largest operation, not by the store, and
    the Python is spent on the stale forces' events alone, not on all of the operation's.
    """
    rows = cursor.connection.cursor().execute(
        "SELECT e.operation, a.position, a.force, a.side, a.role, e.id, e.type, e.place, "
        "e.occurred_earliest, e.occurred_latest, e.position, e.strength_best, "
        "e.strength_low, e.strength_high FROM events e JOIN actors a ON a.position = "
        f"e.position WHERE e.operation IN ({schema.STALE_FORCES_OPERATIONS}) AND "
        f"e.status != 'retracted' AND ((e.operation, a.force) IN ({schema.STALE_FORCES}) "
        f"OR e.operation IN ({schema.STALE_WHOLE})) ORDER BY e.operation"
    )
    for operation, group in itertools.groupby(rows, key=itemgetter(0)):
        its = list(group)
        forces = _add_up({row[1]: row[5:] for row in its}, (row[:5] for row in its))
        shared = _forces_of({f.strength[0][2] for f in forces.values() if f.strength}, cursor)
        for force, found in forces.items():
            side = min(
                found.sides.items(),
                key=lambda item: (-item[1], item[0] is not None, item[0] or ""),
            )[0]
            order, event_id, best, low, high = found.strength or (None,) * 5
            named_with = shared.get(order[2], []) if order else []
            others = [other for other in named_with if other != force]
            yield (
                operation, force, side, json_list(sorted(found.roles)), best, low, high,
                event_id, json_list(others), found.first, found.last,
                len(found.events), len(found.taken), json_list(sorted(found.events)),
            )  # fmt: skip


def _add_up(
    events: dict[int, tuple[Any, ...]], actors: Iterable[tuple[Any, ...]]
) -> dict[str, _Force]:
    """What one operation's events that are not retracted (by position) add up to, force by
    force, through their actors (operation, position, force, side, role)."""
    forces: dict[str, _Force] = {}
    for _, at, force, side, role in actors:
        event = events.get(at)
        if event is None:  # retracted
            continue
        event_id, kind, place, earliest, latest, position, *strength = event
        found = forces.get(force)
        if found is None:
            found = forces[force] = _Force()
        found.sides[side] = found.sides.get(side, 0) + 1
        found.roles.add(role)
        if kind == FORCES_COMMITTED:  # the latest by its last day (none: oldest), position
            order = (latest is not None, latest or "", position)
            if found.strength is None or order > found.strength[0]:
                found.strength = (order, event_id, *strength)
        if earliest is not None and (found.first is None or earliest < found.first):
            found.first = earliest
        if latest is not None and (found.last is None or latest > found.last):
            found.last = latest
        found.events.add(event_id)
        if role == "attacker" and kind in PASSES_CONTROL and place is not None:
            found.taken.add(place)
    return forces


def _forces_of(positions: Iterable[int], cursor: sqlite3.Cursor) -> dict[int, list[str]]:
    """The forces each of these events (by position) names, in the order its record lists
    them."""
    return {
        position: [
            force
            for (force,) in cursor.execute(
                "SELECT force FROM actors WHERE position = ? ORDER BY n", (position,)
            )
        ]
        for position in positions
    }


def operations_rows(
    cursor: sqlite3.Cursor, launch_contested: set[str]
) -> list[tuple[Any, ...]]:
    """The launch, conclusion, span, totals and sides of every stale operation; its launch
    contested where `launch_contested` names it (the contested model's rule: claims that
    cannot both be true). Its row derives from its launch and conclusion claims
    (`derived_from`), its totals and its sides (those its forces are named with) from all
    its events."""

    def dates_of(kind: str) -> dict[str, list[tuple[Any, ...]]]:
        found: dict[str, list[tuple[Any, ...]]] = {}
        for operation, *dates in cursor.execute(
            f"SELECT operation, occurred, occurred_earliest, occurred_latest, id FROM events "
            f"WHERE operation IN ({_STALE_OPERATIONS}) AND type = ? AND status != 'retracted' "
            f"ORDER BY operation, {_ORDER}",
            (kind,),
        ):
            found.setdefault(operation, []).append(tuple(dates))
        return found

    launched, concluded = dates_of(OPERATION_LAUNCHED), dates_of(OPERATION_CONCLUDED)
    sides: dict[str, list[str]] = {}
    for operation, side in cursor.execute(
        "SELECT DISTINCT e.operation, a.side FROM events e JOIN actors a ON a.position = "
        f"e.position WHERE e.operation IN ({_STALE_OPERATIONS}) AND e.status != 'retracted' "
        "AND a.side IS NOT NULL"
    ):
        sides.setdefault(operation, []).append(side)
    totals = cursor.execute(
        f"""SELECT operation, count(*), min(occurred_earliest), max(occurred_latest),
                   count(DISTINCT CASE WHEN type IN ({", ".join("?" * len(PASSES_CONTROL))})
                                       AND attackers IS NOT NULL THEN place END)
            FROM events WHERE operation IN ({_STALE_OPERATIONS}) AND status != 'retracted'
            GROUP BY operation""",
        PASSES_CONTROL,
    ).fetchall()
    rows = []
    for operation, count, first, last, places_taken in totals:
        launches = launched.get(operation, [])
        conclusion = concluded.get(operation, [None])[0]
        texts = list(dict.fromkeys(text for text, _, _, _ in launches))
        behind = [event_id for *_, event_id in [*launches, *concluded.get(operation, [])]]
        rows.append((
            operation, "concluded" if conclusion else "ongoing", json_list(texts),
            min((e for _, e, _, _ in launches if e), default=None),
            max((latest for _, _, latest, _ in launches if latest), default=None),
            len(launches), int(operation in launch_contested),
            *(conclusion[:3] if conclusion else (None, None, None)),
            first, last, count, places_taken, json_list(sorted(sides.get(operation, []))),
            json_list(behind),
        ))  # fmt: skip
    return rows
