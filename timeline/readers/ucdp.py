"""UCDP GED: the release CSV (49 columns) and the API's JSON (47 fields), each event mapped to
a record by `Ucdp.record_of(event)`, a pure function of one event. The CSV is read in blocks
by intake's workers; the API's JSON (a page of at most a thousand events) is one block, its
events numbered by their place in the page."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

import orjson

from timeline.errors import UnreadableFile
from timeline.intake import Numbered, Refused
from timeline.jsonl import UTF8_BOM
from timeline.readers.coding import Problems, shown, slug
from timeline.readers.dataset import Data, DatasetReader

DATASET = "UCDP GED"
COLUMNS = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id",
    "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name",
    "side_a_dset_id", "side_a_new_id", "side_a", "side_b_dset_id", "side_b_new_id", "side_b",
    "number_of_sources", "source_article", "source_office", "source_date", "source_headline",
    "source_original", "where_prec", "where_coordinates", "where_description", "adm_1",
    "adm_2", "latitude", "longitude", "geom_wkt", "priogrid_gid", "country", "country_id",
    "region", "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b",
    "deaths_civilians", "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob",
)  # fmt: skip
REQUIRED = (
    "id", "type_of_violence", "side_a", "side_b", "source_article", "where_prec",
    "where_coordinates", "adm_1", "latitude", "longitude", "country", "date_prec",
    "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown",
    "best", "high", "low",
)  # fmt: skip
# where_prec: 1 exact; 2 within about 25 km; 3 the second-order unit; 4 the first-order unit;
# 5 a larger area or a linear feature; 6 the country; 7 international waters or airspace.
WHERE_PREC = {1: "exact", 2: "near", 3: "admin2", 4: "admin1", 5: "region", 6: "country",
              7: "international"}  # fmt: skip
TYPE_OF_VIOLENCE = {1: ("forces_clashed", None), 2: ("forces_clashed", None),
                    3: ("civilians_attacked", "attack")}  # fmt: skip
FIELDS = {  # the column a record's field comes from, to locate what validation refuses
    "id": "id", "type": "type_of_violence", "occurred": "date_start", "place": "where_coordinates",
    "place.name": "where_coordinates", "place.lat": "latitude", "place.lon": "longitude",
    "place.within": "adm_1", "actors": "side_a", "casualties": "best",
    "casualties.best": "best", "casualties.low": "low", "casualties.high": "high",
    "sources": "source_article",
}  # fmt: skip


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def day(value: Any) -> datetime.date:
    """2017-10-12 00:00:00.000 (the CSV) or 2002-03-01T00:00:00 (the API)."""
    text = _text(value)
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"{shown(text)} is not a date (2017-10-12 00:00:00.000)") from None


class Ucdp(DatasetReader):
    """UCDP GED's CSV or its API's JSON, told apart by the first byte."""

    name = DATASET
    prefix = "ucdp/"
    required = REQUIRED
    columns = FIELDS
    json = False  # the API's JSON, read as one block

    def blocks(self, file: BinaryIO) -> Iterator[bytes]:
        head = _head(file)
        self.json = head.removeprefix(UTF8_BOM).lstrip(b" \t\r\n")[:1] in (b"[", b"{")
        if self.json:
            whole = file.read()
            if whole:
                yield whole
            return
        yield from super().blocks(file)

    def records(self, name: str, block: bytes, first: int) -> list[Numbered | Refused]:
        if not self.json:
            return super().records(name, block, first)
        try:
            data = orjson.loads(block.removeprefix(UTF8_BOM))
        except orjson.JSONDecodeError as error:
            raise UnreadableFile(f"{name}: not JSON ({error})") from None
        events = data.get("Result") if isinstance(data, dict) else data
        if not isinstance(events, list):
            msg = f"{name}: expected a list of GED events, or a page with them under `Result`"
            raise UnreadableFile(msg)
        found: list[Numbered | Refused] = []
        for number, event in enumerate(events, 1):
            if not isinstance(event, dict):
                found.append(Refused(number, [("record", "a GED event must be a JSON object")]))
                continue
            missing = [column for column in REQUIRED if column not in event]
            if missing:
                found.append(Refused(number, [("record", f"missing {', '.join(missing)}")]))
                continue
            found.append(self._mapped(number, event))
        return found

    def lines(self, block: bytes) -> int:
        return 0 if self.json else super().lines(block)

    def record_of(self, row: Mapping[str, Any]) -> Data | Problems:
        """The record one GED event says, or its problems as (column, message)."""
        problems: Problems = []

        def number(column: str, low: float, high: float, whole: bool = True) -> Any:
            text = _text(row.get(column))
            try:
                value = float(text)
            except ValueError:
                problems.append((column, f"{shown(text)} is not a number"))
                return None
            if not low <= value <= high:  # NaN too
                problems.append((column, f"must be between {low:g} and {high:g} (found {text})"))
                return None
            if whole and value != int(value):
                problems.append((column, f"{shown(text)} is not a whole number"))
                return None
            return int(value) if whole else value

        event_id = _text(row.get("id"))
        if not event_id:
            problems.append(("id", "required: GED's id of the event"))
        violence = number("type_of_violence", 1, 3)
        where_prec = number("where_prec", 1, 7)
        date_prec = number("date_prec", 1, 5)
        lat = number("latitude", -90, 90, whole=False)
        lon = number("longitude", -180, 180, whole=False)
        counted = ("best", "low", "high", "deaths_a", "deaths_b", "deaths_civilians",
                   "deaths_unknown")  # fmt: skip
        deaths = {column: number(column, 0, 10**9) for column in counted}
        clarity = number("event_clarity", 1, 2) if _text(row.get("event_clarity")) else None
        days = []
        for column in ("date_start", "date_end"):
            try:
                days.append(day(row.get(column)))
            except ValueError as error:
                problems.append((column, str(error)))
        if len(days) == 2 and days[1] < days[0]:
            problems.append(("date_end", f"{days[1]} is before date_start {days[0]}"))
        sides = [_text(row.get("side_a")), _text(row.get("side_b"))]
        if not sides[0]:
            problems.append(("side_a", "required: who took part"))
        if problems:
            return problems
        start, end = days
        event_type, form = TYPE_OF_VIOLENCE[violence]
        within = ", ".join(p for p in (_text(row.get("adm_1")), _text(row.get("country"))) if p)
        place: Data = {
            "name": _text(row.get("where_coordinates")) or within or "unknown",
            "lat": lat, "lon": lon, "kind": "town" if where_prec <= 2 else "region",
            "precision": WHERE_PREC[where_prec],
        }  # fmt: skip
        if within:
            place["within"] = within
        year = _text(row.get("year")) or str(start.year)
        record: Data = {
            "id": self.event_id(event_id),
            "type": event_type,
            "operation": self.operation or slug(
                "ucdp", _text(row.get("country")) or "unknown", _text(row.get("adm_1")), year
            ),
            "occurred": start.isoformat() if start == end else f"{start}/{end}",
            "place": place,
            "actors": [
                {"force": side, "side": self.sides.of(side), "role": "party"}
                for side in sides if side
            ],
        }  # fmt: skip
        if form is not None:
            record["form"] = form
        record["casualties"] = {k: deaths[k] for k in ("best", "low", "high")}
        record["sources"] = self._sources(row)
        dataset: Data = {
            "name": DATASET, "id": event_id, "type_of_violence": violence,
            "conflict_name": _text(row.get("conflict_name"))[:500] or None,
            "date_prec": date_prec, "where_prec": where_prec, "event_clarity": clarity,
            **{c: deaths[c] for c in ("deaths_a", "deaths_b", "deaths_civilians",
                                      "deaths_unknown")},
        }  # fmt: skip
        record["dataset"] = {k: v for k, v in dataset.items() if v is not None}
        return record

    def _sources(self, row: Mapping[str, Any]) -> list[Data]:
        """One source per article of `source_article` (GED joins several with ";"): its office
        as the outlet where GED names one per article, its date, its headline as the quote."""
        articles = [a.strip() for a in _text(row.get("source_article")).split(";") if a.strip()]
        parts = {c: [p.strip() for p in _text(row.get(c)).split(";")]
                 for c in ("source_office", "source_date", "source_headline")}  # fmt: skip
        each = {c: len(found) == len(articles) for c, found in parts.items()}
        sources = []
        for n, article in enumerate(articles or [DATASET]):
            office = parts["source_office"][n] if each["source_office"] else ""
            outlet = " ".join((office or article).split())[:500]
            reliability, credibility = self.grades.of(outlet)
            source: Data = {
                "outlet": outlet, "reliability": reliability, "credibility": credibility,
            }
            if each["source_date"]:
                with contextlib.suppress(ValueError):
                    source["published"] = day(parts["source_date"][n]).isoformat()
            headline = parts["source_headline"][n] if each["source_headline"] else ""
            quote = headline or (article if office else "")
            if quote:
                source["quote"] = quote[:5000]
            sources.append(source)
        return sources


def _head(file: BinaryIO) -> bytes:
    """The first bytes of the file, left to be read again."""
    peek = getattr(file, "peek", None)
    if peek is not None:
        return bytes(peek(64))[:64]
    if file.seekable():
        where = file.tell()
        head = file.read(64)
        file.seek(where)
        return head
    return b""
