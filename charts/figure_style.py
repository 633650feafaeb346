"""What every figure shares: colours by side, layout, escaping, days and date axes.

Text from events passes through `escape` before Plotly sees it: Plotly reads a few HTML tags
in labels and hover text, and data is not markup.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from timeline.vocabulary import UNKNOWN_SIDE

if TYPE_CHECKING:
    import plotly.graph_objects as go

Rows = list[dict[str, Any]]
UNKNOWN = UNKNOWN_SIDE
# Okabe and Ito's colours, distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
GREY, LIGHT = "#8c8c8c", "#d0d0d0"
FONT = {"family": "Helvetica, Arial, sans-serif", "size": 14}
LAST = "9999-12-31"  # an open end


def side_colours(sides: Sequence[str]) -> dict[str, str]:
    """A colour for each side, in the order given; `unknown` is grey."""
    named = [side for side in dict.fromkeys(sides) if side != UNKNOWN]
    colours = {side: PALETTE[n % len(PALETTE)] for n, side in enumerate(named)}
    return {**colours, UNKNOWN: GREY}


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


def no_data(fig: go.Figure, empty: bool, message: str) -> None:
    """Say so in the middle of an empty figure."""
    if empty:
        fig.add_annotation(
            text=message, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
            font={"size": 16, "color": "#555"},
        )  # fmt: skip


def escape(text: object) -> str:
    """Text from events as Plotly should show it: as written, never as markup."""
    return "" if text is None else html.escape(str(text), quote=False)


def alpha(colour: str, opacity: float) -> str:
    """#0072B2, 0.2 -> rgba(0, 114, 178, 0.2)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {opacity})"


def shift(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days)).isoformat()


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
