"""Operation progress: places held over time per side, from `operation_control` rows.

A side holds a place over each of its periods of control, whatever opened the period: a
capture, a liberation, a place lost to it (`PASSES_CONTROL`), or an enemy's entry into a place
nobody had reported it holding (`MARKS_CONTESTED`: the period is opened for the defenders).
So the lines count, day by day, what `timeline control PLACE --on DAY` answers, and the
figure agrees with the control chart and the map.

Dates are days (ISO text). A fuzzy date is a range of days: a place counts as surely held only
from the last possible day of its capture, and possibly held from the first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from charts.figure_style import (
    GREY,
    LAST,
    UNKNOWN,
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
    layout,
    mark_keys,
    middle,
    no_data,
    shown_days,
    symbol,
    title,
)
from timeline.vocabulary import MARKS_CONTESTED, PASSES_CONTROL, type_words

if TYPE_CHECKING:
    import plotly.graph_objects as go

LAST_SHOWN = "9999-12-30"
SHAPES = {"circle": "taken (captured, liberated, lost to it)",
          "square": "held when an enemy entered", "triangle-down": "lost",
          "triangle-right": "entered, fighting reported"}  # fmt: skip
PLOT_WIDTH = 760  # the plot area at the default size, in pixels: where labels would collide
PLOT_HEIGHT = 360
CHARACTER = 6.6  # the width of a label's character at 12 px, in pixels


def progress(
    control: Rows,
    *,
    operations: Sequence[str],
    span: tuple[str | None, str | None] = (None, None),
    colours: Colours | None = None,
) -> go.Figure:
    """Places held over time per side: the periods of control opened by these operations'
    events (`operation_control` rows), as a step line.

    The solid line counts places surely held on each day; where a date is fuzzy a shaded band
    above it reaches the places possibly held, and a bar at the new level spans the possible
    days. A dashed line counts places a side has entered where fighting is reported but
    control has not changed. Each step's marker names its places, events, sources and grades
    on hover; beside it too, unless the label would cover another. A step resting on a weak
    claim is hollow. `span`: the operation's likely first and last days.
    """
    held = [p for p in control if p["start_operation"] in operations and p["side"] != UNKNOWN]
    entered = [
        p for p in control
        if p["contested_by"] and p["contested_operation"] in operations
        and p["contested_by"] != p["side"]
    ]  # fmt: skip
    keys = sorted({(p["start_operation"], p["side"]) for p in held}
                  | {(p["contested_operation"], p["contested_by"]) for p in entered})  # fmt: skip
    several = len(operations) > 1
    likely = [d for d in span if d] + [day for p in held for end in ("start", "end")
                                       for day in shown_days(p[f"{end}_earliest"],
                                                             p[f"{end}_latest"])]  # fmt: skip
    first, last = day_range(likely)
    fig = _subplots(operations if several else [""])
    markers: list[_Markers] = []
    top = 1
    for operation, side in keys:
        name = f"{operation} · {side}" if several else side
        cell = {"row": list(operations).index(operation) + 1, "col": 1}
        colour = colour_of(side, colours)
        mine = [p for p in held if (p["start_operation"], p["side"]) == (operation, side)]
        fighting = [
            p for p in entered if (p["contested_operation"], p["contested_by"]) == (operation, side)
        ]
        if mine:
            top = max(top, _held_lines(fig, mine, name, colour, (first, last), cell))
            markers += _steps(mine, name, colour, cell)
        if fighting:
            top = max(top, _entered_line(fig, fighting, name, colour, (first, last), cell))
            markers.append(_entries(fighting, name, colour, cell))
    height = 520 if not several else 160 + 300 * len(operations)
    _place_labels(markers, (first, last), top, PLOT_HEIGHT if not several else 220)
    for found in markers:
        found.draw(fig)
    for found_shape, words in SHAPES.items():  # the legend: what each step's shape says
        if any(found.shape == found_shape and found.xs for found in markers):
            fig.add_scatter(
                x=[None], y=[None], mode="markers", name=words, legendgroup="steps",
                marker={"symbol": found_shape, "size": 11, "color": GREY},
            )  # fmt: skip
    mark_keys(fig, [m for found in markers for m in found.marks])
    layout(fig, title("Operation progress: places held", operations), height=height)
    fig.update_layout(legend_traceorder="grouped")  # not reversed, as a filled band would have it
    day_axis(fig, first, last)
    for row in range(1, len(operations)):  # the time axis is titled once, at the bottom
        fig.update_xaxes(title_text="", row=row, col=1)
    fig.update_yaxes(title="places held (count)", range=[-0.1, top * 1.06 + 0.9], zeroline=False)
    if top <= 12:
        fig.update_yaxes(dtick=1)
    no_data(fig, not keys, "No place taken, captured, liberated or entered is recorded.")
    return fig


def _subplots(titles: Sequence[str]) -> go.Figure:
    """One panel per operation, sharing the time axis."""
    from plotly.subplots import make_subplots

    return make_subplots(
        rows=len(titles), cols=1, shared_xaxes=True, vertical_spacing=0.1,
        subplot_titles=[escape(name) for name in titles] if any(titles) else None,
    )  # fmt: skip


def _held_lines(
    fig: go.Figure, periods: Rows, name: str, colour: str, ends: tuple[str | None, str | None],
    cell: dict[str, int],
) -> int:  # fmt: skip
    steps = sorted({d for d in (*ends, *(d for p in periods for d in _period_days(p))) if d})
    surely = [_held(periods, day, surely=True) for day in steps]
    possibly = [_held(periods, day, surely=False) for day in steps]
    fig.add_scatter(
        x=steps, y=surely, name=f"{escape(name)}: places held", mode="lines",
        line={"shape": "hv", "color": colour, "width": 3}, legendgroup=name, hoverinfo="skip",
        **cell,
    )  # fmt: skip
    if possibly != surely:
        fig.add_scatter(
            x=steps, y=possibly, name=f"{escape(name)}: possibly held (date uncertain)",
            mode="lines", line={"shape": "hv", "color": colour, "width": 0},
            fill="tonexty", fillcolor=alpha(colour, 0.2), legendgroup=name, hoverinfo="skip",
            **cell,
        )  # fmt: skip
    bar_x: list[str | None] = []
    bar_y: list[int | None] = []
    for p in periods:
        for change in ("start", "end"):
            earliest, latest = p[f"{change}_earliest"], p[f"{change}_latest"]
            if p[f"{change}_event"] is not None and earliest and earliest != latest and (
                len(shown_days(earliest, latest)) == 2
            ):  # a fortnight at most: wider dates are the shaded band alone
                level = _held(periods, min(latest or LAST_SHOWN, LAST_SHOWN), surely=True)
                bar_x += [earliest, min(latest or LAST_SHOWN, LAST_SHOWN), None]
                bar_y += [level, level, None]
    if bar_x:
        fig.add_scatter(
            x=bar_x, y=bar_y, mode="lines", line={"color": alpha(colour, 0.5), "width": 8},
            name=f"{escape(name)}: possible days", legendgroup=name, showlegend=False,
            hoverinfo="skip", **cell,
        )  # fmt: skip
    return max(possibly, default=0)


def _entered_line(
    fig: go.Figure, periods: Rows, name: str, colour: str, ends: tuple[str | None, str | None],
    cell: dict[str, int],
) -> int:  # fmt: skip
    steps = sorted({*ends, *(p["contested_from"] for p in periods),
                    *(p["end_earliest"] for p in periods)} - {None})  # fmt: skip
    counts = [_fighting(periods, day) for day in steps]
    fig.add_scatter(
        x=steps, y=counts, name=f"{escape(name)}: places entered, fighting reported",
        mode="lines", line={"shape": "hv", "color": colour, "width": 2, "dash": "dash"},
        legendgroup=f"{name} entered", hoverinfo="skip", **cell,
    )  # fmt: skip
    return max(counts, default=0)


def _fighting(periods: Rows, day: str) -> int:
    return sum(
        p["contested_from"] <= day and (p["end_earliest"] is None or day < p["end_earliest"])
        for p in periods
    )


@dataclass
class _Markers:
    """One trace of step markers, their labels chosen once every trace's are known."""

    name: str
    group: str
    colour: str
    shape: str
    cell: dict[str, int]
    xs: list[str] = field(default_factory=list)
    ys: list[int] = field(default_factory=list)
    hover: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    marks: list[Claim] = field(default_factory=list)
    positions: list[str | None] = field(default_factory=list)

    def draw(self, fig: go.Figure) -> None:
        if not self.xs:
            return
        fig.add_scatter(
            x=self.xs, y=self.ys, mode="markers+text", name=self.name, legendgroup=self.group,
            showlegend=False, cliponaxis=False,
            text=[label if at else "" for label, at in zip(self.labels, self.positions,
                                                          strict=True)],
            textposition=[at or "top right" for at in self.positions],
            textfont={"size": 12, "color": self.colour}, hovertext=self.hover,
            hovertemplate="%{hovertext}<extra></extra>",
            marker={"symbol": [symbol(self.shape, m) for m in self.marks], "size": 12,
                    "color": [self.colour if m.weak else fill(self.colour, m) for m in self.marks],
                    "line": {"color": [edge(self.colour, m) for m in self.marks],
                             "width": [2.5 if m.weak or m.fair else 1.5 for m in self.marks]}},
            **self.cell,
        )  # fmt: skip
        contested_marks(fig, [(x, y) for x, y, m in zip(self.xs, self.ys, self.marks,
                                                        strict=True) if m.contested],
                        **self.cell)  # fmt: skip


