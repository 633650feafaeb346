"""The control map: places at their coordinates, coloured by the side holding them on a day.

Rows from `projections.queries` in, a Plotly figure out, no SQL. Who held a place on a day is
`projections.control.holder_on`, the answer `timeline control --on` gives. Longitude and
latitude are drawn as plain x and y at equal scale (no Plotly geo or tile traces: those fetch
base maps from the network); borders are Natural Earth's, shipped with the project. When the
places lie close together, borders at 1:110m would be kilometres off at the map's scale, so they
are drawn in a locator beside the map instead, with a box where the map is.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from charts import borders
from charts.figure_style import (
    GREY,
    LIGHT,
    Colours,
    Rows,
    claim,
    claim_of,
    colour_of,
    day_range,
    edge,
    escape,
    fill,
    graph_objects,
    layout,
    no_data,
    say,
    title,
)
from projections.control import holder_on

if TYPE_CHECKING:
    import plotly.graph_objects as go

BORDERS_IN_MAP = 2.0  # degrees of longitude across, from which borders are drawn on the map
LOCATOR_SPAN = 7.0
MAX_STEPS = 120  # slider steps: beyond, a step a week, a fortnight, a month
MAP_WIDTH, MAP_HEIGHT = 780, 520  # the map's plot area, in pixels, at the default size
STATES = {
    "pale: held on a fair claim (C or 3)": {
        "size": 14, "color": "rgba(140, 140, 140, 0.45)", "line": {"color": GREY, "width": 3}},
    "hollow: held on a weak claim (below C3)": {
        "size": 14, "color": "rgba(140, 140, 140, 0.15)", "line": {"color": GREY, "width": 3}},
    "contested (fighting reported)": {
        "size": 14, "color": "white", "line": {"color": "black", "width": 3}},
    "uncertain (fuzzy date)": {"size": 14, "color": "white", "line": {"color": GREY, "width": 3}},
    "no record": {"size": 10, "color": LIGHT, "line": {"color": GREY, "width": 1}},
}  # fmt: skip


def control_map(
    places: Rows,
    control: Rows,
    *,
    operations: Sequence[str],
    on: str | None = None,
    span: tuple[str | None, str | None] = (None, None),
    colours: Colours | None = None,
) -> go.Figure:
    """Places (`operation_places` rows) coloured by who held them on a day (`operation_control`
    rows), with a slider over the operation's days (`span`: its first and last).

    Held: filled in the side's colour (hollow, a ring in it, when the period rests on a weak
    claim); contested (fighting reported): in a black ring; uncertain (a fuzzy date): a grey
    ring; no record: small and light grey. `on`: the day shown first (default: the last day).
    Hover names the event control rests on, and how it stands.
    """
    go = graph_objects()
    sides = sorted({p["side"] for p in control})
    palette = {side: colour_of(side, colours) for side in sides}
    by_place: dict[str, Rows] = defaultdict(list)
    for period in control:
        by_place[period["place"]].append(period)
    places = [p for p in places if p["lat"] is not None and p["lon"] is not None]
    days = _days(control, on, span)
    shown = on or days[-1]
    view = _view(places)
    inset = view[2] - view[0] < BORDERS_IN_MAP
    fig = go.Figure()
    if inset:
        _locator(fig, places, view)
    else:
        _borders(fig, view, "x", "y")
    for side in sides:
        fig.add_scatter(
            x=[None], y=[None], mode="markers", name=escape(side),
            marker={"size": 14, "color": palette[side], "line": {"color": "white", "width": 1}},
        )  # fmt: skip
    for name, marker in STATES.items():
        fig.add_scatter(x=[None], y=[None], mode="markers", name=name, marker=marker)
    states = {day: _state(places, by_place, day, palette) for day in days}
    labels = label_positions(places, view)
    fig.add_scatter(
        x=[p["lon"] for p in places], y=[p["lat"] for p in places], mode="markers+text",
        customdata=[p["place"] for p in places],
        text=[escape(p["place"]) if at else "" for p, at in zip(places, labels, strict=True)],
        textposition=[at or "top center" for at in labels],
        textfont={"size": 13}, name="places", showlegend=False,
        hovertemplate="%{hovertext}<extra></extra>", **states[shown],
    )  # fmt: skip
    _slider(fig, days, shown, states, len(fig.data) - 1, 0.7 if inset else 1.0)
    layout(fig, title("Control of places", operations), height=760)
    _axes(fig, view, inset, places)
    if not places:
        fig.layout.annotations = ()
        fig.layout.shapes = ()
        fig.data = ()
        no_data(fig, True, "No located place is recorded.")
    return fig


def _days(control: Rows, on: str | None, span: tuple[str | None, str | None]) -> list[str]:
    """The slider's days: from the day before the operation's likely first day (`span`; else
    its first control event) to the day after its likely last, a week at least, every day
    when there are at most `MAX_STEPS`, else every week, fortnight or month; `on` is always
    one of them."""
    keys = ("start_earliest", "start_latest", "end_earliest", "end_latest", "contested_from")
    known = [d for d in span if d] or [p[key] for p in control for key in keys if p[key]]
    known += [on] if on else []
    if not known:
        return [date.today().isoformat()]
    start, end = day_range(known)
    first, last = date.fromisoformat(str(start)), date.fromisoformat(str(end))
    count = (last - first).days + 1
    step = next((n for n in (1, 7, 14, 30, 91, 365) if count / n <= MAX_STEPS), 365)
    days = {(first + timedelta(n)).isoformat() for n in range(0, count, step)}
    return sorted(days | {last.isoformat()} | ({on} if on else set()))


def _state(
    places: Rows, by_place: dict[str, Rows], day: str, colours: dict[str, str]
) -> dict[str, Any]:
    """The places' markers and hover texts on one day."""
    colours_of, ring, width, size, texts = [], [], [], [], []
    for place in places:
        periods = by_place.get(place["place"], [])
        answer = holder_on(place["place"], periods, day)
        kind = answer["answer"]
        side = colours.get(answer["side"] or "", GREY)
        period = next((p for p in periods if p["start_event"] == answer.get("since")), {})
        mark = claim_of(period, "start_") if period else claim(None)
        held = fill(side, mark)
        colours_of.append({"held": held, "contested": held, "uncertain": "white"}.get(
            kind, LIGHT))  # fmt: skip
        ring.append({"contested": "black", "uncertain": GREY, "no record": GREY}.get(
            kind, edge(side, mark)))  # fmt: skip
        width.append(3 if kind in ("contested", "uncertain") or mark.weak or mark.fair else 1)
        size.append(10 if kind == "no record" else 17)
        texts.append(_holder_text(place, answer, mark.words if period else ""))
    return {
        "hovertext": texts,
        "marker": {"color": colours_of, "size": size, "line": {"color": ring, "width": width}},
    }


