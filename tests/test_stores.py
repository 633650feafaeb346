"""The store modules: eventsourcing's recorders, subclassed the way its examples subclass them,
chosen through its persistence settings; the same methods on SQLite and on PostgreSQL.

The hooks of eventsourcing's that the recorders override, and the attributes they read, are
checked here: an upgrade of eventsourcing that changes them fails these tests first.
"""

from __future__ import annotations

import inspect
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteCursor,
    SQLiteTrackingRecorder,
)

from projections.tracking import ViewsRecorder
from tests.conftest import AL_QAIM, captured, launched, write_jsonl
from timeline import intake
from timeline.application import Conflict, Timeline
from timeline.encoding import Batch, IdRow, Row
from timeline.errors import IdTakenMeanwhile, ImportFailed
from timeline.stores.recorder import EventIdsTaken, TimelineRecorder
from timeline.stores.sqlite import SQLiteTimelineRecorder
from timeline.validation import parse_record
from timeline.vocabulary import PROJECTED_TOPICS, RECORDED

TOPIC = "tests.test_stores:Noted"


@pytest.fixture
def store(store_url: str) -> Iterator[Timeline]:
    """An empty store on SQLite, then on PostgreSQL (conftest's `store_url`)."""
    app = Timeline(db=store_url)
    yield app
    app.close()


def streams(count: int, versions: int = 1) -> list[Row]:
    """`versions` events of each of `count` new streams, as rows."""
    ids = [uuid4().hex for _ in range(count)]
    return [(i, v, TOPIC, b'{"n":%d}' % v) for i in ids for v in range(1, versions + 1)]


def stored(app: Timeline) -> list[Row]:
    notifications = app.recorder.select_notifications(None, limit=10_000)
    return [(UUID(str(n.originator_id)).hex, n.originator_version, n.topic, n.state)
            for n in notifications]  # fmt: skip


# --- chosen through eventsourcing's settings ---------------------------------------------------


def test_each_store_is_the_timelines_recorder_chosen_by_its_persistence_module(
    store: Timeline,
) -> None:
    module = store.env["PERSISTENCE_MODULE"]

    assert module in ("timeline.stores.sqlite", "timeline.stores.postgres")
    assert isinstance(store.recorder, TimelineRecorder)
    assert type(store.recorder).__module__ == module


def test_an_application_on_eventsourcings_own_module_is_refused_saying_what_to_name(
    db: str,
) -> None:
    with pytest.raises(TypeError, match=r"must name timeline\.stores\.sqlite"):
        Timeline(db=db, env={"PERSISTENCE_MODULE": "eventsourcing.sqlite"})


# --- appending many rows in one transaction ---------------------------------------------------


def test_rows_appended_in_batches_are_stored_in_order(store: Timeline) -> None:
    first, second = streams(3, versions=2), streams(2)

    count = store.recorder.append_rows(
        iter([Batch(first), Batch(second)]), count=len(first + second)
    )

    assert count == 8
    assert stored(store) == first + second


def test_an_append_whose_last_batch_conflicts_stores_none_of_its_batches(store: Timeline) -> None:
    before = streams(1)
    store.recorder.append_rows([Batch(before)])
    first = streams(3)

    with pytest.raises(IntegrityError):
        store.recorder.append_rows([Batch(first), Batch([*streams(2), before[0]])])

    assert stored(store) == before


def test_eventsourcings_own_insert_events_writes_rows_through_the_recorders_hook(
    store: Timeline,
) -> None:
    rows = streams(2)

    store.recorder.insert_events([], rows=rows)

    assert stored(store) == rows


# --- the table of event ids -------------------------------------------------------------------


def ids(count: int, operation: str = "op-1") -> list[IdRow]:
    return [(f"{operation}/{uuid4().hex}", uuid4().hex, operation) for _ in range(count)]


def test_event_ids_are_stored_with_their_rows_and_found_in_a_few_queries(store: Timeline) -> None:
    wanted = ids(1_200)  # more ids than one query asks for
    store.recorder.append_rows([Batch(streams(2), wanted[:700]), Batch([], wanted[700:])])

    found = store.recorder.select_event_ids([row[0] for row in wanted] + ["op-1/absent"])

    assert sorted(found) == sorted(wanted)
    assert store.recorder.select_event_ids([]) == []


