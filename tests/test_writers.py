"""Concurrent writers on one store: writers into different operations do not meet, writers into
one operation meet and are checked again and retried, and what cannot be resolved (a real
duplicate id, a rule now broken) is refused as what it is. Real processes, on SQLite and on
PostgreSQL (the `store_url` fixture); in-process tests for what only a forced meeting shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from tests.conftest import AL_QAIM_TOWN, ROOT, SOURCE, captured, launched, write_jsonl
from timeline import application
from timeline.application import Timeline
from timeline.errors import ConcurrentWrite, DuplicateEventId, OperationAlreadyConcluded
from timeline.events import Place
from timeline.gazetteer import Gazetteer
from timeline.unit_of_work import UnitOfWork

WRITERS = 4
EVENTS = {"imports": 200, "records": 100}  # each writer's (a record costs a process more)
SHARED = {"name": "Shared Town", "lat": 34.9, "lon": 40.6, "kind": "town"}  # every writer's

RECORD_EACH = """
import json, sys
from contextlib import closing
from timeline.application import Timeline
with closing(Timeline(db=sys.argv[1])) as app, open(sys.argv[2], encoding="utf-8") as lines:
    print(sum(app.record(json.loads(line), unlaunched=True) for line in lines))
"""


def events_of(writer: int, operation: str, count: int) -> list[dict[str, Any]]:
    """`count` captures by one writer: the first names the place every writer names, then
    a new town of its own every tenth, each a few times by name, one of them also in Arabic
    script at its own coordinates, and a name of its own 30 m from a spot the others name."""
    records: list[dict[str, Any]] = [captured(f"w{writer}/0", operation, place=SHARED)]
    spot = {"name": f"Spot of {writer}", "lat": 35.2 + writer * 0.0002, "lon": 40.2,
            "kind": "town"}  # fmt: skip
    records.append(captured(f"w{writer}/1", operation, place=spot))
    for n in range(2, count):
        town, step = divmod(n - 2, 10)
        if step == 0:
            place: Any = {"name": f"Town {writer}-{town}", "lat": 33 + town * 0.1,
                          "lon": 42 + writer * 0.1, "kind": "town"}  # fmt: skip
        elif step == 5:
            place = {**records[-5]["place"], "name": f"بلدة {writer}-{town}"}  # the same spot
        else:
            place = f"Town {writer}-{town}"
        records.append(captured(f"w{writer}/{n}", operation, place=place))
    return records


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env={**os.environ, "TIMELINE_IMPORT_WORKERS": "0"},
    )  # fmt: skip


def run_all(processes: list[subprocess.Popen[str]]) -> list[str]:
    """Each process's output, once all have finished; none failed, none said a word amiss."""
    done = [(p.wait(timeout=600), *p.communicate()) for p in processes]
    assert [(code, err) for code, _, err in done] == [(0, "")] * len(processes), done
    return [out for _, out, _ in done]


def importing(db: str, path: Path) -> subprocess.Popen[str]:
    return start("-m", "timeline.cli", "--db", db, "import", "--no-project", "--unlaunched",
                 str(path))  # fmt: skip


def recording(db: str, path: Path) -> subprocess.Popen[str]:
    return start("-c", RECORD_EACH, db, str(path))


def streams(db: str) -> dict[UUID, list[int]]:
    """Every stream's versions, in the order they were stored."""
    found: dict[UUID, list[int]] = defaultdict(list)
    with closing(Timeline(db=db)) as app:
        position = None
        while page := app.recorder.select_notifications(position, limit=5_000):
            for notification in page:
                found[UUID(str(notification.originator_id))].append(notification.originator_version)
            position = page[-1].id + 1
    return found


def assert_whole(db: str, expected_ids: set[str]) -> Timeline:
    """Every event once, every stream's versions 1, 2, 3... in order; the store, reopened."""
    for stream, versions in streams(db).items():
        assert versions == list(range(1, len(versions) + 1)), stream
    app = Timeline(db=db)
    ids = [event.record.id for event in app.log()]
    assert len(ids) == len(set(ids))
    assert set(ids) == expected_ids
    return app


