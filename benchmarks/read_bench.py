"""The read side, measured: projection catch-up and question latency, each against a floor.

    python benchmarks/read_bench.py --events 100000

1. Generates N synthetic events (benchmarks/generate.py) and imports them (not timed here:
   benchmarks/import_bench.py measures that).
2. Floor: raw sqlite3 reads the same stored events and inserts their bytes into one table in
   one transaction. Then the catch-up of every read model, in a fresh process (peak memory).
3. Question latency, p50 and p95: `show`, `control --on`, `query --text`, `query --between`
   with random arguments, inside Python (the first page of 500, as a question answers by
   default, then every row; and `show` and `control` as of the last moment recorded, which
   replay history in memory) and as whole CLI processes as a user types them (a table of the
   first 500; and one CSV of every row), beside a floor (one indexed SELECT of as many rows
   in Python; `python -c pass` for a process).

Prints a table and appends it, with the machine and the command, to benchmarks/RESULTS.md.
`--store PATH` measures the questions only, on a store and read models built beforehand.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import write  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
AS_OF_CALLS = 10  # answers as of a past moment replay history in memory: seconds, not ms

CATCH_UP = """
import json, resource, sys, time
from projections.views import Views
from timeline.application import Timeline
app = Timeline(db=sys.argv[1])
views = Views(sys.argv[2])
start = time.perf_counter()
count = views.catch_up(app.recorder, app.name)
seconds = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"count": count, "seconds": seconds, "rss": rss}))
"""

FLOOR = """
import json, resource, sqlite3, sys, time
start = time.perf_counter()
source = sqlite3.connect(sys.argv[1])
target = sqlite3.connect(sys.argv[2])
target.execute("PRAGMA journal_mode=WAL")
target.execute("CREATE TABLE copy (position INTEGER PRIMARY KEY, topic TEXT, state BLOB)")
rows = source.execute("SELECT rowid, topic, state FROM stored_events WHERE topic IN (?, ?, ?)",
                      sys.argv[3:6])
with target:
    target.executemany("INSERT INTO copy VALUES (?, ?, ?)", rows)
