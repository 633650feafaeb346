"""Realistic synthetic events in the record format: seedable, streamed, every one valid.

    python benchmarks/generate.py --events 100000 --seed 1 -o /tmp/events.jsonl

The same (n, seed) gives the same file, byte for byte. Events are written as they are made:
only the places (at most 8,000), the forces and the state of the operations under way are
held in memory, never the events.

What a file holds, scaled to n:

- operations (about n/5000, 3 to 500), a few under way at once and interleaved in the file as
  analysts would record them, each opened by an `operation_launched`, most closed by one
  `operation_concluded`;
- places (about n/300, 20 to 8,000) in Iraq and Syria, of every kind, each with a name unique
  by its `name_key`, and aliases in other spellings and in Arabic script; given in full the
  first time the file mentions them, later named by name or alias (or in full again, which
  adds the aliases held back the first time);
- a few hundred forces on eleven sides; control of a place taken, lost and taken back;
- EDTF dates of every precision over 2014-2019: days, months, years, `~ ? %`, intervals in
  order, a few open ends;
- one to four sources with mixed Admiralty grades, urls, published dates and quotes;
- corrections (about 2%) and retractions (about 0.5%) of earlier events of the same operation;
- hostile text in notes and quotes: markup, SQL, quotes, newlines, bidi controls.
"""

from __future__ import annotations

import argparse
import datetime
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from timeline.names import name_key

MIN_EVENTS, MAX_EVENTS = 1_000, 2_000_000
FIRST_DAY, LAST_DAY = datetime.date(2014, 1, 1), datetime.date(2019, 12, 31)
CORRECTION_RATE, RETRACTION_RATE = 0.02, 0.005
UNDER_WAY = 8  # operations recorded in the file at the same time
STRING_REFERENCE_RATE = 0.7  # later mentions of a place by name rather than in full

# --- places ---------------------------------------------------------------------------------

# Syllables in transliteration and in Arabic script: names and their Arabic aliases are built
# from the same pieces, so "Kabrasha" is "كابراشا".
SYLLABLES = [
    ("ka", "كا"),
    ("ra", "را"),
    ("bi", "بي"),
    ("sha", "شا"),
    ("dir", "دير"),
    ("mal", "مال"),
    ("hu", "حو"),
    ("sin", "سين"),
    ("ta", "تا"),
    ("qa", "قا"),
    ("ju", "جو"),
    ("na", "نا"),
    ("zor", "زور"),
    ("ham", "حم"),
    ("dan", "دان"),
    ("ba", "با"),
    ("ghu", "غو"),
    ("fa", "فا"),
    ("lu", "لو"),
    ("sa", "سا"),
    ("mi", "مي"),
    ("yah", "ية"),
    ("wad", "واد"),
    ("kir", "كير"),
    ("tus", "طوس"),
    ("jar", "جار"),
    ("rif", "ريف"),
    ("sul", "سول"),
    ("dah", "ضاح"),
    ("zi", "زي"),
    ("nur", "نور"),
    ("bab", "باب"),
    ("khar", "خار"),
    ("ayn", "عين"),
    ("mas", "ماس"),
    ("ri", "ري"),
]
# Prefixes by kind, with their Arabic; "" is a bare name.
PREFIXES = {
    "town": [
        ("", ""),
        ("Tal", "تل"),
        ("Bir", "بئر"),
        ("Ain", "عين"),
        ("Umm", "أم"),
        ("Abu", "أبو"),
        ("Deir", "دير"),
        ("Kafr", "كفر"),
        ("Khirbat", "خربة"),
    ],
    "neighbourhood": [("Hay", "حي"), ("Hay al-", "حي ال"), ("Souq", "سوق")],
    "crossing": [("Ma'bar", "معبر")],
    "facility": [("Matar", "مطار"), ("Sadd", "سد"), ("Qa'idat", "قاعدة"), ("Haql", "حقل")],
    "region": [("Wadi", "وادي"), ("Jabal", "جبل"), ("Sahl", "سهل")],
}
SUFFIXES = {  # English descriptions analysts add: "X border crossing", "X airbase"
    "crossing": ["border crossing", "crossing"],
    "facility": ["airbase", "dam", "oil field", "grain silos", "power station", "prison"],
    "region": ["district", "desert", "valley"],
}
KINDS = [
    *["town"] * 50,
    *["neighbourhood"] * 25,
    *["facility"] * 12,
    *["region"] * 8,
    *["crossing"] * 5,
]
PROVINCES = [  # centres people fought over; places scatter around them
    ("Anbar", 33.4, 42.3),
    ("Ninawa", 36.3, 43.1),
    ("Salahuddin", 34.6, 43.7),
    ("Kirkuk", 35.5, 44.4),
    ("Diyala", 33.9, 44.9),
    ("Baghdad belt", 33.3, 44.2),
    ("Deir ez-Zor", 35.3, 40.2),
    ("Raqqa", 35.9, 39.0),
    ("Hasakah", 36.5, 40.8),
    ("Aleppo", 36.2, 37.2),
    ("Homs desert", 34.6, 38.3),
    ("Hama", 35.1, 36.8),
    ("Sinjar", 36.3, 41.9),
    ("Babil", 32.5, 44.4),
    ("Karbala desert", 32.6, 43.2),
    ("Wasit", 32.5, 45.8),
    ("Basra", 30.5, 47.6),
    ("Damascus countryside", 33.5, 36.4),
]


