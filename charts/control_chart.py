"""Who held what when: one row per place, time across, each period of control a bar in its
holder's colour. Rows from `projections.queries.operation_control` in, a figure out, no SQL.

A period's bar runs from the day it surely began (the last day its opening event's date
allows) to the day it may first have ended (or to the last day shown, while it lasts); the
days a fuzzy date leaves open at either end are a lighter band. The stretch after an enemy
entered the place (fighting reported, control not changed) is hatched. A period opened on a
weak claim is hollow; the mark at its start says how its opening claim stands (`Claim`).
Hover names the events and sources that opened and closed it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from charts.figure_style import (
    INK,
    Claim,
    Colours,
    Rows,
    alpha,
    claim_of,
    colour_of,
    contested_marks,
    day_axis,
    day_range,
    edge,
    escape,
    fill,
    graph_objects,
    layout,
    mark_keys,
    middle,
    no_data,
    say,
    shift,
    shown_days,
    symbol,
    title,
)
from timeline.vocabulary import type_words

if TYPE_CHECKING:
    import plotly.graph_objects as go

DAY_MS = 86_400_000
MARGIN = 31  # days beside the operations' span a period's fuzzy start or end may widen it by
MARKED = 80  # periods whose start is marked; beyond, the bars alone
LAST = "9999-12-31"


def control_chart(
    control: Rows,
    *,
    operations: Sequence[str],
    span: tuple[str | None, str | None] = (None, None),
    colours: Colours | None = None,
) -> go.Figure:
    """Each place's periods of control (`operation_control` rows) as bars over time.

    `span`: the operations' likely first and last days; the time axis covers them and every
    period's likely start. A period still open is drawn to the last day shown."""
    go = graph_objects()
    fig = go.Figure()
    places = place_order(control)
    first, last = day_range(_axis_days(control, span))
    sides = list(dict.fromkeys(p["side"] for p in sorted(control, key=lambda p: p["side"])))
    for side in sides:  # the legend: a square per side
        fig.add_scatter(
            x=[None], y=[None], mode="markers", name=escape(side), legendgroup=side,
            marker={"symbol": "square", "size": 14, "color": colour_of(side, colours)},
        )  # fmt: skip
    if first is not None and last is not None:
        for side in sides:
            mine = [p for p in control if p["side"] == side]
            _bands(fig, mine, colour_of(side, colours), (first, last))
            _bars(fig, mine, side, colour_of(side, colours), last)
        _contested(fig, control, last)
        _starts(fig, control, colours)
        _open_ends(fig, control, last, colours)
    mark_keys(fig, [claim_of(p, "start_") for p in control])
    keys = len(sides) + sum(1 for t in fig.data if t.legendgroup == "marks") + 2
    layout(fig, title("Who held what when: control of places", operations),
           height=max(360, 170 + 38 * len(places), 150 + 31 * keys))  # fmt: skip
    fig.update_layout(barmode="overlay", legend_title_text="held by", bargap=0.35)
    fuzzy = any(p[f"{end}_earliest"] != p[f"{end}_latest"] for p in control
                for end in ("start", "end") if p[f"{end}_event"])  # fmt: skip
    day_axis(fig, first, last, "lighter: the days a fuzzy date leaves open" if fuzzy else "")
    fig.update_yaxes(
        title="place", type="category", categoryorder="array", categoryarray=places,
        autorange="reversed", showgrid=False, ticksuffix=" ",
    )  # fmt: skip
    no_data(fig, not control, "No control of any place is recorded.")
    return fig


def _axis_days(control: Rows, span: tuple[str | None, str | None]) -> list[str]:
    """The days the time axis must show: the operations' likely span, and the possible days
    of the periods' starts and ends within a month of it (where no span is known, of every
    period). Periods of the places long before or after the operations run off the axis: pan
    to see them."""
    ends = [(p[f"{end}_earliest"], p[f"{end}_latest"]) for p in control
            for end in ("start", "end") if p[f"{end}_earliest"]]  # fmt: skip
    first, last = span
    days = [day for end in ends for day in shown_days(*end)]
    if not first or not last:
        return days
    near = shift(first, -MARGIN), shift(last, MARGIN)  # a period's fuzzy end, not its history
    return [first, last, *(day for day in days if near[0] <= day <= near[1])]


