"""Figures of operations: rows from `projections.queries` in, a Plotly figure out.

Pure functions, no SQL: `timeline` (events by place and date) and `forces` (strength per force
by role) here; `control` (who held what when) in `charts.control_chart`, `progress` (places
held over time per side) in `charts.progress`, the map in `charts.control_map`, `activity`
(events and casualties per week or month) in `charts.activity`. Each works for one operation or
several. Text from events is escaped before Plotly sees it, so a name holding `<b>` shows as
written. Every figure colours a side as `charts.colours` says, and marks a claim as
`charts.figure_style.Claim` says.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from charts.figure_style import (
    GREY,
    Colours,
    Rows,
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
    no_data,
    say,
    shown_days,
    symbol,
    title,
)
from timeline.vocabulary import OPERATION_LAUNCHED, triple_text, type_words

if TYPE_CHECKING:
    import plotly.graph_objects as go

KINDS = ("control", "progress", "timeline", "map", "forces", "activity")
SYMBOLS = {
    "operation_launched": "star",
    "forces_committed": "square",
    "air_support_provided": "triangle-up",
    "crossing_captured": "diamond",
    "place_entered": "triangle-right",
    "place_captured": "circle",
    "place_liberated": "circle",
    "place_lost": "triangle-down",
    "casualties_reported": "cross",
    "operation_concluded": "star-square",
    "forces_clashed": "hourglass",
    "place_struck": "star-diamond",
    "civilians_attacked": "hexagram",
    "place_handed_over": "diamond-wide",
    "protest_held": "pentagon",
    "riot_broke_out": "octagon",
    "development_reported": "hexagon",
    "places_identified": "asterisk-open",
}
LAST_SHOWN = "9999-12-30"


def acting_side(event: dict[str, Any]) -> str | None:
    """The side an event is drawn in: its first attacker, else supporter, else defender, else
    party (a side that took part, the source not saying how)."""
    for key in ("attackers", "supporters", "defenders", "parties"):
        if event.get(key):
            return str(event[key][0])
    return None


# Event timeline


def timeline(
    events: Rows, *, operations: Sequence[str], colours: Colours | None = None,
    launch_contested: Collection[str] = (),
) -> go.Figure:  # fmt: skip
    """Events by place (rows, in order of first event) over time, from `show` rows: a symbol
    per type in the colour of the side acting, filled for a claim graded C3 or better, hollow
    for a weaker one, dotted for a single weak source, crossed where sources dispute it (the
    launch of an operation in `launch_contested`, or a row flagged `contested`); a bar over
    the possible days of a fuzzy date. Events on the same day at the same place are spread
    out so none hides another."""
    go = graph_objects()
    places = list(dict.fromkeys(e["place"] or "(no place)" for e in events))
    row_of = {place: n for n, place in enumerate(places)}
    several = len(operations) > 1
    spread = _spread(events, row_of)
    fig = go.Figure()
    types = list(dict.fromkeys(e["type"] for e in events))
    sides = sorted({side for e in events if (side := acting_side(e))})
    for kind in types:  # the legend: a grey symbol per type, a square per side
        fig.add_scatter(
            x=[None], y=[None], mode="markers", name=escape(type_words(kind)), legendgroup=kind,
            marker={"symbol": SYMBOLS.get(kind, "circle"), "size": 13, "color": GREY},
        )  # fmt: skip
    for side in sides:
        fig.add_scatter(
            x=[None], y=[None], mode="markers", name=f"by {escape(side)}", legendgroup=side,
            marker={"symbol": "square", "size": 13, "color": colour_of(side, colours)},
        )  # fmt: skip
    every_mark = []
    for kind in types:
        found = [(e, spread[e["id"]]) for e in events if e["type"] == kind]
        tint = [colour_of(acting_side(e) or "unknown", colours) for e, _ in found]
        marks = [claim_of({**e, "contested": e.get("contested") or (
            e["type"] == OPERATION_LAUNCHED and e["operation"] in launch_contested)})
            for e, _ in found]  # fmt: skip
        every_mark += marks
        bar_x: list[str | None] = []
        bar_y: list[float | None] = []
        for event, y in found:
            if event["occurred_earliest"] != event["occurred_latest"]:
                bar_x += [event["occurred_earliest"], event["occurred_latest"] or LAST_SHOWN, None]
                bar_y += [y, y, None]
        if bar_x:
            fig.add_scatter(
                x=bar_x, y=bar_y, mode="lines", legendgroup=kind, showlegend=False,
                name=f"{escape(type_words(kind))}: possible days",
                line={"color": "rgba(120, 120, 120, 0.25)", "width": 9}, hoverinfo="skip",
            )  # fmt: skip
        fig.add_scatter(
            x=[e["occurred_mid"] for e, _ in found], y=[y for _, y in found], mode="markers+text",
            name=f"events: {escape(type_words(kind))}", legendgroup=kind, showlegend=False,
            text=[escape(e["best_grade"]) for e, _ in found] if len(events) <= 80 else None,
            textposition="middle right",
            textfont={"size": 11, "color": "#555"},
            customdata=[e["id"] for e, _ in found],
            hovertext=[_event_text(e, several, m) for (e, _), m in zip(found, marks, strict=True)],
            hovertemplate="%{hovertext}<extra></extra>",
            marker={"symbol": [symbol(SYMBOLS.get(kind, "circle"), m) for m in marks],
                    "size": 15,
                    "color": [c if m.weak else fill(c, m) for c, m in zip(tint, marks,
                                                                          strict=True)],
                    "line": {"color": [edge(c, m, "#333") for c, m in zip(tint, marks,
                                                                          strict=True)],
                             "width": [2.5 if m.weak or m.fair else 1 for m in marks]}},
        )  # fmt: skip
        contested_marks(fig, [(e["occurred_mid"], y) for (e, y), m in zip(found, marks,
                                                                           strict=True)
                              if m.contested], size=24)  # fmt: skip
    mark_keys(fig, every_mark)
    per_place = 70 if len(places) <= 12 else 30
    layout(
        fig, title("Events by place", operations), height=max(420, 150 + per_place * len(places))
    )
    fig.update_layout(legend_title_text="symbol: type · colour: side acting")
    first, last = day_range([d for e in events if e["occurred_mid"] for d in shown_days(
        e["occurred_earliest"], e["occurred_latest"])])
    day_axis(fig, first, last, "bars: the possible days of a fuzzy date")
    fig.update_yaxes(
        title="place", tickvals=list(range(len(places))), ticktext=[escape(p) for p in places],
        range=[len(places) - 0.5, -0.5], zeroline=False, showgrid=False,
    )  # fmt: skip
    fig.update_layout(shapes=[  # a rule between places, set at once (add_hline is quadratic)
        {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": n + 0.5, "y1": n + 0.5,
         "line": {"color": "#eee", "width": 1}, "layer": "below"}
        for n in range(len(places) - 1)
    ])  # fmt: skip
    no_data(fig, not events, "No events recorded.")
    return fig


def _spread(events: Rows, row_of: dict[str, int]) -> dict[str, float]:
    """The y of each event: its place's row, offset when the place has several that day."""
    same: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    for event in events:
        same[event["place"] or "(no place)", event["occurred_mid"]].append(event["id"])
    spread = {}
    for (place, _), ids in same.items():
        for n, event_id in enumerate(ids):
            offset = 0.0 if len(ids) == 1 else -0.3 + 0.6 * n / (len(ids) - 1)
            spread[event_id] = row_of[place] + offset
    return spread


