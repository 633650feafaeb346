"""A large import into SQLite bypasses the WAL when it has the store to itself: the same rows,
the store left in WAL mode, and a crash in the middle rolled back by the next connection."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from eventsourcing.sqlite import SQLiteConnection

from tests.conftest import captured, launched, write_jsonl
from tests.test_import import stored_rows
from timeline.application import Timeline
from timeline.stores import sqlite as store


def many_events(tmp_path: Path, count: int = 300) -> Path:
    records = [launched()] + [captured(f"op-1/{n}", notes="notes " * 40) for n in range(count)]
    return write_jsonl(tmp_path / "many.jsonl", records)


@pytest.fixture
def journals(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each append of the test went through a rollback journal; every import of the
    test counts as large."""
    seen: list[bool] = []
    real = store.rollback_journal

    @contextmanager
    def spy(connection: SQLiteConnection) -> Iterator[bool]:
        with real(connection) as switched:
            seen.append(switched)
            yield switched

    monkeypatch.setattr(store, "rollback_journal", spy)
    monkeypatch.setattr(store, "ROLLBACK_JOURNAL_FROM", 1)
    return seen


def journal_mode(db: str) -> str:
    with closing(sqlite3.connect(db)) as connection:
        return str(connection.execute("PRAGMA journal_mode").fetchone()[0])


def test_a_large_import_stores_the_rows_a_small_one_does_and_leaves_the_store_in_wal(
    tmp_path: Path, journals: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = many_events(tmp_path)
    through_wal, large = str(tmp_path / "wal.db"), str(tmp_path / "large.db")
    monkeypatch.setattr(store, "ROLLBACK_JOURNAL_FROM", 10**9)
    Timeline(db=through_wal).import_file(path)
    monkeypatch.setattr(store, "ROLLBACK_JOURNAL_FROM", 1)

    Timeline(db=large).import_file(path)

    assert journals == [True]
    assert [row[:4] for row in stored_rows(large)] == [row[:4] for row in stored_rows(through_wal)]
    assert journal_mode(large) == "wal"
    assert not Path(large + "-journal").exists()


def test_with_the_store_open_elsewhere_a_large_import_goes_through_the_wal_at_once(
    tmp_path: Path, db: str, journals: list[bool]
) -> None:
    Timeline(db=db).record(launched())
    reader = sqlite3.connect(db)
    reader.execute("SELECT count(*) FROM stored_events").fetchone()

    app = Timeline(db=db)
    result = app.import_file(many_events(tmp_path, 20))

    assert journals == [False]
    assert (result.new, result.already) == (20, 1)
    assert reader.execute("SELECT count(*) FROM stored_events").fetchone()[0] == len(
        stored_rows(db)
    )
    with app.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 30_000  # the writer still waits for locks as before
    reader.close()


CRASH = """
import os, sys
from timeline import application
from timeline.application import Timeline
from timeline.stores import sqlite as store

store.ROLLBACK_JOURNAL_FROM = 1
store.APPEND_CACHE_KIB = 16  # pages spill into the database file before the commit
real = application.Spool.batches

def crash_after_the_first_batches(self, **keep):
    for n, batch in enumerate(real(self, **keep)):
        if n == 3:
            os._exit(9)  # no rollback, no cleanup: as if the power went
        yield batch

application.Spool.batches = crash_after_the_first_batches
application.intake.CHUNK_BYTES = 8_000  # many batches
Timeline(db=sys.argv[1]).import_file(sys.argv[2])
"""


def test_a_crash_in_the_middle_of_a_large_import_leaves_the_store_as_it_was(
    tmp_path: Path, db: str
) -> None:
    app = Timeline(db=db)
    app.record(launched())
    before = stored_rows(db)
    app.close()

    crashed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASH), db, str(many_events(tmp_path))],
        capture_output=True,
        check=False,
    )

    assert crashed.returncode == 9, crashed.stderr.decode()
    assert Path(db + "-journal").exists()  # pages were written, and their journal is hot
    reopened = Timeline(db=db)
    assert stored_rows(db) == before
    assert [event.record.id for event in reopened.log()] == ["op-1/launched"]
    assert journal_mode(db) == "wal"
    reopened.close()
