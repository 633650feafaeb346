"""ACLED and UCDP GED files in: mapped, revised by newer files, one place per place."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.conftest import write_jsonl
from tests.datasets import (
    OLD_LAYOUT,
    acled_row,
    ucdp_event,
    write_acled,
    write_ucdp_csv,
    write_ucdp_json,
)
from timeline.api import OpsTimeline
from timeline.errors import ImportFailed

STRIKE = {"event_type": "Explosions/Remote violence", "sub_event_type": "Air/drone strike"}
RETAKEN = {"sub_event_type": "Government regains territory"}
ENTERED_AGAIN = {"sub_event_type": "Armed clash", "event_date": "2017-11-09"}


@pytest.fixture
def ops(db: str) -> Iterator[OpsTimeline]:
    timeline = OpsTimeline(db)
    yield timeline
    timeline.close()


def abu_kamal_rows() -> list[dict[str, Any]]:
    """The town retaken, struck, fought over again; spelled three ways and in Arabic."""
    return [
        acled_row("SYR1", **RETAKEN),
        acled_row("SYR2", location="Al Bukamal", latitude="34.4534", **STRIKE, actor2="",
                  inter2="", event_date="2017-11-05"),
        acled_row("SYR3", location="Albu Kamal", longitude="40.9185", event_date="2017-11-07"),
        acled_row("SYR4", location="البوكمال", latitude="34.4527", **ENTERED_AGAIN),
    ]


def test_a_file_in_acled_s_current_layout_imports_with_the_documented_mapping(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    path = write_acled(tmp_path / "acled.csv", abu_kamal_rows())

    result = ops.import_file(path, form="acled")

    assert (result.new, result.already) == (4, 0)
    events = ops.query(place="Abu Kamal", limit=None)
    assert [(e["id"], e["type"], e["occurred"]) for e in events] == [
        ("acled/SYR1", "place_captured", "2017-11-03"),
        ("acled/SYR2", "place_struck", "2017-11-05"),
        ("acled/SYR3", "forces_clashed", "2017-11-07"),
        ("acled/SYR4", "forces_clashed", "2017-11-09"),
    ]
    first = events[0]
    assert (first["attackers"], first["defenders"]) == (["Syria"], ["Islamic State (Syria)"])
    assert events[1]["form"] == "air or drone strike"
    assert events[1]["parties"] == ["Syria"]
    assert (first["fatalities"], first["place_precision"], first["dataset_id"]) == (
        5, "exact", "SYR1",
    )  # fmt: skip
    assert first["outlets"] == ["SANA", "Reuters"]
    assert first["grades"] == ["F6", "F6"]
    assert "with artillery,\nreported" in first["notes"]


def test_a_file_quoted_throughout_imports_as_one_quoted_only_where_needed(
    db: str, tmp_path: Path
) -> None:
    minimal = write_acled(tmp_path / "minimal.csv", abu_kamal_rows())
    quoted = write_acled(tmp_path / "quoted.csv", abu_kamal_rows(), quote_all=True)

    with closing(OpsTimeline(db)) as one, closing(OpsTimeline(str(tmp_path / "o.db"))) as other:
        one.import_file(minimal, form="acled")
        other.import_file(quoted, form="acled")

        assert [e.record for e in one.log()] == [e.record for e in other.log()]


def test_a_file_in_the_layout_before_2023_imports_with_spreadsheet_dates_and_inter_words(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    path = tmp_path / "acled-2017.csv"
    path.write_text(OLD_LAYOUT, "utf-8", newline="")

    result = ops.import_file(path, form="acled")

    assert result.new == 2
    retaken, struck = ops.query(place="al-Qaim", limit=None)
    assert (retaken["type"], retaken["occurred"], retaken["attackers"]) == (
        "place_captured", "2017-11-03", ["Iraq"],
    )  # fmt: skip
    assert retaken["forces"] == [
        "Military Forces of Iraq (2014-)", "Popular Mobilization Forces", "Islamic State (Iraq)"
    ]
    assert retaken["notes"] == 'Iraqi forces said they retook the town, after "fierce" fighting.'
    assert (struck["type"], struck["occurred"], struck["place_precision"]) == (
        "place_struck", "2017-11", "near",
    )  # fmt: skip
    assert ops.control("Al Qaim", on="2017-11-04")[0]["side"] == "Iraq"


def newer(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ACLED's next week: SYR3's toll revised (its timestamp with it), the rest unchanged."""
    return [
        {**row, "fatalities": "9", "timestamp": "1510600000"} if row["event_id_cnty"] == "SYR3"
        else row
        for row in rows
    ]  # fmt: skip


