"""The offline report: one HTML page about an operation, readable with no network.

Rows from `projections.queries` and figures from `charts` in, the page's text out. plotly.js
is inlined once, in the head (or loaded from `plotly.min.js` beside the page, written there
once for a folder of reports); the styles are inline; nothing is fetched. Every text that comes
from events (names, notes, quotes, outlets, ids) goes through `html.escape`: a note holding
`<script>` shows as text. A source's address becomes a link only when it is http(s).

The header says what the page counts: as recorded by when, known by when, which grades, and
when it was made; a page drawn from a snapshot says so before anything else.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from timeline.vocabulary import (
    CREDIBILITY,
    MARKS_CONTESTED,
    RELIABILITY,
    grade_words,
    is_weak,
    triple_text,
    type_words,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

Rows = list[dict[str, Any]]
WEAKER = ("fade", "hide")  # what a page with a grade filter does with the claims below it
CLAIMS = 1_000  # claims to weigh listed at most: `timeline contested` and `show` list them all
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
td.period { min-width: 220px; }
.grade { font-weight: bold; white-space: nowrap; }
.weak { color: #b03a00; }
.legend { font-size: 13px; color: #555; }
.snapshot { background: #f6f6f6; border-left: 4px solid #999; padding: 8px 14px;
            margin: 10px 0 14px; }
.snapshot.past { background: #fff4e5; border-left-color: #D55E00; }
.snapshot dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 0; }
.snapshot dt { color: #666; } .snapshot dd { margin: 0; }
tr.retracted td { text-decoration: line-through; color: #888; }
tr.retracted td.status { text-decoration: none; color: #b03a00; font-weight: bold; }
tr.below td { opacity: 0.42; }
tr.below td.status { opacity: 1; color: #777; }
.swatch { display: inline-block; width: 11px; height: 11px; margin-right: 5px;
          vertical-align: -1px; border-radius: 2px; }
footer { margin-top: 40px; font-size: 12.5px; color: #777; }
"""


@dataclass(frozen=True)
class Snapshot:
    """What a page counts: events appended by `as_recorded` (None: by the time it was made),
    sources published by `known_by` (None: whenever), sources graded `min_grade` or better
    (None: every grade); `faded`: the claims below `min_grade` are listed, faded, rather than
    left out. Rows marked `below` are those claims."""

    as_recorded: datetime | None = None
    known_by: date | None = None
    min_grade: str | None = None
    faded: bool = False

    @property
    def past(self) -> bool:
        return any(value is not None for value in (self.as_recorded, self.known_by,
                                                   self.min_grade))  # fmt: skip


