"""An ACLED row becomes a record by a documented mapping: a pure function of the row."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.datasets import acled_row
from timeline.readers import acled, acled_codes
from timeline.readers.acled import Acled
from timeline.readers.coding import Grades, Problems, Sides, pairs, shown
from timeline.validation import parse_record


def record_of(row: dict[str, str], reader: Acled | None = None) -> dict[str, Any] | Problems:
    return (reader or Acled()).record_of(row)


def test_both_layouts_are_told_apart_by_their_header() -> None:
    assert acled.layout(list(acled_codes.CURRENT)) == "current"
    assert acled.layout([name.upper() for name in acled_codes.BEFORE_2023]) == "before 2023"
    assert acled.layout(["event_id_cnty", "event_date", "location"]) == "other"


def test_both_layouts_have_thirty_one_columns_and_differ_as_acled_says() -> None:
    current, before = set(acled_codes.CURRENT), set(acled_codes.BEFORE_2023)

    assert len(acled_codes.CURRENT) == len(acled_codes.BEFORE_2023) == 31
    assert before - current == {"data_id", "event_id_no_cnty", "iso3"}
    assert current - before == {"disorder_type", "civilian_targeting", "tags"}


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2017-11-03", datetime.date(2017, 11, 3)),
        ("03 November 2017", datetime.date(2017, 11, 3)),
        ("3-Nov-17", datetime.date(2017, 11, 3)),
        ("9-May-20", datetime.date(2020, 5, 9)),
        ("01-January-2015", datetime.date(2015, 1, 1)),
        ("12-Jun-97", datetime.date(1997, 6, 12)),
    ],
)
def test_an_event_date_is_read_as_acled_and_spreadsheets_write_it(
    written: str, day: datetime.date
) -> None:
    assert acled.event_date(written) == day


@pytest.mark.parametrize(
    ("precision", "edtf"), [(1, "2017-11-03"), (2, "2017-10-31/2017-11-06"), (3, "2017-11")]
)
def test_time_precision_becomes_the_day_the_week_around_it_or_the_month(
    precision: int, edtf: str
) -> None:
    assert acled_codes.occurred(datetime.date(2017, 11, 3), precision) == edtf


@pytest.mark.parametrize(
    ("written", "code"),
    [("1", 1), ("2", 2), ("8", 8), ("State forces", 1), ("Rebel group", 2),
     ("Political militia", 3), ("Identity militia", 4), ("Communal / Identity Groups", 4),
     ("Rioters", 5), ("Protesters", 6), ("Civilians", 7), ("External/Other forces", 8), ("", None)],
)  # fmt: skip
def test_inter_codes_are_read_as_numbers_and_as_their_words(written: str, code: int) -> None:
    assert acled_codes.inter(written) == code


def test_a_state_s_forces_are_its_side_and_any_other_actor_a_side_of_its_own() -> None:
    sides = Sides()

    assert sides.of("Military Forces of Syria (2000-)") == "Syria"
    assert sides.of("Police Forces of Iraq (2014-)") == "Iraq"
    assert sides.of("Military Forces of the United States (2017-)") == "United States"
    assert sides.of("Government of Syria") == "Syria"
    assert sides.of("Islamic State (Syria)") == "Islamic State (Syria)"


def test_a_sides_file_overrides_the_rule(tmp_path: Path) -> None:
    path = tmp_path / "sides.csv"
    path.write_text("actor,side\nIslamic State (Syria),ISIS\nNDF,Syria\n", "utf-8")

    sides = Sides.given(path)

    assert sides.of("Islamic State (Syria)") == "ISIS"
    assert sides.of("Military Forces of Syria (2000-)") == "Syria"


def test_outlets_are_graded_f6_unless_a_grades_file_or_option_says_otherwise(
    tmp_path: Path,
) -> None:
    path = tmp_path / "grades.csv"
    path.write_text("outlet,grade\nReuters,B2\n*,E5\n", "utf-8")

    assert Grades().of("SANA") == ("F", "6")
    graded = Grades.given({**dict(pairs(path, "grades")), "SANA": "D4"})
    assert [graded.of(o) for o in ("Reuters", "reuters", "SANA", "AFP")] == [
        ("B", "2"), ("B", "2"), ("D", "4"), ("E", "5"),
    ]  # fmt: skip


def test_a_row_maps_to_a_record_with_every_field_kept() -> None:
    row = acled_row("SYR1", assoc_actor_2="Jaysh Khalid; Local militia", tags="local")

    record = record_of(row, Acled(grades=Grades(by_outlet={"reuters": "B2"})))

    assert isinstance(record, dict)
    assert parse_record(record).canonical() == record
    assert record["id"] == "acled/SYR1"
    assert record["operation"] == "acled-syria-deir-ez-zor-2017"
    assert record["occurred"] == "2017-11-03"
    assert record["place"] == {
        "name": "Abu Kamal", "lat": 34.453, "lon": 40.918, "kind": "town",
        "precision": "exact", "within": "Deir ez Zor, Syria",
    }  # fmt: skip
    assert record["actors"] == [
        {"force": "Military Forces of Syria (2000-)", "side": "Syria", "role": "party"},
        {"force": "Islamic State (Syria)", "side": "Islamic State (Syria)", "role": "party"},
        {"force": "Jaysh Khalid", "side": "Islamic State (Syria)", "role": "party"},
        {"force": "Local militia", "side": "Islamic State (Syria)", "role": "party"},
    ]
    assert record["sources"] == [
        {"outlet": "SANA", "reliability": "F", "credibility": "6"},
        {"outlet": "Reuters", "reliability": "B", "credibility": "2"},
    ]
    assert record["fatalities"] == 5
    assert record["notes"].startswith('On 3 November, "heavy" clashes')
    assert record["dataset"] == {
        "name": "ACLED", "id": "SYR1", "event_type": "Battles", "sub_event_type": "Armed clash",
        "disorder_type": "Political violence", "interaction": "12", "timestamp": 1510000000,
        "source_scale": "National-International", "tags": "local", "time_precision": 1,
        "geo_precision": 1,
    }  # fmt: skip


def test_one_operation_for_every_row_when_asked() -> None:
    record = record_of(acled_row("SYR1"), Acled(operation="abu-kamal-2017"))

    assert isinstance(record, dict)
    assert record["operation"] == "abu-kamal-2017"


@pytest.mark.parametrize(("sub_event", "kind"), sorted(acled_codes.SUB_EVENTS.items()))
def test_every_sub_event_type_maps_to_a_type_of_the_vocabulary(
    sub_event: str, kind: tuple[str, str, str | None]
) -> None:
    event_type, our_type, _ = kind
    row = acled_row("X1", event_type=event_type.upper(), sub_event_type=sub_event.lower())

    record = record_of(row)

    assert isinstance(record, dict), record
    assert parse_record(record).type == our_type


def test_there_are_twenty_five_sub_event_types_in_six_event_types() -> None:
    assert len(acled_codes.SUB_EVENTS) == 25
    assert len({event_type for event_type, _, _ in acled_codes.SUB_EVENTS.values()}) == 6


def test_the_readme_s_mapping_table_has_a_row_for_every_sub_event_type_as_mapped() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    rows = dict(re.findall(r"^\| [^|]+ \| ([^|]+?) \| `(\w+)`", readme, re.MULTILINE))

    assert {sub: t for sub, t in rows.items() if sub in acled_codes.SUB_EVENTS} == {
        sub: our_type for sub, (_, our_type, _) in acled_codes.SUB_EVENTS.items()
    }


def test_government_regains_territory_gives_the_place_to_the_state_s_forces() -> None:
    row = acled_row(
        "X1", sub_event_type="Government regains territory", actor1="Islamic State (Syria)",
        inter1="2", actor2="Military Forces of Syria (2000-)", inter2="1",
    )  # fmt: skip

    record = record_of(row)

    assert isinstance(record, dict)
    assert record["type"] == "place_captured"
    assert [(a["side"], a["role"]) for a in record["actors"]] == [
        ("Islamic State (Syria)", "defender"), ("Syria", "attacker"),
    ]  # fmt: skip


def test_non_state_actor_overtakes_territory_gives_it_to_the_one_non_state_actor() -> None:
    row = acled_row("X1", sub_event_type="Non-state actor overtakes territory")

    record = record_of(row)

    assert isinstance(record, dict)
    assert [(a["side"], a["role"]) for a in record["actors"]] == [
        ("Syria", "defender"), ("Islamic State (Syria)", "attacker"),
    ]  # fmt: skip


def test_who_took_a_place_is_not_invented_where_the_row_does_not_say() -> None:
    two_rebels = acled_row(
        "X1", sub_event_type="Non-state actor overtakes territory", actor1="Group A",
        inter1="2", actor2="Group B", inter2="3",
    )  # fmt: skip
    handed_between_two = acled_row(
        "X2", event_type="Strategic developments",
        sub_event_type="Non-violent transfer of territory",
    )  # fmt: skip

    for row in (two_rebels, handed_between_two):
        record = record_of(row)
        assert isinstance(record, dict)
        assert {actor["role"] for actor in record["actors"]} == {"party"}


def test_a_place_handed_over_to_one_actor_is_that_actor_s() -> None:
    row = acled_row(
        "X1", event_type="Strategic developments",
        sub_event_type="Non-violent transfer of territory", actor2="", inter2="",
    )  # fmt: skip

    record = record_of(row)

    assert isinstance(record, dict)
    assert record["type"] == "place_handed_over"
    assert record["actors"] == [
        {"force": "Military Forces of Syria (2000-)", "side": "Syria", "role": "attacker"}
    ]


@pytest.mark.parametrize(
    ("values", "column", "words"),
    [
        ({"event_date": "2017-13-01"}, "event_date", "is not a date"),
        ({"latitude": "91"}, "latitude", "between -90 and 90"),
        ({"longitude": "east"}, "longitude", "is not a number"),
        ({"sub_event_type": "Skirmish"}, "sub_event_type", "unknown sub-event type"),
        ({"event_type": "Riots"}, "event_type", "sub-event type of 'Battles'"),
        ({"inter1": "Aliens"}, "inter1", "is not an inter code"),
        ({"time_precision": "4"}, "time_precision", "between 1 and 3"),
        ({"fatalities": "-2"}, "fatalities", "between 0"),
        ({"actor1": ""}, "actor1", "required"),
    ],
)
def test_a_bad_row_is_refused_by_column(values: dict[str, str], column: str, words: str) -> None:
    problems = record_of(acled_row("X1", **values))

    assert isinstance(problems, list)
    assert any(c == column and words in m for c, m in problems), problems


def test_an_error_never_repeats_more_than_two_hundred_characters_of_a_value() -> None:
    problems = record_of(acled_row("X1", event_date="9" * 5000))

    assert isinstance(problems, list)
    assert len(problems[0][1]) < 300
    assert len(shown("x" * 5000)) == 203
