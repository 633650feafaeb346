"""An import writes exactly what the aggregates would have stored, event for event."""

from __future__ import annotations

import json
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from benchmarks.generate import generate
from tests.conftest import AL_QAIM
from timeline import intake
from timeline.application import Timeline
from timeline.events import Submitted
from timeline.place_streams import PLACE_TOPICS
from timeline.stores.packing import unpack
from timeline.validation import parse_record


def stored(db: str) -> list[tuple[Any, ...]]:
    """Every stored event in log order, its JSON without the time it was recorded."""
    with closing(sqlite3.connect(db)) as connection:
        rows = connection.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        ).fetchall()
    found = []
    for originator_id, version, topic, state in rows:
        data = json.loads(unpack(state))
        del data["timestamp"]
        found.append((originator_id, version, topic, data))
    return found


def event_ids(db: str) -> list[tuple[str, str, str]]:
    """The store's table of event ids: (event id, digest, operation), by id."""
    with closing(sqlite3.connect(db)) as connection:
        return connection.execute("SELECT * FROM event_ids ORDER BY event_id").fetchall()


def aggregate_state(app: Timeline, originator_id: str) -> dict[str, Any]:
    return aggregate_state_of(app.repository.get(UUID(originator_id)))


def aggregate_state_of(aggregate: object) -> dict[str, Any]:
    state = dict(vars(aggregate))
    for clock in ("_created_on", "_modified_on"):
        state.pop(clock, None)
    return state


@pytest.mark.parametrize(
    "workers",
    [0, pytest.param(2, marks=pytest.mark.skipif(sys.platform != "linux", reason="forks"))],
    ids=["parsed-here", "parsed-by-two-workers"],
)
def test_an_import_stores_what_recording_each_event_would_have_stored(
    tmp_path: Path, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMELINE_IMPORT_WORKERS", str(workers))
    monkeypatch.setattr(intake, "CHUNK_BYTES", 20_000)
    lines = AL_QAIM.read_text("utf-8").splitlines() + [
        json.dumps(record, ensure_ascii=False) for record in generate(400, seed=7)
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    imported, recorded = Timeline(db=str(tmp_path / "a.db")), Timeline(db=str(tmp_path / "b.db"))

    imported.import_file(path)
    for line in lines:
        recorded.record(json.loads(line))

    assert stored(str(tmp_path / "a.db")) == stored(str(tmp_path / "b.db"))
    assert event_ids(str(tmp_path / "a.db")) == event_ids(str(tmp_path / "b.db"))
    assert len(event_ids(str(tmp_path / "a.db"))) == len(lines)  # one row per record
    rows = stored(str(tmp_path / "a.db"))
    streams = {row[0] for row in rows if row[2] not in PLACE_TOPICS}  # aggregates' streams
    assert len(streams) > 2  # the operations
    for originator_id in streams:
        assert aggregate_state(imported, originator_id) == aggregate_state(
            recorded, originator_id
        ), originator_id
    assert aggregate_state_of(imported.gazetteer()) == aggregate_state_of(recorded.gazetteer())


def test_the_rules_read_of_an_imported_line_what_they_read_of_the_same_record_recorded() -> None:
    lines = AL_QAIM.read_bytes().splitlines() + [
        json.dumps(record, ensure_ascii=False).encode() for record in generate(300, seed=5)
    ]

    for number, line in enumerate(lines, 1):
        parsed = intake.parse_line(number, line)
        assert isinstance(parsed, intake.Parsed)
        crossed = intake._received(intake._sent(parsed))  # as a worker's line arrives

        assert crossed == parsed
        assert crossed.submitted == Submitted.of(parse_record(line))
