"""Claims over record time, read from the read models for the `contested` model: each event
as it reads now (from `events`) and, for an event since corrected or retracted, each earlier
reading with the record times between which it stood (from `history`)."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Iterator
from functools import partial
from operator import itemgetter
from typing import Any

import orjson

from projections import schema
from projections.contested import (
    FIGHTING,
    FIGURE_KINDS,
    LAUNCH_KINDS,
    OPERATION_KINDS,
    PLACE_KINDS,
    Claim,
    Conflict,
    conflicts_over_time,
    figure_claims,
    figure_conflicts,
    figure_subjects,
    holder,
    launch_conflicts,
    place_conflicts,
)
from timeline.dates import DateError, parse_edtf
from timeline.names import name_key
from timeline.readings import corrected
from timeline.vocabulary import (
    CASUALTIES_REPORTED,
    OPERATION_CONCLUDED,
    OPERATION_LAUNCHED,
    PASSES_CONTROL,
    REPORT_CORRECTED,
)

_PLACE_TYPES = (*PASSES_CONTROL, *FIGHTING)
_COLUMNS = (
    "id, operation, type, place, occurred_earliest, occurred_latest, attackers, forces, "
    "strength_best, strength_low, strength_high, casualties_best, casualties_low, "
    "casualties_high, outlets, grades, status, recorded, corrected, retracted_by"
)
_STALE_PLACES, _STALE_OPERATIONS = schema.STALE_PLACES, schema.STALE_OPERATIONS
_PLACE_TYPES_IN = f"+type IN ({', '.join('?' * len(_PLACE_TYPES))})"  # see STALE_PLACES
# The corrected events whose earlier readings may have stood at a stale place: those at one
# now, and those a correction moved (json_type: a correction that sets or removes a place).
# Not every corrected event of the store: that read grew with it, whatever was stale.
_MAYBE_AT_STALE_PLACES = (
    f"SELECT id FROM events WHERE place IN ({_STALE_PLACES}) AND {_PLACE_TYPES_IN} "
    "AND corrected IS NOT NULL UNION SELECT id FROM events WHERE id IN (SELECT target FROM "
    f"history_kept WHERE {schema.MOVES}) AND {_PLACE_TYPES_IN} ORDER BY id"
)


def _bounds(row: Any) -> tuple[int, int] | None:
    best, low, high = row
    if best is None and low is None and high is None:
        return None
    return (low if low is not None else best), (high if high is not None else best)


def _day_bounds(text: str | None) -> tuple[str | None, str | None]:
    """EDTF text -> its earliest and latest days, as the projector writes them."""
    if not text:
        return None, None
    try:
        found = parse_edtf(text)
    except DateError:
        return None, None
    return (found.earliest.isoformat() if found.earliest else None,
            found.latest.isoformat() if found.latest else None)  # fmt: skip


def _loads(text: str | None) -> list[Any]:
    return orjson.loads(text) if text else []


def _current(row: tuple[Any, ...], retracted_at: dict[str, str]) -> Claim:
    (event_id, operation, kind, place, earliest, latest, attackers, forces, *triples) = row[:14]
    outlets, grades, status, recorded, corrected_at, retracted_by = row[14:]
    return Claim(
        event_id, operation, kind, place, earliest, latest, holder(_loads(attackers)),
        tuple(sorted(_loads(forces))), _bounds(triples[:3]),
        _bounds(triples[3:]), tuple(_loads(outlets)), tuple(_loads(grades)),
        corrected_at or recorded,
        retracted_at.get(retracted_by) if status == "retracted" else None,
        retracted_by if status == "retracted" else None,
    )  # fmt: skip


def _of_record(record: dict[str, Any], since: str, until: str, ended_by: str,
               places: dict[str, str]) -> Claim:  # fmt: skip
    """A claim from an earlier reading of an event, as the history holds it."""
    mention = record.get("place")
    name = mention if isinstance(mention, str) or mention is None else mention["name"]
    place = None if name is None else places.get(name_key(name), name)
    earliest, latest = _day_bounds(record.get("occurred"))
    actors = record.get("actors") or []
    sides = sorted({a["side"] for a in actors if a["role"] == "attacker"})
    strength, casualties = record.get("strength") or {}, record.get("casualties") or {}
    sources = record.get("sources") or []
    return Claim(
        record["id"], record["operation"], record["type"], place, earliest, latest,
        holder(sides), tuple(sorted(a["force"] for a in actors)),
        _bounds((strength.get("best"), strength.get("low"), strength.get("high"))),
        _bounds((casualties.get("best"), casualties.get("low"), casualties.get("high"))),
        tuple(dict.fromkeys(s["outlet"] for s in sources)),
        tuple(s["reliability"] + s["credibility"] for s in sources), since, until, ended_by,
    )  # fmt: skip


def _earlier(cursor: sqlite3.Cursor, ids: Iterable[str]) -> list[Claim]:
    """Each reading but the last of these corrected events, with when it stood."""
    places = dict(cursor.execute("SELECT key, place FROM place_names").fetchall())
    found = []
    for event_id in ids:
        rows = cursor.execute(
            "SELECT recorded, event_id, state FROM history_kept WHERE event_id = ? "
            "OR (target = ? AND type = ?) ORDER BY position",
            (event_id, event_id, REPORT_CORRECTED),
        ).fetchall()
        if not rows:
            continue
        record = orjson.loads(rows[0][2])["record"]
        since = rows[0][0]  # record times as the projector writes them: one text form
        for at, correction_id, state in rows[1:]:
            found.append(_of_record(record, since, at, correction_id, places))
            record = corrected(record, orjson.loads(state)["record"]["changes"])
            since = at
    return found


def _claims(cursor: sqlite3.Cursor, rows: list[tuple[Any, ...]], *,
            earlier: bool = True) -> list[Claim]:  # fmt: skip
    """These event rows' claims as they read now (and, `earlier`, every earlier reading of
    those since corrected)."""
    retractions = [row[19] for row in rows if row[19]]
    retracted_at = dict(cursor.execute(
        "SELECT event_id, recorded FROM history_kept "
        "WHERE event_id IN (SELECT value FROM json_each(?))",
        (orjson.dumps(retractions).decode(),),
    ).fetchall()) if retractions else {}  # fmt: skip
    claims = [_current(row, retracted_at) for row in rows]
    if not earlier:
        return claims
    return claims + _earlier(cursor, [row[0] for row in rows if row[18]])


def _grouped(cursor: sqlite3.Cursor, where: str, params: list[Any],
             key: Any) -> Iterator[tuple[Any, list[tuple[Any, ...]]]]:  # fmt: skip
    """The event rows of `where`, a group (`key`) at a time: read in its order, on a cursor
    of their own, so that one group's claims are in memory at once, never the store's."""
    rows = cursor.connection.cursor().execute(
        f"SELECT {_COLUMNS} FROM events WHERE {where} ORDER BY {key[0]}, {key[1]}, position",
        params,
    )
    for found, group in itertools.groupby(rows, key=itemgetter(*key[2])):
        yield found, list(group)


def place_contested_rows(cursor: sqlite3.Cursor) -> Iterator[Conflict]:
    """Every conflict, open or ended, at every stale place: a place (of one operation) at a
    time."""
    stale_places = {key for (key,) in cursor.execute(_STALE_PLACES)}
    if not stale_places:
        return
    moved: dict[tuple[str, str], list[Claim]] = {}  # earlier readings, by place and operation
    maybe = [event_id for (event_id,) in cursor.execute(
        _MAYBE_AT_STALE_PLACES, [*_PLACE_TYPES, *_PLACE_TYPES]
    )]  # fmt: skip
    for claim in _earlier(cursor, maybe):
        if claim.place is not None and claim.place in stale_places:
            moved.setdefault((claim.place, claim.operation), []).append(claim)
    for place, rows in _grouped(cursor, f"{_PLACE_TYPES_IN} AND place IN ({_STALE_PLACES})",
                                list(_PLACE_TYPES), ("place", "operation", (3, 1))):  # fmt: skip
        claims = _claims(cursor, rows, earlier=False) + moved.pop(place, [])
        yield from conflicts_over_time(claims, place_conflicts)
    for place in sorted(moved):  # read so once, at no place now
        yield from conflicts_over_time(moved[place], place_conflicts)


def launch_contested_rows(cursor: sqlite3.Cursor) -> Iterator[Conflict]:
    """Every conflict, open or ended, of each stale operation's launch and conclusion: an
    operation at a time."""
    for _, rows in _grouped(
        cursor, f"operation IN ({_STALE_OPERATIONS}) AND type IN (?, ?)",
        [OPERATION_LAUNCHED, OPERATION_CONCLUDED], ("operation", "id", (1,)),
    ):  # fmt: skip
        yield from conflicts_over_time(_claims(cursor, rows), launch_conflicts)


def figure_contested_rows(cursor: sqlite3.Cursor) -> Iterator[Conflict]:
    """Every conflict, open or ended, of each stale figure (a strength, a casualty count) of
    an operation: an operation at a time, each figure's claims on their own."""
    stale = _stale_figures(cursor)
    if not stale:
        return
    for operation, rows in _grouped(
        cursor,
        f"operation IN (SELECT value FROM json_each(?)) AND ({_FIGURES})",
        [orjson.dumps(sorted(stale)).decode(), *_FIGURE_TYPES],
        ("operation", "id", (1,)),
    ):
        wanted = stale[operation]
        if wanted is not None:  # the rows of stale figures, and every corrected one: an
            # earlier reading of it may be of a stale figure
            rows = [row for row in rows if row[18] or _of_subjects(row, wanted)]
        claims = _claims(cursor, rows)
        subjects: dict[tuple[str, str], list[Claim]] = {}
        for kind in FIGURE_KINDS:
            for subject, claim in figure_claims(kind, claims):
                if wanted is None or (kind, subject) in wanted:
                    subjects.setdefault((kind, subject), []).append(claim)
        for (kind, _), its in sorted(subjects.items()):  # each subject's claims alone
            yield from conflicts_over_time(its, partial(figure_conflicts, kinds=(kind,)))