def parts(
    *,
    operation: dict[str, Any],
    events: Rows,
    sources: Rows,
    claims: Rows,
    figures: Sequence[go.Figure],
    control: Rows | None = None,
    withdrawn: Rows | None = None,
    days: tuple[str | None, str | None] = (None, None),
    snapshot: Snapshot | None = None,
    plotlyjs: str | None = None,
    colours: dict[str, str] | None = None,
    generated: datetime | None = None,
) -> Iterator[str]:
    """The whole page, in pieces to write as they come: the header (what it counts), a
    summary, who held what when (the first figure and the periods of control), the other
    figures, the timeline, the claims in doubt, the events withdrawn, the sources. A large
    operation's page is tens of megabytes, and holding it whole (with its tables' cells) took
    many times that. `plotlyjs`: where plotly.js is, beside the page (None: inlined)."""
    slug = _e(operation["operation"])
    generated = generated or datetime.now(UTC)
    snapshot = snapshot or Snapshot()
    if plotlyjs is None:
        from plotly.offline import get_plotlyjs

        script = f"<script>{get_plotlyjs()}</script>"
    else:
        script = f'<script src="{_e(plotlyjs)}"></script>'
    first, *others = figures
    struck = any(event["status"] == "retracted" for event in events)
    faded = _faded_legend(snapshot, events)
    pieces = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{slug}: operation report</title>",
        f"<style>{STYLE}</style>",
        script,
        "</head><body>",
        f"<h1>Operation {slug}</h1>",
        '<p class="lede">What was recorded, on whose word, and how far to trust it. Every '
        "figure and row traces back to its event id and its sources.</p>",
        _snapshot(snapshot, generated),
        _summary(operation, days),
        '<nav><a href="#control">Who held what when</a><a href="#figures">Figures</a>'
        '<a href="#timeline">Timeline</a><a href="#claims">Claims to weigh</a>'
        '<a href="#withdrawn">Withdrawn</a><a href="#sources">Sources and grades</a></nav>',
        '<h2 id="control">Who held what when</h2>',
        '<p class="legend">A row per place, a bar per period of control in its holder\'s '
        "colour. Lighter: the days a fuzzy date leaves open; hatched: fighting reported, the "
        "holder unchanged; pale: the period rests on a fair claim (best grade C or 3: C3, B3, "
        "C2); hollow: on a weak one (below C3); the mark at its start is the event that opened "
        "it.</p>",
        _figure(first, 0),
        _control(control or [], colours, days),
        '<h2 id="figures">Figures</h2>',
        '<p class="legend">Hover over a point for its events, sources and grades; drag the map\'s '
        "slider to see control on another day. Filled marks: claims graded B2 or better; "
        "pale: fair (C or 3); hollow: weak (below C3); dotted: a single weak source; crossed: "
        "contested by other sources."
        "</p>",
        *(_figure(figure, n) for n, figure in enumerate(others, start=1)),
        '<h2 id="timeline">Timeline</h2>',
        '<p class="legend">In order of occurrence; dates as written (EDTF: <code>~</code> about, '
        "<code>?</code> uncertain), with their possible range when fuzzy."
        + (" Retracted events are struck through." if struck else "") + faded + "</p>",
        _timeline(events, snapshot.min_grade),
        '<h2 id="claims">Claims to weigh</h2>',
        '<p class="legend">A launch date sources dispute; events corrected since first '
        "recorded; events resting on a single source graded D, E or F, or of credibility "
        "4 to 6. Events withdrawn are listed below." + _faded_legend(snapshot, claims) + "</p>",
        _claims(claims, operation["operation"]),
        '<h2 id="withdrawn">Withdrawn</h2>',
        '<p class="legend">Events retracted since they were recorded, as they last read, with '
        "the retraction and the source it rests on. They count in no figure, table or total "
        "above; the record keeps them." + _faded_legend(snapshot, withdrawn or []) + "</p>",
        _withdrawn(withdrawn or []),
        '<h2 id="sources">Sources and grades</h2>',
        *([f'<p class="legend">{_faded_legend(snapshot, sources, "sources").strip()}</p>']
          if any(s.get("below") for s in sources) else []),
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


def _snapshot(snapshot: Snapshot, generated: datetime) -> str:
    """What the page counts, and when it was made."""
    if snapshot.as_recorded is None:
        recorded = f"everything recorded by {generated:%Y-%m-%d %H:%M} UTC, when it was made"
    else:
        moment = snapshot.as_recorded.astimezone(UTC)
        recorded = (f"<b>as recorded at {moment:%Y-%m-%d %H:%M:%S} UTC</b>: only what had "
                    "been appended by then")  # fmt: skip
    known = ("every source, whatever its publication date" if snapshot.known_by is None
             else f"<b>known by {snapshot.known_by:%Y-%m-%d}</b>: only sources published by "
             "then; events left with none are left out")  # fmt: skip
    grades = ("every grade; claims are marked by their best grade: B2 or better filled, C or "
              "3 pale, below C3 hollow"
              if snapshot.min_grade is None
              else f"<b>sources graded {_e(snapshot.min_grade.upper())} or better</b>: only "
              "they count in the figures, the summary and the periods of control; the claims "
              "resting on weaker sources alone are "
              + ("listed faded in the tables" if snapshot.faded else "left out"))  # fmt: skip
    rows = [("as recorded", recorded), ("known by", known), ("grades", grades),
            ("made", f"{generated:%Y-%m-%d %H:%M} UTC")]  # fmt: skip
    cells = "".join(f"<dt>{key}</dt><dd>{value}</dd>" for key, value in rows)
    kind = "snapshot past" if snapshot.past else "snapshot"
    return f'<div class="{kind}"><dl>{cells}</dl></div>'


def _summary(operation: dict[str, Any], days: tuple[str | None, str | None]) -> str:
    launched, claims = _e(" | ".join(operation["launched"])), operation["launch_claims"]
    if operation["launch_contested"]:
        launched += f' <span class="weak">(contested: {claims} claims)</span>'
    elif launched:
        launched += f" ({claims} claim{'s' * (claims != 1)})"
    first, last = days
    occurring = f"{operation['events']}"
    if first and last:
        occurring += (f", occurring most likely on {_e(first)}" if first == last
                      else f", occurring most likely {_e(first)} to {_e(last)}")  # fmt: skip
        if (operation["first_occurred"], operation["last_occurred"]) != (first, last):
            occurring += (f' <span class="legend">(possible dates {_e(operation["first_occurred"])}'
                          f' to {_e(operation["last_occurred"] or "..")})</span>')  # fmt: skip
    rows = [
        ("status", _e(operation["status"])),
        ("launched", launched or "not recorded"),
        ("concluded", _e(operation["concluded"]) or "not recorded"),
        ("events", occurring),
        ("places taken", _e(operation["places_taken"])),
        ("sides", _e(" + ".join(operation["sides"]))),
    ]
    cells = "".join(f"<dt>{key}</dt><dd>{value}</dd>" for key, value in rows)
    return f'<dl class="summary">{cells}</dl>'


