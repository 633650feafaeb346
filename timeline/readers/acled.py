"""ACLED's export CSV: both layouts, its dates and inter codes, each row mapped to a record.

`Acled.record_of(row)` is the mapping, a pure function of one row (a mapping by column
name), run in intake's forked workers; ACLED's tables (`acled_codes`, shared with the
export) say what the README's mapping table says. A newer file's changed rows become
corrections; ACLED's deleted-events file (`event_id_cnty, deleted_timestamp`) becomes
retractions.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any, BinaryIO

from timeline.intake import Refused
from timeline.readers import csvfile
from timeline.readers.acled_codes import (
    ALIASES,
    BEFORE_2023,
    BY_KEY,
    CURRENT,
    DATASET,
    GEO_PRECISION,
    REQUIRED,
    SEPARATOR,
    SPELLINGS,
    WHOSE,
    inter,
    occurred,
    taker,
)
from timeline.readers.coding import Grades, Problems, Sides, shown, slug
from timeline.readers.dataset import Data, DatasetReader, Deletion

DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d-%b-%y", "%d-%B-%Y", "%d-%b-%Y", "%d %b %Y")
COLUMNS = {  # the column a record's field comes from, to locate what validation refuses
    "id": "event_id_cnty", "type": "sub_event_type", "occurred": "event_date",
    "operation": "admin1",
    "place": "location", "place.name": "location", "place.lat": "latitude",
    "place.lon": "longitude", "place.within": "admin1", "actors": "actor1",
    "sources": "source", "notes": "notes", "fatalities": "fatalities", "dataset.tags": "tags",
    "dataset.source_scale": "source_scale", "dataset.timestamp": "timestamp",
}  # fmt: skip
_WHOLE = re.compile(r"[+-]?\d+(?:\.0*)?")


def layout(columns: list[str]) -> str:
    """Which of ACLED's layouts a header is: "current", "before 2023", or "other" (an older
    or a trimmed one: read by its column names all the same)."""
    names = [column.strip().lower() for column in columns]
    if names[: len(CURRENT)] == list(CURRENT):
        return "current"
    if names[: len(BEFORE_2023)] == list(BEFORE_2023):
        return "before 2023"
    return "other"


@lru_cache(maxsize=16384)
def event_date(text: str) -> datetime.date:
    """2017-11-03, 03 November 2017, 3-Nov-17 (a spreadsheet's), 01-January-2015. Days
    repeat from row to row: each is read once."""
    text = text.strip()
    if len(text) == 10 and text[4] == "-":
        with contextlib.suppress(ValueError):
            return datetime.date.fromisoformat(text)
    for form in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise ValueError(f"{shown(text)} is not a date (2017-11-03, 03 November 2017, 3-Nov-17)")


class Acled(DatasetReader):
    """ACLED's export CSV, in either layout (told apart by the header, read by its names)."""

    name = DATASET
    prefix = "acled/"
    required = REQUIRED
    aliases = ALIASES
    columns = COLUMNS
    MEMO = 50_000  # actors and sources worked out, kept: the same pairs and outlets recur

    def __init__(
        self, *, operation: str | None = None, grades: Grades | None = None,
        sides: Sides | None = None,
    ) -> None:  # fmt: skip
        super().__init__(operation=operation, grades=grades, sides=sides)
        self._actors: dict[tuple[Any, ...], list[dict[str, str]]] = {}
        self._sources: dict[str, list[dict[str, str]]] = {}

    def operation_of(self, row: Mapping[str, str], year: int) -> str:
        """`operation`, else the grouping key: acled-COUNTRY-ADMIN1-YEAR, as a slug."""
        if self.operation:
            return self.operation
        return _key(row.get("country") or "unknown", row.get("admin1") or "", year)

    def record_of(self, row: Mapping[str, Any]) -> Data | Problems:
        """The record one ACLED row says, or its problems as (column, message)."""
        problems: Problems = []

        def number(column: str, low: float, high: float, whole: bool = False) -> Any:
            text = (row.get(column) or "").strip()
            if whole and text.isdigit() and low <= int(text) <= high:
                return int(text)  # the common case, at once
            try:
                value = float(text)
            except ValueError:
                problems.append((column, f"{shown(text)} is not a number"))
                return None
            if whole and not _WHOLE.fullmatch(text):
                problems.append((column, f"{shown(text)} is not a whole number"))
                return None
            if not low <= value <= high:  # NaN too
                problems.append((column, f"must be between {low:g} and {high:g} (found {text})"))
                return None
            return int(value) if whole else value

        event_id = (row.get("event_id_cnty") or "").strip()
        if not event_id:
            problems.append(("event_id_cnty", "required: ACLED's id of the event"))
        try:
            day: datetime.date | None = event_date(row.get("event_date") or "")
        except ValueError as error:
            problems.append(("event_date", str(error)))
            day = None
        time_precision = number("time_precision", 1, 3, whole=True)
        geo_precision = number("geo_precision", 1, 3, whole=True)
        lat = number("latitude", -90, 90)
        lon = number("longitude", -180, 180)
        fatalities = None
        if (row.get("fatalities") or "").strip():
            fatalities = number("fatalities", 0, 10**9, whole=True)
        key = (row.get("sub_event_type") or "").strip().casefold()
        sub_event = SPELLINGS.get(key, key)
        kind = BY_KEY.get(sub_event)
        if kind is None:
            problems.append(("sub_event_type", f"unknown sub-event type {shown(sub_event)}"))
        elif (row.get("event_type") or "").strip().casefold() != kind[1].casefold():
            problems.append((
                "event_type",
                f"{shown(row.get('event_type'))}: '{row.get('sub_event_type')}' is a sub-event "
                f"type of '{kind[1]}'",
            ))  # fmt: skip
        codes = []
        for column in ("inter1", "inter2"):
            try:
                codes.append(inter(row.get(column) or ""))
            except ValueError as error:
                problems.append((column, str(error)))
                codes.append(None)
        if not (row.get("actor1") or "").strip():
            problems.append(("actor1", "required: who took part"))
        timestamp = None
        if (row.get("timestamp") or "").strip():
            timestamp = number("timestamp", 0, 10**11, whole=True)
        if problems or kind is None or day is None:
            return problems
        _, _, event_type, form = kind
        record: Data = {
            "id": self.event_id(event_id),
            "type": event_type,
            "operation": self.operation_of(row, day.year),
            "occurred": occurred(day, time_precision),
            "place": _place(row, lat, lon, GEO_PRECISION[geo_precision]),
            "actors": self.actors_of(row, codes, form),
        }
        if form is not None and form not in WHOSE:
            record["form"] = form
        if fatalities is not None:
            record["fatalities"] = fatalities
        record["sources"] = self.sources_of(row.get("source") or "")
        notes = (row.get("notes") or "").strip()
        if notes:
            record["notes"] = notes
        dataset: Data = {"name": DATASET, "id": event_id}
        for column in _CODED:
            text = (row.get(column) or "").strip()
            if text:
                dataset[column] = text
        for column, value in (("timestamp", timestamp), ("time_precision", time_precision),
                              ("geo_precision", geo_precision)):  # fmt: skip
            if value is not None:
                dataset[column] = value
        record["dataset"] = dataset
        return record

    def actors_of(
        self, row: Mapping[str, str], codes: list[int | None], whose: str | None
    ) -> list[dict[str, str]]:
        """The row's actors (`_actors`), worked out once for each pair (and kept: the records
        made of them are written as JSON, never changed)."""
        key = (*(row.get(c) for c in _ACTOR_COLUMNS), *codes, whose)
        found = self._actors.get(key)
        if found is None:
            found = _actors(row, codes, whose, self.sides)
            if len(self._actors) >= self.MEMO:
                self._actors.clear()
            self._actors[key] = found
        return found

    def sources_of(self, text: str) -> list[dict[str, str]]:
        """The row's sources (`_sources`), worked out once for each `source` text."""
        found = self._sources.get(text)
        if found is None:
            found = _sources(text, self.grades)
            if len(self._sources) >= self.MEMO:
                self._sources.clear()
            self._sources[text] = found
        return found

    def deletions(self, file: BinaryIO) -> Iterator[Deletion | Refused]:
        """ACLED's deleted events, `event_id_cnty, deleted_timestamp`: (line, id, Unix time),
        or the line refused with its problems."""
        found = csvfile.rows(file.read(), 1)
        header = next(found, None)
        if header is None:
            return
        names = [] if isinstance(header[1], str) else [n.strip().lower() for n in header[1]]
        wanted = ("event_id_cnty", "deleted_timestamp")
        missing = [column for column in wanted if column not in names]
        if missing:
            yield Refused(1, [("header", f"missing {', '.join(missing)}")])
            return
        at = [names.index(column) for column in wanted]
        for line, fields in found:
            if isinstance(fields, str) or len(fields) <= max(at):
                yield Refused(line, [("record", "expected event_id_cnty, deleted_timestamp")])
                continue
            event_id, stamp = (fields[n].strip() for n in at)
            if not event_id:
                yield Refused(line, [("event_id_cnty", "required")])
            elif not stamp.isdigit():
                yield Refused(line, [("deleted_timestamp", f"{shown(stamp)} is not a Unix time")])
            else:
                yield line, event_id, int(stamp)


_ACTOR_COLUMNS = ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2")
_CODED = (  # the columns kept as text in a record's `dataset`
    "event_type", "sub_event_type", "disorder_type", "interaction", "civilian_targeting",
    "source_scale", "tags",
)  # fmt: skip


@lru_cache(maxsize=16384)
def _key(country: str, admin1: str, year: int) -> str:
    return slug("acled", country, admin1, year)


def _place(row: Mapping[str, str], lat: float, lon: float, precision: str) -> Data:
    areas = (row.get("admin1"), row.get("country"))
    within = ", ".join(area.strip() for area in areas if area and area.strip())
    place: Data = {
        "name": (row.get("location") or "").strip() or within or "unknown",
        "lat": lat, "lon": lon, "kind": "town", "precision": precision,
    }  # fmt: skip
    if within:
        place["within"] = within
    return place


def _actors(
    row: Mapping[str, str], codes: list[int | None], whose: str | None, sides: Sides
) -> list[dict[str, str]]:
    """actor1 and actor2 with their associated actors, each on its side. They are parties
    (ACLED's order says nothing of who attacked whom), except where the sub-event type says
    whose the place became: to the state's forces when the government regains territory, to
    the one non-state actor when one overtakes it, to the only actor when one receives it."""
    primary = [(row.get(f"actor{n}") or "").strip() for n in (1, 2)]
    present = [n for n in (0, 1) if primary[n]]
    found = taker(whose, [codes[n] for n in present])
    took = None if found is None else present[found]
    actors: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for n in present:
        role = "party" if took is None else ("attacker" if n == took else "defender")
        side = sides.of(primary[n])
        associated = (row.get(f"assoc_actor_{n + 1}") or "").split(SEPARATOR.strip())
        associated = [a.strip() for a in associated]
        for force in (primary[n], *(a for a in associated if a)):
            if (force, role) not in seen:
                seen.add((force, role))
                actors.append({"force": force, "side": side, "role": role})
    return actors


def _sources(text: str, grades: Grades) -> list[dict[str, str]]:
    """Each outlet of `source` (several are joined by "; ") a source, graded."""
    separator = SEPARATOR.strip()
    outlets = list(dict.fromkeys(o.strip() for o in text.split(separator) if o.strip()))
    outlets = outlets or [DATASET]
    sources = []
    for outlet in outlets:
        reliability, credibility = grades.of(outlet)
        sources.append({"outlet": outlet, "reliability": reliability, "credibility": credibility})
    return sources
