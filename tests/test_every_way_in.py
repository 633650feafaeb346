"""Every way into the store (record, a JSON Lines import, one record at a time or all at
once, an ACLED export, a UCDP GED file) meets the same rules through the same objects: one
set of tests (the `every_way` fixture) holds them all to the rules a dataset's row can say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.datasets import ABU_KAMAL
from tests.ways import Way
from timeline.application import Timeline
from timeline.errors import InvalidRecord
from timeline.gazetteer import Gazetteer

SOURCE = {"outlet": "SANA", "reliability": "F", "credibility": "6"}
PARTIES = [
    {"force": "Military Forces of Syria (2000-)", "side": "Syria", "role": "party"},
    {"force": "Islamic State (Syria)", "side": "Islamic State (Syria)", "role": "party"},
]


def clash(event_id: str, name: str, lat: float, lon: float, **keys: Any) -> dict[str, Any]:
    """A clash at a town given in full, as an analyst or a dataset's row can say it."""
    place = {"name": name, "lat": lat, "lon": lon, "kind": "town", "precision": "exact",
             "within": "Deir ez Zor, Syria", **keys.pop("place", {})}  # fmt: skip
    return {
        "id": event_id, "type": "forces_clashed", "operation": "acled-syria-deir-ez-zor-2017",
        "occurred": "2017-11-03", "place": place, "actors": PARTIES, "sources": [SOURCE],
        **keys,
    }  # fmt: skip


def gazetteer(app: Timeline) -> Gazetteer:
    found: Gazetteer = app.gazetteer()
    return found


def test_a_known_town_named_in_arabic_at_its_own_coordinates_is_that_town(
    every_way: Way,
) -> None:
    every_way.given(clash("x1", "Abu Kamal", *ABU_KAMAL))

    assert every_way.accepts(clash("x2", "البوكمال", ABU_KAMAL[0] + 0.0002, ABU_KAMAL[1]))

    places = gazetteer(every_way.app)
    assert list(places.places) == ["Abu Kamal"]
    assert places.resolve("البوكمال").name == "Abu Kamal"


def test_a_new_name_a_kilometre_away_is_another_town(every_way: Way) -> None:
    every_way.given(clash("x1", "Abu Kamal", *ABU_KAMAL))

    assert every_way.accepts(clash("x2", "Hamdan", ABU_KAMAL[0] + 0.009, ABU_KAMAL[1]))

    assert sorted(gazetteer(every_way.app).places) == ["Abu Kamal", "Hamdan"]


def test_a_name_a_far_town_has_is_qualified_by_the_area_the_mention_gives(
    every_way: Way,
) -> None:
    every_way.given(clash("x1", "Hajin", 34.6897, 40.8311))
    aleppo = {"within": "Aleppo, Syria"}

    assert every_way.accepts(clash("x2", "Hajin", 36.4012, 37.4977, place=aleppo))

    assert sorted(gazetteer(every_way.app).places) == ["Hajin", "Hajin (Aleppo, Syria)"]
    (record,) = [r for _, r in every_way.stored() if r["id"] == every_way.event_id({"id": "x2"})]
    assert record["place"]["name"] == "Hajin (Aleppo, Syria)"


def test_the_same_event_again_is_no_new_event(every_way: Way) -> None:
    every_way.given(clash("x1", "Abu Kamal", *ABU_KAMAL))

    assert not every_way.accepts(clash("x1", "Abu Kamal", *ABU_KAMAL))

    assert len(every_way.stored()) == 1


def test_coordinates_out_of_range_are_refused_and_nothing_is_stored(every_way: Way) -> None:
    refusal = every_way.refuses(clash("x1", "Abu Kamal", 134.45, 40.92))

    assert refusal.error is InvalidRecord
    assert refusal.field == every_way.field("place.lat")
    assert "90" in refusal.message
    assert every_way.stored() == []


def test_a_date_that_is_no_day_is_refused_and_nothing_is_stored(every_way: Way) -> None:
    refusal = every_way.refuses(clash("x1", "Abu Kamal", *ABU_KAMAL, occurred="2017-02-30"))

    assert refusal.error is InvalidRecord
    assert refusal.field == every_way.field("occurred")
    assert every_way.stored() == []


def test_the_benchmark_s_acled_file_imports_whole(app: Timeline, tmp_path: Path) -> None:
    from benchmarks.generate import write_acled
    from timeline.readers.acled import Acled

    path = write_acled(tmp_path / "acled.csv", 1_000, seed=3)

    result = app.import_file(path, reader=Acled())

    assert (result.new, result.already) == (1_000, 0)
