"""What every figure shares: colours by side, how a claim is marked, layout, escaping, days
and date axes.

Text from events passes through `escape` before Plotly sees it: Plotly reads a few HTML tags
in labels and hover text, and data is not markup.

How a claim is marked, in every figure (`Claim`, `symbol`, `fill`, `edge`): filled when its
best grade is B2 or better (`timeline.vocabulary.is_strong`); pale, a light fill inside a ring
of its colour, when fair (C or 3: C3, B3, C2); hollow when weak (`is_weak`: reliability D-F or
credibility 4-6); hollow with a dot when it rests on a single weak source; crossed
(`contested_marks`) when sources dispute it (a row's `contested` flag, which the questions
set for an event on a side of a standing conflict).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from charts.colours import GREY, colour_of
from timeline.vocabulary import EVENT_TYPES, UNKNOWN_SIDE, is_strong, is_weak

if TYPE_CHECKING:
    import plotly.graph_objects as go

Rows = list[dict[str, Any]]
UNKNOWN = UNKNOWN_SIDE
Colours = Mapping[str, str]  # side -> #rrggbb, from a colours file: overrides the palette
LIGHT, INK = "#d0d0d0", "#222222"
FONT = {"family": "Helvetica, Arial, sans-serif", "size": 14}
LAST = "9999-12-31"  # an open end
__all__ = ["GREY", "colour_of"]  # a figure takes its colours from here, with the rest


# A colour per event type, by its place in the vocabulary, so that a type keeps its colour in
# every figure: Paul Tol's light and medium-contrast colours, none a side's (`charts.colours`),
# so a figure of types beside sides never gives a type a side's colour.
TYPE_PALETTE = ("#004488", "#99DDFF", "#44BB99", "#997700", "#BBCC33", "#EE8866", "#CC6677",
                "#994455", "#AA4499", "#6699CC", "#EE99AA", "#EECC66", "#AAAA00", "#44AA99",
                "#88CCEE", "#FFAABB", "#EEDD88", "#77AADD", "#555555", "#B07AA1", "#BBBBBB",
                "#225555")  # fmt: skip


def type_colour(kind: str) -> str:
    """The colour of an event type: the same in every figure, for every type of the
    vocabulary (grey for any other)."""
    if kind not in EVENT_TYPES:
        return GREY
    return TYPE_PALETTE[EVENT_TYPES.index(kind) % len(TYPE_PALETTE)]


def alpha(colour: str, opacity: float) -> str:
    """#0072B2, 0.2 -> rgba(0, 114, 178, 0.2)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {opacity})"


class Claim(NamedTuple):
    """How strongly a claim stands, as every figure marks it."""

    weak: bool  # its best grade is below C3 (D-F, 4-6)
    single: bool  # it rests on one source, and that source is weak
    contested: bool  # sources dispute it
    fair: bool = False  # neither weak nor strong: C3, B3, C2

    @property
    def words(self) -> str:
        """What the mark says, for hover text ("" for a claim graded B2 or better)."""
        found = ["single weak source" if self.single else "weak claim" if self.weak
                 else "fair claim (C or 3)" if self.fair else ""]  # fmt: skip
        found.append("contested by other sources" if self.contested else "")
        return "; ".join(word for word in found if word)


def claim(
    best_grade: str | None, source_count: int | None = None, contested: object = False
) -> Claim:
    """The mark of a claim with this best grade, resting on this many sources."""
    weak = best_grade is None or is_weak(best_grade)
    fair = not weak and not is_strong(str(best_grade))
    return Claim(weak, weak and source_count == 1, bool(contested), fair)


def claim_of(row: Mapping[str, Any], prefix: str = "") -> Claim:
    """The mark of an event row (`best_grade`, `source_count`, `contested`), or of the event a
    control period names (`start_best_grade`, ...: `prefix` "start_")."""
    return claim(
        row.get(f"{prefix}best_grade"), row.get(f"{prefix}source_count"),
        row.get(f"{prefix}contested"),
    )  # fmt: skip


def symbol(base: str, mark: Claim) -> str:
    """The marker symbol: filled (strong, fair), hollow (weak) or hollow with a dot (a single
    weak source)."""
    base = base.removesuffix("-dot").removesuffix("-open")  # the mark says open or not
    return base + ("-open-dot" if mark.single else "-open" if mark.weak else "")


FAIR, WEAK = 0.45, 0.15  # how much of its colour a fair and a weak claim's fill keeps


def fill(colour: str, mark: Claim) -> str:
    """A mark's fill: its colour (strong), pale (fair), faint (weak: bars and places)."""
    return alpha(colour, WEAK) if mark.weak else alpha(colour, FAIR) if mark.fair else colour


def edge(colour: str, mark: Claim, strong: str = "white") -> str:
    """A mark's outline: a ring of its colour where it is not filled with it."""
    return colour if mark.weak or mark.fair else strong


MARK_KEYS = {  # legend entries: what each mark means
    "strong": ("circle", GREY, "filled: best grade B2 or better"),
    "fair": ("circle", alpha(GREY, FAIR), "pale: fair (C or 3: C3, B3, C2)"),
    "weak": ("circle-open", GREY, "hollow: weak (below C3: D-F or 4-6)"),
    "single": ("circle-open-dot", GREY, "dotted: a single weak source"),
    "contested": ("x-thin-open", GREY, "crossed: contested by other sources"),
}


