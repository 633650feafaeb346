"""Tracked projection: exactly once, crash-safe, and a rebuild equals the incremental result."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from benchmarks.generate import write
from projections import derived, recomputing, tracking
from projections.projector import Projector
from projections.tracking import ReadModelsOfAnotherStore
from projections.views import Views
from tests.conftest import AL_QAIM, IRAQ, ISIS, RAWA
from tests.test_read_models import correction, event, retraction
from timeline.api import OpsTimeline
from timeline.application import Timeline
from timeline.stores.recorder import Page


def every_table(path: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read model table and view (and of the full-text index), sorted, and the
    name of every index; having checked that the full-text index agrees with its rows."""
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')")
        indexes = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name"
        ).fetchall()
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE '%_fts_%' AND name != 'sqlite_stat1' ORDER BY name"
            )
        ]
        return {
            "indexes": indexes,
            **{
                name: sorted(connection.execute(f"SELECT * FROM [{name}]").fetchall(), key=repr)
                for name in names
            },
        }


@contextmanager
def power_cut_at(n: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The projector fails on the n-th event it is given, as if the power went."""
    calls = {"n": 0}
    apply = Projector.apply

    def cut(self: Projector, *args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == n:
            raise RuntimeError("power cut")
        apply(self, *args)

    monkeypatch.setattr(Projector, "apply", cut)
    try:
        yield
    finally:
        monkeypatch.setattr(Projector, "apply", apply)


def scenario(ops: OpsTimeline) -> None:
    """Events one by one, each projected as it is recorded: the incremental path."""
    ops.import_file(AL_QAIM)
    ops.record(event("launched", "operation_launched", "2017-11-01"))
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))
    ops.record(event("lost", "place_lost", "2017-11-10~", place="Rawa", actors=ISIS))
    ops.record(
        event(
            "retaken",
            "place_liberated",
            "2017-11-20",
            place="Rawa",
            actors=IRAQ,
            strength={"best": 2000},
        )
    )
    ops.record(correction("fix", "lost", occurred="2017-11-12", notes="a later report"))
    ops.record(
        event(
            "entered",
            "place_entered",
            "2017-11-02",
            actors=IRAQ,
            place={**RAWA, "aliases": ["راوة"]},
        )
    )
    ops.record(retraction("withdrawn", "entered"))
    ops.record(
        event(
            "dead",
            "casualties_reported",
            "2017-11",
            actors=IRAQ[:1],
            casualties={"best": 12, "low": 10, "high": 20},
            place="راوة",
        )
    )
    ops.record(event("concluded", "operation_concluded", "2017-11-30"))


def test_rebuild_equals_the_incrementally_built_read_models(db: str) -> None:
    ops = OpsTimeline(db)
    scenario(ops)
    incremental = every_table(ops.views.path)

    ops.rebuild()

    assert every_table(ops.views.path) == incremental
    assert len(incremental["events"]) == 15


def test_a_bulk_catch_up_gives_exactly_what_the_row_by_row_one_gives(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = OpsTimeline(db)
    scenario(ops)
    incremental = every_table(ops.views.path)
    monkeypatch.setattr(tracking, "BULK_FROM", 1)  # as a rebuild of a large store does

    ops.rebuild()

    assert every_table(ops.views.path) == incremental
    assert ops.query(text="later report")[0]["id"] == "op/lost"


def not_in_the_catch_ups_transaction(cursor: sqlite3.Cursor) -> None:
    raise AssertionError("recomputed in the catch-up's own transaction")


def caught_up_anew(ops: OpsTimeline, tmp_path: Path) -> None:
    """Read models of their own caught up with every event of `ops`' store at once; checked
    equal to `ops`' own, each event projected as it was recorded, and no scratch file left."""
    views = Views(str(tmp_path / "anew.views.db"))
    views.catch_up(ops.app.recorder, ops.app.name)
    assert every_table(views.path) == every_table(ops.views.path)
    assert list(tmp_path.glob("*.derived")) == []


def test_a_bulk_catch_up_writes_the_derived_models_its_processes_kept_in_scratch_files(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = OpsTimeline(db)
    scenario(ops)
    incremental = every_table(ops.views.path)
    left = Path(f"{ops.views.path}.crashed.derived")
    left.write_bytes(b"what a catch-up that crashed left")
    monkeypatch.setattr(tracking, "BULK_FROM", 1)
    monkeypatch.setattr(derived, "refresh_stale", not_in_the_catch_ups_transaction)
    ops.rebuild()

    assert every_table(ops.views.path) == incremental
    assert list(Path(ops.views.path).parent.glob("*.derived")) == []  # its own, and the left


def test_a_catch_up_of_another_writers_events_recomputes_the_derived_models_apart(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = OpsTimeline(db)
    scenario(ops)  # each event projected as recorded, the models in the catch-up's transaction
    monkeypatch.setattr(tracking, "RECOMPUTE_APART_FROM", 1)
    monkeypatch.setattr(derived, "refresh_stale", not_in_the_catch_ups_transaction)

    caught_up_anew(ops, tmp_path)


def test_a_part_of_the_derived_models_that_fails_apart_is_recomputed_in_the_catch_up(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = OpsTimeline(db)
    scenario(ops)
    command = recomputing.command

    def places_fail(views: str, spill: str, part: derived.Part) -> list[str]:
        if part == "places":  # its process dies, as if killed, having written part of its rows
            return [sys.executable, "-c", f"open({spill!r}, 'wb').write(b'SQLite'); exit(9)"]
        return command(views, spill, part)

    monkeypatch.setattr(tracking, "RECOMPUTE_APART_FROM", 1)
    monkeypatch.setattr(recomputing, "command", places_fail)
    refresh = derived.refresh_stale
    recomputed_here: list[bool] = []

    def here(cursor: sqlite3.Cursor) -> None:
        recomputed_here.append(True)
        refresh(cursor)

    monkeypatch.setattr(derived, "refresh_stale", here)

    caught_up_anew(ops, tmp_path)

    assert recomputed_here == [True]


def test_a_part_recomputed_apart_imports_what_the_catch_ups_process_imports(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = OpsTimeline(db)
    scenario(ops)
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "only_here.py").write_text("")  # as a notebook's sys.path holds
    monkeypatch.syspath_prepend(str(tmp_path / "modules"))
    command = recomputing.command

    def importing(views: str, spill: str, part: derived.Part) -> list[str]:
        python, _, module, *rest = command(views, spill, part)
        run = f"import only_here, runpy, sys; sys.argv = {[module, *rest]!r}; "
        return [python, "-c", run + f"runpy.run_module({module!r}, run_name='__main__')"]

    monkeypatch.setattr(tracking, "RECOMPUTE_APART_FROM", 1)
    monkeypatch.setattr(recomputing, "command", importing)
    monkeypatch.setattr(derived, "refresh_stale", not_in_the_catch_ups_transaction)

    caught_up_anew(ops, tmp_path)


def statements_recomputing(path: str, place: str, operation: str) -> list[str]:
    """The statements that recompute the derived models with one place and one operation
    stale (the marks a short catch-up leaves), rolled back."""
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT OR IGNORE INTO stale VALUES (?, ?)",
            [("place", place), ("operation", operation)],
        )
        run: list[str] = []
        connection.set_trace_callback(run.append)
        derived.refresh_stale(connection.cursor())
        connection.set_trace_callback(None)
        connection.execute("ROLLBACK")
        return run


def test_a_catch_up_reads_the_events_of_what_it_made_stale_not_every_event_of_a_type(
    tmp_path: Path,
) -> None:
    """A short catch-up's derived models read the stale places' and operations' events by
    their own indexes: never all the events of a type (SQLite's pick, with no statistics, for
    a statement that tests the type too), nor every corrected event of the store. Through
    the type's index, a catch-up of 10 events read 60 % of a store of a million events."""
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(write(tmp_path / "events.jsonl", 400, seed=5))
    with closing(sqlite3.connect(ops.views.path)) as connection:
        place, operation = connection.execute(
            "SELECT place, operation FROM events WHERE type = 'place_captured'"
        ).fetchone()
        plans = {
            statement: [row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + statement)]
            for statement in statements_recomputing(ops.views.path, place, operation)
            if statement.lstrip().upper().startswith(("SELECT", "WITH", "INSERT", "DELETE"))
            and "temp." not in statement  # the marks' own table, gone with the statements
        }
    assert any("place_captured" in statement for statement in plans)  # the places' models ran

    every_of_a_type = {
        statement: steps for statement, steps in plans.items()
        if any(step.startswith("SCAN events") or "idx_events_type" in step for step in steps)
        and "place_captured" in statement  # the types of the places' models: most events
    }  # fmt: skip
    every_report = {
        statement: steps for statement, steps in plans.items()
        if any(step.startswith("SCAN history_kept") and "_moves" not in step for step in steps)
    }  # fmt: skip  # (the corrections that move events: a partial index of few)
    assert every_of_a_type == {}
    assert every_report == {}


def test_a_backlog_shorter_than_what_is_projected_goes_row_by_row(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracking, "BULK_FROM", 1)
    built: list[str] = []
    finish = tracking.ViewsRecorder.finish_bulk
    def finish_and_say(self: tracking.ViewsRecorder) -> None:
        built.append("all")
        finish(self)

    monkeypatch.setattr(tracking.ViewsRecorder, "finish_bulk", finish_and_say)
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)  # 13 events onto empty read models: in bulk
    ops.record(event("launched", "operation_launched", "2017-11-01"))  # 1 onto 13: row by row

    assert built == ["all"]
    assert ops.query(operation="op")[0]["id"] == "op/launched"


def test_a_bulk_catch_up_cut_short_is_finished_by_the_next_catch_up(
    store_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ops = OpsTimeline(store_url, views=str(tmp_path / "views.db"))
    scenario(ops)
    views = Views(str(tmp_path / "crashing.views.db"))

    with power_cut_at(9, monkeypatch), pytest.raises(RuntimeError, match="power cut"):
        views.catch_up(ops.app.recorder, ops.app.name, page_size=4, bulk_from=1)
    assert views.recorder.in_bulk()

    views.catch_up(ops.app.recorder, ops.app.name)  # a short backlog: it would not go bulk

    assert not views.recorder.in_bulk()
    assert every_table(views.path) == every_table(ops.views.path)


def test_each_event_is_projected_exactly_once_after_a_crash_between_two_pages(
    store_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = Timeline(db=store_url)
    app.import_file(AL_QAIM)
    views = Views(str(tmp_path / "crashing.views.db"))

    with power_cut_at(7, monkeypatch), pytest.raises(RuntimeError, match="power cut"):
        views.catch_up(app.recorder, app.name, page_size=4)
    after_crash = every_table(views.path)
    views.catch_up(app.recorder, app.name, page_size=4)

    reference = Views(str(tmp_path / "reference.views.db"))
    reference.catch_up(app.recorder, app.name)
    assert len(after_crash["history"]) == 4  # the first page committed, the second not
    assert every_table(views.path) == every_table(reference.path)
    positions = [row[0] for row in every_table(views.path)["history"]]
    assert len(positions) == len(set(positions)) == 13


def test_catching_up_twice_projects_nothing_the_second_time(
    store_url: str, tmp_path: Path
) -> None:
    ops = OpsTimeline(store_url, views=str(tmp_path / "views.db"))
    ops.import_file(AL_QAIM)

    assert ops.project() == 0


def test_project_catches_up_with_events_another_writer_appended(
    store_url: str, tmp_path: Path
) -> None:
    reader = OpsTimeline(store_url, views=str(tmp_path / "views.db"))
    writer = Timeline(db=store_url)
    writer.import_file(AL_QAIM)

    assert reader.operations() == []
    assert reader.project() == 13
    assert [o["operation"] for o in reader.operations()] == ["al-qaim-2017"]


def test_the_read_models_of_a_postgres_store_go_beside_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from projections.views import views_path

    monkeypatch.delenv("TIMELINE_VIEWS", raising=False)

    assert views_path("/data/ops.db") == "/data/ops.views.db"
    assert views_path("postgresql://u@h/ops") == "timeline.views.db"
    monkeypatch.setenv("TIMELINE_VIEWS", "/srv/views.db")
    assert views_path("postgresql://u@h/ops") == "/srv/views.db"


def test_read_models_of_another_store_are_refused_until_rebuilt(tmp_path: Path) -> None:
    views = str(tmp_path / "shared.views.db")
    first = OpsTimeline(str(tmp_path / "first.db"), views=views)
    first.import_file(AL_QAIM)
    other = OpsTimeline(str(tmp_path / "other.db"), views=views)

    with pytest.raises(ReadModelsOfAnotherStore, match="rebuild them"):
        other.import_file(AL_QAIM)
    other.rebuild()

    assert len(other.show("al-qaim-2017")) == 8
    assert other.project() == 0


def test_read_models_of_an_earlier_version_get_this_versions_indexes(db: str) -> None:
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)
    expected = every_table(ops.views.path)["indexes"]
    with closing(sqlite3.connect(ops.views.path)) as connection:  # as an earlier version left them
        connection.execute("DROP INDEX idx_actors_force")
        connection.execute("CREATE INDEX idx_events_retired ON events (notes)")

    ops.project()

    assert every_table(ops.views.path)["indexes"] == expected


def test_read_models_of_version_11_cut_short_are_kept_and_finished_by_the_next_catch_up(
    tmp_path: Path,
) -> None:
    """Version 11 marked a batch's whole operations stale; this one marks their forces and
    figures. Read models that 11 left with marks pending (a catch-up cut short before its
    derived models) keep their rows, and the next catch-up recomputes what 11's would have."""
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(write(tmp_path / "events.jsonl", 1_000, seed=8))
    expected = every_table(ops.views.path)
    with closing(sqlite3.connect(ops.views.path)) as connection:  # as 11 left them, cut short
        (operation,) = connection.execute(
            "SELECT operation FROM contested WHERE kind IN ('strength', 'casualties')"
        ).fetchone()
        connection.execute("DELETE FROM forces WHERE operation = ?", (operation,))
        connection.execute(
            "DELETE FROM contested WHERE operation = ? AND kind NOT IN ('control', 'reversal')",
            (operation,),
        )
        connection.execute("INSERT INTO stale VALUES ('operation', ?)", (operation,))
        connection.execute("PRAGMA user_version = 11")
        connection.commit()

    opened = Views(ops.views.path)
    opened.catch_up(ops.app.recorder, ops.app.name)

    assert every_table(ops.views.path) == expected
    assert sqlite3.connect(ops.views.path).execute("PRAGMA user_version").fetchone() == (12,)


def test_a_bulk_catch_up_takes_larger_pages_than_one_row_by_row(
    db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = Timeline(db=db)
    app.import_file(AL_QAIM)  # 13 events
    monkeypatch.setattr(tracking, "BULK_PAGE_SIZE", 10)
    monkeypatch.setattr(tracking, "PAGE_SIZE", 4)
    pages: list[int] = []
    read_page = type(app.recorder).read_page

    def counted(*args: Any) -> Page:
        pages.append(len(page := read_page(*args)))
        return page

    monkeypatch.setattr(type(app.recorder), "read_page", counted)

    Views(str(tmp_path / "bulk.views.db")).catch_up(app.recorder, app.name, bulk_from=1)
    Views(str(tmp_path / "rows.views.db")).catch_up(app.recorder, app.name)

    assert pages == [10, 3, 0, 4, 4, 4, 1, 0]


def test_derived_models_recomputed_before_another_page_was_projected_are_recomputed_again(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = OpsTimeline(db)
    scenario(ops)
    views = Views(str(tmp_path / "late.views.db"))
    refresh = tracking.ViewsRecorder.refresh
    monkeypatch.setattr(tracking.ViewsRecorder, "refresh", lambda self, recomputed=None: None)
    views.catch_up(ops.app.recorder, ops.app.name)  # every place and operation left stale
    apart = recomputing.Recomputing(views.path)
    apart.start()
    apart.join()  # what it found is out of date after the next page:
    ops.app.record(event("retaken-again", "place_captured", "2017-11-25", place=RAWA, actors=ISIS))
    views.catch_up(ops.app.recorder, ops.app.name)

    refresh(views.recorder, apart)

    monkeypatch.setattr(tracking.ViewsRecorder, "refresh", refresh)
    assert ops.project() == 1
    assert every_table(views.path) == every_table(ops.views.path)
