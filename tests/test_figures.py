"""The figures: what a notebook user sees must be what the read models say."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest

from charts import borders
from charts.colours import KNOWN, side_colours
from charts.control_map import control_map
from charts.figure_style import alpha
from charts.figures import KINDS
from projections import queries
from tests.conftest import AL_QAIM, IRAQ, ISIS, RAWA
from timeline.api import OpsTimeline
from timeline.errors import TimelineError

OPERATION = "al-qaim-2017"


def event(event_id: str, event_type: str, occurred: str, **keys: Any) -> dict[str, Any]:
    source = {"outlet": "Reuters", "reliability": "B", "credibility": "2", "published": occurred}
    return {"id": f"{OPERATION}/{event_id}", "type": event_type, "operation": OPERATION,
            "occurred": occurred, "sources": [source], **keys}  # fmt: skip


@pytest.fixture(scope="module")
def al_qaim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsTimeline]:
    """The al-Qaim fixture as recorded: read, never written, by the tests that use it."""
    ops = OpsTimeline(str(tmp_path_factory.mktemp("al-qaim") / "timeline.db"))
    ops.import_file(AL_QAIM)
    yield ops
    ops.close()


@pytest.fixture
def ops(tmp_path: Path) -> Iterator[OpsTimeline]:
    """The al-Qaim fixture in a store of the test's own, to record more in."""
    timeline = OpsTimeline(str(tmp_path / "timeline.db"))
    timeline.import_file(AL_QAIM)
    yield timeline
    timeline.close()


def trace(fig: go.Figure, name: str) -> Any:
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, [t.name for t in fig.data]
    return found[0]


def level_on(line: Any, day: str) -> int:
    """The value of a step line (shape hv) on a day."""
    return int([y for x, y in zip(line.x, line.y, strict=True) if x <= day][-1])


# Operation progress


def test_the_progress_step_rises_on_the_liberation_date(al_qaim: OpsTimeline) -> None:
    fig = al_qaim.figure("progress", OPERATION)

    held = trace(fig, "Iraq: places held")

    assert level_on(held, "2017-11-02") == 0
    assert level_on(held, "2017-11-03") == 3
    assert level_on(held, held.x[-1]) == al_qaim.operations()[0]["places_taken"]


def test_each_progress_step_names_its_events_sources_and_grades(al_qaim: OpsTimeline) -> None:
    fig = al_qaim.figure("progress", OPERATION)

    taken = trace(fig, "Iraq: taken")

    assert list(taken.x) == ["2017-11-03"]
    assert "3 places taken" in taken.hovertext[0]
    assert "al-Karablah: place liberated, 2017-11-03 (South Front, D3)" in taken.hovertext[0]
    assert "al-Qaim border crossing: crossing captured" in taken.hovertext[0]


def test_places_entered_with_fighting_are_counted_apart_from_places_held(
    al_qaim: OpsTimeline,
) -> None:
    fig = al_qaim.figure("progress", OPERATION)

    entered = trace(fig, "Iraq: places entered, fighting reported")

    assert level_on(entered, "2017-11-03") == 2  # the town and the Gaza neighbourhood


def test_the_fighting_line_falls_when_control_changes_hands(ops: OpsTimeline) -> None:
    ops.record(event("rawa-entered", "place_entered", "2017-11-08", place=RAWA, actors=IRAQ))
    ops.record(event("rawa", "place_captured", "2017-11-09", place="Rawa", actors=IRAQ))

    fig = ops.figure("progress", OPERATION)

    entered = trace(fig, "Iraq: places entered, fighting reported")
    assert [level_on(entered, day) for day in ("2017-11-07", "2017-11-08", "2017-11-09")] == [
        2, 3, 2]  # the town and Gaza throughout; Rawa until Iraq took it  # fmt: skip


