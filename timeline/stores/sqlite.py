"""The SQLite store: eventsourcing's SQLite application recorder, with the timeline's methods.

Selected by `PERSISTENCE_MODULE=timeline.stores.sqlite`; the tables are eventsourcing's own.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing import sqlite as eventsourcing_sqlite
from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteConnection, SQLiteCursor

from timeline.encoding import Row
from timeline.errors import NotAStore
from timeline.stores.recorder import (
    LOOK_UP_CHUNK,
    STORE_APPLICATION_ID,
    STORE_VERSION,
    Page,
    TimelineRecorder,
    check_version,
)

APPEND_CACHE_KIB = 256 * 1024  # SQLite's page cache while appending many rows at once
ROLLBACK_JOURNAL_FROM = 50_000  # rows: an SQLite append this large bypasses the WAL


class SQLiteTimelineRecorder(TimelineRecorder, SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder, with the timeline's methods."""

    def create_table(self) -> None:
        """eventsourcing's tables, in a file that is a store this version reads: a new file
        (or one made before versions were recorded) is marked as a store of STORE_VERSION
        (application_id, user_version); anything else is refused and left untouched."""
        where = str(self.datastore.pool.db_name)
        found = _what_file(where)  # before eventsourcing connects: it would make it WAL
        if found is None:
            with self.datastore.transaction(commit=False) as cursor:
                found = _what(cursor.sqlite_cursor)
        application_id, version, tables = found
        if application_id == STORE_APPLICATION_ID:
            check_version(version, where)
            super().create_table()
            return
        if application_id != 0 or (tables and self.events_table_name not in tables):
            raise NotAStore(_not_a_store(where, tables))
        try:
            with self.datastore.transaction(commit=True) as cursor:
                self._create_table(cursor)
                cursor.execute(f"PRAGMA application_id = {STORE_APPLICATION_ID}")
                cursor.execute(f"PRAGMA user_version = {STORE_VERSION}")
        except OperationalError:
            if self.events_table_name not in tables:
                raise
            # a store made before versions were recorded, in a read-only file: read as it is

    def append_rows(self, batches: Iterable[Sequence[Row]], *, count: int = 0) -> int:
        """Every batch inserted in one transaction.

        The transaction is given a larger page cache while it runs: with the default 2 MiB,
        the primary key's B-tree (stream ids are random UUIDs) spills to the WAL and is read
        back again and again. An append of ROLLBACK_JOURNAL_FROM rows or more also goes
        through a rollback journal when it can (see rollback_journal)."""
        total = 0
        with self.datastore.get_connection(commit=True) as connection:
            large = count >= ROLLBACK_JOURNAL_FROM
            journal = rollback_journal(connection) if large else nullcontext(False)
            with journal, connection.transaction(commit=True) as cursor:
                cursor.execute("PRAGMA cache_size")
                (cache_size,) = cursor.fetchone()
                cursor.execute(f"PRAGMA cache_size = {-APPEND_CACHE_KIB}")
                try:
                    for batch in batches:
                        self._insert_events(cursor, (), rows=batch)
                        total += len(batch)
                finally:
                    cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
        return total

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """eventsourcing's hook for what one transaction inserts, extended as its examples
        extend it. `rows`: events given as rows, inserted after `stored_events` by one
        `executemany` (rowids, the notification ids, follow the order of the rows; they are
        not returned)."""
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        rows: Sequence[Row] = kwargs.get("rows", ())
        if rows:
            c.executemany(self.insert_events_statement, rows)
        return notification_ids

    @contextmanager
    def taking_turns(self, keys: Sequence[str]) -> Iterator[None]:
        """A byte of NAME.writers.lock per key (its CRC), locked with fcntl (released when
        the process ends, however it ends)."""
        try:
            descriptor = os.open(f"{self.datastore.pool.db_name}.writers.lock",
                                 os.O_RDWR | os.O_CREAT, 0o644)  # fmt: skip
        except OSError:
            yield  # a directory that cannot be written: the write will say so
            return
        try:
            with ExitStack() as held:
                for offset in sorted({zlib.crc32(key.encode()) for key in keys}):
                    fcntl.lockf(descriptor, fcntl.LOCK_EX, 1, offset)
                    held.callback(fcntl.lockf, descriptor, fcntl.LOCK_UN, 1, offset)
                yield
        finally:
            os.close(descriptor)

    def select_first_events(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        rows = self._first_rows(
            [i.hex for i in originator_ids], "originator_id, originator_version, topic, state"
        )
        return [StoredEvent(UUID(row[0]), row[1], row[2], row[3]) for row in rows]

    def select_first_states(self, originator_ids: Sequence[str]) -> list[bytes]:
        return [row[0] for row in self._first_rows(originator_ids, "state")]

    def _first_rows(self, originator_ids: Sequence[str], columns: str) -> list[tuple[Any, ...]]:
        """These columns of the first stored event of each stream (ids as hex)."""
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(originator_ids), LOOK_UP_CHUNK):
            chunk = originator_ids[start : start + LOOK_UP_CHUNK]
            statement = (
                f"SELECT {columns} FROM {self.events_table_name} WHERE originator_version = 1 "
                f"AND originator_id IN ({', '.join('?' * len(chunk))})"
            )
            with self.datastore.transaction(commit=False) as cursor:
                sql = cursor.sqlite_cursor
                sql.row_factory = None  # plain tuples
                found += sql.execute(statement, chunk).fetchall()
        return found

    def read_page(self, after: int, limit: int, topics: Sequence[str]) -> Page:
        statement = (
            f"SELECT rowid, topic, state FROM {self.events_table_name} "
            f"WHERE rowid > ? AND topic IN ({', '.join('?' * len(topics))}) "
            "ORDER BY rowid LIMIT ?"
        )
        with self.datastore.transaction(commit=False) as cursor:
            sql = cursor.sqlite_cursor
            sql.row_factory = None  # plain tuples
            page: Page = sql.execute(statement, (after, *topics, limit)).fetchall()
            return page