def place_order(control: Rows) -> list[str]:
    """The places, a row each, in order of their first period's start, then by name."""
    return list(dict.fromkeys(p["place"] for p in sorted(control, key=_order)))


def _order(period: dict[str, Any]) -> tuple[str, str, int]:
    """Places in order of the first period's start, then by name."""
    return (period["start_earliest"] or "", period["place"].casefold(), period["period"])


def _sure(period: dict[str, Any], last: str) -> tuple[str, str]:
    """The days it surely lasted: from its start's last possible day to its end's first (the
    last day shown, while it lasts); an empty stretch where fuzzy dates overlap."""
    start = period["start_latest"] or period["start_earliest"] or last
    end = period["end_earliest"] or last
    return start, max(start, end)


def _length(start: str, end: str) -> int:
    return (date.fromisoformat(end) - date.fromisoformat(start)).days * DAY_MS


def _bars(fig: go.Figure, periods: Rows, side: str, colour: str, last: str) -> None:
    """The surely held stretch of each period: one bar each, its period in `customdata`."""
    if not periods:
        return
    spans = [_sure(p, last) for p in periods]
    marks = [claim_of(p, "start_") for p in periods]
    fig.add_bar(
        orientation="h", y=[p["place"] for p in periods], base=[s for s, _ in spans],
        x=[_length(s, e) for s, e in spans], name=f"{escape(side)}: periods",
        legendgroup=side, showlegend=False,
        customdata=[[p["place"], p["period"], p["side"], p["start_event"], p["end_event"]]
                    for p in periods],
        marker={"color": [fill(colour, m) for m in marks],
                "line": {"color": [edge(colour, m) for m in marks],
                         "width": [2 if m.weak or m.fair else 1 for m in marks]}},
        hovertext=[_period_text(p, m) for p, m in zip(periods, marks, strict=True)],
        hovertemplate="%{hovertext}<extra></extra>",
    )  # fmt: skip


def _bands(
    fig: go.Figure, periods: Rows, colour: str, axis: tuple[str, str]
) -> None:
    """The uncertain days at either end of each period, lighter."""
    bands = []
    for p in periods:
        for change in ("start", "end"):
            earliest, latest = p[f"{change}_earliest"], p[f"{change}_latest"]
            if earliest and earliest != latest:
                bands.append((p, max(earliest, axis[0]), min(latest or axis[1], axis[1])))
    if bands:
        fig.add_bar(
            orientation="h", y=[p["place"] for p, _, _ in bands], base=[s for _, s, _ in bands],
            x=[_length(s, e) for _, s, e in bands], showlegend=False, name="uncertain days",
            marker={"color": alpha(colour, 0.3), "line": {"width": 0}},
            hovertext=[f"{_period_text(p, claim_of(p, 'start_'))}<br><i>uncertain: "
                       f"{say(s)} to {say(e)}</i>" for p, s, e in bands],
            hovertemplate="%{hovertext}<extra></extra>",
        )  # fmt: skip


def _contested(fig: go.Figure, periods: Rows, last: str) -> None:
    """Hatching over the days fighting was reported in a place its holder kept."""
    found = [p for p in periods if p["contested_from"]]
    if not found:
        return
    ends = [max(p["contested_from"], p["end_earliest"] or last) for p in found]
    fig.add_bar(
        orientation="h", y=[p["place"] for p in found], base=[p["contested_from"] for p in found],
        x=[_length(p["contested_from"], end) for p, end in zip(found, ends, strict=True)],
        name="hatched: contested (fighting reported)", legendgroup="contested",
        marker={"color": "rgba(0, 0, 0, 0)", "line": {"width": 0},
                "pattern": {"shape": "/", "fgcolor": INK, "size": 7, "solidity": 0.25,
                            "fillmode": "overlay"}},
        hovertext=[_contested_text(p) for p in found],
        hovertemplate="%{hovertext}<extra></extra>",
    )  # fmt: skip


