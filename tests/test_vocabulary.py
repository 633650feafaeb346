"""Each event type is accepted in a valid example and refused, with a message, per broken rule
(on every way into the store: the `way` fixture)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.ways import Way
from timeline.errors import InvalidRecord
from timeline.events import TYPES
from timeline.validation import parse_record

SOURCE = {"outlet": "South Front", "reliability": "D", "credibility": "3"}
PLACE = {"name": "al-Qaim", "lat": 34.37, "lon": 41.09, "kind": "town"}
ATTACKER = {"force": "Iraqi Army", "side": "Iraq", "role": "attacker"}
SUPPORT = {"force": "US-led coalition", "side": "Coalition", "role": "support"}
PARTY = {"force": "Military Forces of Iraq (2014-)", "side": "Iraq", "role": "party"}
TRIPLE = {"best": 40000, "low": 35000, "high": 45000}


def base(event_type: str, **keys: Any) -> dict[str, Any]:
    return {
        "id": f"op/{event_type}",
        "type": event_type,
        "operation": "op",
        "sources": [SOURCE],
        **keys,
    }


VALID = {
    "operation_launched": base("operation_launched", occurred="2017-11-03"),
    "forces_committed": base(
        "forces_committed", occurred="2017-11", actors=[ATTACKER], strength=TRIPLE
    ),
    "air_support_provided": base("air_support_provided", occurred="2017-11-03~", actors=[SUPPORT]),
    "crossing_captured": base(
        "crossing_captured", occurred="2017-11-03", place=PLACE, actors=[ATTACKER]
    ),
    "place_entered": base(
        "place_entered", occurred="2017-11-03", place="al-Qaim", actors=[ATTACKER]
    ),
    "place_captured": base(
        "place_captured",
        occurred="2017-11-03",
        place=PLACE,
        actors=[ATTACKER],
        strength={"best": 100},
    ),
    "place_liberated": base(
        "place_liberated", occurred="2017-11-03/2017-11-05", place=PLACE, actors=[ATTACKER]
    ),
    "place_lost": base("place_lost", occurred="2017-11-03?", place=PLACE, actors=[ATTACKER]),
    "casualties_reported": base(
        "casualties_reported",
        occurred="2017-11-03",
        casualties={"best": 12, "low": 10, "high": 30},
        actors=[ATTACKER],
    ),
    "operation_concluded": base("operation_concluded", occurred="2017-11-17"),
    "forces_clashed": base(
        "forces_clashed", occurred="2017-11-03", place=PLACE, actors=[PARTY], fatalities=3
    ),
    "place_struck": base(
        "place_struck", occurred="2017-11-03", place=PLACE, actors=[PARTY],
        form="air or drone strike", casualties={"best": 4, "low": 2, "high": 9},
    ),
    "civilians_attacked": base(
        "civilians_attacked", occurred="2017-11", place="al-Qaim", actors=[PARTY], form="attack"
    ),
    "place_handed_over": base(
        "place_handed_over", occurred="2017-11-03", place=PLACE, actors=[ATTACKER]
    ),
    "protest_held": base(
        "protest_held", occurred="2017-11-03", place=PLACE, actors=[PARTY], form="peaceful"
    ),
    "riot_broke_out": base(
        "riot_broke_out", occurred="2017-11-03", place=PLACE, actors=[PARTY], form="mob violence"
    ),
    "development_reported": base(
        "development_reported", occurred="2017-11-03", actors=[PARTY], form="agreement",
        dataset={"name": "ACLED", "id": "IRQ1", "timestamp": 1700000000, "tags": "x=y"},
    ),
    "places_identified": base("places_identified", place="al-Qaim", same_as="القائم"),
    "report_corrected": base(
        "report_corrected", corrects="op/x", changes={"occurred": "2017-11-04"}
    ),
    "report_retracted": base("report_retracted", retracts="op/x"),
    "sources_added": base(
        "sources_added", corroborates="op/x",
        sources=[{"outlet": "Reuters", "reliability": "B", "credibility": "2",
                  "url": "https://www.reuters.com/article/x", "published": "2017-11-04",
                  "archive_url": "https://web.archive.org/web/2017/https://www.reuters.com/x",
                  "sha256": "ab" * 32, "retrieved": "2017-11-04T09:30:00Z"}],
    ),
    "source_downgraded": base(
        "source_downgraded", outlet="South Front", reliability="E",
        reason="its capture claims were contradicted by three later reports",
    ),
}

# (event type, keys to change (None removes the key), field named, words in the message)
BROKEN = [
    ("operation_launched", {"occurred": None}, "occurred", "required by operation_launched"),
    ("operation_launched", {"occurred": "2017-02-29"}, "occurred", "not a real calendar date"),
    ("operation_launched", {"occurred": "2017-11-05/2017-11-01"}, "occurred", "before"),
    ("operation_launched", {"sources": []}, "sources", "at least 1"),
    ("operation_launched", {"sources": None}, "sources", "required"),
    ("operation_launched", {"operation": "Al Qaim 2017"}, "operation", "must be a slug"),
    ("operation_launched", {"id": ""}, "id", "at least 1 character"),
    ("operation_launched", {"id": " padded"}, "id", "white space"),
    ("operation_launched", {"colour": "red"}, "colour", "not a key of operation_launched"),
    ("operation_launched", {"corrects": "op/x"}, "corrects", "not a key"),
    ("operation_launched", {"type": "operation_started"}, "record", "unknown type"),
    ("forces_committed", {"strength": None}, "strength", "required by forces_committed"),
    ("forces_committed", {"actors": []}, "actors", "at least 1"),
    (
        "forces_committed",
        {"strength": {"best": 10, "low": 20, "high": 30}},
        "strength",
        "low (20) must not exceed best (10)",
    ),
    (
        "forces_committed",
        {"strength": {"best": 10, "low": 5, "high": 8}},
        "strength",
        "high (8) must not be below best (10)",
    ),
    ("forces_committed", {"strength": {"best": -1}}, "strength.best", "greater than or equal"),
    (
        "forces_committed",
        {"actors": [{**ATTACKER, "role": "ally"}]},
        "actors.0.role",
        "'attacker', 'defender', 'support' or 'party'",
    ),
    ("air_support_provided", {"actors": [ATTACKER]}, "actors", "role 'support'"),
    ("crossing_captured", {"place": None}, "place", "required by crossing_captured"),
    ("crossing_captured", {"place": {**PLACE, "lat": 91}}, "place.lat", "less than or equal"),
    ("crossing_captured", {"place": {**PLACE, "lon": -181}}, "place.lon", "greater than"),
    ("crossing_captured", {"place": {**PLACE, "kind": "city"}}, "place.kind", "'town'"),
    ("crossing_captured", {"strength": {"best": "many"}}, "strength.best", "integer"),
    ("place_entered", {"actors": None}, "actors", "required by place_entered"),
    ("place_entered", {"place": {**PLACE, "name": "al-\nQaim"}}, "place.name", "one line"),
    ("place_captured", {"place": {**PLACE, "elevation": 3}}, "place.elevation", "not a key"),
    ("place_captured", {"place": {**PLACE, "precision": "rough"}}, "place.precision", "'exact'"),
    (
        "place_liberated",
        {"sources": [{**SOURCE, "reliability": "G"}]},
        "sources.0.reliability",
        "'A', 'B', 'C', 'D', 'E' or 'F'",
    ),
    (
        "place_lost",
        {"sources": [{**SOURCE, "credibility": "7"}]},
        "sources.0.credibility",
        "'1', '2', '3', '4', '5' or '6'",
    ),
    ("place_lost", {"sources": [{**SOURCE, "url": "ftp://x"}]}, "sources.0.url", "http"),
    ("casualties_reported", {"casualties": None}, "casualties", "required"),
    ("casualties_reported", {"actors": None}, "actors", "required"),
    ("operation_concluded", {"strength": TRIPLE}, "strength", "not a key of operation_concluded"),
    ("forces_clashed", {"place": None}, "place", "required by forces_clashed"),
    ("forces_clashed", {"fatalities": -1}, "fatalities", "greater than or equal to 0"),
    ("place_struck", {"form": None}, "form", "required by place_struck"),
    ("place_struck", {"form": "drone"}, "form", "'air or drone strike'"),
    ("civilians_attacked", {"actors": []}, "actors", "at least 1"),
    ("place_handed_over", {"place": None}, "place", "required by place_handed_over"),
    ("protest_held", {"form": "angry"}, "form", "'peaceful'"),
    ("riot_broke_out", {"strength": TRIPLE}, "strength", "not a key of riot_broke_out"),
    (
        "development_reported",
        {"dataset": {"name": "GDELT", "id": "1"}},
        "dataset.name",
        "'ACLED' or 'UCDP GED'",
    ),
    (
        "development_reported",
        {"dataset": {"name": "ACLED", "id": "1", "geo_precision": 4}},
        "dataset.geo_precision",
        "less than or equal to 3",
    ),
    ("places_identified", {"same_as": None}, "same_as", "required by places_identified"),
    ("places_identified", {"occurred": "2017-11-03"}, "occurred", "not a key"),
    ("report_corrected", {"corrects": None}, "corrects", "required by report_corrected"),
    ("report_corrected", {"changes": {}}, "changes", "at least 1"),
    ("report_corrected", {"changes": {"id": "op/y"}}, "changes", "cannot change id"),
    ("report_corrected", {"occurred": "2017-11-03"}, "occurred", "not a key of report_corrected"),
    ("report_corrected", {"place": PLACE}, "place", "not a key of report_corrected"),
    ("report_retracted", {"retracts": None}, "retracts", "required by report_retracted"),
    ("report_retracted", {"changes": {"notes": "x"}}, "changes", "not a key"),
    ("sources_added", {"corroborates": None}, "corroborates", "required by sources_added"),
    ("sources_added", {"sources": []}, "sources", "at least 1"),
    ("sources_added", {"occurred": "2017-11-03"}, "occurred", "not a key of sources_added"),
    (
        "sources_added",
        {"sources": [{**SOURCE, "sha256": "abc"}]},
        "sources.0.sha256",
        "64 hexadecimal digits",
    ),
    (
        "sources_added",
        {"sources": [{**SOURCE, "retrieved": "2017-11-04T09:30"}]},
        "sources.0.retrieved",
        "needs a time zone",
    ),
    (
        "sources_added",
        {"sources": [{**SOURCE, "retrieved": "yesterday"}]},
        "sources.0.retrieved",
        "ISO 8601",
    ),
    ("sources_added", {"sources": [{**SOURCE, "archive_url": "x"}]}, "sources.0.archive_url",
     "http"),
    ("source_downgraded", {"outlet": None}, "record", "names no source"),
    ("source_downgraded", {"reliability": "G"}, "reliability", "'A', 'B'"),
    ("source_downgraded", {"reliability": None}, "reliability", "required"),
    ("source_downgraded", {"reason": None}, "reason", "required by source_downgraded"),
    ("source_downgraded", {"reason": ""}, "reason", "at least 1"),
    ("source_downgraded", {"url": "ftp://x"}, "url", "http"),
]


def with_keys(record: dict[str, Any], keys: dict[str, Any]) -> dict[str, Any]:
    changed = {**record, **keys}
    return {key: value for key, value in changed.items() if value is not None}


def test_every_type_of_the_vocabulary_has_a_valid_example() -> None:
    assert set(VALID) == set(TYPES)


@pytest.mark.parametrize("event_type", sorted(VALID))
def test_a_valid_example_of_each_type_is_accepted_and_kept_as_written(event_type: str) -> None:
    record = parse_record(VALID[event_type])

    assert record.type == event_type
    assert record.canonical() == VALID[event_type]


@pytest.mark.parametrize(("event_type", "keys", "field", "words"), BROKEN)
def test_a_record_breaking_a_rule_is_refused_with_the_field_and_why(
    way: Way, event_type: str, keys: dict[str, Any], field: str, words: str
) -> None:
    refusal = way.refuses(with_keys(VALID[event_type], keys))

    assert refusal.error is InvalidRecord
    assert (field, words) in [(f, words) for f, m in refusal.problems if words in m], (
        refusal.problems
    )


def test_every_type_is_refused_for_at_least_one_broken_rule() -> None:
    assert {event_type for event_type, *_ in BROKEN} == set(TYPES)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_coordinates_must_be_finite(value: float) -> None:
    record = with_keys(VALID["place_captured"], {"place": {**PLACE, "lat": value}})

    with pytest.raises(InvalidRecord) as refused:
        parse_record(record)

    assert refused.value.problems[0][0] == "place.lat"


def test_a_record_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidRecord, match="must be a JSON object"):
        parse_record("[1, 2]")


def test_all_problems_of_a_record_are_named_at_once() -> None:
    record = with_keys(VALID["place_captured"], {"place": None, "actors": None})

    with pytest.raises(InvalidRecord) as refused:
        parse_record(record)

    assert {field for field, _ in refused.value.problems} == {"place", "actors"}


def test_a_grade_is_reliability_then_credibility() -> None:
    record = parse_record(VALID["place_captured"])

    assert record.sources[0].grade == "D3"


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_coordinates_written_as_non_finite_json_numbers_are_refused(value: str) -> None:
    line = json.dumps(with_keys(VALID["place_captured"], {"place": PLACE}))
    line = line.replace('"lat": 34.37', f'"lat": {value}')

    with pytest.raises(InvalidRecord) as refused:
        parse_record(line)

    assert refused.value.problems[0][0] == "place.lat"
    assert "than or equal to" in refused.value.problems[0][1]


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://southfront.org/x", True),
        ("http://a", True),
        ("https://a b", True),  # only the scheme and the first character of the host are checked
        ("https://é", True),
        ("HTTPS://a", False),
        ("ftp://a", False),
        ("https://", False),
        ("https:///a", False),
        ("https:// a", False),
        ("https://\u00a0a", False),
        ("https://\x1ca", False),  # a separator Python's \s knows and the regex crate's does not
        ("https://\x85a", False),
    ],
)
def test_a_source_url_must_start_with_http_or_https_and_a_host(url: str, accepted: bool) -> None:
    record = with_keys(VALID["place_lost"], {"sources": [{**SOURCE, "url": url}]})

    if accepted:
        assert parse_record(record).sources[0].url == url
        return
    with pytest.raises(InvalidRecord) as refused:
        parse_record(record)
    assert refused.value.problems == [("sources.0.url", "must be an http:// or https:// address")]