def test_a_fuzzy_capture_date_is_a_range_from_possibly_to_surely_held(ops: OpsTimeline) -> None:
    ops.record(event("rawa", "place_captured", "2017-11-10~", place=RAWA, actors=IRAQ))

    fig = ops.figure("progress", OPERATION)

    surely = trace(fig, "Iraq: places held")
    possibly = trace(fig, "Iraq: possibly held (date uncertain)")
    assert (level_on(surely, "2017-11-07"), level_on(possibly, "2017-11-07")) == (3, 4)
    assert (level_on(surely, "2017-11-13"), level_on(possibly, "2017-11-13")) == (4, 4)
    bar = next(t for t in fig.data if t.mode == "lines" and t.line.width == 8)
    assert list(bar.x) == ["2017-11-07", "2017-11-13", None]


def test_a_place_lost_steps_its_holder_down_and_its_taker_up(ops: OpsTimeline) -> None:
    ops.record(event("lost", "place_lost", "2017-11-05", place="al-Karablah", actors=ISIS))

    fig = ops.figure("progress", OPERATION)

    iraq, isis = trace(fig, "Iraq: places held"), trace(fig, "ISIS: places held")
    assert (level_on(iraq, "2017-11-04"), level_on(iraq, "2017-11-05")) == (3, 2)
    # ISIS held the town and Gaza, which Iraq entered, and now takes al-Karablah back
    assert (level_on(isis, "2017-11-04"), level_on(isis, "2017-11-05")) == (2, 3)
    assert "al-Karablah: place lost" in trace(fig, "Iraq: lost").hovertext[0]


# Who held what when


def bars_of(fig: go.Figure) -> dict[tuple[str, int], dict[str, Any]]:
    """The control chart's bars, by place and period: side, first and last day drawn."""
    found = {}
    for bar in (t for t in fig.data if t.type == "bar" and str(t.name).endswith(": periods")):
        for (place, period, side, *_), base, length in zip(bar.customdata, bar.base, bar.x,
                                                           strict=True):  # fmt: skip
            end = date.fromisoformat(base) + timedelta(milliseconds=length)
            found[place, period] = {"side": side, "from": base, "to": end.isoformat()}
    return found


def test_the_control_charts_bars_are_the_periods_control_gives(ops: OpsTimeline) -> None:
    ops.record(event("rawa", "place_captured", "2017-11-09~", place=RAWA, actors=IRAQ))
    ops.record(event("rawa-lost", "place_lost", "2017-11-11", place="Rawa", actors=ISIS))
    ops.record(event("rawa-again", "place_liberated", "2017-11-19", place="Rawa", actors=IRAQ))

    fig = ops.figure("control", OPERATION)

    bars = bars_of(fig)
    last = fig.layout.xaxis.range[1]
    periods = [p for place in {name for name, _ in bars} for p in ops.control(place)]
    assert len(bars) == len(periods) == 8  # the fixture's five places, and Rawa's three
    for p in periods:  # from the day it surely began to the day it may have ended
        start = p["start_latest"]
        assert bars[p["place"], p["period"]] == {
            "side": p["side"], "from": start, "to": max(start, p["end_earliest"] or last)}


def test_the_control_chart_hatches_contested_days_and_lightens_uncertain_ones(
    ops: OpsTimeline,
) -> None:
    ops.record(event("rawa", "place_captured", "2017-11-09~", place=RAWA, actors=IRAQ))

    fig = ops.figure("control", OPERATION)

    hatched = trace(fig, "hatched: contested (fighting reported)")
    assert set(hatched.y) == {"al-Qaim", "Gaza (al-Qaim)"}
    assert hatched.marker.pattern.shape == "/"
    uncertain = trace(fig, "uncertain days")
    assert list(uncertain.y) == ["Rawa"]
    assert list(uncertain.base) == ["2017-11-06"]  # 2017-11-09~: from the 6th to the 12th
    assert uncertain.x[0] == 6 * 86_400_000


def test_an_empty_figure_says_so_and_draws_no_axes(tmp_path: Path) -> None:
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.record(event("launched", "operation_launched", "2017-11-03"))
    ops.record(event("support", "air_support_provided", "2017-11-03",
                     actors=[{"force": "US-led coalition", "side": "Coalition",
                              "role": "support"}]))  # fmt: skip

    fig = ops.figure("forces", OPERATION)
    control = ops.figure("control", OPERATION)

    assert fig.layout.annotations[0].text.startswith("No strength figures reported.")
    assert "US-led coalition" in fig.layout.annotations[0].text
    assert fig.layout.xaxis.visible is False
    assert fig.layout.yaxis.visible is False
    assert control.layout.annotations[0].text == "No control of any place is recorded."
    assert control.layout.xaxis.visible is False
    ops.close()


