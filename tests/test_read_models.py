"""The read models: what researchers see after the analysts' events are projected."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AL_QAIM, IRAQ, ISIS, RAWA, SOURCE
from timeline.api import OpsTimeline


def event(event_id: str, event_type: str, occurred: str, **keys: Any) -> dict[str, Any]:
    return {
        "id": f"op/{event_id}",
        "type": event_type,
        "operation": "op",
        "occurred": occurred,
        "sources": [SOURCE],
        **keys,
    }


def correction(event_id: str, target: str, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"op/{event_id}",
        "type": "report_corrected",
        "operation": "op",
        "corrects": f"op/{target}",
        "changes": changes,
        "sources": [{**SOURCE, "reliability": "B", "credibility": "2"}],
    }


def retraction(event_id: str, target: str) -> dict[str, Any]:
    return {
        "id": f"op/{event_id}",
        "type": "report_retracted",
        "operation": "op",
        "retracts": f"op/{target}",
        "sources": [SOURCE],
    }


@pytest.fixture
def ops(db: str) -> Iterator[OpsTimeline]:
    timeline = OpsTimeline(db)
    timeline.record(event("launched", "operation_launched", "2017-11-01"))
    yield timeline
    timeline.close()


def test_captured_lost_recaptured_gives_three_periods_of_control(ops: OpsTimeline) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))
    ops.record(event("lost", "place_lost", "2017-11-10~", place="Rawa", actors=ISIS))
    ops.record(event("retaken", "place_liberated", "2017-11-20", place="Rawa", actors=IRAQ))

    periods = ops.control("Rawa")

    assert [(p["side"], p["start_earliest"], p["end_latest"]) for p in periods] == [
        ("Iraq", "2017-11-03", "2017-11-13"),
        ("ISIS", "2017-11-07", "2017-11-20"),
        ("Iraq", "2017-11-20", None),
    ]
    assert [p["start_event"] for p in periods] == ["op/captured", "op/lost", "op/retaken"]


def test_a_place_lost_to_no_named_side_passes_to_unknown(ops: OpsTimeline) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))
    defenders_only = [{"force": "Iraqi Army", "side": "Iraq", "role": "defender"}]

    ops.record(event("lost", "place_lost", "2017-11-10", place="Rawa", actors=defenders_only))

    assert [p["side"] for p in ops.control("Rawa")] == ["Iraq", "unknown"]


def test_entering_a_place_marks_it_contested_without_changing_the_holder(
    ops: OpsTimeline,
) -> None:
    ops.record(event("entered", "place_entered", "2017-11-02", place=RAWA, actors=IRAQ))
    ops.record(event("captured", "place_captured", "2017-11-05", place="Rawa", actors=IRAQ))

    periods = ops.control("Rawa")

    assert [(p["side"], p["contested_from"]) for p in periods] == [
        ("ISIS", "2017-11-02"),
        ("Iraq", None),
    ]


def test_a_second_capture_by_the_holder_corroborates_the_period(ops: OpsTimeline) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))
    ops.record(event("captured-2", "place_liberated", "2017-11-04", place="Rawa", actors=IRAQ))

    periods = ops.control("Rawa")

    assert len(periods) == 1
    assert periods[0]["events"] == ["op/captured", "op/captured-2"]


def test_who_held_a_place_on_a_day_is_certain_away_from_fuzzy_boundaries(
    ops: OpsTimeline,
) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))
    ops.record(event("lost", "place_lost", "2017-11-10~", place="Rawa", actors=ISIS))

    [before] = ops.control("Rawa", on="2017-11-05")
    [fuzzy] = ops.control("Rawa", on="2017-11-09")
    [after] = ops.control("Rawa", on="2017-12-01")
    [earlier] = ops.control("Rawa", on="2017-10-01")

    assert (before["answer"], before["side"]) == ("held", "Iraq")
    assert (fuzzy["answer"], fuzzy["side"], fuzzy["candidates"]) == (
        "uncertain",
        None,
        ["Iraq", "ISIS"],
    )
    assert (after["answer"], after["side"]) == ("held", "ISIS")
    assert earlier["answer"] == "no record"


def test_a_corrected_event_reads_corrected_everywhere_with_its_history_kept(
    ops: OpsTimeline,
) -> None:
    ops.record(
        event(
            "committed", "forces_committed", "2017-11-03", actors=IRAQ[:1], strength={"best": 40000}
        )
    )
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))

    ops.record(
        correction("fix-1", "committed", strength={"best": 30000, "low": 25000, "high": 35000})
    )
    ops.record(correction("fix-2", "captured", occurred="2017-11-06"))

    [committed] = ops.query(type="forces_committed")
    [army] = [f for f in ops.forces("op") if f["force"] == "Iraqi Army"]
    [period] = ops.control("Rawa")
    history = ops.history("op/committed")
    assert (committed["status"], committed["corrected_by"]) == ("corrected", "op/fix-1")
    assert (committed["strength_best"], committed["strength_low"]) == (30000, 25000)
    assert (army["strength_best"], army["strength_high"]) == (30000, 35000)
    assert period["start_earliest"] == "2017-11-06"
    assert [h["type"] for h in history] == ["forces_committed", "report_corrected"]
    assert history[0]["record"]["strength"] == {"best": 40000}


def test_a_retracted_event_leaves_the_default_views_and_stays_in_the_history(
    ops: OpsTimeline,
) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))

    ops.record(retraction("withdrawn", "captured"))

    assert [e["id"] for e in ops.show("op")] == ["op/launched"]
    assert ops.control("Rawa") == []
    assert [f["force"] for f in ops.forces("op")] == []
    assert [e["status"] for e in ops.show("op", include_retracted=True)] == ["active", "retracted"]
    assert [h["type"] for h in ops.history("op/captured")] == ["place_captured", "report_retracted"]


def test_an_as_recorded_answer_is_unchanged_by_later_events(ops: OpsTimeline) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))
    moment = datetime.now(UTC)
    before = ops.show("op", as_recorded=moment)

    ops.record(event("lost", "place_lost", "2017-11-10", place="Rawa", actors=ISIS))
    ops.record(correction("fix", "captured", occurred="2017-11-04"))

    assert ops.show("op", as_recorded=moment) == before
    assert [p["side"] for p in ops.control("Rawa", as_recorded=moment)] == ["Iraq"]
    assert [p["side"] for p in ops.control("Rawa")] == ["Iraq", "ISIS"]


def test_known_by_keeps_only_sources_published_by_then(ops: OpsTimeline) -> None:
    late = {**SOURCE, "outlet": "Reuters", "published": "2017-12-01"}
    undated = {k: v for k, v in SOURCE.items() if k != "published"}
    ops.record(
        event(
            "captured",
            "place_captured",
            "2017-11-03",
            place=RAWA,
            actors=IRAQ,
            sources=[SOURCE, late],
        )
    )
    ops.record(
        event(
            "lost", "place_lost", "2017-11-10", place="Rawa", actors=ISIS, sources=[late, undated]
        )
    )

    known = ops.show("op", known_by="2017-11-15")

    assert [e["id"] for e in known] == ["op/launched", "op/captured"]
    assert known[1]["outlets"] == "South Front"


def test_a_place_is_found_by_any_of_its_names(db: str) -> None:
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    for name in ("al-Qaim", "Al Qa'im", "Al Qaim", "القائم", "AL-QAIM"):
        assert [e["id"] for e in ops.query(place=name, type="place_entered")] == [
            "al-qaim-2017/town-entered"
        ], name


def test_a_later_full_mention_adds_an_alias(ops: OpsTimeline) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))

    ops.record(
        event(
            "entered",
            "place_entered",
            "2017-11-04",
            actors=IRAQ,
            place={**RAWA, "aliases": ["راوة"]},
        )
    )

    assert len(ops.query(place="راوة")) == 2


def test_full_text_search_finds_words_in_notes_places_and_quotes(db: str) -> None:
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    assert {e["id"] for e in ops.query(text="Karablah")} == {"al-qaim-2017/karablah-liberated"}
    assert {e["id"] for e in ops.query(text="train station")} == {
        "al-qaim-2017/train-station-liberated"
    }
    assert len(ops.query(text="partisan")) == 8


def test_full_text_search_finds_the_events_of_a_place_by_any_of_its_aliases(db: str) -> None:
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    found = {e["id"] for e in ops.query(text="الكرابلة")}
    spelled = {e["id"] for e in ops.query(text="Karabilah")}

    assert found == spelled == {"al-qaim-2017/karablah-liberated"}


def test_search_text_is_data_not_query_syntax(db: str) -> None:
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    assert ops.query(text='NEAR( " OR * -') == []
    assert ops.query(text="'; DROP TABLE events; --") == []
    assert len(ops.show("al-qaim-2017")) == 8


def test_filters_combine(db: str) -> None:
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    found = ops.query(
        operation="al-qaim-2017", side="ISIS", min_grade="D2", between=("2017-11-01", "2017-11-30")
    )
    nothing = ops.query(min_grade="C3")

    assert [e["id"] for e in found] == ["al-qaim-2017/crossing-captured"]
    assert nothing == []


def test_the_operation_summary_shows_a_contested_launch_date(ops: OpsTimeline) -> None:
    ops.record(
        event(
            "launched-early",
            "operation_launched",
            "2017-10-26",
            sources=[{**SOURCE, "outlet": "Reuters"}],
        )
    )

    [operation] = ops.operations()

    assert (operation["launch_claims"], operation["launch_contested"]) == (2, 1)
    assert operation["launched"] == "2017-10-26 | 2017-11-01"


def test_results_convert_to_a_data_frame_in_one_call(db: str) -> None:
    pandas = pytest.importorskip("pandas", reason="pandas is optional: pip install pandas")
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    frame = pandas.DataFrame(ops.show("al-qaim-2017"))

    assert frame["id"].iloc[0] == "al-qaim-2017/launched"


def test_the_read_models_open_with_plain_sqlite3(db: str) -> None:
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    with sqlite3.connect(Path(db).with_name("timeline.views.db")) as connection:
        count = connection.execute("SELECT count(*) FROM events").fetchone()[0]

    assert count == 8