@dataclass
class PlaceSpec:
    name: str
    lat: float
    lon: float
    kind: str
    aliases: list[str]
    held_back: int  # how many aliases the first full mention leaves out
    province: str
    told: bool = False  # given in full earlier in the file
    all_told: bool = False  # every alias given
    known_names: list[str] = field(default_factory=list)

    def full(self) -> dict[str, Any]:
        """The place in full; the first time without the aliases held back."""
        aliases = self.aliases if self.told else self.aliases[: len(self.aliases) - self.held_back]
        place: dict[str, Any] = {
            "name": self.name,
            "lat": self.lat,
            "lon": self.lon,
            "kind": self.kind,
        }
        if aliases:
            place["aliases"] = aliases
        if not self.told:
            self.known_names = [self.name, *aliases]
        else:
            self.known_names = [self.name, *self.aliases]
            self.all_told = True
        self.told = True
        return place


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _root(rng: random.Random) -> tuple[str, str]:
    pieces = rng.choices(SYLLABLES, k=rng.choice((2, 2, 3, 3, 4)))
    latin = "".join(p[0] for p in pieces)
    return latin.capitalize(), "".join(p[1] for p in pieces)


def _variant(name: str, rng: random.Random) -> str:
    """Another transliteration of a name: Tell for Tal, k for q, ou for u, ..."""
    swaps = [
        ("Tal ", "Tell "),
        ("Deir ", "Dayr "),
        ("Khirbat ", "Khirbet "),
        ("Jabal ", "Jebel "),
        ("Umm ", "Um "),
        ("Hay ", "Hai "),
        ("q", "k"),
        ("u", "ou"),
        ("sh", "ch"),
        ("ay", "ai"),
        ("ah", "a"),
        ("ji", "gi"),
    ]
    rng.shuffle(swaps)
    for old, new in swaps:
        if old in name:
            return name.replace(old, new, 1)
    return name + name[-1]


def make_places(count: int, rng: random.Random) -> list[PlaceSpec]:
    """`count` places whose names and aliases have unique keys: no two places share a name."""
    keys: set[str] = set()
    places: list[PlaceSpec] = []
    towns: list[PlaceSpec] = []
    while len(places) < count:
        kind = rng.choice(KINDS) if towns else "town"
        (prefix, prefix_ar), (root, root_ar) = rng.choice(PREFIXES[kind]), _root(rng)
        article = rng.random() < 0.35
        core = f"al-{root}" if article else root
        core_ar = f"ال{root_ar}" if article else root_ar
        if prefix.endswith("-"):
            name, arabic = f"{prefix}{root}", f"{prefix_ar}{root_ar}"
        else:
            name = f"{prefix} {core}".strip()
            arabic = f"{prefix_ar} {core_ar}".strip()
        if kind in SUFFIXES and rng.random() < 0.5:
            name = f"{core} {rng.choice(SUFFIXES[kind])}"
        if kind == "neighbourhood":
            town = rng.choice(towns)
            lat = town.lat + rng.uniform(-0.04, 0.04)
            lon = town.lon + rng.uniform(-0.04, 0.04)
            province = town.province
            if rng.random() < 0.3:
                name = f"{name} ({town.name})"
        else:
            province, plat, plon = rng.choice(PROVINCES)
            lat, lon = rng.gauss(plat, 0.5), rng.gauss(plon, 0.6)
        lat, lon = round(min(max(lat, 29.0), 37.0), 4), round(min(max(lon, 36.0), 48.0), 4)
        candidates = [name]
        if rng.random() < 0.8:
            candidates.append(arabic)
        for _ in range(rng.choice((0, 1, 1, 2))):
            candidates.append(_variant(name, rng))
        own: list[str] = []
        own_keys: set[str] = set()
        for candidate in candidates:
            key = name_key(candidate)
            if key in keys or key in own_keys:
                continue
            own.append(candidate)
            own_keys.add(key)
        if not own or own[0] != name:
            continue  # the name itself is taken: draw another
        keys |= own_keys
        aliases = own[1:]
        held_back = rng.randint(0, len(aliases)) if aliases and rng.random() < 0.3 else 0
        spec = PlaceSpec(name, lat, lon, kind, aliases, held_back, province)
        places.append(spec)
        if kind == "town":
            towns.append(spec)
    return places


def _spelled_otherwise(name: str, rng: random.Random) -> str:
    """The same name as an analyst may type it: case, article, apostrophes (the same key)."""
    forms = [name.upper(), name.lower(), name.replace("'", ""), name.replace("al-", "Al ")]
    if not name.lower().startswith("al-") and rng.random() < 0.5:
        forms.append(f"al-{name}")
    form = rng.choice(forms)
    return form if name_key(form) == name_key(name) else name