def _figure(figure: go.Figure, n: int) -> Iterator[str]:
    height = figure.layout.height or 520
    div = figure.to_html(
        full_html=False, include_plotlyjs=False, config=CONFIG, div_id=f"figure-{n}",
        default_width="100%", default_height=f"{height}px",
    )  # fmt: skip
    yield f'<div class="figure">{div}</div>'


def _timeline(events: Rows, min_grade: str | None) -> Iterator[str]:
    head = ("occurred", "type", "place", "by", "strength", "casualties", "sources", "status",
            "notes", "event")  # fmt: skip

    def row(event: dict[str, Any]) -> list[Any]:
        by = " + ".join([*event["attackers"], *event["supporters"]] or event.get("parties") or [])
        status = _e(event["status"])
        if event["status"] == "retracted":
            status += f"<br>by {_id(event['retracted_by'])}"
        if event.get("below"):
            status += f"<br>below {_e((min_grade or '').upper())}"
        return [
            ("date", _e(event["occurred"]) + _range(event)),
            _e(type_words(event["type"])),
            _e(event["place"]),
            _e(by),
            _triple(event, "strength"),
            _triple(event, "casualties"),
            f"{_e('; '.join(event['outlets']))} {_grades(event['grades'])}",
            ("status", status),
            ("note", _e(event["notes"])),
            _id(event["id"]),
        ]

    def classed(event: dict[str, Any]) -> tuple[str, list[Any]]:
        return (_classes(event, event["status"] == "retracted"), row(event))

    return _table(head, map(classed, events), "No events recorded.")


def _control(
    periods: Rows, colours: dict[str, str] | None, days: tuple[str | None, str | None]
) -> Iterator[str]:
    """The periods of control the chart shows (those that may overlap the operation's likely
    days), as `timeline control PLACE` lists them, in the chart's order."""
    from charts.colours import colour_of
    from charts.control_chart import place_order

    first, last = days
    shown = [p for p in periods if not first or not last or (
        (p["start_earliest"] or "") <= last and (p["end_latest"] or "9999") >= first)]  # fmt: skip
    order = {place: n for n, place in enumerate(place_order(periods))}
    shown.sort(key=lambda p: (order[p["place"]], p["period"]))
    head = ("place", "held by", "from", "to", "contested", "events")

    def end(period: dict[str, Any], change: str) -> str:
        if period[f"{change}_event"] is None:
            return "no later event: held at the last record"
        kind = period[f"{change}_type"]
        words = (f"held when {_e(period['contested_by'] or 'an enemy')} entered"
                 if kind in MARKS_CONTESTED else _e(type_words(kind)))  # fmt: skip
        said = f"{_e('; '.join(period[f'{change}_outlets']))} {_grades(period[f'{change}_grades'])}"
        return (f"{_date_range(period, change)}, {words}<br>{said}<br>"
                f"{_id(period[f'{change}_event'])}")  # fmt: skip

    def row(period: dict[str, Any]) -> list[Any]:
        colour = colour_of(period["side"], colours)
        contested = ""
        if period["contested_from"]:
            contested = (f"from {_e(period['contested_from'])}, entered by "
                         f"{_e(period['contested_by'] or 'an enemy')}<br>"
                         f"{_id(period['contested_event'])}")  # fmt: skip
        return [
            _e(period["place"]),
            f'<span class="swatch" style="background:{_e(colour)}"></span>{_e(period["side"])}',
            ("period", end(period, "start")),
            ("period", end(period, "end")),
            ("period", contested),
            _e(len(period["events"] or [])),
        ]

    yield from _table(head, map(row, shown), "No control of any place is recorded.")
    if len(shown) < len(periods):
        left = len(periods) - len(shown)
        yield (f'<p class="legend">{left} other period{"s" * (left != 1)} of these places, '
               "before or after the operation, are not listed: <code>timeline control "
               "PLACE</code> lists every one.</p>")


def _date_range(period: dict[str, Any], change: str) -> str:
    earliest, latest = period[f"{change}_earliest"], period[f"{change}_latest"]
    written = _e(period[f"{change}_occurred"])
    if earliest == latest:
        return written
    return f'{written} <span class="legend">({_e(earliest or "..")} to {_e(latest or "..")})</span>'