def assert_one_place_per_place(app: Timeline, count: int) -> None:
    gazetteer = app.gazetteer()
    spots = [p for p in gazetteer.places.values() if p.name.startswith("Spot of")]
    assert len(spots) == 1, spots  # four new names within 300 m: one town
    assert len(spots[0].aliases or ()) == WRITERS - 1
    assert gazetteer.resolve("Shared Town").name == "Shared Town"
    for writer in range(WRITERS):
        assert gazetteer.resolve(f"بلدة {writer}-5").name == f"Town {writer}-5"
    assert len(gazetteer.places) == 2 + WRITERS * (count // 10)


Writer = Callable[[str, Path], subprocess.Popen[str]]
WAYS: dict[str, Writer] = {"imports": importing, "records": recording}


@pytest.mark.parametrize("way", WAYS, ids=list(WAYS))
def test_writers_into_different_operations_all_store_every_event(
    store_url: str, tmp_path: Path, way: str
) -> None:
    Timeline(db=store_url).close()  # the store made
    count = EVENTS[way]
    files = [write_jsonl(tmp_path / f"w{n}.jsonl", events_of(n, f"op-{n}", count))
             for n in range(WRITERS)]  # fmt: skip

    run_all([WAYS[way](store_url, path) for path in files])

    ids = {f"w{n}/{i}" for n in range(WRITERS) for i in range(count)}
    with closing(assert_whole(store_url, ids)) as app:
        assert_one_place_per_place(app, count)


@pytest.mark.parametrize("way", WAYS, ids=list(WAYS))
def test_writers_into_one_operation_meet_retry_and_all_store_every_event(
    store_url: str, tmp_path: Path, way: str
) -> None:
    with closing(Timeline(db=store_url)) as app:
        app.record(launched("op-1"))
    count = EVENTS[way]
    files = [write_jsonl(tmp_path / f"w{n}.jsonl", events_of(n, "op-1", count))
             for n in range(WRITERS)]  # fmt: skip

    outputs = run_all([WAYS[way](store_url, path) for path in files])

    if way == "records":
        assert outputs == [f"{count}\n"] * WRITERS
    ids = {f"w{n}/{i}" for n in range(WRITERS) for i in range(count)} | {"op-1/launched"}
    with closing(assert_whole(store_url, ids)) as app:
        assert_one_place_per_place(app, count)


def test_two_writers_of_one_id_with_different_events_store_one_and_refuse_the_other_by_id(
    store_url: str, tmp_path: Path
) -> None:
    with closing(Timeline(db=store_url)) as app:
        app.record(launched("op-1"))
    files = [
        write_jsonl(tmp_path / f"w{n}.jsonl", [captured("op-1/same", notes=f"writer {n}")])
        for n in range(2)
    ]

    processes = [importing(store_url, path) for path in files]
    done = [(p.wait(timeout=600), *p.communicate()) for p in processes]

    assert sorted(code for code, _, _ in done) == [0, 1]
    [(loser, err)] = [(n, err) for n, (code, _, err) in enumerate(done) if code == 1]
    said = (  # checked once the other's was stored, or stored at the same moment
        "is already recorded (operation 'op-1') with different content; record a "
        "report_corrected to change it",
        "was recorded meanwhile by another writer (operation 'op-1') with different "
        "content; nothing was stored",
    )
    assert err in [f"{files[loser]}:1: id: 'op-1/same' {why}\nnothing was imported (1 error)\n"
                   for why in said], err  # fmt: skip
    with closing(Timeline(db=store_url)) as app:
        assert [e.record.id for e in app.log()] == ["op-1/launched", "op-1/same"]


# --- a meeting forced in one process -----------------------------------------------------------


def meeting(
    app: Timeline, monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[int], object]
) -> list[UnitOfWork]:
    """Each time `app` has checked a record against the store, `meanwhile(try)` writes first."""
    made = app._unit_of_work
    units: list[UnitOfWork] = []
    appending = app._append

    def unit_of_work(*args: Any, **kwargs: Any) -> UnitOfWork:
        units.append(made(*args, **kwargs))
        return units[-1]

    def append(*args: Any, **kwargs: Any) -> None:
        meanwhile(len(units))
        appending(*args, **kwargs)

    monkeypatch.setattr(app, "_unit_of_work", unit_of_work)
    monkeypatch.setattr(app, "_append", append)
    monkeypatch.setattr(application, "BACKOFF_SECONDS", 0.001)
    return units