def test_progress_labels_that_would_collide_are_left_to_hover(ops: OpsTimeline) -> None:
    town = {**RAWA, "name": "Rawa, the old town and its market quarter"}
    for n in range(6):  # taken and lost every day for six days
        kind, actors = ("place_captured", IRAQ) if n % 2 == 0 else ("place_lost", ISIS)
        ops.record(event(f"r{n}", kind, f"2017-11-{10 + n}", place=town if n == 0 else
                         town["name"], actors=actors))  # fmt: skip

    fig = ops.figure("progress", OPERATION)

    steps = [t for t in fig.data if t.name.endswith((": taken", ": lost"))]
    labels = [text for t in steps for text, x in zip(t.text, t.x, strict=True) if x >= "2017-11-10"]
    assert 1 <= len([text for text in labels if text]) < len(labels)
    assert all("Rawa, the old town" in hover for t in steps for hover, x
               in zip(t.hovertext, t.x, strict=True) if x >= "2017-11-10")  # fmt: skip


# Event timeline


def test_the_timeline_has_a_point_per_event_at_its_place_and_day(al_qaim: OpsTimeline) -> None:
    events = al_qaim.show(OPERATION)

    fig = al_qaim.figure("timeline", OPERATION)

    rows = dict(zip(fig.layout.yaxis.ticktext, fig.layout.yaxis.tickvals, strict=True))
    points = [
        (x, y) for t in fig.data if t.mode == "markers+text" for x, y in zip(t.x, t.y, strict=True)
    ]
    assert len(points) == len(events)
    for e in events:
        assert any(x == e["occurred_mid"] and abs(y - rows[e["place"]]) <= 0.3 for x, y in points)


def test_the_timeline_has_a_symbol_per_event_type(al_qaim: OpsTimeline) -> None:
    fig = al_qaim.figure("timeline", OPERATION)

    types = {e["type"] for e in al_qaim.show(OPERATION)}
    keys = {t.name: t.marker.symbol for t in fig.data if t.legendgroup in types
            and t.showlegend is not False}  # fmt: skip

    assert keys["crossing captured"] != keys["place entered"]
    assert len(set(keys.values())) == len(keys) == len(types)


def test_a_c3_claim_is_marked_otherwise_than_a_b2_claim(ops: OpsTimeline) -> None:
    possibly = {"outlet": "Local page", "reliability": "C", "credibility": "3"}
    ops.record(event("rawa", "place_captured", "2017-11-09", place=RAWA, actors=IRAQ,
                     sources=[possibly]))  # fmt: skip
    ops.record(event("rawa-lost", "place_lost", "2017-11-11", place="Rawa", actors=ISIS))
    ops.record(event("rawa-again", "place_liberated", "2017-11-19", place="Rawa", actors=IRAQ))

    events = ops.figure("timeline", OPERATION)
    progress = trace(ops.figure("progress", OPERATION), "Iraq: taken")
    bars = trace(ops.figure("control", OPERATION), "Iraq: periods")

    def look(marker: Any, n: int) -> tuple[Any, ...]:
        return (marker.symbol[n] if isinstance(marker.symbol, tuple) else marker.symbol,
                marker.color[n], marker.line.color[n])  # fmt: skip

    captured, liberated = trace(events, "events: place captured"), trace(
        events, "events: place liberated")  # fmt: skip
    fair = look(captured.marker, list(captured.customdata).index(f"{OPERATION}/rawa"))
    strong = look(liberated.marker, list(liberated.customdata).index(f"{OPERATION}/rawa-again"))
    assert fair != strong
    assert fair == ("circle", alpha(KNOWN["Iraq"], 0.45), KNOWN["Iraq"])  # pale, ringed
    assert strong == ("circle", KNOWN["Iraq"], "#333")
    assert "fair claim (C or 3)" in captured.hovertext[list(captured.customdata).index(
        f"{OPERATION}/rawa")]  # fmt: skip
    steps = dict(zip(progress.x, zip(progress.marker.color, progress.marker.line.color,
                                     strict=True), strict=True))  # fmt: skip
    assert steps["2017-11-09"] != steps["2017-11-19"]
    periods = {data[3]: (colour, line) for data, colour, line in zip(
        bars.customdata, bars.marker.color, bars.marker.line.color, strict=True)}  # fmt: skip
    assert periods[f"{OPERATION}/rawa"] != periods[f"{OPERATION}/rawa-again"]