# --- forces ---------------------------------------------------------------------------------


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def make_forces() -> dict[str, list[str]]:
    """A few hundred forces on eleven sides (every name unique)."""
    wilayat = [
        "Ninawa",
        "Anbar",
        "al-Furat",
        "Kirkuk",
        "Salahuddin",
        "Dijla",
        "al-Jazira",
        "al-Khayr",
        "al-Raqqa",
        "Halab",
        "Homs",
        "Dimashq",
        "Diyala",
        "Shamal Baghdad",
    ]
    return {
        "Iraq": [
            *(f"Iraqi Army {_ordinal(k)} Division" for k in range(1, 21)),
            *(f"Federal Police {_ordinal(k)} Division" for k in range(1, 7)),
            *(f"Popular Mobilization Units Brigade {k}" for k in range(1, 61)),
            "Counter Terrorism Service",
            "Iraqi Air Force",
            "Iraqi Army Aviation",
            "Badr Organization",
            "Kata'ib Hezbollah",
            "Asa'ib Ahl al-Haq",
            "Saraya al-Salam",
            "Tribal Mobilization (Anbar)",
            "الحشد الشعبي",
        ],
        "ISIS": [
            "Islamic State",
            "Jaysh al-Khilafah",
            "Jaysh al-Usra",
            *(f"Wilayat {w}" for w in wilayat),
            *(f"Katibat {k}" for k in ("al-Battar", "Tariq ibn Ziyad", "al-Muhajirin", "Usud")),
            "الدولة الإسلامية",
        ],
        "Syria": [
            *(f"Syrian Arab Army {_ordinal(k)} Division" for k in range(1, 19)),
            *(f"Republican Guard {k} Brigade" for k in (104, 105, 106, 30)),
            "Tiger Forces",
            "5th Assault Corps",
            "Liwa al-Quds",
            "Syrian Arab Air Force",
            *(
                f"National Defence Forces ({c})"
                for c in ("Homs", "Hama", "Deir ez-Zor", "Aleppo", "Hasakah", "Qamishli")
            ),
        ],
        "SDF": [
            "Syrian Democratic Forces",
            "YPG",
            "YPJ",
            "Manbij Military Council",
            "Deir ez-Zor Military Council",
            "Raqqa Internal Security Forces",
            "Jaysh al-Thuwar",
            "al-Sanadid Forces",
            "Syriac Military Council",
            *(f"SDF {_ordinal(k)} Regiment" for k in range(1, 21)),
            "قوات سوريا الديمقراطية",
        ],
        "Coalition": [
            "US-led coalition",
            "US Air Force",
            "Royal Air Force",
            "French Air Force",
            "Royal Australian Air Force",
            "Royal Netherlands Air Force",
            "Royal Danish Air Force",
            "Royal Jordanian Air Force",
            "US Army Apache helicopters",
            "US Marine artillery",
            *(f"US Army {_ordinal(k)} Field Artillery Regiment" for k in range(1, 11)),
        ],
        "Russia": [
            "Russian Aerospace Forces",
            "Wagner Group",
            "Russian Military Police",
            "Russian special operations forces",
            "Russian Navy",
        ],
        "Turkey": [
            "Turkish Armed Forces",
            "Turkish Air Force",
            "Turkish Land Forces",
            *(f"Turkish {_ordinal(k)} Commando Brigade" for k in range(1, 6)),
        ],
        "Kurdistan Region": [
            *(f"Peshmerga {_ordinal(k)} Brigade" for k in range(1, 31)),
            "Zeravani",
            "Kurdistan Region Security Council",
            "Asayish",
        ],
        "Syrian opposition": [
            "Free Syrian Army",
            "Jaysh al-Islam",
            "Ahrar al-Sham",
            "Faylaq al-Sham",
            "Sultan Murad Division",
            "Hamza Division",
            "Maghawir al-Thawra",
            "Jaysh Usud al-Sharqiya",
            "Syrian National Army",
            "Jaysh al-Izza",
            *(f"Syrian National Army {_ordinal(k)} Legion" for k in range(1, 4)),
        ],
        "HTS": [
            "Hay'at Tahrir al-Sham",
            "Jabhat al-Nusra",
            "Jabhat Fatah al-Sham",
            "Turkistan Islamic Party",
            "هيئة تحرير الشام",
        ],
        "Iran": [
            "IRGC Quds Force",
            "Fatemiyoun Brigade",
            "Zainabiyoun Brigade",
            "Hezbollah",
            "Harakat al-Nujaba",
        ],
    }


# (attacker side, defender side, supporting sides, share): who fought whom, and how often
CONFLICTS = [
    ("Iraq", "ISIS", ("Coalition", "Iraq"), 30),
    ("SDF", "ISIS", ("Coalition",), 15),
    ("Kurdistan Region", "ISIS", ("Coalition",), 8),
    ("Syria", "ISIS", ("Russia", "Iran"), 12),
    ("Syria", "Syrian opposition", ("Russia",), 10),
    ("Syria", "HTS", ("Russia",), 6),
    ("ISIS", "Iraq", ("Coalition",), 6),
    ("ISIS", "Syria", ("Russia",), 4),
    ("Turkey", "SDF", ("Turkey",), 4),
    ("Syrian opposition", "ISIS", ("Turkey",), 3),
    ("Iraq", "Kurdistan Region", ("Iraq",), 2),
]
LIBERATORS = {"Iraq", "Syria", "SDF", "Kurdistan Region", "Syrian opposition"}

