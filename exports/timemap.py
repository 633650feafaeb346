"""Forensic Architecture's timemap: its domain of events, sources, associations and sites,
as its validators (`src/reducers/validate/`) take them: every value a string, dates
`MM/DD/YYYY` (datasheet-server's default).

An event's `date` is the middle of the days its date can mean (the order every answer here
uses), and `time_display` says the date as written, its uncertainty kept ("about 3 Nov
2017"). Its `associations` are FILTER associations by operation, type and attacking side,
so that timemap's filters can pick them; its `sources` name entries of `sources`, one per
source of the event, with the grade. The places are the `sites`.

The file is one JSON object, `{"events": [...], "sources": {...}, "associations": [...],
"sites": [...]}`; timemap's configuration names one URL for each (EVENTS_EXT, SOURCES_EXT,
ASSOCIATIONS_EXT, SITES_EXT), so serve each key at its own (`jq .events`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from exports.dates import spoken

Row = dict[str, Any]
WORDS_OF_RELIABILITY = {
    "A": "completely reliable", "B": "usually reliable", "C": "fairly reliable",
    "D": "not usually reliable", "E": "unreliable", "F": "reliability cannot be judged",
}  # fmt: skip
WORDS_OF_CREDIBILITY = {
    "1": "confirmed by other sources", "2": "probably true", "3": "possibly true",
    "4": "doubtful", "5": "improbable", "6": "truth cannot be judged",
}  # fmt: skip
FILTERS = (("operation", "Operations"), ("type", "Event types"), ("attackers", "Attacking sides"))


def document(events: Iterable[Row], sources: Iterable[Row], places: Iterable[Row]) -> Iterator[str]:
    """The timemap domain of these rows (list columns already lists); `sources` are the
    sources rows of these events."""
    by_event: dict[str, list[str]] = {}
    source_items: dict[str, Row] = {}
    for source in sources:
        identity = f"{source['event_id']}#{source['n'] + 1}"
        by_event.setdefault(source["event_id"], []).append(identity)
        source_items[identity] = _source(identity, source)
    associations: dict[str, Row] = {}
    items = []
    for row in events:
        tags = []
        for column, heading in FILTERS:
            values = row.get(column)
            for value in values if isinstance(values, list) else [values]:
                if value:
                    tag = f"{column}:{value}"
                    tags.append(tag)
                    associations.setdefault(tag, {
                        "id": tag, "title": str(value), "desc": f"{heading}: {value}",
                        "mode": "FILTER", "filter_paths": [heading, str(value)],
                    })  # fmt: skip
        items.append(_event(row, tags, by_event.get(row["id"], [])))
    sites = [
        {"id": place["name"], "description": ", ".join(place.get("aliases") or []),
         "site": place["name"], "latitude": _text(place.get("lat")),
         "longitude": _text(place.get("lon"))}
        for place in places if place.get("lat") is not None and place.get("lon") is not None
    ]  # fmt: skip
    domain = {
        "events": items, "sources": source_items,
        "associations": list(associations.values()), "sites": sites,
    }  # fmt: skip
    yield orjson.dumps(domain, option=orjson.OPT_INDENT_2).decode() + "\n"


def _event(row: Row, associations: list[str], sources: list[str]) -> Row:
    middle = row.get("occurred_mid")
    event = {
        "id": row["id"],
        "description": _description(row),
        "date": _us_date(middle) if middle else "",
        "time": "",
        "time_display": spoken(row.get("occurred"), row.get("occurred_earliest"),
                               row.get("occurred_latest")),
        "location": row.get("place") or "",
        "type": row["type"],
        "category": " + ".join(
            row.get("attackers") or row.get("supporters") or row.get("parties") or []
        ),
        "associations": associations,
        "sources": sources,
        "comments": row.get("notes") or "",
    }  # fmt: skip
    if row.get("lat") is not None and row.get("lon") is not None:
        event["latitude"], event["longitude"] = _text(row["lat"]), _text(row["lon"])
    return event


def _description(row: Row) -> str:
    what = str(row["type"]).replace("_", " ")
    where = f" at {row['place']}" if row.get("place") else ""
    by = ", ".join(row.get("forces") or [])
    return f"{what}{where}" + (f" by {by}" if by else "") + f" (graded {', '.join(row['grades'])})"


def _source(identity: str, source: Row) -> Row:
    words = (
        f"{WORDS_OF_RELIABILITY[source['reliability']]}; "
        f"{WORDS_OF_CREDIBILITY[source['credibility']]}"
    )
    url = source.get("url") or ""
    return {
        "id": identity, "title": source["outlet"], "paths": [url] if url else [],
        "type": f"grade {source['grade']}", "url": url, "description": source.get("quote") or "",
        "author": source["outlet"], "date": source.get("published") or "",
        "notes": f"{source['grade']}: {words}",
    }  # fmt: skip


def _us_date(day: str) -> str:
    year, month, date = day.rsplit("-", 2)
    return f"{month}/{date}/{year}"


def _text(value: Any) -> str:
    return "" if value is None else str(value)
