"""Many processes at once on one store and one read-models file: concurrent `timeline project`
(and `rebuild`) take turns, questions asked meanwhile answer, and nothing is left stale; a
fresh PostgreSQL schema is made by one process while the others wait. Real processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.generate import write
from tests.conftest import POSTGRES, ROOT
from tests.test_projection_tracking import every_table

QUESTIONS = [
    ["show", "op-0000-aynghu-2014", "--limit", "5"],
    ["operations"],
    ["query", "--text", "air", "--limit", "5"],
    ["forces", "op-0000-aynghu-2014"],
]


def start(db: Path | str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "timeline.cli", "--db", str(db), *args], cwd=ROOT, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "TIMELINE_IMPORT_WORKERS": "0"},
    )  # fmt: skip


def finished(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=600)
    assert "Traceback" not in err, err
    return process.returncode, out, err


def projected(out: str) -> int:
    found = re.fullmatch(r"(\d+) events projected\n", out)
    assert found, out
    return int(found[1])


def ask_meanwhile(db: Path, writers: list[subprocess.Popen[str]]) -> int:
    """Ask questions, one process after another, until every writer has finished: each
    answers (or, asked of read models not made yet, says so in one line). How many."""
    asked = 0
    while any(writer.poll() is None for writer in writers) or asked < len(QUESTIONS):
        code, _, err = finished(start(db, *QUESTIONS[asked % len(QUESTIONS)]))
        assert code == 0 or err.startswith("Error: unknown operation"), err
        asked += 1
    return asked


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A store of 20,000 generated events (a bulk catch-up's backlog) not projected yet, and
    a file of 2,000 more."""
    folder = tmp_path_factory.mktemp("generated")
    store = folder / "timeline.db"
    first = write(folder / "first.jsonl", 20_000, 7)
    assert finished(start(store, "import", "--no-project", str(first)))[0] == 0
    return store, write(folder / "more.jsonl", 2_000, 8)


def _copy(store: Path, folder: Path) -> Path:
    db = folder / "timeline.db"
    db.write_bytes(store.read_bytes())
    return db


def test_concurrent_projects_take_turns_and_each_event_is_projected_once(
    tmp_path: Path, events: tuple[Path, Path]
) -> None:
    first, more = events
    db = _copy(first, tmp_path)

    for backlog in (first, more):  # a bulk catch-up, then row by row
        if backlog is more:
            assert finished(start(db, "import", "--no-project", "--unlaunched", str(more)))[0] == 0
        writers = [start(db, "project") for _ in range(3)]
        asked = ask_meanwhile(db, writers)
        done = [finished(writer) for writer in writers]

        assert [code for code, _, _ in done] == [0, 0, 0], done
        counts = sorted(projected(out) for _, out, _ in done)
        assert counts[:2] == [0, 0], counts  # the first did it all; the others found it done
        assert asked >= len(QUESTIONS)

    (tmp_path / "copy").mkdir()
    copy = _copy(db, tmp_path / "copy")
    assert finished(start(copy, "rebuild"))[0] == 0
    assert every_table(str(db.with_name("timeline.views.db"))) == every_table(
        str(copy.with_name("timeline.views.db"))
    )


def test_a_rebuild_among_projects_and_questions_leaves_nothing_stale(
    tmp_path: Path, events: tuple[Path, Path]
) -> None:
    db = tmp_path / "timeline.db"
    assert finished(start(db, "import", str(events[1]), "--unlaunched"))[0] == 0
    reference = every_table(str(db.with_name("timeline.views.db")))

    writers = [start(db, "rebuild"), start(db, "project"), start(db, "rebuild")]
    ask_meanwhile(db, writers)
    done = [finished(writer) for writer in writers]

    assert [code for code, _, _ in done] == [0, 0, 0], done
    assert every_table(str(db.with_name("timeline.views.db"))) == reference


def test_a_question_asked_during_a_rebuild_waits_for_it(
    tmp_path: Path, events: tuple[Path, Path]
) -> None:
    db = _copy(events[0], tmp_path)
    assert finished(start(db, "project"))[0] == 0
    rebuild = start(db, "rebuild")
    while rebuild.poll() is None and not _rebuilding(db):
        time.sleep(0.01)

    asked = finished(start(db, "operations", "--format", "csv"))

    assert finished(rebuild)[0] == 0
    assert _rebuilding(db) is False
    assert asked[0] == 0
    assert asked[1] == finished(start(db, "operations", "--format", "csv"))[1]  # not emptied


def _rebuilding(db: Path) -> bool:
    import sqlite3
    from contextlib import closing

    try:
        with closing(sqlite3.connect(db.with_name("timeline.views.db"), timeout=0.1)) as c:
            return c.execute("SELECT 1 FROM stale WHERE kind = 'rebuild'").fetchone() is not None
    except sqlite3.Error:
        return False


# PostgreSQL: the first use of a fresh schema by several processes at once


@pytest.fixture
def fresh_schemas(pg_url: str) -> Iterator[list[str]]:
    """Three more fresh schemas (pg_url's server), dropped afterwards."""
    import psycopg

    names = [f"timeline_race_{uuid.uuid4().hex[:12]}" for _ in range(3)]
    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        for name in names:
            connection.execute(f'CREATE SCHEMA "{name}"')
        try:
            yield [f"{POSTGRES}?schema={name}" for name in names]
        finally:
            for name in names:
                connection.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.mark.postgres
def test_processes_first_using_a_fresh_postgresql_schema_at_once_all_succeed(
    pg_url: str, fresh_schemas: list[str], tmp_path: Path
) -> None:
    for url in [pg_url, *fresh_schemas]:
        processes = [start(url, "--views", str(tmp_path / f"v{n}.db"), "log") for n in range(6)]

        done = [finished(process) for process in processes]

        assert [code for code, _, _ in done] == [0] * 6, [err for _, _, err in done]