def _holder_text(place: dict[str, Any], answer: dict[str, Any], words: str = "") -> str:
    head = f"<b>{escape(place['place'])}</b> ({escape(place['kind'])}), {say(answer['on'])}"
    kind = answer["answer"]
    if kind in ("held", "contested"):
        state = f"held by {escape(answer['side'])}"
        state += ", fighting reported" if kind == "contested" else ""
        state += f"<br>since: {escape(answer['since'])}"
        state += f"<br><i>{words}</i>" if words else ""
    elif kind == "uncertain":
        state = "uncertain: " + " or ".join(escape(side) for side in answer["candidates"])
    else:
        state = "no record of who held it"
    return f"{head}<br>{state}<br>{place['lat']:.4f}° N, {place['lon']:.4f}° E"


def _slider(
    fig: go.Figure, days: list[str], shown: str, states: dict[str, Any], trace: int, width: float
) -> None:
    """A step a day, restyling the places' trace; day labels hidden when they would crowd."""
    crowded = len(days) > 10
    fig.update_layout(
        sliders=[{
            "active": days.index(shown), "len": width, "x": 0, "pad": {"t": 60, "r": 10},
            "currentvalue": {"prefix": "Control on ", "font": {"size": 16, "color": "#222"}},
            "font": {"color": "rgba(0, 0, 0, 0)" if crowded else "#444"},
            "steps": [
                {"label": say(day), "method": "restyle", "args": [_restyle(states[day]), [trace]]}
                for day in days
            ],
        }]
    )  # fmt: skip