def test_a_newer_file_with_one_changed_row_and_one_deleted_id_gives_one_correction_and_one_retraction(  # noqa: E501
    ops: OpsTimeline, tmp_path: Path
) -> None:
    ops.import_file(write_acled(tmp_path / "week-1.csv", abu_kamal_rows()), form="acled")
    deleted = tmp_path / "deleted.csv"
    deleted.write_text("event_id_cnty,deleted_timestamp\nSYR2,1510600000\nSYR77,1510600000\n")
    before = len(list(ops.log()))

    result = ops.import_file(
        write_acled(tmp_path / "week-2.csv", newer(abu_kamal_rows())), form="acled",
        deleted=deleted,
    )  # fmt: skip

    assert (result.new, result.already, result.corrected, result.retracted) == (0, 3, 1, 1)
    assert result.not_found == 1
    added = [e.record for e in ops.log()][before:]
    assert [(r.type, getattr(r, "corrects", None) or getattr(r, "retracts", None))
            for r in added] == [("report_corrected", "acled/SYR3"),
                                ("report_retracted", "acled/SYR2")]  # fmt: skip
    assert set(added[0].changes) == {"fatalities", "dataset"}  # type: ignore[attr-defined]
    history = ops.history("acled/SYR3")
    assert [row["record"].get("fatalities") or row["record"]["changes"]["fatalities"]
            for row in history] == [5, 9]  # fmt: skip
    assert [e["id"] for e in ops.query(place="Abu Kamal", limit=None)] == [
        "acled/SYR1", "acled/SYR3", "acled/SYR4",
    ]  # fmt: skip


def test_the_newer_file_imported_again_adds_nothing(ops: OpsTimeline, tmp_path: Path) -> None:
    ops.import_file(write_acled(tmp_path / "week-1.csv", abu_kamal_rows()), form="acled")
    week_2 = write_acled(tmp_path / "week-2.csv", newer(abu_kamal_rows()))
    ops.import_file(week_2, form="acled")
    before = len(list(ops.log()))

    result = ops.import_file(week_2, form="acled")

    assert (result.new, result.already, result.corrected) == (0, 4, 0)
    assert len(list(ops.log())) == before