# --- sources and text -----------------------------------------------------------------------

OUTLETS = [  # (outlet, site or None, its usual reliability)
    ("Reuters", "www.reuters.com", "B"),
    ("Associated Press", "apnews.com", "B"),
    ("AFP", "www.afp.com", "B"),
    ("BBC Arabic", "www.bbc.com/arabic", "B"),
    ("Al Jazeera", "www.aljazeera.net", "C"),
    ("Al Arabiya", "www.alarabiya.net", "C"),
    ("Rudaw", "www.rudaw.net", "C"),
    ("Kurdistan 24", "www.kurdistan24.net", "C"),
    ("SANA", "sana.sy", "E"),
    ("Amaq", None, "F"),
    ("South Front", "southfront.org", "D"),
    ("Institute for the Study of War", "www.understandingwar.org", "B"),
    ("Syrian Observatory for Human Rights", "www.syriahr.com", "C"),
    ("Iraqi Ministry of Defence", "mod.mil.iq", "D"),
    ("PMU Media Office", "pmf.iq", "D"),
    ("CJTF-OIR", "www.inherentresolve.mil", "B"),
    ("Russian Ministry of Defence", "mil.ru", "D"),
    ("Enab Baladi", "www.enabbaladi.net", "C"),
    ("Deir Ezzor 24", "deirezzor24.net", "C"),
    ("Shafaq News", "shafaq.com", "C"),
    ("Airwars", "airwars.org", "B"),
    ("Liveuamap", "liveuamap.com", "D"),
    ("ANHA", "hawarnews.com", "D"),
    ("Al-Masdar News", "www.almasdarnews.com", "D"),
    ("Anadolu Agency", "www.aa.com.tr", "C"),
    ("Iraqi News Agency", "www.ina.iq", "D"),
    ("local activist on Twitter", "twitter.com", "F"),
    ("Telegram channel", "t.me", "F"),
    ("وكالة الأنباء العراقية", "www.ina.iq/ar", "D"),
    ("المرصد السوري لحقوق الإنسان", "www.syriahr.com/ar", "C"),
]
CREDIBILITY = ["1", "2", "3", "4", "5", "6"]
CREDIBILITY_WEIGHTS = [8, 30, 32, 15, 5, 10]
HOSTILE = [
    "<script>alert(1)</script>",
    "'; DROP TABLE events; --",
    "Robert'); DROP TABLE stored_events;--",
    'the commander said "we will return" and left',
    "two lines:\nfirst report\nsecond report",
    "tab\tseparated\tfields",
    "back\\slash and a C:\\path\\file",
    "right-to-left \u202eoverride\u202c and a zero\u200bwidth space",
    "line\u2028separator and paragraph\u2029separator",
    "<img src=x onerror=alert('x')>",
    "{{7*7}} ${jndi:ldap://x} %s %n",
    "emoji 🚀🔥 and combining e\u0301",
    'قال المتحدث: "تم تحرير المنطقة بالكامل"',
]
NOTES = [
    "Single source; the figure is the source's own.",
    "Coordinates approximate: the report names the area, not the place.",
    "Date from the publication, not the report: the event may be a day or two earlier.",
    "Contradicted by a later report of fighting inside the town.",
    "The source relays a claim of the attacking side without verification.",
    "Casualty figures from hospital sources; likely undercounted.",
    "Graded down: the outlet is partisan and the claim is not checkable.",
    "Confirmed by satellite imagery a week later.",
    "الخبر منقول عن مصدر أمني",
]
QUOTES = [
    "forces took control of {place} after heavy clashes",
    "units advanced towards {place} under air cover",
    "fighting continued inside {place} on the second day",
    "the militants withdrew from {place} overnight",
    "sources said {place} had been fully liberated",
    "dozens were killed in the fighting around {place}",
    "القوات الأمنية تحرر {place} بالكامل",
]


def _text(rng: random.Random, pool: list[str], place: str) -> str:
    if rng.random() < 0.06:
        return rng.choice(HOSTILE)
    return rng.choice(pool).format(place=place)


# --- dates ----------------------------------------------------------------------------------


def _day(day: datetime.date) -> datetime.date:
    return min(max(day, FIRST_DAY), LAST_DAY)


def edtf(day: datetime.date, rng: random.Random) -> str:
    """A date as analysts know it: a day, a month or a year, qualified, or an interval."""
    day = _day(day)
    roll = rng.random()
    qualifier = rng.choice("~?%")
    if roll < 0.55:
        return day.isoformat()
    if roll < 0.66:
        return day.isoformat() + qualifier
    if roll < 0.74:
        return f"{day:%Y-%m}"
    if roll < 0.77:
        return f"{day:%Y-%m}{qualifier}"
    if roll < 0.785:
        return f"{day:%Y}"
    if roll < 0.79:
        return f"{day:%Y}{qualifier}"
    if roll < 0.985:
        start = _day(day - datetime.timedelta(days=rng.randint(1, 20)))
        sides = [start.isoformat(), day.isoformat()]
        if rng.random() < 0.15:
            sides[0] = f"{start:%Y-%m}"  # from some day that month
        if rng.random() < 0.1:
            sides[1] += qualifier
        return "/".join(sides)
    return f"{day.isoformat()}/.."


