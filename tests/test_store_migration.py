"""A store of version 1 (each event id claimed by a stream of its own) is migrated when it is
opened: its ids copied into the table of event ids, in one transaction. It then answers every
question as version 1 answered it, re-imports nothing, and still refuses an id given twice.

The store of version 1 is tests/fixtures/store-v1/timeline.db, made by main before the change
(its README says how), with what that version answered; on PostgreSQL its rows are copied into
a schema laid out as version 1 laid it out.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.conftest import AL_QAIM, ROOT
from tests.datasets import acled_row, write_acled
from timeline.application import Timeline
from timeline.cli import main
from timeline.stores.recorder import STORE_VERSION
from timeline.vocabulary import CLAIMED, RECORDED

V1 = ROOT / "tests" / "fixtures" / "store-v1"
ANSWERS = {
    ("log",): "log.txt",
    ("show", "al-qaim-2017"): "show-al-qaim-2017.txt",
    ("show", "acled-syria-deir-ez-zor-2017"): "show-acled.txt",
    ("control", "al-Qaim"): "control-al-qaim.txt",
    ("control", "Abu Kamal"): "control-abu-kamal.txt",
    ("operations",): "operations.txt",
    ("places",): "places.txt",
    ("history", "al-qaim-2017/town-entered"): "history-town-entered.txt",  # the last: counted
}
Run = Callable[..., Result]


def v1_rows(db: Path = V1 / "timeline.db") -> list[tuple[str, int, str, bytes]]:
    """The stored events of the version 1 store (or of another SQLite store), in log order
    (its claims among them)."""
    with closing(sqlite3.connect(db)) as connection:
        return connection.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        ).fetchall()


def sqlite_v1(tmp_path: Path) -> str:
    db = tmp_path / "timeline.db"
    shutil.copy(V1 / "timeline.db", db)
    return str(db)


def insert_events(cursor: Any, schema: str, rows: list[tuple[str, int, str, bytes]]) -> None:
    """Rows of an SQLite store's events inserted into a PostgreSQL store's, in log order."""
    cursor.executemany(
        f'INSERT INTO "{schema}".timeline_events '
        "(originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)",
        [(uuid.UUID(i), v, t, s) for i, v, t, s in rows],
    )


def postgres_v1(url: str) -> str:
    """A schema laid out as version 1 laid it out (eventsourcing's tables, timeline_meta saying
    1, no table of event ids), holding the version 1 store's events."""
    import psycopg

    Timeline(db=url).close()  # eventsourcing's tables, as version 1 made them, and ours
    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(url.split("?")[0], autocommit=True) as connection:
        connection.execute(f'DROP TABLE "{schema}".timeline_event_ids')
        connection.execute(f"UPDATE \"{schema}\".timeline_meta SET value = '1'")
        with connection.cursor() as cursor:
            insert_events(cursor, schema, v1_rows())
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The version 1 store, on SQLite, then on PostgreSQL, not opened by this version yet."""
    if request.param == "postgres":
        return postgres_v1(request.getfixturevalue("pg_url"))
    return sqlite_v1(tmp_path)


@pytest.fixture
def run(old_store: str, tmp_path: Path) -> Run:
    views = str(tmp_path / "migrated.views.db")

    def timeline(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            main, ["--db", old_store, "--views", views, *args], input=input,
            catch_exceptions=False,
        )  # fmt: skip

    return timeline


def records(said: Result) -> str:
    """What `log --json` wrote, its last line (the chain heads, which version 1 had not) left
    out."""
    *lines, heads = said.output.splitlines(keepends=True)
    assert heads.startswith('{"chain_heads":')
    return "".join(lines)


def event_ids(db: str) -> list[tuple[str, str, str]]:
    app = Timeline(db=db)
    try:
        ids = [r.record.id for r in app.log()]
        return sorted(app.recorder.select_event_ids(ids))
    finally:
        app.close()


def test_a_migrated_store_answers_every_question_as_version_1_did(run: Run) -> None:
    assert run("project").exit_code == 0

    for question, answer in ANSWERS.items():
        said = run(*question)
        assert said.exit_code == 0, said.output
        # history now names who recorded each step; version 1 kept no analyst
        output = said.output.replace("  by (not kept)\n", "\n")
        assert output == (V1 / answer).read_text("utf-8"), question
    assert said.output.count("by (not kept)") == 2
    assert records(run("log", "--json")) == (V1 / "log.jsonl").read_text("utf-8")


def test_a_migrated_store_holds_each_id_of_version_1_once_with_its_digest_and_operation(
    old_store: str,
) -> None:
    claims = [row for row in v1_rows() if row[2] == CLAIMED]
    recorded = [row for row in v1_rows() if row[2] == RECORDED]

    found = event_ids(old_store)

    assert len(found) == len(claims) == len(recorded) == 13
    assert ("acled/SYR1", "9527262a132480cc1e00b1da5a64dec2", "acled-syria-deir-ez-zor-2017") in (
        found
    )
    assert event_ids(old_store) == found  # opened again: migrated once


def test_a_migrated_store_records_this_version(old_store: str) -> None:
    Timeline(db=old_store).close()

    if old_store.startswith("postgresql://"):
        import psycopg

        schema = old_store.rsplit("schema=", 1)[1]
        with psycopg.connect(old_store.split("?")[0]) as connection:
            row = connection.execute(
                f'SELECT value FROM "{schema}".timeline_meta WHERE key = %s', ("store_version",)
            ).fetchone()
        assert row == (str(STORE_VERSION),)
    else:
        with closing(sqlite3.connect(old_store)) as connection:
            assert connection.execute("PRAGMA user_version").fetchone() == (STORE_VERSION,)


def test_the_files_version_1_imported_import_again_as_nothing_new(run: Run) -> None:
    assert run("import", str(AL_QAIM), "--no-project").output == "0 new, 8 already recorded\n"
    assert run("import", "--format", "acled", str(V1 / "acled.csv"), "--no-project").output == (
        "0 new, 3 already recorded\n"
    )
    assert run("import", str(V1 / "later.jsonl"), "--no-project").output == (
        "0 new, 2 already recorded\n"
    )
    assert records(run("log", "--json")) == (V1 / "log.jsonl").read_text("utf-8")


def test_an_id_version_1_stored_is_refused_for_another_event(run: Run) -> None:
    other = (
        '{"id": "al-qaim-2017/launched", "type": "operation_launched", "operation": "op-2", '
        '"occurred": "2017-11-05", "place": "al-Qaim", "sources": [{"outlet": "X", '
        '"reliability": "B", "credibility": "2"}]}\n'
    )

    refused = run("import", "-", "--no-project", input=other)

    assert refused.exit_code == 1
    assert "<stdin>:1: id: 'al-qaim-2017/launched' is already recorded (operation " \
        "'al-qaim-2017') with different content" in refused.output
    assert records(run("log", "--json")) == (V1 / "log.jsonl").read_text("utf-8")


def test_a_newer_acled_file_revises_what_version_1_stored(run: Run, tmp_path: Path) -> None:
    newer = write_acled(tmp_path / "newer.csv", [
        acled_row("SYR1", sub_event_type="Government regains territory"),
        acled_row("SYR2", location="Al Bukamal", event_type="Explosions/Remote violence",
                  sub_event_type="Air/drone strike", actor2="", inter2="",
                  event_date="2017-11-05"),
        acled_row("SYR3", event_date="2017-11-07", fatalities="9"),
    ])  # fmt: skip

    said = run("import", "--format", "acled", str(newer), "--no-project")

    assert said.output == "0 new, 2 already recorded, 1 corrected\n", said.output
    assert run("import", "--format", "acled", str(newer), "--no-project").output == (
        "0 new, 3 already recorded\n"
    )


def test_a_migrated_store_has_every_event_chained_and_verifies(run: Run) -> None:
    said = run("verify")

    assert said.exit_code == 0, said.output
    assert said.output == (
        "verified: 36 stored events in 16 streams, every chain of hashes whole\n"
    )  # version 1's claims included: their streams stay
