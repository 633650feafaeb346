"""Contested claims: where active events disagree, each conflict with both sides' events and
sources; ended, and kept, when a correction or retraction removes a side."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from projections.contested import REVERSAL_DAYS
from tests.conftest import AL_QAIM, AL_QAIM_TOWN, IRAQ, ISIS, RAWA, SOURCE
from timeline.api import OpsTimeline

OP = "op-1"
AMAQ = {"outlet": "Amaq", "reliability": "E", "credibility": "5", "published": "2017-11-04"}


def event(event_id: str, kind: str, occurred: str | None, **keys: Any) -> dict[str, Any]:
    record = {"id": f"{OP}/{event_id}", "type": kind, "operation": OP, "sources": [SOURCE], **keys}
    if occurred is not None:
        record["occurred"] = occurred
    return record


def taken(
    event_id: str, occurred: str, actors: list[dict[str, str]], **keys: Any
) -> dict[str, Any]:
    return event(event_id, "place_captured", occurred, place=AL_QAIM_TOWN, actors=actors, **keys)


@pytest.fixture
def ops(db: str) -> Iterator[OpsTimeline]:
    timeline = OpsTimeline(db)
    timeline.record(event("launched", "operation_launched", "2017-11-01"))
    yield timeline
    timeline.close()


def test_a_place_given_to_two_sides_on_the_same_day_is_a_contested_control_period(
    ops: OpsTimeline,
) -> None:
    ops.record(taken("iraq-took", "2017-11-03", IRAQ))
    ops.record(taken("isis-held", "2017-11-03", ISIS, sources=[AMAQ]))

    [conflict] = ops.contested(OP)

    assert (conflict["kind"], conflict["subject"]) == ("control", "al-Qaim")
    assert (conflict["side_a"], conflict["events_a"]) == ("Iraq", [f"{OP}/iraq-took"])
    assert (conflict["side_b"], conflict["events_b"]) == ("ISIS", [f"{OP}/isis-held"])
    assert (conflict["outlets_a"], conflict["grades_a"]) == (["South Front"], ["D3"])
    assert (conflict["outlets_b"], conflict["grades_b"]) == (["Amaq"], ["E5"])
    assert (conflict["occurred_from"], conflict["occurred_to"]) == ("2017-11-03", "2017-11-03")
    assert conflict["ended_at"] is None
    assert [p["contested"] for p in ops.control("al-Qaim")] == [True, True]


def test_a_capture_and_a_recapture_days_apart_are_not_contested(ops: OpsTimeline) -> None:
    ops.record(taken("iraq-took", "2017-11-03", IRAQ))
    ops.record(taken("isis-retook", "2017-11-20", ISIS))

    assert ops.contested(OP) == []
    assert [p["contested"] for p in ops.control("al-Qaim")] == [False, False]


def test_the_conflict_ends_when_a_retraction_removes_a_side_and_the_record_keeps_it(
    ops: OpsTimeline,
) -> None:
    ops.record(taken("iraq-took", "2017-11-03", IRAQ))
    ops.record(taken("isis-held", "2017-11-03", ISIS, sources=[AMAQ]))
    ops.record(event("isis-withdrawn", "report_retracted", None, retracts=f"{OP}/isis-held"))

    [conflict] = ops.contested(OP)
    [retraction] = [r for r in ops.history(f"{OP}/isis-held") if r["type"] == "report_retracted"]

    assert conflict["events_b"] == [f"{OP}/isis-held"]
    assert (conflict["ended_at"], conflict["ended_by"]) == (
        retraction["recorded"], f"{OP}/isis-withdrawn"
    )
    assert conflict["since"] < conflict["ended_at"]
    assert [p["contested"] for p in ops.control("al-Qaim")] == [False]
    ops.rebuild()
    assert ops.contested(OP) == [conflict]  # worked out from the history, not kept by chance


def test_the_conflict_as_recorded_before_its_end_stands_and_before_its_second_side_is_not_there(
    ops: OpsTimeline,
) -> None:
    ops.record(taken("iraq-took", "2017-11-03", IRAQ))
    ops.record(taken("isis-held", "2017-11-03", ISIS))
    ops.record(event("isis-withdrawn", "report_retracted", None, retracts=f"{OP}/isis-held"))
    times = {r["event_id"]: r["recorded"] for r in ops.history(f"{OP}/isis-held")}
    before_end = times[f"{OP}/isis-held"]

    [standing] = ops.contested(OP, as_recorded=before_end)
    nothing = ops.contested(OP, as_recorded=ops.history(f"{OP}/iraq-took")[0]["recorded"])

    assert standing["ended_at"] is None
    assert nothing == []


def test_a_correction_that_reconciles_two_launch_dates_ends_their_conflict(
    ops: OpsTimeline,
) -> None:
    ops.record(event("launched-early", "operation_launched", "2017-10-26"))
    [launch] = ops.contested(OP)
    assert launch["kind"] == "launch"
    assert ops.operations()[0]["launch_contested"] == 1

    ops.record(event("early-fixed", "report_corrected", None, corrects=f"{OP}/launched-early",
                     changes={"occurred": "2017-10-26/2017-11-01"}))  # fmt: skip

    [ended] = ops.contested(OP)
    assert (ended["kind"], ended["ended_by"]) == ("launch", f"{OP}/early-fixed")
    assert ops.operations()[0]["launch_contested"] == 0


def test_strength_triples_for_one_force_that_do_not_overlap_are_contested(
    ops: OpsTimeline,
) -> None:
    army = [{"force": "Iraqi Army", "side": "Iraq", "role": "attacker"}]
    ops.record(event("army-40k", "forces_committed", "2017-11-03", actors=army,
                     strength={"best": 40000, "low": 35000, "high": 45000}))  # fmt: skip
    ops.record(event("army-10k", "forces_committed", "2017-11-03", actors=army,
                     strength={"best": 10000, "low": 8000, "high": 12000}))  # fmt: skip
    ops.record(event("army-about-40k", "forces_committed", "2017-11-03", actors=army,
                     strength={"best": 42000}))  # fmt: skip

    [conflict] = ops.contested(OP)

    assert (conflict["kind"], conflict["subject"]) == ("strength", "Iraqi Army")
    assert (conflict["side_a"], conflict["events_a"]) == ("8,000-12,000", [f"{OP}/army-10k"])
    assert (conflict["side_b"], conflict["events_b"]) == (  # 40,000 and about 42,000 agree
        "35,000-45,000; 42,000", [f"{OP}/army-40k", f"{OP}/army-about-40k"]
    )


def test_many_sources_giving_a_place_to_two_sides_make_one_conflict_not_one_per_pair(
    ops: OpsTimeline,
) -> None:
    for n in range(3):
        ops.record(taken(f"iraq-took-{n}", "2017-11-03", IRAQ))
    ops.record(taken("isis-held", "2017-11-03", ISIS, sources=[AMAQ]))
    ops.record(taken("isis-still-held", "2017-11", ISIS, sources=[AMAQ]))

    [conflict] = ops.contested(OP)

    assert conflict["side_a"] == "ISIS"  # its month-long claim is the first that may be true
    assert conflict["events_a"] == [f"{OP}/isis-still-held", f"{OP}/isis-held"]
    assert conflict["events_b"] == [f"{OP}/iraq-took-{n}" for n in range(3)]
    assert (conflict["occurred_from"], conflict["occurred_to"]) == ("2017-11-03", "2017-11-03")
    assert conflict["since"] == ops.history(f"{OP}/isis-held")[0]["recorded"]


def test_three_sides_claiming_a_place_make_a_conflict_per_pair_of_sides(
    ops: OpsTimeline,
) -> None:
    sdf = [{"force": "SDF", "side": "SDF", "role": "attacker"}]
    ops.record(taken("iraq-took", "2017-11-03", IRAQ))
    ops.record(taken("isis-held", "2017-11-03", ISIS))
    ops.record(taken("sdf-took", "2017-11-03", sdf))

    found = ops.contested(OP)

    assert sorted((c["side_a"], c["side_b"]) for c in found) == [
        ("ISIS", "SDF"), ("Iraq", "ISIS"), ("Iraq", "SDF")
    ]


def test_only_a_captures_first_reversal_is_weighed(ops: OpsTimeline) -> None:
    sdf = [{"force": "SDF", "side": "SDF", "role": "attacker"}]
    ops.record(taken("iraq-took", "2017-11-03", IRAQ))
    ops.record(event("fighting", "place_entered", "2017-11-05", place="al-Qaim", actors=ISIS))
    ops.record(taken("isis-retook", "2017-11-06", ISIS))
    ops.record(taken("sdf-took", "2017-11-08", sdf))

    found = ops.contested(OP)

    assert [(c["events_a"], c["events_b"]) for c in found] == [
        ([f"{OP}/iraq-took"], [f"{OP}/fighting", f"{OP}/isis-retook"])
    ]  # ISIS's capture was reversed by the SDF's with no fighting reported between


def test_a_capture_reversed_within_days_while_fighting_went_on_is_contested(
    ops: OpsTimeline,
) -> None:
    ops.record(taken("iraq-took", "2017-11-03", IRAQ))
    ops.record(event("fighting", "place_entered", "2017-11-05", place="al-Qaim", actors=ISIS))
    ops.record(taken("isis-retook", f"2017-11-{3 + REVERSAL_DAYS:02d}", ISIS))

    [conflict] = ops.contested(OP)

    assert (conflict["kind"], conflict["subject"]) == ("reversal", "al-Qaim")
    assert conflict["events_a"] == [f"{OP}/iraq-took"]
    assert conflict["events_b"] == [f"{OP}/fighting", f"{OP}/isis-retook"]


def test_a_reversal_later_than_the_window_is_no_conflict(ops: OpsTimeline) -> None:
    ops.record(taken("iraq-took", "2017-11-03", IRAQ))
    ops.record(event("fighting", "place_entered", "2017-11-05", place="al-Qaim", actors=ISIS))
    ops.record(taken("isis-retook", f"2017-11-{4 + REVERSAL_DAYS:02d}", ISIS))

    assert ops.contested(OP) == []


def test_claims_of_different_places_or_operations_do_not_conflict(ops: OpsTimeline) -> None:
    ops.record(taken("iraq-took", "2017-11-03", IRAQ))
    ops.record(event("rawa-isis", "place_captured", "2017-11-03", place=RAWA, actors=ISIS))
    other = {**taken("x", "2017-11-03", ISIS), "id": "op-2/isis", "operation": "op-2"}
    ops.record(other, unlaunched=True)

    assert ops.contested() == []


Cli = Callable[..., Result]


@pytest.fixture
def disputed(cli: Cli, tmp_path: Path) -> Cli:
    """The al-Qaim case, with an ISIS claim to the border crossing on the day Iraq took it."""
    cli("import", str(AL_QAIM))
    isis = {"id": "amaq/crossing", "type": "place_captured", "operation": "al-qaim-2017",
            "occurred": "2017-11-03", "place": "al-Qaim border crossing", "actors": ISIS,
            "sources": [AMAQ]}  # fmt: skip
    path = tmp_path / "isis.jsonl"
    path.write_text(json.dumps(isis) + "\n", "utf-8")
    cli("import", str(path))
    return cli


def test_timeline_contested_lists_both_sides_events_sources_and_grades(disputed: Cli) -> None:
    table = disputed("contested", "al-qaim-2017")
    rows = json.loads(disputed("contested", "al-qaim-2017", "--format", "json").output)

    assert table.exit_code == 0
    assert "al-qaim-2017/crossing-captured (South Front D2)" in table.output
    assert "amaq/crossing (Amaq E5)" in table.output
    assert [(r["kind"], r["side_a"], r["side_b"]) for r in rows] == [("control", "Iraq", "ISIS")]
    header = disputed("contested", "--format", "csv").output.splitlines()[0]
    assert header.startswith("kind,operation,subject,side_a,events_a,outlets_a,grades_a,side_b")


def test_timeline_contested_refuses_an_unknown_operation(disputed: Cli) -> None:
    result = disputed("contested", "al-qaim-2071")

    assert result.exit_code == 1
    assert "unknown operation 'al-qaim-2071'; did you mean 'al-qaim-2017'?" in result.output


def test_show_and_control_mark_the_contested_rows(disputed: Cli) -> None:
    shown = disputed("show", "al-qaim-2017").output.splitlines()
    control = disputed("control", "al-Qaim border crossing").output.splitlines()
    on = json.loads(disputed("control", "al-Qaim border crossing", "--on", "2017-11-04",
                             "--format", "json").output)  # fmt: skip

    assert "sources disagree" in shown[0]
    assert "sources disagree" in control[0]
    assert [line.split()[-1] for line in shown if " contested " in line] == [
        "al-qaim-2017/crossing-captured", "amaq/crossing"
    ]
    assert all(" contested " in line for line in control[2:])
    assert on[0]["contested"] is True
    assert "sources disagree" not in disputed("control", "al-Karablah").output  # none is


def test_the_figures_and_the_report_mark_the_contested_claims(db: str, disputed: Cli,
                                                               tmp_path: Path) -> None:  # fmt: skip
    ops = OpsTimeline(db)

    timeline = ops.figure("timeline", "al-qaim-2017")
    chart = ops.figure("control", "al-qaim-2017")
    ops.report("al-qaim-2017", tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text("utf-8")

    crossed = [x for t in timeline.data if t.name == "contested claim" for x in t.x]
    started = [x for t in chart.data if t.name == "contested claim" for x in t.x]
    assert crossed == ["2017-11-03", "2017-11-03"]  # the two claims to the crossing
    assert started == ["2017-11-03", "2017-11-03"]  # the two periods they open
    assert html.count("<span class=\"weak\">control contested</span>") == 2
    assert "Iraq against ISIS (al-Qaim border crossing)" in html
    ops.close()


def test_a_mark_of_another_operations_conflict_survives_a_change_at_the_place(
    ops: OpsTimeline,
) -> None:
    army = [{"force": "Iraqi Army", "side": "Iraq", "role": "attacker"}]
    other = {"operation": "op-2"}
    ops.record({**event("launched", "operation_launched", "2017-11-01"), **other,
                "id": "op-2/launched"})  # fmt: skip
    for n, best in enumerate((40000, 10000)):  # at al-Qaim, in op-2: a strength conflict
        ops.record({**event(f"army-{n}", "forces_committed", "2017-11-03", actors=army,
                            place=AL_QAIM_TOWN, strength={"best": best}),
                    **other, "id": f"op-2/army-{n}"})  # fmt: skip
    ops.record(taken("iraq-took", "2017-11-03", IRAQ))  # op-1: a control conflict there
    ops.record(taken("isis-held", "2017-11-03", ISIS, sources=[AMAQ]))

    ops.record(event("isis-withdrawn", "report_retracted", None, retracts=f"{OP}/isis-held"))

    assert {r["id"]: r["contested"] for r in ops.show("op-2")} == {
        "op-2/launched": False, "op-2/army-0": True, "op-2/army-1": True}
    assert {r["id"]: r["contested"] for r in ops.show(OP)} == {
        f"{OP}/launched": False, f"{OP}/iraq-took": False}
    assert [p["contested"] for p in ops.control("al-Qaim")] == [False]


def test_a_retraction_of_a_sides_first_claim_ends_its_conflict_and_the_rest_still_stand(
    ops: OpsTimeline,
) -> None:
    ops.record(taken("iraq-took", "2017-11-03", IRAQ))
    ops.record(taken("iraq-also", "2017-11-03", IRAQ))
    ops.record(taken("isis-held", "2017-11-03", ISIS, sources=[AMAQ]))
    [first] = ops.contested(OP)
    assert first["events_a"] == [f"{OP}/iraq-also", f"{OP}/iraq-took"]  # same day: by id

    ops.record(event("iraq-withdrawn", "report_retracted", None, retracts=f"{OP}/iraq-also"))

    ended, standing = sorted(ops.contested(OP), key=lambda c: c["ended_at"] is None)
    assert {**ended, "ended_at": None, "ended_by": None} == first
    assert ended["ended_by"] == f"{OP}/iraq-withdrawn"
    assert (standing["events_a"], standing["ended_at"]) == ([f"{OP}/iraq-took"], None)
    assert standing["since"] == ended["since"]  # it has stood since the first disagreement
