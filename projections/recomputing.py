"""The derived models recomputed apart from a catch-up: in two processes of their own, each
writing the rows of its part (derived.PARTS) into a scratch file beside the read models,
which the catch-up copies across.

    python -m projections.recomputing VIEWS SPILL PART

is one part's process. A process of its own, started afresh, and not a thread: the models'
Python holds the interpreter's lock, so a thread only took turns with the catch-up, and a
forked copy of a large import would count its memory again.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from functools import partial
from typing import Any

import orjson

from projections import derived
from timeline.bulk import no_cycle_collection


def command(views: str, spill: str, part: derived.Part) -> list[str]:
    """The command line of one part's process."""
    return [sys.executable, "-m", "projections.recomputing", views, spill, part]


class Recomputing:
    """The stale derived models, recomputed from a snapshot of the read models in `path` while
    the catch-up does something else (builds the indexes of a bulk catch-up) or waits.

    Each part reads a snapshot, so it cannot write the read models: it writes the rows, as it
    makes them, into a file of its own beside them (SQLite's, with the models' tables, and the
    state it read them in), which the catch-up copies across and removes. Held in memory
    instead, they grew with the store."""

    def __init__(self, path: str) -> None:
        self.path = path
        for left in glob.glob(f"{glob.escape(path)}.*.derived"):  # by a catch-up that crashed
            with contextlib.suppress(OSError):  # (this one holds the views' lock: none runs)
                os.remove(left)
        self.spills = [self._spill() for _ in derived.PARTS]
        self._children: list[subprocess.Popen[bytes]] = []

    def _spill(self) -> str:
        descriptor, spill = tempfile.mkstemp(
            prefix=f"{os.path.basename(self.path)}.", suffix=".derived",
            dir=os.path.dirname(self.path) or ".",
        )  # fmt: skip
        os.close(descriptor)
        return spill

    def start(self) -> None:
        for part, spill in zip(derived.PARTS, self.spills, strict=True):
            self._children.append(subprocess.Popen(
                command(self.path, spill, part), stdin=subprocess.DEVNULL, env=_environment()
            ))  # fmt: skip

    def join(self) -> None:
        while self._children:
            self._children.pop().wait()

    @contextlib.contextmanager
    def kept(self, cursor: sqlite3.Cursor) -> Iterator[Callable[[str], derived.Rows] | None]:
        """Its rows (each model's, read from the files they are in), if every part finished
        and nothing was projected since it read them (`cursor` reads the read models as they
        are now); None otherwise. The files are removed on leaving."""
        self.join()
        now = orjson.dumps(state(cursor)).decode()
        try:
            with contextlib.ExitStack() as stack:
                kept = [stack.enter_context(closing(sqlite3.connect(s))) for s in self.spills]
                if all(_kept_state(spill) == now for spill in kept):
                    yield partial(_kept_rows, kept)
                else:
                    yield None
        finally:
            for spill in self.spills:
                with contextlib.suppress(OSError):
                    os.remove(spill)


def _environment() -> dict[str, str]:
    """This process's environment, with its module path: a part imports what this process
    did (a notebook's or a checkout's projections, not only an installed one)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}


def state(cursor: sqlite3.Cursor) -> tuple[Any, ...]:
    """What the derived models are computed from has not changed while this stays the same:
    every page commits its tracking position with its rows and its stale marks."""
    tracked = cursor.execute("SELECT * FROM tracking ORDER BY 1").fetchall()
    (stale,) = cursor.execute(
        "SELECT count(*) FROM stale WHERE kind NOT IN ('bulk', 'rebuild')"
    ).fetchone()
    return tuple(tuple(row) for row in tracked), stale


def recompute(path: str, spill_path: str, part: derived.Part) -> None:
    """Recompute the stale derived models of `part` from a snapshot of the read models in
    `path`, into the file `spill_path`, with the state they were read in written last (a
    part that fails leaves none, and is not kept)."""
    with closing(sqlite3.connect(path)) as db, closing(sqlite3.connect(spill_path)) as spill:
        db.execute("BEGIN")  # one snapshot for the state and the rows
        cursor = db.cursor()
        read = orjson.dumps(state(cursor)).decode()
        spill.execute("PRAGMA journal_mode = OFF")  # a scratch file: it is never recovered
        spill.execute("PRAGMA synchronous = OFF")
        for table, columns in derived.COLUMNS.items():
            spill.execute(f"CREATE TABLE [{table}] ({', '.join(f'[{c}]' for c in columns)})")
        spill.execute("CREATE TABLE state (read TEXT)")

        def keep(table: str, rows: derived.Rows) -> None:
            marks = ", ".join("?" * len(derived.COLUMNS[table]))
            spill.executemany(f"INSERT INTO [{table}] VALUES ({marks})", rows)

        with no_cycle_collection():
            derived.recompute_stale(cursor, keep, part)
        spill.execute("INSERT INTO state VALUES (?)", (read,))
        spill.commit()


def _kept_state(spill: sqlite3.Connection) -> str | None:
    """The state a part's rows were read in; None if it did not finish."""
    with contextlib.suppress(sqlite3.Error):
        row = spill.execute("SELECT read FROM state").fetchone()
        return None if row is None else str(row[0])
    return None


def _kept_rows(kept: list[sqlite3.Connection], table: str) -> derived.Rows:
    """A model's rows as the parts kept them, each part's in the order they were made."""
    return itertools.chain.from_iterable(
        spill.execute(f"SELECT * FROM [{table}] ORDER BY rowid") for spill in kept
    )


if __name__ == "__main__":
    views, spill, named = sys.argv[1:]
    if named not in derived.PARTS:
        raise SystemExit(f"{named!r} is not a part of the derived models: {derived.PARTS}")
    try:
        recompute(views, spill, named)
    except (sqlite3.Error, KeyboardInterrupt):  # not kept: the catch-up recomputes it
        raise SystemExit(1) from None
