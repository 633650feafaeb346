"""Scale: every step of ops-timeline on one generated file, each against a floor.

    .venv/bin/python benchmarks/run.py --events 1000000

One run, one file (benchmarks/generate.py), each step in a fresh process with its own peak
resident memory:

1. the floor: raw sqlite3 `executemany` of the same JSON lines into one table, one transaction;
2. `timeline import --no-project`, as a whole CLI process (validation included);
3. `timeline project`: the catch-up of every read model (its floor: raw sqlite3 copying the
   same stored events' bytes into one table); and the catch-up of another writer's events as
   a team's store meets them: read models up to date with the file's first 95 %, the next 5 %
   appended by another writer, then `timeline project` (against the same floor); then a
   colleague's last 100 events, and `timeline project` again;
4. question latency, p50 and p95, over random `show`, `control --on`, `query --text` and
   `query --between` calls, in Python and as whole CLI processes (floors: one indexed SELECT;
   `python -c pass`);
5. the report of the largest operation, and the control map over every place;
6. peak RSS of each step;
7. ceilings (benchmarks/ceilings.py): validation alone, the import's stored rows written
   alone, an events table alone and the events read model alone, which no import or
   catch-up of these models can beat;
8. file to first answer: `timeline import` as a user runs it (projecting), into a store of
   its own, against what a Datasette user does instead to get a searchable table:
   `sqlite-utils insert --nl --alter` (a later line may add keys) of the same file, then
   `sqlite-utils enable-fts` (median of three). The ratio is the baseline's time over
   ours: 1.0 or more, we are as fast;
9. the size on disk of the store and of the read models, per event and per input byte.

Prints one table and appends it, with the machine and the command, to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import shlex
import sys
import tempfile
from collections.abc import Callable
from dataclasses import astuple
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import ceilings, import_bench, read_bench  # noqa: E402
from benchmarks.generate import write  # noqa: E402
from benchmarks.import_bench import Step, StepFailed, measure, timeline_command  # noqa: E402

_PROJECTED = re.compile(r"(\d+) events projected")

FIGURES = """
import json, sqlite3, sys, time
from timeline.api import OpsTimeline
ops = OpsTimeline(sys.argv[1])
start = time.perf_counter()
if sys.argv[2] == "report":
    largest = ops.operations()
    largest = max(largest, key=lambda row: row["events"])
    ops.report(largest["operation"], sys.argv[3])
    print(json.dumps({"events": largest["events"], "seconds": time.perf_counter() - start}))
else:
    every = [row["operation"] for row in ops.operations()]
    figure = ops.figure("map", every)
    figure.write_html(sys.argv[3], include_plotlyjs=True)
    places = sqlite3.connect(ops.views.path).execute("SELECT count(*) FROM places").fetchone()[0]
    print(json.dumps({"events": places, "seconds": time.perf_counter() - start}))
