"""The read models: what researchers see after the analysts' events are projected."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from projections import queries, schema
from projections.projector import midpoint
from projections.queries import NotFound
from projections.views import connect
from tests.conftest import AL_QAIM, IRAQ, ISIS, RAWA, SOURCE
from timeline.api import OpsTimeline
from timeline.errors import InvalidInput


def event(event_id: str, event_type: str, occurred: str, **keys: Any) -> dict[str, Any]:
    return {
        "id": f"op/{event_id}",
        "type": event_type,
        "operation": "op",
        "occurred": occurred,
        "sources": [SOURCE],
        **keys,
    }


def correction(event_id: str, target: str, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"op/{event_id}",
        "type": "report_corrected",
        "operation": "op",
        "corrects": f"op/{target}",
        "changes": changes,
        "sources": [{**SOURCE, "reliability": "B", "credibility": "2"}],
    }


def retraction(event_id: str, target: str) -> dict[str, Any]:
    return {
        "id": f"op/{event_id}",
        "type": "report_retracted",
        "operation": "op",
        "retracts": f"op/{target}",
        "sources": [SOURCE],
    }


@pytest.fixture
def ops(db: str) -> Iterator[OpsTimeline]:
    timeline = OpsTimeline(db)
    timeline.record(event("launched", "operation_launched", "2017-11-01"))
    yield timeline
    timeline.close()


def test_captured_lost_recaptured_gives_three_periods_of_control(ops: OpsTimeline) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))
    ops.record(event("lost", "place_lost", "2017-11-10~", place="Rawa", actors=ISIS))
    ops.record(event("retaken", "place_liberated", "2017-11-20", place="Rawa", actors=IRAQ))

    periods = ops.control("Rawa")

    assert [(p["side"], p["start_earliest"], p["end_latest"]) for p in periods] == [
        ("Iraq", "2017-11-03", "2017-11-13"),
        ("ISIS", "2017-11-07", "2017-11-20"),
        ("Iraq", "2017-11-20", None),
    ]
    assert [p["start_event"] for p in periods] == ["op/captured", "op/lost", "op/retaken"]


def test_a_place_lost_to_no_named_side_passes_to_unknown(ops: OpsTimeline) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))
    defenders_only = [{"force": "Iraqi Army", "side": "Iraq", "role": "defender"}]

    ops.record(event("lost", "place_lost", "2017-11-10", place="Rawa", actors=defenders_only))

    assert [p["side"] for p in ops.control("Rawa")] == ["Iraq", "unknown"]


def test_entering_a_place_marks_it_contested_without_changing_the_holder(
    ops: OpsTimeline,
) -> None:
    ops.record(event("entered", "place_entered", "2017-11-02", place=RAWA, actors=IRAQ))
    ops.record(event("captured", "place_captured", "2017-11-05", place="Rawa", actors=IRAQ))

    periods = ops.control("Rawa")

    assert [(p["side"], p["contested_from"]) for p in periods] == [
        ("ISIS", "2017-11-02"),
        ("Iraq", None),
    ]


def test_a_second_capture_by_the_holder_corroborates_the_period(ops: OpsTimeline) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))
    ops.record(event("captured-2", "place_liberated", "2017-11-04", place="Rawa", actors=IRAQ))

    periods = ops.control("Rawa")

    assert len(periods) == 1
    assert periods[0]["events"] == ["op/captured", "op/captured-2"]


def test_who_held_a_place_on_a_day_is_certain_away_from_fuzzy_boundaries(
    ops: OpsTimeline,
) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))
    ops.record(event("lost", "place_lost", "2017-11-10~", place="Rawa", actors=ISIS))

    [before] = ops.control("Rawa", on="2017-11-05")
    [fuzzy] = ops.control("Rawa", on="2017-11-09")
    [after] = ops.control("Rawa", on="2017-12-01")
    [earlier] = ops.control("Rawa", on="2017-10-01")

    assert (before["answer"], before["side"]) == ("held", "Iraq")
    assert (fuzzy["answer"], fuzzy["side"], fuzzy["candidates"]) == (
        "uncertain",
        None,
        ["Iraq", "ISIS"],
    )
    assert (after["answer"], after["side"]) == ("held", "ISIS")
    assert earlier["answer"] == "no record"


def test_a_corrected_event_reads_corrected_everywhere_with_its_history_kept(
    ops: OpsTimeline,
) -> None:
    ops.record(
        event(
            "committed", "forces_committed", "2017-11-03", actors=IRAQ[:1], strength={"best": 40000}
        )
    )
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))

    ops.record(
        correction("fix-1", "committed", strength={"best": 30000, "low": 25000, "high": 35000})
    )
    ops.record(correction("fix-2", "captured", occurred="2017-11-06"))

    [committed] = ops.query(type="forces_committed")
    [army] = [f for f in ops.forces("op") if f["force"] == "Iraqi Army"]
    [period] = ops.control("Rawa")
    history = ops.history("op/committed")
    assert (committed["status"], committed["corrected_by"]) == ("corrected", "op/fix-1")
    assert (committed["strength_best"], committed["strength_low"]) == (30000, 25000)
    assert (army["strength_best"], army["strength_high"]) == (30000, 35000)
    assert period["start_earliest"] == "2017-11-06"
    assert [h["type"] for h in history] == ["forces_committed", "report_corrected"]
    assert history[0]["record"]["strength"] == {"best": 40000}


def test_the_history_keeps_no_copy_of_a_new_event_until_it_is_corrected(
    ops: OpsTimeline, db: str
) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))
    moment = datetime.now(UTC).isoformat()
    ops.record(correction("fix-1", "captured", occurred="2017-11-06"))
    asked = OpsTimeline(db)  # another process's questions: the store is read, not replayed

    with closing(ops.views.connection()) as views:
        kept = views.execute(
            "SELECT type, target, state IS NOT NULL FROM history ORDER BY position"
        ).fetchall()
        own_rows = views.execute("SELECT type FROM history_kept ORDER BY position").fetchall()
    history = asked.history("op/captured")
    [before] = asked.control("Rawa", as_recorded=moment)
    assert [tuple(row) for row in kept] == [
        ("operation_launched", None, 0), (None, "Rawa", 1),  # the place's: kept
        ("place_captured", None, 1),  # copied from the store once corrected (contested claims)
        ("report_corrected", "op/captured", 1),
    ]  # fmt: skip
    # the launch, never corrected, has no row of its own: its events row stands for it
    assert [row[0] for row in own_rows] == [None, "place_captured", "report_corrected"]
    assert history[0]["record"]["occurred"] == "2017-11-03"
    assert history[1]["record"]["changes"] == {"occurred": "2017-11-06"}
    assert before["start_earliest"] == "2017-11-03"
    assert asked.control("Rawa")[0]["start_earliest"] == "2017-11-06"
    asked.close()


def test_a_retracted_event_leaves_the_default_views_and_stays_in_the_history(
    ops: OpsTimeline,
) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))

    ops.record(retraction("withdrawn", "captured"))

    assert [e["id"] for e in ops.show("op")] == ["op/launched"]
    assert ops.control("Rawa") == []
    assert [f["force"] for f in ops.forces("op")] == []
    assert [e["status"] for e in ops.show("op", include_retracted=True)] == ["active", "retracted"]
    assert [h["type"] for h in ops.history("op/captured")] == ["place_captured", "report_retracted"]


def test_an_as_recorded_answer_is_unchanged_by_later_events(ops: OpsTimeline) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))
    moment = datetime.now(UTC)
    before = ops.show("op", as_recorded=moment)

    ops.record(event("lost", "place_lost", "2017-11-10", place="Rawa", actors=ISIS))
    ops.record(correction("fix", "captured", occurred="2017-11-04"))

    assert ops.show("op", as_recorded=moment) == before
    assert [p["side"] for p in ops.control("Rawa", as_recorded=moment)] == ["Iraq"]
    assert [p["side"] for p in ops.control("Rawa")] == ["Iraq", "ISIS"]


def test_known_by_keeps_only_sources_published_by_then(ops: OpsTimeline) -> None:
    late = {**SOURCE, "outlet": "Reuters", "published": "2017-12-01"}
    undated = {k: v for k, v in SOURCE.items() if k != "published"}
    ops.record(
        event(
            "captured",
            "place_captured",
            "2017-11-03",
            place=RAWA,
            actors=IRAQ,
            sources=[SOURCE, late],
        )
    )
    ops.record(
        event(
            "lost", "place_lost", "2017-11-10", place="Rawa", actors=ISIS, sources=[late, undated]
        )
    )

    known = ops.show("op", known_by="2017-11-15")

    assert [e["id"] for e in known] == ["op/launched", "op/captured"]
    assert known[1]["outlets"] == ["South Front"]


def test_a_place_is_found_by_any_of_its_names(db: str) -> None:
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    for name in ("al-Qaim", "Al Qa'im", "Al Qaim", "القائم", "AL-QAIM"):
        assert [e["id"] for e in ops.query(place=name, type="place_entered")] == [
            "al-qaim-2017/town-entered"
        ], name


def test_a_later_full_mention_adds_an_alias(ops: OpsTimeline) -> None:
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))

    ops.record(
        event(
            "entered",
            "place_entered",
            "2017-11-04",
            actors=IRAQ,
            place={**RAWA, "aliases": ["راوة"]},
        )
    )

    assert len(ops.query(place="راوة")) == 2


def test_full_text_search_finds_words_in_notes_places_and_quotes(db: str) -> None:
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    assert {e["id"] for e in ops.query(text="Karablah")} == {"al-qaim-2017/karablah-liberated"}
    assert {e["id"] for e in ops.query(text="train station")} == {
        "al-qaim-2017/train-station-liberated"
    }
    assert len(ops.query(text="partisan")) == 8


def test_full_text_search_finds_the_events_of_a_place_by_any_of_its_aliases(db: str) -> None:
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    found = {e["id"] for e in ops.query(text="الكرابلة")}
    spelled = {e["id"] for e in ops.query(text="Karabilah")}

    assert found == spelled == {"al-qaim-2017/karablah-liberated"}


def test_search_text_is_data_not_query_syntax(db: str) -> None:
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    assert ops.query(text='NEAR( " OR * -') == []
    assert ops.query(text="'; DROP TABLE events; --") == []
    assert len(ops.show("al-qaim-2017")) == 8


def test_filters_combine(db: str) -> None:
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    found = ops.query(
        operation="al-qaim-2017", side="ISIS", min_grade="D2", between=("2017-11-01", "2017-11-30")
    )
    nothing = ops.query(min_grade="C3")

    assert [e["id"] for e in found] == ["al-qaim-2017/crossing-captured"]
    assert nothing == []


def test_the_operation_summary_shows_a_contested_launch_date(ops: OpsTimeline) -> None:
    ops.record(
        event(
            "launched-early",
            "operation_launched",
            "2017-10-26",
            sources=[{**SOURCE, "outlet": "Reuters"}],
        )
    )

    [operation] = ops.operations()

    assert (operation["launch_claims"], operation["launch_contested"]) == (2, 1)
    assert operation["launched"] == ["2017-10-26", "2017-11-01"]


def test_results_convert_to_a_data_frame_in_one_call(db: str) -> None:
    pandas = pytest.importorskip("pandas", reason="pandas is optional: pip install pandas")
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    frame = pandas.DataFrame(ops.show("al-qaim-2017"))

    assert frame["id"].iloc[0] == "al-qaim-2017/launched"


def test_the_read_models_open_with_plain_sqlite3(db: str) -> None:
    ops = OpsTimeline(db)
    ops.import_file(AL_QAIM)

    with closing(sqlite3.connect(Path(db).with_name("timeline.views.db"))) as connection:
        count = connection.execute("SELECT count(*) FROM events").fetchone()[0]

    assert count == 8


# Pages: a question answers with a first page, read in order from an index, and a cursor.


def test_a_question_answers_with_a_first_page_and_a_cursor_to_the_next(ops: OpsTimeline) -> None:
    for day in range(2, 9):
        ops.record(event(f"entered-{day}", "place_entered", f"2017-11-0{day}", place=RAWA,
                         actors=IRAQ))  # fmt: skip
    every = ops.show("op", limit=None)

    first = ops.show("op", limit=3)
    second = ops.show("op", limit=3, after=first.next)
    last = ops.show("op", limit=3, after=second.next)

    assert len(every) == 8
    assert first + second + last == every
    assert str(first.next).startswith("2017-11-03:")  # the last row's day, then its position
    assert last.next is None
    assert ops.query(place="Rawa", limit=2, after=first.next) == every[3:5]


def test_a_question_answers_with_500_events_unless_asked_for_more(db: str) -> None:
    ops = OpsTimeline(db)
    ops.app  # noqa: B018 - an empty store, beside the read models written by hand below
    with closing(ops.views.connection()) as views:
        views.execute("INSERT INTO operations (operation, events) VALUES ('big', 600)")
        views.executemany(
            "INSERT INTO events (rowid, position, id, operation, type, status, occurred_mid) "
            "VALUES (?, ?, ?, 'big', 'place_entered', 'active', '2017-11-03')",
            [(n, n, f"big/{n}") for n in range(1, 601)],
        )

    assert [len(ops.show("big")), len(ops.show("big", limit=None))] == [500, 600]
    assert len(ops.query(operation="big", after=ops.show("big").next)) == 100


def test_a_cursor_that_no_page_gave_is_refused(ops: OpsTimeline) -> None:
    with pytest.raises(InvalidInput, match="after: 'yesterday' is not a page cursor"):
        ops.show("op", after="yesterday")


Days = st.sampled_from(["2017-10-30", "2017-11-01", "2017-11-03", "2017-11-07", "2018-01-01"])
Spans = st.sampled_from([0, 3, 30, 400])
Dates = st.one_of(
    st.tuples(Days, Spans).map(lambda d: (d[0], _plus(d[0], d[1]))),
    Days.map(lambda day: (day, None)),  # 2017-11-01/..
    Days.map(lambda day: (None, day)),  # ../2017-11-01
    st.just((None, None)),  # no date at all: last
)
Stored = st.lists(
    st.fixed_dictionaries({
        "dates": Dates, "status": st.sampled_from(["active", "corrected", "retracted"]),
        "alpha": st.booleans(), "captured": st.booleans(), "iraq": st.booleans(),
    }),
    max_size=40,
)  # fmt: skip


def _plus(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def views_holding(stored: list[dict[str, Any]]) -> sqlite3.Connection:
    """Read models holding only these events (their dates and status; whether the notes say
    'alpha', whether a place was captured, whether Iraq took part), recorded in an order
    unrelated to their dates."""
    db = connect(":memory:")
    schema.create(db)
    db.execute("INSERT INTO operations (operation, events) VALUES ('op', ?)", (len(stored),))
    for n, event in enumerate(stored):
        position = (n * 7919) % 1009 + 1
        earliest, latest = event["dates"]
        notes = "alpha" if event["alpha"] else "beta"
        db.execute(
            "INSERT INTO events (position, id, operation, type, status, "
            "occurred_earliest, occurred_latest, occurred_mid, notes) "
            "VALUES (?, ?, 'op', ?, ?, ?, ?, ?, ?)",
            (position, f"op/{position}",
             "place_captured" if event["captured"] else "place_entered", event["status"],
             earliest, latest, midpoint(earliest, latest), notes),
        )  # fmt: skip
        db.execute("INSERT INTO events_fts (rowid, notes) VALUES (?, ?)", (position, notes))
        db.execute(
            "INSERT INTO actors VALUES (?, 0, ?, ?, 'attacker')",
            (position, *(("Iraqi Army", "Iraq") if event["iraq"] else ("IS", "ISIS"))),
        )
    return db


def every_page(db: sqlite3.Connection, limit: int, **filters: Any) -> list[dict[str, Any]]:
    pages = [queries.query(db, limit=limit, **filters)]
    while pages[-1].next is not None:
        pages.append(queries.query(db, limit=limit, after=pages[-1].next, **filters))
        assert len(pages) <= 41, "a cursor must move forward"
    return [row for page in pages for row in page]


@given(stored=Stored, limit=st.integers(1, 6), window=st.tuples(Days, Days).map(sorted),
       few_words=st.booleans(), few_actors=st.booleans())  # fmt: skip
@settings(max_examples=150, deadline=None)
def test_pages_put_together_are_the_whole_answer_in_order_of_occurrence(
    stored: list[dict[str, Any]], limit: int, window: list[str], few_words: bool,
    few_actors: bool,
) -> None:  # fmt: skip
    """Whatever the dates (fuzzy, open, none), the filters and the page size, following the
    cursors gives every matching event once, dated ones by the middle of their span then in
    recording order, undated ones last; whichever way SQLite is told to read them (words or
    actors matching few events or many)."""
    db = views_holding(stored)
    rows = db.execute("SELECT * FROM events WHERE status != 'retracted'").fetchall()
    iraq = {e["id"] for e in db.execute(
        "SELECT id FROM events WHERE position IN (SELECT position FROM actors WHERE side = 'Iraq')"
    )}
    start, end = window

    def overlaps(row: sqlite3.Row) -> bool:
        return (row["occurred_latest"] or "9999") >= start and (
            row["occurred_earliest"] or "0000") <= end  # fmt: skip

    def ordered(chosen: list[sqlite3.Row]) -> list[str]:
        key = lambda r: (r["occurred_mid"] is None, r["occurred_mid"] or "", r["position"])  # noqa: E731
        return [r["id"] for r in sorted(chosen, key=key)]

    def asked(**filters: Any) -> list[str]:
        return [row["id"] for row in every_page(db, limit, **filters)]

    with (patch.object(queries, "_few_matches", return_value=few_words),
          patch.object(queries, "_few_actors", return_value=few_actors)):  # fmt: skip
        assert asked(operation="op") == ordered(rows)
        assert asked(between=window) == ordered([r for r in rows if overlaps(r)])
        assert asked(text="alpha") == ordered([r for r in rows if r["notes"] == "alpha"])
        assert asked(side="Iraq") == ordered([r for r in rows if r["id"] in iraq])
        assert asked(type="place_captured", between=window) == ordered(
            [r for r in rows if r["type"] == "place_captured" and overlaps(r)]
        )
        assert asked(operation="op", text="alpha", side="Iraq", type="place_captured") == (
            ordered([r for r in rows if r["notes"] == "alpha" and r["id"] in iraq
                     and r["type"] == "place_captured"])
        )  # fmt: skip


def test_a_first_page_is_read_in_order_from_an_index_never_sorted() -> None:
    """show, query --between, --type, and --text and --side with many matches stop at the end
    of the page instead of sorting every match: a large answer costs what its first page
    costs."""
    alike = {"dates": ("2017-11-01", "2017-11-03"), "status": "active", "alpha": True,
             "captured": True, "iraq": True}  # fmt: skip
    db = views_holding([alike] * 3)
    statements: list[str] = []
    db.set_trace_callback(statements.append)

    with (patch.object(queries, "_few_matches", return_value=False),
          patch.object(queries, "_few_actors", return_value=False)):  # fmt: skip
        queries.show(db, "op", limit=2)
        queries.query(db, between=("2017-11-01", "2017-11-30"), limit=2)
        queries.query(db, text="alpha", limit=2)
        queries.query(db, type="place_captured", limit=2)
        queries.query(db, side="Iraq", limit=2)
    db.set_trace_callback(None)

    asked = [sql for sql in statements if sql.startswith("SELECT e.id")]
    plans = ["\n".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql))
             for sql in asked]  # fmt: skip
    assert len(asked) == 5
    assert not [plan for plan in plans if "TEMP B-TREE" in plan], plans


# As of a past moment, a question about one place or one operation replays only its events.


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsTimeline]:
    """3,000 generated events (corrections moving events between places, retractions,
    aliases), imported in three parts, so that there are earlier moments to ask about."""
    work = tmp_path_factory.mktemp("generated")
    records = [json.dumps(record, ensure_ascii=False) for record in generate(3_000, 11)]
    ops = OpsTimeline(str(work / "store.db"))
    for part in range(3):
        path = work / f"part-{part}.jsonl"
        path.write_text("\n".join(records[part * 1_000 : (part + 1) * 1_000]) + "\n", "utf-8")
        ops.import_file(path)
    yield ops
    ops.close()


def test_an_answer_about_one_place_as_of_a_moment_equals_replaying_everything(
    generated: OpsTimeline,
) -> None:
    with closing(generated.views.connection()) as db:
        moments = [db.execute(  # positions in the log of everything stored, guards too
            "SELECT recorded FROM history WHERE position >= ? ORDER BY position LIMIT 1", (at,)
        ).fetchone()[0] for at in (1500, 2500)]  # fmt: skip
        moved = [row[0] for row in db.execute(
            "SELECT DISTINCT e.place FROM history h JOIN events e ON e.id = h.target "
            "WHERE h.type = 'report_corrected' AND instr(h.state, '\"place\"') LIMIT 6"
        )]  # fmt: skip
        places = moved + [row[0] for row in db.execute(
            "SELECT place FROM control GROUP BY place ORDER BY count(*) DESC LIMIT 6"
        )]  # fmt: skip
    assert len(moved) >= 3  # events moved between places by corrections, at those places

    for moment in moments:
        with closing(generated.views.as_of(
            recorded=datetime.fromisoformat(moment), stored=generated.app.recorder.read_positions
        )) as whole:
            for place in places:
                try:
                    expected = queries.control(whole, place)
                except NotFound:  # not known yet at that moment
                    expected = None
                try:
                    answer = generated.control(place, as_recorded=moment)
                except NotFound:
                    answer = None
                assert answer == expected, (moment, place)


def test_an_answer_about_one_operation_as_of_a_moment_equals_replaying_everything(
    generated: OpsTimeline,
) -> None:
    with closing(generated.views.connection()) as db:
        moment = db.execute(
            "SELECT recorded FROM history WHERE position >= 2000 ORDER BY position LIMIT 1"
        ).fetchone()[0]
    stored = generated.app.recorder.read_positions
    whole = generated.views.as_of(recorded=datetime.fromisoformat(moment), stored=stored)
    known = generated.views.as_of(known_by=date(2016, 6, 1), stored=stored)

    for operation in [row["operation"] for row in queries.operations(whole)]:
        shown = generated.show(operation, as_recorded=moment, limit=None)
        forces = generated.forces(operation, known_by="2016-06-01")

        assert shown == queries.show(whole, operation), operation
        assert forces == queries.forces(known, operation), operation


RAWA_CAMP = {"name": "Rawa camp", "lat": 34.52, "lon": 41.95, "kind": "town"}


def test_places_found_to_be_one_count_once_in_forces_and_their_figures_meet(db: str) -> None:
    """Once two places are found to be one, the forces that took both have taken one place,
    and casualty counts given at either name are counts at one place, that may disagree."""
    ops = OpsTimeline(db)
    ops.record(event("launched", "operation_launched", "2017-11-01"))
    ops.record(event("a", "place_captured", "2017-11-03", place=RAWA, actors=IRAQ))
    ops.record(event("b", "place_captured", "2017-11-04", place=RAWA_CAMP, actors=IRAQ))
    for n, (place, best) in enumerate([("Rawa", 10), ("Rawa camp", 400)]):
        ops.record(event(f"dead-{n}", "casualties_reported", "2017-11-05", place=place,
                         actors=IRAQ[:1], casualties={"best": best}))  # fmt: skip
    assert ops.contested(operation="op") == []

    ops.record({"id": "op/same", "type": "places_identified", "operation": "op",
                "place": "Rawa", "same_as": "Rawa camp", "sources": [SOURCE]})  # fmt: skip

    answers = ops.forces("op"), ops.contested(operation="op"), ops.operations()
    army = next(row for row in answers[0] if row["force"] == "Iraqi Army")
    assert army["places_taken"] == 1
    assert answers[2][0]["places_taken"] == 1
    assert [(c["kind"], c["subject"]) for c in answers[1]] == [
        ("casualties", "Iraqi Army at Rawa")
    ]
    ops.rebuild()
    assert (ops.forces("op"), ops.contested(operation="op"), ops.operations()) == answers


def test_taking_means_the_same_in_forces_operations_control_and_the_figures(
    ops: OpsTimeline,
) -> None:
    ops.record(event("entered", "place_entered", "2017-11-08", place=RAWA, actors=IRAQ))
    ops.record(event("captured", "place_captured", "2017-11-09", place="Rawa", actors=IRAQ))
    ops.record(event("lost", "place_lost", "2017-11-11", place="Rawa", actors=ISIS))
    ops.record(event("retaken", "place_liberated", "2017-11-19", place="Rawa", actors=IRAQ))

    takers = [p["side"] for p in ops.control("Rawa")]
    forces = {row["side"]: row["places_taken"] for row in ops.forces("op")}
    (operation,) = ops.operations()
    progress = ops.figure("progress", "op")
    stepped_up = {
        trace.name.split(":")[0] for trace in progress.data if trace.name.endswith(": taken")
    }
    bars = [t for t in ops.figure("control", "op").data if t.name.endswith(": periods")]

    assert takers == ["ISIS", "Iraq", "ISIS", "Iraq"]  # ISIS held it when Iraq entered
    assert forces == {"Iraq": 1, "ISIS": 1}
    assert operation["places_taken"] == 1
    assert stepped_up == {"Iraq", "ISIS"}
    assert sorted(d[1] for t in bars for d in t.customdata) == [1, 2, 3, 4]
    for day in (date(2017, 11, 7) + timedelta(n) for n in range(14)):
        holder = ops.control("Rawa", on=day.isoformat())[0]["side"]
        for side in ("Iraq", "ISIS"):
            held = next(t for t in progress.data if t.name == f"{side}: places held")
            level = [y for x, y in zip(held.x, held.y, strict=True) if x <= day.isoformat()]
            assert (level[-1] if level else 0) == int(holder == side), (day, side)


def test_an_insert_names_every_column_of_its_table_or_is_refused_at_once() -> None:
    statement = schema.insert("place_names", ("place", "key", "name"))

    assert statement == "INSERT INTO [place_names] ([place], [key], [name]) VALUES (?, ?, ?)"
    with pytest.raises(ValueError, match=r"missing \['name', 'place'\]"):
        schema.insert("place_names", ("key",))


def test_a_force_named_twice_in_one_role_is_one_actor_of_its_event(ops: OpsTimeline) -> None:
    army = {"force": "Iraqi Army", "side": "Iraq", "role": "attacker"}
    police = {"force": "Federal Police", "side": "Iraq", "role": "attacker"}
    ops.record(event("captured", "place_captured", "2017-11-03", place=RAWA,
                     actors=[army, police, army]))  # fmt: skip

    with closing(ops.views.connection()) as views:
        actors = views.execute("SELECT n, force FROM actors ORDER BY n").fetchall()
    [found] = ops.query(force="Iraqi Army")
    [summary] = [f for f in ops.forces("op") if f["force"] == "Iraqi Army"]
    assert [tuple(row) for row in actors] == [(0, "Iraqi Army"), (1, "Federal Police")]
    assert found["id"] == "op/captured"
    assert summary["events"] == 1