seconds = time.perf_counter() - start
count = target.execute("SELECT count(*) FROM copy").fetchone()[0]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"count": count, "seconds": seconds, "rss": rss}))
"""


@dataclass
class Latency:
    name: str
    samples: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p95(self) -> float:
        return (
            statistics.quantiles(self.samples, n=20)[-1] * 1000
            if len(self.samples) > 1
            else self.p50
        )


def latency_table(latencies: list[Latency]) -> list[str]:
    """Markdown rows: each question's p50 and p95, and its p50 over its floor's p50 (each
    `floor:` row is the floor of the rows after it)."""
    lines = [
        "| question | calls | p50 ms | p95 ms | p50 / floor p50 | p95 / floor p95 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    floor = latencies[0]
    for latency in latencies:
        if latency.name.startswith("floor:"):
            floor = latency
        lines.append(
            f"| {latency.name} | {len(latency.samples)} | {latency.p50:.1f} | "
            f"{latency.p95:.1f} | {latency.p50 / floor.p50:.1f} | {latency.p95 / floor.p95:.1f} |"
        )
    return lines


def child(script: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=ROOT,
        check=True,
    )  # fmt: skip
    found: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return found


def _fetch_all(db: sqlite3.Connection, sql: str, operation: str) -> list[Any]:
    return db.execute(sql, (operation,)).fetchall()


def timed(calls: Sequence[Callable[[], object]]) -> list[float]:
    samples = []
    for call in calls:
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def arguments(views: str, rng: random.Random, count: int) -> dict[str, list[Any]]:
    with sqlite3.connect(views) as db:
        operations = [r[0] for r in db.execute("SELECT operation FROM operations")]
        places = [r[0] for r in db.execute("SELECT DISTINCT place FROM control")]
        days = [r[0] for r in db.execute(
            "SELECT occurred_mid FROM events WHERE occurred_mid IS NOT NULL "
            "ORDER BY random() LIMIT 200"
        )]  # fmt: skip
        notes = " ".join(r[0] for r in db.execute(
            "SELECT notes FROM events WHERE notes IS NOT NULL ORDER BY random() LIMIT 200"
        ))  # fmt: skip
    words = sorted({word for word in notes.split() if word.isalpha() and len(word) >= 5})
    windows = []
    for _ in range(count):
        start = rng.choice(days)
        windows.append((start, start[:8] + "28" if start[8:] < "28" else start))
    return {
        "show": [rng.choice(operations) for _ in range(count)],
        "control": [(rng.choice(places), rng.choice(days)) for _ in range(count)],
        "text": [rng.choice(words) for _ in range(count)],
        "between": windows,
    }


def python_latency(store: str, args: dict[str, list[Any]]) -> list[Latency]:
    """The questions in Python: the first page of 500 (what a question answers by default),
    then every row; each beside its floor, raw sqlite3 reading as many rows by an index."""
    from timeline.api import OpsTimeline

    ops = OpsTimeline(store)
    raw = sqlite3.connect(ops.views.path)

    def floor(limit: str) -> list[Callable[[], object]]:
        sql = f"SELECT * FROM events WHERE operation = ? ORDER BY occurred_mid {limit}"
        return [partial(_fetch_all, raw, sql, op) for op in args["show"]]

    def asked(limit: int | None) -> list[Latency]:
        label = "first 500" if limit else "every row"
        control = [partial(ops.control, p, on=d) for p, d in args["control"]]
        return [
            Latency(f"show OPERATION, {label} (Python)",
                    timed([partial(ops.show, o, limit=limit) for o in args["show"]])),
            *([Latency("control PLACE --on DAY (Python)", timed(control))] if limit else []),
            Latency(f"query --text WORD, {label} (Python)",
                    timed([partial(ops.query, text=w, limit=limit) for w in args["text"]])),
            Latency(f"query --between FROM TO, {label} (Python)",
                    timed([partial(ops.query, between=b, limit=limit)
                           for b in args["between"]])),
        ]  # fmt: skip

    found = [Latency("floor: one indexed SELECT, 500 rows (Python)", timed(floor("LIMIT 500")))]
    found += asked(500)
    found.append(Latency("floor: one indexed SELECT, every row (Python)", timed(floor(""))))
    found += asked(None)
    moment = raw.execute("SELECT max(recorded) FROM history").fetchone()[0]
    few = {key: values[:AS_OF_CALLS] for key, values in args.items()}
    found += [
        Latency("show OPERATION --as-recorded (last moment), first 500 (Python)",
                timed([partial(ops.show, o, as_recorded=moment) for o in few["show"]])),
        Latency("control PLACE --as-recorded (last moment) (Python)",
                timed([partial(ops.control, p, as_recorded=moment)
                       for p, _ in few["control"]])),
    ]  # fmt: skip
    ops.close()
    return found


def cli_latency(store: str, args: dict[str, list[Any]], count: int) -> list[Latency]:
    command = [sys.executable, "-m", "timeline.cli", "--db", store]

    def run(*argv: str) -> Callable[[], object]:
        return lambda: subprocess.run([*command, *argv], capture_output=True, check=True)

    def python_pass() -> object:
        return subprocess.run([sys.executable, "-c", "pass"], check=True)

    pick = {key: values[:count] for key, values in args.items()}
    return [
        Latency("floor: python -c pass (process)", timed([python_pass] * count)),
        Latency("timeline show, a table (process)",
                timed([run("show", o) for o in pick["show"]])),
        Latency("timeline control --on (process)",
                timed([run("control", p, "--on", d) for p, d in pick["control"]])),
        Latency("timeline query --text, a table (process)",
                timed([run("query", "--text", w) for w in pick["text"]])),
        Latency("timeline query --between, a table (process)",
                timed([run("query", "--between", *b) for b in pick["between"]])),
        Latency("timeline query --between --format csv, every row (process)",
                timed([run("query", "--between", *b, "--format", "csv")
                       for b in pick["between"]])),
    ]  # fmt: skip


def machine() -> str:
    from benchmarks.import_bench import machine as facts

    info = facts()
    return (
        f"{info['cpu']}, {info['cpus']} cores; Python {info['python']}; SQLite "
        f"{info['sqlite']}; eventsourcing {info['eventsourcing']}; load {info['load']}"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every read-side benchmark takes: how many events, which seed, how many
    question calls."""
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--calls", type=int, default=200, help="question calls in Python")
    parser.add_argument("--cli-calls", type=int, default=20, help="question calls as processes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument(
        "--store", metavar="PATH",
        help="ask the questions of this existing store and its read models (PATH.views.db) "
        "instead of generating, importing and projecting --events events",
    )  # fmt: skip
    options = parser.parse_args(argv)
    if options.store:
        return questions_only(options)

    from timeline.application import Timeline
    from timeline.vocabulary import PROJECTED_TOPICS as TOPICS

    with tempfile.TemporaryDirectory() as work:
        data = write(Path(work) / "events.jsonl", options.events, options.seed)
        store = str(Path(work) / "store.db")
        app = Timeline(db=store)
        app.import_file(data)
        app.close()
        floor = child(FLOOR, store, str(Path(work) / "floor.db"), *TOPICS)
        projection = child(CATCH_UP, store, str(Path(work) / "store.views.db"))
        args = arguments(
            str(Path(work) / "store.views.db"), random.Random(options.seed), options.calls
        )
        latencies = python_latency(store, args) + cli_latency(store, args, options.cli_calls)

    floor_rate = floor["count"] / floor["seconds"]
    rate = projection["count"] / projection["seconds"]
    lines = [
        f"### Read side, {options.events:,} events ({time.strftime('%Y-%m-%d')})",
        "",
        f"Command: `python benchmarks/read_bench.py --events {options.events} --seed "
        f"{options.seed} --calls {options.calls} --cli-calls {options.cli_calls}`  ",
        f"Machine: {machine()}",
        "",
        "| step | stored events | seconds | events/s | ratio to floor | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|",
        f"| floor: raw sqlite3 copy of the same stored events | {floor['count']:,} | "
        f"{floor['seconds']:.2f} | {floor_rate:,.0f} | 1.00 | {floor['rss']:.0f} |",
        f"| catch-up of every read model | {projection['count']:,} | "
        f"{projection['seconds']:.2f} | {rate:,.0f} | {rate / floor_rate:.3f} | "
        f"{projection['rss']:.0f} |",
        "",
        *latency_table(latencies),
    ]
    return _publish(lines, options)


def questions_only(options: argparse.Namespace) -> int:
    """Question latency on a store built beforehand (a 1,000,000-event store takes minutes
    to import and project): the latency table only."""
    from projections.views import views_path

    views = views_path(options.store)
    with sqlite3.connect(views) as db:
        events = db.execute("SELECT count(*) FROM events").fetchone()[0]
    args = arguments(views, random.Random(options.seed), options.calls)
    latencies = python_latency(options.store, args)
    latencies += cli_latency(options.store, args, options.cli_calls)
    lines = [
        f"### Questions, {events:,} events in the read models ({time.strftime('%Y-%m-%d')})",
        "",
        f"Command: `python benchmarks/read_bench.py --store STORE --seed {options.seed} "
        f"--calls {options.calls} --cli-calls {options.cli_calls}`  ",
        f"Machine: {machine()}",
        "",
        *latency_table(latencies),
    ]
    return _publish(lines, options)


def _publish(lines: list[str], options: argparse.Namespace) -> int:
    """Print the table and, unless told not to, append it to RESULTS.md."""
    table = "\n".join(lines) + "\n"
    print(table)
    if not options.no_record:
        with RESULTS.open("a", encoding="utf-8") as results:
            results.write("\n" + table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
