"""ACLED's coding, both ways: the one home of every table the ACLED reader (`acled.Acled`,
row -> record) and the ACLED export (`exports.acled`, event -> row) share.

Pure, and light (the standard library, and `coding`'s way of quoting a value): the read side
imports it without the intake, pydantic or the reader. The README's mapping table says what
`SUB_EVENTS` says.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from timeline.readers.coding import shown

DATASET: Final = "ACLED"
SEPARATOR: Final = "; "  # joins outlets (`source`) and associated actors (`assoc_actor_N`)

# ACLED's current export (since March 2023) and the one before it, in order.
CURRENT = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2",
    "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "tags", "timestamp",
)  # fmt: skip
BEFORE_2023 = (
    "data_id", "iso", "event_id_cnty", "event_id_no_cnty", "event_date", "year",
    "time_precision", "event_type", "sub_event_type", "actor1", "assoc_actor_1", "inter1",
    "actor2", "assoc_actor_2", "inter2", "interaction", "region", "country", "admin1", "admin2",
    "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "timestamp", "iso3",
)  # fmt: skip
REQUIRED = (
    "event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type", "actor1",
    "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "country", "admin1",
    "location", "latitude", "longitude", "geo_precision", "source", "notes", "fatalities",
)  # fmt: skip
ALIASES = {"ally_actor_1": "assoc_actor_1", "ally_actor_2": "assoc_actor_2"}  # older files

# sub-event type -> (its event type, our type, its form or whose the place becomes), spelled
# as ACLED's codebook spells them (files are read ignoring case).
SUB_EVENTS: dict[str, tuple[str, str, str | None]] = {
    "Armed clash": ("Battles", "forces_clashed", None),
    "Government regains territory": ("Battles", "place_captured", "state"),
    "Non-state actor overtakes territory": ("Battles", "place_captured", "non-state"),
    "Chemical weapon": ("Explosions/Remote violence", "place_struck", "chemical weapon"),
    "Air/drone strike": ("Explosions/Remote violence", "place_struck", "air or drone strike"),
    "Suicide bomb": ("Explosions/Remote violence", "place_struck", "suicide bomb"),
    "Shelling/artillery/missile attack": (
        "Explosions/Remote violence", "place_struck", "shelling, artillery or missile attack",
    ),
    "Remote explosive/landmine/IED": (
        "Explosions/Remote violence", "place_struck", "remote explosive, landmine or IED",
    ),
    "Grenade": ("Explosions/Remote violence", "place_struck", "grenade"),
    "Sexual violence": ("Violence against civilians", "civilians_attacked", "sexual violence"),
    "Attack": ("Violence against civilians", "civilians_attacked", "attack"),
    "Abduction/forced disappearance": (
        "Violence against civilians", "civilians_attacked", "abduction or forced disappearance",
    ),
    "Peaceful protest": ("Protests", "protest_held", "peaceful"),
    "Protest with intervention": ("Protests", "protest_held", "with intervention"),
    "Excessive force against protesters": (
        "Protests", "protest_held", "excessive force against protesters",
    ),
    "Violent demonstration": ("Riots", "riot_broke_out", "violent demonstration"),
    "Mob violence": ("Riots", "riot_broke_out", "mob violence"),
    "Agreement": ("Strategic developments", "development_reported", "agreement"),
    "Arrests": ("Strategic developments", "development_reported", "arrests"),
    "Change to group/activity": (
        "Strategic developments", "development_reported", "change to group or activity",
    ),
    "Disrupted weapons use": (
        "Strategic developments", "development_reported", "disrupted weapons use",
    ),
    "Headquarters or base established": (
        "Strategic developments", "development_reported", "headquarters or base established",
    ),
    "Looting/property destruction": (
        "Strategic developments", "development_reported", "looting or property destruction",
    ),
    "Non-violent transfer of territory": (
        "Strategic developments", "place_handed_over", "receiver",
    ),
    "Other": ("Strategic developments", "development_reported", "other"),
}  # fmt: skip
WHOSE = ("state", "non-state", "receiver")  # not a form: whose the place becomes
SPELLINGS = {"excessive force against protestors": "excessive force against protesters"}
BY_KEY = {sub.casefold(): (sub, *kind) for sub, kind in SUB_EVENTS.items()}
"""A sub-event type as a file may spell it (casefolded) -> (ACLED's spelling, *its kind)."""

DEMONSTRATIONS = ("Protests", "Violent demonstration")  # an event type, a sub-event type
BOTH = ("Excessive force against protesters",)


def disorder(sub_event: str) -> str:
    """ACLED's disorder_type of a sub-event type, as its codebook assigns them (for an event
    ACLED did not code): demonstrations, strategic developments, or political violence."""
    event_type = SUB_EVENTS[sub_event][0]
    if sub_event in BOTH:
        return "Political violence; Demonstrations"
    if event_type in DEMONSTRATIONS or sub_event in DEMONSTRATIONS:
        return "Demonstrations"
    if event_type == "Strategic developments":
        return "Strategic developments"
    return "Political violence"


# inter1/inter2: codes, or the words ACLED's API and acledR write for them
INTER_WORDS = (
    ("state", 1), ("rebel", 2), ("political", 3), ("identity", 4), ("communal", 4),
    ("rioter", 5), ("protest", 6), ("civilian", 7), ("external", 8), ("foreign", 8),
    ("other", 8),
)  # fmt: skip
STATE_FORCES: Final = 1


@lru_cache(maxsize=1024)
def inter(text: str) -> int | None:
    """An inter code, given as 1-8 or as its words ("State forces"); None if empty."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"[1-8](?:\.0)?", text):
        return int(float(text))
    words = text.casefold()
    for word, code in INTER_WORDS:
        if word in words:
            return code
    raise ValueError(f"{shown(text)} is not an inter code (1-8, or State forces, Rebel group...)")


def interaction(text: str) -> list[int] | None:
    """The inter codes an `interaction` says, in its order: `12` (two codes), `10` or `1`
    (one actor), `State forces-Rebel group` (words); None if it says none that can be read."""
    text = text.strip()
    if re.fullmatch(r"[1-8]0?|[1-8]{2}", text):
        return [int(digit) for digit in text if digit != "0"]
    try:
        codes = [inter(part) for part in text.split("-")]
    except ValueError:
        return None
    found = [code for code in codes if code is not None]
    return found if 1 <= len(found) <= 2 else None
GEO_PRECISION = {1: "exact", 2: "near", 3: "region"}
"""geo_precision -> the place's precision; a wider precision than `region` is written 3."""
WEEK = datetime.timedelta(days=3)  # time_precision 2: the day ACLED gives, three days each way


@lru_cache(maxsize=16384)
def occurred(day: datetime.date, precision: int) -> str:
    """time_precision as EDTF: 1 the day; 2 the week around it; 3 its month."""
    if precision == 1:
        return day.isoformat()
    if precision == 2:
        return f"{(day - WEEK).isoformat()}/{(day + WEEK).isoformat()}"
    return f"{day.year:04d}-{day.month:02d}"


def event_date(
    earliest: datetime.date, latest: datetime.date
) -> tuple[datetime.date, int]:  # fmt: skip
    """The inverse of `occurred`, for any span of days: (event_date, time_precision). One day
    is 1; up to a week (an `about` day, ±3, is one) is 2, the middle day; anything wider is 3,
    the middle day, which `occurred` reads back as that day's month."""
    days = (latest - earliest).days
    middle = datetime.date.fromordinal((earliest.toordinal() + latest.toordinal()) // 2)
    if days <= 0:
        return earliest, 1
    return middle, 2 if days <= 2 * WEEK.days else 3


def geo_precision(precision: str | None) -> int:
    """A place's precision as ACLED's geo_precision: none said is its own coordinates (1)."""
    for code, name in GEO_PRECISION.items():
        if name == (precision or "exact"):
            return code
    return 3


def taker(whose: str | None, codes: Sequence[int | None]) -> int | None:
    """Which of the row's actors (their inter codes, those present) the place goes to, by its
    sub-event type (`whose`): the one state force when the government regains territory; the
    one non-state actor, every actor's code known, when one overtakes it; the only actor when
    one receives it. None: the row does not say, and every actor is a party."""
    if whose == "state" and list(codes).count(STATE_FORCES) == 1:
        return list(codes).index(STATE_FORCES)
    if whose == "non-state" and all(codes):
        takers = [n for n, code in enumerate(codes) if code != STATE_FORCES]
        return takers[0] if len(takers) == 1 else None
    if whose == "receiver" and len(codes) == 1:
        return 0
    return None
