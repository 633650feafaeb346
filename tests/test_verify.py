"""Tamper evidence: `timeline verify` recomputes every stream's chain of hashes and names the
first event whose stored row was edited, removed or swapped behind the application's back, on
SQLite and on PostgreSQL; `log --json` and a jsonl export end with the chain heads, which an
import skips and `verify --against` checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests import tampering
from tests.conftest import AL_QAIM
from timeline.application import Timeline
from timeline.cli import main
from timeline.operation import Operation
from timeline.stores.packing import pack

Run = Callable[..., Result]
CROSSING = "al-qaim-2017/crossing-captured"
AIR = "al-qaim-2017/air-support"
GAZA = "al-qaim-2017/gaza-entered"  # the fixture's last event


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, db: str) -> str:
    """The al-Qaim fixture imported, on SQLite, then on PostgreSQL."""
    url = str(request.getfixturevalue("pg_url")) if request.param == "postgres" else db
    app = Timeline(db=url)
    app.import_file(AL_QAIM)
    app.close()
    return url


@pytest.fixture
def run(store: str, tmp_path: Path) -> Run:
    def timeline(*args: str, db: str = store) -> Result:
        views = str(tmp_path / "views.db")
        return CliRunner().invoke(main, ["--db", db, "--views", views, *args])

    return timeline


def test_an_untouched_store_verifies_in_one_line(run: Run) -> None:
    said = run("verify")

    assert said.exit_code == 0, said.output
    assert said.output == (  # the operation's, and the places' (timeline.place_streams)
        "verified: 32 stored events in 24 streams, every chain of hashes whole\n"
    )


def test_an_edited_row_is_named_by_its_event_id_and_operation(run: Run, store: str) -> None:
    tampering.edit(store, CROSSING, lambda state: state.replace(b"2017-11-03", b"2017-11-01"))

    said = run("verify")

    assert said.exit_code == 1
    assert f"the chain of hashes is broken at event '{CROSSING}' (operation 'al-qaim-2017';" in (
        said.output
    )
    assert "its stored row was changed since it was stored" in said.output


def test_a_deleted_row_is_named_by_its_operation_stream_and_version(
    run: Run, store: str
) -> None:
    tampering.write(store, tampering.position_of(store, AIR), None)

    said = run("verify")

    assert said.exit_code == 1
    assert "broken at an event of operation 'al-qaim-2017' (stream " in said.output
    assert ", version 4): its stored row was removed" in said.output  # after Opened, 2 more


def test_the_last_event_of_a_stream_deleted_is_found_by_its_hash_left_behind(
    run: Run, store: str
) -> None:
    tampering.write(store, tampering.position_of(store, GAZA), None)

    said = run("verify")

    assert said.exit_code == 1
    assert "an event of operation 'al-qaim-2017'" in said.output
    assert ", version 9): its stored row was removed" in said.output


def test_two_rows_swapped_are_found_at_the_first_of_them(run: Run, store: str) -> None:
    air, crossing = (tampering.position_of(store, event) for event in (AIR, CROSSING))
    air_state, crossing_state = (tampering.state_of(store, event) for event in (AIR, CROSSING))
    tampering.write(store, air, pack(crossing_state))
    tampering.write(store, crossing, pack(air_state))

    said = run("verify")

    assert said.exit_code == 1
    # the air support's row comes first in the log, and now holds the crossing's content
    assert f"broken at event '{CROSSING}' (operation 'al-qaim-2017'; stream " in said.output
    assert ", version 4): its stored row was changed" in said.output


def test_log_json_ends_with_the_chain_heads_and_imports_as_before(
    run: Run, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.jsonl"
    copy.write_text(run("log", "--json").output, "utf-8")
    *records, last = copy.read_text("utf-8").splitlines()

    heads = json.loads(last)["chain_heads"]
    assert len(records) == 8
    assert len(heads) == 24  # the operation's stream and the places' (timeline.place_streams)
    assert heads[Operation.create_id("al-qaim-2017").hex][0] == 9
    imported = run("import", str(copy), "--no-project", db=str(tmp_path / "copy.db"))
    assert imported.output == "8 new, 0 already recorded\n"


def test_a_copy_is_checked_against_its_origin_by_its_chain_heads(
    run: Run, store: str, tmp_path: Path
) -> None:
    export = tmp_path / "export.jsonl"
    assert run("project").exit_code == 0
    assert run("export", "--format", "jsonl", "-o", str(export)).exit_code == 0

    assert run("verify", "--against", str(export)).exit_code == 0
    copy = str(tmp_path / "copy.db")
    assert run("import", str(export), "--no-project", db=copy).exit_code == 0
    other = run("verify", "--against", str(export), db=copy)  # a copy has chains of its own
    assert other.exit_code == 1
    assert "the copy does not match this store: stream " in other.output

    tampering.edit(store, GAZA, lambda state: state.replace(b"al-Qaim", b"Qaim"))
    assert run("verify", "--against", str(export)).exit_code == 1


def test_a_row_edited_into_text_by_sqlite_is_named_as_edited(db: str, tmp_path: Path) -> None:
    """SQLite's replace() on a BLOB gives TEXT: an edit made so is an edit like any other."""
    app = Timeline(db=db)
    app.import_file(AL_QAIM)
    app.close()
    state = tampering.state_of(db, CROSSING).replace(b"Iraqi", b"Iraqy").decode()
    tampering.write(db, tampering.position_of(db, CROSSING), state)  # as TEXT

    said = CliRunner().invoke(main, ["--db", db, "--views", str(tmp_path / "v.db"), "verify"])

    assert said.exit_code == 1, said.output
    assert f"the chain of hashes is broken at event '{CROSSING}'" in said.output