def mark_keys(fig: go.Figure, marks: Sequence[Claim], **cell: int) -> None:
    """Legend entries, in grey, for the marks the figure uses."""
    used = {"strong": any(not m.weak and not m.fair for m in marks),
            "fair": any(m.fair for m in marks),
            "weak": any(m.weak and not m.single for m in marks),
            "single": any(m.single for m in marks),
            "contested": any(m.contested for m in marks)}  # fmt: skip
    for key, (shape, colour, words) in MARK_KEYS.items():
        if used[key]:
            fig.add_scatter(
                x=[None], y=[None], mode="markers", name=words, legendgroup="marks",
                marker={"symbol": shape, "size": 12, "color": colour,
                        "line": {"color": GREY, "width": 2}}, **cell,
            )  # fmt: skip


def contested_marks(
    fig: go.Figure, points: Sequence[tuple[Any, Any]], size: int = 20, **cell: int
) -> None:
    """A cross over each point whose claim sources dispute."""
    if points:
        fig.add_scatter(
            x=[x for x, _ in points], y=[y for _, y in points], mode="markers",
            name="contested claim", showlegend=False, hoverinfo="skip",
            marker={"symbol": "x-thin-open", "size": size, "line": {"color": INK, "width": 2}},
            **cell,
        )  # fmt: skip


def graph_objects() -> Any:
    """plotly.graph_objects, imported when a figure is first drawn (it is slow to import)."""
    import plotly.graph_objects as go

    return go


def layout(fig: go.Figure, title: str, height: int = 520) -> None:
    fig.update_layout(
        template="plotly_white", title={"text": title, "x": 0.01, "xanchor": "left"},
        font=FONT, height=height, margin={"l": 80, "r": 30, "t": 70, "b": 90},
        hoverlabel={"align": "left", "font_size": 13}, legend={"itemsizing": "constant"},
    )  # fmt: skip


def title(what: str, operations: Sequence[str]) -> str:
    return f"{what} — {escape(', '.join(operations))}"


def no_data(fig: go.Figure, empty: bool, message: str) -> bool:
    """Say so in the middle of an empty figure, and draw no axes, no legend; whether empty."""
    if empty:
        fig.add_annotation(
            text=message, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
            font={"size": 16, "color": "#555"},
        )  # fmt: skip
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        fig.update_layout(showlegend=False)
        fig.layout.sliders = ()
    return empty


def escape(text: object) -> str:
    """Text from events as Plotly should show it: as written, never as markup."""
    return "" if text is None else html.escape(str(text), quote=False)


def shift(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days)).isoformat()


def day_range(days: Sequence[str], least: int = 7) -> tuple[str | None, str | None]:
    """The days a time axis spans: from the day before the first to the day after the last,
    widened evenly to at least `least` days so that one day's events are not a wall."""
    if not days:
        return None, None
    first, last = date.fromisoformat(min(days)) - timedelta(1), date.fromisoformat(
        max(days)) + timedelta(1)  # fmt: skip
    short = least - (last - first).days
    if short > 0:
        first, last = first - timedelta(short // 2), last + timedelta(short - short // 2)
    return first.isoformat(), last.isoformat()


def shown_days(earliest: str | None, latest: str | None) -> list[str]:
    """The days of a date a time axis must show: its possible days when they span a fortnight
    at most, else its middle day (a date known only to the month or the year would stretch
    the axis over days nothing happened on: its bar runs off the edge, its hover says so)."""
    if not earliest:
        return []
    if latest and (date.fromisoformat(latest) - date.fromisoformat(earliest)).days <= 14:
        return [earliest, latest]
    return [middle(earliest, latest or LAST)]


def middle(earliest: str, latest: str) -> str:
    """The middle day of a range; the first, for an open end."""
    if latest == LAST:
        return earliest
    a, b = date.fromisoformat(earliest).toordinal(), date.fromisoformat(latest).toordinal()
    return date.fromordinal((a + b) // 2).isoformat()


def say(day: str) -> str:
    """2017-11-03 -> 3 Nov 2017."""
    found = date.fromisoformat(day)
    return f"{found.day} {found:%b %Y}"


def day_axis(fig: go.Figure, first: str | None, last: str | None, note: str = "") -> None:
    """A date axis of days from FIRST to LAST, a tick at the start of each day for up to twelve
    days, of every other day up to 24, then a week, a month, a quarter or a year; the year in
    the title when there is only one."""
    title = "date occurred"
    fig.update_xaxes(type="date", tickformat="%-d %b %Y")
    if first and last:
        days = (date.fromisoformat(last) - date.fromisoformat(first)).days
        if first[:4] == last[:4]:
            title += f", {first[:4]}"
            fig.update_xaxes(tickformat="%-d %b")
        if days > 120:
            months = 1 if days <= 400 else 3 if days <= 1200 else 12
            fig.update_xaxes(dtick=f"M{months}", tickformat="%Y" if months == 12 else "%b %Y")
        else:
            fig.update_xaxes(dtick=86_400_000 * (1 if days <= 12 else 2 if days <= 24 else 7))
        fig.update_xaxes(range=[first, last])
    fig.update_xaxes(title=f"{title} ({note})" if note else title)