# --- operations -----------------------------------------------------------------------------


@dataclass
class Operation:
    slug: str
    start: datetime.date
    days: int
    budget: int  # events still to write, conclusion included
    total: int
    attackers: list[str]
    attacker_side: str
    defenders: list[str]
    defender_side: str
    supporters: list[tuple[str, str]]
    places: list[PlaceSpec]
    concludes: bool
    scale: int  # troops, roughly
    written: int = 0
    events: list[tuple[str, str]] = field(default_factory=list)  # (id, type), not reports
    retracted: set[str] = field(default_factory=set)
    corrected: set[str] = field(default_factory=set)
    held: dict[str, str] = field(default_factory=dict)  # place name -> "entered" | "taken"

    def today(self, rng: random.Random) -> datetime.date:
        progress = self.written / max(self.total, 1)
        offset = int(progress * self.days) + rng.randint(-2, 2)
        return _day(self.start + datetime.timedelta(days=max(offset, 0)))


def _budgets(n: int, count: int, rng: random.Random) -> list[int]:
    """n events shared among `count` operations, unevenly, each with at least one."""
    weights = [rng.lognormvariate(0, 0.7) for _ in range(count)]
    total = sum(weights)
    budgets = [max(1, int(n * w / total)) for w in weights]
    while sum(budgets) < n:
        budgets[rng.randrange(count)] += 1
    while sum(budgets) > n:
        largest = max(range(count), key=budgets.__getitem__)
        budgets[largest] -= 1
    return budgets


