"""The PostgreSQL store: eventsourcing's PostgreSQL application recorder, with the timeline's
methods.

Selected by `PERSISTENCE_MODULE=timeline.stores.postgres`; the events' tables are
eventsourcing's own, beside them the table of event ids (`timeline_event_ids`) and the
events' hashes (`timeline_event_hashes`, timeline.stores.chain). Importing this module needs
psycopg (`pip install ".[postgres]"`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing import postgres as eventsourcing_postgres
from eventsourcing.persistence import IntegrityError, ProgrammingError, StoredEvent
from eventsourcing.postgres import (
    PgStoredEvent,
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
)
from psycopg import Connection, Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composed, Identifier

from timeline import encoding
from timeline.encoding import Batch, IdRow, Row
from timeline.errors import NoStoreHere, ReadOnlyRole
from timeline.stores.chain import ChainedRow, Heads, first_versions, links
from timeline.stores.packing import pack, unpack
from timeline.stores.recorder import (
    LOOK_UP_CHUNK,
    STORE_VERSION,
    EventIdsTaken,
    PackedStates,
    Page,
    TimelineRecorder,
    check_version,
    readable,
    taken_ids,
)
from timeline.vocabulary import CLAIMED

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


class PackedComposites(PostgresAggregateRecorder):
    """eventsourcing's PostgreSQL recorder, its stored events' composites made with their
    states packed: the one place every insert on PostgreSQL passes through."""

    def construct_pg_stored_event(
        self, originator_id: UUID | str, originator_version: int, topic: str, state: bytes
    ) -> PgStoredEvent:
        """eventsourcing's composite of a stored event, which every insert makes: the state
        packed (hashed as its JSON, by `_insert_events`)."""
        return super().construct_pg_stored_event(
            originator_id, originator_version, topic, pack(state)
        )


class PostgresTimelineRecorder(TimelineRecorder, PackedComposites, PostgresApplicationRecorder):
    """eventsourcing's PostgreSQL application recorder, with the timeline's methods."""

    event_ids_table = "timeline_event_ids"
    hashes_table = "timeline_event_hashes"

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.{table} (event_id text PRIMARY KEY, "
            "digest text NOT NULL, operation text NOT NULL)"
        ).format(schema=Identifier(datastore.schema), table=Identifier(self.event_ids_table)))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {schema}.{table} (originator_id {id_type}, "
            "originator_version bigint, hash bytea NOT NULL, "
            "PRIMARY KEY (originator_id, originator_version))"
        ).format(
            schema=Identifier(datastore.schema), table=Identifier(self.hashes_table),
            id_type=Identifier(datastore.originator_id_type),
        ))  # fmt: skip

    def create_table(self) -> None:
        """eventsourcing's tables and the timeline's, made by one process at a time
        (`creating_tables`), in a schema that holds a store this version reads: a new store
        records STORE_VERSION in the timeline_meta table; one of an earlier version (or made
        before versions were recorded: version 1) is migrated (`migrate`)."""
        with creating_tables(self.datastore) as connection:
            found = self._store_version(connection)
            schema = self.datastore.schema
            if found is None and table_exists(connection, schema, self.events_table_name):
                found = 1  # made before versions were recorded
            if found is not None:
                check_version(found, self._where(connection))
            if use_made_tables(self.datastore, connection, self.events_table_name):
                return
            super().create_table()
            if found is None:
                self._record_version(connection)
            elif found < STORE_VERSION:
                self.migrate(connection, found)

    def migrate(self, connection: Connection[DictRow], found: int = 1) -> None:
        """A store of version `found` made a store of this version, in one transaction. From
        version 1: the table of event ids filled from its claims (each id's `Claimed` event,
        whose stream stays but is read no more), and every stored event's hash chained. From
        version 2 the version alone is recorded: its states stay JSON, which version 3 reads.
        Idempotent: ids and hashes already in the tables are kept."""
        names = {
            "schema": Identifier(self.datastore.schema),
            "ids": Identifier(self.event_ids_table),
            "events": Identifier(self.events_table_name),
            "hashes": Identifier(self.hashes_table),
        }
        try:
            with connection.transaction():
                if found < 2:
                    self._migrate_from_1(connection, names)
                self._record_version(connection, replace=True)
        except psycopg.errors.InsufficientPrivilege:
            pass  # a role that may only read: the store is read as it is, refused any write

    def _migrate_from_1(
        self, connection: Connection[DictRow], names: dict[str, Identifier]
    ) -> None:
        """Version 1's claims copied into the table of event ids; every event's hash chained."""
        connection.execute(SQL(
            "INSERT INTO {schema}.{ids} (event_id, digest, operation) "
            "SELECT claim ->> 'event_id', claim ->> 'digest', claim ->> 'operation' "
            "FROM (SELECT convert_from(state, 'UTF8')::jsonb AS claim "
            "FROM {schema}.{events} WHERE topic = %s ORDER BY notification_id) AS c "
            "ON CONFLICT (event_id) DO NOTHING"
        ).format(**names), (CLAIMED,))  # fmt: skip
        with connection.cursor(row_factory=tuple_row) as cursor:
            every = [
                (UUID(str(stream)).hex, version, topic, bytes(state))
                for stream, version, topic, state in cursor.execute(SQL(
                    "SELECT originator_id, originator_version, topic, state FROM "
                    "{schema}.{events} ORDER BY originator_id, originator_version"
                ).format(**names)).fetchall()
            ]  # fmt: skip
            cursor.executemany(SQL(
                "INSERT INTO {schema}.{hashes} VALUES (%s::uuid, %s, %s) "
                "ON CONFLICT DO NOTHING"
            ).format(**names), list(links(every, {})))  # fmt: skip

    def _where(self, connection: Connection[DictRow]) -> str:
        info = connection.info
        return f"in schema {self.datastore.schema} of {info.dbname} on {info.host}"

    def _store_version(self, connection: Connection[DictRow]) -> int | None:
        if not table_exists(connection, self.datastore.schema, META_TABLE):
            return None
        statement = SQL("SELECT value FROM {schema}.{table} WHERE key = 'store_version'").format(
            schema=Identifier(self.datastore.schema), table=Identifier(META_TABLE)
        )
        found = connection.execute(statement).fetchone()
        return None if found is None else int(next(iter(found.values())))

    def _record_version(self, connection: Connection[DictRow], *, replace: bool = False) -> None:
        """STORE_VERSION in timeline_meta: of a new store, or (`replace`) of one migrated."""
        table = {"schema": Identifier(self.datastore.schema), "table": Identifier(META_TABLE)}
        conflict = "DO UPDATE SET value = EXCLUDED.value" if replace else "DO NOTHING"
        try:
            connection.execute(SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} "
                "(key text PRIMARY KEY, value text NOT NULL)"
            ).format(**table))  # fmt: skip
            connection.execute(SQL(
                "INSERT INTO {schema}.{table} VALUES ('store_version', %s) "
                "ON CONFLICT (key) {conflict}"
            ).format(**table, conflict=SQL(conflict)), (str(STORE_VERSION),))  # fmt: skip
        except psycopg.errors.InsufficientPrivilege:
            if replace:
                raise
            # a role that may only read: the store is read as version 1

    def append_rows(self, batches: Iterable[Batch], *, count: int = 0) -> int:
        """Every batch inserted in one transaction (`count` makes no difference here)."""
        total = 0
        try:
            with self.datastore.transaction(commit=True) as cursor:
                for batch in batches:
                    self._insert_events(cursor, (), rows=batch.rows, ids=batch.ids)
                    total += len(batch.rows)
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
        (which it inserts next), extended as its examples extend it. The table is locked and
        the channel notified first, as eventsourcing does before it inserts stored events
        (so that notification ids are committed in order: a reader never passes over a gap
        filled later; and so that two writers' ids are checked one writer after the other).
        `ids`: rows of the table of event ids, inserted first (an id another writer stored
        meanwhile is said as such); `rows`: events given as rows."""
        super()._insert_events(curs, stored_events, **kwargs)
        rows: Sequence[Row] = kwargs.get("rows", ())
        ids: Sequence[IdRow] = kwargs.get("ids", ())
        if not rows and not ids:
            return
        for statement in self.lock_table_statements:
            curs.execute(statement, prepare=True)
        curs.execute(SQL("NOTIFY {0}").format(Identifier(self.channel_name)))
        self._insert_event_ids(curs, ids)
        self._insert_hashes(curs, [*map(encoding.row, stored_events), *rows])
        if not rows:
            return
        pg_stored_events = [
            self.construct_pg_stored_event(UUID(hex_id), version, topic, state)
            for hex_id, version, topic, state in rows
        ]
        curs.execute(self.insert_events_statement, (pg_stored_events,))

    @contextmanager
    def taking_turns(self, keys: Sequence[str]) -> Iterator[None]:
        """A session advisory lock per key (named for the schema and the key), on a
        connection of its own while held."""
        names = sorted({f"ops-timeline: writers of {self.datastore.schema}/{key}" for key in keys})
        if not names:
            yield
            return
        with self.datastore.get_connection() as connection:
            taken = []
            try:
                for name in names:
                    connection.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (name,))
                    taken.append(name)
                yield
            finally:
                for name in taken:
                    with suppress(psycopg.Error):
                        connection.execute(
                            "SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (name,)
                        )

    def _insert_hashes(self, curs: Cursor[DictRow], events: Sequence[Row]) -> None:
        """Each event's hash, chained to the last stored hash of its stream
        (timeline.stores.chain), in the same transaction as the events (stored events given
        to eventsourcing's insert_events are inserted by it after this hook, still in it)."""
        if not events:
            return
        table = self._names()
        last: dict[str, tuple[int, bytes]] = {}
        wanted = first_versions(events)
        if wanted:
            with curs.connection.cursor(row_factory=tuple_row) as plain:
                plain.execute(SQL(
                    "SELECT h.originator_id, h.originator_version, h.hash "
                    "FROM {schema}.{hashes} AS h JOIN unnest(%s::uuid[], %s::bigint[]) "
                    "AS w (s, v) ON h.originator_id = w.s AND h.originator_version = w.v"
                ).format(**table), ([s for s, _ in wanted], [v - 1 for _, v in wanted]))
                for stream, version, digest in plain.fetchall():
                    last[UUID(str(stream)).hex] = (version, bytes(digest))
        found = list(links(events, last))
        curs.execute(SQL(
            "INSERT INTO {schema}.{hashes} SELECT * FROM unnest(%s::uuid[], %s::bigint[], "
            "%s::bytea[])"
        ).format(**table), (
            [s for s, _, _ in found], [v for _, v, _ in found], [h for _, _, h in found],
        ))  # fmt: skip

    def _insert_event_ids(self, curs: Cursor[DictRow], ids: Sequence[IdRow]) -> None:
        """Each id's row, unless the id is stored: then EventIdsTaken, naming them, and the
        transaction is rolled back (an insert that skips taken ids, counted, then a look at
        those stored: the transaction is still usable, as it is not after a failed insert)."""
        if not ids:
            return
        statement = SQL(
            "INSERT INTO {schema}.{table} (event_id, digest, operation) "
            "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[]) "
            "ON CONFLICT (event_id) DO NOTHING RETURNING 1"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.event_ids_table))
        event_ids = [row[0] for row in ids]
        curs.execute(statement, (event_ids, [r[1] for r in ids], [r[2] for r in ids]))
        if len(curs.fetchall()) == len(ids):  # (fetched, not rowcount: in eventsourcing's
            return  # pipeline, a result is there once fetched)
        with curs.connection.cursor(row_factory=tuple_row) as plain:
            plain.execute(self._select_ids_statement(), (event_ids,))
            taken = taken_ids(ids, plain.fetchall())
        if taken:
            raise EventIdsTaken(taken)
        raise IntegrityError("the same events were stored meanwhile by another writer")

    def _select_ids_statement(self) -> Composed:
        return SQL(
            "SELECT event_id, digest, operation FROM {schema}.{table} WHERE event_id = ANY(%s)"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.event_ids_table))

    def select_event_ids(self, event_ids: Sequence[str]) -> list[IdRow]:
        found: list[IdRow] = []
        for start in range(0, len(event_ids), LOOK_UP_CHUNK):
            chunk = list(event_ids[start : start + LOOK_UP_CHUNK])
            found += self._select(self._select_ids_statement(), (chunk,))
        return found

    def read_chained(self, after: int, limit: int) -> list[tuple[int, ChainedRow]]:
        statement = SQL(
            "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, "
            "e.state, h.hash FROM {schema}.{events} AS e LEFT JOIN {schema}.{hashes} AS h "
            "ON h.originator_id = e.originator_id "
            "AND h.originator_version = e.originator_version "
            "WHERE e.notification_id > %s ORDER BY e.notification_id LIMIT %s"
        ).format(**self._names())
        return [
            (position, (UUID(str(stream)).hex, version, topic, readable(bytes(state)),
                        None if digest is None else bytes(digest)))
            for position, stream, version, topic, state, digest in self._select(
                statement, (after, limit)
            )
        ]  # fmt: skip

    def hashes_without_events(self, limit: int) -> list[tuple[str, int]]:
        statement = SQL(
            "SELECT originator_id, originator_version FROM {schema}.{hashes} AS h "
            "WHERE NOT EXISTS (SELECT 1 FROM {schema}.{events} AS e "
            "WHERE e.originator_id = h.originator_id "
            "AND e.originator_version = h.originator_version) "
            "ORDER BY originator_id, originator_version LIMIT %s"
        ).format(**self._names())
        return [(UUID(str(s)).hex, v) for s, v in self._select(statement, (limit,))]

    def chain_heads(self) -> Heads:
        statement = SQL(
            "SELECT DISTINCT ON (originator_id) originator_id, originator_version, hash "
            "FROM {schema}.{hashes} ORDER BY originator_id, originator_version DESC"
        ).format(**self._names())
        return {UUID(str(s)).hex: (v, bytes(h).hex()) for s, v, h in self._select(statement, ())}

    def _names(self) -> dict[str, Identifier]:
        return {
            "schema": Identifier(self.datastore.schema),
            "events": Identifier(self.events_table_name),
            "hashes": Identifier(self.hashes_table),
        }

    def read_page(self, after: int, limit: int, topics: Sequence[str]) -> Page:
        statement = SQL(
            "SELECT notification_id, topic, state FROM {schema}.{table} "
            "WHERE notification_id > %s AND topic = ANY(%s) "
            "ORDER BY notification_id LIMIT %s"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        rows = self._select(statement, (after, list(topics), limit))
        return [(position, topic, unpack(bytes(state))) for position, topic, state in rows]

    def read_positions(self, positions: Sequence[int]) -> Page:
        statement = SQL(
            "SELECT notification_id, topic, state FROM {schema}.{table} "
            "WHERE notification_id = ANY(%s::bigint[]) ORDER BY notification_id"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        rows = self._select(statement, (list(positions),))
        return [(position, topic, unpack(bytes(state))) for position, topic, state in rows]

    def _select(self, statement: Composed, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with (
            self.datastore.get_connection() as connection,
            connection.cursor(row_factory=tuple_row) as cursor,
        ):
            cursor.execute(statement, params, prepare=True)
            return cursor.fetchall()


class PostgresSnapshotRecorder(PackedStates, PackedComposites):
    """eventsourcing's aggregate recorder (the snapshots'), its states packed, its tables
    made one process at a time as the events' are."""

    def create_table(self) -> None:
        with creating_tables(self.datastore) as connection:
            if not use_made_tables(self.datastore, connection, self.events_table_name):
                super().create_table()


class Factory(eventsourcing_postgres.Factory):
    """eventsourcing's PostgreSQL factory, making the timeline's recorders."""

    application_recorder_class = PostgresTimelineRecorder
    aggregate_recorder_class = PostgresSnapshotRecorder
