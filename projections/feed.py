"""A bulk catch-up's feed: the store's pages read, and their new events' rows built, by a
forked process while this one writes the rows of the page before (in SQLite, which leaves the
second CPU idle otherwise).

The forked process keeps its own copy of the gazetteer (the `places` and `place_names` rows as
committed when it starts, then every place event of the pages it reads), so that it resolves
each place as the projecting process would at the same point. It builds the rows of every new
event of a page at the page's end, as `Projector.flush` does; place events, corrections and
retractions cross as they were stored, for the projecting process to apply (a correction reads
the rows it corrects). What crosses is plain tuples, marshalled (faster than pickled), without
the stored events' bytes, which the projecting process reads itself (that costs less than
sending them): parsed records would cost more to send than to parse again.

Only for a large backlog of an SQLite store on a machine with two CPUs or more; elsewhere, or
with TIMELINE_PROJECT_WORKERS=0, the catch-up reads and builds in its own process. The rows
are the same either way (tests compare them).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import sqlite3
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import closing
from multiprocessing.connection import Connection, Pipe
from typing import Any

import orjson

from projections.projector import (
    EDIT,
    EDITS,
    NEW,
    PLACE,
    RECORDED,
    TOPICS,
    BuiltPage,
    Projector,
    history_keys,
    new_entry,
    utc_text,
)
from timeline.errors import TimelineError

FORK_FROM = 20_000  # a backlog at least this long is read and built by a forked process
WORKERS_VARIABLE = "TIMELINE_PROJECT_WORKERS"


def select_page(
    cursor: sqlite3.Cursor, table: str, after: int, limit: int
) -> list[tuple[int, str, bytes]]:
    """(position, topic, state) of the next `limit` stored events the read models project,
    from an eventsourcing SQLite store's table, as plain tuples."""
    cursor.row_factory = None
    return cursor.execute(
        f"SELECT rowid, topic, state FROM {table} WHERE rowid > ? "
        f"AND topic IN ({', '.join('?' * len(TOPICS))}) ORDER BY rowid LIMIT ?",
        (after, *TOPICS, limit),
    ).fetchall()


def store_file(source: Any) -> str | None:
    """The file of an SQLite event store (None: another kind of store, or one in memory)."""
    if not type(source).__module__.startswith("eventsourcing.sqlite"):
        return None
    name = str(source.datastore.pool.db_name)
    return None if "memory" in name else name


def wanted(source: Any, backlog: int) -> bool:
    """Whether to fork: TIMELINE_PROJECT_WORKERS if set (0: never), else on Linux with two
    CPUs or more; for a backlog of FORK_FROM events or more, of an SQLite file."""
    if backlog < FORK_FROM or store_file(source) is None or not hasattr(os, "fork"):
        return False
    setting = os.environ.get(WORKERS_VARIABLE, "").strip()
    if setting:
        if not setting.isdigit():
            msg = f"{WORKERS_VARIABLE} must be 0 (no forked process) or 1, not {setting!r}"
            raise TimelineError(msg)
        return int(setting) > 0
    return sys.platform == "linux" and (os.cpu_count() or 1) >= 2


def built_pages(
    source: Any, views: str, after: int, page_size: int
) -> Iterator[tuple[int, int, BuiltPage]]:
    """(last position, number of stored events, page) for every page after `after`, read and
    built by a forked process; `views`: the read models' file, whose gazetteer it starts from.
    Close the iterator to stop the process early."""
    store, table = store_file(source), source.events_table_name
    assert store is not None
    sys.stdout.flush()  # else the child would write what waits in these buffers a second time
    sys.stderr.flush()
    receiver, sender = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: it never returns, whatever happens
        try:
            receiver.close()
            _work(store, table, views, after, page_size, sender)
        finally:
            os._exit(0)
    sender.close()
    try:
        while True:
            try:
                kind, last, count, payload = marshal.loads(receiver.recv_bytes())
            except EOFError:
                raise RuntimeError("the process reading the event store died") from None
            if kind == "end":
                return
            if kind == "bug":
                raise RuntimeError(f"the process reading the event store failed:\n{payload}")
            yield last, count, payload
    finally:
        receiver.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # done already, or not needed any more
        os.waitpid(pid, 0)


def _work(
    store: str, table: str, views: str, after: int, page_size: int, sender: Connection
) -> None:
    """The forked process: send every page built, then "end"; or the traceback that stopped
    it."""
    try:
        builder = _builder(views)
        with closing(sqlite3.connect(store)) as connection:
            while page := select_page(connection.cursor(), table, after, page_size):
                after = page[-1][0]
                sender.send_bytes(marshal.dumps(("page", after, len(page), build(builder, page))))
        sender.send_bytes(marshal.dumps(("end", 0, 0, None)))
    except BaseException:
        sender.send_bytes(marshal.dumps(("bug", 0, 0, traceback.format_exc())))
    finally:
        sender.close()


def _builder(views: str) -> Projector:
    """A projector on an in-memory copy of the read models' gazetteer."""
    memory = sqlite3.connect(":memory:", isolation_level=None)
    with closing(sqlite3.connect(views)) as connection:
        for name in ("places", "place_names"):
            (create,) = connection.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            ).fetchone()
            memory.execute(create)
            rows = connection.execute(f"SELECT * FROM [{name}]").fetchall()
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                memory.executemany(f"INSERT INTO [{name}] VALUES ({marks})", rows)
    return Projector(memory.cursor(), {}, fts=False)


def build(builder: Projector, page: Sequence[tuple[int, str, bytes]]) -> BuiltPage:
    """The items of a page, one for each stored event, and the rows of its new events (see
    projector.BuiltPage), resolving places through `builder`'s gazetteer, which the page's
    place events update."""
    items: list[Any] = []
    new: list[tuple[list[Any], dict[str, Any]]] = []
    for position, topic, data in page:
        state = orjson.loads(data)
        if topic != RECORDED:
            builder.apply(position, topic, state, data)
            items.append((PLACE,))
            continue
        record = state["record"]
        if record["type"] in EDITS:
            items.append((EDIT,))
            continue
        recorded = state["timestamp"] = utc_text(state["timestamp"])
        place = builder.resolve(record.get("place"))
        item = [NEW, (position, recorded, topic, *history_keys(state)),
                place and place["name"], record["operation"], 0, 0]  # fmt: skip
        items.append(item)
        new.append((item, new_entry(position, record, recorded)))
    builder._history.clear()  # the place events' rows: the projecting process writes them
    events: list[tuple[Any, ...]] = []
    actors: list[tuple[Any, ...]] = []
    sources: list[tuple[Any, ...]] = []
    rows = {"events": events, "fts": [], "actors": actors, "sources": sources}
    for item, entry in new:  # at the page's end, as Projector.flush builds them
        had_actors, had_sources = len(actors), len(sources)
        builder._rows_of(entry, rows)
        item[4], item[5] = len(actors) - had_actors, len(sources) - had_sources
    return items, events, actors, sources
