"""The inline projection of an import: the read models are built from the rows the import
holds, after the store's transaction commits, with the tracking position of the last; a
crash between the two commits leaves read models that a `project` completes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from projections.views import Views
from tests.conftest import AL_QAIM, ROOT, captured, launched, write_jsonl
from tests.test_projection_tracking import every_table, power_cut_at
from timeline.api import OpsTimeline, ReadModelsBehind
from timeline.application import Timeline
from timeline.stores.sqlite import SQLiteTimelineRecorder


def rebuilt(db: str, where: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of read models projected anew from the store, in a file of their own."""
    app = Timeline(db=db)
    views = Views(str(where))
    views.catch_up(app.recorder, app.name)
    found = every_table(views.path)
    views.close()
    app.close()
    return found


def test_an_import_projects_the_rows_it_holds_without_reading_them_back(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[int] = []
    read_page = SQLiteTimelineRecorder.read_page

    def counted(self: SQLiteTimelineRecorder, *args: Any) -> Any:
        page = read_page(self, *args)
        read.extend(position for position, _, _ in page)
        return page

    monkeypatch.setattr(SQLiteTimelineRecorder, "read_page", counted)
    ops = OpsTimeline(db)

    result = ops.import_file(AL_QAIM)

    assert result.new == 8
    assert read == []  # nothing read back from the store
    assert ops.views.position(ops.app.name) == ops.app.recorder.max_notification_id()
    assert every_table(ops.views.path) == rebuilt(db, tmp_path / "rebuilt.views.db")
    assert ops.query(text="Karablah")[0]["id"] == "al-qaim-2017/karablah-liberated"
    ops.close()


def test_another_writers_events_stored_before_an_import_are_projected_with_it(
    db: str, tmp_path: Path
) -> None:
    other = Timeline(db=db)  # a writer that does not project
    other.import_file(AL_QAIM)
    other.close()
    ops = OpsTimeline(db)
    records = [launched(), captured("op-1/a"), captured("op-1/b")]

    ops.import_file(write_jsonl(tmp_path / "mine.jsonl", records))

    operations = [row["operation"] for row in ops.operations()]
    assert sorted(operations) == ["al-qaim-2017", "op-1"]
    assert every_table(ops.views.path) == rebuilt(db, tmp_path / "rebuilt.views.db")
    ops.close()


def test_an_import_that_fails_between_the_two_commits_leaves_views_project_completes(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    with power_cut_at(2, monkeypatch), pytest.raises(RuntimeError, match="power cut"):
        ops.import_file(write_jsonl(tmp_path / "more.jsonl", [launched(), captured("op-1/a")]))
    assert len(list(ops.app.log())) == 10  # the store committed
    assert [row["operation"] for row in ops.operations()] == ["al-qaim-2017"]  # views behind

    assert ops.project() == 2
    assert every_table(ops.views.path) == rebuilt(db, tmp_path / "rebuilt.views.db")
    ops.close()


def test_read_models_that_cannot_take_the_rows_say_the_import_is_stored(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from projections import tracking

    def full(*args: Any, **kwargs: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    ops = OpsTimeline(db)
    ops.ready_to_project()
    monkeypatch.setattr(tracking.ViewsRecorder, "write", full)

    with pytest.raises(ReadModelsBehind, match=r"the events are stored \(8 new.*timeline project"):
        ops.import_file(AL_QAIM)
    monkeypatch.undo()

    assert OpsTimeline(db).project() == 13
    ops.close()


def test_an_import_killed_between_the_two_commits_leaves_views_project_completes(
    db: str, tmp_path: Path
) -> None:
    script = """
import os, sys
from projections.projector import Projector
from timeline.api import OpsTimeline
def killed(self, *args):
    os._exit(9)  # the process dies: the store has committed, the read models have not
Projector.apply = killed
OpsTimeline(sys.argv[1]).import_file(sys.argv[2])
"""
    done = subprocess.run(
        [sys.executable, "-c", script, db, str(AL_QAIM)], cwd=ROOT, capture_output=True
    )
    assert done.returncode == 9
    ops = OpsTimeline(db)
    assert ops.operations() == []
    assert len(list(ops.app.log())) == 8

    assert ops.project() == 13
    assert every_table(ops.views.path) == rebuilt(db, tmp_path / "rebuilt.views.db")
    ops.close()
