"""ACLED and UCDP files are read as JSON Lines are: in blocks that forked workers parse apart,
each block ending where a row ends (a quoted field may hold line breaks), rows numbered by
the physical line they start on, the header read before any row."""

from __future__ import annotations

import io
import re
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from benchmarks.generate import write_acled as generated_acled
from tests.datasets import NOTES, acled_row, ucdp_event, write_acled, write_ucdp_json
from timeline import intake
from timeline.application import Timeline
from timeline.errors import ImportFailed, UnreadableFile
from timeline.readers import csvfile
from timeline.readers.acled import Acled
from timeline.readers.ucdp import Ucdp
from timeline.stores.packing import unpack

forking = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux")


@pytest.fixture(params=[0, 1, 2, 3], ids=["in-process", "one-worker", "two", "three"])
def workers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """However small the file, in blocks of 2,000 bytes, parsed by this many forked workers
    (0: in this process)."""
    if request.param and sys.platform != "linux":
        pytest.skip("workers are forked on Linux")
    monkeypatch.setenv("TIMELINE_IMPORT_WORKERS", str(request.param))
    monkeypatch.setattr(intake, "CHUNK_BYTES", 2_000)
    return int(request.param)


@pytest.fixture
def timeline(tmp_path: Path) -> Iterator[Timeline]:
    with closing(Timeline(db=str(tmp_path / "timeline.db"))) as made:
        yield made


def stored(db: Path) -> list[tuple[object, ...]]:
    """Every stored event, in order, with its state but for the time it was recorded."""
    with closing(sqlite3.connect(db)) as connection:
        found = connection.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        ).fetchall()
    return [(*row[:3], re.sub(rb'"timestamp":"[^"]*"', b"", unpack(row[3]))) for row in found]


def many_rows(n: int) -> list[dict[str, str]]:
    """Rows whose notes hold quotes, commas and line breaks, some of them several."""
    return [
        acled_row(f"SYR{k}", notes=NOTES + "\n" * (k % 3) + f'"{k}"', latitude=f"{34 + k / 1e3}")
        for k in range(n)
    ]


def test_every_block_ends_where_a_row_ends_even_inside_a_quoted_field(tmp_path: Path) -> None:
    path = write_acled(tmp_path / "acled.csv", many_rows(120), quote_all=True)
    data = path.read_bytes()

    file = io.BytesIO(data)
    header = csvfile.first_row(file)
    pieces = list(csvfile.blocks(file, 700))

    assert header + b"".join(pieces) == data
    assert len(pieces) > 10
    first, found = 1 + csvfile.lines(header), []
    for piece in pieces:
        found += [row for row in csvfile.rows(piece, first)]
        first += csvfile.lines(piece)
    assert found == list(csvfile.rows(data, 1))[1:]
    assert all(isinstance(fields, list) and len(fields) == 31 for _, fields in found)


def test_rows_are_numbered_by_the_physical_line_they_start_on() -> None:
    data = b'a,b\n1,"two\nlines"\n\n3,"x"\n4,"three\n\nlines"\n5,y\n'

    numbered = [(line, fields) for line, fields in csvfile.rows(data, 1)]

    assert numbered == [
        (1, ["a", "b"]), (2, ["1", "two\nlines"]), (5, ["3", "x"]),
        (6, ["4", "three\n\nlines"]), (9, ["5", "y"]),
    ]  # fmt: skip


def test_workers_store_what_one_process_stores_from_an_acled_file(
    workers: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = generated_acled(tmp_path / "acled.csv", 400, seed=5)
    with closing(Timeline(db=str(tmp_path / "forked.db"))) as forked:
        result = forked.import_file(path, reader=Acled())
    monkeypatch.setenv("TIMELINE_IMPORT_WORKERS", "0")
    with closing(Timeline(db=str(tmp_path / "alone.db"))) as alone:
        alone.import_file(path, reader=Acled())

    assert (result.new, result.already) == (400, 0)
    assert stored(tmp_path / "forked.db") == stored(tmp_path / "alone.db")


def test_workers_refuse_every_bad_row_by_its_line_and_column(
    workers: int, timeline: Timeline, tmp_path: Path
) -> None:
    rows = many_rows(60)
    rows[10]["latitude"] = "134.45"  # a row starting after ten rows of 1 to 3 lines
    rows[41]["event_date"] = "31 February 2017"
    rows[59]["sub_event_type"] = "Skirmish"
    path = write_acled(tmp_path / "acled.csv", rows)
    lines = [2]  # the line each row starts on: the header is line 1
    for row in rows:
        lines.append(lines[-1] + 1 + row["notes"].count("\n"))

    with pytest.raises(ImportFailed) as failed:
        timeline.import_file(path, reader=Acled())

    assert [(e.line, e.field) for e in failed.value.errors] == [
        (lines[10], "latitude"), (lines[41], "event_date"), (lines[59], "sub_event_type"),
    ]  # fmt: skip
    assert path.read_text("utf-8").splitlines()[lines[10] - 1].startswith("SYR10,")
    assert list(timeline.log()) == []


def test_a_missing_column_is_refused_before_any_row_is_read(
    workers: int, timeline: Timeline, tmp_path: Path
) -> None:
    path = tmp_path / "trimmed.csv"
    path.write_text("event_id_cnty,event_date\n" + "SYR1,2017-11-03\n" * 5000, "utf-8")

    with pytest.raises(ImportFailed) as failed:
        timeline.import_file(path, reader=Acled())

    assert [str(e) for e in failed.value.errors] == [
        f"{path}:1: header: missing columns time_precision, event_type, sub_event_type, actor1, "
        "assoc_actor_1, inter1, actor2, assoc_actor_2, inter2, country, admin1, location, "
        "latitude, longitude, geo_precision, source, notes, fatalities"
    ]


def test_a_row_that_is_not_utf8_is_refused_with_its_line(
    workers: int, timeline: Timeline, tmp_path: Path
) -> None:
    path = write_acled(tmp_path / "acled.csv", many_rows(3))
    data = path.read_bytes().replace(b"Abu Kamal", b"Abu K\xe4mal", 1)
    path.write_bytes(b"\xef\xbb\xbf" + data)  # a byte order mark: tolerated

    with pytest.raises(ImportFailed) as failed:
        timeline.import_file(path, reader=Acled())

    (error,) = failed.value.errors
    assert (error.line, error.field) == (2, "record")
    assert "not UTF-8 (byte 0xe4" in error.message


def test_a_utf16_file_is_refused_with_a_hint(timeline: Timeline, tmp_path: Path) -> None:
    path = tmp_path / "acled.csv"
    path.write_bytes(write_acled(tmp_path / "x.csv", many_rows(2)).read_text().encode("utf-16"))

    with pytest.raises(ImportFailed, match="UTF-16; save it as UTF-8"):
        timeline.import_file(path, reader=Acled())


def test_an_empty_file_is_refused_as_a_json_lines_file_is(
    timeline: Timeline, tmp_path: Path
) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    with pytest.raises(UnreadableFile, match="the file is empty"):
        timeline.import_file(path, reader=Acled())


def test_the_api_s_json_is_read_through_workers_as_in_one_process(
    workers: int, timeline: Timeline, tmp_path: Path
) -> None:
    path = write_ucdp_json(tmp_path / "ged.json", [ucdp_event(1), ucdp_event(2, latitude=91)])

    with pytest.raises(ImportFailed) as failed:
        timeline.import_file(path, reader=Ucdp())

    assert [(e.line, e.field) for e in failed.value.errors] == [(2, "latitude")]
