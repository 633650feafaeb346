"""A whole store copied into another, SQLite or PostgreSQL either way: every stored event's
exact bytes (its stream, version, topic and state, so its id and the time it was recorded),
in the order of the log, in one transaction.

The source is read in pages through eventsourcing's `select_notifications`; the pages go to
the destination's recorder as rows (`TimelineRecorder.append_rows`), which inserts them
through its `_insert_events` hook as it inserts an import's, each page with the source's rows
of the table of event ids for its `Recorded` events (as an import gives its own). The hash
chains the destination's recorder computes itself, from the events it inserts: the same
bytes, so the same chains (`timeline verify --against` the origin's `log --json` passes).
Snapshots are not copied: they only spare a replay, and the destination takes its own after
a write.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from timeline.errors import InvalidInput
from timeline.store import settings

if TYPE_CHECKING:
    from timeline.application import Timeline
    from timeline.encoding import Batch

PAGE = 5_000  # stored events read, and inserted, at a time


def _is_file(db: str) -> bool:
    return settings(db)["PERSISTENCE_MODULE"] == "timeline.stores.sqlite"


def stored_events(source: str) -> int:
    """How many events a store holds (its last position in the log): what a copy copies."""
    from timeline.application import Timeline

    _check_source(source)
    origin = Timeline(db=source)
    try:
        return origin.recorder.max_notification_id() or 0
    finally:
        origin.close()


def _check_source(source: str) -> None:
    if _is_file(source) and not Path(source).is_file():  # else opening it would make it
        raise InvalidInput("from", f"no store at {source}")


def copy_store(
    source: str, destination: str, *, page: int = PAGE,
    progress: Callable[[int], None] | None = None,
) -> int:  # fmt: skip
    """Copy every stored event of `source` into `destination` (empty or not there), all or
    nothing; return how many. `progress` is told how many events each page copied."""
    from timeline.application import Timeline

    _check_source(source)
    if _is_file(source) and _is_file(destination) and _same(source, destination):
        raise InvalidInput("to", "is the store copied from: name another")
    made = _is_file(destination) and not Path(destination).exists()
    origin = Timeline(db=source)
    try:
        target = Timeline(db=destination)
    except BaseException:
        origin.close()
        raise
    try:
        held = target.recorder.max_notification_id() or 0
        if held:
            raise InvalidInput(
                "to", f"the store {_shown(destination)} holds events already: copy into a new "
                "or empty store"
            )  # fmt: skip
        total = origin.recorder.max_notification_id() or 0
        copied = target.recorder.append_rows(_pages(origin, page, progress), count=total)
    except BaseException:
        target.close()
        origin.close()
        if made:  # nothing is left of a copy that failed
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(destination + suffix)
        raise
    target.close()
    origin.close()
    return copied


def _pages(
    origin: Timeline, page: int, progress: Callable[[int], None] | None
) -> Iterator[Batch]:
    import orjson

    from timeline.encoding import Batch
    from timeline.vocabulary import RECORDED

    position = 0
    while True:
        notifications = origin.recorder.select_notifications(
            position, limit=page, inclusive_of_start=False
        )
        if not notifications:
            return
        rows = [
            (UUID(str(n.originator_id)).hex, n.originator_version, n.topic, bytes(n.state))
            for n in notifications
        ]
        ids = [orjson.loads(row[3])["record"]["id"] for row in rows if row[2] == RECORDED]
        yield Batch(rows, origin.recorder.select_event_ids(ids))
        position = notifications[-1].id
        if progress is not None:
            progress(len(notifications))


def _same(one: str, other: str) -> bool:
    with contextlib.suppress(OSError):
        return os.path.samefile(one, other)
    return os.path.abspath(one) == os.path.abspath(other)


def _shown(db: str) -> str:
    """A store's name without its password."""
    if "://" not in db or "@" not in db:
        return db
    scheme, _, rest = db.partition("://")
    user, _, host = rest.rpartition("@")
    return f"{scheme}://{user.partition(':')[0]}@{host}"
