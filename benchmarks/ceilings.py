"""Ceilings: the least work an import or a catch-up of the same file can do, measured.

The floors (benchmarks/run.py) copy bytes; these do the one part of the job no design can
skip, and nothing else, so that a goal can be checked against what this machine allows:

1. validation alone: every line through the record's pydantic validator, in two processes
   (one per core), with no rule, no canonical JSON and nothing written;
2. the import's rows alone: the rows `timeline import` stored (one an event, the
   operation's `Recorded`, and its id's row of `event_ids`) copied with sqlite3 `executemany`
   into an empty store of the same schema, one transaction, through a rollback journal as
   the import writes them;
3. an events table alone: every stored event read in pages and parsed, and one row of four
   columns (position, id, operation, type) inserted for it, keyed by id as the read model's
   `events` is, with no other table, index, full-text index or derived model;
4. the events read model alone: the same, with the projector's own row of 35 columns (places
   resolved, dates worked out, sources summed up), into the read models' `events` table
   without its secondary indexes; corrections and retractions are skipped.

An import that validates every line and then writes what it stores takes at least (1) + (2);
a catch-up that writes an `events` table at all runs no faster than (3), and one that writes
the `events` read model as questions read it no faster than (4).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from benchmarks.import_bench import Step, StepFailed, measure
from timeline.vocabulary import RECORDED

VALIDATION = """
import json, os, sys
from timeline.events import RECORD
validate = RECORD.validator.validate_json
read, write = os.pipe()
workers = []
for k in range(2):
    pid = os.fork()
    if pid == 0:
        count = 0
        with open(sys.argv[1], "rb") as lines:
            for n, line in enumerate(lines):
                if n % 2 == k:
                    validate(line)
                    count += 1
        os.write(write, b"%d\\n" % count)
        os._exit(0)
    workers.append(pid)
os.close(write)
for pid in workers:
    _, status = os.waitpid(pid, 0)
    if status:
        sys.exit("a validating process failed")
with os.fdopen(read) as told:
    print(json.dumps({"count": sum(int(line) for line in told)}))
"""

STORED_ROWS = """
import json, sqlite3, sys
source = sqlite3.connect(sys.argv[1])
target = sqlite3.connect(sys.argv[2], isolation_level=None)
target.execute("PRAGMA journal_mode=DELETE")
target.execute("PRAGMA cache_size=-262144")
target.execute(
    "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, "
    "state BLOB, PRIMARY KEY (originator_id, originator_version))"
)
target.execute("BEGIN")
written = target.executemany(
    "INSERT INTO stored_events VALUES (?, ?, ?, ?)",
    source.execute(
        "SELECT originator_id, originator_version, topic, state FROM stored_events "
        "ORDER BY rowid"
    ),
).rowcount
target.execute(
    "CREATE TABLE event_ids (event_id TEXT PRIMARY KEY, digest TEXT NOT NULL, "
    "operation TEXT NOT NULL) WITHOUT ROWID"
)
target.executemany("INSERT INTO event_ids VALUES (?, ?, ?)", source.execute(
    "SELECT event_id, digest, operation FROM event_ids"
))
target.execute("COMMIT")
print(json.dumps({"count": written}))
"""

# The two events ceilings: this loop, after a prelude that opens `target` (argv[2]) and
# defines `insert` and `rows_of(page)`; the stored events of topic argv[3] are read from
# argv[1].
PAGES = """
source = sqlite3.connect(sys.argv[1])
after = count = 0
while True:
    page = source.execute(
        "SELECT rowid, state FROM stored_events WHERE rowid > ? AND topic = ? "
        "ORDER BY rowid LIMIT 20000",
        (after, sys.argv[3]),
    ).fetchall()
    if not page:
        break
    after = page[-1][0]
    rows = rows_of(page)
    target.execute("BEGIN")
    target.executemany(insert, rows)
    target.execute("COMMIT")
    count += len(page)