def test_a_claim_on_a_single_weak_source_is_dotted(ops: OpsTimeline) -> None:
    doubtful = {"outlet": "Local page", "reliability": "C", "credibility": "4"}
    ops.record(event("rawa", "place_captured", "2017-11-09", place=RAWA, actors=IRAQ,
                     sources=[doubtful]))  # fmt: skip

    captured = trace(ops.figure("timeline", OPERATION), "events: place captured")

    assert captured.marker.symbol[0] == "circle-open-dot"
    assert "single weak source" in captured.hovertext[0]


def test_a_claim_below_c3_is_hollow_in_the_progress_chart_and_on_the_map(
    ops: OpsTimeline,
) -> None:
    weak = [{"outlet": "Local page", "reliability": "C", "credibility": "4"},
            {"outlet": "Other page", "reliability": "D", "credibility": "3"}]  # fmt: skip
    ops.record(event("rawa", "place_captured", "2017-11-09", place=RAWA, actors=IRAQ,
                     sources=weak))  # fmt: skip

    taken = trace(ops.figure("progress", OPERATION), "Iraq: taken")
    places = trace(ops.figure("map", OPERATION, on="2017-11-10"), "places")

    assert list(taken.marker.symbol)[-1] == "circle-open"  # two sources, neither C3 or better
    rawa = list(places.customdata).index("Rawa")
    assert places.marker.color[rawa] == alpha(KNOWN["Iraq"], 0.15)
    assert places.marker.line.color[rawa] == KNOWN["Iraq"]


def test_the_contested_launch_is_crossed_in_the_timeline(ops: OpsTimeline) -> None:
    ops.record(event("launched-october", "operation_launched", "2017-10-26"))

    fig = ops.figure("timeline", OPERATION)

    crosses = trace(fig, "contested claim")
    assert sorted(crosses.x) == ["2017-10-26", "2017-11-03"]
    assert "contested by other sources" in trace(fig, "events: operation launched").hovertext[0]


def test_a_fuzzy_date_is_drawn_as_a_bar_over_its_possible_days(al_qaim: OpsTimeline) -> None:
    fig = al_qaim.figure("timeline", OPERATION)

    bars = [t for t in fig.data if t.mode == "lines" and t.legendgroup == "forces_committed"]

    assert len(bars) == 1
    assert list(bars[0].x) == ["2017-10-31", "2017-11-06", None]  # 2017-11-03~


# Control map


def places_on(fig: go.Figure) -> dict[str, dict[str, Any]]:
    places = trace(fig, "places")
    return {
        name: {"color": colour, "ring": ring}
        for name, colour, ring in zip(
            places.customdata, places.marker.color, places.marker.line.color, strict=True
        )
    }


def test_the_map_colours_each_place_by_the_side_holding_it_on_the_day(
    al_qaim: OpsTimeline,
) -> None:
    colours = side_colours(["ISIS", "Iraq"])

    fig = al_qaim.figure("map", OPERATION, on="2017-11-04")

    shown = places_on(fig)
    for place, seen in shown.items():  # every claim of the fixture is weak: hollow
        answer = al_qaim.control(place, on="2017-11-04")[0]
        assert seen["color"] == alpha(colours[answer["side"]], 0.15), place
    assert shown["al-Qaim border crossing"]["ring"] == colours["Iraq"]
    assert shown["al-Qaim"]["ring"] == "black"  # contested


