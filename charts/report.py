"""The offline report: one HTML page about an operation, readable with no network.

Rows from `projections.queries` and figures from `charts.figures` in, the page's text out.
plotly.js is inlined once, in the head; the styles are inline; nothing is fetched. Every text
that comes from events (names, notes, quotes, outlets, ids) goes through `html.escape`: a note
holding `<script>` shows as text. A source's address becomes a link only when it is http(s).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from timeline.vocabulary import (
    CREDIBILITY,
    RELIABILITY,
    grade_words,
    is_weak,
    triple_text,
    type_words,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

Rows = list[dict[str, Any]]
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d"]}
STYLE = """
body { font: 15px/1.45 Helvetica, Arial, sans-serif; color: #222; margin: 0 auto;
       max-width: 1240px; padding: 0 24px 48px; }
h1 { font-size: 28px; margin: 28px 0 4px; }
h2 { font-size: 21px; margin: 40px 0 8px; border-bottom: 2px solid #ddd; padding-bottom: 4px; }
.lede { color: #555; margin: 0 0 12px; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 0; }
dl.summary dt { color: #666; } dl.summary dd { margin: 0; }
nav a { margin-right: 16px; }
.figure { margin: 18px 0 6px; border: 1px solid #eee; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px;
         border-bottom: 1px solid #e6e6e6; }
th { background: #f4f4f4; position: sticky; top: 0; }
tr:nth-child(even) td { background: #fbfbfb; }
td.note, td.quote { max-width: 420px; color: #444; }
td.quote { font-style: italic; }
code { font-size: 12.5px; color: #555; overflow-wrap: anywhere; }
td.date { white-space: nowrap; }
.grade { font-weight: bold; white-space: nowrap; }
.weak { color: #b03a00; }
.legend { font-size: 13px; color: #555; }
footer { margin-top: 40px; font-size: 12.5px; color: #777; }
"""


def parts(
    *,
    operation: dict[str, Any],
    events: Rows,
    sources: Rows,
    claims: Rows,
    figures: Sequence[go.Figure],
    generated: datetime | None = None,
) -> Iterator[str]:
    """The whole page, in pieces to write as they come: a summary, the figures, the timeline,
    the claims in doubt, the sources. A large operation's page is tens of megabytes, and
    holding it whole (with its tables' cells) took many times that."""
    from plotly.offline import get_plotlyjs

    slug = _e(operation["operation"])
    generated = generated or datetime.now(UTC)
    pieces = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{slug}: operation report</title>",
        f"<style>{STYLE}</style>",
        f"<script>{get_plotlyjs()}</script>",
        "</head><body>",
        f"<h1>Operation {slug}</h1>",
        '<p class="lede">What was recorded, on whose word, and how far to trust it. Every '
        "figure and row traces back to its event id and its sources.</p>",
        _summary(operation),
        '<nav><a href="#figures">Figures</a><a href="#timeline">Timeline</a>'
        '<a href="#claims">Claims to weigh</a><a href="#sources">Sources and grades</a></nav>',
        '<h2 id="figures">Figures</h2>',
        '<p class="legend">Hover over a point for its events, sources and grades; drag the map\'s '
        "slider to see control on another day.</p>",
        *(_figure(figure, n) for n, figure in enumerate(figures)),  # each drawn when written
        '<h2 id="timeline">Timeline</h2>',
        '<p class="legend">In order of occurrence; dates as written (EDTF: <code>~</code> about, '
        "<code>?</code> uncertain), with their possible range when fuzzy.</p>",
        _timeline(events),
        '<h2 id="claims">Claims to weigh</h2>',
        '<p class="legend">A launch date sources dispute; events corrected since first '
        "recorded; events resting on a single source graded D, E or F, or of credibility "
        "4 to 6.</p>",
        _claims(claims),
        '<h2 id="sources">Sources and grades</h2>',
        _sources(sources),
        _grade_legend(),
        f"<footer>Made by ops-timeline on {generated:%Y-%m-%d %H:%M} UTC from the read models. "
        "The events themselves are never edited: corrections and retractions are later events.",
        "</footer></body></html>",
    ]
    for piece in pieces:
        if isinstance(piece, str):
            yield piece
        else:
            yield from piece
        yield "\n"


def _summary(operation: dict[str, Any]) -> str:
    launched, claims = _e(" | ".join(operation["launched"])), operation["launch_claims"]
    if operation["launch_contested"]:
        launched += f' <span class="weak">(contested: {claims} claims)</span>'
    elif launched:
        launched += f" ({claims} claim{'s' * (claims != 1)})"
    rows = [
        ("status", _e(operation["status"])),
        ("launched", launched or "not recorded"),
        ("concluded", _e(operation["concluded"]) or "not recorded"),
        ("events", f"{operation['events']}, occurring {_e(operation['first_occurred'])} to "
                   f"{_e(operation['last_occurred'])}"),
        ("places taken", _e(operation["places_taken"])),
        ("sides", _e(" + ".join(operation["sides"]))),
    ]  # fmt: skip
    cells = "".join(f"<dt>{key}</dt><dd>{value}</dd>" for key, value in rows)
    return f'<dl class="summary">{cells}</dl>'


def _figure(figure: go.Figure, n: int) -> Iterator[str]:
    height = figure.layout.height or 520
    div = figure.to_html(
        full_html=False, include_plotlyjs=False, config=CONFIG, div_id=f"figure-{n}",
        default_width="100%", default_height=f"{height}px",
    )  # fmt: skip
    yield f'<div class="figure">{div}</div>'


def _timeline(events: Rows) -> Iterator[str]:
    head = ("occurred", "type", "place", "by", "strength", "casualties", "sources", "status",
            "notes", "event")  # fmt: skip

    def row(event: dict[str, Any]) -> list[Any]:
        by = " + ".join([*event["attackers"], *event["supporters"]] or event.get("parties") or [])
        return [
            ("date", _e(event["occurred"]) + _range(event)),
            _e(type_words(event["type"])),
            _e(event["place"]),
            _e(by),
            _triple(event, "strength"),
            _triple(event, "casualties"),
            f"{_e('; '.join(event['outlets']))} {_grades(event['grades'])}",
            _e(event["status"]),
            ("note", _e(event["notes"])),
            _id(event["id"]),
        ]

    return _table(head, map(row, events), "No events recorded.")


def _claims(claims: Rows) -> Iterator[str]:
    head = ("claim", "occurred", "type", "place", "grades", "why", "event")
    rows = (
        [
            f'<span class="weak">{_e(c["claim"])}</span>',
            ("date", _e(c["occurred"])),
            _e(type_words(c["type"])),
            _e(c["place"]),
            _grades(c["grades"]),
            _e(c["detail"]),
            _id(c["event_id"]),
        ]
        for c in claims
    )
    return _table(head, rows, "None: no claim is contested, corrected or on one weak source.")


def _sources(sources: Rows) -> Iterator[str]:
    """Each outlet with how many claims it carries at which grades, then every source."""
    outlets: dict[str, list[str]] = {}
    for s in sources:
        outlets.setdefault(s["outlet"], []).append(s["grade"])
    lines = [
        f"<li><b>{_e(outlet)}</b>: {len(grades)} claim{'s' * (len(grades) != 1)}, graded "
        + ", ".join(f"{_grades(g)} × {grades.count(g)}" for g in sorted(set(grades)))
        + "</li>"
        for outlet, grades in outlets.items()
    ]
    addresses = any(s["url"] for s in sources)
    head = ("outlet", "grade", "published", "event", "place", "what it said")
    rows = (
        [
            _e(s["outlet"]),
            _grades(s["grade"]) + f'<br><span class="legend">{_e(grade_words(s["grade"]))}</span>',
            ("date", _e(s["published"])),
            f"{_e(type_words(s['type']))}, {_e(s['occurred'])}<br>{_id(s['event_id'])}",
            _e(s["place"]),
            ("quote", _e(s["quote"])),
            *([_link(s["url"])] if addresses else []),
        ]
        for s in sources
    )
    if sources:
        yield f"<ul>{''.join(lines)}</ul>"
    yield from _table((*head, "address") if addresses else head, rows, "No sources.")


def _grade_legend() -> str:
    reliability = ", ".join(f"<b>{k}</b> {v}" for k, v in RELIABILITY.items())
    credibility = ", ".join(f"<b>{k}</b> {v}" for k, v in CREDIBILITY.items())
    return (
        '<p class="legend">Grades follow the Admiralty code, per source and claim. Reliability '
        f"of the source: {reliability}. Credibility of the information: {credibility}.</p>"
    )


def _table(head: Sequence[str], rows: Iterable[list[Any]], empty: str) -> Iterator[str]:
    """A table, a row at a time (a paragraph saying `empty` when there is none)."""
    header = "".join(f"<th>{h}</th>" for h in head)
    started = False
    for row in rows:
        if not started:
            yield f"<table><thead><tr>{header}</tr></thead><tbody>"
            started = True
        yield "<tr>" + "".join(_cell(cell) for cell in row) + "</tr>"
    yield "</tbody></table>" if started else f'<p class="legend">{empty}</p>'


def _cell(cell: str | tuple[str, str]) -> str:
    if isinstance(cell, tuple):
        return f'<td class="{cell[0]}">{cell[1]}</td>'
    return f"<td>{cell}</td>"


def _e(value: object) -> str:
    return "" if value is None else html.escape(str(value))


def _id(event_id: str) -> str:
    """An event id in code type, breakable after each slash."""
    return f"<code>{_e(event_id).replace('/', '/<wbr>')}</code>"


def _range(event: dict[str, Any]) -> str:
    earliest, latest = event["occurred_earliest"], event["occurred_latest"]
    if earliest == latest:
        return ""
    return f'<br><span class="legend">{_e(earliest or "..")} to {_e(latest or "..")}</span>'


def _triple(row: dict[str, Any], prefix: str) -> str:
    best, low, high = (row.get(f"{prefix}_{key}") for key in ("best", "low", "high"))
    return triple_text(best, low, high) or ""


def _grades(grades: list[str] | str | None) -> str:
    """Grades as marks: a list of them, or one."""
    found = [grades] if isinstance(grades, str) else list(grades or [])
    return " ".join(
        f'<span class="grade{" weak" * is_weak(g)}">{_e(g)}</span>' for g in found
    )  # fmt: skip


def _link(url: str | None) -> str:
    """An http(s) address as a link; any other (javascript:, data:) only as text."""
    if not url:
        return ""
    text = f"<code>{_e(url)}</code>"
    if url.lower().startswith(("http://", "https://")):
        return f'<a href="{_e(url)}" rel="noopener noreferrer nofollow">{text}</a>'
    return text
