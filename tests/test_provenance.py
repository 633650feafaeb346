"""Provenance as a reader meets it: corroborations, downgraded sources, who recorded what,
what changed between two record times, and the grade filter on every question."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.conftest import AL_QAIM
from timeline.api import OpsTimeline

OPERATION = "al-qaim-2017"
CROSSING = f"{OPERATION}/crossing-captured"
REUTERS = {
    "outlet": "Reuters", "reliability": "B", "credibility": "2", "published": "2017-11-05",
    "url": "https://www.reuters.com/article/iraq-qaim", "quote": "took the border crossing",
    "archive_url": "https://web.archive.org/web/20171105/https://www.reuters.com/article/iraq-qaim",
    "sha256": "9f" * 32, "retrieved": "2017-11-05T10:00:00Z",
}  # fmt: skip
FACT = ("type", "occurred", "place", "attackers", "defenders", "status", "strength_best")


@pytest.fixture
def ops(tmp_path: Path) -> Iterator[OpsTimeline]:
    timeline = OpsTimeline(str(tmp_path / "timeline.db"))
    timeline.import_file(AL_QAIM, analyst="ann")
    yield timeline
    timeline.close()


def corroboration(event_id: str, target: str, *sources: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "type": "sources_added", "operation": OPERATION,
            "corroborates": target, "sources": list(sources or [REUTERS])}  # fmt: skip


def downgrade(event_id: str, operation: str = OPERATION, **names: Any) -> dict[str, Any]:
    return {
        "id": event_id, "type": "source_downgraded", "operation": operation,
        "reliability": "E", "reason": "its capture claims were contradicted by imagery",
        "sources": [REUTERS], **(names or {"outlet": "south front"}),
    }  # fmt: skip


def event(ops: OpsTimeline, event_id: str, **question: Any) -> dict[str, Any]:
    return next(row for row in ops.show(OPERATION, **question) if row["id"] == event_id)


def test_a_corroboration_changes_the_count_and_the_grade_but_not_the_fact(
    ops: OpsTimeline,
) -> None:
    before = event(ops, CROSSING)

    ops.record(corroboration(f"{OPERATION}/reuters-crossing", CROSSING))

    after = event(ops, CROSSING)
    assert (before["source_count"], before["best_grade"]) == (1, "D2")
    assert (after["source_count"], after["best_grade"]) == (2, "B2")
    assert after["outlets"] == ["South Front", "Reuters"]
    assert after["corroborated_by"] == [f"{OPERATION}/reuters-crossing"]
    assert {key: after[key] for key in FACT} == {key: before[key] for key in FACT}
    assert [row["type"] for row in ops.history(CROSSING)] == ["crossing_captured", "sources_added"]


def test_a_corroboration_survives_a_correction_and_counts_as_recorded(ops: OpsTimeline) -> None:
    ops.record(corroboration(f"{OPERATION}/reuters-crossing", CROSSING))
    moment = datetime.now(UTC)
    time.sleep(0.01)
    ops.record({"id": f"{OPERATION}/fix", "type": "report_corrected", "operation": OPERATION,
                "corrects": CROSSING, "changes": {"occurred": "2017-11-04"},
                "sources": [REUTERS]})  # fmt: skip

    now, then = event(ops, CROSSING), event(ops, CROSSING, as_recorded=moment)

    assert (now["occurred"], now["source_count"], now["status"]) == ("2017-11-04", 2, "corrected")
    assert (then["occurred"], then["source_count"]) == ("2017-11-03", 2)


def test_a_corroborating_source_keeps_its_evidence(ops: OpsTimeline) -> None:
    ops.record(corroboration(f"{OPERATION}/reuters-crossing", CROSSING))

    rows = [row for row in ops.sources(OPERATION) if row["outlet"] == "Reuters"]

    assert rows == [{
        "outlet": "Reuters", "events": 1, "event_ids": [CROSSING], "best_grade": "B2",
        "worst_grade": "B2", "archived": 1, "digests": 1, "corroborating": 1,
        "downgraded": False, "downgrades": [],
    }]  # fmt: skip


def test_a_downgraded_source_regrades_every_claim_resting_on_it(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    ops.record(corroboration(f"{OPERATION}/reuters-crossing", CROSSING))
    forces_before = ops.forces(OPERATION, min_grade="D3")
    moment = datetime.now(UTC)
    time.sleep(0.01)

    ops.record(downgrade("findings/south-front", "findings-2018"))  # another operation's

    grades = {row["id"]: row["grades"] for row in ops.show(OPERATION)}
    assert grades[CROSSING] == ["E2", "B2"]
    assert grades[f"{OPERATION}/launched"] == ["E4"]
    assert all(g[0] in "EB" for listed in grades.values() for g in listed)
    assert {r["id"] for r in ops.query(min_grade="D3")} == {CROSSING}
    assert {r["id"] for r in ops.show(OPERATION, min_grade="D3")} == {CROSSING}
    assert forces_before
    assert ops.forces(OPERATION, min_grade="D3") != forces_before
    assert {r["force"] for r in ops.forces(OPERATION, min_grade="D3")} == {
        "Iraqi Army", "Islamic State", "Popular Mobilization Units",
    }  # only the crossing's forces: it alone rests on a source D3 or better
    assert next(r["grades"] for r in ops.show(OPERATION, as_recorded=moment)) == ["D4"]
    south_front = next(r for r in ops.sources(OPERATION) if r["outlet"] == "South Front")
    assert (south_front["best_grade"], south_front["downgraded"]) == ("E2", True)
    assert south_front["downgrades"][0]["event_id"] == "findings/south-front"
    html = ops.report(OPERATION, tmp_path / "r.html").read_text("utf-8")
    sources_section = html.split('id="sources"')[-1]
    assert "E2" in sources_section
    assert "D2" not in sources_section


def test_claims_recorded_after_a_downgrade_are_graded_by_it(ops: OpsTimeline) -> None:
    ops.record(downgrade("findings/south-front"))

    ops.record({"id": f"{OPERATION}/later", "type": "place_entered", "operation": OPERATION,
                "occurred": "2017-11-04", "place": "al-Qaim",
                "actors": [{"force": "Iraqi Army", "side": "Iraq", "role": "attacker"}],
                "sources": [{"outlet": "SOUTH FRONT", "reliability": "C",
                             "credibility": "2"}]})  # fmt: skip

    assert event(ops, f"{OPERATION}/later")["grades"] == ["E2"]
    assert ops.show(OPERATION, min_grade="D6") == []


def test_a_downgraded_article_regrades_only_the_claims_citing_it(ops: OpsTimeline) -> None:
    ops.record(corroboration(f"{OPERATION}/reuters-crossing", CROSSING))

    ops.record(downgrade("findings/reuters-article", url=REUTERS["url"]))

    assert event(ops, CROSSING)["grades"] == ["D2", "E2"]
    assert event(ops, f"{OPERATION}/launched")["grades"] == ["D4"]


def test_a_rebuild_regrades_alike(ops: OpsTimeline) -> None:
    ops.record(corroboration(f"{OPERATION}/reuters-crossing", CROSSING))
    ops.record(downgrade("findings/south-front"))
    before = ops.show(OPERATION)

    ops.rebuild()

    assert ops.show(OPERATION) == before


def test_each_event_keeps_who_recorded_it_and_history_shows_each_step(
    ops: OpsTimeline, cli_at: Callable[..., Result]
) -> None:
    ops.record(corroboration(f"{OPERATION}/reuters-crossing", CROSSING), analyst="bob")
    ops.record({"id": f"{OPERATION}/fix", "type": "report_corrected", "operation": OPERATION,
                "corrects": CROSSING, "changes": {"notes": "checked"}, "sources": [REUTERS]},
               analyst="carol")  # fmt: skip

    steps = [(row["type"], row["analyst"]) for row in ops.history(CROSSING)]
    assert steps == [("crossing_captured", "ann"), ("sources_added", "bob"),
                     ("report_corrected", "carol")]  # fmt: skip
    assert event(ops, CROSSING)["analyst"] == "ann"
    assert {e.analyst for e in ops.log()} == {"ann", "bob", "carol"}
    assert ops.import_file(AL_QAIM, analyst="dave").new == 0  # not part of the content
    shown = cli_at(ops, "history", CROSSING).output
    assert "crossing_captured  al-qaim-2017/crossing-captured  by ann" in shown
    assert "sources_added  al-qaim-2017/reuters-crossing  by bob" in shown


def test_the_analyst_defaults_to_the_login_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGNAME", "field-analyst")
    monkeypatch.setenv("USER", "field-analyst")
    ops = OpsTimeline(str(tmp_path / "timeline.db"))

    ops.import_file(AL_QAIM)

    assert {e.analyst for e in ops.log()} == {"field-analyst"}
    ops.close()


def test_diff_lists_exactly_the_events_recorded_between_two_moments(ops: OpsTimeline) -> None:
    time.sleep(0.01)
    start = datetime.now(UTC)
    time.sleep(0.01)
    ops.record(corroboration(f"{OPERATION}/reuters-crossing", CROSSING), analyst="bob")
    ops.record({"id": f"{OPERATION}/fix", "type": "report_corrected", "operation": OPERATION,
                "corrects": CROSSING, "changes": {"occurred": "2017-11-04", "notes": None},
                "sources": [REUTERS]})  # fmt: skip
    ops.record({"id": f"{OPERATION}/gone", "type": "report_retracted", "operation": OPERATION,
                "retracts": f"{OPERATION}/gaza-entered", "sources": [REUTERS]})  # fmt: skip
    ops.record(downgrade("findings/south-front"))
    ops.record({"id": f"{OPERATION}/rawa", "type": "place_captured", "operation": OPERATION,
                "occurred": "2017-11-09",
                "place": {"name": "Rawa", "lat": 34.47, "lon": 41.91, "kind": "town"},
                "actors": [{"force": "Iraqi Army", "side": "Iraq", "role": "attacker"}],
                "sources": [REUTERS]})  # fmt: skip
    time.sleep(0.01)
    end = datetime.now(UTC)
    time.sleep(0.01)
    ops.record({"id": f"{OPERATION}/after", "type": "report_retracted", "operation": OPERATION,
                "retracts": f"{OPERATION}/rawa", "sources": [REUTERS]})  # fmt: skip

    changed = ops.diff(start, end)

    between = [e.record.id for e in ops.log() if start < e.recorded <= end]
    listed = [row["by"] if "by" in row else row["id"] for rows in changed.values()
              for row in rows]  # fmt: skip
    flat = [item for entry in listed for item in (entry if isinstance(entry, list) else [entry])]
    assert sorted(flat) == sorted(between)
    assert [row["id"] for row in changed["added"]] == [f"{OPERATION}/rawa"]
    (fixed,) = changed["corrected"]
    assert fixed["id"] == CROSSING
    assert fixed["changed_keys"] == ["notes", "occurred"]
    assert fixed["before"]["occurred"] == "2017-11-03"
    assert fixed["after"] == {
        "notes": None, "occurred": "2017-11-04",
    }
    assert fixed["before"]["notes"]  # the fixture's note, removed
    assert [row["id"] for row in changed["retracted"]] == [f"{OPERATION}/gaza-entered"]
    assert [(row["id"], row["analyst"]) for row in changed["corroborated"]] == [(CROSSING, "bob")]
    assert [row["outlet"] for row in changed["downgraded"]] == ["south front"]
    assert [row["id"] for row in ops.diff(end)["retracted"]] == [f"{OPERATION}/rawa"]
    assert not ops.diff(end, operation=OPERATION)["added"]


@pytest.fixture
def cli_at() -> Callable[..., Result]:
    from click.testing import CliRunner

    from timeline.cli import main

    def run(ops: OpsTimeline, *args: str) -> Result:
        return CliRunner().invoke(main, ["--db", ops.db, *args], catch_exceptions=False)

    return run


def test_every_question_takes_a_min_grade(ops: OpsTimeline, cli_at: Callable[..., Result]) -> None:
    ops.record(corroboration(f"{OPERATION}/reuters-crossing", CROSSING))

    def ids(*args: str) -> list[Any]:
        result = cli_at(ops, *args, "--format", "json")
        assert result.exit_code == 0, result.output
        return list(json.loads(result.output))

    assert [r["id"] for r in ids("show", OPERATION, "--min-grade", "B2")] == [CROSSING]
    assert {r["force"] for r in ids("forces", OPERATION, "--min-grade", "B2")} == {
        "Iraqi Army", "Islamic State", "Popular Mobilization Units",
    }
    assert [r["events"] for r in ids("operations", "--min-grade", "B2")] == [1]
    assert [r["side"] for r in ids("control", "al-Qaim border crossing", "--min-grade", "B2")] \
        == ["Iraq"]  # fmt: skip
    assert ids("control", "al-Qaim", "--min-grade", "B2") == []
    assert [r["outlet"] for r in ids("sources", OPERATION, "--min-grade", "B2")] == ["Reuters"]
    refused = cli_at(ops, "forces", OPERATION, "--min-grade", "Z9")
    assert refused.exit_code == 1
    assert "--min-grade" in refused.output


def test_timeline_record_takes_an_analyst_a_corroboration_and_a_downgrade(
    ops: OpsTimeline, cli_at: Callable[..., Result]
) -> None:
    added = cli_at(ops, "record", "sources_added", "--operation", OPERATION, "--corroborates",
                   CROSSING, "--source", "Reuters:B2:https://www.reuters.com/x:2017-11-05",
                   "--archive", "https://web.archive.org/web/2017/https://www.reuters.com/x",
                   "--sha256", "ab" * 32, "--retrieved", "2017-11-05T10:00:00Z",
                   "--analyst", "bob")  # fmt: skip
    lowered = cli_at(ops, "record", "source_downgraded", "--operation", OPERATION, "--outlet",
                     "South Front", "--reliability", "E", "--reason", "contradicted",
                     "--source", "Field team:B2")  # fmt: skip
    twice = cli_at(ops, "record", "source_downgraded", "--operation", OPERATION, "--outlet",
                   "SOUTH FRONT", "--reliability", "F", "--reason", "again",
                   "--source", "Field team:B2")  # fmt: skip

    assert added.exit_code == 0, added.output
    assert lowered.exit_code == 0, lowered.output
    assert twice.exit_code == 1
    assert "downgraded once" in twice.output
    (source,) = [r for r in ops.sources(OPERATION) if r["outlet"] == "Reuters"]
    assert (source["archived"], source["digests"]) == (1, 1)
    assert event(ops, CROSSING)["grades"] == ["E2", "B2"]
    assert ops.history(CROSSING)[-1]["analyst"] == "bob"
    table = cli_at(ops, "sources", OPERATION).output
    assert "to E by" in table
    diffed = cli_at(ops, "diff", "--from", "2000-01-01T00:00:00Z", OPERATION, "--json")
    assert {"added", "corrected", "corroborated", "retracted", "downgraded"} == set(
        json.loads(diffed.output)
    )


def test_a_downgrade_of_a_source_no_event_cites_is_kept_and_noted(
    ops: OpsTimeline, cli_at: Callable[..., Result]
) -> None:
    def downgrade(outlet: str) -> Result:
        return cli_at(ops, "record", "source_downgraded", "--operation", OPERATION, "--outlet",
                      outlet, "--reliability", "E", "--reason", "fabricated",
                      "--source", "Field team:B2")  # fmt: skip

    uncited, cited = downgrade("Nobody Press"), downgrade("south front")

    assert uncited.exit_code == 0, uncited.output
    assert "note: no recorded event cites 'Nobody Press' yet" in uncited.output
    assert cited.exit_code == 0, cited.output
    assert "note:" not in cited.output
    ops.record({"id": f"{OPERATION}/nobody", "type": "place_entered", "operation": OPERATION,
                "occurred": "2017-11-04", "place": "al-Qaim",
                "actors": [{"force": "Iraqi Army", "side": "Iraq", "role": "attacker"}],
                "sources": [{"outlet": "Nobody Press", "reliability": "B",
                             "credibility": "2"}]})  # fmt: skip
    assert event(ops, f"{OPERATION}/nobody")["grades"] == ["E2"]  # the downgrade was kept
