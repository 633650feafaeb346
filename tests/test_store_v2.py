"""A store of version 2 (every state stored as its JSON) is opened by this version as it is:
marked as version 3, nothing rewritten. It answers every question as version 2 answered it,
verifies, and takes new events, stored packed beside its JSON ones, on SQLite and on
PostgreSQL.

The store of version 2 is tests/fixtures/store-v2/timeline.db, made by main before states
were packed (its README says how), with what that version answered; on PostgreSQL its rows
are copied into a schema that says version 2.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests import tampering
from tests.conftest import ROOT, captured, launched, write_jsonl
from tests.test_store_migration import (  # the same questions, of the same files
    ANSWERS,
    insert_events,
    v1_rows,
)
from timeline.application import Timeline
from timeline.cli import main
from timeline.stores.recorder import STORE_VERSION

V2 = ROOT / "tests" / "fixtures" / "store-v2"
Run = Callable[..., Result]


def v2_table(name: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(V2 / "timeline.db")) as connection:
        return connection.execute(f"SELECT * FROM {name} ORDER BY 1, 2").fetchall()


def v2_events() -> list[tuple[str, int, str, bytes]]:
    """The stored events of the version 2 store, in log order."""
    return v1_rows(V2 / "timeline.db")


def postgres_v2(url: str) -> str:
    """A schema holding the version 2 store's events, hashes and ids, saying version 2."""
    import psycopg

    Timeline(db=url).close()
    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(url.split("?")[0], autocommit=True) as connection:
        connection.execute(f"UPDATE \"{schema}\".timeline_meta SET value = '2'")
        with connection.cursor() as cursor:
            insert_events(cursor, schema, v2_events())
            cursor.executemany(
                f'INSERT INTO "{schema}".timeline_event_hashes VALUES (%s, %s, %s)',
                [(uuid.UUID(str(i)), v, h) for i, v, h in v2_table("event_hashes")],
            )
            cursor.executemany(
                f'INSERT INTO "{schema}".timeline_event_ids VALUES (%s, %s, %s)',
                v2_table("event_ids"),
            )
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The version 2 store, on SQLite, then on PostgreSQL, not opened by this version yet."""
    if request.param == "postgres":
        return postgres_v2(request.getfixturevalue("pg_url"))
    db = tmp_path / "timeline.db"
    shutil.copy(V2 / "timeline.db", db)
    return str(db)


@pytest.fixture
def run(old_store: str, tmp_path: Path) -> Run:
    views = str(tmp_path / "v2.views.db")

    def timeline(*args: str) -> Result:
        return CliRunner().invoke(
            main, ["--db", old_store, "--views", views, *args], catch_exceptions=False
        )

    return timeline


def test_a_store_of_version_2_answers_every_question_as_version_2_did(run: Run) -> None:
    assert run("project").exit_code == 0

    for question, answer in ANSWERS.items():
        said = run(*question)
        assert said.exit_code == 0, said.output
        assert said.output == (V2 / answer).read_text("utf-8"), question
    assert run("log", "--json").output == (V2 / "log.jsonl").read_text("utf-8")


def test_a_store_of_version_2_is_marked_version_3_with_its_states_untouched(
    old_store: str,
) -> None:
    before = tampering.stored(old_store)

    Timeline(db=old_store).close()

    assert STORE_VERSION == 3
    assert tampering.stored(old_store) == before
    if not old_store.startswith("postgresql://"):
        with closing(sqlite3.connect(old_store)) as connection:
            assert connection.execute("PRAGMA user_version").fetchone() == (3,)
            states = connection.execute("SELECT state FROM stored_events").fetchall()
        assert {state[:1] for (state,) in states} == {b"{"}  # JSON, as version 2 stored it


def test_new_events_are_stored_packed_beside_version_2s_and_every_chain_verifies(
    run: Run, old_store: str, tmp_path: Path
) -> None:
    later = write_jsonl(tmp_path / "later.jsonl", [
        launched("op-2"), captured("op-2/again", "op-2"),
    ])  # fmt: skip

    said = run("import", str(later))

    assert said.output.startswith("2 new, 0 already recorded"), said.output
    verified = run("verify")
    assert verified.exit_code == 0, verified.output
    assert "every chain of hashes whole" in verified.output
    assert "op-2/again" in run("show", "op-2").output
    assert run("show", "al-qaim-2017").output == (V2 / "show-al-qaim-2017.txt").read_text()
    if not old_store.startswith("postgresql://"):
        with closing(sqlite3.connect(old_store)) as connection:
            firsts = connection.execute(
                "SELECT substr(state, 1, 1), count(*) FROM stored_events GROUP BY 1"
            ).fetchall()
        assert dict(firsts)[b"{"] == len(v2_events())  # as they were
        assert dict(firsts)[b"x"] >= 2  # the new ones, packed


def test_a_copy_of_a_store_of_version_2_is_packed_with_the_same_chains(
    run: Run, old_store: str, tmp_path: Path
) -> None:
    copy = str(tmp_path / "copy.db")

    said = run("copy", "--from", old_store, "--to", copy)

    assert said.exit_code == 0, said.output
    with closing(Timeline(db=old_store)) as origin, closing(Timeline(db=copy)) as copied:
        assert copied.chain_heads() == origin.chain_heads()  # the hashes of the same JSON
    assert tampering.stored(copy) == tampering.stored(old_store)
    assert {state[:1] for _, _, state in tampering.as_kept(copy)} == {b"x"}
    verified = CliRunner().invoke(main, ["--db", copy, "--views", str(tmp_path / "c.views.db"),
                                         "verify"])  # fmt: skip
    assert verified.exit_code == 0, verified.output
