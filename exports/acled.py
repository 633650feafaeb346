"""ACLED's current export (31 columns, in its order): each event as it reads now, one row,
such that `timeline import --format acled` of the file gives the same events.

The inverse of the ACLED reader's mapping, from the same tables (`timeline.readers.
acled_codes`): a sub-event type from the event's type and form, `time_precision` from its
date's span, `geo_precision` from its place's precision, outlets joined by `; `, actor1 and
actor2 with their associated actors from the event's actors, and inter codes that give the
event's roles back. An event ACLED coded keeps the columns ACLED gave it (its id, types,
interaction, disorder type, source scale, tags, timestamp) unless a correction changed what
they say. Events of a type ACLED has no row for (an operation launched, forces committed,
air support, casualties reported, an operation concluded), or with no day or no place with
coordinates, are left out and counted by `LeftOut`.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from timeline.readers.acled_codes import (
    BY_KEY,
    CURRENT,
    DATASET,
    SEPARATOR,
    SUB_EVENTS,
    WHOSE,
    disorder,
    event_date,
    geo_precision,
    interaction,
    taker,
)
from timeline.readers.coding import state_of
from timeline.vocabulary import (
    CIVILIANS_ATTACKED,
    CROSSING_CAPTURED,
    FORCES_CLASHED,
    PLACE_CAPTURED,
    PLACE_ENTERED,
    PLACE_HANDED_OVER,
    PLACE_LIBERATED,
    PLACE_LOST,
)

Row = dict[str, Any]
BATCH = 1000  # rows written per piece

# Our types without a form of their own: the sub-event type ACLED codes them as.
FIGHTING = {FORCES_CLASHED: "Armed clash", PLACE_ENTERED: "Armed clash"}
TERRITORY = (CROSSING_CAPTURED, PLACE_CAPTURED, PLACE_LIBERATED, PLACE_LOST)
GOVERNMENT, NON_STATE = "Government regains territory", "Non-state actor overtakes territory"
BY_FORM = {(ours, form): sub for sub, (_, ours, form) in SUB_EVENTS.items() if form not in WHOSE}


class LeftOut:
    """The chosen events an ACLED file cannot hold, counted by why: their type (ACLED has no
    row for it), `no day` or `no place`."""

    def __init__(self) -> None:
        self.why: Counter[str] = Counter()

    @property
    def count(self) -> int:
        return sum(self.why.values())

    def __str__(self) -> str:
        return ", ".join(f"{why} {n}" for why, n in sorted(self.why.items()))


def document(
    readings: Iterable[tuple[Row, Row]], *, states: Sequence[str] = (),
    left_out: LeftOut | None = None,
) -> Iterator[str]:  # fmt: skip
    """ACLED's header, then a row per event: `readings` are (events row, the record as it
    reads now); `states` the sides whose forces are state forces (inter code 1) beside
    those a name says ("Military Forces of Iraq (2014-)")."""
    left = left_out if left_out is not None else LeftOut()
    yield _lines([list(CURRENT)])
    batch: list[list[Any]] = []
    for event, record in readings:
        row = acled_row(event, record, frozenset(states), left)
        if row is None:
            continue
        batch.append([row.get(column, "") for column in CURRENT])
        if len(batch) == BATCH:
            yield _lines(batch)
            batch = []
    if batch:
        yield _lines(batch)


def acled_row(event: Row, record: Row, states: frozenset[str], left: LeftOut) -> Row | None:
    """One event as ACLED's row, or None (counted in `left`) if ACLED has no row for it."""
    coded = record.get("dataset") or {}
    coded = coded if coded.get("name") == DATASET else {}
    sub = _sub_event(record, coded)
    if sub is None:
        left.why[record["type"]] += 1
        return None
    day = _day(event)
    if day is None:
        left.why["no day"] += 1
        return None
    mention = record.get("place")
    place: Row = mention if isinstance(mention, dict) else {}
    lat, lon = place.get("lat", event.get("lat")), place.get("lon", event.get("lon"))
    if lat is None or lon is None:
        left.why["no place"] += 1
        return None
    date, time_precision = day
    groups = _groups(record.get("actors") or [])
    spelled = BY_KEY.get(str(coded.get("sub_event_type", "")).strip().casefold(), (None,))[0]
    if spelled != sub and record["type"] in TERRITORY and any(
        group[0]["role"] == "attacker" and _state(group[0], states) for group in groups[:2]
    ):  # fmt: skip
        sub = GOVERNMENT
    row: Row = {
        "event_id_cnty": coded.get("id") or record["id"], "event_date": date.isoformat(),
        "year": date.year, "time_precision": time_precision, "location": place.get("name")
        or event.get("place"), "latitude": lat, "longitude": lon,
        "geo_precision": geo_precision(place.get("precision") or event.get("place_precision")),
        "source": SEPARATOR.join(dict.fromkeys(s["outlet"] for s in record["sources"])),
        "notes": record.get("notes"), "fatalities": record.get("fatalities"),
    }  # fmt: skip
    within = str(place.get("within") or "")
    row["admin1"], _, row["country"] = within.rpartition(", ")
    if spelled == sub:  # as ACLED coded it: its own text
        row["event_type"], row["sub_event_type"] = coded.get("event_type"), coded["sub_event_type"]
        for column in ("disorder_type", "interaction", "civilian_targeting", "source_scale",
                       "tags", "timestamp"):  # fmt: skip
            row[column] = coded.get(column)
    else:
        row["event_type"], row["sub_event_type"] = SUB_EVENTS[sub][0], sub
        row["disorder_type"] = disorder(sub)
        if record["type"] == CIVILIANS_ATTACKED:
            row["civilian_targeting"] = "Civilian targeting"
        row["timestamp"] = _unix(event.get("corrected") or event.get("recorded"))
    codes, kept = _codes(groups, sub, coded, states)
    if not kept and len(groups) == 1:  # two actors of one side, neither took the place
        split = next((n for n, a in enumerate(groups[0]) if n and _own_side(a)), None)
        if split is not None:
            groups = [groups[0][:split], groups[0][split:]]
            codes, kept = _codes(groups, sub, coded, states)
    for n, group in enumerate(groups[:2], start=1):
        row[f"actor{n}"] = group[0]["force"]
        row[f"assoc_actor_{n}"] = SEPARATOR.join(a["force"] for a in group[1:])
        row[f"inter{n}"] = codes[n - 1]
    known = [code for code in codes if code is not None]
    if not coded and known and len(known) == len(codes):  # ACLED's: the lower code first
        row["interaction"] = "".join(str(code) for code in sorted(known)).ljust(2, "0")
    return row


