"""The SQLite store: eventsourcing's SQLite application recorder, with the timeline's methods.

Selected by `PERSISTENCE_MODULE=timeline.stores.sqlite`; the events' tables are
eventsourcing's own, beside them the table of event ids (`event_ids`) and the events' hashes
(`event_hashes`, timeline.stores.chain).
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

from eventsourcing import sqlite as eventsourcing_sqlite
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteCursor,
)

from timeline import encoding
from timeline.encoding import Batch, IdRow, Row
from timeline.errors import NotAStore
from timeline.stores import plain
from timeline.stores.chain import ChainedRow, Heads, first_versions, links
from timeline.stores.packing import unpack
from timeline.stores.recorder import (
    LOOK_UP_CHUNK,
    STORE_APPLICATION_ID,
    STORE_VERSION,
    EventIdsTaken,
    PackedStates,
    Page,
    TimelineRecorder,
    check_version,
    packed,
    packed_events,
    readable,
    taken_ids,
)
from timeline.vocabulary import CLAIMED

APPEND_CACHE_KIB = 256 * 1024  # SQLite's page cache while appending many rows at once
ROLLBACK_JOURNAL_FROM = 50_000  # rows: an SQLite append this large bypasses the WAL


class SQLiteTimelineRecorder(TimelineRecorder, SQLiteApplicationRecorder):
    """eventsourcing's SQLite application recorder, with the timeline's methods."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.event_ids_table} (event_id TEXT PRIMARY KEY, "
            "digest TEXT NOT NULL, operation TEXT NOT NULL) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {self.hashes_table} (originator_id TEXT, "
            "originator_version INTEGER, hash BLOB NOT NULL, "
            "PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID",
        ]

    def create_table(self) -> None:
        """eventsourcing's tables and the timeline's, in a file that is a store this version
        reads: a new file is marked as a store of STORE_VERSION (application_id,
        user_version); a store of an earlier version (or one made before versions were
        recorded: version 1) is migrated (`migrate`); anything else is refused and left
        untouched."""
        where = str(self.datastore.pool.db_name)
        found = _what_file(where)  # before eventsourcing connects: it would make it WAL
        if found is None:
            with self.datastore.transaction(commit=False) as cursor:
                found = _what(cursor.sqlite_cursor)
        application_id, version, tables = found
        if application_id == STORE_APPLICATION_ID:
            check_version(version, where)
        elif application_id != 0 or (tables and self.events_table_name not in tables):
            raise NotAStore(_not_a_store(where, tables))
        elif self.events_table_name in tables:
            version = 1  # made before versions were recorded
        else:
            with self.datastore.transaction(commit=True) as cursor:
                self._create_table(cursor)
                self._mark(cursor)
            return
        if version == STORE_VERSION:
            super().create_table()
            return
        try:
            self.migrate(version)
        except OperationalError as error:
            if "readonly" not in str(error):
                raise
            # a read-only store of an earlier version: read as it is, refused any write

    def migrate(self, found: int = 1) -> None:
        """A store of version `found` made a store of this version, in one transaction. From
        version 1: the table of event ids made and filled from its claims (each id's `Claimed`
        event, whose stream stays but is read no more), and every stored event's hash
        chained. From version 2 the version alone is marked: its states stay JSON, which
        version 3 reads. Idempotent: ids and hashes already in the tables are kept."""
        super().create_table()  # the new tables, empty
        with self.datastore.transaction(commit=True) as cursor:
            if found < 2:
                self._migrate_from_1(cursor)
            self._mark(cursor)

    def _migrate_from_1(self, cursor: SQLiteCursor) -> None:
        """Version 1's claims copied into the table of event ids; every event's hash chained."""
        cursor.execute(
            f"INSERT OR IGNORE INTO {self.event_ids_table} (event_id, digest, operation) "
            "SELECT json_extract(claim, '$.event_id'), json_extract(claim, '$.digest'), "
            "json_extract(claim, '$.operation') FROM (SELECT CAST(state AS TEXT) AS claim "
            f"FROM {self.events_table_name} WHERE topic = ? ORDER BY rowid)",
            (CLAIMED,),
        )
        reader = cursor.sqlite_cursor.connection.cursor()
        reader.row_factory = None
        every = reader.execute(
            "SELECT originator_id, originator_version, topic, state FROM "
            f"{self.events_table_name} ORDER BY originator_id, originator_version"
        )  # each stream in order, read as it is chained: one stream's last hash in memory
        cursor.sqlite_cursor.executemany(
            f"INSERT OR IGNORE INTO {self.hashes_table} VALUES (?, ?, ?)",
            links(every, _OneStream()),
        )

    def _mark(self, cursor: SQLiteCursor) -> None:
        cursor.execute(f"PRAGMA application_id = {STORE_APPLICATION_ID}")
        cursor.execute(f"PRAGMA user_version = {STORE_VERSION}")

    def append_rows(self, batches: Iterable[Batch], *, count: int = 0) -> int:
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
                        self._insert_events(cursor, (), rows=batch.rows, ids=batch.ids)
                        total += len(batch.rows)
                finally:
                    cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
        return total

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """eventsourcing's hook for what one transaction inserts, extended as its examples
        extend it. `ids`: rows of the table of event ids, inserted first (so that an id
        another writer stored meanwhile is said as such, not as a conflict of its stream);
        `rows`: events given as rows, inserted after `stored_events` by one `executemany`
        (rowids, the notification ids, follow the order of the rows; they are not
        returned). Every state is stored packed, and hashed as its JSON."""
        self._insert_event_ids(c, kwargs.get("ids", ()))
        notification_ids = super()._insert_events(c, packed_events(stored_events), **kwargs)
        rows: Sequence[Row] = kwargs.get("rows", ())
        if rows:
            c.executemany(self.insert_events_statement, packed(rows))
        self._insert_hashes(c, [*map(encoding.row, stored_events), *rows])
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

    def _insert_hashes(self, c: SQLiteCursor, events: Sequence[Row]) -> None:
        """Each event's hash, chained to the last stored hash of its stream
        (timeline.stores.chain), in the same transaction as the events."""
        if not events:
            return
        sql = c.sqlite_cursor
        sql.row_factory = None
        last: dict[str, tuple[int, bytes]] = {}
        for stream, version in first_versions(events):
            found = sql.execute(
                f"SELECT hash FROM {self.hashes_table} WHERE originator_id = ? "
                "AND originator_version = ?", (stream, version - 1),
            ).fetchone()  # fmt: skip
            if found is not None:
                last[stream] = (version - 1, found[0])
        sql.executemany(
            f"INSERT INTO {self.hashes_table} VALUES (?, ?, ?)", links(events, last)
        )

    def _insert_event_ids(self, c: SQLiteCursor, ids: Sequence[IdRow]) -> None:
        """Each id's row, unless the id is stored: then EventIdsTaken, naming them, and the
        transaction is rolled back. (An insert that skips taken ids, counted, then a look at
        those stored: SQLite says no more than `UNIQUE constraint failed` of a plain one.)"""
        if not ids:
            return
        sql = c.sqlite_cursor
        sql.executemany(
            f"INSERT INTO {self.event_ids_table} VALUES (?, ?, ?) ON CONFLICT DO NOTHING", ids
        )
        if sql.rowcount == len(ids):
            return
        stored: list[IdRow] = []
        for start in range(0, len(ids), LOOK_UP_CHUNK):
            stored += self._event_id_rows(sql, [row[0] for row in ids[start:start + LOOK_UP_CHUNK]])
        taken = taken_ids(ids, stored)
        if taken:
            raise EventIdsTaken(taken)
        raise IntegrityError("the same events were stored meanwhile by another writer")

    def select_event_ids(self, event_ids: Sequence[str]) -> list[IdRow]:
        found: list[IdRow] = []
        for start in range(0, len(event_ids), LOOK_UP_CHUNK):
            with self.datastore.transaction(commit=False) as cursor:
                chunk = event_ids[start : start + LOOK_UP_CHUNK]
                found += self._event_id_rows(cursor.sqlite_cursor, chunk)
        return found

    def _event_id_rows(self, sql: sqlite3.Cursor, event_ids: Sequence[str]) -> list[IdRow]:
        statement = (
            f"SELECT event_id, digest, operation FROM {self.event_ids_table} "
            f"WHERE event_id IN ({', '.join('?' * len(event_ids))})"
        )
        sql.row_factory = None  # plain tuples
        rows: list[IdRow] = sql.execute(statement, event_ids).fetchall()
        return rows

    def read_chained(self, after: int, limit: int) -> list[tuple[int, ChainedRow]]:
        statement = (
            f"SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state, h.hash "
            f"FROM {self.events_table_name} AS e LEFT JOIN {self.hashes_table} AS h "
            "ON h.originator_id = e.originator_id "
            "AND h.originator_version = e.originator_version "
            "WHERE e.rowid > ? ORDER BY e.rowid LIMIT ?"
        )
        rows = self._plain(statement, (after, limit))
        return [
            (position, (stream, version, topic, _readable_or_text(state), digest))
            for position, stream, version, topic, state, digest in rows
        ]

    def hashes_without_events(self, limit: int) -> list[tuple[str, int]]:
        return self._plain(
            f"SELECT originator_id, originator_version FROM {self.hashes_table} AS h "
            f"WHERE NOT EXISTS (SELECT 1 FROM {self.events_table_name} AS e "
            "WHERE e.originator_id = h.originator_id "
            "AND e.originator_version = h.originator_version) "
            "ORDER BY originator_id, originator_version LIMIT ?", (limit,),
        )  # fmt: skip

    def chain_heads(self) -> Heads:
        # SQLite: the bare column `hash` is that of the row holding the max
        rows = self._plain(
            f"SELECT originator_id, max(originator_version), hash FROM {self.hashes_table} "
            "GROUP BY originator_id ORDER BY originator_id", (),
        )  # fmt: skip
        return {stream: (version, bytes(digest).hex()) for stream, version, digest in rows}

    def _plain(self, statement: str, params: Sequence[Any]) -> list[Any]:
        with self.datastore.transaction(commit=False) as cursor:
            sql = cursor.sqlite_cursor
            sql.row_factory = None  # plain tuples
            return sql.execute(statement, params).fetchall()

    def read_page(self, after: int, limit: int, topics: Sequence[str]) -> Page:
        statement = (
            f"SELECT rowid, topic, state FROM {self.events_table_name} "
            f"WHERE rowid > ? AND topic IN ({', '.join('?' * len(topics))}) "
            "ORDER BY rowid LIMIT ?"
        )
        with self.datastore.transaction(commit=False) as cursor:
            sql = cursor.sqlite_cursor
            sql.row_factory = None  # plain tuples
            rows = sql.execute(statement, (after, *topics, limit))
            return [(position, topic, unpack(state)) for position, topic, state in rows]

    def read_positions(self, positions: Sequence[int]) -> Page:
        with self.datastore.transaction(commit=False) as cursor:
            sql = cursor.sqlite_cursor
            sql.row_factory = None  # plain tuples
            return plain.read_positions(sql, positions, self.events_table_name)


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


def _readable_or_text(state: Any) -> Any:
    """A stored state's JSON (`readable`), or as SQLite gave it where an edit made it TEXT
    (which `verify` names as edited)."""
    return state if isinstance(state, str) else readable(state)


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


class _OneStream(dict[str, tuple[int, bytes]]):
    """`links`' last hashes when the events come stream after stream: only the current
    stream's is kept (a migration of millions of events keeps one)."""

    def __setitem__(self, stream: str, value: tuple[int, bytes]) -> None:
        self.clear()
        super().__setitem__(stream, value)


class SQLiteSnapshotRecorder(PackedStates, SQLiteAggregateRecorder):
    """eventsourcing's aggregate recorder (the snapshots'), its states packed."""

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return super()._insert_events(c, packed_events(stored_events), **kwargs)


class Factory(eventsourcing_sqlite.Factory):
    """eventsourcing's SQLite factory, making the timeline's recorders."""

    application_recorder_class = SQLiteTimelineRecorder
    aggregate_recorder_class = SQLiteSnapshotRecorder
