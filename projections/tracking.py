"""Tracked projection: each stored event processed exactly once, its position recorded in the
same transaction as the rows it caused.

eventsourcing's SQLite recorder offers no subscriptions (so its ProjectionRunner cannot drive
it); instead a polling catch-up reads the event store's notification log in pages, and a
subclass of its SQLite tracking recorder writes each page's view rows and the tracking position
in one transaction. A crash between two pages leaves every committed page done and the next
catch-up starts after the last one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Tracking
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from projections import derived
from projections.projector import TOPICS, Projector
from projections.views import PAGE_SIZE
from timeline.bulk import no_cycle_collection
from timeline.errors import TimelineError


class ViewsRecorder(SQLiteTrackingRecorder):
    """Tracking positions and read-model rows, written together."""

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.gazetteer: dict[str, dict[str, Any] | None] = {}  # places looked up, kept

    def write(self, tracking: Tracking, apply: Callable[[Projector], None]) -> None:
        with self.datastore.get_connection(commit=True) as connection:
            # WAL with synchronous=NORMAL: a power cut may lose the last pages, never the
            # agreement between rows and position; the next catch-up projects them again.
            connection.cursor().execute("PRAGMA synchronous = NORMAL")
            connection.cursor().execute("PRAGMA cache_size = -65536")  # 64 MiB
            connection.cursor().execute("PRAGMA wal_autocheckpoint = 25000")  # 100 MiB of WAL
            try:
                with connection.transaction(commit=True) as cursor:
                    projector = Projector(cursor.sqlite_cursor, self.gazetteer)
                    apply(projector)
                    projector.finish()
                    self._insert_tracking(cursor, tracking)
            except BaseException:
                self.gazetteer.clear()  # it may hold places of the page rolled back
                raise

    def check_source(self, identity: str | None, position: int, last: int) -> None:
        """Refuse to project the events of one store on top of another store's read models."""
        with self.datastore.transaction(commit=True) as cursor:
            row = cursor.sqlite_cursor.execute(
                "SELECT value FROM source WHERE key = 'first event'"
            ).fetchone()
            if (row is not None and identity is not None and row[0] != identity) or (
                position > last
            ):
                raise ReadModelsOfAnotherStore(
                    f"the read models in {self.datastore.pool.db_name} were projected from "
                    "another store (or from this one before it was made anew): run "
                    "`timeline rebuild`, or name another file with --views"
                )
            if row is None and identity is not None:
                cursor.sqlite_cursor.execute(
                    "INSERT INTO source VALUES ('first event', ?)", (identity,)
                )

    def refresh(self) -> None:
        """Recompute the derived models that the pages projected so far made stale."""
        with self.datastore.transaction(commit=True) as cursor:
            derived.refresh_stale(cursor.sqlite_cursor)


class ReadModelsOfAnotherStore(TimelineError):
    """The views' tracked position or first event does not belong to this store."""


def open_recorder(path: str) -> ViewsRecorder:
    recorder = ViewsRecorder(SQLiteDatastore(path, lock_timeout=30))
    recorder.create_table()
    return recorder


def catch_up(
    source: ApplicationRecorder,
    name: str,
    recorder: ViewsRecorder,
    *,
    page_size: int = PAGE_SIZE,
    progress: Callable[[int], Any] | None = None,
) -> int:
    """Project every event recorded after the tracked position; return how many.

    `progress` is told how far each page moved the position in the store's log (which also
    holds events the read models skip), so that it adds up to the backlog it started from.
    """
    position = recorder.max_tracking_id(name) or 0
    first = source.select_notifications(None, limit=1)
    identity = hashlib.blake2b(first[0].state, digest_size=16).hexdigest() if first else None
    recorder.check_source(identity, position, source.max_notification_id() or 0)
    done = 0
    with no_cycle_collection():
        while True:
            page = source.select_notifications(
                position, limit=page_size, topics=TOPICS, inclusive_of_start=False
            )
            if not page:
                recorder.refresh()
                return done
            start, position = position, page[-1].id
            recorder.write(
                Tracking(name, position),
                lambda projector, page=page: projector.apply_all(
                    (n.id, n.topic, n.state) for n in page
                ),
            )
            done += len(page)
            if progress is not None:
                progress(position - start)