# The figure conflicts of an operation are among the claims that name forces with a strength,
# or that report casualties; so are launch and conclusion claims with a strength (read for
# their figures here, for their dates above).
_FIGURE_TYPES = (OPERATION_LAUNCHED, OPERATION_CONCLUDED, CASUALTIES_REPORTED)
_FIGURES = "type IN (?, ?, ?) OR strength_best IS NOT NULL OR strength_low IS NOT NULL"


def _stale_figures(cursor: sqlite3.Cursor) -> dict[str, set[tuple[str, str]] | None]:
    """Operation -> the (kind, subject) of each of its stale figure conflicts; None: all."""
    found: dict[str, set[tuple[str, str]] | None] = {}
    for operation, kind, subject in cursor.execute(schema.STALE_SUBJECTS):
        known = found.setdefault(operation, set())
        if known is not None:
            known.add((kind, subject))
    for (operation,) in cursor.execute(schema.STALE_WHOLE):
        found[operation] = None
    return found


def _of_subjects(row: tuple[Any, ...], wanted: set[tuple[str, str]]) -> bool:
    """Whether an event row, as it reads now, takes part in one of these figure conflicts."""
    forces = _loads(row[7])
    strength = any(value is not None for value in row[8:11])
    casualties = any(value is not None for value in row[11:14])
    return any(found in wanted
               for found in figure_subjects(row[2], forces, strength, casualties, row[3]))


