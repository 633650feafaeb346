"""Where the read models live, and how they are kept, rebuilt and seen as of a past moment.

The read models are an SQLite file of their own beside the event store (`timeline.db` ->
`timeline.views.db`; for PostgreSQL, `$TIMELINE_VIEWS` or `timeline.views.db`), so that they
can be deleted and rebuilt at will, and opened with plain `sqlite3` or Datasette while the
store is being written.
"""

from __future__ import annotations

import fcntl
import heapq
import itertools
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from projections import derived, schema
from projections.projector import Projector, Stored, bounds, stored_states, utc_text
from timeline.environment import environmental, reason, unwritable
from timeline.errors import TimelineError
from timeline.names import name_key
from timeline.readings import Downgrades
from timeline.vocabulary import (
    NOT_EVENTS,
    RECORDED,
    REPORT_CORRECTED,
    SOURCE_DOWNGRADED,
    SOURCES_ADDED,
)

if TYPE_CHECKING:  # eventsourcing is needed to project, not to answer questions
    from projections.tracking import Given, ViewsRecorder
    from timeline.stores.recorder import TimelineRecorder


def views_path(db: str) -> str:
    """The read models' file for an event store named by a path or a URL."""
    if os.environ.get("TIMELINE_VIEWS"):
        return os.environ["TIMELINE_VIEWS"]
    if "://" in db:
        return "timeline.views.db"
    path = Path(db)
    return str(path.with_name(f"{path.stem}.views{path.suffix or '.db'}"))