def test_an_answer_as_recorded_before_the_newer_file_reads_as_the_older_one(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    ops.import_file(write_acled(tmp_path / "week-1.csv", abu_kamal_rows()), form="acled")
    time.sleep(0.01)
    between = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    ops.import_file(write_acled(tmp_path / "week-2.csv", newer(abu_kamal_rows())), form="acled")

    then = ops.query(place="Abu Kamal", as_recorded=between, limit=None)
    now = ops.query(place="Abu Kamal", limit=None)

    assert [e["fatalities"] for e in then if e["id"] == "acled/SYR3"] == [5]
    assert [e["fatalities"] for e in now if e["id"] == "acled/SYR3"] == [9]


def test_a_known_town_named_in_another_script_at_its_own_coordinates_is_one_place(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    path = write_acled(tmp_path / "acled.csv", abu_kamal_rows())

    result = ops.import_file(path, form="acled")

    assert "'البوكمال' is 'Abu Kamal' (a town 33 m away): recorded as its alias" in result.notes
    assert [p["name"] for p in ops.places()] == ["Abu Kamal"]
    for name in ("Abu Kamal", "البوكمال", "Al Bukamal", "Albu Kamal"):
        assert len(ops.query(place=name, limit=None)) == 4
        assert ops.control(name, on="2017-11-10")[0]["answer"] == "held"
    operation = "acled-syria-deir-ez-zor-2017"
    timeline = ops.figure("timeline", operation)
    assert timeline.layout.yaxis.ticktext == ("Abu Kamal",)
    assert {y for trace in timeline.data for y in trace.y if y is not None} == {0}
    places = [t for t in ops.figure("map", operation).data if t.name == "places"]
    assert (places[0].x, places[0].y) == ((40.918,), (34.453,))


def test_a_new_name_close_by_but_of_another_kind_or_farther_away_is_another_place(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    ops.import_file(write_acled(tmp_path / "acled.csv", abu_kamal_rows()[:1]), form="acled")
    records = [
        {"id": "x/silos", "type": "place_entered", "operation": "x", "occurred": "2017-11-04",
         "place": {"name": "Abu Kamal silos", "lat": 34.4531, "lon": 40.9181, "kind": "facility"},
         "actors": [{"force": "A", "side": "A", "role": "attacker"}],
         "sources": [{"outlet": "SANA", "reliability": "F", "credibility": "6"}]},
        {"id": "x/hamdan", "type": "place_entered", "operation": "x", "occurred": "2017-11-04",
         "place": {"name": "Hamdan", "lat": 34.4620, "lon": 40.9180, "kind": "town"},
         "actors": [{"force": "A", "side": "A", "role": "attacker"}],
         "sources": [{"outlet": "SANA", "reliability": "F", "credibility": "6"}]},
    ]  # fmt: skip

    result = ops.import_file(write_jsonl(tmp_path / "x.jsonl", records), unlaunched=True)

    assert result.notes == ()
    assert [p["name"] for p in ops.places()] == ["Abu Kamal", "Abu Kamal silos", "Hamdan"]
    assert [(p["place"], p["other"], p["km"]) for p in ops.places(duplicates=True)] == [
        ("Abu Kamal", "Abu Kamal silos", 0.014), ("Abu Kamal silos", "Hamdan", 0.99),
    ]  # fmt: skip: Abu Kamal and Hamdan lie 1.001 km apart


def test_two_villages_of_one_name_in_two_provinces_are_two_places(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    rows = [
        acled_row("SYR1", location="Hajin", latitude="34.6897", longitude="40.8311"),
        acled_row("SYR2", location="Hajin", admin1="Aleppo", latitude="36.4012",
                  longitude="37.4977"),
    ]

    ops.import_file(write_acled(tmp_path / "acled.csv", rows), form="acled")

    places = ops.places(name="Hajin")
    assert [(p["name"], p["events"]) for p in places] == [
        ("Hajin", 1), ("Hajin (Aleppo, Syria)", 1),
    ]  # fmt: skip
    assert [p["name"] for p in ops.places(near=(36.4, 37.5), km=5)] == ["Hajin (Aleppo, Syria)"]


def test_an_analyst_says_two_places_are_one_and_every_question_and_a_rebuild_agree(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    rows = [acled_row("SYR1", **RETAKEN),
            acled_row("SYR2", location="Kamal camp", latitude="34.4620", **ENTERED_AGAIN)]
    ops.import_file(write_acled(tmp_path / "acled.csv", rows), form="acled")
    said = {"id": "notes/kamal-camp", "type": "places_identified",
            "operation": "acled-syria-deir-ez-zor-2017", "place": "Abu Kamal",
            "same_as": "Kamal camp",
            "sources": [{"outlet": "Field team", "reliability": "B", "credibility": "2"}],
            "notes": "The camp is the town's northern quarter: ACLED codes it apart."}  # fmt: skip

    ops.record(said)
    answers = (
        ops.query(place="Kamal camp", limit=None), ops.control("Kamal camp"),
        ops.places(), ops.forces("acled-syria-deir-ez-zor-2017"),
    )
    ops.rebuild()

    assert [e["id"] for e in answers[0] if e["type"] != "places_identified"] == [
        "acled/SYR1", "acled/SYR2",
    ]  # fmt: skip
    assert [p["name"] for p in answers[2]] == ["Abu Kamal"]
    assert "Kamal camp" in answers[2][0]["aliases"]
    assert answers == (
        ops.query(place="Kamal camp", limit=None), ops.control("Kamal camp"),
        ops.places(), ops.forces("acled-syria-deir-ez-zor-2017"),
    )


def test_an_answer_as_recorded_after_two_places_were_found_one_is_today_s_answer(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    rows = [acled_row("SYR1", **RETAKEN),
            acled_row("SYR2", location="Kamal camp", latitude="34.4620", **RETAKEN)]
    ops.import_file(write_acled(tmp_path / "acled.csv", rows), form="acled")
    ops.record({"id": "notes/kamal-camp", "type": "places_identified",
                "operation": "acled-syria-deir-ez-zor-2017", "place": "Abu Kamal",
                "same_as": "Kamal camp",
                "sources": [{"outlet": "Field team", "reliability": "B", "credibility": "2"}]})
    now = datetime.now(UTC).isoformat()

    then = ops.control("Kamal camp", as_recorded=now)

    assert then == ops.control("Kamal camp")
    assert [period["events"] for period in then] == [["acled/SYR1", "acled/SYR2"]]


def test_ucdp_ged_s_csv_and_the_api_s_json_import_alike(db: str, tmp_path: Path) -> None:
    events = [ucdp_event(1), ucdp_event(2, type_of_violence=3, side_b="Civilians", best=3,
                                         low=3, high=3, date_start="2017-11-05 00:00:00.000",
                                         date_end="2017-11-05 00:00:00.000")]  # fmt: skip
    csv_path = write_ucdp_csv(tmp_path / "ged.csv", events)
    json_path = write_ucdp_json(tmp_path / "ged.json", events)

    with closing(OpsTimeline(db)) as from_csv, closing(OpsTimeline(str(tmp_path / "j.db"))) as js:
        from_csv.import_file(csv_path, form="ucdp")
        js.import_file(json_path, form="ucdp")
        records = [e.record.canonical() for e in from_csv.log()]
        assert records == [e.record.canonical() for e in js.log()]
    clash, attack = records
    assert (clash["type"], clash["occurred"], clash["casualties"]) == (
        "forces_clashed", "2017-11-02/2017-11-04", {"best": 17, "low": 15, "high": 25},
    )  # fmt: skip
    assert clash["actors"] == [
        {"force": "Government of Syria", "side": "Syria", "role": "party"},
        {"force": "IS", "side": "IS", "role": "party"},
    ]
    assert [s["outlet"] for s in clash["sources"]] == ["AFP", "SOHR"]
    assert clash["sources"][0]["quote"] == "Syrian army takes Albu Kamal"
    assert clash["place"]["precision"] == "exact"
    assert {k: clash["dataset"][k] for k in ("date_prec", "where_prec", "deaths_a", "deaths_b",
                                             "deaths_civilians", "deaths_unknown")} == {
        "date_prec": 2, "where_prec": 1, "deaths_a": 4, "deaths_b": 11, "deaths_civilians": 2,
        "deaths_unknown": 0,
    }  # fmt: skip
    assert (attack["type"], attack["form"], attack["occurred"]) == (
        "civilians_attacked", "attack", "2017-11-05",
    )  # fmt: skip


def test_a_newer_ucdp_release_gives_corrections_keyed_by_ged_s_id(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    ops.import_file(write_ucdp_csv(tmp_path / "24.1.csv", [ucdp_event(1)]), form="ucdp")

    result = ops.import_file(
        write_ucdp_csv(tmp_path / "25.1.csv", [ucdp_event(1, best=20, high=30)]), form="ucdp"
    )

    assert (result.new, result.corrected) == (0, 1)
    history = ops.history("ucdp/1")
    assert history[1]["record"]["changes"] == {"casualties": {"best": 20, "low": 15, "high": 30}}


def test_an_acled_town_and_a_ged_town_at_one_spot_are_one_place(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    ops.import_file(write_acled(tmp_path / "acled.csv", abu_kamal_rows()[:1]), form="acled")

    result = ops.import_file(write_ucdp_csv(tmp_path / "ged.csv", [ucdp_event(1)]), form="ucdp")

    assert result.notes == ("'Albu Kamal town' is 'Abu Kamal' (a town 14 m away): recorded as "
                            "its alias",)  # fmt: skip
    assert len(ops.query(place="Albu Kamal town", limit=None)) == 2


def test_a_file_missing_a_required_column_is_refused_before_any_row_is_read(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    path = tmp_path / "trimmed.csv"
    path.write_text("event_id_cnty,event_date,location\nSYR1,2017-11-03,Abu Kamal\n", "utf-8")

    with pytest.raises(ImportFailed) as failed:
        ops.import_file(path, form="acled")

    assert str(failed.value.errors[0]).startswith(f"{path}:1: header: missing columns time_prec")


def test_every_bad_row_is_refused_with_its_line_and_column_and_nothing_is_stored(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    rows = [
        *abu_kamal_rows(),
        acled_row("SYR5", event_date="31 February 2017"),
        acled_row("SYR6", latitude="134.45"),
        acled_row("SYR7", sub_event_type="Skirmish"),
        acled_row("SYR8", notes="x" * 30_000),
    ]
    path = write_acled(tmp_path / "acled.csv", rows)

    with pytest.raises(ImportFailed) as failed:
        ops.import_file(path, form="acled")

    assert [(e.line, e.field) for e in failed.value.errors] == [
        (10, "event_date"), (12, "latitude"), (14, "sub_event_type"), (16, "notes"),
    ]  # a row starts on the line after the last one's two: its notes hold a line break
    assert "'31 February 2017' is not a date" in failed.value.errors[0].message
    assert all(len(str(error)) < 400 for error in failed.value.errors)
    assert list(ops.log()) == []


def test_the_cli_imports_acled_with_grades_and_sides_and_lists_the_places(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = write_acled(tmp_path / "acled.csv", abu_kamal_rows())
    grades = tmp_path / "grades.csv"
    grades.write_text("outlet,grade\nSANA,D4\n", "utf-8")
    sides = tmp_path / "sides.csv"
    sides.write_text("actor,side\nIslamic State (Syria),ISIS\n", "utf-8")

    imported = cli("import", "--format", "acled", str(path), "--grades", str(grades),
                   "--grade", "Reuters=B2", "--sides", str(sides))  # fmt: skip
    listed = cli("places", "--near", "34.45,40.92", "--km", "1", "--format", "json")
    shown = cli("query", "--place", "البوكمال", "--format", "json")

    assert imported.exit_code == 0, imported.output
    assert imported.output.startswith("4 new, 0 already recorded\n'Al Bukamal' is 'Abu Kamal'")
    assert [(p["name"], p["events"]) for p in json.loads(listed.output)] == [("Abu Kamal", 4)]
    first = json.loads(shown.output)[0]
    assert (first["grades"], first["defenders"]) == (["D4", "B2"], ["ISIS"])


def test_the_cli_refuses_a_bad_acled_file_with_located_errors(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    path = write_acled(tmp_path / "acled.csv", [acled_row("SYR1", longitude="200")])

    result = cli("import", "--format", "acled", str(path))

    assert result.exit_code == 1
    assert f"{path}:2: longitude: must be between -180 and 180 (found 200)" in result.output
    assert "nothing was imported (1 error)" in result.output


def test_a_revision_that_would_change_an_event_s_type_is_refused_with_its_line(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    ops.import_file(write_acled(tmp_path / "week-1.csv", abu_kamal_rows()), form="acled")
    recoded = [*abu_kamal_rows()[:2], {**abu_kamal_rows()[2], **RETAKEN, "timestamp": "2"}]

    with pytest.raises(ImportFailed) as failed:
        ops.import_file(write_acled(tmp_path / "week-2.csv", recoded), form="acled")

    (error,) = failed.value.errors
    assert (error.line, error.field, error.rule) == (6, "sub_event_type", "RecordRejected")
    assert "recorded as type 'forces_clashed', now 'place_captured'" in error.message


def test_a_revision_of_a_deleted_event_is_refused(ops: OpsTimeline, tmp_path: Path) -> None:
    ops.import_file(write_acled(tmp_path / "week-1.csv", abu_kamal_rows()), form="acled")
    deleted = tmp_path / "deleted.csv"
    deleted.write_text("event_id_cnty,deleted_timestamp\nSYR3,1510600000\n")
    alone = ops.import_file(None, form="acled", deleted=deleted)

    with pytest.raises(ImportFailed) as failed:
        ops.import_file(write_acled(tmp_path / "week-2.csv", newer(abu_kamal_rows())),
                        form="acled")  # fmt: skip

    assert (alone.retracted, alone.new) == (1, 0)
    assert [(e.line, e.field, e.rule) for e in failed.value.errors] == [
        (6, "event_id_cnty", "EventAlreadyRetracted")
    ]


def test_a_revision_of_a_row_at_a_qualified_place_changes_only_what_changed(
    ops: OpsTimeline, tmp_path: Path
) -> None:
    rows = [
        acled_row("SYR1", location="Hajin", latitude="34.6897", longitude="40.8311"),
        acled_row("SYR2", location="Hajin", admin1="Aleppo", latitude="36.4012",
                  longitude="37.4977"),
    ]  # fmt: skip
    ops.import_file(write_acled(tmp_path / "week-1.csv", rows), form="acled")
    rows[1] = {**rows[1], "fatalities": "7", "timestamp": "1510700000"}

    result = ops.import_file(write_acled(tmp_path / "week-2.csv", rows), form="acled")

    assert (result.already, result.corrected) == (1, 1)
    assert set(ops.history("acled/SYR2")[1]["record"]["changes"]) == {"fatalities", "dataset"}
    assert [e["place"] for e in ops.query(place="Hajin (Aleppo, Syria)", limit=None)] == [
        "Hajin (Aleppo, Syria)"
    ]


@pytest.mark.postgres
def test_a_newer_acled_file_is_revised_alike_in_postgresql(pg_url: str, tmp_path: Path) -> None:
    from timeline.application import Timeline
    from timeline.readers.acled import Acled

    with closing(Timeline(db=pg_url)) as app:
        app.import_file(write_acled(tmp_path / "week-1.csv", abu_kamal_rows()), reader=Acled())

        result = app.import_file(
            write_acled(tmp_path / "week-2.csv", newer(abu_kamal_rows())), reader=Acled()
        )

        assert (result.new, result.already, result.corrected) == (0, 3, 1)
        (correction,) = [e.record for e in app.log() if e.record.type == "report_corrected"]
        assert correction.changes["fatalities"] == 9  # type: ignore[attr-defined]