def row_of(conflict: Conflict) -> tuple[Any, ...]:
    """A conflict as a row of the `contested` table, in the order of `COLUMNS`."""

    def listed(claims: list[Claim], part: str) -> str:
        if part == "events":
            return orjson.dumps([c.id for c in claims]).decode()
        values = [value for c in claims for value in getattr(c, part)]
        return orjson.dumps(list(dict.fromkeys(values)) if part == "outlets" else values).decode()

    return (
        conflict.key, conflict.kind, conflict.operation, conflict.subject,
        conflict.side_a, listed(conflict.claims_a, "events"),
        listed(conflict.claims_a, "outlets"), listed(conflict.claims_a, "grades"),
        conflict.side_b, listed(conflict.claims_b, "events"),
        listed(conflict.claims_b, "outlets"), listed(conflict.claims_b, "grades"),
        conflict.occurred_from, conflict.occurred_to, conflict.since, conflict.ended_at,
        conflict.ended_by,
    )  # fmt: skip


COLUMNS = (
    "key", "kind", "operation", "subject", "side_a", "events_a", "outlets_a", "grades_a",
    "side_b", "events_b", "outlets_b", "grades_b", "occurred_from", "occurred_to", "since",
    "ended_at", "ended_by",
)  # fmt: skip
_PLACE_KINDS = ", ".join(repr(k) for k in PLACE_KINDS)
_OPERATION_KINDS = ", ".join(repr(k) for k in OPERATION_KINDS)
# The stale conflicts: the places' at the stale places, the launches and conclusions of the
# stale operations, the figures of the operations stale wholly, and the stale figures; each
# condition read through one of contested's indexes.
_STALE_CONFLICTS = (
    f"kind IN ({_PLACE_KINDS}) AND subject IN ({_STALE_PLACES})",
    f"kind IN ({', '.join(repr(k) for k in LAUNCH_KINDS)}) AND operation IN ({_STALE_OPERATIONS})",
    f"kind IN ({', '.join(repr(k) for k in FIGURE_KINDS)}) "
    f"AND operation IN ({schema.STALE_WHOLE})",
    "subject IN (SELECT json_extract(key, '$[2]') FROM stale WHERE kind = 'subject') "
    f"AND (operation, kind, subject) IN ({schema.STALE_SUBJECTS})",
)


