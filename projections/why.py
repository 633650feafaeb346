"""Why: the events an answer derives from, with their three clocks and their sources.

Each derived row lists the events it derives from (`derived_from`): a control period its own
events and the one that ended it; a force its events in the operation; an operation its
launch and conclusion claims (its status). `why` reads those ids off the rows that gave the
answer (for an answer as of a past moment, off the rows replayed for it) and describes each
event: occurred (EDTF, with its earliest and latest day), when each source published it, and
when it was recorded (and last corrected).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

import orjson

from projections import queries
from projections.queries import NotFound, Row
from timeline.terminal import shown


def events_behind(db: sqlite3.Connection, ids: Iterable[str]) -> list[Row]:
    """These events, in order of occurrence, each with its clocks and its sources."""
    wanted = orjson.dumps(sorted(set(ids))).decode()
    rows = [queries.lists(dict(row)) for row in db.execute(
        f"SELECT e.id, e.type, e.status, e.place, e.occurred, e.occurred_earliest, "
        f"e.occurred_latest, e.recorded, e.corrected, e.corrected_by, e.retracted_by, "
        f"e.best_grade, e.grades, e.outlets FROM events e "
        f"WHERE e.id IN (SELECT value FROM json_each(?)) ORDER BY {queries.BY_OCCURRENCE}",
        (wanted,),
    )]  # fmt: skip
    sources: dict[str, list[Row]] = {}
    for row in db.execute(
        "SELECT e.id, s.outlet, s.grade, s.published, s.url FROM events e "
        "JOIN sources s ON s.position = e.rowid "
        "WHERE e.id IN (SELECT value FROM json_each(?)) ORDER BY e.id, s.n",
        (wanted,),
    ):
        event_id, outlet, grade, published, url = tuple(row)
        sources.setdefault(event_id, []).append(
            {"outlet": outlet, "grade": grade, "published": published, "url": url}
        )
    for row in rows:
        row["sources"] = sources.get(row["id"], [])
        row["published"] = [s["published"] for s in row["sources"] if s["published"]]
    return rows


def why_control(db: sqlite3.Connection, place: str, *, on: str | None = None) -> list[Row]:
    """The events behind `control PLACE` (every period), or behind its answer `on` a day:
    those of the period it names, or of every candidate when it is uncertain (none for no
    record)."""
    periods = queries.control(db, place)
    if on is not None:
        [answer] = queries.control(db, place, on=on)
        periods = queries.periods_behind(periods, answer)
    return events_behind(db, (e for p in periods for e in p["derived_from"]))


def why_forces(db: sqlite3.Connection, operation: str, force: str) -> list[Row]:
    """The events behind a force's row in `forces OPERATION`."""
    rows = queries.forces(db, operation)
    found = [row for row in rows if row["force"] == force] or [
        row for row in rows if row["force"].casefold() == force.casefold()
    ]
    if not found:
        named = ", ".join(row["force"] for row in rows)
        raise NotFound(f"no force {shown(force)} in {shown(operation)}; its forces: {named}")
    return events_behind(db, found[0]["derived_from"])


def why_operation(db: sqlite3.Connection, operation: str) -> list[Row]:
    """The events behind an operation's status and dates: its launch and conclusion claims."""
    queries.find_operation(db, operation)
    [row] = [r for r in queries.operations(db) if r["operation"] == operation]
    return events_behind(db, row["derived_from"])


def describe(rows: list[Row]) -> list[dict[str, Any]]:
    """The rows as a table shows them: sources in one cell each."""
    return [
        {**row, "sources": "; ".join(
            f"{s['outlet']} {s['grade']}" + (f" ({s['published']})" if s["published"] else "")
            for s in row["sources"]
        )}
        for row in rows
    ]