def test_an_id_stored_already_is_refused_naming_it_and_nothing_of_the_append_is_stored(
    store: Timeline,
) -> None:
    before = ids(3)
    store.recorder.append_rows([Batch(streams(1), before)])
    rows_before = stored(store)
    again = (before[1][0], "another digest", "op-2")

    with pytest.raises(EventIdsTaken) as refused:
        store.recorder.append_rows([Batch(streams(2), ids(600)), Batch(streams(1), [again])])

    assert refused.value.taken == [(again, before[1])]
    assert stored(store) == rows_before
    assert sorted(store.recorder.select_event_ids([r[0] for r in ids(5)] + [again[0]])) == [
        before[1]
    ]


def test_eventsourcings_own_insert_events_writes_ids_through_the_recorders_hook(
    store: Timeline,
) -> None:
    wanted = ids(2)

    store.recorder.insert_events([], rows=streams(1), ids=wanted)

    assert sorted(store.recorder.select_event_ids([row[0] for row in wanted])) == sorted(wanted)


# --- two writers, one id ------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, db: str) -> str:
    """A store on SQLite, then on PostgreSQL, for writers of its own."""
    return str(request.getfixturevalue("pg_url")) if request.param == "postgres" else db


def writers(url: str) -> tuple[Timeline, Timeline]:
    first, second = Timeline(db=url), Timeline(db=url)
    first.record(launched("op-1"))
    first.record(launched("op-2"))
    return first, second


def test_two_writers_giving_one_id_to_two_events_at_once_store_one_and_refuse_the_other(
    url: str,
) -> None:
    first, second = writers(url)
    # the second has checked its event against the store as it was (the id free), then waits
    late = second._unit_of_work(unlaunched=False)
    waiting = late.add(parse_record(captured("shared/1", operation="op-2")))

    first.record(captured("shared/1", operation="op-1"))  # another operation: another stream

    with pytest.raises(IdTakenMeanwhile, match=(
        r"^'shared/1' was recorded meanwhile by another writer \(operation 'op-1'\) with "
        "different content; nothing was stored$"
    )):  # fmt: skip
        second._append([waiting])
    assert [e.record.id for e in second.log()] == ["op-1/launched", "op-2/launched", "shared/1"]
    first.close()
    second.close()


def test_two_writers_recording_the_same_event_at_once_store_it_once(url: str) -> None:
    first, second = writers(url)
    late = second._unit_of_work(unlaunched=False)
    waiting = late.add(parse_record(captured("shared/1", operation="op-2")))

    first.record(captured("shared/1", operation="op-2"))

    with pytest.raises(Conflict):  # checked again (Timeline._retrying): found recorded
        second._append([waiting])
    assert second.record(captured("shared/1", operation="op-2")) is False
    first.close()
    second.close()


