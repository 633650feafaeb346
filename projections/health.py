"""`timeline doctor`, the read models' half: their file, layout, position against the store,
the store they were projected from, and marks left by a catch-up cut short. Read without
writing to the file (a file not there is not made)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from projections import schema
from projections.tracking import fingerprint
from timeline.doctor import Finding, disk_space, integrity
from timeline.environment import environmental
from timeline.vocabulary import PROJECTED_TOPICS

if TYPE_CHECKING:
    from timeline.stores.recorder import TimelineRecorder

REBUILD = "run timeline rebuild"
PROJECT = "run timeline project"


def check_read_models(path: str, source: TimelineRecorder | None, name: str) -> list[Finding]:
    """The read models' findings; `source`: the store's recorder (None if it cannot be
    opened: what depends on it is not checked)."""
    if not Path(path).is_file():
        return [Finding("warn", "read models", f"none at {path} yet", PROJECT)]
    found = [integrity(path, "read models integrity", REBUILD, quick=True)]
    if found[0].status == "fail":
        return found
    try:
        with closing(sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)) as db:
            found += _check(db, source, name)
    except sqlite3.DatabaseError as error:
        found.append(Finding("fail", "read models", f"cannot be read: {error}", REBUILD))
    found.append(disk_space(Path(path), "read models disk"))
    return found


def _check(
    db: sqlite3.Connection, source: TimelineRecorder | None, name: str
) -> list[Finding]:
    (application_id,) = db.execute("PRAGMA application_id").fetchone()
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if application_id not in (0, schema.APPLICATION_ID):
        return [Finding("fail", "read models", "the file holds something else", REBUILD)]
    if version > schema.VERSION:
        return [Finding("fail", "read models layout", f"{version}, newer than this version "
                        f"makes ({schema.VERSION})", REBUILD)]  # fmt: skip
    found = [Finding("ok", "read models layout", f"{version} (this version's)")
             if version == schema.VERSION
             else Finding("warn", "read models layout", f"{version}, of an earlier version",
                          PROJECT + ": it remakes them")]  # fmt: skip
    if version != schema.VERSION:
        return found
    found.append(_stale(db))
    if source is None:  # the store cannot be read: its failure is said
        return found
    try:
        return found + _against(db, source, name)
    except Exception as error:
        if not environmental(error):
            raise
        return [*found, Finding("fail", "read models' store", f"cannot read the store: {error}")]


def _against(db: sqlite3.Connection, source: TimelineRecorder, name: str) -> list[Finding]:
    """The read models' store and position, against the store's."""
    found: list[Finding] = []
    row = db.execute(
        "SELECT notification_id FROM tracking WHERE application_name = ?", (name,)
    ).fetchone()
    position = row[0] if row else 0
    remembered = db.execute("SELECT value FROM projected_from WHERE key = 'first event'")
    first = remembered.fetchone()
    identity = fingerprint(source)
    last = source.max_notification_id() or 0
    if (first is not None and identity is not None and first[0] != identity) or position > last:
        found.append(Finding(
            "fail", "read models' store", "projected from another store (or from this one "
            "before it was made anew)", REBUILD + ", or name another file with --views",
        ))  # fmt: skip
        return found
    found.append(Finding("ok", "read models' store", f"this one (first event {identity})"
                         if identity else "this one (it holds no event yet)"))  # fmt: skip
    if source.read_page(position, 1, PROJECTED_TOPICS):
        found.append(Finding("warn", "read models position", f"behind the store: projected "
                             f"to {position}, the store's log goes to {last}", PROJECT))
    else:
        found.append(Finding("ok", "read models position", f"up to date ({position} of {last})"))
    return found


def _stale(db: sqlite3.Connection) -> Finding:
    marks = dict(db.execute("SELECT kind, count(*) FROM stale GROUP BY kind").fetchall())
    if not marks:
        return Finding("ok", "stale marks", "none")
    said = []
    if "bulk" in marks:
        said.append("a bulk catch-up cut short (indexes and the full-text index not built)")
    if "rebuild" in marks:
        said.append("made anew (a rebuild, or for this version's layout) and not yet projected")
    derived = marks.get("place", 0) + marks.get("operation", 0)
    if derived:
        said.append(f"{derived} places and operations whose control, forces or operations "
                    "rows are not recomputed")  # fmt: skip
    return Finding("warn", "stale marks", "; ".join(said), PROJECT + " to finish it")