def _sub_event(record: Row, coded: Row) -> str | None:
    """The sub-event type the event reads as: ACLED's own where it still says the event's
    type and form; else the one the type and form map to."""
    kind = BY_KEY.get(str(coded.get("sub_event_type", "")).strip().casefold())
    ours, form = record["type"], record.get("form")
    if kind is not None and kind[2] == ours and (kind[3] == form or kind[3] in WHOSE):
        return kind[0]
    if ours in FIGHTING:
        return FIGHTING[ours]
    if ours == PLACE_HANDED_OVER:
        return "Non-violent transfer of territory"
    if ours in TERRITORY:
        return NON_STATE  # or the government's, when state forces take it: acled_row
    return BY_FORM.get((ours, form))


def _day(event: Row) -> tuple[datetime.date, int] | None:
    """(event_date, time_precision) of the event's possible days; an open end is as wide
    as a month or more (3), the day that is known."""
    earliest, latest = event.get("occurred_earliest"), event.get("occurred_latest")
    if earliest is None and latest is None:
        return None
    if earliest is None or latest is None:
        return datetime.date.fromisoformat(str(earliest or latest)), 3
    return event_date(datetime.date.fromisoformat(earliest), datetime.date.fromisoformat(latest))


def _groups(actors: list[Row]) -> list[list[Row]]:
    """actor1 with its associated actors (those after it on its side, in its role), then
    actor2 with every actor after: ACLED has two actors, and the reader puts an associated
    actor on its actor's side."""
    if not actors:
        return []
    first = actors[0]
    n = 1
    while n < len(actors) and (actors[n]["side"], actors[n]["role"]) == (
        first["side"], first["role"],
    ):  # fmt: skip
        n += 1
    return [actors[:n], actors[n:]] if n < len(actors) else [actors]


def _codes(
    groups: list[list[Row]], sub: str, coded: Row, states: frozenset[str]
) -> tuple[list[int | None], bool]:
    """actor1's and actor2's inter codes: the ones the event's ACLED interaction says (in the
    order that gives the roles back), else 1 for state forces (by name, or of a side in
    `states`) and none for the rest; and whether the import reads the roles back from them."""
    primary = [group[0] for group in groups[:2]]
    attackers = [n for n, actor in enumerate(primary) if actor["role"] == "attacker"]
    expected = attackers[0] if len(attackers) == 1 else None
    by_name = [1 if _state(actor, states) else None for actor in primary]
    candidates: list[list[int | None]] = []
    said = interaction(str(coded.get("interaction") or ""))
    if said is not None and len(said) == len(primary):
        candidates += [list(said), list(reversed(said))]
    candidates += [by_name, [None] * len(primary)]
    whose = SUB_EVENTS[sub][2]
    if whose not in WHOSE:
        return candidates[0], True
    for codes in candidates:
        if taker(whose, codes) == expected:
            return codes, True
    return by_name, False


def _own_side(actor: Row) -> bool:
    """Whether the sides rule gives an actor, as actor2, the side it has."""
    return bool((state_of(actor["force"]) or actor["force"]) == actor["side"])


def _state(actor: Row, states: frozenset[str]) -> bool:
    """Whether an actor is state forces: by its name, or as a force of one of `states`."""
    return state_of(actor["force"]) is not None or actor["side"] in states


def _unix(moment: str | None) -> int | None:
    if not moment:
        return None
    return int(datetime.datetime.fromisoformat(moment).timestamp())


def _lines(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()