@contextmanager
def rollback_journal(connection: SQLiteConnection) -> Iterator[bool]:
    """The store in a rollback journal (and back in WAL afterwards), if no other connection
    has it open; yields whether it is.

    In WAL mode every page of a large transaction is written twice: to the WAL, then into
    the database when the WAL is checkpointed at commit. With a rollback journal, pages added
    at the end of the file are written once and need no journal. A crash meanwhile leaves a
    hot journal, which the next connection rolls back before anything else. While the
    transaction runs, readers of the store wait for it (a WAL lets them read on); the read
    models are another file, so questions go on. Leaving WAL needs the store to itself: when
    another connection has it open, the switch fails at once and the append goes through the
    WAL as usual."""
    with connection.cursor() as cursor:
        (busy,) = cursor.execute("PRAGMA busy_timeout").fetchone()
        cursor.execute("PRAGMA busy_timeout = 0")
        try:
            (mode,) = cursor.execute("PRAGMA journal_mode = DELETE").fetchone()
        except sqlite3.OperationalError:  # "database is locked": another connection has it open
            mode = "wal"
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy)}")
    try:
        yield mode == "delete"
    finally:
        if mode == "delete":
            with connection.cursor() as cursor, suppress(sqlite3.OperationalError):
                cursor.execute("PRAGMA journal_mode = WAL")  # else the next connection sets WAL


def _what(cursor: sqlite3.Cursor) -> tuple[int, int, set[str]]:
    """An SQLite file's application id, user version and tables."""
    (application_id,) = cursor.execute("PRAGMA application_id").fetchone()
    (version,) = cursor.execute("PRAGMA user_version").fetchone()
    tables = {name for (name,) in cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    )}  # fmt: skip
    return application_id, version, tables


def _what_file(path: str) -> tuple[int, int, set[str]] | None:
    """`_what` of an existing file, read without writing to it; None if it is not a file or
    cannot be read so (SQLite's own connection then tells)."""
    file = Path(path)
    if not file.is_file() or file.stat().st_size == 0:
        return None
    try:
        with closing(sqlite3.connect(f"{file.absolute().as_uri()}?mode=ro", uri=True)) as db:
            return _what(db.cursor())
    except sqlite3.DatabaseError as error:
        if "not a database" in str(error):
            raise NotAStore(
                f"cannot open the store {path}: it is not an SQLite database ({error})"
            ) from None
        return None


def _not_a_store(where: str, tables: set[str]) -> str:
    if "tracking" in tables:  # the read models' tracking table
        return (
            f"{where} holds read models, not an event store: name the store with --db "
            "(the read models are the file beside it, NAME.views.db)"
        )
    listed = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
    return (
        f"{where} is an SQLite database but not an ops-timeline store (its tables: {listed}): "
        "nothing was written to it; name the store with --db"
    )


class Factory(eventsourcing_sqlite.Factory):
    """eventsourcing's SQLite factory, making the timeline's application recorder."""

    application_recorder_class = SQLiteTimelineRecorder
