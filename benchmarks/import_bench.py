"""How fast `timeline import` is, against the floor: the same lines into SQLite, raw.

    .venv/bin/python benchmarks/import_bench.py                 # 100,000 events
    .venv/bin/python benchmarks/import_bench.py --events 20000 --profile

Generates N synthetic events (benchmarks/generate.py), then runs each step in a fresh process
and measures its wall time and its peak resident memory (the child's own `ru_maxrss`, read
with `os.wait4`):

1. the floor: the same JSON lines inserted with `sqlite3` `executemany` in one transaction,
   into one table (id INTEGER PRIMARY KEY, line TEXT), WAL mode as eventsourcing uses it;
2. the write side alone: `Timeline(db).import_file(FILE)` (check, then append; no read models);
3. `timeline --db DB import FILE`, the command as analysts run it, end to end;
4. with `--acled`, the write side again on N rows of ACLED's current export (generate.py
   `--format acled`, the same seed): `Timeline(db).import_file(FILE, reader=Acled())`, beside
   step 2 in the same run.

Prints a markdown table (step, events, seconds, events/s, times the floor's time, peak RSS)
and appends it to benchmarks/RESULTS.md with the date, the machine and the command.
`--profile` also runs the command once under cProfile and prints where the time goes, with the
lines parsed in the importing process (TIMELINE_IMPORT_WORKERS=0): cProfile sees no other.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import write, write_acled  # noqa: E402

FLOOR = "floor: sqlite3 executemany, one transaction"
WRITE_SIDE = "write side: Timeline.import_file"
WRITE_SIDE_ACLED = "write side: Timeline.import_file, ACLED CSV"
CLI = "timeline import (CLI, end to end)"
_IMPORTED = re.compile(r"(\d+) new, (\d+) already recorded")


@dataclass(frozen=True)
class Step:
    name: str
    events: int
    seconds: float
    peak_rss_mib: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")

    def times(self, floor: Step) -> float:
        """How many times the floor's time this step takes (the floor's rate / this rate)."""
        return self.seconds / floor.seconds if floor.seconds > 0 else float("inf")


class StepFailed(RuntimeError):
    pass


# --- the steps, each in a fresh process -----------------------------------------------------


def measure(name: str, argv: list[str], events: int) -> tuple[Step, str]:
    """Run argv to completion; its wall time, its own peak RSS, and its standard output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if child.returncode != 0:
        raise StepFailed(f"{name}: exit code {child.returncode}\n{stdout}{stderr[-3000:]}")
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    return Step(name, events, seconds, peak), stdout


def floor(file: Path, db: Path, events: int) -> Step:
    step, stdout = measure(
        FLOOR, [sys.executable, __file__, "--child-floor", str(file), str(db)], events
    )
    _expect(step, int(json.loads(stdout)["rows"]), events)
    return step


def write_side(file: Path, db: Path, events: int) -> Step:
    code = (
        "import sys; from timeline.application import Timeline; "
        "print(Timeline(db=sys.argv[2]).import_file(sys.argv[1]))"
    )
    step, stdout = measure(WRITE_SIDE, [sys.executable, "-c", code, str(file), str(db)], events)
    _expect(step, _new(stdout), events)
    return step


def write_side_acled(file: Path, db: Path, events: int) -> Step:
    code = (
        "import sys; from timeline.application import Timeline; "
        "from timeline.readers.acled import Acled; "
        "print(Timeline(db=sys.argv[2]).import_file(sys.argv[1], reader=Acled()))"
    )
    step, stdout = measure(
        WRITE_SIDE_ACLED, [sys.executable, "-c", code, str(file), str(db)], events
    )
    _expect(step, _new(stdout), events)
    return step


def cli_import(file: Path, db: Path, events: int) -> Step:
    step, stdout = measure(CLI, [timeline_command(), "--db", str(db), "import", str(file)], events)
    _expect(step, _new(stdout), events)
    return step


def timeline_command() -> str:
    beside = Path(sys.executable).parent / "timeline"
    found = str(beside) if beside.exists() else shutil.which("timeline")
    if found is None:
        raise StepFailed("no `timeline` command: pip install -e . first")
    return found


def _new(stdout: str) -> int:
    match = _IMPORTED.search(stdout)
    if match is None:
        raise StepFailed(f"unexpected output: {stdout!r}")
    if int(match[2]):
        raise StepFailed(f"expected a fresh store, got {match[0]!r}")
    return int(match[1])


def _expect(step: Step, stored: int, events: int) -> None:
    if stored != events:
        raise StepFailed(f"{step.name}: stored {stored} of {events} events")