print(json.dumps({"count": count}))
"""

_OPEN_TARGET = """
import json, sqlite3, sys
import orjson
from timeline.stores.packing import unpack  # states are stored packed, as a catch-up reads them
target = sqlite3.connect(sys.argv[2], isolation_level=None)
target.execute("PRAGMA journal_mode=WAL")
target.execute("PRAGMA synchronous=NORMAL")
target.execute("PRAGMA cache_size=-131072")
"""

EVENTS_TABLE = (
    _OPEN_TARGET
    + """
target.execute(
    "CREATE TABLE events (position INTEGER PRIMARY KEY, id TEXT UNIQUE, operation TEXT, "
    "type TEXT)"
)
insert = "INSERT INTO events VALUES (?, ?, ?, ?)"


def rows_of(page):
    rows = []
    for position, state in page:
        record = orjson.loads(unpack(state))["record"]
        rows.append((position, record["id"], record["operation"], record["type"]))
    return rows
"""
    + PAGES
)

EVENTS_MODEL = (
    _OPEN_TARGET
    + """
from projections import schema
from projections.projector import _INSERT_EVENT as insert, Projector
schema.create(target)
for name in schema.deferred_indexes():
    target.execute(f"DROP INDEX [{name}]")
target.execute("ATTACH ? AS projected", (sys.argv[4],))  # the gazetteer, as projected
target.execute("INSERT INTO places SELECT * FROM projected.places")
target.execute("INSERT INTO place_names SELECT * FROM projected.place_names")
target.execute("DETACH projected")
projector = Projector(target.cursor(), fts=False)


def rows_of(page):
    rows = {"events": [], "fts": [], "actors": [], "sources": []}
    for position, state in page:
        state = orjson.loads(unpack(state))
        record = state["record"]
        if record["type"] in ("report_corrected", "report_retracted"):
            continue
        entry = {
            "record": record, "status": "active", "recorded": state["timestamp"],
            "position": position, "corrected_by": None, "corrected": None,
            "retracted_by": None,
        }
        projector._rows_of(entry, rows)
    return rows["events"]
"""
    + PAGES
)


def validation(file: Path) -> Step:
    name = "ceiling: validation alone, pydantic, 2 processes"
    step, out = measure(name, [sys.executable, "-c", VALIDATION, str(file)], 0)
    return Step(name, _count(name, out), step.seconds, step.peak_rss_mib)


def stored_rows(store: Path, copy: Path) -> Step:
    """Its events: the store's `Recorded` events, counted here, outside the time measured."""
    name = "ceiling: the import's stored rows alone, raw sqlite3"
    argv = [sys.executable, "-c", STORED_ROWS, str(store), str(copy)]
    step, out = measure(name, argv, 0)
    with closing(sqlite3.connect(store)) as db:
        rows, events = db.execute(
            "SELECT count(*), count(*) FILTER (WHERE topic = ?) FROM stored_events", (RECORDED,)
        ).fetchone()
    if _count(name, out) != rows:
        raise StepFailed(f"{name}: wrote {_count(name, out)} of {rows} rows")
    return Step(name, events, step.seconds, step.peak_rss_mib)


def events_table(store: Path, copy: Path) -> Step:
    name = "ceiling: an events table alone (parse, 4 columns), one writer"
    argv = [sys.executable, "-c", EVENTS_TABLE, str(store), str(copy), RECORDED]
    step, out = measure(name, argv, 0)
    return Step(name, _count(name, out), step.seconds, step.peak_rss_mib)


def events_model(store: Path, views: Path, copy: Path) -> Step:
    name = "ceiling: the events read model alone (its 35 columns), one writer"
    argv = [sys.executable, "-c", EVENTS_MODEL, str(store), str(copy), RECORDED, str(views)]
    step, out = measure(name, argv, 0)
    return Step(name, _count(name, out), step.seconds, step.peak_rss_mib)


def _count(name: str, out: str) -> int:
    try:
        return int(json.loads(out.splitlines()[-1])["count"])
    except (IndexError, KeyError, ValueError) as error:
        raise StepFailed(f"{name}: {out!r}") from error
