"""Tracked projection: each stored event processed exactly once, its position recorded in the
same transaction as the rows it caused.

eventsourcing's SQLite recorder offers no subscriptions (so its ProjectionRunner cannot drive
it); instead a polling catch-up reads the event store's notification log in pages, and a
subclass of its SQLite tracking recorder writes each page's view rows and the tracking position
in one transaction. A crash between two pages leaves every committed page done and the next
catch-up starts after the last one.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder

from projections import derived, schema
from projections.projector import Projector, Stored
from projections.recomputing import Recomputing
from timeline.bulk import no_cycle_collection
from timeline.errors import TimelineError
from timeline.stores.recorder import Page, TimelineRecorder
from timeline.vocabulary import PROJECTED_TOPICS as TOPICS

PAGE_SIZE = 5_000  # events a page (and a transaction) of a catch-up
BULK_FROM = 20_000  # a backlog at least this long is projected in bulk
BULK_PAGE_SIZE = 20_000  # events a page of a bulk catch-up: fewer commits, and WAL writes
RECOMPUTE_APART_FROM = 1_000  # events projected, from which the derived models are
# recomputed apart (Recomputing: two processes), not in the catch-up's own transaction


class ViewsRecorder(SQLiteTrackingRecorder):
    """Tracking positions and read-model rows, written together."""

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.path = str(datastore.pool.db_name)
        self.gazetteer: dict[str, dict[str, Any] | None] = {}  # places looked up, kept

    def write(
        self,
        tracking: Tracking,
        apply: Callable[[Projector], None],
        *,
        bulk: bool = False,
        stored: Stored | None = None,
    ) -> None:
        """Apply one page and record its position, in one transaction. `bulk`: the page is
        part of a bulk catch-up (the first such page drops the deferred indexes, in its own
        transaction; the full-text index is not kept row by row, and its operations are
        marked stale wholly, not force by force and figure by figure). `stored`: the store's
        events by position (the history then keeps no copy of a new event)."""
        with self.datastore.get_connection(commit=True) as connection:
            # WAL with synchronous=NORMAL: a power cut may lose the last pages, never the
            # agreement between rows and position; the next catch-up projects them again.
            connection.cursor().execute("PRAGMA synchronous = NORMAL")
            connection.cursor().execute("PRAGMA cache_size = -131072")  # 128 MiB
            connection.cursor().execute("PRAGMA wal_autocheckpoint = 25000")  # 100 MiB of WAL
            try:
                with connection.transaction(commit=True) as cursor:
                    if bulk:
                        _defer_indexes(cursor.sqlite_cursor)
                    projector = Projector(
                        cursor.sqlite_cursor, self.gazetteer, fts=not bulk, stored=stored,
                        wholly=bulk,
                    )
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
                "SELECT value FROM projected_from WHERE key = 'first event'"
            ).fetchone()
            if (row is not None and identity is not None and row[0] != identity) or (
                position > last
            ):
                raise ReadModelsOfAnotherStore(
                    f"the read models in {self.datastore.pool.db_name} were projected from "
                    "another store (or from this one before it was made anew): rebuild them "
                    "from this store, or keep this store's read models in another file"
                )
            if row is None and identity is not None:
                cursor.sqlite_cursor.execute(
                    "INSERT INTO projected_from VALUES ('first event', ?)", (identity,)
                )

    def in_bulk(self) -> bool:
        """Whether a bulk catch-up began and has not built its indexes yet (it crashed)."""
        with self.datastore.transaction(commit=False) as cursor:
            return _in_bulk(cursor.sqlite_cursor)

    def finish_bulk(self) -> None:
        """Build what a bulk catch-up deferred: the indexes, then the full-text index."""
        with self.datastore.transaction(commit=True) as cursor:
            sql = cursor.sqlite_cursor
            schema.align_indexes(sql)
            sql.execute("INSERT INTO events_fts (events_fts) VALUES ('delete-all')")
            sql.execute(  # 'rebuild' cannot read a view: the same, from events_text
                "INSERT INTO events_fts (rowid, place, notes, quotes, outlets) "
                "SELECT position, place, notes, quotes, outlets FROM events_text"
            )
            sql.execute("DELETE FROM stale WHERE kind = 'bulk'")

    def refresh(self, recomputed: Recomputing | None = None) -> None:
        """Recompute the derived models that the pages projected so far made stale (after
        giving read models made by an earlier version the indexes this one lists); or write
        what `recomputed` worked out, if nothing was projected since it read the rows."""
        with self.datastore.transaction(commit=True) as cursor:
            sql = cursor.sqlite_cursor
            schema.align_indexes(sql)
            with contextlib.ExitStack() as stack:
                kept = None if recomputed is None else stack.enter_context(recomputed.kept(sql))
                if kept is not None:
                    derived.copy_stale(sql, kept)
                else:
                    derived.refresh_stale(sql)
            sql.execute("DELETE FROM stale WHERE kind = 'rebuild'")  # every event is projected


def _in_bulk(cursor: sqlite3.Cursor) -> bool:
    return cursor.execute("SELECT 1 FROM stale WHERE kind = 'bulk'").fetchone() is not None


def _defer_indexes(cursor: sqlite3.Cursor) -> None:
    """Drop the deferred indexes and leave a mark saying so, unless that is done already."""
    if _in_bulk(cursor):
        return
    for name in schema.deferred_indexes():
        cursor.execute(f"DROP INDEX IF EXISTS [{name}]")
    cursor.execute("INSERT INTO stale VALUES ('bulk', 'indexes and full-text index')")


class ReadModelsOfAnotherStore(TimelineError):
    """The views' tracked position or first event does not belong to this store."""