def test_an_import_refuses_an_id_another_writer_gave_another_event_while_it_checked(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = writers(url)
    path = write_jsonl(tmp_path / "events.jsonl", [
        captured("op-2/a", operation="op-2"), captured("shared/1", operation="op-2"),
    ])  # fmt: skip
    checking = intake.chunks

    def meanwhile(*args: object, **kwargs: object) -> Iterator[intake.Chunk]:
        yield from checking(*args, **kwargs)  # type: ignore[arg-type]
        first.record(captured("shared/1", operation="op-1"))

    monkeypatch.setattr(intake, "chunks", meanwhile)

    with pytest.raises(ImportFailed) as failed:
        second.import_file(path)
    assert str(failed.value) == (
        f"{path}:2: id: 'shared/1' was recorded meanwhile by another writer (operation "
        "'op-1') with different content; nothing was stored\nnothing was imported (1 error)"
    )
    assert [e.record.id for e in second.log()] == ["op-1/launched", "op-2/launched", "shared/1"]
    first.close()
    second.close()


# --- pages of the log for the catch-up -----------------------------------------------------------


def test_a_page_is_the_notifications_eventsourcing_reads_as_plain_tuples(store: Timeline) -> None:
    store.import_file(AL_QAIM)
    notifications = store.recorder.select_notifications(
        3, limit=5, topics=PROJECTED_TOPICS, inclusive_of_start=False
    )

    page = store.recorder.read_page(3, 5, PROJECTED_TOPICS)

    assert page == [(n.id, n.topic, n.state) for n in notifications]
    assert all(type(state) is bytes for _, _, state in page)
    assert store.recorder.read_page(page[-1][0] + 100, 5, PROJECTED_TOPICS) == []


def test_a_page_holds_only_the_topics_asked_for(store: Timeline) -> None:
    store.import_file(AL_QAIM)

    page = store.recorder.read_page(0, 100, [RECORDED])

    assert [topic for _, topic, _ in page] == [RECORDED] * 8


# --- the hooks of eventsourcing's that the recorders lean on ---------------------------------


def shape(method: Callable[..., Any]) -> list[tuple[str, Any, str]]:
    """(name, kind, annotation) of a method's parameters; a `**kwargs` by its kind only."""
    parameters = inspect.signature(method).parameters.values()
    return [("**" if p.kind is p.VAR_KEYWORD else p.name, p.kind, str(p.annotation))
            for p in parameters]  # fmt: skip


def test_eventsourcings_sqlite_insert_hook_is_still_the_one_its_examples_override() -> None:
    base = SQLiteApplicationRecorder._insert_events

    assert shape(base) == [
        ("self", inspect.Parameter.POSITIONAL_OR_KEYWORD, str(inspect.Parameter.empty)),
        ("c", inspect.Parameter.POSITIONAL_OR_KEYWORD, "SQLiteCursor"),
        ("stored_events", inspect.Parameter.POSITIONAL_OR_KEYWORD, "Sequence[StoredEvent]"),
        ("**", inspect.Parameter.VAR_KEYWORD, "Any"),
    ]
    assert inspect.signature(base).return_annotation == "Sequence[int] | None"
    assert shape(SQLiteTimelineRecorder._insert_events) == shape(base)
    assert "self._insert_events(c, stored_events, **kwargs)" in inspect.getsource(
        SQLiteApplicationRecorder.insert_events
    )  # the public insert_events hands its kwargs to the hook, in its transaction


def test_eventsourcings_tracking_hook_the_views_recorder_calls_is_unchanged() -> None:
    base = SQLiteTrackingRecorder._insert_tracking  # the read models' rows and position

    assert shape(base) == [
        ("self", inspect.Parameter.POSITIONAL_OR_KEYWORD, str(inspect.Parameter.empty)),
        ("c", inspect.Parameter.POSITIONAL_OR_KEYWORD, "SQLiteCursor"),
        ("tracking", inspect.Parameter.POSITIONAL_OR_KEYWORD, "Tracking"),
    ]
    assert inspect.signature(base).return_annotation == "None"
    assert ViewsRecorder._insert_tracking is base


def test_what_the_sqlite_recorder_reads_of_eventsourcings_is_still_there(app: Timeline) -> None:
    recorder = app.recorder
    assert isinstance(recorder, SQLiteApplicationRecorder)

    assert recorder.insert_events_statement == "INSERT INTO stored_events VALUES (?,?,?,?)"
    assert recorder.events_table_name == "stored_events"
    with recorder.datastore.get_connection(commit=False) as connection:
        assert isinstance(connection, SQLiteConnection)
        assert isinstance(connection.cursor(), SQLiteCursor)
        with connection.transaction(commit=False) as cursor:
            assert isinstance(cursor.sqlite_cursor, sqlite3.Cursor)


@pytest.mark.postgres
def test_eventsourcings_postgres_insert_hook_is_still_the_one_its_examples_override(
    pg_url: str,
) -> None:
    from eventsourcing.postgres import PostgresApplicationRecorder
    from psycopg.sql import Composed

    from timeline.stores.postgres import PostgresTimelineRecorder

    base = PostgresApplicationRecorder._insert_events
    app = Timeline(db=pg_url)
    recorder = app.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)

    assert shape(base) == [
        ("self", inspect.Parameter.POSITIONAL_OR_KEYWORD, str(inspect.Parameter.empty)),
        ("curs", inspect.Parameter.POSITIONAL_OR_KEYWORD, "Cursor[DictRow]"),
        ("stored_events", inspect.Parameter.POSITIONAL_OR_KEYWORD, "Sequence[StoredEvent]"),
        ("**", inspect.Parameter.VAR_KEYWORD, "Any"),
    ]
    assert inspect.signature(base).return_annotation == "None"
    assert shape(PostgresTimelineRecorder._insert_events) == shape(base)
    source = inspect.getsource(PostgresApplicationRecorder.insert_events)
    assert "self._insert_events(curs, stored_events, **kwargs)" in source
    # what the hook does before inserting rows, as eventsourcing does before stored events
    statements = recorder.lock_table_statements
    assert all(isinstance(statement, Composed) for statement in statements)
    assert [cast(Composed, statement).as_string() for statement in statements] == [
        "SET LOCAL lock_timeout = '0s'",
        f'LOCK TABLE "{recorder.datastore.schema}"."timeline_events" IN EXCLUSIVE MODE',
    ]
    assert recorder.channel_name == "timeline_events"
    assert list(inspect.signature(recorder.construct_pg_stored_event).parameters) == [
        "originator_id", "originator_version", "topic", "state",
    ]  # fmt: skip
    app.close()
