"""Where the read models live, and how they are kept, rebuilt and seen as of a past moment.

The read models are an SQLite file of their own beside the event store (`timeline.db` ->
`timeline.views.db`; for PostgreSQL, `$TIMELINE_VIEWS` or `timeline.views.db`), so that they
can be deleted and rebuilt at will, and opened with plain `sqlite3` or Datasette while the
store is being written.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from projections import derived, schema
from projections.projector import RECORDED, Projector, bounds, utc_text

if TYPE_CHECKING:  # eventsourcing is needed to project, not to answer questions
    from eventsourcing.persistence import ApplicationRecorder

    from projections.tracking import ViewsRecorder

PAGE_SIZE = 5_000


def views_path(db: str) -> str:
    """The read models' file for an event store named by a path or a URL."""
    if os.environ.get("TIMELINE_VIEWS"):
        return os.environ["TIMELINE_VIEWS"]
    if "://" in db:
        return "timeline.views.db"
    path = Path(db)
    return str(path.with_name(f"{path.stem}.views{path.suffix or '.db'}"))


def connect(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    return connection


class Views:
    """The read models of one event store."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._recorder: ViewsRecorder | None = None
        with closing(connect(path)) as connection:
            if not schema.is_current(connection):
                connection.execute("PRAGMA journal_mode=WAL")
                schema.create(connection)

    @property
    def recorder(self) -> ViewsRecorder:
        if self._recorder is None:
            from projections.tracking import open_recorder

            self._recorder = open_recorder(self.path)
        return self._recorder

    def connection(self) -> sqlite3.Connection:
        return connect(self.path)

    def position(self, name: str) -> int:
        return self.recorder.max_tracking_id(name) or 0

    def catch_up(
        self,
        source: ApplicationRecorder,
        name: str,
        progress: Callable[[int], Any] | None = None,
        *,
        page_size: int = PAGE_SIZE,
        bulk_from: int | None = None,
    ) -> int:
        from projections.tracking import catch_up

        return catch_up(
            source, name, self.recorder, progress=progress, page_size=page_size,
            bulk_from=bulk_from,
        )  # fmt: skip

    def rebuild(
        self,
        source: ApplicationRecorder,
        name: str,
        progress: Callable[[int], Any] | None = None,
    ) -> int:
        """Delete every read model and project every event again."""
        self.close()
        with closing(connect(self.path)) as connection:
            schema.drop(connection)
            connection.execute("DROP TABLE IF EXISTS tracking")
            schema.create(connection)
        return self.catch_up(source, name, progress)

    def as_of(
        self,
        *,
        recorded: datetime | None = None,
        known_by: date | None = None,
        operation: str | None = None,
    ) -> sqlite3.Connection:
        """The read models as they would have read at a past moment, in memory.

        `recorded`: only events appended by then. `known_by`: only sources published by then
        (a source counts once its latest possible publication day has passed; a source with no
        publication date does not count); an event left with no source is left out.
        `operation`: replay only that operation's events (and every place): for questions
        about one operation, much faster on a large store.
        """
        memory = connect(":memory:")
        schema.create(memory)
        where, params = ["1"], []
        if recorded is not None:
            where.append("recorded <= ?")
            params.append(utc_text(recorded))
        if operation is not None:
            where.append("(operation = ? OR operation IS NULL)")
            params.append(operation)
        with closing(self.connection()) as connection:
            rows = connection.execute(
                f"SELECT position, topic, state FROM history WHERE {' AND '.join(where)} "
                "ORDER BY position",
                params,
            )
            memory.execute("BEGIN")
            projector = Projector(memory.cursor())
            for position, topic, data in rows:
                state = orjson.loads(data)
                if known_by is not None and topic == RECORDED:
                    state = _known_by(state, known_by)
                    if state is None:
                        continue
                projector.apply(position, topic, state)
            projector.finish()
            derived.refresh_stale(memory.cursor())
            memory.execute("COMMIT")
        return memory

    def close(self) -> None:
        if self._recorder is not None:
            self._recorder.datastore.close()
            self._recorder = None


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
