"""Importing JSON Lines: all or nothing, idempotent, with every error located."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import AL_QAIM, captured, launched, write_jsonl
from timeline import intake
from timeline.application import Spool, Timeline
from timeline.encoding import Batch, Row
from timeline.errors import ImportFailed, UnreadableFile


def stored_rows(db: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(db)) as connection:
        return connection.execute("SELECT rowid, * FROM stored_events ORDER BY rowid").fetchall()


def test_the_al_qaim_fixture_imports(app: Timeline) -> None:
    result = app.import_file(AL_QAIM)

    assert (result.new, result.already) == (8, 0)
    assert [event.record.type for event in app.log("al-qaim-2017")][:4] == [
        "operation_launched",
        "forces_committed",
        "air_support_provided",
        "crossing_captured",
    ]


def test_importing_the_same_file_again_stores_nothing_new(app: Timeline, db: str) -> None:
    app.import_file(AL_QAIM)
    before = stored_rows(db)

    result = app.import_file(AL_QAIM)

    assert str(result) == "0 new, 8 already recorded"
    assert stored_rows(db) == before


def test_a_file_whose_last_line_is_bad_leaves_the_store_exactly_as_it_was(
    app: Timeline, db: str, tmp_path: Path
) -> None:
    app.import_file(AL_QAIM)
    before = stored_rows(db)
    records = [launched(), captured("op-1/a"), captured("op-1/b", occurred="2017-13-01")]

    with pytest.raises(ImportFailed) as failed:
        app.import_file(write_jsonl(tmp_path / "bad-last.jsonl", records))

    assert [str(error) for error in failed.value.errors] == [
        f"{tmp_path / 'bad-last.jsonl'}:3: occurred: '2017-13-01' is not an EDTF date"
    ]
    assert stored_rows(db) == before


def test_every_bad_line_is_listed_with_its_file_line_and_field(
    app: Timeline, tmp_path: Path
) -> None:
    records = [launched(), captured("op-1/a", actors=[]), captured("op-1/b", place="Nowhere")]
    path = write_jsonl(tmp_path / "two-bad.jsonl", records)

    with pytest.raises(ImportFailed) as failed:
        app.import_file(path)

    assert [(e.line, e.field) for e in failed.value.errors] == [(2, "actors"), (3, "place")]
    assert "unknown place 'Nowhere'" in failed.value.errors[1].message
    assert str(failed.value).endswith("nothing was imported (2 errors)")


def test_a_place_is_found_by_its_name_on_every_line_and_an_unknown_name_refused_on_every_line(
    app: Timeline, tmp_path: Path
) -> None:
    records = [
        launched(),
        captured("op-1/a"),
        captured("op-1/b", place="Nowhere"),
        captured("op-1/c", place="al-Qaim"),
        captured("op-1/d", place="Al Qa'im"),
        captured("op-1/e", place="al-Qaim"),
        captured("op-1/f", place="Nowhere"),
    ]
    path = write_jsonl(tmp_path / "names.jsonl", records)

    with pytest.raises(ImportFailed) as failed:
        app.import_file(path)

    assert [(e.line, e.field) for e in failed.value.errors] == [(3, "place"), (7, "place")]


def test_only_the_first_fifty_errors_are_listed_then_a_count_of_the_rest(
    app: Timeline, tmp_path: Path
) -> None:
    path = tmp_path / "many-bad.jsonl"
    path.write_text("not json\n" * 120, "utf-8")

    with pytest.raises(ImportFailed) as failed:
        app.import_file(path)

    assert len(failed.value.errors) == 50
    assert failed.value.total == 120
    assert "... and 70 more errors" in str(failed.value)


def test_an_id_seen_before_with_different_content_is_refused_naming_line_and_id(
    app: Timeline, db: str, tmp_path: Path
) -> None:
    app.import_file(write_jsonl(tmp_path / "first.jsonl", [launched(), captured("op-1/a")]))
    before = stored_rows(db)
    changed = captured("op-1/a", occurred="2017-11-04")

    with pytest.raises(ImportFailed) as failed:
        app.import_file(write_jsonl(tmp_path / "second.jsonl", [changed]))

    error = failed.value.errors[0]
    assert (error.line, error.field) == (1, "id")
    assert "'op-1/a' is already recorded" in error.message
    assert stored_rows(db) == before


def test_an_id_used_twice_in_one_file_for_different_events_is_refused(
    app: Timeline, tmp_path: Path
) -> None:
    records = [launched(), captured("op-1/a"), captured("op-1/a", occurred="2017-11-05")]

    with pytest.raises(ImportFailed) as failed:
        app.import_file(write_jsonl(tmp_path / "twice.jsonl", records))

    assert failed.value.errors[0].line == 3
    assert "was used on line 2 for a different event" in failed.value.errors[0].message


def test_the_same_event_twice_in_one_file_is_stored_once(app: Timeline, tmp_path: Path) -> None:
    records = [launched(), captured("op-1/a"), captured("op-1/a")]

    result = app.import_file(write_jsonl(tmp_path / "repeat.jsonl", records))

    assert (result.new, result.already) == (2, 1)


def test_non_utf8_bytes_are_refused_with_the_line_and_the_byte(
    app: Timeline, tmp_path: Path
) -> None:
    path = tmp_path / "latin1.jsonl"
    line = json.dumps(launched(notes="Qa'im é"), ensure_ascii=False)
    path.write_bytes(line.encode("latin-1") + b"\n")

    with pytest.raises(ImportFailed) as failed:
        app.import_file(path)

    assert failed.value.errors[0].line == 1
    assert "not UTF-8 (byte 0xe9" in failed.value.errors[0].message


def test_a_utf8_byte_order_mark_is_skipped(app: Timeline, tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(launched()).encode() + b"\n")

    assert app.import_file(path).new == 1


def test_a_utf16_file_is_refused_with_a_hint(app: Timeline, tmp_path: Path) -> None:
    path = tmp_path / "utf16.jsonl"
    path.write_bytes(json.dumps(launched()).encode("utf-16"))

    with pytest.raises(UnreadableFile, match="UTF-16; save it as UTF-8"):
        app.import_file(path)


def test_an_empty_file_is_refused(app: Timeline, tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n", "utf-8")

    with pytest.raises(UnreadableFile, match="empty"):
        app.import_file(path)


def test_arabic_place_names_round_trip_exactly(app: Timeline, tmp_path: Path) -> None:
    place = {"name": "القائم", "lat": 34.37, "lon": 41.09, "kind": "town", "aliases": ["al-Qaim"]}
    record = captured("op-1/ar", place=place, notes="تحرير القائم")
    app.import_file(write_jsonl(tmp_path / "arabic.jsonl", [launched(), record]))

    stored = [event.record.canonical() for event in app.log()]

    assert stored[1] == record


def test_events_read_back_equal_the_events_written(app: Timeline) -> None:
    written = [json.loads(line) for line in AL_QAIM.read_text("utf-8").splitlines()]
    app.import_file(AL_QAIM)

    assert [event.record.canonical() for event in app.log()] == written


def test_a_second_process_opening_the_store_sees_everything(app: Timeline, db: str) -> None:
    app.import_file(AL_QAIM)

    other = Timeline(db=db)

    assert [e.record for e in other.log()] == [e.record for e in app.log()]
    other.close()


def test_an_import_gives_back_the_larger_page_cache_it_wrote_with(app: Timeline) -> None:
    def cache_size() -> int:
        with app.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            cursor.execute("PRAGMA cache_size")
            return int(cursor.fetchone()[0])

    before = cache_size()

    app.import_file(AL_QAIM)

    assert cache_size() == before


def another_writer_meanwhile(
    monkeypatch: pytest.MonkeyPatch, write: Callable[[], object]
) -> list[object]:
    """Once the import has checked its file, another writer writes (the first time only)."""
    checking = intake.chunks
    written: list[object] = []

    def meanwhile(*args: object, **kwargs: object) -> Iterator[intake.Chunk]:
        yield from checking(*args, **kwargs)  # type: ignore[arg-type]
        if not written:
            written.append(write())

    monkeypatch.setattr(intake, "chunks", meanwhile)
    return written


def test_an_import_that_meets_another_writer_checks_again_and_finds_the_event_recorded(
    app: Timeline, db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(tmp_path / "events.jsonl", [launched(), captured("op-1/a")])
    other = Timeline(db=db)
    another_writer_meanwhile(monkeypatch, lambda: other.record(launched()))

    imported = app.import_file(path)  # the store was empty when it began

    assert (imported.new, imported.already) == (1, 1)
    assert [e.record.id for e in app.log()] == ["op-1/launched", "op-1/a"]
    other.close()


def test_an_import_that_meets_another_writers_event_of_its_id_refuses_it_by_name(
    app: Timeline, db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(tmp_path / "events.jsonl", [launched(), captured("op-1/a")])
    other = Timeline(db=db)
    another_writer_meanwhile(monkeypatch, lambda: other.record(launched(notes="another")))

    with pytest.raises(ImportFailed) as refused:
        app.import_file(path)

    assert str(refused.value.errors[0]) == (
        f"{path}:1: id: 'op-1/launched' was recorded meanwhile by another writer (operation "
        "'op-1') with different content; nothing was stored"
    )
    assert [e.record.notes for e in app.log()] == ["another"]
    other.close()


def test_rows_spooled_to_a_file_are_stored_as_those_kept_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(tmp_path / "events.jsonl", [launched(), *map(captured, "abcdefgh")])
    kept, spooled = str(tmp_path / "kept.db"), str(tmp_path / "spooled.db")
    Timeline(db=kept).import_file(path)
    monkeypatch.setattr(intake, "CHUNK_BYTES", 1_000)  # three chunks, all to the file
    monkeypatch.setattr(Spool, "MEMORY_BYTES", 0)

    Timeline(db=spooled).import_file(path)

    rowid_stream_version_topic = [row[:4] for row in stored_rows(kept)]
    assert [row[:4] for row in stored_rows(spooled)] == rowid_stream_version_topic


def test_a_spool_gives_its_rows_back_in_order_from_memory_then_from_its_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Spool, "MEMORY_BYTES", 100)
    batches = [Batch([("a" * 32, n, "topic", b"x" * 40)], [(f"e{n}", "d", "op")]) for n in range(5)]

    with Spool(source_bytes=50) as spool:
        for batch in batches:
            spool.add(batch)

        assert (len(spool.kept), spool.file is not None) == (2, True)
        assert list(spool.batches()) == batches


def test_a_large_file_or_standard_input_is_spooled_to_a_file_from_the_first_row() -> None:
    rows: list[Row] = [("a" * 32, 1, "topic", b"x" * 40)]

    for source_bytes in (Spool.MEMORY_BYTES, None):
        with Spool(source_bytes) as spool:
            spool.add(Batch(rows))

            assert (spool.kept, spool.file is not None) == ([], True)
