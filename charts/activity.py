"""Activity: events, casualties and fatalities per week or month, by type and by side, from
the counts `projections.queries.activity` makes in SQL. A figure of a few hundred bars
whatever the number of events: readable at 100,000.

Three panels sharing the time axis: events stacked by type; events by side (a line each, not
stacked: an event counts once for each side that took part); casualties and fatalities
reported (best estimates) stacked by type. Types keep their colours from the vocabulary
(`type_colour`), sides theirs from `charts.colours`; beyond `SIDES` sides, the rest are one
line, "other sides".
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from charts.figure_style import (
    GREY,
    Colours,
    colour_of,
    escape,
    layout,
    no_data,
    say,
    type_colour,
)
from timeline.vocabulary import EVENT_TYPES, type_words

if TYPE_CHECKING:
    import plotly.graph_objects as go

SIDES = 8
OTHERS = "other sides"
DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS


def activity(counts: dict[str, Any], *, chosen: str, colours: Colours | None = None) -> go.Figure:
    """The activity of the events `chosen` names (operations, or a query's filters), from
    `queries.activity`'s answer."""
    from plotly.subplots import make_subplots

    per = counts["per"]
    by_type = counts["by_type"]
    dead = [row for row in by_type if (row["casualties"] or 0) + (row["fatalities"] or 0)]
    titles = [f"events per {per}, by type", f"events per {per}, by side taking part"]
    if dead:
        titles.append(f"casualties and fatalities reported per {per} (best estimates)")
    fig = make_subplots(
        rows=len(titles), cols=1, shared_xaxes=True, vertical_spacing=0.08,
        row_heights=[0.4, 0.3, 0.3][: len(titles)], subplot_titles=titles,
    )  # fmt: skip
    length = 30.4 * DAY_MS if per == "month" else WEEK_MS
    period = {"xperiod": "M1" if per == "month" else WEEK_MS, "xperiodalignment": "middle"}
    bars = {**period, "width": length * 0.85}
    types = sorted({row["type"] for row in by_type}, key=_type_order)
    for kind in types:
        mine = [row for row in by_type if row["type"] == kind]
        words = escape(type_words(kind))
        fig.add_bar(
            x=[row["period"] for row in mine], y=[row["events"] for row in mine], name=words,
            legendgroup=kind, legendgrouptitle_text="type" if kind == types[0] else None,
            marker={"color": type_colour(kind), "line": {"width": 0}},
            hovertext=[f"<b>{_when(row['period'], per)}</b><br>{words}: {row['events']:,} "
                       f"event{'s' * (row['events'] != 1)}" for row in mine],
            hovertemplate="%{hovertext}<extra></extra>", row=1, col=1, **bars,
        )  # fmt: skip
        hurt = [row for row in dead if row["type"] == kind]
        if hurt:
            fig.add_bar(
                x=[row["period"] for row in hurt],
                y=[(row["casualties"] or 0) + (row["fatalities"] or 0) for row in hurt],
                name=f"{words}: casualties", legendgroup=kind, showlegend=False,
                marker={"color": type_colour(kind), "line": {"width": 0}},
                hovertext=[f"<b>{_when(row['period'], per)}</b><br>{words}: "
                           f"{_dead(row)}" for row in hurt],
                hovertemplate="%{hovertext}<extra></extra>", row=3, col=1, **bars,
            )  # fmt: skip
    sides = _sides(counts["by_side"], per)
    shown = {row["period"] for rows in sides.values() for row in rows}
    for n, (side, mine) in enumerate(sides.items()):
        fig.add_scatter(
            x=[row["period"] for row in mine], y=[row["events"] for row in mine],
            name=escape(side), legendgroup=f"side {side}",
            legendgrouptitle_text="side" if n == 0 else None,
            line={"color": GREY if side == OTHERS else colour_of(side, colours), "width": 2},
            mode="lines+markers" if len(shown) <= 60 else "lines", marker={"size": 7},
            hovertext=[f"<b>{_when(row['period'], per)}</b><br>"
                                           f"{escape(side)}: {row['events']:,} events"
                                           + (f", {_dead(row)}" if _dead(row) else "")
                                           for row in mine],
            hovertemplate="%{hovertext}<extra></extra>", row=2, col=1, **period,
        )  # fmt: skip
    layout(fig, f"Activity per {per} — {escape(chosen)}", height=820 if dead else 640)
    fig.update_layout(barmode="stack", bargap=0.15, legend={"groupclick": "toggleitem"})
    fig.update_xaxes(type="date", showgrid=True)
    fig.update_xaxes(title_text=f"{per} of the likely day (the middle of its possible dates)",
                     row=len(titles), col=1)  # fmt: skip
    periods = sorted({row["period"] for row in by_type})
    if periods:
        start, end = date.fromisoformat(periods[0]), date.fromisoformat(periods[-1])
        step = timedelta(days=31 if per == "month" else 7)
        fig.update_xaxes(range=[(start - step).isoformat(), (end + 2 * step).isoformat()],
                         tickformat="%-d %b %Y" if (end - start).days <= 120 else "%b %Y")
        if per == "week" and (end - start).days <= 366:  # a tick each Monday, or each other
            weeks = 1 if (end - start).days <= 84 else 2 if (end - start).days <= 168 else 4
            fig.update_xaxes(tick0=periods[0], dtick=WEEK_MS * weeks, tickangle=0,
                             tickformat="%-d %b" if start.year == end.year else "%-d %b %Y")
            if start.year == end.year:
                fig.update_xaxes(title_text=f"week of the likely day, {start.year} (the middle "
                                 "of its possible dates)", row=len(titles), col=1)
    for row, words in ((1, "events"), (2, "events"), (3, "people"))[: len(titles)]:
        fig.update_yaxes(title_text=words, rangemode="tozero", row=row, col=1)
    notes = []
    if by_type and not dead:
        notes.append("No casualty or fatality figures reported.")
    if counts["undated"]:
        notes.append(f"{counts['undated']:,} undated event{'s' * (counts['undated'] != 1)} "
                     "not shown.")  # fmt: skip
    if notes:
        fig.add_annotation(
            text=" ".join(notes), showarrow=False, xref="paper", yref="paper", x=0, y=-0.16,
            xanchor="left", font={"size": 13, "color": "#555"},
        )  # fmt: skip
    if not by_type:
        fig.layout.annotations = ()
        no_data(fig, True, "No dated events match.")
    return fig


def _type_order(kind: str) -> tuple[int, str]:
    return (EVENT_TYPES.index(kind) if kind in EVENT_TYPES else len(EVENT_TYPES), kind)


def _sides(rows: list[dict[str, Any]], per: str) -> dict[str, list[dict[str, Any]]]:
    """The rows of each of the `SIDES` sides with the most events, then the rest summed; a
    period with none between a side's first and last counts 0 (the line does not skip it)."""
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row["side"]] += row["events"]
    top = sorted(totals, key=lambda side: (-totals[side], side))[:SIDES]
    found: dict[str, list[dict[str, Any]]] = {side: [] for side in sorted(top)}
    others: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["side"] in found:
            found[row["side"]].append(row)
            continue
        summed = others.setdefault(row["period"], {"period": row["period"], "side": OTHERS,
                                                   "events": 0, "casualties": None,
                                                   "fatalities": None})  # fmt: skip
        summed["events"] += row["events"]
        for key in ("casualties", "fatalities"):
            if row[key] is not None:
                summed[key] = (summed[key] or 0) + row[key]
    if others:
        found[OTHERS] = sorted(others.values(), key=lambda row: row["period"])
    return {side: _zeros(mine, per) for side, mine in found.items()}


def _zeros(rows: list[dict[str, Any]], per: str) -> list[dict[str, Any]]:
    """The rows of one side, with a row of 0 for each period without events between them."""
    if not rows:
        return rows
    known = {row["period"]: row for row in rows}
    day, last, filled = date.fromisoformat(rows[0]["period"]), rows[-1]["period"], []
    while day.isoformat() <= last:
        filled.append(known.get(day.isoformat()) or {"period": day.isoformat(), "events": 0,
                                                      "casualties": None, "fatalities": None})
        day = (day + timedelta(7) if per == "week"
               else (day.replace(day=28) + timedelta(4)).replace(day=1))  # fmt: skip
    return filled


def _when(period: str, per: str) -> str:
    return f"week of {say(period)}" if per == "week" else f"{date.fromisoformat(period):%B %Y}"


def _dead(row: dict[str, Any]) -> str:
    parts = []
    if row["casualties"]:
        parts.append(f"{row['casualties']:,} casualties")
    if row["fatalities"]:
        parts.append(f"{row['fatalities']:,} fatalities")
    return ", ".join(parts)
