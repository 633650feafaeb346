"""Knight Lab's TimelineJS3 JSON: a title slide, then one slide per dated event.

A slide starts on the first day its date can mean and ends on the last (`2017-11-03~` spans
31 Oct - 6 Nov), and `display_date` says the date as written, its uncertainty kept ("about
3 Nov 2017", "Nov 2017"): TimelineJS has no way to say it itself (NUKnightLab/TimelineJS3#499).
Every text from events is escaped as HTML: a note holding `<script>` shows as text. Events
are grouped by place. An event with no known day cannot be placed on a timeline: it is left
out, and counted.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from exports.dates import spoken

Row = dict[str, Any]


class Undated:
    """How many events were left out for having no known day."""

    def __init__(self) -> None:
        self.count = 0


def document(
    events: Iterable[Row], *, title: str, summary: str = "", undated: Undated | None = None
) -> Iterator[str]:
    """The TimelineJS JSON of these event rows (list columns already lists)."""
    slides = []
    for row in events:
        slide = _slide(row)
        if slide is None:
            if undated is not None:
                undated.count += 1
            continue
        slides.append(slide)
    doc = {
        "title": {"text": {"headline": _e(title), "text": _e(summary)}},
        "events": slides,
    }
    yield orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"


def _slide(row: Row) -> Row | None:
    earliest, latest = row.get("occurred_earliest"), row.get("occurred_latest")
    first = earliest or latest
    if first is None:
        return None
    slide: Row = {
        "unique_id": row["id"],
        "start_date": _date(first),
        "display_date": _e(spoken(row.get("occurred"), earliest, latest)),
        "text": {"headline": _e(_headline(row)), "text": _body(row)},
        "group": _e(row.get("place") or "no place"),
    }
    if latest is not None and latest != first:
        slide["end_date"] = _date(latest)
    return slide


def _date(day: str) -> dict[str, str]:
    year, month, date = day.rsplit("-", 2)
    return {"year": str(int(year)), "month": str(int(month)), "day": str(int(date))}


def _headline(row: Row) -> str:
    what = str(row["type"]).replace("_", " ")
    by = row.get("attackers") or row.get("supporters") or row.get("parties") or []
    head = f"{what}: {row['place']}" if row.get("place") else what
    return f"{head} ({' + '.join(by)})" if by else head


def _body(row: Row) -> str:
    """Who, how many, on whose word (with the grades), the notes: HTML, every text escaped."""
    parts = []
    if row.get("forces"):
        parts.append(f"<p><b>Forces:</b> {_e(', '.join(row['forces']))}</p>")
    for kind in ("strength", "casualties"):
        if row.get(f"{kind}_best") is not None:
            low, high = row.get(f"{kind}_low"), row.get(f"{kind}_high")
            spread = f" ({low:,}–{high:,})" if low is not None and high is not None else ""
            parts.append(f"<p><b>{kind.title()}:</b> {row[f'{kind}_best']:,}{spread}</p>")
    grades = ", ".join(row.get("grades") or [])
    outlets = "; ".join(row.get("outlets") or [])
    parts.append(f"<p><b>Sources:</b> {_e(outlets)} (graded {_e(grades)})</p>")
    parts += [f"<blockquote>{_e(quote)}</blockquote>" for quote in row.get("quotes") or []]
    if row.get("notes"):
        parts.append(f"<p>{_e(row['notes'])}</p>")
    if row.get("status") != "active":
        parts.append(f"<p><i>{_e(row['status'])}</i></p>")
    parts.append(f"<p><small>{_e(row['id'])}</small></p>")
    return "".join(parts)


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)