def _starts(fig: go.Figure, periods: Rows, colours: Colours | None) -> None:
    """A mark where each period began, saying how its opening claim stands."""
    dated = [p for p in periods if p["start_earliest"]]
    if not dated or len(dated) > MARKED:  # too many to mark: the bars and hover say it
        return
    marks = [claim_of(p, "start_") for p in dated]
    xs = [middle(p["start_earliest"], p["start_latest"] or LAST) for p in dated]
    ys = [p["place"] for p in dated]
    colour = [colour_of(p["side"], colours) for p in dated]
    fig.add_scatter(
        x=xs, y=ys, mode="markers", name="period opened by", showlegend=False,
        marker={"symbol": [symbol("circle", m) for m in marks], "size": 9,
                "color": [c if m.weak else fill(c, m) for c, m in zip(colour, marks, strict=True)],
                "line": {"color": [edge(c, m) for c, m in zip(colour, marks, strict=True)],
                         "width": 2}},
        hovertext=[_period_text(p, m) for p, m in zip(dated, marks, strict=True)],
        hovertemplate="%{hovertext}<extra></extra>",
    )  # fmt: skip
    contested_marks(
        fig, [(x, y) for x, y, m in zip(xs, ys, marks, strict=True) if m.contested], size=18
    )


def _open_ends(fig: go.Figure, periods: Rows, last: str, colours: Colours | None) -> None:
    """An arrow at the end of each period no later event closed: it lasts beyond the axis."""
    found = [p for p in periods if p["end_event"] is None]
    if found:
        fig.add_scatter(
            x=[last] * len(found), y=[p["place"] for p in found], mode="markers",
            name="still held at the last record", showlegend=False, cliponaxis=False,
            marker={"symbol": "triangle-right", "size": 10,
                    "color": [colour_of(p["side"], colours) for p in found]},
            hovertext=[f"<b>{escape(p['place'])}</b>: held by {escape(p['side'])}, no later "
                       "event" for p in found],
            hovertemplate="%{hovertext}<extra></extra>",
        )  # fmt: skip


def _event_words(period: dict[str, Any], change: str) -> str:
    kind = period.get(f"{change}_type") or ("place entered" if change == "contested" else "")
    outlets = "; ".join(period.get(f"{change}_outlets") or [])
    grades = ", ".join(period.get(f"{change}_grades") or [])
    return (f"{escape(type_words(kind))}, {escape(period.get(f'{change}_occurred'))} "
            f"({escape(outlets)}{', ' if outlets and grades else ''}{escape(grades)})<br>"
            f"<i>{escape(period[f'{change}_event'])}</i>")  # fmt: skip


def _period_text(period: dict[str, Any], mark: Claim) -> str:
    lines = [f"<b>{escape(period['place'])}</b>: held by {escape(period['side'])}"]
    lines.append(f"from: {_event_words(period, 'start')}")
    if mark.words:
        lines.append(f"<i>{mark.words}</i>")
    if period["end_event"]:
        lines.append(f"to: {_event_words(period, 'end')}")
    else:
        lines.append("to: no later event (held at the last record)")
    if period["contested_from"]:
        lines.append(f"contested from {say(period['contested_from'])}")
    count = len(period["events"] or [])
    lines.append(f"{count} event{'s' * (count != 1)}")
    return "<br>".join(lines)


def _contested_text(period: dict[str, Any]) -> str:
    by = period.get("contested_by") or "an enemy"
    return (f"<b>{escape(period['place'])}</b>: held by {escape(period['side'])}, contested"
            f"<br>entered by {escape(by)}: {_event_words(period, 'contested')}")  # fmt: skip
