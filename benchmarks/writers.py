"""Concurrent writers on one store, SQLite and PostgreSQL, in one run.

    .venv/bin/python benchmarks/writers.py                       # 1, 2, 4 writers; 100,000
    .venv/bin/python benchmarks/writers.py --records 100 --events 20000 --no-append

For each store, and 1, 2 and 4 writer processes started at once (each its own process, as
analysts' are):

1. `record`, one operation: each writer records `--records` events one by one (Timeline.record)
   into one shared operation, each naming a new place every tenth: the writers take turns;
2. `record`, an operation each: the same, each writer into its own operation;
3. `import`, an operation each: each writer imports a file of `--file-events` events of its
   own operation (`timeline import --no-project`), the issue's four analysts.

Then `timeline import --no-project` of `--events` generated events (benchmarks/generate.py)
into an empty store of each kind. The baseline is each step's own one writer, in the same run:
throughput (events a second, all writers together) and its ratio to one writer's. Every
writer must succeed and the store must hold every event: a failure ends the run.

PostgreSQL: `--postgres URL` (default TIMELINE_TEST_POSTGRES or the local `test` database);
each measurement gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import import_bench  # noqa: E402
from benchmarks.generate import write  # noqa: E402

POSTGRES = os.environ.get("TIMELINE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
WRITERS = (1, 2, 4)
RECORD_EACH = """
import json, sys
from contextlib import closing
from timeline.application import Timeline
with closing(Timeline(db=sys.argv[1])) as app, open(sys.argv[2], encoding="utf-8") as lines:
    records = [json.loads(line) for line in lines]
    print("ready", flush=True)
    sys.stdin.read()  # wait for the word go
    print(sum(app.record(record, unlaunched=True) for record in records))
"""
SOURCE = {"outlet": "Benchmark", "reliability": "C", "credibility": "3"}
ACTORS = [{"force": "Iraqi Army", "side": "Iraq", "role": "attacker"}]


def records_of(writer: int, operation: str, count: int, run: str) -> list[dict[str, Any]]:
    """`count` captures by one writer: a new town every tenth, named by name in between."""
    records = []
    for n in range(count):
        town, step = divmod(n, 10)
        name = f"{run} town {writer}-{town}"
        place: Any = name
        if step == 0:
            place = {"name": name, "lat": 30 + town * 0.05, "lon": 40 + writer * 0.2,
                     "kind": "town"}  # fmt: skip
        records.append({
            "id": f"{run}/{writer}/{n}", "type": "place_captured", "operation": operation,
            "occurred": "2017-11-03", "place": place, "actors": ACTORS, "sources": [SOURCE],
        })  # fmt: skip
    return records


def write_file(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


@contextmanager
def sqlite_store(work: Path) -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(dir=work))
    yield str(folder / "timeline.db")


@contextmanager
def postgres_store(url: str) -> Iterator[str]:
    import psycopg

    schema = f"timeline_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield f"{url}?schema={schema}"
        finally:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _env() -> dict[str, str]:
    return {**os.environ, "TIMELINE_IMPORT_WORKERS": "0"}


def concurrently(commands: list[list[str]], stdin: bool) -> float:
    """Start every command, then (with `stdin`: once each has said it is ready) let them go
    at once; the seconds from go to the last one's end. A writer that fails ends the run."""
    processes = [subprocess.Popen(
        command, cwd=ROOT, env=_env(), text=True, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, stdin=subprocess.PIPE if stdin else None,
    ) for command in commands]  # fmt: skip
    if stdin:
        for process in processes:  # each has started Python, opened the store, read its file
            assert process.stdout is not None
            assert process.stdout.readline() == "ready\n"
    began = time.perf_counter()
    if stdin:
        for process in processes:
            assert process.stdin is not None
            process.stdin.close()
            process.stdin = None  # communicate() then only reads
    outputs = [process.communicate() for process in processes]
    codes = [process.returncode for process in processes]
    done = [(code, *output) for code, output in zip(codes, outputs, strict=True)]
    seconds = time.perf_counter() - began
    failed = [(code, err) for code, _, err in done if code != 0 or err]
    if failed:
        raise SystemExit(f"a writer failed: {failed}")
    return seconds