def test_a_record_that_meets_another_writer_in_its_operation_is_checked_again_and_stored(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = Timeline(db=db), Timeline(db=db)
    first.record(launched())
    units = meeting(second, monkeypatch, lambda tried: tried == 1 and first.record(
        captured("op-1/early")))  # fmt: skip

    assert second.record(captured("op-1/late"))

    assert len(units) == 2
    assert [e.record.id for e in first.log()] == ["op-1/launched", "op-1/early", "op-1/late"]


def test_a_record_that_meets_another_writers_event_of_its_id_is_refused_naming_the_id(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = Timeline(db=db), Timeline(db=db)
    first.record(launched())
    meeting(second, monkeypatch, lambda tried: tried == 1 and first.record(
        captured("op-1/x", notes="the first writer's")))  # fmt: skip

    with pytest.raises(DuplicateEventId, match=(
        r"^'op-1/x' was recorded meanwhile by another writer \(operation 'op-1'\) with "
        "different content; nothing was stored$"
    )):  # fmt: skip
        second.record(captured("op-1/x", notes="the second writer's"))

    assert [e.record.notes for e in first.log()][1:] == ["the first writer's"]


def test_a_record_that_another_writer_made_wrong_meanwhile_is_refused_by_its_rule(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = Timeline(db=db), Timeline(db=db)
    first.record(launched())
    concluded = {"id": "op-1/end", "type": "operation_concluded", "operation": "op-1",
                 "occurred": "2017-11-17", "sources": [SOURCE]}  # fmt: skip
    meeting(second, monkeypatch, lambda tried: tried == 1 and first.record(concluded))

    with pytest.raises(OperationAlreadyConcluded):
        second.record({**concluded, "id": "op-1/end-again"})


def test_a_writer_that_meets_others_every_time_gives_up_after_its_tries_saying_why(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = Timeline(db=db), Timeline(db=db)
    first.record(launched())
    units = meeting(second, monkeypatch, lambda tried: first.record(captured(f"op-1/{tried}")))

    with pytest.raises(ConcurrentWrite) as refused:
        second.record(captured("op-1/late"))

    assert len(units) == application.TRIES
    assert str(refused.value) == (
        f"other writers recorded into the same operation or places meanwhile, "
        f"{application.TRIES} times in a row; nothing was stored: run the command again"
    )
    assert "op-1/late" not in [e.record.id for e in first.log()]


def test_an_older_store_keeps_its_places_in_one_gazetteer_stream_and_they_stay_known(
    db: str,
) -> None:
    with closing(Timeline(db=db)) as older:  # what an earlier version stored: one stream
        gazetteer = Gazetteer()
        for place in (AL_QAIM_TOWN, QAIM_CAMP, {**QAIM_CAMP, "name": "Kamal camp", "lon": 41.2}):
            gazetteer.learn(Place.model_validate_json(json.dumps(place)))
        gazetteer.identify("al-Qaim", "Kamal camp")
        older.save(gazetteer)
        older.record(launched())

    with closing(Timeline(db=db)) as app:
        before = app.gazetteer()
        app.record(captured("op-1/a", place={**AL_QAIM_TOWN, "name": "al-Qaim district"}))
        app.record(captured("op-1/b", place={**QAIM_CAMP, "aliases": ["Camp Qaim"]}))
        after = app.gazetteer()

    assert sorted(before.places) == ["Qaim camp", "al-Qaim"]
    assert before.resolve("القائم").name == "al-Qaim"
    assert before.resolve("Kamal camp").name == "al-Qaim"  # merged, in the older stream
    assert after.resolve("al-Qaim district").name == "al-Qaim"  # 0 m away: its alias
    assert after.resolve("Camp Qaim").name == "Qaim camp"
    assert sorted(after.places) == ["Qaim camp", "al-Qaim"]


QAIM_CAMP = {"name": "Qaim camp", "lat": 34.40, "lon": 41.10, "kind": "town"}