def _withdrawn(events: Rows) -> Iterator[str]:
    head = ("occurred", "type", "place", "sources", "event", "retracted by", "recorded (UTC)",
            "on whose word", "why")  # fmt: skip

    def row(event: dict[str, Any]) -> tuple[str, list[Any]]:
        words = "<br>".join(
            f"{_e(s.get('outlet'))} {_grades(s['grade'])}"
            + (f", {_e(s['published'])}" if s.get("published") else "")
            + (f'<br><span class="legend">“{_e(s["quote"])}”</span>' if s.get("quote") else "")
            for s in event["retraction_sources"]
        )
        return _classes(event), [
            ("date", _e(event["occurred"])),
            _e(type_words(event["type"])),
            _e(event["place"]),
            f"{_e('; '.join(event['outlets']))} {_grades(event['grades'])}",
            _id(event["id"]),
            _id(event["retracted_by"]),
            ("date", _e((event["retraction_recorded"] or "")[:16].replace("T", " "))),
            ("quote", words),
            ("note", _e(event["retraction_notes"])),
        ]

    return _table(head, map(row, events), "None: no event of this operation was retracted.")


def _claims(claims: Rows, operation: str) -> Iterator[str]:
    """The first CLAIMS claims to weigh (given one more when there are more)."""
    head = ("claim", "occurred", "type", "place", "grades", "why", "event")
    more = len(claims) > CLAIMS
    claims = claims[:CLAIMS]
    rows = (
        (_classes(c), [
            f'<span class="weak">{_e(c["claim"])}</span>',
            ("date", _e(c["occurred"])),
            _e(type_words(c["type"])),
            _e(c["place"]),
            _grades(c["grades"]),
            _e(c["detail"]),
            _id(c["event_id"]),
        ])
        for c in claims
    )
    yield from _table(head, rows, "None: no claim is contested, corrected or on one weak source.")
    if more:
        yield (f'<p class="legend">More claims are in doubt than the first {CLAIMS:,} listed '
               f"here: <code>timeline contested {_e(operation)}</code> lists every conflict, "
               f"<code>timeline show {_e(operation)}</code> every event.</p>")


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
        (_classes(s), [
            _e(s["outlet"]),
            _grades(s["grade"]) + f'<br><span class="legend">{_e(grade_words(s["grade"]))}</span>',
            ("date", _e(s["published"])),
            f"{_e(type_words(s['type']))}, {_e(s['occurred'])}<br>{_id(s['event_id'])}",
            _e(s["place"]),
            ("quote", _e(s["quote"])),
            *([_link(s["url"])] if addresses else []),
        ])
        for s in sources
    )
    if sources:
        yield f"<ul>{''.join(lines)}</ul>"
    yield from _table((*head, "address") if addresses else head, rows, "No sources.")


def _classes(row: dict[str, Any], retracted: bool = False) -> str:
    """A row's classes: `retracted` (struck through), `below` (faded: under the grade filter)."""
    return " ".join(kind for kind, on in (("retracted", retracted), ("below", row.get("below")))
                    if on)  # fmt: skip


def _faded_legend(snapshot: Snapshot, rows: Rows, what: str = "rows") -> str:
    """What the faded rows of a table are, when it has any."""
    if not snapshot.faded or not any(row.get("below") for row in rows):
        return ""
    grade = _e((snapshot.min_grade or "").upper())
    if what == "sources":
        return (f" Faded: sources graded below {grade}; the claims they carry count in no "
                "figure or total unless a better source carries them too.")
    return (f" Faded: claims resting only on sources graded below {grade}; they count in no "
            "figure or total above.")


def _grade_legend() -> str:
    reliability = ", ".join(f"<b>{k}</b> {v}" for k, v in RELIABILITY.items())
    credibility = ", ".join(f"<b>{k}</b> {v}" for k, v in CREDIBILITY.items())
    return (
        '<p class="legend">Grades follow the Admiralty code, per source and claim. Reliability '
        f"of the source: {reliability}. Credibility of the information: {credibility}.</p>"
    )


def _table(
    head: Sequence[str], rows: Iterable[list[Any] | tuple[str, list[Any]]], empty: str
) -> Iterator[str]:
    """A table, a row at a time (a paragraph saying `empty` when there is none); a row may
    come with its class, `(class, cells)`."""
    header = "".join(f"<th>{h}</th>" for h in head)
    started = False
    for row in rows:
        if not started:
            yield f"<table><thead><tr>{header}</tr></thead><tbody>"
            started = True
        kind, cells = row if isinstance(row, tuple) else ("", row)
        opening = f'<tr class="{kind}">' if kind else "<tr>"
        yield opening + "".join(_cell(cell) for cell in cells) + "</tr>"
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