def test_the_map_shows_no_record_before_the_first_control_event(al_qaim: OpsTimeline) -> None:
    fig = al_qaim.figure("map", OPERATION, on="2017-11-02")

    assert {seen["color"] for seen in places_on(fig).values()} == {"#d0d0d0"}


def test_the_map_slider_has_a_step_a_day_and_starts_on_the_day_asked(
    al_qaim: OpsTimeline,
) -> None:
    fig = al_qaim.figure("map", OPERATION, on="2017-11-03")

    slider = fig.layout.sliders[0]

    days = [step.label for step in slider.steps]
    # the operation's likely days (every event's is 3 Nov), one either side, widened to a week
    assert (days[0], days[-1], len(days)) == ("31 Oct 2017", "7 Nov 2017", 8)
    assert slider.steps[slider.active].label == "3 Nov 2017"
    later = slider.steps[days.index("4 Nov 2017")].args[0]["marker.color"][0]
    assert later == list(al_qaim.figure("map", OPERATION, on="2017-11-04").data[-1].marker.color)


def test_a_long_operation_slider_steps_a_week_and_keeps_the_day_asked() -> None:
    place = {"place": "Rawa", "kind": "town", "lat": 34.47, "lon": 41.91, "events": 1}

    fig = control_map([place], [], operations=["op"], on="2017-03-15",
                      span=("2017-01-01", "2017-12-31"))  # fmt: skip

    days = [step.label for step in fig.layout.sliders[0].steps]
    assert 50 <= len(days) <= 60
    assert days[:2] == ["31 Dec 2016", "7 Jan 2017"]
    assert fig.layout.sliders[0].steps[fig.layout.sliders[0].active].label == "15 Mar 2017"


def test_the_map_places_each_place_at_its_coordinates_with_equal_scale(
    al_qaim: OpsTimeline,
) -> None:
    fig = al_qaim.figure("map", OPERATION)

    places = trace(fig, "places")

    crossing = list(places.customdata).index("al-Qaim border crossing")
    assert (places.x[crossing], places.y[crossing]) == (40.9665, 34.4195)
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.yaxis.scaleratio == pytest.approx(1 / 0.8251, rel=0.01)  # 1/cos(34.4°)


def test_the_map_needs_no_network_its_borders_are_shipped_with_the_project(
    al_qaim: OpsTimeline,
) -> None:
    fig = al_qaim.figure("map", OPERATION)

    assert {t.type for t in fig.data} == {"scatter"}  # no geo, map or tile traces
    border = trace(fig, "border (approximate)")
    assert len(border.x) > 100
    assert {"SYRIA", "IRAQ"} <= {a.text for a in fig.layout.annotations}
    assert borders.DATA.stat().st_size < 1_000_000


# Force summary


def test_forces_sharing_one_strength_figure_get_one_bar_with_its_range(
    al_qaim: OpsTimeline,
) -> None:
    fig = al_qaim.figure("forces", OPERATION)

    bar = trace(fig, "Iraq")

    assert list(bar.y[1]) == ["Iraqi Army + Popular Mobilization Units"]
    assert list(bar.x) == [40000]
    assert (list(bar.error_x.arrayminus), list(bar.error_x.array)) == ([5000], [5000])


def test_forces_with_no_strength_figure_are_named_with_no_bar(al_qaim: OpsTimeline) -> None:
    fig = al_qaim.figure("forces", OPERATION)

    unknown = trace(fig, "no strength reported")

    assert set(unknown.y[1]) == {"Iraqi Air Force", "US-led coalition", "Islamic State"}
    assert list(unknown.y[0]) == ["support", "support", "defender"]


# Every figure


@pytest.mark.parametrize("kind", KINDS)
def test_every_figure_has_a_title_axis_titles_and_a_legend(al_qaim: OpsTimeline, kind: str) -> None:
    fig = al_qaim.figure(kind, OPERATION)

    axes = fig.layout.to_plotly_json()
    assert OPERATION in fig.layout.title.text
    assert any(axes[key].get("title", {}).get("text") for key in axes if key.startswith("xaxis"))
    assert any(axes[key].get("title", {}).get("text") for key in axes if key.startswith("yaxis"))
    assert any(t.showlegend is not False for t in fig.data)