def _steps(periods: Rows, name: str, colour: str, cell: dict[str, int]) -> list[_Markers]:
    """A marker at each step up (taken; or held when an enemy entered) and down (lost), with
    its events on hover and its places as its label; one per day, way and mark."""
    found = []
    for change, verb, shape, kinds in (
        ("start", "taken", "circle", PASSES_CONTROL),
        ("start", "held when entered", "square", MARKS_CONTESTED),
        ("end", "lost", "triangle-down", None),
    ):
        groups: dict[tuple[str, str, Claim], Rows] = defaultdict(list)
        for p in periods:
            if p[f"{change}_event"] is None or p[f"{change}_earliest"] is None:
                continue
            if kinds is not None and p["start_type"] not in kinds:
                continue
            mark = claim_of(p, f"{change}_")
            groups[p[f"{change}_earliest"], p[f"{change}_latest"] or LAST, mark].append(p)
        markers = _Markers(f"{escape(name)}: {verb}", name, colour, shape, cell)
        for (earliest, latest, mark), mine in sorted(groups.items()):
            markers.xs.append(middle(earliest, latest))
            markers.ys.append(_held(periods, min(latest, LAST_SHOWN), surely=True))
            markers.hover.append(_step_text(verb, mine, change, mark))
            markers.labels.append(_places_label(verb, mine))
            markers.marks.append(mark)
        found.append(markers)
    return found


