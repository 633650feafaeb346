"""How events become rows: a pydantic mapper, and appending many events in one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import ApplicationRecorder, Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from timeline.encoding import Row, stored_event


class PydanticMapper(Mapper[Any]):
    """Events are pydantic models: dumped to JSON by pydantic, read back by pydantic.

    Keys holding null are left out, so a stored record reads exactly as the analyst wrote it.
    """

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        model = cast(BaseModel, domain_event)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=model.model_dump_json(exclude_none=True).encode(),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[Any]:
        cls = resolve_topic(stored_event.topic)
        return cast(DomainEventProtocol[Any], cls.model_validate_json(stored_event.state))


def select_first_events(
    recorder: ApplicationRecorder, originator_ids: Sequence[UUID]
) -> list[StoredEvent]:
    """The first stored event of each of these streams that exists, in a few queries."""
    if type(recorder).__module__.startswith("eventsourcing.sqlite"):
        rows = _first_rows_sqlite(
            recorder,
            [i.hex for i in originator_ids],
            "originator_id, originator_version, topic, state",
        )
        return [StoredEvent(UUID(row[0]), row[1], row[2], row[3]) for row in rows]
    found: list[StoredEvent] = []
    for originator_id in originator_ids:
        found += recorder.select_events(originator_id, limit=1)
    return found


def select_first_states(
    recorder: ApplicationRecorder, originator_ids: Sequence[str]
) -> list[bytes]:
    """The state of the first stored event of each of these streams (ids as hex) that exists."""
    if type(recorder).__module__.startswith("eventsourcing.sqlite"):
        return [row[0] for row in _first_rows_sqlite(recorder, originator_ids, "state")]
    return [s.state for s in select_first_events(recorder, [UUID(i) for i in originator_ids])]


def _first_rows_sqlite(recorder: Any, originator_ids: Sequence[str], columns: str) -> list[Any]:
    """These columns of the first stored event of each stream (ids as hex), 500 ids a query."""
    found: list[Any] = []
    for start in range(0, len(originator_ids), 500):
        chunk = originator_ids[start : start + 500]
        statement = (
            f"SELECT {columns} FROM {recorder.events_table_name} WHERE originator_version = 1 "
            f"AND originator_id IN ({', '.join('?' * len(chunk))})"
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, chunk)
            found += cursor.fetchall()
    return found


APPEND_CACHE_KIB = 256 * 1024  # SQLite's page cache while appending many rows at once
ROLLBACK_JOURNAL_FROM = 50_000  # rows: an SQLite append this large bypasses the WAL


def append_in_one_transaction(
    recorder: ApplicationRecorder, batches: Iterable[Sequence[Row]], *, rows: int = 0
) -> int:
    """Insert every batch of rows, then commit once: all of them are stored, or none is.

    eventsourcing's `insert_events()` commits per call; an import must not, so this opens the
    recorder's own transaction and uses its own insert statements inside it. `rows`: how many
    rows the batches hold, if known (a large append into SQLite is written differently).
    """
    module = type(recorder).__module__
    if module.startswith("eventsourcing.sqlite"):
        return _append_sqlite(recorder, batches, large=rows >= ROLLBACK_JOURNAL_FROM)
    if module.startswith("eventsourcing.postgres"):
        return _append_postgres(recorder, batches)
    total = 0
    for batch in batches:  # other recorders: one transaction per batch
        recorder.insert_events([stored_event(row) for row in batch])
        total += len(batch)
    return total


def _append_sqlite(recorder: Any, batches: Iterable[Sequence[Row]], *, large: bool) -> int:
    """The rows as eventsourcing's SQLite recorder inserts them (one `executemany` a batch:
    rowids, the notification ids, follow the order of the rows).

    A large transaction is given a larger page cache while it runs: with the default 2 MiB,
    the primary key's B-tree (stream ids are random UUIDs) spills to the WAL and is read back
    again and again; at 1,000,000 events the inserts take a third less time with 256 MiB.
    A `large` one also goes through a rollback journal when it can (see rollback_journal)."""
    total = 0
    with recorder.datastore.get_connection(commit=True) as connection:
        journal = rollback_journal(connection._sqlite_conn) if large else nullcontext(False)
        with journal, connection.transaction(commit=True) as cursor:
            cursor.execute("PRAGMA cache_size")
            (cache_size,) = cursor.fetchone()
            cursor.execute(f"PRAGMA cache_size = {-APPEND_CACHE_KIB}")
            try:
                for batch in batches:
                    cursor.executemany(recorder.insert_events_statement, batch)
                    total += len(batch)
            finally:
                cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
    return total


@contextmanager
def rollback_journal(connection: sqlite3.Connection) -> Iterator[bool]:
    """The store in a rollback journal (and back in WAL afterwards), if no other connection
    has it open; yields whether it is.

    In WAL mode every page of a large transaction is written twice: to the WAL, then into
    the database when the WAL is checkpointed at commit. With a rollback journal, pages added
    at the end of the file are written once and need no journal: 1,000,000 events (2,000,000
    rows) went in in 12 s instead of 25. A crash meanwhile leaves a hot journal, which the next
    connection rolls back before anything else. While the transaction runs, readers of the
    store wait for it (a WAL lets them read on); the read models are another file, so
    questions go on. Leaving WAL needs the store to itself: when another connection has it
    open, the switch fails at once and the append goes through the WAL as usual."""
    (busy,) = connection.execute("PRAGMA busy_timeout").fetchone()
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        (mode,) = connection.execute("PRAGMA journal_mode = DELETE").fetchone()
    except sqlite3.OperationalError:  # "database is locked": another connection has it open
        mode = "wal"
    finally:
        connection.execute(f"PRAGMA busy_timeout = {int(busy)}")
    try:
        yield mode == "delete"
    finally:
        if mode == "delete":
            with suppress(sqlite3.OperationalError):  # else the next connection sets WAL
                connection.execute("PRAGMA journal_mode = WAL")


def _append_postgres(recorder: Any, batches: Iterable[Sequence[Row]]) -> int:
    total = 0
    with recorder.datastore.get_connection() as conn, conn.transaction():
        for batch in batches:
            with conn.cursor() as cursor:  # locks the table and notifies, as save() does
                recorder._insert_stored_events(cursor, [stored_event(row) for row in batch])
            total += len(batch)
    return total
