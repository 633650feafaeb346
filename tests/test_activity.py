"""The activity chart: events, casualties and fatalities per week or month, counted in SQL, the
same counts `query` gives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import Result

from benchmarks.generate import write
from charts.activity import activity
from charts.figure_style import type_colour
from tests.conftest import IRAQ, ISIS, RAWA
from tests.test_figures import event, trace
from timeline.api import OpsTimeline
from timeline.errors import TimelineError
from timeline.vocabulary import EVENT_TYPES

OPERATION = "al-qaim-2017"


@pytest.fixture
def weeks(tmp_path: Path) -> OpsTimeline:
    """Three weeks of an operation, every event dated to its day: Monday 6 November 2017 on."""
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.record(event("launched", "operation_launched", "2017-11-06"))
    days = ["2017-11-06", "2017-11-08", "2017-11-12", "2017-11-13", "2017-11-20", "2017-11-26"]
    for n, day in enumerate(days):
        kind, actors = ("place_captured", IRAQ) if n % 3 else ("place_lost", ISIS)
        ops.record(event(f"e{n}", kind, day, place=RAWA if n == 0 else "Rawa", actors=actors))
    ops.record(event("dead", "casualties_reported", "2017-11-21", actors=ISIS[:1],
                     casualties={"best": 40, "low": 30, "high": 55}))  # fmt: skip
    return ops


def sunday(monday: str) -> str:
    return (date.fromisoformat(monday) + timedelta(6)).isoformat()


def test_weekly_counts_equal_a_query_count_for_the_same_weeks(weeks: OpsTimeline) -> None:
    counts = weeks.activity(OPERATION, per="week")

    per_week: dict[str, int] = {}
    for row in counts["by_type"]:
        per_week[row["period"]] = per_week.get(row["period"], 0) + row["events"]

    assert per_week == {"2017-11-06": 4, "2017-11-13": 1, "2017-11-20": 3}
    for monday, count in per_week.items():
        found = weeks.query(operation=OPERATION, between=(monday, sunday(monday)), limit=None)
        assert count == len(found), monday


def test_the_chart_draws_the_counts_by_type_and_by_side(weeks: OpsTimeline) -> None:
    fig = weeks.figure("activity", OPERATION, per="week")

    captured = trace(fig, "place captured")
    isis = trace(fig, "ISIS")
    assert dict(zip(captured.x, captured.y, strict=True)) == {"2017-11-06": 2, "2017-11-20": 2}
    for monday, count in zip(isis.x, isis.y, strict=True):
        found = weeks.query(operation=OPERATION, side="ISIS", between=(monday, sunday(monday)),
                            limit=None)  # fmt: skip
        assert count == len(found)
    dead = trace(fig, "casualties reported: casualties")
    assert (list(dead.x), list(dead.y)) == (["2017-11-20"], [40])


def test_an_event_falls_in_the_week_of_its_likely_day(tmp_path: Path) -> None:
    path = write(tmp_path / "events.jsonl", 1_000, seed=3)
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(path)
    slug = ops.operations()[0]["operation"]

    counts = ops.activity(slug, per="week")

    every = ops.query(operation=slug, limit=None)
    expected: dict[str, int] = {}
    for e in every:
        if e["occurred_mid"]:
            day = date.fromisoformat(e["occurred_mid"])
            monday = (day - timedelta(day.weekday())).isoformat()
            expected[monday] = expected.get(monday, 0) + 1
    found: dict[str, int] = {}
    for row in counts["by_type"]:
        found[row["period"]] = found.get(row["period"], 0) + row["events"]
    assert found == expected
    assert counts["undated"] == sum(1 for e in every if not e["occurred_mid"])
    ops.close()


def test_months_and_a_querys_filters_across_operations(weeks: OpsTimeline) -> None:
    weeks.record({**event("other", "operation_launched", "2017-12-02"), "id": "b/launched",
                  "operation": "b"})  # fmt: skip
    weeks.record({**event("b1", "place_lost", "2017-12-03", place="Rawa", actors=ISIS),
                  "id": "b/lost", "operation": "b"})  # fmt: skip

    counts = weeks.activity(side="ISIS", per="month")

    months = {row["period"]: row["events"] for row in counts["by_side"] if row["side"] == "ISIS"}
    assert months == {"2017-11-01": 7, "2017-12-01": 1}
    assert len(weeks.query(side="ISIS", limit=None)) == 8


def test_weeks_up_to_two_years_then_months(weeks: OpsTimeline) -> None:
    assert weeks.activity(OPERATION)["per"] == "week"
    weeks.record(event("later", "place_captured", "2020-01-01", place="Rawa", actors=IRAQ))
    assert weeks.activity(OPERATION)["per"] == "month"


def test_any_type_of_the_vocabulary_is_drawn_in_its_own_colour() -> None:
    rows = [{"period": "2018-01-01", "type": kind, "events": 1, "casualties": None,
             "fatalities": 3} for kind in EVENT_TYPES]  # fmt: skip
    counts = {"per": "month", "first": "2018-01-05", "last": "2018-01-20", "undated": 0,
              "by_type": rows, "by_side": []}  # fmt: skip

    fig = activity(counts, chosen="every operation")

    names = {t.name for t in fig.data if t.type == "bar" and t.showlegend is not False}
    assert {"forces clashed", "place captured", "operation concluded"} <= names
    assert len({type_colour(kind) for kind in EVENT_TYPES}) == len(EVENT_TYPES)
    assert trace(fig, "forces clashed: casualties").y == (3,)  # fatalities, where coded


def test_no_dated_events_is_said_with_no_axes(weeks: OpsTimeline) -> None:
    fig = weeks.figure("activity", OPERATION, type="forces_committed")

    assert fig.layout.annotations[0].text == "No dated events match."
    assert fig.layout.xaxis.visible is False


def test_query_filters_are_for_activity_only(weeks: OpsTimeline) -> None:
    with pytest.raises(TimelineError, match="is for activity"):
        weeks.figure("control", OPERATION, side="ISIS")


Cli = Callable[..., Result]


def test_chart_activity_takes_a_querys_filters(cli: Cli, tmp_path: Path) -> None:
    cli("import", str(Path(__file__).parent.parent / "fixtures" / "al_qaim_2017.jsonl"))

    result = cli("chart", "activity", "--side", "ISIS", "--between", "2017-11", "2017-11",
                 "--per", "month", "-o", str(tmp_path / "a.html"))  # fmt: skip
    refused = cli("chart", "control", "-o", str(tmp_path / "c.html"))

    assert result.exit_code == 0, result.output
    page = (tmp_path / "a.html").read_text("utf-8")
    assert "Activity per month — every operation; between 2017-11 to 2017-11; side ISIS" in page
    assert refused.exit_code == 1
    assert "Error: a control figure needs an operation or more" in refused.output