class Generator:
    def __init__(self, n: int, seed: int) -> None:
        if n < 1:
            raise ValueError("n must be at least 1")
        self.n = n
        self.rng = random.Random(seed)
        self.places = make_places(_clamp(n // 300, 20, 8000), self.rng)
        self.by_province: dict[str, list[PlaceSpec]] = {}
        for place in self.places:
            self.by_province.setdefault(place.province, []).append(place)
        self.forces = make_forces()
        count = min(_clamp(n // 5000, 3, 500), n)
        self.budgets = _budgets(n, count, self.rng)
        self.sequence = 0

    # The stream: a few operations under way at once, each event from one of them.

    def __iter__(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        starts = sorted(
            FIRST_DAY + datetime.timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days - 30))
            for _ in self.budgets
        )
        pending = [
            self._operation(i, start, budget)
            for i, (start, budget) in enumerate(zip(starts, self.budgets, strict=True))
        ]
        pending.reverse()
        under_way: list[Operation] = []
        while pending or under_way:
            while pending and len(under_way) < UNDER_WAY:
                under_way.append(pending.pop())
            operation = rng.choice(under_way)
            yield self._next(operation)
            if operation.budget == 0:
                under_way.remove(operation)

    def _operation(self, index: int, start: datetime.date, budget: int) -> Operation:
        rng = self.rng
        attacker, defender, supporters, _ = rng.choices(CONFLICTS, [c[3] for c in CONFLICTS])[0]
        province = rng.choice(list(self.by_province))
        local = self.by_province[province]
        wanted = _clamp(budget // 40, 3, 120)
        places = rng.sample(local, min(wanted, len(local)))
        if len(places) < wanted:
            places += rng.sample(self.places, min(wanted - len(places), len(self.places)))
        target = places[0].name
        slug = re.sub(r"[^a-z0-9]+", "-", target.lower().replace("'", "")).strip("-")
        return Operation(
            slug=f"op-{index:04d}-{slug}-{start.year}",
            start=start,
            days=rng.randint(7, 240),
            budget=budget,
            total=budget,
            attackers=rng.sample(self.forces[attacker], min(4, len(self.forces[attacker]))),
            attacker_side=attacker,
            defenders=rng.sample(self.forces[defender], min(3, len(self.forces[defender]))),
            defender_side=defender,
            supporters=[
                (force, side) for side in supporters for force in rng.sample(self.forces[side], 2)
            ],
            places=places,
            concludes=budget > 1 and rng.random() < 0.75,
            scale=rng.choice((800, 2_000, 5_000, 10_000, 20_000, 40_000, 80_000)),
        )

    def _next(self, op: Operation) -> dict[str, Any]:
        rng = self.rng
        if op.written == 0:
            record = self._launched(op)
        elif op.budget == 1 and op.concludes:
            record = self._concluded(op)
        else:
            roll = rng.random()
            record = None
            if roll < CORRECTION_RATE:
                record = self._correction(op)
            elif roll < CORRECTION_RATE + RETRACTION_RATE:
                record = self._retraction(op)
            if record is None:
                record = self._report(op)
        assert record is not None
        op.written += 1
        op.budget -= 1
        if record["type"] not in ("report_corrected", "report_retracted"):
            op.events.append((record["id"], record["type"]))
        return record

    def _start(self, op: Operation, kind: str, *, occurred: bool = True) -> dict[str, Any]:
        self.sequence += 1
        record: dict[str, Any] = {
            "id": f"{op.slug}/e-{self.sequence:07d}",
            "type": kind,
            "operation": op.slug,
        }
        if occurred:
            record["occurred"] = edtf(op.today(self.rng), self.rng)
        return record

    def _finish(self, op: Operation, record: dict[str, Any], place: str) -> dict[str, Any]:
        record["sources"] = self._sources(op, place)
        if self.rng.random() < 0.45:
            record["notes"] = _text(self.rng, NOTES, place)
        return record

    # Event types.

    def _launched(self, op: Operation) -> dict[str, Any]:
        record = self._start(op, "operation_launched")
        target = op.places[0]
        record["place"] = self._mention(target)
        record["actors"] = self._actors(op, defenders=False)
        if self.rng.random() < 0.7:
            record["strength"] = self._triple(op.scale)
        return self._finish(op, record, target.name)

    def _concluded(self, op: Operation) -> dict[str, Any]:
        record = self._start(op, "operation_concluded")
        if self.rng.random() < 0.6:
            record["place"] = self._mention(op.places[0])
        if self.rng.random() < 0.5:
            record["actors"] = self._actors(op, defenders=False)
        return self._finish(op, record, op.places[0].name)

    def _report(self, op: Operation) -> dict[str, Any]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.001:  # another source's launch date: contested starts are recorded too
            return self._launched(op)
        if roll < 0.13:
            return self._forces_committed(op)
        if roll < 0.26:
            return self._air_support(op)
        if roll < 0.44:
            return self._casualties(op)
        return self._control(op)

    def _forces_committed(self, op: Operation) -> dict[str, Any]:
        record = self._start(op, "forces_committed")
        place = self.rng.choice(op.places)
        if self.rng.random() < 0.6:
            record["place"] = self._mention(place)
        record["actors"] = self._actors(op, defenders=False)
        record["strength"] = self._triple(op.scale // 4)
        return self._finish(op, record, place.name)

    def _air_support(self, op: Operation) -> dict[str, Any]:
        rng = self.rng
        record = self._start(op, "air_support_provided")
        place = rng.choice(op.places)
        if rng.random() < 0.7:
            record["place"] = self._mention(place)
        actors = [
            {"force": force, "side": side, "role": "support"}
            for force, side in rng.sample(op.supporters, rng.randint(1, 2))
        ]
        if rng.random() < 0.3:
            actors.append(
                {"force": rng.choice(op.attackers), "side": op.attacker_side, "role": "attacker"}
            )
        record["actors"] = actors
        return self._finish(op, record, place.name)

    def _casualties(self, op: Operation) -> dict[str, Any]:
        rng = self.rng
        record = self._start(op, "casualties_reported")
        place = rng.choice(op.places)
        if rng.random() < 0.6:
            record["place"] = self._mention(place)
        if rng.random() < 0.5:
            record["actors"] = [
                {"force": rng.choice(op.defenders), "side": op.defender_side, "role": "defender"}
            ]
        else:
            record["actors"] = [
                {"force": rng.choice(op.attackers), "side": op.attacker_side, "role": "attacker"}
            ]
        record["casualties"] = self._triple(rng.choice((5, 20, 60, 200)))
        return self._finish(op, record, place.name)

    def _control(self, op: Operation) -> dict[str, Any]:
        """Entered, taken, lost, taken back: the state of each place follows its events."""
        rng = self.rng
        place = rng.choice(op.places)
        state = op.held.get(place.name)
        for _ in range(3):  # prefer places still to take
            if state != "taken":
                break
            place = rng.choice(op.places)
            state = op.held.get(place.name)
        if state == "taken" and rng.random() < 0.25:
            kind, op.held[place.name] = "place_lost", "lost"
        elif rng.random() < (0.5 if state in (None, "lost") else 0.3 if state == "entered" else 0):
            kind, op.held[place.name] = "place_entered", "entered"
        else:  # taken, or another source's report of the taking
            op.held[place.name] = "taken"
            if place.kind == "crossing":
                kind = "crossing_captured"
            elif op.attacker_side in LIBERATORS and rng.random() < 0.6:
                kind = "place_liberated"
            else:
                kind = "place_captured"
        record = self._start(op, kind)
        record["place"] = self._mention(place)
        if kind == "place_lost":  # the counter-attack: roles turn
            record["actors"] = [
                {"force": rng.choice(op.attackers), "side": op.attacker_side, "role": "defender"},
                {"force": rng.choice(op.defenders), "side": op.defender_side, "role": "attacker"},
            ]
        else:
            record["actors"] = self._actors(op, defenders=True)
        if rng.random() < 0.3:
            record["strength"] = self._triple(op.scale // 10)
        return self._finish(op, record, place.name)

    def _correction(self, op: Operation) -> dict[str, Any] | None:
        rng = self.rng
        for _ in range(5):
            target, kind = rng.choice(op.events)
            if target not in op.retracted:
                break
        else:
            return None
        options = ["occurred", "notes", "sources"]
        if kind in (
            "operation_launched",
            "forces_committed",
            "crossing_captured",
            "place_entered",
            "place_captured",
            "place_liberated",
            "place_lost",
        ):
            options.append("strength")
        if kind == "casualties_reported":
            options.append("casualties")
        if kind in ("crossing_captured", "place_entered", "place_captured", "place_liberated"):
            options.append("actors")
        if any(p.told for p in op.places):
            options.append("place")
        changes: dict[str, Any] = {}
        place = rng.choice(op.places)
        for key in rng.sample(options, rng.choice((1, 1, 1, 2))):
            if key == "occurred":
                changes[key] = edtf(op.today(rng) - datetime.timedelta(days=rng.randint(0, 9)), rng)
            elif key == "notes":
                changes[key] = None if rng.random() < 0.2 else _text(rng, NOTES, place.name)
            elif key == "sources":
                changes[key] = self._sources(op, place.name)
            elif key == "strength":
                changes[key] = self._triple(op.scale // 4)
            elif key == "casualties":
                changes[key] = self._triple(rng.choice((5, 20, 60)))
            elif key == "actors":
                changes[key] = self._actors(op, defenders=True)
            else:
                known = [p for p in op.places if p.told]
                changes[key] = rng.choice(rng.choice(known).known_names)
        record = self._start(op, "report_corrected", occurred=False)
        record["corrects"] = target
        record["changes"] = changes
        op.corrected.add(target)
        return self._finish(op, record, place.name)

    def _retraction(self, op: Operation) -> dict[str, Any] | None:
        rng = self.rng
        for _ in range(5):
            target, kind = rng.choice(op.events)
            if (
                kind not in ("operation_launched", "operation_concluded")
                and target not in op.retracted
                and target not in op.corrected
            ):
                break
        else:
            return None
        record = self._start(op, "report_retracted", occurred=False)
        record["retracts"] = target
        op.retracted.add(target)
        if rng.random() < 0.8:
            record["notes"] = rng.choice(
                [
                    "The source withdrew the report.",
                    "A duplicate of an earlier report.",
                    "Fabricated: the video is from another year.",
                    "تم سحب الخبر من المصدر",
                ]
            )
        return self._finish(op, record, op.places[0].name)

    # Parts.

    def _mention(self, place: PlaceSpec) -> dict[str, Any] | str:
        """In full the first time in the file; afterwards mostly by a known name or alias."""
        rng = self.rng
        if not place.told or (not place.all_told and place.held_back and rng.random() < 0.5):
            return place.full()
        if rng.random() < STRING_REFERENCE_RATE:
            name = rng.choice(place.known_names)
            return _spelled_otherwise(name, rng) if rng.random() < 0.1 else name
        return place.full()

    def _actors(self, op: Operation, *, defenders: bool) -> list[dict[str, str]]:
        rng = self.rng
        actors = [
            {"force": force, "side": op.attacker_side, "role": "attacker"}
            for force in rng.sample(op.attackers, rng.randint(1, min(3, len(op.attackers))))
        ]
        if defenders and rng.random() < 0.7:
            actors.append(
                {"force": rng.choice(op.defenders), "side": op.defender_side, "role": "defender"}
            )
        if rng.random() < 0.15:
            force, side = rng.choice(op.supporters)
            actors.append({"force": force, "side": side, "role": "support"})
        return actors

    def _triple(self, scale: int) -> dict[str, int]:
        rng = self.rng
        best = max(0, int(rng.lognormvariate(0, 0.5) * scale))
        triple = {"best": best}
        if rng.random() < 0.6:
            triple["low"] = int(best * rng.uniform(0.6, 1.0))
        if rng.random() < 0.6:
            triple["high"] = int(best * rng.uniform(1.0, 1.6)) + 1
        return triple

    def _sources(self, op: Operation, place: str) -> list[dict[str, str]]:
        rng = self.rng
        day = op.today(rng)
        sources = []
        for outlet, site, usual in rng.sample(OUTLETS, rng.choice((1, 1, 1, 2, 2, 3, 4))):
            source = {"outlet": outlet}
            if site is not None and rng.random() < 0.85:
                source["url"] = (
                    f"https://{site}/{day:%Y/%m/%d}/{op.slug}-{rng.randrange(10**6):06d}"
                )
            if rng.random() < 0.9:
                published = _day(day + datetime.timedelta(days=rng.randint(0, 6))).isoformat()
                source["published"] = published if rng.random() < 0.85 else f"{published}~"
            source["reliability"] = usual if rng.random() < 0.7 else rng.choice("ABCDEF")
            source["credibility"] = rng.choices(CREDIBILITY, CREDIBILITY_WEIGHTS)[0]
            if rng.random() < 0.7:
                source["quote"] = _text(rng, QUOTES, place)
            sources.append(source)
        return sources


def generate(n: int, seed: int) -> Iterator[dict[str, Any]]:
    """n valid events in the record format, the same for the same seed; made as they are read."""
    return iter(Generator(n, seed))


def write(path: str | Path, n: int, seed: int) -> Path:
    """Write `generate(n, seed)` to `path` as JSON Lines, one event at a time."""
    path = Path(path)
    with path.open("wb", buffering=1 << 20) as file:
        for record in generate(n, seed):
            file.write(orjson.dumps(record))
            file.write(b"\n")
    return path


# --- ACLED's current export ---------------------------------------------------------------

ACLED_ACTORS = [  # (actor, inter code)
    *((f"Military Forces of {state} (2000-)", 1) for state in ("Syria", "Iraq", "Turkey")),
    ("Police Forces of Iraq (2014-)", 1), ("Military Forces of the United States (2017-)", 8),
    ("Islamic State (Syria)", 2), ("Islamic State (Iraq)", 2), ("Hayat Tahrir al-Sham", 2),
    ("QSD: Syrian Democratic Forces", 2), ("Popular Mobilization Forces", 3),
    ("Unidentified Armed Group (Syria)", 3), ("Shammar Tribal Militia (Iraq)", 4),
    ("Rioters (Syria)", 5), ("Protesters (Iraq)", 6), ("Civilians (Syria)", 7),
]  # fmt: skip
ACLED_OUTLETS = ["SANA", "Reuters", "AFP", "SOHR", "Shafaq News", "Rudaw", "Enab Baladi",
                 "Deir Ezzor 24", "Al Sumaria", "Kurdistan 24"]  # fmt: skip
ACLED_SCALES = ["National", "Local partner-New media", "International", "Subnational-National",
                "New media", "Other-National"]  # fmt: skip


def acled_rows(n: int, seed: int) -> Iterator[list[str]]:
    """n rows of ACLED's current export (31 columns), the same for the same seed: a few
    thousand places in the provinces above, each spelled up to three ways; every sub-event
    type; several outlets a row; notes with commas, quotes and line breaks."""
    from timeline.readers.acled_codes import SUB_EVENTS

    rng = random.Random(seed)
    subs = sorted(SUB_EVENTS.items())
    weights = [30 if kind[1] == "forces_clashed" else 20 if kind[1] == "place_struck" else
               3 if kind[1] in ("place_captured", "place_handed_over") else 4 for _, kind in subs]
    places = []
    used: set[str] = set()
    for _ in range(_clamp(n // 300, 20, 8_000)):
        province, lat, lon = rng.choice(PROVINCES)
        name, arabic = _root(rng)
        while name_key(name) in used:
            name, arabic = _root(rng)
        used.add(name_key(name))
        spot = (lat + rng.uniform(-1.2, 1.2), lon + rng.uniform(-1.2, 1.2))
        places.append((province, spot, [name, _variant(name, rng), arabic]))
    first = datetime.date(2017, 1, 1).toordinal()
    for k in range(n):
        province, (lat, lon), names = rng.choice(places)
        (sub, (event_type, _, _)) = rng.choices(subs, weights)[0]
        day = datetime.date.fromordinal(first + rng.randrange(3 * 365))
        one, other = rng.sample(ACLED_ACTORS, 2)
        alone = event_type in ("Protests", "Strategic developments") and rng.random() < 0.5
        country = "Iraq" if lon > 41.0 else "Syria"
        outlets = "; ".join(rng.sample(ACLED_OUTLETS, rng.choice((1, 1, 2, 3))))
        note = f"On {day:%d %B}, {_text(rng, NOTES, names[0])}"
        if rng.random() < 0.1:
            note += '\n"Reported" by local sources, unconfirmed.'
        yield [
            f"{country[:3].upper()}{k + 1}", day.isoformat(), str(day.year),
            str(rng.choice((1, 1, 1, 2, 3))),
            "Strategic developments" if event_type == "Strategic developments" else
            "Demonstrations" if event_type in ("Protests", "Riots") else "Political violence",
            event_type, sub, one[0], "", str(one[1]),
            "" if alone else other[0], "", "" if alone else str(other[1]),
            f"{min(one[1], other[1])}{max(one[1], other[1])}", "", "760", "Middle East",
            country, province, f"{province} district", "", rng.choice(names),
            f"{lat:.4f}", f"{lon:.4f}", str(rng.choice((1, 1, 2, 3))), outlets,
            rng.choice(ACLED_SCALES), note, str(rng.choice((0, 0, 0, 1, 2, 5, 12))), "",
            str(1_500_000_000 + rng.randrange(10**8)),
        ]  # fmt: skip


def write_acled(path: str | Path, n: int, seed: int) -> Path:
    """Write `acled_rows(n, seed)` as ACLED's export CSV, quoted only where needed."""
    import csv

    from timeline.readers.acled_codes import CURRENT

    path = Path(path)
    with path.open("w", encoding="utf-8", newline="", buffering=1 << 20) as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(CURRENT)
        writer.writerows(acled_rows(n, seed))
    return path


def _events(text: str) -> int:
    n = int(text.replace(",", "").replace("_", ""))
    if not MIN_EVENTS <= n <= MAX_EVENTS:
        raise argparse.ArgumentTypeError(f"between {MIN_EVENTS:,} and {MAX_EVENTS:,}")
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=_events, required=True, help="how many (1,000-2,000,000)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed, the same file")
    parser.add_argument("-o", "--output", required=True, help="the file to write")
    parser.add_argument(
        "--format", choices=("jsonl", "acled"), default="jsonl",
        help="the record format (JSON Lines), or ACLED's current export CSV",
    )  # fmt: skip
    args = parser.parse_args(argv)
    writer = write_acled if args.format == "acled" else write
    path = writer(args.output, args.events, args.seed)
    print(f"{args.events:,} events -> {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