def _entries(periods: Rows, name: str, colour: str, cell: dict[str, int]) -> _Markers:
    groups: dict[tuple[str, Claim], Rows] = defaultdict(list)
    for p in periods:
        groups[p["contested_from"], claim_of(p, "contested_")].append(p)
    markers = _Markers(f"{escape(name)}: entered", f"{name} entered", colour, "triangle-right",
                       cell)  # fmt: skip
    for (day, mark), mine in sorted(groups.items()):
        markers.xs.append(day)
        markers.ys.append(_fighting(periods, day))
        markers.hover.append(_step_text("entered", mine, "contested", mark))
        markers.labels.append(_places_label("entered", mine))
        markers.marks.append(mark)
    return markers


def _place_labels(
    markers: list[_Markers], axis: tuple[str | None, str | None], top: int, height: int
) -> None:
    """Where each step's label goes: right of its marker, above or below, or left of it;
    None (hover only) where every place would cover a label already placed or a marker."""
    first, last = axis
    if first is None or last is None:
        for found in markers:
            found.positions = [None] * len(found.xs)
        return
    start = date.fromisoformat(first)
    days = max(1, (date.fromisoformat(last) - start).days)
    levels = top * 1.06 + 1.0

    def point(x: str, y: int) -> tuple[float, float]:
        return ((date.fromisoformat(x) - start).days / days * PLOT_WIDTH,
                (y + 0.1) / levels * height)  # fmt: skip

    taken: dict[int, list[tuple[_Box, object]]] = defaultdict(list)  # what labels may not cover
    for found in markers:  # every marker, first, each but its own
        for n, (x, y) in enumerate(zip(found.xs, found.ys, strict=True)):
            px, py = point(x, y)
            taken[found.cell["row"]].append(((px - 8, py - 8, px + 8, py + 8), (id(found), n)))
    for found in markers:
        found.positions = []
        for n, (x, y, label) in enumerate(zip(found.xs, found.ys, found.labels, strict=True)):
            px, py = point(x, y)
            width, at = CHARACTER * len(label) + 6, None
            for position, (left, bottom) in {
                "top right": (px + 4, py + 6), "bottom right": (px + 4, py - 22),
                "top left": (px - 4 - width, py + 6), "bottom left": (px - 4 - width, py - 22),
            }.items():  # fmt: skip
                box = (left, bottom, left + width, bottom + 16)
                inside = box[0] >= 0 and box[2] <= PLOT_WIDTH + 40 and box[3] <= height + 30
                others = taken[found.cell["row"]]
                if inside and not any(
                    _overlap(box, other) for other, owner in others if owner != (id(found), n)
                ):
                    at = position
                    others.append((box, None))
                    break
            found.positions.append(at)