def _event_text(event: dict[str, Any], several: bool, mark: Any) -> str:
    place = escape(event["place"] or "(no place)")
    form = f" ({escape(event['form'])})" if event.get("form") else ""
    lines = [f"<b>{escape(type_words(event['type']))}</b>{form}: {place}"]
    if mark.words:
        lines.append(f"<i>{mark.words}</i>")
    if several:
        lines.append(f"operation: {escape(event['operation'])}")
    lines.append(f"occurred: {escape(event['occurred'])}{_range_words(event)}")
    by = [*event["attackers"], *event["supporters"]]
    if by:
        lines.append(f"by: {escape(' + '.join(by))}")
    elif event.get("parties"):  # who took part, the source not saying how
        lines.append(f"parties: {escape(' + '.join(event['parties']))}")
    if event.get("fatalities") is not None:
        lines.append(f"fatalities: {event['fatalities']:,}")
    lines.append(f"sources: {escape('; '.join(event['outlets']))} "
                 f"({escape(', '.join(event['grades']))})")  # fmt: skip
    if event["status"] != "active":
        lines.append(f"status: {escape(event['status'])}")
    lines.append(f"<i>{escape(event['id'])}</i>")
    return "<br>".join(lines)


def _range_words(event: dict[str, Any]) -> str:
    earliest, latest = event["occurred_earliest"], event["occurred_latest"]
    if earliest == latest:
        return ""
    if earliest is None or latest is None:
        return f" ({'by' if earliest is None else 'from'} {say(earliest or latest)}, open-ended)"
    return f" (between {say(earliest)} and {say(latest)})"


# Force summary


