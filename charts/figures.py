"""Figures of operation progress: rows from `projections.queries` in, a Plotly figure out.

Pure functions, no SQL: `progress` (places held over time per side), `timeline` (events by
place and date) and `forces` (strength per force by role); the fourth, the control map, is in
`charts.control_map`. Each works for one operation or several. Text from events is
escaped before Plotly sees it, so a name holding `<b>` shows as written.

Dates are days (ISO text), as the read models keep them. A fuzzy date is a range of days:
the figures draw the range, and a place counts as surely held only from the last possible
day of its capture, as `timeline control --on` answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from charts.figure_style import (
    GREY,
    LAST,
    PALETTE,
    UNKNOWN,
    Rows,
    alpha,
    day_axis,
    escape,
    graph_objects,
    layout,
    middle,
    no_data,
    say,
    shift,
    side_colours,
    title,
)
from timeline.vocabulary import PASSES_CONTROL, triple_text, type_words

if TYPE_CHECKING:
    import plotly.graph_objects as go

KINDS = ("progress", "timeline", "map", "forces")
SYMBOLS = {
    "operation_launched": "star",
    "forces_committed": "square",
    "air_support_provided": "triangle-down",
    "crossing_captured": "diamond",
    "place_entered": "triangle-right",
    "place_captured": "circle",
    "place_liberated": "circle",
    "place_lost": "x",
    "casualties_reported": "cross",
    "operation_concluded": "star-square",
    "forces_clashed": "hexagram",
    "place_struck": "star-triangle-down",
    "civilians_attacked": "hourglass",
    "place_handed_over": "circle-open",
    "protest_held": "square-open",
    "riot_broke_out": "bowtie",
    "development_reported": "diamond-open",
    "places_identified": "asterisk-open",
}
RELIABILITY = {"A": 1.0, "B": 0.9, "C": 0.75, "D": 0.6, "E": 0.45, "F": 0.5}
CREDIBILITY = {"1": 1.0, "2": 0.9, "3": 0.8, "4": 0.65, "5": 0.5, "6": 0.6}


def grade_opacity(grade: str | None) -> float:
    """How strongly to draw a claim graded this (best source): A1 1.0, D3 0.48, E5 0.25."""
    if not grade:
        return 0.3
    return max(0.25, RELIABILITY.get(grade[0], 0.5) * CREDIBILITY.get(grade[1:], 0.6))


# Operation progress


def progress(
    control: Rows,
    *,
    operations: Sequence[str],
    sides: Sequence[str] | None = None,
    span: tuple[str | None, str | None] = (None, None),
) -> go.Figure:
    """Places held over time per side, from `operation_control` rows: the places each side
    took in these operations (captured, liberated, or lost to it), as a step line.

    The solid line counts places surely held on each day; where a date is fuzzy a shaded band
    above it reaches the places possibly held, and a bar at the new level spans the possible
    days. A dashed line counts places a side has entered where fighting is reported but
    control has not changed. Each step's marker names its places, events, sources and grades
    (on hover, and its places beside it). `span`: the operation's first and last days.
    """
    taken = [
        p for p in control
        if p["start_type"] in PASSES_CONTROL and p["start_operation"] in operations
        and p["side"] != UNKNOWN
    ]  # fmt: skip
    entered = [
        p for p in control
        if p["contested_by"] and p["contested_operation"] in operations
        and p["contested_by"] != p["side"]
    ]  # fmt: skip
    keys = sorted({(p["start_operation"], p["side"]) for p in taken}
                  | {(p["contested_operation"], p["contested_by"]) for p in entered})  # fmt: skip
    colours = side_colours(sides or sorted({side for _, side in keys}))
    several = len(operations) > 1
    days = [d for p in taken + entered for d in _period_days(p)] + [d for d in span if d]
    first, last = (shift(min(days), -1), shift(max(days), 1)) if days else (None, None)
    fig = _subplots(operations if several else [""])
    top = 1
    for operation, side in keys:
        name = f"{operation} · {side}" if several else side
        cell = {"row": list(operations).index(operation) + 1, "col": 1}
        colour = colours.get(side, GREY)
        held = [p for p in taken if (p["start_operation"], p["side"]) == (operation, side)]
        fighting = [
            p for p in entered if (p["contested_operation"], p["contested_by"]) == (operation, side)
        ]
        if held:
            top = max(top, _held_lines(fig, held, name, colour, (first, last), cell))
        if fighting:
            top = max(top, _entered_line(fig, fighting, name, colour, (first, last), cell))
    no_data(fig, not keys, "No place taken, captured, liberated or entered is recorded.")
    layout(fig, title("Operation progress: places held", operations),
            height=520 if not several else 160 + 300 * len(operations))  # fmt: skip
    day_axis(fig, first, last)
    for row in range(1, len(operations)):  # the time axis is titled once, at the bottom
        fig.update_xaxes(title_text="", row=row, col=1)
    fig.update_yaxes(title="places (count)", range=[-0.1, top * 1.06 + 0.9], zeroline=False)
    if top <= 12:
        fig.update_yaxes(dtick=1)
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
    for change in ("start", "end"):
        _step_markers(fig, periods, change, name, colour, cell)
    return max(possibly, default=0)


def _entered_line(
    fig: go.Figure, periods: Rows, name: str, colour: str, ends: tuple[str | None, str | None],
    cell: dict[str, int],
) -> int:  # fmt: skip
    def fighting(day: str) -> int:
        return sum(
            p["contested_from"] <= day and (p["end_earliest"] is None or day < p["end_earliest"])
            for p in periods
        )

    steps = sorted({*ends, *(p["contested_from"] for p in periods)} - {None})
    counts = [fighting(day) for day in steps]
    fig.add_scatter(
        x=steps, y=counts, name=f"{escape(name)}: places entered, fighting reported",
        mode="lines", line={"shape": "hv", "color": colour, "width": 2, "dash": "dash"},
        legendgroup=f"{name} entered", hoverinfo="skip", **cell,
    )  # fmt: skip
    groups: dict[str, Rows] = defaultdict(list)
    for p in periods:
        groups[p["contested_from"]].append(p)
    xs = sorted(groups)
    fig.add_scatter(
        x=xs, y=[fighting(day) for day in xs], mode="markers+text",
        name=f"{escape(name)}: entered", legendgroup=f"{name} entered", showlegend=False,
        text=[_places_label("entered", groups[day]) for day in xs] if len(xs) <= LABELLED else None,
        textposition=_alternating(len(xs), "bottom right"),
        textfont={"size": 12, "color": colour},
        hovertext=[_step_text("entered", groups[day], "contested") for day in xs],
        hovertemplate="%{hovertext}<extra></extra>",
        marker={"symbol": "triangle-right", "size": 13, "color": "white",
                "line": {"color": colour, "width": 2}}, **cell,
    )  # fmt: skip
    return max(counts, default=0)


def _step_markers(
    fig: go.Figure, periods: Rows, change: str, name: str, colour: str, cell: dict[str, int]
) -> None:
    """A marker at each step up (`start`: taken) or down (`end`: lost), its events on hover,
    its places beside it; a bar over the possible days of a fuzzy date."""
    groups: dict[tuple[str, str], Rows] = defaultdict(list)
    for p in periods:
        if p[f"{change}_event"] is not None and p[f"{change}_earliest"] is not None:
            groups[p[f"{change}_earliest"], p[f"{change}_latest"] or LAST].append(p)
    verb = "taken" if change == "start" else "lost"
    xs, ys, texts, labels, bar_x, bar_y = [], [], [], [], [], []
    for (earliest, latest), found in sorted(groups.items()):
        level = _held(periods, min(latest, LAST_SHOWN), surely=True)
        xs.append(middle(earliest, latest))
        ys.append(level)
        texts.append(_step_text(verb, found, change))
        labels.append(_places_label(verb, found))
        if earliest != latest:
            bar_x += [earliest, min(latest, LAST_SHOWN), None]
            bar_y += [level, level, None]
    if bar_x:
        fig.add_scatter(
            x=bar_x, y=bar_y, mode="lines", line={"color": alpha(colour, 0.5), "width": 8},
            legendgroup=name, showlegend=False, hoverinfo="skip", **cell,
        )  # fmt: skip
    if xs:
        fig.add_scatter(
            x=xs, y=ys, mode="markers+text", name=f"{escape(name)}: {verb}", legendgroup=name,
            showlegend=False, text=labels if len(xs) <= LABELLED else None,
            textposition=_alternating(len(xs), "top right"),
            textfont={"size": 12, "color": colour}, hovertext=texts,
            hovertemplate="%{hovertext}<extra></extra>",
            marker={"color": colour, "size": 12, "line": {"color": "white", "width": 1.5},
                    "symbol": "circle" if change == "start" else "triangle-down"}, **cell,
        )  # fmt: skip


def _alternating(count: int, first: str) -> list[str]:
    """Labels of successive steps above and below in turn, so that close steps do not collide."""
    other = {"top right": "bottom right", "bottom right": "top right"}[first]
    return [first if n % 2 == 0 else other for n in range(count)]


def _places_label(verb: str, periods: Rows) -> str:
    sign = {"taken": "+", "lost": "−"}.get(verb, "")
    names = ", ".join(p["place"] for p in periods)
    names = names if len(names) <= 64 else names[:63] + "…"
    return f"{sign}{len(periods)} {verb}: {escape(names)}"


def _step_text(verb: str, periods: Rows, prefix: str) -> str:
    lines = [f"<b>{len(periods)} place{'s' * (len(periods) != 1)} {verb}</b>"]
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


LABELLED = 12  # steps of one line named beside their markers; beyond, on hover only
LAST_SHOWN = "9999-12-30"


# Event timeline


def timeline(events: Rows, *, operations: Sequence[str]) -> go.Figure:
    """Events by place (rows, in order of first event) over time, from `show` rows: a symbol
    per type, fainter for weaker grades, a bar over the possible days of a fuzzy date. Events
    on the same day at the same place are spread out so none hides another."""
    go = graph_objects()
    places = list(dict.fromkeys(e["place"] or "(no place)" for e in events))
    row_of = {place: n for n, place in enumerate(places)}
    several = len(operations) > 1
    spread = _spread(events, row_of)
    fig = go.Figure()
    types = list(dict.fromkeys(e["type"] for e in events))
    for n, kind in enumerate(types):
        found = [(e, spread[e["id"]]) for e in events if e["type"] == kind]
        colour = PALETTE[n % len(PALETTE)]
        bar_x, bar_y = [], []
        for event, y in found:
            if event["occurred_earliest"] != event["occurred_latest"]:
                bar_x += [event["occurred_earliest"], event["occurred_latest"] or LAST_SHOWN, None]
                bar_y += [y, y, None]
        if bar_x:
            fig.add_scatter(
                x=bar_x, y=bar_y, mode="lines", legendgroup=kind, showlegend=False,
                line={"color": alpha(colour, 0.35), "width": 9}, hoverinfo="skip",
            )  # fmt: skip
        fig.add_scatter(
            x=[e["occurred_mid"] for e, _ in found], y=[y for _, y in found], mode="markers+text",
            name=escape(type_words(kind)), legendgroup=kind,
            text=[escape(e["best_grade"]) for e, _ in found] if len(events) <= 80 else None,
            textposition="middle right",
            textfont={"size": 11, "color": "#555"},
            hovertext=[_event_text(e, several) for e, _ in found],
            hovertemplate="%{hovertext}<extra></extra>",
            marker={"symbol": SYMBOLS.get(kind, "circle-dot"), "size": 15, "color": colour,
                    "opacity": [grade_opacity(e["best_grade"]) for e, _ in found],
                    "line": {"color": "#333", "width": 1}},
        )  # fmt: skip
    no_data(fig, not events, "No events recorded.")
    per_place = 70 if len(places) <= 12 else 30
    layout(
        fig, title("Events by place", operations), height=max(420, 150 + per_place * len(places))
    )
    fig.update_layout(legend_title_text="event type (fainter: weaker grade)")
    days = [d for e in events for d in (e["occurred_earliest"], e["occurred_latest"]) if d]
    first, last = (shift(min(days), -1), shift(max(days), 2)) if days else (None, None)
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


def _event_text(event: dict[str, Any], several: bool) -> str:
    place = escape(event["place"] or "(no place)")
    form = f" ({escape(event['form'])})" if event.get("form") else ""
    lines = [f"<b>{escape(type_words(event['type']))}</b>{form}: {place}"]
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


def forces(forces_rows: Rows, *, operations: Sequence[str], sides: Sequence[str] | None = None,
           ) -> go.Figure:  # fmt: skip
    """Strength per force from `forces` rows: a bar at the best estimate with low–high error
    bars, grouped by role and coloured by side. Forces whose one strength figure covers them
    together (as "about 40,000 troops" of two forces) get one bar, so nothing is counted
    twice; forces with no figure are named, with no bar."""
    go = graph_objects()
    colours = side_colours(sides or sorted({f["side"] for f in forces_rows}))
    several = len(operations) > 1
    bars = _force_bars(forces_rows, several)
    fig = go.Figure()
    for side in dict.fromkeys(b["side"] for b in bars):
        mine = [b for b in bars if b["side"] == side and b["best"] is not None]
        if not mine:
            continue
        fig.add_bar(
            orientation="h", name=escape(side), marker_color=colours.get(side, GREY),
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
    no_data(fig, not bars, "No forces recorded.")
    layout(
        fig, title("Forces: strength by role", operations), height=max(380, 140 + 52 * len(bars))
    )
    fig.update_layout(legend_title_text="side", barmode="overlay")
    highest = max((b["high"] or b["best"] or 0 for b in bars), default=0)
    fig.update_xaxes(title="troops (best estimate; whiskers: low–high)", tickformat=",d",
                     range=[0, highest * 1.45 or 1], separatethousands=True)  # fmt: skip
    fig.update_yaxes(title="role · force", autorange="reversed")
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