def child_floor(file: str, db: str) -> None:
    """The floor, in the child: every line as it is, one executemany, one transaction."""
    connection = sqlite3.connect(db, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, line TEXT)")
    with open(file, encoding="utf-8") as lines:
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO events (line) VALUES (?)", ((line.rstrip("\n"),) for line in lines)
        )
        connection.execute("COMMIT")
    (rows,) = connection.execute("SELECT count(*) FROM events").fetchone()
    connection.close()
    print(json.dumps({"rows": rows}))


# --- a run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    events: int
    seed: int
    file_bytes: int
    generate_seconds: float
    steps: list[Step]
    acled_bytes: int = 0

    @property
    def floor(self) -> Step:
        return self.steps[0]

    def ratio(self, name: str = CLI) -> float:
        step = next(s for s in self.steps if s.name == name)
        return step.times(self.floor)


def bench(
    events: int, seed: int, workdir: Path, *, cli: bool = True, acled: bool = False
) -> Run:
    """Generate the file (and ACLED's), then run each step, each into a store of its own:
    the write side on JSON Lines and on ACLED one after the other."""
    workdir.mkdir(parents=True, exist_ok=True)
    file = workdir / f"events-{events}-{seed}.jsonl"
    start = time.perf_counter()
    write(file, events, seed)
    generated = time.perf_counter() - start
    steps = [floor(file, workdir / "floor.db", events)]
    acled_bytes = 0
    if acled:
        csv = write_acled(workdir / f"acled-{events}-{seed}.csv", events, seed)
        acled_bytes = csv.stat().st_size
        steps.append(write_side_acled(csv, workdir / "write-side-acled.db", events))
    steps.append(write_side(file, workdir / "write-side.db", events))
    if cli:
        steps.append(cli_import(file, workdir / "cli.db", events))
    return Run(events, seed, file.stat().st_size, generated, steps, acled_bytes)


def table(run: Run) -> str:
    rows = [
        "| step | events | seconds | events/s | × floor | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for step in run.steps:
        rows.append(
            f"| {step.name} | {step.events:,} | {step.seconds:.2f} | {step.rate:,.0f} | "
            f"{step.times(run.floor):.1f} | {step.peak_rss_mib:.0f} |"
        )
    return "\n".join(rows)


# --- where, and on what ---------------------------------------------------------------------


def machine() -> dict[str, str]:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpus": str(cpus),
        "cpu": model,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "eventsourcing": version("eventsourcing"),
        "pydantic": version("pydantic"),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "commit": _commit(),
    }


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "timeline", "projections"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} (timeline/ or projections/ modified)" if dirty else head


def report(run: Run, command: str, info: dict[str, str]) -> str:
    today = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    cli = [s for s in run.steps if s.name == CLI]
    summary = (
        f"`timeline import` stored {cli[0].rate:,.0f} events/s, the floor "
        f"{run.floor.rate:,.0f}: {run.ratio():.0f} times slower, at "
        f"{cli[0].peak_rss_mib:.0f} MiB peak."
        if cli
        else f"The floor stored {run.floor.rate:,.0f} events/s."
    )
    acled = [s for s in run.steps if s.name == WRITE_SIDE_ACLED]
    if acled:
        jsonl = next(s for s in run.steps if s.name == WRITE_SIDE)
        summary += (
            f" ACLED's CSV ({run.acled_bytes / 2**20:.0f} MiB) imported at "
            f"{acled[0].rate:,.0f} rows/s, JSON Lines at {jsonl.rate:,.0f} events/s: "
            f"{acled[0].seconds / jsonl.seconds:.2f} times as long."
        )
    return "\n".join(
        [
            f"### {today}: {run.events:,} events",
            "",
            f"- command: `{command}`",
            f"- machine: {info['cpus']} CPUs ({info['cpu']}), {info['system']}, "
            f"load average {info['load']} at the start",
            f"- Python {info['python']}, SQLite {info['sqlite']}, eventsourcing "
            f"{info['eventsourcing']}, pydantic {info['pydantic']}; commit {info['commit']}",
            f"- file: {run.events:,} events (seed {run.seed}), {run.file_bytes / 2**20:.0f} MiB, "
            f"generated in {run.generate_seconds:.1f} s",
            "",
            table(run),
            "",
            summary,
            "",
        ]
    )


def append(path: Path, text: str) -> None:
    if not path.exists():
        path.write_text(
            "# Import benchmark results\n\n"
            "Appended by `benchmarks/import_bench.py`; each step runs in a fresh process. "
            "`× floor` is the step's time over the floor's (the floor's rate over its rate).\n\n"
            "## Runs\n",
            encoding="utf-8",
        )
    with path.open("a", encoding="utf-8") as results:
        results.write("\n" + text)


# --- the profile ----------------------------------------------------------------------------

