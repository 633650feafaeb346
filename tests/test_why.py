"""`why`: the events behind an answer, their three clocks and their sources; for an answer as
recorded, the events behind that answer. Property-tested against the log itself."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.queries import NotFound
from tests.conftest import AL_QAIM_TOWN, IRAQ, ISIS, RAWA, SOURCE
from timeline.api import OpsTimeline
from timeline.readings import current
from timeline.vocabulary import MARKS_CONTESTED, PASSES_CONTROL, UNKNOWN_SIDE

OP = "op-1"


def event(event_id: str, kind: str, occurred: str | None, **keys: Any) -> dict[str, Any]:
    record = {"id": f"{OP}/{event_id}", "type": kind, "operation": OP, "sources": [SOURCE], **keys}
    if occurred is not None:
        record["occurred"] = occurred
    return record


@pytest.fixture
def ops(db: str) -> Iterator[OpsTimeline]:
    timeline = OpsTimeline(db)
    timeline.record(event("launched", "operation_launched", "2017-11-01"))
    timeline.record(event("iraq-took", "place_captured", "2017-11-03", place=AL_QAIM_TOWN,
                          actors=IRAQ))  # fmt: skip
    later = [{**SOURCE, "published": "2017-11-05"}]
    timeline.record(event("iraq-again", "place_liberated", "2017-11-04", place="al-Qaim",
                          actors=IRAQ, sources=later))  # fmt: skip
    timeline.record(event("isis-retook", "place_captured", "2017-11-10", place="al-Qaim",
                          actors=ISIS))  # fmt: skip
    yield timeline
    timeline.close()


def test_why_control_on_a_day_lists_the_period_its_sources_and_three_clocks(
    ops: OpsTimeline,
) -> None:
    rows = ops.why_control("al-Qaim", on="2017-11-05")

    assert [r["id"] for r in rows] == [f"{OP}/iraq-took", f"{OP}/iraq-again", f"{OP}/isis-retook"]
    second = rows[1]
    assert (second["occurred"], second["occurred_earliest"]) == ("2017-11-04", "2017-11-04")
    assert second["published"] == ["2017-11-05"]
    assert second["recorded"] == ops.history(f"{OP}/iraq-again")[0]["recorded"]
    assert second["sources"] == [{"outlet": "South Front", "grade": "D3",
                                  "published": "2017-11-05", "url": None}]  # fmt: skip


def test_why_of_an_answer_as_recorded_explains_that_answer(ops: OpsTimeline) -> None:
    before_isis = ops.history(f"{OP}/iraq-again")[0]["recorded"]

    then = ops.why_control("al-Qaim", on="2017-11-12", as_recorded=before_isis)
    now = ops.why_control("al-Qaim", on="2017-11-12")

    assert [r["id"] for r in then] == [f"{OP}/iraq-took", f"{OP}/iraq-again"]
    assert [r["id"] for r in now] == [f"{OP}/isis-retook"]


def test_why_forces_and_why_operation_list_the_events_behind_their_rows(
    ops: OpsTimeline,
) -> None:
    ops.record(event("concluded", "operation_concluded", "2017-11-11"))

    army = ops.why_forces(OP, "iraqi army")
    operation = ops.why_operation(OP)

    assert [r["id"] for r in army] == [f"{OP}/iraq-took", f"{OP}/iraq-again",
                                       f"{OP}/isis-retook"]  # fmt: skip
    assert [r["id"] for r in operation] == [f"{OP}/launched", f"{OP}/concluded"]
    assert ops.operations()[0]["derived_from"] == [f"{OP}/launched", f"{OP}/concluded"]


def test_timeline_why_prints_the_events_and_refuses_an_unknown_force(ops: OpsTimeline,
                                                                    cli: Any) -> None:  # fmt: skip
    table = cli("why", "control", "al-Qaim", "--on", "2017-11-05")
    rows = json.loads(cli("why", "operation", OP, "--format", "json").output)
    unknown = cli("why", "forces", OP, "Iraqi Navy")

    assert table.exit_code == 0
    assert "recorded" in table.output.splitlines()[0]
    assert "South Front D3 (2017-11-05)" in table.output
    assert [r["id"] for r in rows] == [f"{OP}/launched"]
    assert unknown.exit_code == 1
    assert "no force 'Iraqi Navy' in 'op-1'" in unknown.output


# The property: why lists exactly the events behind an answer, against the log replayed by
# brute force (readings.current), over generated captures, losses, entries, corrections and
# retractions.

PLACES = [AL_QAIM_TOWN, RAWA]
SIDES = [IRAQ, ISIS]
Steps = st.lists(
    st.tuples(
        st.sampled_from(["place_captured", "place_lost", "place_entered", "correct", "retract"]),
        st.integers(0, 1), st.integers(0, 1), st.integers(1, 12), st.integers(0, 50),
    ),
    min_size=1, max_size=14,
)  # fmt: skip


def report_about(
    records: list[dict[str, Any]], standing: list[str], n: str, kind: str, target: int,
    changes: Callable[[str], dict[str, Any]],
) -> None:  # fmt: skip
    """A correction (`changes` of the event chosen) or a retraction of an event still
    standing, appended to the records; none while none stands."""
    if not standing:
        return
    chosen = standing[target % len(standing)]
    if kind == "retract":
        standing.remove(chosen)
        records.append(event(f"r{n}", "report_retracted", None, retracts=chosen))
    else:
        records.append(event(f"c{n}", "report_corrected", None, corrects=chosen,
                             changes=changes(chosen)))  # fmt: skip


def imported(
    tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, Any]]
) -> OpsTimeline:
    """A store of its own holding these records, imported as a file."""
    work = tmp_path_factory.mktemp("why")
    path = Path(work / "events.jsonl")
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    ops = OpsTimeline(str(work / "store.db"))
    ops.import_file(path)
    return ops


def records_of(steps: list[tuple[str, int, int, int, int]]) -> list[dict[str, Any]]:
    """The steps as records: each correction or retraction of an event still standing."""
    records: list[dict[str, Any]] = [event("launched", "operation_launched", "2017-11-01")]
    standing: list[str] = []
    for n, (kind, place, side, day, target) in enumerate(steps):
        if kind in ("correct", "retract"):

            def changes(_: str, day: int = day, side: int = side) -> dict[str, Any]:
                return {"occurred": f"2017-11-{day:02d}", "actors": SIDES[side]}

            report_about(records, standing, f"{n}", kind, target, changes)
            continue
        records.append(event(f"e{n}", kind, f"2017-11-{day:02d}", place=PLACES[place],
                             actors=SIDES[side]))  # fmt: skip
        standing.append(f"{OP}/e{n}")
    return records


def behind_by_brute_force(records: list[dict[str, Any]], place: str, day: str) -> list[str]:
    """Who held the place on the day, worked out from the log alone: the run of its events
    since control last passed to another side, and the event that ended the run."""
    now = current(records)
    order = {record["id"]: n for n, record in enumerate(records)}
    at = sorted(
        (r for r in now.values() if r["type"] in (*PASSES_CONTROL, *MARKS_CONTESTED)
         and (r["place"] if isinstance(r["place"], str) else r["place"]["name"]) == place),
        key=lambda r: (r["occurred"], order[r["id"]]),
    )  # fmt: skip
    runs: list[tuple[str, str, list[str]]] = []  # (side, first day, events)
    for record in at:
        role = "defender" if record["type"] in MARKS_CONTESTED else "attacker"
        side = " + ".join(sorted({a["side"] for a in record["actors"] if a["role"] == "attacker"}))
        if record["type"] in MARKS_CONTESTED:
            if runs:
                runs[-1][2].append(record["id"])
                continue
            side = " + ".join(sorted({a["side"] for a in record["actors"] if a["role"] == role}))
        side = side or UNKNOWN_SIDE
        if runs and runs[-1][0] == side:
            runs[-1][2].append(record["id"])
        else:
            runs.append((side, record["occurred"], [record["id"]]))
    for n, (_, first, ids) in enumerate(runs):
        following = runs[n + 1] if n + 1 < len(runs) else None
        if first <= day and (following is None or day < following[1]):
            return sorted([*ids, *([following[2][0]] if following else [])])
    return []


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(steps=Steps, day=st.integers(1, 12))
def test_why_control_lists_exactly_the_events_behind_the_answer(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int, int, int, int]],
    day: int,
) -> None:
    records = records_of(steps)
    ops = imported(tmp_path_factory, records)

    for place in ("al-Qaim", "Rawa"):
        on = f"2017-11-{day:02d}"
        expected = behind_by_brute_force(records, place, on)
        try:
            found = sorted(r["id"] for r in ops.why_control(place, on=on))
        except NotFound:  # a place no event has named yet
            assert expected == []
            continue

        assert found == expected, (place, on)
    ops.close()


# The same property for `why forces` and `why operation`: a force's events in the operation,
# and the launch and conclusion claims, as the log replayed by brute force reads them.

PMU = [{"force": "Popular Mobilization Units", "side": "Iraq", "role": "attacker"}]
ACTORS = [IRAQ, ISIS, PMU]
FORCES = ("Iraqi Army", "Islamic State", "Popular Mobilization Units")
Claims = st.lists(
    st.tuples(
        st.sampled_from(["forces_committed", "place_entered", "operation_launched",
                         "operation_concluded", "correct", "retract"]),
        st.integers(0, 2), st.integers(1, 12), st.integers(0, 50),
    ),
    min_size=1, max_size=14,
)  # fmt: skip


def claims_of(steps: list[tuple[str, int, int, int]]) -> list[dict[str, Any]]:
    """The steps as records, within the rules: the first launch is never withdrawn (an
    operation keeps one), and an operation is concluded once (while that claim stands)."""
    records: list[dict[str, Any]] = [event("launched", "operation_launched", "2017-11-01")]
    standing: list[str] = []
    kinds: dict[str, str] = {}
    for n, (kind, actors, day, target) in enumerate(steps):
        if kind == "operation_concluded" and "operation_concluded" in map(kinds.get, standing):
            continue
        if kind in ("correct", "retract"):

            def changes(chosen: str, actors: int = actors, day: int = day) -> dict[str, Any]:
                named = kinds[chosen] in ("forces_committed", "place_entered")
                return {**({"actors": ACTORS[actors]} if named else {}),
                        "occurred": f"2017-11-{day:02d}"}  # fmt: skip

            report_about(records, standing, f"{n}", kind, target, changes)
            continue
        keys: dict[str, Any] = {"place": RAWA}
        if kind in ("forces_committed", "place_entered"):
            keys["actors"] = ACTORS[actors]
        if kind == "forces_committed":
            keys["strength"] = {"best": 100 * day}
        records.append(event(f"e{n}", kind, f"2017-11-{day:02d}", **keys))
        standing.append(f"{OP}/e{n}")
        kinds[f"{OP}/e{n}"] = kind
    return records


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(steps=Claims)
def test_why_forces_and_why_operation_list_exactly_the_events_behind_their_rows(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int, int, int]],
) -> None:
    records = claims_of(steps)
    ops = imported(tmp_path_factory, records)
    now = current(records).values()

    claims = sorted(r["id"] for r in now
                    if r["type"] in ("operation_launched", "operation_concluded"))  # fmt: skip
    assert sorted(r["id"] for r in ops.why_operation(OP)) == claims
    for force in FORCES:
        expected = sorted(r["id"] for r in now
                          if any(a["force"] == force for a in r.get("actors", [])))  # fmt: skip
        try:
            found = sorted(r["id"] for r in ops.why_forces(OP, force))
        except NotFound:  # no standing event names the force
            assert expected == []
            continue

        assert found == expected, force
    ops.close()
