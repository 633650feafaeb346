"""The PostgreSQL store: eventsourcing's PostgreSQL application recorder, with the timeline's
methods.

Selected by `PERSISTENCE_MODULE=timeline.stores.postgres`; the tables are eventsourcing's own.
Importing this module needs psycopg (`pip install ".[postgres]"`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing import postgres as eventsourcing_postgres
from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
)
from psycopg import Connection, Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composed, Identifier

from timeline.encoding import Row
from timeline.errors import NoStoreHere, ReadOnlyRole
from timeline.stores.recorder import (
    LOOK_UP_CHUNK,
    STORE_VERSION,
    Page,
    TimelineRecorder,
    check_version,
)

META_TABLE = "timeline_meta"  # (key, value): the store's version, as 'store_version'


@contextmanager
def creating_tables(datastore: PostgresDatastore) -> Iterator[Connection[DictRow]]:
    """One process at a time makes a schema's tables. PostgreSQL's CREATE ... IF NOT EXISTS
    is not safe against itself: two sessions making the same tables, types and functions in a
    fresh schema fail with `duplicate key value violates unique constraint
    "pg_type_typname_nsp_index"` or `tuple concurrently updated`. A session-level advisory
    lock named for the schema is held, on a connection of its own, while eventsourcing's
    create_table runs (on others, in several transactions); the others wait for it, then
    find the tables made."""
    key = f"ops-timeline: the tables of schema {datastore.schema}"
    with datastore.get_connection() as connection:
        connection.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (key,))
        try:
            yield connection
        finally:
            with suppress(psycopg.Error):
                connection.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (key,))


def may_create(connection: Connection[DictRow], schema: str) -> bool:
    """Whether this session's role may make tables in the schema (an analyst's or a
    researcher's, made by `timeline init`, may not: the store is made for them)."""
    row = connection.execute(
        "SELECT has_schema_privilege(current_user, %s, 'CREATE') AS may", (schema,)
    ).fetchone()
    return bool(row and row["may"])


def table_exists(connection: Connection[DictRow], schema: str, table: str) -> bool:
    row = connection.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
        (schema, table),
    ).fetchone()
    return row is not None


def use_made_tables(
    datastore: PostgresDatastore, connection: Connection[DictRow], table: str
) -> bool:
    """For a role that may not make tables: True if the store's table is there (eventsourcing's
    types are then registered as its create_table would), so that making it is skipped;
    NoStoreHere if it is not."""
    if may_create(connection, datastore.schema):
        return False
    if not table_exists(connection, datastore.schema, table):
        info = connection.info
        raise NoStoreHere(
            f"there is no store in schema {datastore.schema} of {info.dbname} on {info.host}, "
            f"and the role {info.user} may not make one: run `timeline init` with a role that "
            "may (the database's owner)"
        )
    datastore.register_type_adapters()
    return True