def _restyle(state: dict[str, Any]) -> dict[str, list[Any]]:
    marker = state["marker"]
    return {
        "hovertext": [state["hovertext"]],
        "marker.color": [marker["color"]],
        "marker.size": [marker["size"]],
        "marker.line.color": [marker["line"]["color"]],
        "marker.line.width": [marker["line"]["width"]],
    }


# Geometry: the view, borders, the locator, the scale bar, labels


def _view(places: Rows) -> borders.Box:
    """The places' extent, with a quarter of it again on each side, at least 0.1° across, in
    the map's proportions."""
    if not places:
        return (38.0, 32.0, 44.0, 37.0)
    lons, lats = [p["lon"] for p in places], [p["lat"] for p in places]
    middle_lon, middle_lat = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    half_lon = max(0.05, (max(lons) - min(lons)) * 0.75)
    half_lat = max(0.05 * _cos(middle_lat), (max(lats) - min(lats)) * 0.75)
    # widen or heighten it to the map's proportions, so Plotly need not stretch it
    ratio, aspect = 1 / _cos(middle_lat), MAP_WIDTH / MAP_HEIGHT
    if half_lon / (half_lat * ratio) < aspect:
        half_lon = half_lat * ratio * aspect
    else:
        half_lat = half_lon / (ratio * aspect)
    return (middle_lon - half_lon, middle_lat - half_lat, middle_lon + half_lon,
            middle_lat + half_lat)  # fmt: skip


def _cos(lat: float) -> float:
    return math.cos(math.radians(lat))


def _borders(
    fig: go.Figure, view: borders.Box, xref: str, yref: str, avoid: borders.Box | None = None
) -> None:
    west, south, east, north = view
    found = borders.near((west - 5, south - 5, east + 5, north + 5))
    lons, lats = borders.lines(found)
    fig.add_scatter(
        x=lons, y=lats, mode="lines", name="border (approximate)", hoverinfo="skip",
        line={"color": "#888", "width": 1.2}, xaxis=xref, yaxis=yref,
    )  # fmt: skip
    for name, lon, lat in borders.label_points(found, view, avoid=avoid):
        fig.add_annotation(
            x=lon, y=lat, xref=xref, yref=yref, text=escape(name.upper()), showarrow=False,
            font={"size": 13 if xref == "x2" else 18, "color": "#a0a0a0"},
        )  # fmt: skip


def _locator(fig: go.Figure, places: Rows, view: borders.Box) -> None:
    """A small map of the region beside the main one: borders, and a box where the map is."""
    west, south, east, north = view
    lon, lat = (west + east) / 2, (south + north) / 2
    half_lon, half_lat = LOCATOR_SPAN / 2, LOCATOR_SPAN / 2 * _cos(lat) * 0.8
    region = (lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat)
    _borders(fig, region, "x2", "y2", avoid=view)
    fig.add_shape(
        type="rect", xref="x2", yref="y2", x0=west, y0=south, x1=east, y1=north,
        line={"color": "#D55E00", "width": 2}, fillcolor="rgba(213, 94, 0, 0.25)",
    )  # fmt: skip
    fig.update_layout(
        xaxis2={"domain": [0.76, 1.0], "range": [region[0], region[2]], "anchor": "y2",
                "showticklabels": False, "showgrid": False, "zeroline": False,
                "mirror": True, "showline": True, "linecolor": "#999"},
        yaxis2={"domain": [0.0, 0.4], "range": [region[1], region[3]], "anchor": "x2",
                "scaleanchor": "x2", "scaleratio": 1 / _cos(lat), "showticklabels": False,
                "showgrid": False, "zeroline": False, "mirror": True, "showline": True,
                "linecolor": "#999"},
    )  # fmt: skip
    fig.add_annotation(
        xref="x2 domain", yref="y2 domain", x=0, y=1.02, xanchor="left", yanchor="bottom",
        showarrow=False, align="left", font={"size": 12, "color": "#555"},
        text="Where the map is (orange box).<br>Borders: Natural Earth 1:110m<br>"
        "(public domain), approximate to<br>a few km: too coarse to draw<br>"
        "at the map's scale.",
    )  # fmt: skip