"""


def floor_projection(store: Path, copy: Path) -> Step:
    from timeline.vocabulary import PROJECTED_TOPICS as TOPICS

    step, out = measure(
        "floor: raw sqlite3 copy of the stored events",
        [sys.executable, "-c", read_bench.FLOOR, str(store), str(copy), *TOPICS],
        0,
    )
    return Step(step.name, json.loads(out)["count"], step.seconds, step.peak_rss_mib)


def import_step(file: Path, store: Path, events: int) -> Step:
    name = "timeline import --no-project (CLI)"
    argv = [timeline_command(), "--db", str(store), "import", "--no-project", str(file)]
    step, out = measure(name, argv, events)
    if f"{events} new" not in out:
        raise StepFailed(f"{name}: {out!r}")
    return step


FLOOR_RUNS = 3  # the floors write through the WAL: their time swings with the disk's


def median_of(runs: int, run_one: Callable[[Path], Step], work: Path, name: str) -> Step:
    """The floor's median run of `runs`, each into a file of its own, deleted after it (one
    1M run of the import's floor took 7.3 s and, 20 minutes later, 12.1 s)."""
    steps = []
    for n in range(runs):
        db = work / f"{name}-{n}.db"
        steps.append(run_one(db))
        for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            path.unlink(missing_ok=True)
    steps.sort(key=lambda step: step.seconds)
    middle = steps[len(steps) // 2]
    seconds = ", ".join(f"{step.seconds:.2f}" for step in steps)
    return Step(f"{middle.name} (median of {runs}: {seconds} s)", *astuple(middle)[1:])


FTS_COLUMNS = ("notes", "place", "sources")  # the searchable text a JSON Lines event holds


def sqlite_utils_baseline(file: Path, db: Path, events: int) -> Step:
    """`sqlite-utils insert DB events FILE --nl`, then `sqlite-utils enable-fts` on the
    notes, places and sources: a searchable table, as a Datasette user makes it."""
    command = str(Path(sys.executable).parent / "sqlite-utils")
    loaded, _ = measure(
        "sqlite-utils insert --nl",
        [command, "insert", str(db), "events", str(file), "--nl", "--alter"],
        events,
    )
    indexed, _ = measure(
        "sqlite-utils enable-fts", [command, "enable-fts", str(db), "events", *FTS_COLUMNS],
        events,
    )
    return Step(
        "baseline: sqlite-utils insert --nl + enable-fts", events,
        loaded.seconds + indexed.seconds, max(loaded.peak_rss_mib, indexed.peak_rss_mib),
    )  # fmt: skip


def projecting_import_step(file: Path, store: Path, events: int) -> Step:
    """`timeline import FILE` as a user runs it: the read models brought up to date too."""
    name = "timeline import, projecting (CLI): file to first answer"
    argv = [timeline_command(), "--db", str(store), "import", str(file)]
    step, out = measure(name, argv, events)
    if f"{events} new" not in out:
        raise StepFailed(f"{name}: {out!r}")
    return step


def sizes(file: Path, store: Path, events: int) -> list[str]:
    """The store's and the read models' bytes on disk, and the input's."""
    views = store.with_name(f"{store.stem}.views{store.suffix}")
    given = file.stat().st_size
    lines = ["", "| file | MB | KB per event | times the input |", "|---|---:|---:|---:|"]
    for label, path in (("input (JSON Lines)", file), ("store", store), ("read models", views)):
        size = sum(
            part.stat().st_size
            for part in (path, path.with_name(path.name + "-wal"))
            if part.exists()
        )
        lines.append(
            f"| {label} | {size / 1e6:.1f} | {size / events / 1e3:.2f} | {size / given:.2f} |"
        )
    return lines


def project_step(store: Path) -> Step:
    name = "timeline project: every read model (CLI)"
    step, out = measure(name, [timeline_command(), "--db", str(store), "project"], 0)
    match = _PROJECTED.search(out)
    if match is None:
        raise StepFailed(f"{name}: {out!r}")
    return Step(step.name, int(match[1]), step.seconds, step.peak_rss_mib)


OTHER_WRITER_SHARE = 0.05  # of the file: another writer's events, appended after a catch-up
SMALL_BATCH = 100  # then a colleague's few events: what a team's catch-up meets most days


def other_writer_steps(file: Path, work: Path, events: int) -> tuple[Step, Step]:
    """`timeline project` of other writers' events, as a team's store meets them: read
    models brought up to date with the file but for its last 5 % and 100 events; then those
    5 % appended by another writer (`import --no-project`), and their catch-up timed; then
    the last 100 appended, and theirs timed."""
    names = ("timeline project: another writer's last 5 % (CLI)",
             f"timeline project: a colleague's {SMALL_BATCH} events (CLI)")  # fmt: skip
    store = work / "team.db"
    parts = [work / "head.jsonl", work / "share.jsonl", work / "few.jsonl"]
    few = min(SMALL_BATCH, events // 10)
    share = max(1, int((events - few) * OTHER_WRITER_SHARE))
    with file.open("rb") as lines, contextlib.ExitStack() as stack:
        written = [stack.enter_context(part.open("wb")) for part in parts]
        for n, line in enumerate(lines):
            written[(n >= events - few - share) + (n >= events - few)].write(line)

    def append(part: Path) -> None:
        argv = [timeline_command(), "--db", str(store), "import", "--no-project", str(part)]
        _, out = measure(f"{names[0]}: set-up", argv, 0)
        if " new" not in out:
            raise StepFailed(f"{names[0]}: {out!r}")

    append(parts[0])
    project_step(store)  # the read models, up to date
    timed = []
    for name, part in zip(names, parts[1:], strict=True):
        append(part)  # another writer's events
        step = project_step(store)
        timed.append(Step(name, step.events, step.seconds, step.peak_rss_mib))
    return timed[0], timed[1]


def figure_step(store: Path, kind: str, out: Path) -> tuple[Step, int]:
    name = {"report": "report of the largest operation", "map": "control map, every place"}[kind]
    step, stdout = measure(name, [sys.executable, "-c", FIGURES, str(store), kind, str(out)], 0)
    found = json.loads(stdout.splitlines()[-1])
    return Step(step.name, found["events"], step.seconds, step.peak_rss_mib), found["events"]


def run(events: int, seed: int, calls: int, cli_calls: int, work: Path) -> str:
    file = write(work / "events.jsonl", events, seed)
    store = work / "store.db"
    floor = median_of(FLOOR_RUNS, lambda db: import_bench.floor(file, db, events), work, "floor")
    imported = import_step(file, store, events)
    validated = ceilings.validation(file)
    rows_alone = ceilings.stored_rows(store, work / "rows.db")
    projection_floor = median_of(FLOOR_RUNS, lambda db: floor_projection(store, db), work, "copy")
    projected = project_step(store)
    events_alone = ceilings.events_table(store, work / "events.db")
    model_alone = ceilings.events_model(store, work / "store.views.db", work / "model.db")
    other_writer, colleague = other_writer_steps(file, work, events)
    # Before the questions asked in this process: a child's peak RSS, as Linux reports it,
    # is at least this process's own at the fork (1M: 877 MiB for the report, not its 309).
    baseline = median_of(
        FLOOR_RUNS, lambda db: sqlite_utils_baseline(file, db, events), work, "sqlite-utils"
    )
    first_answer = projecting_import_step(file, work / "projecting.db", events)
    report, largest = figure_step(store, "report", work / "report.html")
    drawn, places = figure_step(store, "map", work / "map.html")
    args = read_bench.arguments(str(work / "store.views.db"), random.Random(seed), calls)
    latencies = read_bench.python_latency(str(store), args)
    latencies += read_bench.cli_latency(str(store), args, cli_calls)

    lines = [
        "| step | events | seconds | events/s | ratio to its floor | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    pairs = [(floor, floor), (imported, floor), (validated, floor), (rows_alone, floor)]
    pairs += [(projection_floor, projection_floor), (projected, projection_floor)]
    pairs += [(other_writer, projection_floor), (colleague, projection_floor)]
    pairs += [(events_alone, projection_floor), (model_alone, projection_floor)]
    for step, against in pairs:
        lines.append(
            f"| {step.name} | {step.events:,} | {step.seconds:.2f} | {step.rate:,.0f} | "
            f"{against.seconds / step.seconds * step.events / against.events:.3f} | "
            f"{step.peak_rss_mib:.0f} |"
        )
    lines.append(
        f"| {report.name} ({largest:,} events) | | {report.seconds:.2f} | | | "
        f"{report.peak_rss_mib:.0f} |"
    )
    lines.append(
        f"| {drawn.name} ({places:,} places) | | {drawn.seconds:.2f} | | | "
        f"{drawn.peak_rss_mib:.0f} |"
    )
    for step in (baseline, first_answer):
        lines.append(
            f"| {step.name} | {step.events:,} | {step.seconds:.2f} | {step.rate:,.0f} | "
            f"{baseline.seconds / step.seconds:.3f} | {step.peak_rss_mib:.0f} |"
        )
    lines += [
        "",
        f"File to first answer: {first_answer.seconds:.2f} s against {baseline.seconds:.2f} s "
        f"for sqlite-utils, a ratio of {baseline.seconds / first_answer.seconds:.2f} (goal: "
        "1.0 or more).",
    ]
    lines += sizes(file, work / "projecting.db", events)
    lines += ["", *read_bench.latency_table(latencies)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    read_bench.add_arguments(parser)
    parser.add_argument("--no-append", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--workdir", type=Path, help="keep the files here (default: a temp dir)")
    options = parser.parse_args(argv)
    command = "python benchmarks/run.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory() as temporary:
        work = options.workdir or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        table = run(options.events, options.seed, options.calls, options.cli_calls, work)
    info = import_bench.machine()
    text = (
        f"\n### Scale run: {options.events:,} events\n\n- command: `{command}`\n"
        f"- machine: {info['cpus']} CPUs ({info['cpu']}), load average {info['load']} at the end\n"
        f"- Python {info['python']}, SQLite {info['sqlite']}, eventsourcing "
        f"{info['eventsourcing']}, pydantic {info['pydantic']}; commit {info['commit']}\n\n{table}"
    )
    print(text)
    if not options.no_append:
        with import_bench.RESULTS.open("a", encoding="utf-8") as results:
            results.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
