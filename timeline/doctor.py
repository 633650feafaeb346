"""`timeline doctor`, the store's half: what is checked of an event store, each check a
finding (ok, warn or fail) with what to do.

Checks of the store are functions of the store's name and its opened application, listed in
`STORE_CHECKS`; `store_check` adds one. The hash chains are checked by one more such
function (`chains`, what `timeline verify` does). The read
models' half is `projections.health`; `OpsTimeline.doctor` asks both.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from timeline.environment import environmental, reason
from timeline.errors import TimelineError
from timeline.store import settings
from timeline.stores.recorder import STORE_APPLICATION_ID, STORE_VERSION

if TYPE_CHECKING:
    from timeline.application import Timeline

Status = Literal["ok", "warn", "fail"]
LOW_DISK = 512 * 1024 * 1024  # bytes free below which a warning is given (or twice the file)
NO_DISK = 16 * 1024 * 1024  # bytes free below which writes are about to fail


@dataclass(frozen=True)
class Finding:
    """One check's result: `what` was checked, what was found, and what to do about it."""

    status: Status
    what: str
    found: str
    todo: str = ""

    def __str__(self) -> str:
        return f"{self.status:<4} {self.what}: {self.found}" + (
            f" ({self.todo})" if self.todo else ""
        )


StoreCheck = Callable[[str, "Timeline"], Iterable[Finding]]
STORE_CHECKS: list[StoreCheck] = []


def store_check(check: StoreCheck) -> StoreCheck:
    """Add a check of an opened store (the chains' `verify`, say) to what `doctor` runs."""
    STORE_CHECKS.append(check)
    return check


def is_file(db: str) -> bool:
    return settings(db)["PERSISTENCE_MODULE"] == "timeline.stores.sqlite"


def check_store(db: str) -> tuple[list[Finding], Timeline | None]:
    """The store's findings, and the store opened (None if it cannot be: a fail says why)."""
    from timeline.application import Timeline

    found: list[Finding] = []
    if is_file(db):
        if not Path(db).is_file():
            return [Finding("fail", "store", f"no store at {db}", "name it with --db")], None
        found.append(integrity(db, "store integrity", "restore the store from a copy"))
        found.append(file_version(db))
        found.append(disk_space(Path(db), "store disk"))
    try:
        app = Timeline(db=db)
    except Exception as error:
        found.append(Finding("fail", "store", _said(error, db)))
        return found, None
    if not is_file(db):
        found.append(Finding("ok", "store version", f"one this version reads (up to "
                             f"{STORE_VERSION})"))  # fmt: skip
    for check in STORE_CHECKS:
        found += check(db, app)
    return found, app


def _said(error: Exception, db: str) -> str:
    """What a user reads of an error met opening or reading the store; any other error is
    a bug, raised again."""
    if isinstance(error, TimelineError):
        return str(error)
    if environmental(error):
        return reason(error, db)
    raise error


def integrity(path: str, what: str, todo: str, *, quick: bool = False) -> Finding:
    """SQLite's own check of every page of a file (`quick`: without matching the indexes to
    their tables), read without writing to it."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        with closing(sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)) as db:
            said = [row[0] for row in db.execute(f"PRAGMA {pragma}(20)")]
    except sqlite3.DatabaseError as error:
        return Finding("fail", what, f"{pragma} could not read the file: {error}", todo)
    if said == ["ok"]:
        return Finding("ok", what, f"PRAGMA {pragma} found nothing wrong")
    shown = "; ".join(said[:3]) + (f"; and {len(said) - 3} more" if len(said) > 3 else "")
    return Finding("fail", what, f"PRAGMA {pragma}: {shown}", todo)


def file_version(path: str) -> Finding:
    try:
        with closing(sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)) as db:
            (application_id,) = db.execute("PRAGMA application_id").fetchone()
            (version,) = db.execute("PRAGMA user_version").fetchone()
    except sqlite3.DatabaseError as error:
        return Finding("fail", "store version", f"cannot be read: {error}")
    if application_id not in (0, STORE_APPLICATION_ID):
        return Finding("fail", "store version", f"{path} is not an ops-timeline store")
    version = version or 1  # a store made before versions were recorded
    if version > STORE_VERSION:
        return Finding("fail", "store version", f"{version}, newer than this ops-timeline "
                       f"reads ({STORE_VERSION})", "upgrade ops-timeline")  # fmt: skip
    return Finding("ok", "store version", f"{version} (this version reads up to {STORE_VERSION})")


def disk_space(file: Path, what: str) -> Finding:
    """Space free where a file is: a warning below twice its size or LOW_DISK."""
    directory = file.absolute().parent
    try:
        free = shutil.disk_usage(directory).free
    except OSError as error:
        return Finding("warn", what, f"cannot tell the space free in {directory}: {error}")
    size = file.stat().st_size if file.is_file() else 0
    said = f"{_size(free)} free in {directory}"
    if free < NO_DISK:
        return Finding("fail", what, said, "free some space: writes are about to fail")
    if free < max(2 * size, LOW_DISK):
        return Finding("warn", what, said, f"free some space: the file is {_size(size)}")
    return Finding("ok", what, said)


def _size(count: int) -> str:
    amount = float(count)
    for unit in ("bytes", "KiB", "MiB"):
        if amount < 1024:
            return f"{amount:.0f} {unit}" if unit == "bytes" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GiB"


@store_check
def chains(db: str, app: Timeline) -> Iterable[Finding]:
    """The hash chains recomputed, as `timeline verify` does."""
    try:
        found = app.verify()
    except Exception as error:  # a store whose pages cannot be read: integrity says why
        yield Finding("fail", "chains of hashes", f"cannot be read: {_said(error, db)}",
                      "restore the store from a copy")  # fmt: skip
        return
    if found.broken is not None:
        yield Finding("fail", "chains of hashes", f"broken at {found.broken}",
                      "run timeline verify; restore the store from a copy")  # fmt: skip
    else:
        yield Finding("ok", "chains of hashes", f"{found.events:,} stored events in "
                      f"{found.streams:,} streams, every chain whole")  # fmt: skip