def _events_of(where: str) -> str:
    """The ids of the events on either side of the conflicts `where` names."""
    return " UNION ".join(
        f"SELECT j.value FROM contested, json_each({side}) j WHERE {where}"
        for side in ("events_a", "events_b")
    )


# The stale conflicts deleted, each operation's having listed its events (whose marks may
# change with them) in a table of this connection's own, for MARK_STALE.
DELETE_STALE = (
    "CREATE TEMP TABLE IF NOT EXISTS conflicted (id TEXT PRIMARY KEY) WITHOUT ROWID",
    "DELETE FROM temp.conflicted",
    *(f"INSERT OR IGNORE INTO temp.conflicted {_events_of(where)}"
      for where in _STALE_CONFLICTS[1:]),
    *(f"DELETE FROM contested WHERE {where}" for where in _STALE_CONFLICTS),
)  # fmt: skip
# The marks of the events whose marks may have changed: the events at a stale place (the part
# of their marks that the places' conflicts give, which are all written anew), and those on a
# side of an operation's stale conflict, before or now (the part its operation's conflicts
# give). A place's conflicts are among its events, an operation's among its: an event's
# standing conflicts are those of its place and those of its operation. Each part is worked
# out anew where it may have changed, from those conflicts standing now (once the stale ones
# are written anew), and kept from the event's marks where it cannot have. Those events are
# listed once, in a table of this connection's own, and the conflicts read through contested's
# indexes by their places and operations: never all of them (asking the events table for
# them in every clause cost a minute at 1M events), nor every event of a stale operation, nor
# the conflicts of every operation with an event at a stale place (most of them, at 1M).
_OLD_KINDS = "json_each('[\"' || replace(c.kinds, ',', '\",\"') || '\"]') k"  # "a,b": a, b
_MARKING = "INSERT INTO temp.marking SELECT id, position, place, operation, {}, {} FROM events "
_RECOMPUTED = (
    "INSERT INTO temp.marked SELECT m.position, c.kind FROM contested c, json_each(c.{side}) j "
    "JOIN temp.marking m ON m.id = j.value WHERE c.ended_at IS NULL AND {where}"
)
_PLACE_PART = f"c.kind IN ({_PLACE_KINDS}) AND c.subject IN ({_STALE_PLACES}) AND m.at_place"
_OPERATION_PART = (
    f"c.kind IN ({_OPERATION_KINDS}) AND c.operation IN (SELECT operation FROM temp.marking "
    "WHERE in_changed) AND m.in_changed"
)
MARK_STALE = (
    "CREATE TEMP TABLE IF NOT EXISTS marking (id TEXT PRIMARY KEY, position INTEGER, "
    "place TEXT, operation TEXT, at_place INTEGER, in_changed INTEGER) WITHOUT ROWID",
    "CREATE TEMP TABLE IF NOT EXISTS conflicted (id TEXT PRIMARY KEY) WITHOUT ROWID",
    "CREATE TEMP TABLE IF NOT EXISTS marked (position INTEGER, kind TEXT)",
    "DELETE FROM temp.marking",
    "DELETE FROM temp.marked",
    _MARKING.format(1, 0) + f"WHERE place IN ({_STALE_PLACES})",
    *(_MARKING.format(0, 1) + f"WHERE id IN ({ids}) ON CONFLICT (id) DO UPDATE SET in_changed = 1"
      for ids in ("SELECT id FROM temp.conflicted",
                  *(_events_of(where) for where in _STALE_CONFLICTS[1:]))),
    "INSERT INTO temp.marked SELECT m.position, k.value FROM temp.marking m JOIN "
    f"contested_marks c ON c.position = m.position, {_OLD_KINDS} WHERE (k.value IN "
    f"({_PLACE_KINDS}) AND NOT m.at_place) OR (k.value IN ({_OPERATION_KINDS}) AND NOT "
    "m.in_changed)",
    *(_RECOMPUTED.format(side=side, where=where) for where in (_PLACE_PART, _OPERATION_PART)
      for side in ("events_a", "events_b")),
    "DELETE FROM contested_marks WHERE position IN (SELECT position FROM temp.marking)",
    "INSERT INTO contested_marks (position, kinds) SELECT position, group_concat(kind) FROM "
    "(SELECT DISTINCT position, kind FROM temp.marked ORDER BY position, kind) GROUP BY position",
    "DROP TABLE temp.marking",
    "DROP TABLE temp.marked",
    "DROP TABLE temp.conflicted",
)  # fmt: skip
