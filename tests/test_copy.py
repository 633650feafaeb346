"""`timeline copy --from SRC --to DST`: a whole store, SQLite and PostgreSQL either way, every
stored event as it is stored, in order, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner, Result

from tests.conftest import AL_QAIM, captured, launched, write_jsonl
from tests.test_projection_tracking import every_table
from timeline.api import OpsTimeline
from timeline.application import Timeline
from timeline.cli import main
from timeline.copying import copy_store
from timeline.stores.sqlite import SQLiteTimelineRecorder


def timeline(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def stored(db: str) -> list[tuple[Any, ...]]:
    """Every stored event, as stored: stream, version, topic, bytes, in the log's order."""
    app = Timeline(db=db)
    found = [
        (UUID(str(n.originator_id)), n.originator_version, n.topic, bytes(n.state))
        for n in app.recorder.select_notifications(None, limit=100_000)
    ]
    app.close()
    return found


def a_store(db: str, tmp_path: Path) -> None:
    ops = OpsTimeline(db, views=str(tmp_path / "original.views.db"))
    ops.import_file(AL_QAIM)
    ops.import_file(write_jsonl(tmp_path / "more.jsonl", [launched(), captured("op-1/a")]))
    ops.record({**captured("op-1/b"), "occurred": "2017-11-05", "notes": "ESC \x1b kept"})
    ops.close()


@pytest.mark.postgres
def test_a_copy_sqlite_to_postgresql_to_sqlite_reads_as_the_original(
    db: str, pg_url: str, tmp_path: Path
) -> None:
    a_store(db, tmp_path)
    back = str(tmp_path / "back.db")

    there = timeline("copy", "--from", db, "--to", pg_url)
    again = timeline("copy", "--from", pg_url, "--to", back)

    assert there.exit_code == again.exit_code == 0
    assert there.output == again.output == f"{len(stored(db))} stored events copied\n"
    assert timeline("--db", back, "log", "--json").output == timeline(
        "--db", db, "log", "--json"
    ).output
    assert stored(back) == stored(pg_url) == stored(db)
    copied = OpsTimeline(back, views=str(tmp_path / "back.views.db"))
    copied.project()
    assert every_table(copied.views.path) == every_table(str(tmp_path / "original.views.db"))
    copied.close()


@pytest.mark.postgres
def test_a_copy_holds_the_originals_event_ids_and_chains(
    db: str, pg_url: str, tmp_path: Path
) -> None:
    a_store(db, tmp_path)
    origin_log = tmp_path / "origin.jsonl"
    origin_log.write_text(timeline("--db", db, "log", "--json").output, "utf-8")
    ids = [line.split('"', 4)[3] for line in origin_log.read_text("utf-8").splitlines()[:-1]]

    assert timeline("copy", "--from", db, "--to", pg_url).exit_code == 0

    copy, original = Timeline(db=pg_url), Timeline(db=db)
    assert sorted(copy.recorder.select_event_ids(ids)) == sorted(
        original.recorder.select_event_ids(ids)
    )
    assert len(ids) == 11
    copy.close()
    original.close()
    checked = timeline("--db", pg_url, "verify", "--against", str(origin_log))
    assert checked.exit_code == 0, checked.output
    other = {**captured("op-1/a"), "occurred": "2017-11-09"}  # an id the copy holds
    refused = timeline("--db", pg_url, "import", "--no-project", str(
        write_jsonl(tmp_path / "other.jsonl", [other])
    ))  # fmt: skip
    assert "'op-1/a' is already recorded (operation 'op-1') with different content" in (
        refused.output
    )




def test_a_copy_sqlite_to_sqlite_is_every_stored_event_in_order(db: str, tmp_path: Path) -> None:
    a_store(db, tmp_path)

    copied = copy_store(db, str(tmp_path / "copy.db"), page=4)

    assert copied == len(stored(db))
    assert stored(str(tmp_path / "copy.db")) == stored(db)


def test_a_copy_into_a_store_that_holds_events_is_refused_and_changes_nothing(
    store_url: str, db: str, tmp_path: Path
) -> None:
    source = str(tmp_path / "source.db")
    a_store(source, tmp_path)
    Timeline(db=store_url).import_file(AL_QAIM)
    before = stored(store_url)

    refused = timeline("copy", "--from", source, "--to", store_url)

    assert refused.exit_code == 1
    assert "--to: the store" in refused.output
    assert "holds events already: copy into a new or empty store" in refused.output
    assert stored(store_url) == before


def test_a_copy_that_fails_between_pages_leaves_no_store_behind(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_store(db, tmp_path)
    select = SQLiteTimelineRecorder.select_notifications
    calls = {"n": 0}

    def failing(self: SQLiteTimelineRecorder, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("the source went away")
        return select(self, *args, **kwargs)

    monkeypatch.setattr(SQLiteTimelineRecorder, "select_notifications", failing)
    with pytest.raises(OSError, match="went away"):
        copy_store(db, str(tmp_path / "copy.db"), page=4)

    assert not (tmp_path / "copy.db").exists()


def test_a_copy_from_a_store_that_is_not_there_is_refused_and_makes_nothing(
    tmp_path: Path,
) -> None:
    refused = timeline("copy", "--from", str(tmp_path / "none.db"), "--to",
                       str(tmp_path / "copy.db"))  # fmt: skip

    assert refused.exit_code == 1
    assert f"--from: no store at {tmp_path / 'none.db'}" in refused.output
    assert list(tmp_path.iterdir()) == []