def stored_events(db: str) -> int:
    from timeline.application import Timeline

    with closing(Timeline(db=db)) as app:
        return sum(1 for _ in app.log())


Measure = Callable[[str, int, Path], float]


def record_one_operation(db: str, writers: int, folder: Path, count: int) -> float:
    _launch(db)
    files = [write_file(folder / f"r{w}.jsonl", records_of(w, "shared", count, "one"))
             for w in range(writers)]  # fmt: skip
    return concurrently([[sys.executable, "-c", RECORD_EACH, db, str(f)] for f in files], True)


def record_own_operations(db: str, writers: int, folder: Path, count: int) -> float:
    _launch(db)
    files = [write_file(folder / f"o{w}.jsonl", records_of(w, f"op-{w}", count, "own"))
             for w in range(writers)]  # fmt: skip
    return concurrently([[sys.executable, "-c", RECORD_EACH, db, str(f)] for f in files], True)


def import_own_operations(db: str, writers: int, folder: Path, count: int) -> float:
    _launch(db)
    files = [write_file(folder / f"i{w}.jsonl", records_of(w, f"import-{w}", count, "imp"))
             for w in range(writers)]  # fmt: skip
    return concurrently([
        [sys.executable, "-m", "timeline.cli", "--db", db, "import", "--no-project",
         "--unlaunched", str(f)] for f in files
    ], False)  # fmt: skip


def _launch(db: str) -> None:
    """The store made (and an event in it) before the writers start."""
    from timeline.application import Timeline

    with closing(Timeline(db=db)) as app:
        app.record({"id": "launch", "type": "operation_launched", "operation": "shared",
                    "occurred": "2017-11-03", "sources": [SOURCE]})  # fmt: skip


def run(records: int, file_events: int, events: int, postgres: str, work: Path) -> str:
    stores: dict[str, Callable[[], Any]] = {
        "SQLite": lambda: sqlite_store(work),
        "PostgreSQL": lambda: postgres_store(postgres),
    }
    steps: list[tuple[str, Callable[[str, int, Path, int], float], int]] = [
        ("record, one operation", record_one_operation, records),
        ("record, an operation each", record_own_operations, records),
        ("import, an operation each", import_own_operations, file_events),
    ]
    lines = [
        "| store | writers | step | events | seconds | events/s | times one writer's rate |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for store_name, store in stores.items():
        for step_name, step, count in steps:
            single = None
            for writers in WRITERS:
                folder = Path(tempfile.mkdtemp(dir=work))
                with store() as db:
                    seconds = step(db, writers, folder, count)
                    total = writers * count
                    assert stored_events(db) == total + 1, (store_name, step_name, writers)
                rate = total / seconds
                single = single or rate
                lines.append(f"| {store_name} | {writers} | {step_name} | {total:,} | "
                             f"{seconds:.2f} | {rate:,.0f} | {rate / single:.2f} |")  # fmt: skip
                print(lines[-1], flush=True)
    generated = write(work / "events.jsonl", events, 1)
    for store_name, store in stores.items():
        with store() as db:
            seconds = concurrently([[sys.executable, "-m", "timeline.cli", "--db", db,
                                     "import", "--no-project", str(generated)]], False)  # fmt: skip
            assert stored_events(db) == events
        lines.append(f"| {store_name} | 1 | import of generated events | {events:,} | "
                     f"{seconds:.2f} | {events / seconds:,.0f} | |")  # fmt: skip
        print(lines[-1], flush=True)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200, help="each writer's records")
    parser.add_argument("--file-events", type=int, default=5_000, help="each writer's file")
    parser.add_argument("--events", type=int, default=100_000, help="the large import")
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--no-append", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        table = run(args.records, args.file_events, args.events, args.postgres, Path(folder))
    info = import_bench.machine()
    command = "benchmarks/writers.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = (
        f"\n## Concurrent writers ({time.strftime('%Y-%m-%d')})\n\n"
        f"- command: `.venv/bin/python {command.strip()}`\n"
        f"- machine: {info['cpus']} CPUs ({info['cpu']}), load average {info['load']} at the "
        "end; shared with other engineers' test runs while measured\n\n" + table + "\n"
    )
    print(text)
    if not args.no_append:
        with import_bench.RESULTS.open("a", encoding="utf-8") as results:
            results.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