def open_recorder(path: str) -> ViewsRecorder:
    recorder = ViewsRecorder(SQLiteDatastore(path, lock_timeout=30))
    recorder.create_table()
    return recorder


def fingerprint(source: TimelineRecorder) -> str | None:
    """What read models remember of the store they are projected from: a hash of its first
    event (None while it has none)."""
    first = source.select_notifications(None, limit=1)
    return hashlib.blake2b(first[0].state, digest_size=16).hexdigest() if first else None

# Rows a writer appended, as it holds them, from this position on (one after another):
# (first position, batches of (stream id hex, version, topic, state)).
Given = tuple[int, Iterable[Sequence[tuple[str, int, str, bytes]]]]


def _pages(
    source: TimelineRecorder, position: int, page_size: int, given: Given | None
) -> Iterator[Page]:
    """The pages to project after `position`: read from the store; or, where a writer gives
    the rows it appended, the store's up to them, then those rows (read from nowhere), then
    the store's after them (another writer's)."""
    if given is not None:
        first, batches = given
        while (before := min(page_size, first - 1 - position)) > 0:  # at most, before first
            read = source.read_page(position, before, TOPICS)
            page = [row for row in read if row[0] < first]
            if page:
                yield page
                position = page[-1][0]
            if len(page) < len(read) or len(read) < before:  # reached the given rows
                break
        at, pending = first, []
        for batch in batches:
            for _, _, topic, state in batch:
                if at > position and topic in TOPICS:  # not projected by another already
                    pending.append((at, topic, state))
                at += 1
            if len(pending) >= page_size:
                yield pending
                pending = []
        if pending:
            yield pending
        position = max(position, at - 1)
    while page := source.read_page(position, page_size, TOPICS):
        yield page
        position = page[-1][0]


def catch_up(
    source: TimelineRecorder,
    name: str,
    recorder: ViewsRecorder,
    *,
    page_size: int | None = None,
    progress: Callable[[int], Any] | None = None,
    bulk_from: int | None = None,
    given: Given | None = None,
) -> int:
    """Project every event recorded after the tracked position; return how many.

    A backlog of `bulk_from` events or more, and at least as long as what is projected
    already, is projected in bulk: the indexes that only questions use, and the full-text
    index, are dropped at the first page and built once at the end, which is faster than
    keeping them row by row (building them again costs in proportion to every event, hence
    the second condition). Until then, questions still get right answers, slowly, but a text
    search misses what the bulk has projected so far; a crash in between leaves a mark, and
    the next catch-up finishes the job.

    `page_size`: events a page (and a transaction); by default more in bulk than not.
    `progress` is told how far each page moved the position in the store's log (which also
    holds events the read models skip), so that it adds up to the backlog it started from.
    `given`: the rows a writer appended and holds, from a position on, projected from its
    hands instead of read back from the store and decoded (the inline projection of an
    import); they must be the store's own, as committed (the writer checks that).
    """
    position = recorder.max_tracking_id(name) or 0
    identity = fingerprint(source)
    last = source.max_notification_id() or 0
    recorder.check_source(identity, position, last)
    backlog, least = last - position, BULK_FROM if bulk_from is None else bulk_from
    bulk = (backlog >= least and backlog >= position) or recorder.in_bulk()
    if page_size is None:
        page_size = BULK_PAGE_SIZE if bulk else PAGE_SIZE
    done = 0
    with no_cycle_collection():
        for page in _pages(source, position, page_size, given):
            start, position = position, page[-1][0]
            recorder.write(
                Tracking(name, position),
                partial(Projector.apply_all, notifications=page),
                bulk=bulk,
                stored=source.read_positions,
            )
            done += len(page)
            if progress is not None:
                progress(position - start)
    recomputing = None
    if bulk or done >= RECOMPUTE_APART_FROM:
        recomputing = Recomputing(recorder.path)
        recomputing.start()
    if bulk:
        recorder.finish_bulk()
    recorder.refresh(recomputing)
    return done
