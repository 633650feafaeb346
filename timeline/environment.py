"""What the machine refuses, said in one line: a read-only file or directory, a directory that
is not there, a full disk, a file that is not a database, a lock held too long.

SQLite and the operating system say these in their own words ("unable to open database
file", "attempt to write a readonly database"); `reason` says what they mean for the file
named, and `environmental` tells them from the errors that are bugs (which keep their
traceback)."""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
from pathlib import Path

_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


def environmental(error: BaseException) -> bool:
    """Whether an error is the machine's (a file, a disk, a lock, a server), not a bug."""
    if isinstance(error, OSError):
        return True
    if isinstance(error, sqlite3.OperationalError) or type(error) is sqlite3.DatabaseError:
        return True
    persistence = sys.modules.get("eventsourcing.persistence")  # loaded if a store was opened
    if persistence is not None and (
        isinstance(error, persistence.OperationalError | persistence.InterfaceError)
        or type(error) is persistence.DatabaseError
    ):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(error, psycopg.OperationalError)


def reason(error: BaseException, path: str | None = None) -> str:
    """What went wrong with the file at `path` (an SQLite file), in a few words."""
    text = str(error) or type(error).__name__
    lowered = text.lower()
    code = error.errno if isinstance(error, OSError) else None
    file = Path(path) if path and "://" not in path else None
    if code == errno.ENOSPC or "disk is full" in lowered:
        return "the disk is full"
    if "disk i/o error" in lowered and file is not None and _nearly_full(file.parent):
        return "the disk is full (disk I/O error)"  # SQLite could not grow NAME-shm
    if "readonly database" in lowered or code in _READ_ONLY:
        if file is not None and not _writable(file.parent):
            return f"its directory {file.parent} is read-only"
        return "it is read-only"
    if "unable to open database file" in lowered or code == errno.ENOENT:
        return _cannot_open(file) or text
    if "file is not a database" in lowered or "malformed" in lowered:
        return f"it is not an SQLite database ({text})"
    if "database is locked" in lowered:
        return "another process kept it locked for too long"
    if code is not None and isinstance(error, OSError):
        return error.strerror or text
    return text


def unwritable(path: str) -> str | None:
    """Why an SQLite file (in WAL mode: files beside it too) cannot be written, if it cannot:
    told before anything is written, so that nothing is half done."""
    file = Path(path)
    if not _writable(file.parent):
        return f"its directory {file.parent} is read-only"
    if file.exists() and not os.access(file, os.W_OK):
        return "it is read-only"
    return None


def _cannot_open(file: Path | None) -> str | None:
    """Why SQLite could not open (or make) this file."""
    if file is None:
        return None
    if not file.parent.is_dir():
        return f"there is no directory {file.parent}"
    if file.is_dir():
        return "it is a directory"
    if not _writable(file.parent):  # a file in WAL mode is read with -wal and -shm beside it
        return (
            f"its directory {file.parent} is read-only, and SQLite must write {file.name}-wal "
            f"and {file.name}-shm beside it: copy it to a directory you can write"
        )
    return None


def _nearly_full(directory: Path) -> bool:
    """Whether the file system holding a directory has less than 64 KiB left."""
    try:
        found = os.statvfs(directory)
    except OSError:
        return False
    return found.f_bavail * found.f_frsize < 64 * 1024


def _writable(directory: Path) -> bool:
    """Whether files can be made in a directory (a read-only mount refuses even root)."""
    try:
        return os.access(directory, os.W_OK) and not os.statvfs(directory).f_flag & os.ST_RDONLY
    except OSError:
        return False
