"""Snapshots spare a replay, and change nothing: an aggregate reads the same with or without."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ATTACKERS, captured, launched, write_jsonl
from timeline.application import SNAPSHOT_EVERY, Timeline
from timeline.gazetteer import Gazetteer
from timeline.operation import Operation


def many_events(path: Path, count: int) -> Path:
    place = {"name": "Rawa", "lat": 34.47, "lon": 41.91, "kind": "town"}
    records = [launched(), captured("op-1/0", place=place)]
    records += [captured(f"op-1/{n}", place="Rawa", actors=ATTACKERS) for n in range(1, count)]
    return write_jsonl(path, records)


def state(aggregate: object) -> dict[str, object]:
    found = dict(vars(aggregate))
    found.pop("_pending_events")
    return found


def test_an_import_past_the_interval_snapshots_the_operation_and_the_gazetteer(
    db: str, tmp_path: Path
) -> None:
    app = Timeline(db=db)

    app.import_file(many_events(tmp_path / "many.jsonl", SNAPSHOT_EVERY + 50))

    assert app.snapshots is not None
    [snapshot] = list(app.snapshots.get(Operation.create_id("op-1")))
    assert snapshot.originator_version == SNAPSHOT_EVERY + 52
    assert list(app.snapshots.get(Gazetteer.create_id())) == []  # two events: no snapshot


def test_an_aggregate_read_from_its_snapshot_equals_one_replayed_from_its_events(
    db: str, tmp_path: Path
) -> None:
    app = Timeline(db=db)
    app.import_file(many_events(tmp_path / "many.jsonl", SNAPSHOT_EVERY + 50))
    app.record(captured("op-1/after", place="Rawa", occurred="2017-11-05"))

    replayed = Timeline(db=db, env={"IS_SNAPSHOTTING_ENABLED": "n"})
    operation_id = Operation.create_id("op-1")

    assert state(app.repository.get(operation_id)) == state(replayed.repository.get(operation_id))
    assert app.repository.get(operation_id).version == SNAPSHOT_EVERY + 53
