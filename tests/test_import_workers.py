"""An import parsed by forked worker processes behaves exactly as one parsed in-process."""

from __future__ import annotations

import json
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import pytest

from benchmarks.generate import generate
from tests.conftest import AL_QAIM, captured, launched, write_jsonl
from timeline import intake
from timeline.application import Timeline
from timeline.errors import ImportFailed, TimelineError, UnreadableFile

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux")


@pytest.fixture(params=[1, 2, 3], ids=["one-worker", "two-workers", "three-workers"])
def workers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Fork however small the file, in blocks of 2,000 bytes, so that every worker has several."""
    monkeypatch.setenv("TIMELINE_IMPORT_WORKERS", str(request.param))
    monkeypatch.setattr(intake, "CHUNK_BYTES", 2_000)
    return int(request.param)


def rows(db: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(db)) as connection:
        return connection.execute(
            "SELECT rowid, originator_id, originator_version, topic FROM stored_events "
            "ORDER BY rowid"
        ).fetchall()


def test_workers_store_the_same_rows_in_the_same_order_as_one_process(
    workers: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonl"
    lines = [json.dumps(record, ensure_ascii=False) for record in generate(300, seed=3)]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    forked = Timeline(db=str(tmp_path / "forked.db"))

    result = forked.import_file(path)
    monkeypatch.setenv("TIMELINE_IMPORT_WORKERS", "0")
    alone = Timeline(db=str(tmp_path / "alone.db"))
    alone.import_file(path)

    assert (result.new, result.already) == (300, 0)
    assert rows(str(tmp_path / "forked.db")) == rows(str(tmp_path / "alone.db"))
    assert [e.record for e in forked.log()] == [e.record for e in alone.log()]


def test_workers_report_every_bad_line_with_its_number_and_store_nothing(
    workers: int, app: Timeline, db: str, tmp_path: Path
) -> None:
    good = [json.dumps(launched())] + [json.dumps(captured(f"op-1/{n}")) for n in range(40)]
    good[12] = "not json"
    good[25] = json.dumps(captured("op-1/x", place="Nowhere"))
    good[33] = json.dumps(captured("op-1/y", actors=[]))
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(good) + "\n", "utf-8")

    with pytest.raises(ImportFailed) as failed:
        app.import_file(path)

    assert [(e.line, e.field) for e in failed.value.errors] == [
        (13, "record"),
        (26, "place"),
        (34, "actors"),
    ]
    assert rows(db) == []


def test_a_re_import_through_workers_stores_nothing_new(
    workers: int, app: Timeline, db: str
) -> None:
    app.import_file(AL_QAIM)
    before = rows(db)

    result = app.import_file(AL_QAIM)

    assert str(result) == "0 new, 8 already recorded"
    assert rows(db) == before


def test_workers_count_the_progress_of_every_byte(workers: int, app: Timeline) -> None:
    seen: list[int] = []

    app.import_file(AL_QAIM, progress=seen.append)

    assert sum(seen) == AL_QAIM.stat().st_size


def test_an_unreadable_file_is_reported_from_the_workers(
    workers: int, app: Timeline, tmp_path: Path
) -> None:
    utf16 = tmp_path / "utf16.jsonl"
    utf16.write_bytes(json.dumps(launched()).encode("utf-16"))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n \n", "utf-8")

    with pytest.raises(UnreadableFile, match="UTF-16"):
        app.import_file(utf16)
    with pytest.raises(UnreadableFile, match="empty"):
        app.import_file(empty)


def test_a_worker_that_fails_is_an_error_not_a_hang(
    workers: int, app: Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(line: int, raw: bytes) -> intake.Parsed:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(intake, "parse_line", broken)

    with pytest.raises(RuntimeError, match="ZeroDivisionError: a bug"):
        app.import_file(AL_QAIM)


def test_standard_input_is_read_by_one_worker(
    workers: int, app: Timeline, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", [launched(), captured("op-1/a")])
    with path.open("rb") as stdin:
        monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": stdin})())

        result = app.import_file("-")

    assert (result.new, result.already) == (2, 0)


def test_the_number_of_workers_must_be_a_number(
    app: Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMELINE_IMPORT_WORKERS", "two")

    with pytest.raises(TimelineError, match="TIMELINE_IMPORT_WORKERS must be a number"):
        app.import_file(AL_QAIM)