_Box = tuple[float, float, float, float]


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _places_label(verb: str, periods: Rows) -> str:
    sign = {"taken": "+", "held when entered": "+", "lost": "−"}.get(verb, "")
    names = ", ".join(p["place"] for p in periods)
    names = names if len(names) <= 34 else names[:33] + "…"
    return f"{sign}{len(periods)} {verb}: {escape(names)}"


def _step_text(verb: str, periods: Rows, prefix: str, mark: Claim) -> str:
    head = f"<b>{len(periods)} place{'s' * (len(periods) != 1)} {verb}</b>"
    lines = [head + (f" ({mark.words})" if mark.words else "")]
    for p in periods:
        kind = "place_entered" if prefix == "contested" else p[f"{prefix}_type"]
        lines.append(
            f"{escape(p['place'])}: {escape(type_words(kind))}, {escape(p[f'{prefix}_occurred'])}"
            f" ({escape('; '.join(p[f'{prefix}_outlets']))},"
            f" {escape(', '.join(p[f'{prefix}_grades']))})"
        )
    return "<br>".join(lines)


def _held(periods: Rows, day: str | None, *, surely: bool) -> int:
    if day is None:
        return 0
    if surely:
        return sum(
            p["start_latest"] is not None
            and p["start_latest"] <= day
            and (p["end_earliest"] is None or day < p["end_earliest"])
            for p in periods
        )
    return sum(
        (p["start_earliest"] is None or p["start_earliest"] <= day)
        and (p["end_latest"] is None or day < p["end_latest"])
        for p in periods
    )


def _period_days(period: dict[str, Any]) -> list[str]:
    keys = ("start_earliest", "start_latest", "end_earliest", "end_latest", "contested_from")
    return [period[key] for key in keys if period.get(key)]
