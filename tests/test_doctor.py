"""`timeline doctor`: a line a check (ok, warn or fail, and what to do), exit code 1 on a
failure, nothing written."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from projections.views import Views
from tests import tampering
from tests.conftest import AL_QAIM, launched
from tests.test_projection_tracking import power_cut_at, scenario
from timeline.api import OpsTimeline
from timeline.application import Timeline
from timeline.cli import main


def doctor(db: str, views: str) -> Result:
    return CliRunner().invoke(main, ["--db", db, "--views", views, "doctor"],
                              catch_exceptions=False)  # fmt: skip


def lines(result: Result) -> dict[str, str]:
    """Each check's line, by what it checks."""
    return {line[5:].partition(":")[0]: line for line in result.output.splitlines()}


def test_a_healthy_store_and_its_read_models_pass_every_check(
    store_url: str, tmp_path: Path
) -> None:
    views = str(tmp_path / "views.db")
    OpsTimeline(store_url, views=views).import_file(AL_QAIM)

    result = doctor(store_url, views)

    assert result.exit_code == 0
    assert all(line.startswith("ok ") for line in result.output.splitlines()), result.output
    checked = set(lines(result))
    assert {"store version", "read models integrity", "read models layout", "stale marks",
            "read models' store", "read models position", "read models disk",
            "chains of hashes"} <= checked
    if "://" not in store_url:
        assert {"store integrity", "store disk"} <= checked


def test_read_models_behind_the_store_say_to_run_project(store_url: str, tmp_path: Path) -> None:
    views = str(tmp_path / "views.db")
    OpsTimeline(store_url, views=views).import_file(AL_QAIM)
    Timeline(db=store_url).record(launched("op-2"))  # another writer, not projecting

    result = doctor(store_url, views)

    assert result.exit_code == 0
    assert lines(result)["read models position"].startswith("warn read models position: behind")
    assert lines(result)["read models position"].endswith("(run timeline project)")


def test_a_store_with_a_page_overwritten_fails_the_integrity_check(
    db: str, tmp_path: Path
) -> None:
    views = str(tmp_path / "views.db")
    ops = OpsTimeline(db, views=views)
    ops.import_file(AL_QAIM)
    ops.close()  # every page is in the file, none left in its WAL
    with closing(sqlite3.connect(db)) as connection:
        (leaf,) = connection.execute(
            "SELECT max(pageno) FROM dbstat WHERE name = 'stored_events' AND pagetype = 'leaf'"
        ).fetchone()
    with open(db, "r+b") as file:
        file.seek((leaf - 1) * 4096)
        file.write(b"\xff" * 64)  # the page's header: no longer a B-tree page

    result = doctor(db, views)

    assert result.exit_code == 1
    assert lines(result)["store integrity"].startswith("fail store integrity: "), result.output
    assert "malformed" in lines(result)["store integrity"]


def test_stale_marks_of_a_bulk_catch_up_cut_short_are_reported(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = OpsTimeline(db)
    scenario(ops)
    views = Views(str(tmp_path / "crashing.views.db"))
    with power_cut_at(9, monkeypatch), pytest.raises(RuntimeError, match="power cut"):
        views.catch_up(ops.app.recorder, ops.app.name, page_size=4, bulk_from=1)
    views.close()

    result = doctor(db, views.path)

    assert result.exit_code == 0
    stale = lines(result)["stale marks"]
    assert stale.startswith("warn stale marks: a bulk catch-up cut short")
    assert stale.endswith("(run timeline project to finish it)")


def test_read_models_of_another_store_fail_and_say_to_rebuild(tmp_path: Path) -> None:
    views = str(tmp_path / "views.db")
    OpsTimeline(str(tmp_path / "one.db"), views=views).import_file(AL_QAIM)
    Timeline(db=str(tmp_path / "other.db")).record(launched("op-1"))

    result = doctor(str(tmp_path / "other.db"), views)

    assert result.exit_code == 1
    assert lines(result)["read models' store"].startswith("fail read models' store: projected "
                                                          "from another store")  # fmt: skip
    assert "run timeline rebuild" in lines(result)["read models' store"]


def test_doctor_makes_no_store_and_no_read_models_where_there_are_none(tmp_path: Path) -> None:
    result = doctor(str(tmp_path / "none.db"), str(tmp_path / "none.views.db"))

    assert result.exit_code == 1
    assert lines(result)["store"] == f"fail store: no store at {tmp_path / 'none.db'} (name it " \
        "with --db)"
    assert list(tmp_path.iterdir()) == []


def test_a_stored_row_edited_behind_the_store_fails_the_chains(tmp_path: Path) -> None:
    db, views = str(tmp_path / "t.db"), str(tmp_path / "views.db")
    OpsTimeline(db, views=views).import_file(AL_QAIM)
    tampering.edit_every(db, lambda state: state.replace(b"2017-11-03", b"2017-11-01"))

    result = doctor(db, views)

    assert result.exit_code == 1
    assert lines(result)["chains of hashes"].startswith("fail chains of hashes: broken at ")
    assert "run timeline verify" in result.output