# (label, file suffix, function): the parts of an import, as cProfile names them. The profile
# runs with TIMELINE_IMPORT_WORKERS=0, so that parsing, done by forked workers otherwise, shows.
PARTS = [
    ("whole command", "timeline/cli/writing.py", "import_"),
    ("write side: Timeline.import_file", "timeline/application.py", "import_file"),
    ("  lines parsed: timeline.intake (workers' share)", "timeline/intake.py", "parse_line"),
    ("    JSON -> record: pydantic validation", "timeline/validation.py", "parse_record"),
    ("    the record's canonical JSON (pydantic)", "timeline/registry.py", "record_json"),
    ("    content fingerprint (blake2b of the record's JSON)", "timeline/registry.py", "digest"),
    ("  UnitOfWork.add_parsed (the rules, in order)", "timeline/unit_of_work.py", "add_parsed"),
    ("    Operation.check (the rules)", "timeline/operation.py", "check"),
    ("    Recorded written as bytes", "timeline/encoding.py", "recorded"),
    ("    gazetteer: resolve place names", "timeline/gazetteer.py", "resolve"),
    ("    gazetteer: check full places", "timeline/gazetteer.py", "check_place"),
    ("    gazetteer: learn places", "timeline/gazetteer.py", "learn"),
    ("  stored ids looked up (not into an empty store)", "timeline/unit_of_work.py", "look_up"),
    ("  rows kept, or pickled to the spool", "timeline/application.py", "add"),
    ("  SQL inserts, one transaction", "timeline/stores/sqlite.py", "append_rows"),
    ("read models: project()", "timeline/api.py", "project"),
]


def profile(file: Path, db: Path, out: Path) -> str:
    """Run the command once under cProfile; the parts of PARTS and the top functions."""
    argv = [
        sys.executable,
        "-m",
        "cProfile",
        "-o",
        str(out),
        timeline_command(),
        "--db",
        str(db),
        "import",
        str(file),
    ]
    in_process = {**os.environ, "TIMELINE_IMPORT_WORKERS": "0"}
    subprocess.run(argv, check=True, capture_output=True, env=in_process)
    import pstats

    stats = pstats.Stats(str(out))
    entries = stats.stats  # type: ignore[attr-defined]
    total = max(cumulative for _, _, _, cumulative, _ in entries.values())
    lines = [
        f"cProfile of `timeline import` ({total:.1f} s under the profiler):",
        "",
        "| part | calls | seconds | share |",
        "|---|---:|---:|---:|",
    ]
    for label, suffix, function in PARTS:
        found = [
            (calls, cumulative)
            for (path, _, name), (_, calls, _, cumulative, _) in entries.items()
            if name == function and path.endswith(suffix)
        ]
        if found:
            calls = sum(c for c, _ in found)
            seconds = max(s for _, s in found)
            lines.append(f"| {label} | {calls:,} | {seconds:.2f} | {seconds / total:.0%} |")
    lines += [
        "",
        "Top 15 by own time:",
        "",
        "| function | calls | own s | cumulative s |",
        "|---|---:|---:|---:|",
    ]
    ranked = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[:15]
    for (path, line, name), (_, calls, own, cumulative, _) in ranked:
        where = name if path == "~" else f"{_short(path)}:{line}({name})"
        lines.append(f"| `{where}` | {calls:,} | {own:.2f} | {cumulative:.2f} |")
    return "\n".join(lines)


def _short(path: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return Path(path).name


# --- the command ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child-floor"]:
        child_floor(argv[1], argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="default 100,000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the files and stores")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to append")
    parser.add_argument("--no-append", action="store_true", help="print only")
    parser.add_argument("--profile", action="store_true", help="also profile the command")
    parser.add_argument(
        "--acled", action="store_true",
        help="also import N rows of ACLED's export through the write side, beside JSON Lines",
    )  # fmt: skip
    parser.add_argument("--no-cli", action="store_true", help="leave out the CLI end to end")
    args = parser.parse_args(argv)
    command = shlex.join([_relative(sys.executable), _relative(__file__), *argv])
    info = machine()
    workdir = Path(tempfile.mkdtemp(prefix="import-bench-"))
    try:
        run = bench(args.events, args.seed, workdir, cli=not args.no_cli, acled=args.acled)
        text = report(run, command, info)
        print(text)
        if not args.no_append:
            append(args.results, text)
            print(f"appended to {args.results}", file=sys.stderr)
        if args.profile:
            file = workdir / f"events-{args.events}-{args.seed}.jsonl"
            print(profile(file, workdir / "profiled.db", workdir / "import.prof"))
    except StepFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _relative(path: str) -> str:
    try:
        return str(Path(path).absolute().relative_to(Path.cwd()))
    except ValueError:
        return path


if __name__ == "__main__":
    sys.exit(main())
