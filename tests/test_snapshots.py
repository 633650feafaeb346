"""Snapshots spare a replay, and change nothing: an aggregate reads the same with or without."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import datetime_now_with_tzinfo, event
from eventsourcing.utils import get_topic

from tests.conftest import ATTACKERS, captured, launched, write_jsonl
from timeline.application import SNAPSHOT_EVERY, Timeline
from timeline.domain import Aggregate, Snapshot
from timeline.operation import Operation
from timeline.place_streams import AS_READ, SNAPSHOT_AFTER_EVENTS


def many_events(path: Path, count: int) -> Path:
    place = {"name": "Rawa", "lat": 34.47, "lon": 41.91, "kind": "town"}
    records = [launched(), captured("op-1/0", place=place)]
    records += [captured(f"op-1/{n}", place="Rawa", actors=ATTACKERS) for n in range(1, count)]
    return write_jsonl(path, records)


def state(aggregate: object) -> dict[str, object]:
    found = dict(vars(aggregate))
    found.pop("_pending_events")
    return found


def test_an_import_past_the_interval_snapshots_the_operation_not_the_few_places(
    db: str, tmp_path: Path
) -> None:
    app = Timeline(db=db)

    app.import_file(many_events(tmp_path / "many.jsonl", SNAPSHOT_EVERY + 50))

    assert app.snapshots is not None
    [snapshot] = list(app.snapshots.get(Operation.create_id("op-1")))
    assert snapshot.originator_version == SNAPSHOT_EVERY + 52
    assert list(app.snapshots.get(AS_READ)) == []  # a few gazetteer events: no snapshot


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


def many_places(path: Path, count: int) -> Path:
    records = [launched()]
    for n in range(count):  # towns about 2 km apart, one of them named again with an alias
        place = {"name": f"Town {n}", "lat": 34.0 + n * 0.02, "lon": 41.0, "kind": "town"}
        records.append(captured(f"op-1/{n}", place=place))
    again = {"name": "Town 3", "lat": 34.06, "lon": 41.0, "kind": "town", "aliases": ["T3"]}
    return write_jsonl(path, [*records, captured("op-1/again", place=again)])


def test_the_gazetteer_is_snapshotted_as_read_and_reads_the_same_without(
    db: str, tmp_path: Path
) -> None:
    app = Timeline(db=db)
    app.import_file(many_places(tmp_path / "places.jsonl", SNAPSHOT_AFTER_EVENTS // 2))

    first = app.gazetteer()  # reads past the interval (each new town, and its spots' streams)
    app.record(captured("op-1/later", place={"name": "Town X", "lat": 35.5, "lon": 43.0,
                                             "kind": "town", "aliases": ["TX"]}))  # fmt: skip
    snapshotted = app.gazetteer()
    replayed = Timeline(db=db, env={"IS_SNAPSHOTTING_ENABLED": "n"}).gazetteer()

    assert app.snapshots is not None
    assert len(list(app.snapshots.get(AS_READ))) == 1
    assert snapshotted.resolve("T3").name == "Town 3"
    assert snapshotted.resolve("TX").name == "Town X"
    assert len(first.places) == SNAPSHOT_AFTER_EVENTS // 2
    assert (snapshotted.places, snapshotted.keys, snapshotted.grid) == (
        replayed.places, replayed.keys, replayed.grid
    )


class Tally(Aggregate):
    """A count whose snapshots changed shape: version 1 kept `count`, version 2 keeps `total`."""

    class_version = 2

    @staticmethod
    def create_id() -> UUID:
        return uuid4()

    @event("Started")
    def __init__(self) -> None:
        self.total = 0

    @event("Added")
    def add(self, amount: int) -> None:
        self.total += amount

    def snapshot_state(self) -> dict[str, Any]:
        return {"total": self.total}

    def restore(self, state: dict[str, Any]) -> None:
        self.total = state["total"]

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["total"] = state.pop("count")


def test_a_snapshot_taken_by_an_older_class_version_is_upcast_as_it_is_restored(
    app: Timeline,
) -> None:
    tally = Tally()
    tally.add(5)
    taken = datetime_now_with_tzinfo().isoformat()
    older = Snapshot(  # as version 1 of the class took it: no class_version, a `count`
        originator_id=tally.id, originator_version=2, timestamp=tally.modified_on,
        topic=get_topic(Tally), state={"created_on": taken, "modified_on": taken, "count": 5},
    )  # fmt: skip
    stored = cast(Snapshot, app.mapper.to_domain_event(app.mapper.to_stored_event(older)))

    restored = stored.mutate(None)

    assert isinstance(restored, Tally)
    assert (restored.id, restored.version, restored.total) == (tally.id, 2, 5)
    assert restored.modified_on.isoformat() == taken


def test_a_snapshot_records_the_class_version_it_was_taken_by_and_restores_as_it_was() -> None:
    tally = Tally()
    tally.add(7)

    snapshot = Tally.Snapshot.take(tally)

    assert snapshot.state["class_version"] == 2
    assert state(snapshot.mutate(None)) == state(tally)  # upcast_v1_v2 would find no `count`


def test_an_operation_whose_class_version_was_bumped_reads_its_older_snapshot_upcast(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Timeline(db=db)
    app.import_file(many_events(tmp_path / "many.jsonl", SNAPSHOT_EVERY + 50))
    operation_id = Operation.create_id("op-1")
    before = state(app.repository.get(operation_id))

    def upcast_v1_v2(kept: dict[str, Any]) -> None:
        kept["kinds"] = sorted(set(kept["types"].values()))

    monkeypatch.setattr(Operation, "class_version", 2, raising=False)
    monkeypatch.setattr(Operation, "upcast_v1_v2", staticmethod(upcast_v1_v2), raising=False)
    reopened = Timeline(db=db)

    restored: Operation = reopened.repository.get(operation_id)

    assert vars(restored).pop("kinds") == ["operation_launched", "place_captured"]
    assert state(restored) == before
    reopened.close()
