"""The PostgreSQL store: eventsourcing's PostgreSQL application recorder, with the timeline's
methods.

Selected by `PERSISTENCE_MODULE=timeline.stores.postgres`; the tables are eventsourcing's own.
Importing this module needs psycopg (`pip install ".[postgres]"`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing import postgres as eventsourcing_postgres
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composed, Identifier

from timeline.encoding import Row
from timeline.stores.recorder import LOOK_UP_CHUNK, Page, TimelineRecorder


class PostgresTimelineRecorder(TimelineRecorder, PostgresApplicationRecorder):
    """eventsourcing's PostgreSQL application recorder, with the timeline's methods."""

    def append_rows(self, batches: Iterable[Sequence[Row]], *, count: int = 0) -> int:
        """Every batch inserted in one transaction (`count` makes no difference here)."""
        total = 0
        with self.datastore.transaction(commit=True) as cursor:
            for batch in batches:
                self._insert_events(cursor, (), rows=batch)
                total += len(batch)
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


class Factory(eventsourcing_postgres.Factory):
    """eventsourcing's PostgreSQL factory, making the timeline's application recorder."""

    application_recorder_class = PostgresTimelineRecorder