class PostgresTimelineRecorder(TimelineRecorder, PostgresApplicationRecorder):
    """eventsourcing's PostgreSQL application recorder, with the timeline's methods."""

    def create_table(self) -> None:
        """eventsourcing's tables, made by one process at a time (`creating_tables`), in a
        schema that holds a store this version reads: a new store records STORE_VERSION in
        the timeline_meta table; one made before versions were recorded is version 1."""
        with creating_tables(self.datastore) as connection:
            found = self._store_version(connection)
            if found is not None:
                check_version(found, self._where(connection))
            if use_made_tables(self.datastore, connection, self.events_table_name):
                return
            super().create_table()
            if found is None:
                self._record_version(connection)

    def _where(self, connection: Connection[DictRow]) -> str:
        info = connection.info
        return f"in schema {self.datastore.schema} of {info.dbname} on {info.host}"

    def _store_version(self, connection: Connection[DictRow]) -> int | None:
        row = connection.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
            "AND table_name = %s", (self.datastore.schema, META_TABLE),
        ).fetchone()  # fmt: skip
        if row is None:
            return None
        statement = SQL("SELECT value FROM {schema}.{table} WHERE key = 'store_version'").format(
            schema=Identifier(self.datastore.schema), table=Identifier(META_TABLE)
        )
        found = connection.execute(statement).fetchone()
        return None if found is None else int(next(iter(found.values())))

    def _record_version(self, connection: Connection[DictRow]) -> None:
        table = {"schema": Identifier(self.datastore.schema), "table": Identifier(META_TABLE)}
        try:
            connection.execute(SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} "
                "(key text PRIMARY KEY, value text NOT NULL)"
            ).format(**table))  # fmt: skip
            connection.execute(SQL(
                "INSERT INTO {schema}.{table} VALUES ('store_version', %s) "
                "ON CONFLICT (key) DO NOTHING"
            ).format(**table), (str(STORE_VERSION),))  # fmt: skip
        except psycopg.errors.InsufficientPrivilege:
            pass  # a role that may only read: the store is read as version 1

    def append_rows(self, batches: Iterable[Sequence[Row]], *, count: int = 0) -> int:
        """Every batch inserted in one transaction (`count` makes no difference here)."""
        total = 0
        try:
            with self.datastore.transaction(commit=True) as cursor:
                for batch in batches:
                    self._insert_events(cursor, (), rows=batch)
                    total += len(batch)
        except ProgrammingError as error:
            if not isinstance(error.__cause__, psycopg.errors.InsufficientPrivilege):
                raise
            raise ReadOnlyRole(
                "this role can read the store but not write to it: "
                f"{error.__cause__.diag.message_primary}; nothing was stored (record with "
                "an analyst's role: see the README, Stores)"
            ) from None
        return total

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """eventsourcing's hook for what a transaction inserts beside the stored events
        (which it inserts next), extended as its examples extend it. `rows`: events given as
        rows, inserted here, with the table locked and the channel notified first, as
        eventsourcing does before it inserts stored events (so that notification ids are
        committed in order: a reader never passes over a gap filled later)."""
        super()._insert_events(curs, stored_events, **kwargs)
        rows: Sequence[Row] = kwargs.get("rows", ())
        if not rows:
            return
        for statement in self.lock_table_statements:
            curs.execute(statement, prepare=True)
        curs.execute(SQL("NOTIFY {0}").format(Identifier(self.channel_name)))
        pg_stored_events = [
            self.construct_pg_stored_event(UUID(hex_id), version, topic, state)
            for hex_id, version, topic, state in rows
        ]
        curs.execute(self.insert_events_statement, (pg_stored_events,))

    def select_first_events(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        rows = self._first_rows(
            [str(i) for i in originator_ids], "originator_id, originator_version, topic, state"
        )
        return [StoredEvent(row[0], row[1], row[2], bytes(row[3])) for row in rows]

    def select_first_states(self, originator_ids: Sequence[str]) -> list[bytes]:
        return [bytes(row[0]) for row in self._first_rows(originator_ids, "state")]

    def _first_rows(self, originator_ids: Sequence[str], columns: str) -> list[tuple[Any, ...]]:
        """These columns of the first stored event of each stream (ids as text)."""
        statement = SQL(
            "SELECT {columns} FROM {schema}.{table} "
            "WHERE originator_version = 1 AND originator_id = ANY(%s::{id_type}[])"
        ).format(
            columns=SQL(columns),
            schema=Identifier(self.datastore.schema),
            table=Identifier(self.events_table_name),
            id_type=Identifier(self.datastore.originator_id_type),
        )
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(originator_ids), LOOK_UP_CHUNK):
            chunk = list(originator_ids[start : start + LOOK_UP_CHUNK])
            found += self._select(statement, (chunk,))
        return found

    def read_page(self, after: int, limit: int, topics: Sequence[str]) -> Page:
        statement = SQL(
            "SELECT notification_id, topic, state FROM {schema}.{table} "
            "WHERE notification_id > %s AND topic = ANY(%s) "
            "ORDER BY notification_id LIMIT %s"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        rows = self._select(statement, (after, list(topics), limit))
        return [(position, topic, bytes(state)) for position, topic, state in rows]

    def _select(self, statement: Composed, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with (
            self.datastore.get_connection() as connection,
            connection.cursor(row_factory=tuple_row) as cursor,
        ):
            cursor.execute(statement, params, prepare=True)
            return cursor.fetchall()


class PostgresSnapshotRecorder(PostgresAggregateRecorder):
    """eventsourcing's aggregate recorder (the snapshots'), its tables made one process at a
    time as the events' are."""

    def create_table(self) -> None:
        with creating_tables(self.datastore) as connection:
            if not use_made_tables(self.datastore, connection, self.events_table_name):
                super().create_table()


class Factory(eventsourcing_postgres.Factory):
    """eventsourcing's PostgreSQL factory, making the timeline's recorders."""

    application_recorder_class = PostgresTimelineRecorder
    aggregate_recorder_class = PostgresSnapshotRecorder