def connect(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    connection.row_factory = sqlite3.Row
    return connection


class ReadModelsUnavailable(TimelineError):
    """The read models' file cannot be read, made or written: what is wrong with it is said,
    and nothing in it, or in the store, was lost."""


class Views:
    """The read models of one event store.

    One process at a time writes them (`writing`): a second catch-up, rebuild or first
    making of the file waits for the first to finish, then does what is left (usually
    nothing). Questions never wait, but for a rebuild: they wait for it to finish rather
    than read read models it has emptied."""

    def __init__(self, path: str, *, remake: bool = False) -> None:
        """Open the read models at `path`, making them if the file is new (or of an earlier
        layout). `remake`: remake those of a newer layout too, instead of refusing them."""
        self.path = path
        self._recorder: ViewsRecorder | None = None
        self._lock: int | None = None  # the lock file's descriptor while `writing`
        self._writing = 0
        with self._trouble("open"), closing(connect(path)) as connection:
            if schema.is_current(connection):
                return
            _check_file(connection, path, remake=remake)
        with self.writing(), self._trouble("make"), closing(connect(path)) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("BEGIN IMMEDIATE")  # questions see all of it, or none
            if not schema.is_current(connection):
                schema.create(connection)
            connection.execute("COMMIT")

    def check_writable(self) -> None:
        """Refuse at once if the read models cannot be written (a read-only file or
        directory): before a write to the store, so that nothing is left half done."""
        why = unwritable(self.path)
        if why is not None:
            raise ReadModelsUnavailable(f"cannot write the read models {self.path}: {why}")

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the read models for this process to write: a lock on the file beside them,
        NAME.lock, waited for if another process holds it (reentrant in this one)."""
        if self._writing:
            self._writing += 1
            try:
                yield
            finally:
                self._writing -= 1
            return
        lock = f"{self.path}.lock"
        with self._trouble("write"):
            try:
                descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:
                if not os.path.exists(lock):
                    raise
                descriptor = os.open(lock, os.O_RDONLY)  # made by another user: lock it
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            self._writing = 1
            yield
        finally:
            self._writing = 0
            os.close(descriptor)  # and with it the lock

    def _wait_for_rebuild(self, connection: sqlite3.Connection) -> None:
        """A question asked while a rebuild runs waits for it to finish (its emptied read
        models would answer wrongly meanwhile); one left unfinished is not waited for."""
        if self._writing or not schema.rebuilding(connection):
            return
        try:
            descriptor = os.open(f"{self.path}.lock", os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH)  # granted once no writer holds it
        finally:
            os.close(descriptor)

    @contextmanager
    def _trouble(self, doing: str) -> Iterator[None]:
        """SQLite's and the system's errors about the file, said as what they mean."""
        try:
            yield
        except ReadModelsUnavailable:
            raise
        except Exception as error:
            if not environmental(error):
                raise
            raise ReadModelsUnavailable(
                f"cannot {doing} the read models {self.path}: {reason(error, self.path)}"
            ) from None

    @property
    def recorder(self) -> ViewsRecorder:
        if self._recorder is None:
            from projections.tracking import open_recorder

            with self.writing(), self._trouble("open"):  # it may make its tracking table
                self._recorder = open_recorder(self.path)
        return self._recorder

    def connection(self) -> sqlite3.Connection:
        """A connection to read the read models (once any rebuild running has finished)."""
        with self._trouble("read"):
            connection = connect(self.path)
            try:
                self._wait_for_rebuild(connection)
            except BaseException:
                connection.close()
                raise
        return connection

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """`connection()`, closed afterwards, its errors said as what they mean."""
        with closing(self.connection()) as connection, self._trouble("read"):
            yield connection

    def position(self, name: str) -> int:
        with self._trouble("read"):
            return self.recorder.max_tracking_id(name) or 0

    def catch_up(
        self,
        source: TimelineRecorder,
        name: str,
        progress: Callable[[int], Any] | None = None,
        *,
        page_size: int | None = None,
        bulk_from: int | None = None,
        given: Given | None = None,
    ) -> int:
        """Project what the store holds after the tracked position (`given`: the rows a writer
        appended from a position on, as it holds them: projected without reading them back)."""
        from projections.tracking import catch_up

        with self.writing(), self._trouble("write"):
            return catch_up(
                source, name, self.recorder, progress=progress, page_size=page_size,
                bulk_from=bulk_from, given=given,
            )  # fmt: skip

    def rebuild(
        self,
        source: TimelineRecorder,
        name: str,
        progress: Callable[[int], Any] | None = None,
    ) -> int:
        """Delete every read model and project every event again. Emptied and made anew in
        one transaction, marked as rebuilding until projected: questions asked meanwhile wait
        for it."""
        with self.writing():
            self.close()
            with self._trouble("rebuild"), closing(connect(self.path)) as connection:
                connection.execute("BEGIN IMMEDIATE")
                schema.drop(connection)
                connection.execute("DROP TABLE IF EXISTS tracking")
                schema.create(connection)
                schema.mark_rebuilding(connection)
                connection.execute("COMMIT")
            return self.catch_up(source, name, progress)

    def as_of(
        self,
        *,
        recorded: datetime | None = None,
        known_by: date | None = None,
        min_grade: tuple[str, str] | None = None,
        operation: str | None = None,
        place: str | None = None,
        text: bool = True,
        stored: Stored | None = None,
    ) -> sqlite3.Connection:
        """The read models as they would have read at a past moment, in memory.

        `recorded`: only events appended by then. `known_by`: only sources published by then
        (a source counts once its latest possible publication day has passed; a source with no
        publication date does not count); `min_grade` (reliability, credibility): only
        sources graded that well or better count (`("C", "3")`: C3, B2, A1 ... but not D2 or
        B4); an event left with no source is left out.
        `operation`: replay only that operation's events (and every place); `place`: only that
        place and the events that are or ever were at it (with their corrections and
        retractions). For questions about one operation or one place, much faster on a large
        store. `text=False`: leave the full-text index empty (no --text question is asked).
        `stored`: the store's events by position, which the history keeps no copy of.
        """
        memory = connect(":memory:")
        with self.reading() as connection:
            tables, indexes = _schema(connection)
            for statement in tables:
                memory.execute(statement)
            rows = _replayed(_history(connection, recorded, operation, place, stored), stored)
            memory.execute("BEGIN")
            projector = Projector(memory.cursor(), fts=text)
            downgrades = Downgrades()  # those that count, for the grade filter
            if min_grade is not None:
                for _, _, downgrade in _downgrades(connection, recorded):
                    state = _filtered(orjson.loads(downgrade), known_by, min_grade, Downgrades())
                    if state is not None:
                        downgrades.add_record(state["record"])
            unsourced: set[str] = set()  # events left with no source, unless corroborated
            for position, topic, data in rows:
                state = orjson.loads(data)
                if topic == RECORDED:
                    record = state["record"]
                    found = _filtered(state, known_by, min_grade, downgrades)
                    if found is None and record["type"] not in NOT_EVENTS:
                        found = {**state, "record": {**record, "sources": []}}
                        unsourced.add(record["id"])  # kept while a corroboration may count
                    if found is None:
                        continue
                    if record["type"] == SOURCES_ADDED:
                        unsourced.discard(record["corroborates"])
                    state = found
                projector.apply(position, topic, state)
            projector.finish()
            _leave_out(memory, unsourced)
            for statement in indexes:  # built once, after the rows: faster than row by row
                memory.execute(statement)
            derived.refresh_stale(memory.cursor())
            memory.execute("COMMIT")
        return memory

    def close(self) -> None:
        if self._recorder is not None:
            self._recorder.datastore.close()
            self._recorder = None


def _check_file(connection: sqlite3.Connection, path: str, *, remake: bool) -> None:
    """Refuse to make read models in a file that holds something else, or read models of a
    newer layout (unless told to `remake` them): nothing is written to it."""
    (application_id,) = connection.execute("PRAGMA application_id").fetchone()
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    tables = {name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    )}  # fmt: skip
    if "stored_events" in tables:
        raise ReadModelsUnavailable(
            f"{path} is an event store, not read models: name the read models' file with "
            "--views (by default NAME.views.db, beside the store)"
        )
    if version > schema.VERSION and not remake:
        raise ReadModelsUnavailable(
            f"the read models {path} were made by a newer version of ops-timeline (layout "
            f"{version}; this one makes {schema.VERSION}): upgrade ops-timeline, or name "
            "another file with --views (or `timeline rebuild` them for this version)"
        )
    ours = application_id == schema.APPLICATION_ID or "tracking" in tables or version > 0
    if tables and not ours:
        listed = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise ReadModelsUnavailable(
            f"{path} is an SQLite database but not read models (its tables: {listed}): "
            "nothing was written to it; name another file with --views"
        )


def _leave_out(memory: sqlite3.Connection, event_ids: set[str]) -> None:
    """Take out the events no source counts for (before the derived models are made)."""
    if not event_ids:
        return
    ids = orjson.dumps(sorted(event_ids)).decode()
    chosen = "(SELECT position FROM events WHERE id IN (SELECT value FROM json_each(?)))"
    for table in ("actors", "sources", "events"):
        memory.execute(f"DELETE FROM {table} WHERE position IN {chosen}", (ids,))


def _filtered(
    state: dict[str, Any], known_by: date | None, min_grade: tuple[str, str] | None,
    downgrades: Downgrades,
) -> dict[str, Any] | None:  # fmt: skip
    """A stored Recorded event with only the sources that count (published by `known_by`,
    graded `min_grade` or better once `downgrades` are applied); None when none does."""
    if known_by is not None:
        found = _known_by(state, known_by)
        if found is None:
            return None
        state = found
    if min_grade is not None:
        return _graded(state, min_grade, downgrades)
    return state


def _known_by(state: dict[str, Any], day: date) -> dict[str, Any] | None:
    cutoff = day.isoformat()
    record = state["record"]
    sources = [
        source
        for source in record["sources"]
        if (latest := bounds(source.get("published"))[1]) is not None and latest <= cutoff
    ]
    if not sources:
        return None
    return {**state, "record": {**record, "sources": sources}}


def _graded(
    state: dict[str, Any], grade: tuple[str, str], downgrades: Downgrades
) -> dict[str, Any] | None:
    """The record with only its sources graded `grade` or better, once downgraded; None when
    none is (so a correction or a retraction on weaker sources does not count either, as
    `known_by`)."""
    record = state["record"]
    reliability, credibility = grade
    sources = [
        source for source in record["sources"]
        if (downgrades.of(source)[0] if downgrades else source["reliability"]) <= reliability
        and source["credibility"] <= credibility
    ]  # fmt: skip
    if not sources:
        return None
    return {**state, "record": {**record, "sources": sources}}


def _schema(connection: sqlite3.Connection) -> tuple[list[str], list[str]]:
    """The statements that make an empty copy of these read models: their tables, full-text
    indexes, triggers and the indexes projecting reads through (projector_indexes); then their
    other indexes. Taken from the file itself, so that an answer as of a past moment needs no
    sqlite-utils (which imports pandas where installed: slow to start)."""
    rows = connection.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    ).fetchall()
    virtual = [name for kind, name, _, sql in rows if sql.upper().startswith("CREATE VIRTUAL")]
    shadow = {f"{table}_{part}" for table in virtual
              for part in ("data", "idx", "content", "docsize", "config")}  # fmt: skip
    tables = [sql for kind, name, _, sql in rows if kind == "table" and name not in shadow]
    tables += [sql for kind, _, _, sql in rows if kind == "view"]  # events_text: the FTS reads it
    triggers = [sql for kind, _, _, sql in rows if kind == "trigger"]
    read = schema.projector_indexes()
    first = [sql for kind, name, _, sql in rows if kind == "index" and name in read]
    later = [sql for kind, name, _, sql in rows if kind == "index" and name not in read]
    return [*tables, *triggers, *first], later


REPLAYED_CHUNK = 5_000  # history rows whose stored events are read from the store at once


def _replayed(
    rows: Iterable[tuple[int, str, str | None]], stored: Stored | None
) -> Iterator[tuple[int, str, str | bytes]]:
    """The history's rows with their stored events: kept, or read from the store."""
    remaining = iter(rows)
    while chunk := list(itertools.islice(remaining, REPLAYED_CHUNK)):
        states = stored_states(((position, state) for position, _, state in chunk), stored)
        for (_, topic, _), (position, state) in zip(chunk, states, strict=True):
            yield position, topic, state


def _history(
    connection: sqlite3.Connection, recorded: datetime | None, operation: str | None,
    place: str | None, stored: Stored | None = None,
) -> Iterable[tuple[int, str, str | None]]:  # fmt: skip
    """The stored events to replay, in order: every one; or every place's and one operation's;
    or one place's own and those of the events ever at it."""
    before = ("recorded <= ?", [utc_text(recorded)]) if recorded is not None else ("1", [])
    columns = "position, topic, state"
    if operation is None and place is None:
        return connection.execute(
            schema.history_rows(columns, before[0], before[0]), before[1] + before[1]
        )
    downgrades = [  # they regrade events of every operation
        row for row in _downgrades(connection, recorded)
        if orjson.loads(row[2])["record"]["operation"] != operation
    ]  # fmt: skip
    if operation is not None:  # every place (their events are kept), and the operation's
        places = connection.execute(
            schema.history_rows(columns, f"operation IS NULL AND {before[0]}"), before[1]
        )
        within = f"operation = ? AND {before[0]}"
        chosen = connection.execute(
            schema.history_rows(columns, within, within), [operation, *before[1]] * 2
        )
    else:  # the place itself (its names), and the events ever at it
        places = connection.execute(  # its names: a place merged into it registered one
            schema.history_rows(columns, "operation IS NULL AND target IN "
                         f"(SELECT name FROM place_names WHERE place = ?) AND {before[0]}"),
            [place, *before[1]],
        )  # fmt: skip
        ids = orjson.dumps(sorted(_events_of_place(connection, str(place), stored))).decode()
        by_then = before[0].replace("?", "?2")
        chosen = connection.execute(
            schema.history_rows(
                columns,
                "(event_id IN (SELECT value FROM json_each(?1)) "
                f"OR target IN (SELECT value FROM json_each(?1))) AND {by_then}",
                f"e.id IN (SELECT value FROM json_each(?1)) AND {by_then}",
            ),
            [ids, *before[1]],
        )
    return heapq.merge(places, chosen, downgrades, key=lambda row: row[0])


def _downgrades(
    connection: sqlite3.Connection, recorded: datetime | None
) -> list[tuple[int, str, bytes]]:
    """The stored source_downgraded events (appended by `recorded`), in order: found through
    the downgrades table (few rows), read from the history by their ids."""
    before = ("AND h.recorded <= ?", [utc_text(recorded)]) if recorded is not None else ("", [])
    return connection.execute(
        "SELECT h.position, h.topic, h.state FROM downgrades d "
        f"JOIN history_kept h ON h.event_id = d.event_id WHERE h.type = ? {before[0]} "
        "ORDER BY h.position",
        [SOURCE_DOWNGRADED, *before[1]],
    ).fetchall()


def _events_of_place(
    connection: sqlite3.Connection, place: str, stored: Stored | None = None
) -> set[str]:
    """The ids of the events at this place now, and of those a correction ever moved to or
    from it (named by any of its names): every event that was at it at any moment."""
    keys = {key for (key,) in connection.execute(
        "SELECT key FROM place_names WHERE place = ?", (place,)
    )}  # fmt: skip
    found = {event_id for (event_id,) in connection.execute(
        "SELECT id FROM events WHERE place = ?", (place,)
    )}  # fmt: skip
    moved: dict[str, list[Any]] = {}
    for target, data in connection.execute(
        "SELECT target, state FROM history_kept WHERE target > '' AND type = ? "
        "AND instr(state, ?)",  # target > '': read through its index, not every event
        (REPORT_CORRECTED, '"place"'),
    ):
        changes = orjson.loads(data)["record"]["changes"]
        if "place" in changes:
            moved.setdefault(target, []).append(changes["place"])
    if moved:
        rows = connection.execute(
            "SELECT event_id, position, state FROM history_kept WHERE event_id IN "
            "(SELECT value FROM json_each(?)) AND type != ? ORDER BY position",
            (orjson.dumps(list(moved)).decode(), REPORT_CORRECTED),
        ).fetchall()
        states = stored_states(((position, state) for _, position, state in rows), stored)
        for (event_id, _, _), (_, data) in zip(rows, states, strict=True):
            moved[event_id].append(orjson.loads(data)["record"].get("place"))
    for event_id, named in moved.items():
        names = [name if isinstance(name, str) else name["name"] for name in named if name]
        if any(name_key(name) in keys for name in names):
            found.add(event_id)
    return found
