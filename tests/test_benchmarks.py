"""The benchmarks run: generated files import cleanly, and import_bench measures every step.

Small N only, and never an assertion on a timing: these say the benchmark works, not how fast.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from benchmarks import generate, import_bench
from timeline.application import Timeline
from timeline.dates import parse_edtf
from timeline.names import name_key

Events = list[dict[str, Any]]
N = 2_000
SEED = 7


@pytest.fixture(scope="module")
def events() -> Events:
    return list(generate.generate(N, SEED))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> import_bench.Run:
    return import_bench.bench(N, SEED, tmp_path_factory.mktemp("bench"))


def test_the_same_seed_gives_the_same_events_and_another_seed_others(events: Events) -> None:
    assert list(generate.generate(N, SEED)) == events
    assert list(generate.generate(N, SEED + 1)) != events


def test_write_streams_the_events_to_a_json_lines_file(tmp_path: Path, events: Events) -> None:
    path = generate.write(tmp_path / "events.jsonl", N, SEED)

    lines = path.read_bytes().splitlines()

    assert len(lines) == N
    assert json.loads(lines[-1]) == events[-1]


def test_the_generated_file_imports_with_no_errors(tmp_path: Path) -> None:
    path = generate.write(tmp_path / "events.jsonl", N, SEED + 2)
    app = Timeline(db=str(tmp_path / "store.db"))

    imported = app.import_file(path)

    assert (imported.new, imported.already) == (N, 0)
    app.close()


def test_every_operation_opens_with_its_launch_and_concludes_at_most_once(events: Events) -> None:
    first: dict[str, str] = {}
    conclusions: Counter[str] = Counter()
    for event in events:
        first.setdefault(event["operation"], event["type"])
        conclusions[event["operation"]] += event["type"] == "operation_concluded"

    assert len(first) >= 3
    assert set(first.values()) == {"operation_launched"}
    assert max(conclusions.values()) == 1


def test_a_place_is_given_in_full_before_it_is_named_and_no_two_places_share_a_key(
    events: Events,
) -> None:
    owner: dict[str, str] = {}
    full = by_name = 0
    for event in events:
        place = event.get("place") or event.get("changes", {}).get("place")
        if isinstance(place, dict):
            full += 1
            for name in (place["name"], *place.get("aliases", ())):
                assert owner.setdefault(name_key(name), place["name"]) == place["name"]
        elif place is not None:
            by_name += 1
            assert name_key(place) in owner, f"{place!r} named before it was given in full"

    assert len({owner[key] for key in owner}) >= 20
    assert by_name > full
    assert any("\u0600" <= ch <= "\u06ff" for key in owner for ch in key)


def test_corrections_and_retractions_name_earlier_events_of_their_operation(events: Events) -> None:
    seen: dict[str, tuple[str, str]] = {}
    corrected: set[str] = set()
    retracted: set[str] = set()
    for event in events:
        target = event.get("corrects") or event.get("retracts")
        if target is not None:
            operation, kind = seen[target]
            assert operation == event["operation"]
            assert not kind.startswith("report_")
            assert target not in retracted
        if "retracts" in event:
            assert event["retracts"] not in corrected
            retracted.add(event["retracts"])
        if "corrects" in event:
            corrected.add(event["corrects"])
        seen[event["id"]] = (event["operation"], event["type"])

    assert corrected
    assert retracted
    assert len(seen) == N


def test_dates_are_fuzzy_edtf_within_2014_to_2019(events: Events) -> None:
    dates = [event["occurred"] for event in events if "occurred" in event]
    dates += [s["published"] for event in events for s in event["sources"] if "published" in s]

    for text in dates:
        bounds = parse_edtf(text)
        assert bounds.earliest is None or bounds.earliest.year >= 2012
        assert bounds.latest is None or bounds.latest.year <= 2021

    assert any("/" in text for text in dates)
    assert any(text.endswith("/..") for text in dates)
    assert {"~", "?", "%"} <= {ch for text in dates for ch in text}
    assert any(len(text) == 7 for text in dates)  # a month


def test_sources_are_graded_and_some_text_is_hostile(events: Events) -> None:
    sources = [source for event in events for source in event["sources"]]
    text = " ".join(str(event.get("notes", "")) for event in events)
    text += " ".join(source.get("quote", "") for source in sources)

    assert {len(event["sources"]) for event in events} == {1, 2, 3, 4}
    assert {s["reliability"] for s in sources} == set("ABCDEF")
    assert {s["credibility"] for s in sources} == set("123456")
    assert "<script>" in text
    assert "DROP TABLE" in text
    assert "\n" in text


def test_the_command_line_refuses_a_size_out_of_range(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        generate.main(["--events", "10", "-o", str(tmp_path / "x.jsonl")])


def test_import_bench_runs_every_step_on_the_same_events(run: import_bench.Run) -> None:
    names = [step.name for step in run.steps]

    assert names == [import_bench.FLOOR, import_bench.WRITE_SIDE, import_bench.CLI]
    assert {step.events for step in run.steps} == {N}
    assert all(step.seconds > 0 and step.peak_rss_mib > 0 for step in run.steps)


def test_import_bench_gives_the_ratio_to_the_floor(run: import_bench.Run) -> None:
    ratio = run.ratio()

    assert math.isfinite(ratio)
    assert ratio > 0
    assert run.floor.times(run.floor) == 1


def test_import_bench_appends_a_dated_table_with_the_machine(
    run: import_bench.Run, tmp_path: Path
) -> None:
    results = tmp_path / "RESULTS.md"
    text = import_bench.report(run, "import_bench.py --events 2000", import_bench.machine())

    import_bench.append(results, text)
    import_bench.append(results, text)

    written = results.read_text(encoding="utf-8")
    assert written.startswith("# Import benchmark results")
    assert written.count("| step | events | seconds | events/s | × floor | peak RSS MiB |") == 2
    assert "SQLite" in written
    assert "eventsourcing" in written
    assert "`import_bench.py --events 2000`" in written


def test_import_bench_says_which_step_failed(tmp_path: Path) -> None:
    missing = Path(tmp_path / "missing.jsonl")

    with pytest.raises(import_bench.StepFailed, match="floor"):
        import_bench.floor(missing, tmp_path / "floor.db", N)


def test_the_scale_run_measures_every_step_and_question(tmp_path: Path) -> None:
    from benchmarks import run as scale

    table = scale.run(N, SEED, calls=5, cli_calls=2, work=tmp_path)

    steps = [line.split(" | ")[0].lstrip("| ") for line in table.splitlines() if "|" in line]
    for step in (
        "floor: sqlite3 executemany, one transaction",
        "timeline import --no-project (CLI)",
        "floor: raw sqlite3 copy of the stored events",
        "timeline project: every read model (CLI)",
        "timeline project: another writer's last 5 % (CLI)",
        "timeline project: a colleague's 100 events (CLI)",
        "ceiling: validation alone, pydantic, 2 processes",
        "ceiling: the import's stored rows alone, raw sqlite3",
        "ceiling: an events table alone (parse, 4 columns), one writer",
        "ceiling: the events read model alone (its 35 columns), one writer",
        "floor: one indexed SELECT, 500 rows (Python)",
        "show OPERATION, first 500 (Python)",
        "control PLACE --on DAY (Python)",
        "query --text WORD, first 500 (Python)",
        "query --between FROM TO, first 500 (Python)",
        "floor: one indexed SELECT, every row (Python)",
        "query --between FROM TO, every row (Python)",
        "timeline show, a table (process)",
        "timeline query --between, a table (process)",
        "baseline: sqlite-utils insert --nl + enable-fts",
        "timeline import, projecting (CLI): file to first answer",
    ):
        assert step in steps or f"{step} (median of 3" in table, step
    assert "File to first answer: " in table
    assert ", a ratio of " in table
    sized = {line.split(" | ")[0].lstrip("| "): line for line in table.splitlines()}
    assert {"input (JSON Lines)", "store", "read models"} <= sized.keys()
    assert any(s.startswith("report of the largest operation (") for s in steps)
    assert any(s.startswith("control map, every place (") for s in steps)
    assert (tmp_path / "report.html").stat().st_size > 0
    imported = next(line for line in table.splitlines() if "import --no-project" in line)
    assert f"| {N:,} |" in imported
    other = next(line for line in table.splitlines() if "another writer's" in line)
    caught_up = int(other.split(" | ")[1].replace(",", ""))
    assert 0 < caught_up <= N // 10  # only the other writer's events, not all again
    few = next(line for line in table.splitlines() if "a colleague's" in line)
    assert int(few.split(" | ")[1].replace(",", "")) == scale.SMALL_BATCH  # theirs alone
    for ceiling in (line for line in table.splitlines() if line.startswith("| ceiling:")):
        assert f"| {N:,} |" in ceiling, ceiling  # every line validated, every event written


def test_the_import_bench_puts_acled_beside_json_lines_in_one_run(tmp_path: Path) -> None:
    run = import_bench.bench(N, SEED, tmp_path, cli=False, acled=True)

    names = [step.name for step in run.steps]
    text = import_bench.report(run, "import_bench.py --acled", import_bench.machine())

    assert names == [import_bench.FLOOR, import_bench.WRITE_SIDE_ACLED, import_bench.WRITE_SIDE]
    assert all(step.events == N for step in run.steps)
    assert "ACLED's CSV" in text
    assert "times as long" in text