def _axes(fig: go.Figure, view: borders.Box, inset: bool, places: Rows) -> None:
    west, south, east, north = view
    fig.update_layout(
        xaxis={"domain": [0, 0.72 if inset else 1.0], "range": [west, east], "showgrid": True,
               "gridcolor": "#f0f0f0", "zeroline": False, "title": "longitude (° east)",
               "tickformat": ".2f"},
        yaxis={"range": [south, north], "scaleanchor": "x",
               "scaleratio": 1 / _cos((south + north) / 2), "showgrid": True,
               "gridcolor": "#f0f0f0", "zeroline": False, "title": "latitude (° north)",
               "tickformat": ".2f"},
        legend={"x": 0.76 if inset else 1.02, "y": 1, "xanchor": "left"},
    )  # fmt: skip
    _scale_bar(fig, view, places)
    if not inset:
        fig.add_annotation(
            xref="paper", yref="paper", x=1.02, y=0, xanchor="left", yanchor="bottom",
            showarrow=False, align="left", font={"size": 12, "color": "#555"},
            text="Borders: Natural Earth 1:110m<br>(public domain), approximate<br>to a few km.",
        )  # fmt: skip


def _scale_bar(fig: go.Figure, view: borders.Box, places: Rows) -> None:
    """A bar of a round number of kilometres, about a fifth of the map across, in the bottom
    corner farther from the places."""
    west, south, east, north = view
    km_per_degree = 111.32 * _cos((south + north) / 2)
    wanted = (east - west) * km_per_degree / 5
    length = max(n for n in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500) if n <= max(wanted, 0.5))
    width = length / km_per_degree
    y = south + (north - south) * 0.04
    corners = (west + (east - west) * 0.04, east - (east - west) * 0.04 - width)
    x0 = max(
        corners,
        key=lambda x: min(
            ((p["lon"] - x - width / 2) ** 2 + (p["lat"] - y) ** 2 for p in places), default=0
        ),
    )
    x1 = x0 + width
    fig.add_shape(type="line", x0=x0, x1=x1, y0=y, y1=y, line={"color": "#333", "width": 3})
    fig.add_annotation(
        x=(x0 + x1) / 2, y=y, text=f"{length:g} km", showarrow=False, yanchor="bottom",
        font={"size": 12, "color": "#333"},
    )  # fmt: skip


CANDIDATES = {  # textposition: offset of the label's centre from the marker, in label units
    "top center": (0, 1), "bottom center": (0, -1), "middle right": (1, 0),
    "middle left": (-1, 0), "top right": (1, 1), "bottom left": (-1, -1),
    "top left": (-1, 1), "bottom right": (1, -1),
}  # fmt: skip


def label_positions(places: Rows, view: borders.Box) -> list[str | None]:
    """A text position for each place's label such that, at the default size, no label covers
    another or a marker: the first free of above, below, right, left, then the corners; None
    where none is free (the place is named on hover only)."""
    west, south, east, north = view
    ratio = 1 / _cos((south + north) / 2)
    scale = min(MAP_WIDTH / max(east - west, 1e-9), MAP_HEIGHT / max((north - south) * ratio, 1e-9))
    points = [(p["lon"] * scale, p["lat"] * ratio * scale) for p in places]
    markers = [(x - 9, y - 9, x + 9, y + 9) for x, y in points]
    taken: list[tuple[float, float, float, float]] = []
    positions: list[str | None] = [None] * len(places)
    for n in sorted(range(len(places)), key=lambda n: places[n]["lon"]):
        width, height = 7.4 * len(places[n]["place"]) + 4, 18
        x, y = points[n]
        others = taken + [m for k, m in enumerate(markers) if k != n]
        for position, (dx, dy) in CANDIDATES.items():
            cx, cy = x + dx * (width / 2 + 10), y + dy * (height / 2 + 10)
            box = (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)
            if not any(_overlap(box, other) for other in others):
                positions[n] = position
                taken.append(box)
                break
    return positions


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