def forces(
    forces_rows: Rows, *, operations: Sequence[str], colours: Colours | None = None
) -> go.Figure:
    """Strength per force from `forces` rows: a bar at the best estimate with low–high error
    bars, grouped by role and coloured by side. Forces whose one strength figure covers them
    together (as "about 40,000 troops" of two forces) get one bar, so nothing is counted
    twice; forces with no figure are named, with no bar."""
    go = graph_objects()
    several = len(operations) > 1
    bars = _force_bars(forces_rows, several)
    fig = go.Figure()
    for side in dict.fromkeys(b["side"] for b in bars):
        mine = [b for b in bars if b["side"] == side and b["best"] is not None]
        if not mine:
            continue
        fig.add_bar(
            orientation="h", name=escape(side), marker_color=colour_of(side, colours),
            y=[[b["role"] for b in mine], [b["label"] for b in mine]],
            x=[b["best"] for b in mine],
            error_x={"type": "data", "symmetric": False, "color": "#333", "thickness": 2,
                     "array": [(b["high"] or b["best"]) - b["best"] for b in mine],
                     "arrayminus": [b["best"] - (b["low"] or b["best"]) for b in mine]},
            hovertext=[b["text"] for b in mine], hovertemplate="%{hovertext}<extra></extra>",
        )  # fmt: skip
        fig.add_scatter(  # the figure in words, beyond the whisker
            y=[[b["role"] for b in mine], [b["label"] for b in mine]],
            x=[b["high"] or b["best"] for b in mine], mode="text", showlegend=False,
            text=["\u2002" + b["figure"] for b in mine], textposition="middle right",
            textfont={"color": "#333", "size": 12}, hoverinfo="skip", cliponaxis=False,
        )  # fmt: skip
    unknown = [b for b in bars if b["best"] is None]
    if unknown:
        fig.add_scatter(
            y=[[b["role"] for b in unknown], [b["label"] for b in unknown]],
            x=[0] * len(unknown), mode="markers+text", name="no strength reported",
            text=["no figure reported"] * len(unknown), textposition="middle right",
            marker={"symbol": "line-ns", "size": 14, "line": {"width": 2, "color": GREY}},
            textfont={"color": "#555"}, hovertext=[b["text"] for b in unknown],
            hovertemplate="%{hovertext}<extra></extra>",
        )  # fmt: skip
    figures = any(b["best"] is not None for b in bars)
    rows = sum(max(52, 20 * (b["label"].count("<br>") + 1)) for b in bars)
    layout(fig, title("Forces: strength by role", operations),
           height=max(380, 140 + rows) if figures else 380)  # fmt: skip
    fig.update_layout(legend_title_text="side", barmode="overlay")
    highest = max((b["high"] or b["best"] or 0 for b in bars), default=0)
    fig.update_xaxes(title="troops (best estimate; whiskers: low–high)", tickformat=",d",
                     range=[0, highest * 1.45 or 1], separatethousands=True)  # fmt: skip
    fig.update_yaxes(title="role · force", autorange="reversed")
    if not figures:
        named = ", ".join(escape(row["force"]) for row in forces_rows)
        named = named if len(named) <= 90 else named[:89] + "…"
        words = "No strength figures reported." if forces_rows else "No forces recorded."
        if named:
            words += f"<br><span style='font-size:13px'>Forces recorded: {named}</span>"
        no_data(fig, True, words)
    return fig


ROLE_ORDER = {"attacker": 0, "support": 1, "defender": 2}


def _force_bars(rows: Rows, several: bool) -> Rows:
    groups: dict[tuple[str, str], Rows] = defaultdict(list)
    for row in rows:
        key = row["strength_event"] or f"force:{row['force']}"
        groups[row["operation"], key].append(row)
    bars = []
    for (operation, _), found in groups.items():
        first = found[0]
        label = " + ".join(row["force"] for row in found)
        joint = " + " if len(label) <= 40 else " +<br>"  # a long list, a force a line
        roles = sorted({r for row in found for r in row["roles"]},
                       key=lambda r: ROLE_ORDER.get(r, 3))  # fmt: skip
        sides = sorted({row["side"] for row in found})
        text = [f"<b>{escape(label)}</b>", f"side: {escape(' + '.join(sides))}",
                f"role: {escape(', '.join(roles))}"]  # fmt: skip
        if several:
            text.append(f"operation: {escape(operation)}")
        if first["strength_best"] is None:
            text.append("strength: no figure reported")
        else:
            text.append(f"strength: {_triple(first)} troops" + (" (together)" * (len(found) > 1)))
            text.append(f"figure from: {escape(first['strength_event'])}")
        events = sum(row["events"] for row in found)
        text.append(f"{events} event{'s' * (events != 1)}, "
                    f"{first['first_occurred']} to {first['last_occurred']}")  # fmt: skip
        names = joint.join(escape(row["force"]) for row in found)
        bars.append({
            "label": names + (escape(f" ({operation})") if several else ""),
            "role": escape(" + ".join(roles) or "(no role)"), "side": " + ".join(sides),
            "best": first["strength_best"], "low": first["strength_low"],
            "high": first["strength_high"], "text": "<br>".join(text),
            "figure": (_triple(first) + " together" * (len(found) > 1)
                       if first["strength_best"] is not None else ""),
            "order": (ROLE_ORDER.get(roles[0] if roles else "", 3), label),
        })  # fmt: skip
    return sorted(bars, key=lambda bar: bar["order"])


def _triple(row: dict[str, Any]) -> str:
    return triple_text(row["strength_best"], row["strength_low"], row["strength_high"]) or ""