@pytest.mark.parametrize("kind", KINDS)
def test_every_figure_draws_several_operations(ops: OpsTimeline, kind: str) -> None:
    ops.record({**event("launched", "operation_launched", "2017-11-10"), "id": "rawa/launched",
                "operation": "rawa-2017"})  # fmt: skip
    ops.record({**event("rawa", "place_captured", "2017-11-12", place=RAWA, actors=IRAQ),
                "id": "rawa/captured", "operation": "rawa-2017"})  # fmt: skip

    fig = ops.figure(kind, [OPERATION, "rawa-2017"])

    assert "al-qaim-2017, rawa-2017" in fig.layout.title.text
    if kind == "progress":
        assert level_on(trace(fig, "rawa-2017 · Iraq: places held"), "2017-11-12") == 1
        assert level_on(trace(fig, "al-qaim-2017 · Iraq: places held"), "2017-11-12") == 3
    if kind == "map":
        assert "Rawa" in trace(fig, "places").customdata
    if kind == "control":
        assert "Rawa" in trace(fig, "Iraq: periods").y


def test_control_of_several_operations_gives_each_period_of_their_places_once(
    ops: OpsTimeline,
) -> None:
    ops.record({**event("launched", "operation_launched", "2017-11-10"), "id": "rawa/launched",
                "operation": "rawa-2017"})  # fmt: skip
    ops.record({**event("crossing", "place_entered", "2017-11-12", actors=ISIS,
                        place="al-Qaim border crossing"),
                "id": "rawa/crossing", "operation": "rawa-2017"})  # fmt: skip
    ops.record({**event("rawa", "place_captured", "2017-11-12", place=RAWA, actors=IRAQ),
                "id": "rawa/captured", "operation": "rawa-2017"})  # fmt: skip

    with ops.views.connection() as db:
        both = queries.operation_control(db, [OPERATION, "rawa-2017"])
        each = [queries.operation_control(db, slug) for slug in (OPERATION, "rawa-2017")]

    key = itemgetter("place", "period")
    assert sorted(map(key, both)) == sorted({key(p) for periods in each for p in periods})
    assert "al-Qaim border crossing" in {p["place"] for p in each[1]}
    assert both == sorted(both, key=key)


def test_text_from_events_is_escaped_in_figures(ops: OpsTimeline) -> None:
    source = {"outlet": "<img src=x onerror=alert(1)>", "reliability": "C", "credibility": "3"}
    ops.record({**event("rawa", "place_captured", "2017-11-12", place=RAWA, actors=IRAQ),
                "sources": [source]})  # fmt: skip

    texts = [str(t.hovertext) for kind in ("progress", "timeline") for t in
             ops.figure(kind, OPERATION).data]  # fmt: skip

    assert any("&lt;img src=x onerror=alert(1)&gt;" in text for text in texts)
    assert not any("<img" in text for text in texts)


def test_side_colours_are_the_same_in_every_figure(al_qaim: OpsTimeline) -> None:
    iraq = KNOWN["Iraq"]

    control = trace(al_qaim.figure("control", OPERATION), "Iraq").marker.color
    progress = trace(al_qaim.figure("progress", OPERATION), "Iraq: places held").line.color
    forces = trace(al_qaim.figure("forces", OPERATION), "Iraq").marker.color
    legend = trace(al_qaim.figure("map", OPERATION), "Iraq").marker.color
    events = trace(al_qaim.figure("timeline", OPERATION), "by Iraq").marker.color
    activity = trace(al_qaim.figure("activity", OPERATION), "Iraq").line.color

    assert control == progress == forces == legend == events == activity == iraq


def test_an_unknown_figure_or_day_is_an_error_naming_what_is_allowed(
    al_qaim: OpsTimeline,
) -> None:
    with pytest.raises(TimelineError, match="one of control, progress, timeline, map, forces"):
        al_qaim.figure("pie", OPERATION)
    with pytest.raises(TimelineError, match="not a day"):
        al_qaim.figure("map", OPERATION, on="November")
    with pytest.raises(TimelineError, match="unknown operation"):
        al_qaim.figure("map", "al-qaim-2018")
