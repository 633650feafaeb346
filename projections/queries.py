"""The researchers' questions, asked of the read models; each returns plain rows (dicts).

`pandas.DataFrame(rows)` turns any answer into a data frame. Every value from outside is bound
as a parameter; full-text words are quoted so that they are searched for, never parsed.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import orjson

from projections.contested import PLACE_KINDS
from projections.control import holder_on
from projections.projector import Stored, bounds, stored_states
from projections.schema import history_rows, rebuilding
from timeline.errors import InvalidInput, TimelineError
from timeline.names import did_you_mean, name_key
from timeline.terminal import shown
from timeline.vocabulary import EVENT_TYPES, REPORTS, WEAK_CREDIBILITY, WEAK_RELIABILITY

Row = dict[str, Any]
PAGE = 500  # what a question answers with unless asked for more: a first page of events
BY_OCCURRENCE = "e.occurred_mid IS NULL, e.occurred_mid, e.position"
EVENT_COLUMNS = (
    "e.id, e.operation, e.occurred, e.occurred_earliest, e.occurred_latest, e.occurred_mid, "
    "e.type, e.place, "
    "e.place_kind, e.lat, e.lon, e.attackers, e.defenders, e.supporters, e.forces, "
    "e.strength_best, e.strength_low, e.strength_high, "
    "e.casualties_best, e.casualties_low, e.casualties_high, "
    "e.source_count, e.best_grade, e.grades, e.outlets, e.status, e.corrected_by, "
    "e.retracted_by, e.notes, e.recorded, e.parties, e.place_precision, e.fatalities, e.form, "
    "e.dataset, e.dataset_id, e.analyst, e.corroborated_by, e.downgraded_sources"
)
_GRADE = re.compile(r"^([A-F])([1-6])$")


class NotFound(TimelineError):
    """An operation, place or event the read models do not hold (a parameter that cannot be
    used at all is an InvalidInput)."""


# The list columns of the read models (JSON arrays, schema.VERSION 2), and the names
# questions give them when they join one table's to another's: answered as lists.
LISTS = frozenset({
    "attackers", "defenders", "supporters", "parties", "forces", "grades", "outlets", "quotes",
    "aliases", "roles", "strength_shared_with", "launched", "sides", "events", "corroborated_by",
    "event_ids", "changed_keys", "derived_from",
    "events_a", "outlets_a", "grades_a", "events_b", "outlets_b", "grades_b",
    *(f"{end}_{column}" for end in ("start", "end", "contested")
      for column in ("grades", "outlets")),
})  # fmt: skip


def lists(row: Row) -> Row:
    """The row with each list column a list (empty for none)."""
    for key in LISTS.intersection(row):
        value = row[key]
        if value is None:
            row[key] = []
        elif isinstance(value, str):
            row[key] = orjson.loads(value)
    return row


def _rows(cursor: sqlite3.Cursor) -> list[Row]:
    return [lists(dict(row)) for row in cursor]


def find_operation(db: sqlite3.Connection, operation: str) -> str:
    known = [row[0] for row in db.execute("SELECT operation FROM operations ORDER BY 1")]
    if not known and rebuilding(db):
        raise NotFound(
            f"unknown operation {shown(operation)}: the read models were made anew (by a "
            "rebuild, or for this version's layout) and hold nothing yet: run `timeline "
            "project` to project the store's events into them"
        )
    if not known:
        raise NotFound(
            f"unknown operation {shown(operation)}: the read models hold no operation yet "
            "(import some events, or run `timeline project` if others have)"
        )
    if operation not in known:
        hint = did_you_mean(operation, known, cutoff=0.5)
        raise NotFound(f"unknown operation {shown(operation)}{hint}")
    return operation


def find_place(db: sqlite3.Connection, name: str) -> str:
    """The place known by this name or alias (case, accents, punctuation, article ignored)."""
    row = db.execute("SELECT place FROM place_names WHERE key = ?", (name_key(name),)).fetchone()
    if row is None:
        known = {r[0]: r[1] for r in db.execute("SELECT key, place FROM place_names")}
        raise NotFound(f"unknown place {shown(name)}{did_you_mean(name, known)}")
    return str(row[0])


def show(
    db: sqlite3.Connection,
    operation: str,
    *,
    include_retracted: bool = False,
    limit: int | None = None,
    after: str | None = None,
    min_grade: str | None = None,
) -> Page:
    """An operation's events in order of occurrence, as they currently read (`min_grade`:
    those with a source graded that well or better, once downgraded)."""
    return query(
        db, operation=operation, include_retracted=include_retracted, limit=limit, after=after,
        min_grade=min_grade,
    )  # fmt: skip


def query(
    db: sqlite3.Connection,
    *,
    operation: str | None = None,
    place: str | None = None,
    force: str | None = None,
    side: str | None = None,
    type: str | None = None,
    between: tuple[str, str] | None = None,
    text: str | None = None,
    min_grade: str | None = None,
    include_retracted: bool = False,
    limit: int | None = None,
    after: str | None = None,
) -> Page:
    """Events matching every filter given, in order of occurrence: the first `limit` (None:
    all) after the cursor `after` (a page's `next`; None: from the first).

    How SQLite reads them is chosen here (a unary + keeps it from using an index): a filter
    few events match (rare words, a force in few events) is read first, its matches sorted;
    otherwise the events are walked in order, by the narrowest index there is (operation,
    place, type, or all of them), until the page is full.
    """
    where, params = _filters(
        db, operations=[] if operation is None else [operation], place=place, force=force,
        side=side, type=type, between=between, text=text, min_grade=min_grade,
        include_retracted=include_retracted,
    )  # fmt: skip
    return mark_contested(db, _page(db, where, params, limit, after))


def _filters(
    db: sqlite3.Connection,
    *,
    operations: Sequence[str],
    place: str | None,
    force: str | None,
    side: str | None,
    type: str | None,
    between: tuple[str, str] | None,
    text: str | None,
    min_grade: str | None,
    include_retracted: bool,
) -> tuple[list[str], list[Any]]:
    """The WHERE terms (over `events e`) and their parameters that choose the events `query`
    chooses: of any of `operations` (none: of every one), matching every filter given."""
    where: list[str] = []
    params: list[Any] = []
    words = None if text is None else fts_words(text)
    force = None if force is None else _spelling(db, "force", force)
    side = None if side is None else _spelling(db, "side", side)
    if type is not None:
        _check_type(type)
    few = {
        "text": words is not None and _few_matches(db, words),
        "force": force is not None and _few_actors(db, "force", force),
        "side": side is not None and _few_actors(db, "side", side),
    }
    unindexed = "+" if any(few.values()) else ""  # those few are read first: no index else
    if len(operations) == 1:
        where.append(f"{unindexed}e.operation = ?")
        params.append(find_operation(db, operations[0]))
    elif operations:
        where.append(f"{unindexed}e.operation IN (SELECT value FROM json_each(?))")
        params.append(orjson.dumps([find_operation(db, slug) for slug in operations]).decode())
    if place is not None:
        where.append(f"{unindexed}e.place = ?")
        params.append(find_place(db, place))
    if type is not None:  # by its own index unless an operation or a place narrows more
        narrower = unindexed or bool(operations) or place is not None
        where.append("+e.type = ?" if narrower else "e.type = ?")
        params.append(type)
    for column, value in (("force", force), ("side", side)):
        if value is None:
            continue
        if few[column]:
            where.append(f"e.rowid IN (SELECT position FROM actors WHERE {column} = ?)")
        else:  # each event walked asks whether they took part, through the actors' key
            where.append(f"EXISTS (SELECT 1 FROM actors a WHERE a.position = e.rowid "
                         f"AND +a.{column} = ?)")  # fmt: skip
        params.append(value)
    if between is not None:
        start, end = _day_bounds(between[0], "between")[0], _day_bounds(between[1], "between")[1]
        if start is not None and end is not None and start > end:
            raise InvalidInput(
                "between", f"{between[0]} {between[1]}: the first date is after the second; "
                "give FROM, then TO",
            )
        where.append("(e.occurred_latest IS NULL OR e.occurred_latest >= ?)")
        where.append("(e.occurred_earliest IS NULL OR e.occurred_earliest <= ?)")
        params += [start, end]
    if words is not None:
        read = "" if few["text"] else "+"  # many: each event walked is looked up in them
        where.append(
            f"({read}e.rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?) "
            f"OR {read}e.place IN ({PLACES_NAMED}))"
        )
        params += [words, words]
    if min_grade is not None:
        reliability, credibility = parse_grade(min_grade)
        where.append(
            "EXISTS (SELECT 1 FROM sources s WHERE s.position = e.rowid "
            "AND s.reliability <= ? AND s.credibility <= ?)"
        )
        params += [reliability, credibility]
    if not include_retracted:
        where.append("e.status != 'retracted'")
    return where, params


LARGEST_INTEGER = 2**63 - 1  # SQLite's: a larger limit or position cannot even be asked


class Page(list[Row]):
    """One page of an answer: its rows, in order (a list of dicts), and `next`, where the
    page after it starts (pass it as `after=`), or None when this is the last page."""

    def __init__(self, rows: list[Row] | None = None, next: str | None = None) -> None:
        super().__init__(rows or [])
        self.next = next


# In order of occurrence: events by the middle day of their possible span (`occurred_mid`),
# then in recording order (`position`); events with no date at all come last. Each of the two
# is read from an index in that order (schema.py), so a page stops at its last row instead of
# sorting every match. A cursor is the last row's `occurred_mid:position` (`:position` when it
# is undated).
_NAMES = [column.strip().removeprefix("e.") for column in EVENT_COLUMNS.split(",")]


def _page(
    db: sqlite3.Connection, where: list[str], params: list[Any], limit: int | None,
    after: str | None,
) -> Page:  # fmt: skip
    if limit is not None and not 0 <= limit < LARGEST_INTEGER:
        raise InvalidInput("limit", f"must be a number of events from 0 to {LARGEST_INTEGER - 1}")
    mid, position = _cursor(after)
    wanted = None if limit is None else limit + 1  # one more tells whether a next page exists
    found: list[tuple[Any, ...]] = []
    if after is None or mid is not None:
        dated = [*where, "e.occurred_mid IS NOT NULL"]
        if mid is not None:
            dated.append("(e.occurred_mid, e.position) > (?, ?)")
        keys = [] if mid is None else [mid, position]
        found = _select(db, dated, [*params, *keys], "e.occurred_mid, e.position", wanted)
    if wanted is None or len(found) < wanted:
        undated = [*where, "e.occurred_mid IS NULL"]
        if after is not None and mid is None:
            undated.append("e.position > ?")
        keys = [position] if after is not None and mid is None else []
        rest = None if wanted is None else wanted - len(found)
        found += _select(db, undated, [*params, *keys], "e.position", rest)
    following = None
    if limit is not None and len(found) > limit:
        del found[limit:]
        following = f"{found[-1][_NAMES.index('occurred_mid')] or ''}:{found[-1][-1]}"
    return Page([lists(dict(zip(_NAMES, row, strict=False))) for row in found], following)


def _select(
    db: sqlite3.Connection, where: list[str], params: list[Any], order: str, limit: int | None
) -> list[tuple[Any, ...]]:
    """Rows of EVENT_COLUMNS, then the position, as tuples (a dict is made once per row)."""
    sql = f"SELECT {EVENT_COLUMNS}, e.position FROM events e WHERE {' AND '.join(where)}"
    sql += f" ORDER BY {order}" + ("" if limit is None else f" LIMIT {int(limit)}")
    cursor = db.cursor()
    cursor.row_factory = None
    return cursor.execute(sql, params).fetchall()


def _cursor(after: str | None) -> tuple[str | None, int | None]:
    if after is None:
        return None, None
    mid, _, position = after.rpartition(":")
    if (
        not position.isdigit() or len(position) > len(str(LARGEST_INTEGER))
        or int(position) > LARGEST_INTEGER
        or not (mid == "" or re.fullmatch(r"-?\d{4,}-\d\d-\d\d", mid))
    ):  # fmt: skip
        raise InvalidInput(
            "after", f"{shown(after)} is not a page cursor: give a page's next (2017-11-03:1234)"
        )
    return mid or None, int(position)


PLACES_NAMED = (
    "SELECT place FROM place_names WHERE rowid IN "
    "(SELECT rowid FROM place_names_fts WHERE place_names_fts MATCH ?)"
)


# Few or many? Reading every match and sorting them costs in proportion to the matches, m;
# walking the events in order until a page of p is full, to p n / m of the n events. So a
# filter matching fewer than about sqrt(k n) events is read first, with k as measured (at
# 1,000,000 events: 5,000 for words, whose walk is tested in the index; 23,000 for forces
# and sides, whose walk looks each event's actors up).


def _enough(db: sqlite3.Connection, k: int) -> int:
    last = db.execute("SELECT max(rowid) FROM events").fetchone()[0] or 0
    return max(100, math.isqrt(k * last))


def _few_actors(db: sqlite3.Connection, column: str, value: str) -> bool:
    enough = _enough(db, 550)
    found = db.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM actors WHERE {column} = ? LIMIT ?)",
        (value, enough),
    ).fetchone()[0]
    return bool(found < enough)


def _few_matches(db: sqlite3.Connection, words: str) -> bool:
    """Whether these words match few enough events (in their text, or at a place one of whose
    names they match) to be read first."""
    enough = _enough(db, 25)
    matches = db.execute(
        "SELECT count(*) FROM (SELECT 1 FROM events_fts WHERE events_fts MATCH ? LIMIT ?)",
        (words, enough),
    ).fetchone()[0]
    at_places = db.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM events WHERE place IN ({PLACES_NAMED}) LIMIT ?)",
        (words, enough),
    ).fetchone()[0]
    return bool(matches + at_places < enough)


def _spelling(db: sqlite3.Connection, column: str, value: str) -> str:
    """The force or side as the actors spell it, matched regardless of case (the exact
    spelling is found through its index; another case is looked for only then)."""
    if db.execute(f"SELECT 1 FROM actors WHERE {column} = ? LIMIT 1", (value,)).fetchone():
        return value
    known = [row[0] for row in db.execute(f"SELECT DISTINCT {column} FROM actors")]
    same = [name for name in known if name.casefold() == value.casefold()]
    return str(min(same)) if same else value  # none that took part: nothing found


def _check_type(kind: str) -> None:
    """An event type that is not one is an error naming the types."""
    types = [name for name in EVENT_TYPES if name not in REPORTS]
    if kind not in types:
        raise InvalidInput("type", f"{shown(kind)} is not an event type; one of {', '.join(types)}")


def fts_words(text: str) -> str:
    """Each word a quoted FTS5 string: searched for, never parsed as query syntax."""
    words = text.split()
    if not words:
        raise InvalidInput("text", "needs at least one word")
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def parse_grade(grade: str) -> tuple[str, str]:
    match = _GRADE.match(grade.strip().upper())
    if match is None:
        raise InvalidInput(
            "min_grade",
            f"{shown(grade)} is not an Admiralty grade: a letter A-F then a digit 1-6 (B3)",
        )
    return match.group(1), match.group(2)


def _day_bounds(text: str, field: str) -> tuple[str | None, str | None]:
    found = bounds(text)
    if found == (None, None):
        raise InvalidInput(field, f"{shown(text)} is not a date (EDTF: 2017-11-03, 2017-11, 2017)")
    return found


def control(db: sqlite3.Connection, place: str, *, on: str | None = None) -> list[Row]:
    """Who held a place over time; or, `on` a date, who held it then.

    On a date a fuzzy boundary makes ambiguous, the answer is `uncertain` and names every
    candidate instead of guessing.
    """
    name = find_place(db, place)
    periods = _rows(
        db.execute(
            "SELECT place, period, side, start_earliest, start_latest, start_event, "
            "end_earliest, end_latest, end_event, contested_from, contested_event, events, "
            "derived_from FROM control WHERE place = ? ORDER BY period",
            (name,),
        )
    )
    disputed = _contested_events(  # a period's claims to the place: not, say, a strength
        db, [e for p in periods for e in p["derived_from"]], PLACE_KINDS
    )
    for period in periods:
        period["contested"] = any(e in disputed for e in period["derived_from"])
    if on is None:
        return periods
    day, last_day = _day_bounds(on, "on")
    if day != last_day:
        raise InvalidInput("on", f"takes one day (2017-11-03), not {shown(on)}")
    answer = holder_on(name, periods, str(day))
    answer["contested"] = any(p["contested"] for p in periods_behind(periods, answer))
    return [answer]


def periods_behind(periods: list[Row], answer: Row) -> list[Row]:
    """The periods an answer of `holder_on` rests on: the one it names (held, contested), or
    every candidate (uncertain); none for no record."""
    if answer["answer"] in ("held", "contested"):
        return [p for p in periods if p["start_event"] == answer["since"]]
    if answer["answer"] == "uncertain":
        day = answer["on"]
        return [p for p in periods
                if (p["start_earliest"] is None or p["start_earliest"] <= day)
                and (p["end_latest"] is None or day < p["end_latest"])]  # fmt: skip
    return []


def forces(db: sqlite3.Connection, operation: str) -> list[Row]:
    """Who committed what, when, with which results, in one operation."""
    find_operation(db, operation)
    return _rows(
        db.execute(
            "SELECT * FROM forces WHERE operation = ? "
            "ORDER BY side, strength_best IS NULL, strength_best DESC, force",
            (operation,),
        )
    )


def operations(db: sqlite3.Connection) -> list[Row]:
    return _rows(db.execute("SELECT * FROM operations ORDER BY launched_earliest, operation"))


def history(db: sqlite3.Connection, event_id: str, stored: Stored | None = None) -> list[Row]:
    """An event as first recorded, then each correction, retraction or corroboration of it,
    in order, each with when it was recorded and by whom (`analyst`; None before analysts
    were kept). `stored`: the store's events by position, which the history keeps no copy
    of."""
    found = _rows(
        db.execute(
            history_rows(
                "position, recorded, analyst, event_id, type, target, state",
                "type IS NOT NULL AND (event_id = ?1 OR target = ?1)", "e.id = ?1",
            ),
            (event_id,),
        )
    )
    if not found:
        raise NotFound(f"no event {shown(event_id)}")
    states = stored_states(((row["position"], row.pop("state")) for row in found), stored)
    for row, (_, state) in zip(found, states, strict=True):
        row["record"] = orjson.loads(state)["record"]
    return found


CONTESTED_KINDS = ("control", "reversal", "launch", "conclusion", "strength", "casualties")


def contested(
    db: sqlite3.Connection, operation: str | None = None, *, include_ended: bool = True
) -> list[Row]:
    """Every conflict between active events (projections/contested.py), of one operation (a
    place's, when any of its events is the operation's) or of every one, in order of the days
    it concerns: its kind, subject, each side's label, events, outlets and grades, the days,
    since when it stands (record time) and, if a correction or retraction removed a side,
    when (`ended_at`) and by which event (`ended_by`)."""
    where, params = ["1"], []
    if operation is not None:
        find_operation(db, operation)
        where = ["(c.operation = ? OR EXISTS (SELECT 1 FROM events e WHERE e.operation = ? AND "
                 "(e.id IN (SELECT value FROM json_each(c.events_a)) "
                 "OR e.id IN (SELECT value FROM json_each(c.events_b)))))"]  # fmt: skip
        params = [operation, operation]
    if not include_ended:
        where.append("c.ended_at IS NULL")
    return _rows(db.execute(
        f"SELECT c.kind, c.operation, c.subject, c.side_a, c.events_a, c.outlets_a, c.grades_a, "
        f"c.side_b, c.events_b, c.outlets_b, c.grades_b, c.occurred_from, c.occurred_to, "
        f"c.since, c.ended_at, c.ended_by FROM contested c WHERE {' AND '.join(where)} "
        "ORDER BY c.occurred_from IS NULL, c.occurred_from, c.kind, c.subject, c.key",
        params,
    ))  # fmt: skip


def _contested_events(
    db: sqlite3.Connection, ids: Sequence[str | None], kinds: Sequence[str] = CONTESTED_KINDS
) -> set[str]:
    """Which of these events are on a side of a conflict of these kinds that stands (not
    ended): read off their marks, by key."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return set()
    found = db.execute(
        "SELECT m.kinds, e.id FROM events e JOIN contested_marks m ON m.position = e.rowid "
        "WHERE e.id IN (SELECT value FROM json_each(?))",
        (orjson.dumps(wanted).decode(),),
    )
    return {event_id for marked, event_id in found if not set(kinds).isdisjoint(marked.split(","))}


def mark_contested(db: sqlite3.Connection, rows: Page) -> Page:
    """The event rows, each `contested` (True) where it is on a side of a standing conflict."""
    disputed = _contested_events(db, [row["id"] for row in rows])
    for row in rows:
        row["contested"] = row["id"] in disputed
    return rows


# What the figures and the report ask: an operation's places, their control, its sources and
# the claims a reader should weigh.



def operation_places(db: sqlite3.Connection, operation: str) -> list[Row]:
    """The places an operation's events name, with their position and how many events name
    each, by name."""
    find_operation(db, operation)
    return _rows(
        db.execute(
            "SELECT p.name AS place, p.kind, p.lat, p.lon, count(*) AS events "
            "FROM events e JOIN places p ON p.name = e.place "
            "WHERE e.operation = ? AND e.status != 'retracted' GROUP BY p.name ORDER BY p.name",
            (operation,),
        )
    )


def operation_control(db: sqlite3.Connection, operation: str | Sequence[str]) -> list[Row]:
    """Every control period of the places an operation's events name, by place and period,
    each with the place's position and the event that opened it (its operation, type, date
    as written, grades and outlets), the event that ended it, and the first report of
    fighting in it (`contested_*`: by which side, in which operation, when, on whose word).
    Several operations: the periods of every place any of them names, each once."""
    chosen = [operation] if isinstance(operation, str) else list(operation)
    for slug in chosen:
        find_operation(db, slug)
    periods = _rows(
        db.execute(
            """
            SELECT c.place, p.kind AS place_kind, p.lat, p.lon, c.period, c.side,
                   c.start_earliest, c.start_latest, c.start_event,
                   s.operation AS start_operation, s.type AS start_type,
                   s.occurred AS start_occurred, s.grades AS start_grades,
                   s.outlets AS start_outlets, s.best_grade AS start_best_grade,
                   s.source_count AS start_source_count,
                   c.end_earliest, c.end_latest, c.end_event, x.type AS end_type,
                   x.occurred AS end_occurred, x.grades AS end_grades,
                   x.outlets AS end_outlets, x.best_grade AS end_best_grade,
                   x.source_count AS end_source_count,
                   c.contested_from, c.contested_event, k.operation AS contested_operation,
                   (SELECT group_concat(value, ' + ') FROM json_each(k.attackers))
                       AS contested_by, k.occurred AS contested_occurred,
                   k.grades AS contested_grades, k.outlets AS contested_outlets,
                   k.best_grade AS contested_best_grade, k.source_count AS contested_source_count,
                   c.events
            FROM control c
            JOIN places p ON p.name = c.place
            LEFT JOIN events s ON s.id = c.start_event
            LEFT JOIN events x ON x.id = c.end_event
            LEFT JOIN events k ON k.id = c.contested_event
            WHERE c.place IN (SELECT place FROM events WHERE operation IN (SELECT value
                              FROM json_each(?)) AND status != 'retracted')
            ORDER BY c.place, c.period
            """,
            (orjson.dumps(chosen).decode(),),
        )
    )
    disputed = _contested_events(db, [p[f"{end}_event"] for p in periods
                                      for end in ("start", "end", "contested")],
                                 PLACE_KINDS)  # fmt: skip
    for period in periods:
        for end in ("start", "end", "contested"):
            period[f"{end}_contested"] = period[f"{end}_event"] in disputed
    return periods


def operation_sources(db: sqlite3.Connection, operation: str) -> list[Row]:
    """Every source of an operation's events as they currently read, one row per event and
    source, in order of occurrence."""
    find_operation(db, operation)
    return _rows(
        db.execute(
            f"SELECT s.outlet, s.grade, s.reliability, s.credibility, s.published, s.url, "
            f"s.quote, e.id AS event_id, e.type, e.occurred, e.place "
            f"FROM sources s JOIN events e ON e.rowid = s.position "
            f"WHERE e.operation = ? AND e.status != 'retracted' ORDER BY {BY_OCCURRENCE}, s.n",
            (operation,),
        )
    )


def claims_in_doubt(
    db: sqlite3.Connection, operation: str, *, limit: int | None = None
) -> list[Row]:
    """The claims a reader should weigh, in order of occurrence: events on a side of a
    conflict that stands (`launch date contested`, `control contested`, ...: the contested
    model); events corrected since first recorded (`corrected`); events resting on a single
    source graded D, E or F or of credibility 4-6 (`single weak source`). An event in doubt
    for two reasons has a row for each. `limit`: the first that many (None: every one)."""
    find_operation(db, operation)
    columns = "e.id AS event_id, e.type, e.occurred, e.place, e.grades, e.outlets"
    weak = ", ".join("?" * len(WEAK_RELIABILITY))
    doubtful = ", ".join("?" * len(WEAK_CREDIBILITY))
    rows = _rows(
        db.execute(
            f"""
            WITH sided AS (  -- a conflict is among the events of one operation: its own
              SELECT c.kind, c.side_a, c.side_b, c.subject, j.value AS event_id
                FROM contested c, json_each(c.events_a) j
               WHERE c.operation = ?1 AND c.ended_at IS NULL
              UNION
              SELECT c.kind, c.side_a, c.side_b, c.subject, j.value
                FROM contested c, json_each(c.events_b) j
               WHERE c.operation = ?1 AND c.ended_at IS NULL
            )
            SELECT * FROM (
            SELECT DISTINCT 1 AS reason,
                   CASE c.kind WHEN 'launch' THEN 'launch date contested'
                               ELSE c.kind || ' contested' END AS claim, {columns},
                   CASE c.kind WHEN 'launch' THEN 'sources date the launch ' ||
                        (SELECT group_concat(value, ', ') FROM json_each(o.launched))
                        ELSE c.side_a || ' against ' || c.side_b || ' (' || c.subject || ')'
                   END AS detail, e.occurred_mid, e.position
              FROM sided c
              JOIN events e ON e.id = c.event_id
              JOIN operations o ON o.operation = e.operation
             WHERE e.operation = ?1 AND e.status != 'retracted'
            UNION ALL
            SELECT 2, 'corrected', {columns}, 'corrected by ' || e.corrected_by || ', recorded '
                   || substr(e.corrected, 1, 10), e.occurred_mid, e.position
              FROM events e WHERE e.operation = ?1 AND e.status = 'corrected'
            UNION ALL
            SELECT 3, 'single weak source', {columns},
                   'one source: ' || (SELECT group_concat(value, ', ')
                   FROM json_each(e.outlets)) || ', graded ' || (SELECT group_concat(value,
                   ', ') FROM json_each(e.grades)),
                   e.occurred_mid, e.position
              FROM events e
             WHERE e.operation = ?1 AND e.status != 'retracted' AND e.source_count = 1
               AND EXISTS (SELECT 1 FROM sources s WHERE s.position = e.rowid
                           AND (s.reliability IN ({weak}) OR s.credibility IN ({doubtful})))
            ) ORDER BY occurred_mid IS NULL, occurred_mid, position, reason, detail
            LIMIT ?
            """,
            (operation, *WEAK_RELIABILITY, *WEAK_CREDIBILITY, -1 if limit is None else limit),
        )
    )
    for row in rows:
        del row["occurred_mid"], row["position"], row["reason"]
    return rows


def operation_days(db: sqlite3.Connection, operations: Sequence[str]) -> tuple[Any, Any]:
    """The likely first and last days of these operations: the earliest and latest middle
    day of their events' possible dates (the conclusion is one of them), not the widest bound
    a fuzzy date allows (one event dated only `2017-11` would stretch a three-day operation
    to a month)."""
    for slug in operations:
        find_operation(db, slug)
    first, last = db.execute(
        "SELECT min(occurred_mid), max(occurred_mid) FROM events WHERE operation IN "
        "(SELECT value FROM json_each(?)) AND status != 'retracted'",
        (orjson.dumps(list(operations)).decode(),),
    ).fetchone()
    return first, last


def withdrawn(db: sqlite3.Connection, operation: str) -> list[Row]:
    """An operation's retracted events, in order of occurrence, each as it last read, with
    the retraction that withdrew it: its id, when it was recorded, its notes and its sources
    (outlet, grade, published, quote), from the history."""
    find_operation(db, operation)
    rows = _rows(
        db.execute(
            f"SELECT {EVENT_COLUMNS}, h.recorded AS retraction_recorded, "
            "json_extract(h.state, '$.record.notes') AS retraction_notes, "
            "json_extract(h.state, '$.record.sources') AS retraction_sources "
            "FROM events e LEFT JOIN history_kept h ON h.event_id = e.retracted_by "
            f"WHERE e.operation = ? AND e.status = 'retracted' ORDER BY {BY_OCCURRENCE}",
            (operation,),
        )
    )
    for row in rows:
        sources = orjson.loads(row["retraction_sources"] or "[]")
        row["retraction_sources"] = [
            {**source, "grade": f"{source['reliability']}{source['credibility']}"}
            for source in sources
        ]
    return rows


ACTIVITY_PERIODS = ("week", "month")


def activity(
    db: sqlite3.Connection,
    *,
    operations: Sequence[str] = (),
    per: str | None = None,
    place: str | None = None,
    force: str | None = None,
    side: str | None = None,
    type: str | None = None,
    between: tuple[str, str] | None = None,
    text: str | None = None,
    min_grade: str | None = None,
) -> Row:
    """Events, casualties and fatalities per week (from Monday) or month, by type and by side,
    of the events `query` would choose (of any of `operations`, none: of every one), counted
    in SQL: an answer of a few hundred rows however many events there are.

    An event falls in the week or month of its likely day (the middle of its possible dates,
    `occurred_mid`); events with no date are only counted (`undated`). By side, an event
    counts once for each side that took part in it. Casualties are the best estimates of
    `casualties_reported`; fatalities, where the read models hold them, those datasets
    (ACLED, UCDP) code. `per`: week or month; None: weeks for up to two years, else months.
    Every type of the vocabulary is counted, whatever it is.
    """
    if per is not None and per not in ACTIVITY_PERIODS:
        raise InvalidInput("per", f"'{per}' is not a period: one of {', '.join(ACTIVITY_PERIODS)}")
    where, params = _filters(
        db, operations=operations, place=place, force=force, side=side, type=type,
        between=between, text=text, min_grade=min_grade, include_retracted=False,
    )  # fmt: skip
    chosen = " AND ".join(where) or "1"
    first, last, undated = db.execute(
        f"SELECT min(e.occurred_mid), max(e.occurred_mid), "
        f"sum(e.occurred_mid IS NULL) FROM events e WHERE {chosen}",
        params,
    ).fetchone()
    if per is None:
        long = first is not None and _days_between(first, last) > 2 * 366
        per = "month" if long else "week"
    bucket = (
        "date(e.occurred_mid, '-' || ((CAST(strftime('%w', e.occurred_mid) AS INTEGER) + 6)"
        " % 7) || ' days')" if per == "week" else "substr(e.occurred_mid, 1, 7) || '-01'"
    )  # fmt: skip
    columns = {row[1] for row in db.execute("PRAGMA table_info(events)")}
    fatalities = "e.fatalities" if "fatalities" in columns else "NULL"
    by_type = _rows(
        db.execute(
            f"SELECT {bucket} AS period, e.type, count(*) AS events, "
            f"sum(e.casualties_best) AS casualties, sum({fatalities}) AS fatalities "
            f"FROM events e WHERE {chosen} AND e.occurred_mid IS NOT NULL "
            "GROUP BY period, e.type ORDER BY period, e.type",
            params,
        )
    )
    by_side = _rows(
        db.execute(
            f"SELECT period, side, count(*) AS events, sum(casualties) AS casualties, "
            f"sum(fatalities) AS fatalities FROM (SELECT DISTINCT e.id, {bucket} AS period, "
            f"a.side, e.casualties_best AS casualties, {fatalities} AS fatalities "
            f"FROM events e JOIN actors a ON a.position = e.rowid "
            f"WHERE {chosen} AND e.occurred_mid IS NOT NULL) "
            "GROUP BY period, side ORDER BY period, side",
            params,
        )
    )
    return {"per": per, "first": first, "last": last, "undated": undated or 0,
            "by_type": by_type, "by_side": by_side}  # fmt: skip


def _days_between(first: str, last: str) -> int:
    return (date.fromisoformat(last) - date.fromisoformat(first)).days


def sources(db: sqlite3.Connection, operation: str | None = None) -> list[Row]:
    """Every source (an outlet, its name compared ignoring case and runs of spaces) with the
    events resting on it, most events first: how many (`events`), their ids (`event_ids`),
    the best and worst grade it gives them (once downgraded), how many of its citations keep
    an archived copy and a digest, and whether it is downgraded (`downgraded`; by which
    events, to what reliability, why). Retracted events are left out; corroborations count."""
    where, params = ["e.status != 'retracted'"], []
    if operation is not None:
        find_operation(db, operation)
        where.append("e.operation = ?")
        params.append(operation)
    rows = _rows(
        db.execute(
            "SELECT min(s.outlet) AS outlet, count(DISTINCT e.id) AS events, "
            "json_group_array(DISTINCT e.id) AS event_ids, min(s.grade) AS best_grade, "
            "max(s.grade) AS worst_grade, count(s.archive_url) AS archived, "
            "count(s.sha256) AS digests, count(s.added_by) AS corroborating, "
            "group_concat(DISTINCT s.downgraded_by) AS downgraded_by "
            "FROM sources s JOIN events e ON e.rowid = s.position "
            f"WHERE {' AND '.join(where)} GROUP BY s.outlet_key "
            "ORDER BY count(DISTINCT e.id) DESC, min(s.outlet)",
            params,
        )
    )
    found = {row["event_id"]: row for row in _rows(db.execute(
        "SELECT event_id, source, reliability, reason FROM downgrades"
    ))}  # fmt: skip
    for row in rows:
        named = row.pop("downgraded_by")
        by = sorted(named.split(",")) if named else []
        row["downgraded"] = bool(by)
        row["downgrades"] = [found[event_id] for event_id in by if event_id in found]
    return rows


def diff(
    db: sqlite3.Connection, since: datetime, until: datetime | None = None,
    operation: str | None = None, stored: Stored | None = None,
) -> dict[str, list[Row]]:  # fmt: skip
    """What changed in the record between two record times, `since` excluded and `until`
    included (None: everything after `since`): the events `added` (as first recorded), the
    events `corrected` (each key a correction in between changed, its value before the first
    and after the last), the events `corroborated` (the sources added), the events
    `retracted`, and the sources `downgraded`; each with when it was recorded and by whom.
    `stored`: the store's events by position, which the history keeps no copy of."""
    from projections.projector import utc_text
    from timeline.readings import corrected, reading
    from timeline.vocabulary import (
        NOT_EVENTS,
        REPORT_CORRECTED,
        REPORT_RETRACTED,
        SOURCE_DOWNGRADED,
        SOURCES_ADDED,
    )

    where = ["type IS NOT NULL", "recorded > ?"]
    params: list[Any] = [utc_text(since)]
    if until is not None:
        where.append("recorded <= ?")
        params.append(utc_text(until))
    if operation is not None:
        find_operation(db, operation)
        where.append("operation = ?")
        params.append(operation)
    changed: dict[str, list[Row]] = {
        "added": [], "corrected": [], "corroborated": [], "retracted": [], "downgraded": [],
    }  # fmt: skip
    corrections: dict[str, list[tuple[int, Row]]] = {}
    chosen = " AND ".join(where)  # of either side's own columns
    rows = sorted(db.execute(  # through the index of record times: sorted here
        history_rows("position, recorded, analyst, type, target, state", chosen, chosen,
                     ordered=False),
        params + params,
    ).fetchall(), key=lambda row: int(row[0]))  # fmt: skip
    states = stored_states(((row[0], row[5]) for row in rows), stored)
    for (position, recorded, analyst, kind, target, _), (_, state) in zip(
        rows, states, strict=True
    ):
        record = orjson.loads(state)["record"]
        said = {"position": position, "recorded": recorded, "analyst": analyst}
        if kind not in NOT_EVENTS:
            changed["added"].append({**said, "id": record["id"], "type": kind,
                                     "operation": record["operation"], "record": record})
        elif kind == REPORT_CORRECTED:
            corrections.setdefault(str(target), []).append((position, {**said, **record}))
        elif kind == SOURCES_ADDED:
            changed["corroborated"].append({
                **said, "id": target, "by": record["id"], "operation": record["operation"],
                "sources": record["sources"],
            })  # fmt: skip
        elif kind == REPORT_RETRACTED:
            changed["retracted"].append({
                **said, "id": target, "by": record["id"], "operation": record["operation"],
                "notes": record.get("notes"),
            })  # fmt: skip
        elif kind == SOURCE_DOWNGRADED:
            changed["downgraded"].append({
                **said, "by": record["id"], "outlet": record.get("outlet"),
                "url": record.get("url"), "reliability": record["reliability"],
                "reason": record["reason"],
            })  # fmt: skip
    for target, made in corrections.items():
        first_at = made[0][0]
        earlier = db.execute(  # a corrected event's first reading is kept
            "SELECT position, state FROM history_kept WHERE (event_id = ? AND type != ?) OR "
            "(target = ? AND type = ? AND position < ?) ORDER BY position",
            (target, REPORT_CORRECTED, target, REPORT_CORRECTED, first_at),
        )
        read = [orjson.loads(state)["record"] for _, state in stored_states(earlier, stored)]
        before = reading(read[0], (c["changes"] for c in read[1:])) if read else {}
        after = before
        for _, correction in made:
            after = corrected(after, correction["changes"])
        keys = sorted({key for _, c in made for key in c["changes"]})
        last = made[-1][1]
        changed["corrected"].append({
            "position": last["position"], "recorded": last["recorded"],
            "analyst": last["analyst"], "id": target, "operation": last["operation"],
            "by": [c["id"] for _, c in made], "changed_keys": keys,
            "before": {key: before.get(key) for key in keys},
            "after": {key: after.get(key) for key in keys},
        })  # fmt: skip
    changed["corrected"].sort(key=lambda row: row["position"])
    return changed
