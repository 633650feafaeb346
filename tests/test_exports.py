"""`timeline export`: each format opened by a real client of it."""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas
import pytest
from click.testing import CliRunner, Result

from exports.dates import spoken
from tests.browser import render, serving
from tests.conftest import ROOT
from tests.mess import ARABIC, OPERATION, QUOTE, RAWA, messy_store
from timeline.api import OpsTimeline
from timeline.cli import main

TIMELINEJS = ROOT / "tests" / "vendor" / "timelinejs"  # TimelineJS 3.9.11's dist, MPL-2.0


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsTimeline]:
    ops = messy_store(tmp_path_factory.mktemp("mess"))
    yield ops
    ops.close()


@pytest.fixture
def export(store: OpsTimeline, tmp_path: Path) -> Callable[..., Result]:
    """`timeline --db <the messy store> export ARGS`, in this process."""

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["--db", store.db, "export", *args])

    return run


def exported(export: Callable[..., Result], *args: str) -> str:
    result = export(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


# csv


def test_export_csv_is_read_by_pandas_with_every_column_of_the_events_model(
    store: OpsTimeline, export: Callable[..., Result]
) -> None:
    with store.views.connection() as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(events)")]

    frame = pandas.read_csv(io.StringIO(exported(export, "--format", "csv")))

    assert list(frame.columns) == columns
    assert {"quotes", "published_earliest", "published_latest"} <= set(frame.columns)
    assert len(frame) == 11  # the fixture's 8, less the retracted one, and four more
    clash = frame.loc[frame["id"] == f"{RAWA}/rawa-clash"].iloc[0]
    assert json.loads(clash["parties"]) == ["Iraq", "Islamic State (Iraq)"]
    assert (clash["fatalities"], clash["place_precision"], clash["dataset"]) == (4, "near", "ACLED")
    assert f"{OPERATION}/gaza-entered" not in set(frame["id"])


def test_export_csv_keeps_arabic_and_a_quote_with_commas_quotes_and_a_newline_in_one_cell(
    export: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "sources.csv"

    exported(export, "--format", "csv", "--table", "sources", "-o", str(path))

    frame = pandas.read_csv(path, encoding="utf-8")
    assert QUOTE in set(frame["quote"])
    places = pandas.read_csv(io.StringIO(exported(export, "--format", "csv", "--table", "places")))
    assert ARABIC in places.loc[places["name"] == "al-Jamiya", "aliases"].iloc[0]


def test_export_csv_with_bom_starts_with_the_mark_excel_needs_and_pandas_reads_past(
    export: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"

    exported(export, "--format", "csv", "--bom", "-o", str(path))

    assert path.read_bytes().startswith(b"\xef\xbb\xbfid,")
    assert pandas.read_csv(path, encoding="utf-8-sig").columns[0] == "id"
    assert not path.with_name(".events.csv.partial").exists()


@pytest.mark.parametrize(
    ("table", "key", "expected"),
    [
        ("events", "operation", {RAWA}),
        ("sources", "event_id", {f"{RAWA}/launched", f"{RAWA}/rawa-entered", f"{RAWA}/rawa-clash"}),
        ("actors", "event_id", {f"{RAWA}/launched", f"{RAWA}/rawa-entered", f"{RAWA}/rawa-clash"}),
        ("places", "name", {"Rawa"}),
        ("control", "place", {"Rawa"}),
        ("forces", "operation", {RAWA}),
        ("operations", "operation", {RAWA}),
    ],
)
def test_export_csv_of_any_read_model_is_cut_to_the_chosen_operation(
    export: Callable[..., Result], table: str, key: str, expected: set[str]
) -> None:
    text = exported(export, "--format", "csv", "--table", table, "--operation", RAWA)

    assert set(pandas.read_csv(io.StringIO(text))[key]) == expected


def test_export_csv_takes_the_filters_of_query(export: Callable[..., Result]) -> None:
    text = exported(export, "--format", "csv", "--place", "القائم", "--type", "place_entered")

    assert list(pandas.read_csv(io.StringIO(text))["id"]) == [f"{OPERATION}/town-entered"]


def test_export_csv_that_finds_nothing_still_writes_the_header(
    export: Callable[..., Result],
) -> None:
    text = exported(export, "--format", "csv", "--table", "actors", "--text", "nowhere-at-all")

    assert text.splitlines() == ["event_id,n,operation,force,side,role"]


# jsonl


def test_export_jsonl_imports_into_an_equal_store(
    store: OpsTimeline, export: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "all.jsonl"
    exported(export, "--format", "jsonl", "-o", str(path))
    copy = str(tmp_path / "copy.db")

    imported = CliRunner().invoke(main, ["--db", copy, "import", str(path)])

    assert imported.exit_code == 0, imported.output
    logs = [CliRunner().invoke(main, ["--db", db, "log", "--json"]).stdout.splitlines()[:-1]
            for db in (store.db, copy)]  # fmt: skip (the last line, chain heads: each store's)
    assert logs[0] == logs[1]
    assert len(logs[0]) == 14


def test_export_jsonl_of_chosen_events_carries_their_corrections_in_recording_order(
    export: Callable[..., Result],
) -> None:
    text = exported(export, "--format", "jsonl", "--place", ARABIC)

    *records, heads = [json.loads(line) for line in text.splitlines()]
    assert list(heads) == ["chain_heads"]  # of the whole store, which the records come from
    assert [r["id"] for r in records] == [f"{OPERATION}/jamiya-liberated",
                                          f"{OPERATION}/jamiya-corrected"]  # fmt: skip
    assert records[0]["sources"][0]["quote"] == QUOTE  # as stored, not as it reads now


def test_export_jsonl_refuses_known_by_which_would_rewrite_records(
    export: Callable[..., Result],
) -> None:
    result = export("--format", "jsonl", "--known-by", "2017-11-04")

    assert result.exit_code == 1
    assert "jsonl writes records as stored" in result.stderr


# geojson


def test_export_geojson_is_opened_by_geopandas_with_lon_lat_order(
    export: Callable[..., Result], tmp_path: Path
) -> None:
    import geopandas

    path = tmp_path / "events.geojson"
    exported(export, "--format", "geojson", "-o", str(path))

    frame = geopandas.read_file(path)  # GDAL's GeoJSON driver, as QGIS reads it
    crossing = frame.loc[frame["id"] == f"{OPERATION}/crossing-captured"].iloc[0]
    assert (crossing.geometry.x, crossing.geometry.y) == (40.9665, 34.4195)  # lon, lat
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == 11
    clash = frame.loc[frame["id"] == f"{RAWA}/rawa-clash"].iloc[0]
    assert (clash["fatalities"], clash["place_precision"]) == (4, "near")
    assert clash["dataset_id"] == "IRQ9"


def test_export_geojson_follows_rfc_7946_and_keeps_fuzzy_dates_as_text_and_bounds(
    export: Callable[..., Result],
) -> None:
    collection = json.loads(exported(export, "--format", "geojson"))

    assert collection["type"] == "FeatureCollection"
    assert "crs" not in collection  # RFC 7946 4: WGS84 only, no crs member
    for feature in collection["features"]:
        assert set(feature) == {"type", "id", "geometry", "properties"}
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert -180 <= lon <= 180
        assert -90 <= lat <= 90
        assert (lon, lat) == (feature["properties"]["lon"], feature["properties"]["lat"])
    jamiya = next(f for f in collection["features"] if f["id"].endswith("jamiya-liberated"))
    dates = {k: v for k, v in jamiya["properties"].items() if k.startswith("occurred")}
    assert dates == {"occurred": "2017-11-05~", "occurred_earliest": "2017-11-02",
                     "occurred_latest": "2017-11-08", "occurred_mid": "2017-11-05"}  # fmt: skip
    assert jamiya["properties"]["attackers"] == ["Iraq"]  # a list is a JSON array
    assert jamiya["properties"]["quotes"] == [QUOTE]


def test_export_geojson_places_has_one_feature_per_place_with_its_control_periods(
    export: Callable[..., Result], tmp_path: Path
) -> None:
    import geopandas

    path = tmp_path / "places.geojson"
    exported(export, "--format", "geojson", "--places", "-o", str(path))

    features = {f["id"]: f for f in json.loads(path.read_text("utf-8"))["features"]}
    crossing = features["al-Qaim border crossing"]["properties"]
    assert crossing["held_by"] == "Iraq"
    assert [p["side"] for p in crossing["periods"]] == ["Iraq"]
    assert features["al-Qaim"]["properties"]["aliases"][-1] == "القائم"
    assert "Gaza (al-Qaim)" not in features  # its one event is retracted
    assert len(geopandas.read_file(path)) == len(features) == 6


# timelinejs


def test_export_timelinejs_says_each_date_with_its_uncertainty_and_spans_its_days(
    export: Callable[..., Result],
) -> None:
    timeline = json.loads(exported(export, "--format", "timelinejs"))

    slides = {slide["unique_id"]: slide for slide in timeline["events"]}
    fuzzy = slides[f"{OPERATION}/forces-committed"]  # 2017-11-03~
    assert fuzzy["display_date"] == "about 3 Nov 2017"
    assert fuzzy["start_date"] == {"year": "2017", "month": "10", "day": "31"}
    assert fuzzy["end_date"] == {"year": "2017", "month": "11", "day": "6"}
    month = slides[f"{RAWA}/launched"]  # 2017-11
    assert month["display_date"] == "Nov 2017"
    assert (month["start_date"]["day"], month["end_date"]["day"]) == ("1", "30")
    exact = slides[f"{OPERATION}/crossing-captured"]
    assert "end_date" not in exact
    assert exact["display_date"] == "3 Nov 2017"
    opened = slides[f"{RAWA}/rawa-entered"]  # 2017-11-17/..
    assert opened["display_date"] == "from 17 Nov 2017"
    assert "end_date" not in opened
    assert timeline["title"]["text"]["headline"] == f"{OPERATION}, {RAWA}"


def test_export_timelinejs_escapes_event_text_as_html(export: Callable[..., Result]) -> None:
    text = exported(export, "--format", "timelinejs")

    assert "<script>" not in text
    assert "<img" not in text
    assert "&lt;script&gt;window.PWNED = 1&lt;/script&gt;" in text


@pytest.mark.parametrize(
    ("edtf", "said"),
    [("2017-11-03", "3 Nov 2017"), ("2017-11-03~", "about 3 Nov 2017"),
     ("2017-11-03?", "3 Nov 2017, uncertain"), ("2017-11-03%", "about 3 Nov 2017, uncertain"),
     ("2017-11", "Nov 2017"), ("2017~", "about 2017"), ("2017-10-26/2017-11-03",
     "26 Oct 2017 – 3 Nov 2017"), ("../2017-11-03", "until 3 Nov 2017"),
     ("2017-11-01/..", "from 1 Nov 2017"), (None, "undated")],
)  # fmt: skip
def test_a_date_is_said_as_written_with_its_uncertainty(edtf: str | None, said: str) -> None:
    assert spoken(edtf) == said


def test_a_date_beyond_the_common_forms_is_kept_as_written_with_its_days() -> None:
    assert spoken("201X", "2010-01-01", "2019-12-31") == "201X (1 Jan 2010 – 31 Dec 2019)"


PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="css/timeline.css"></head><body>
<div id="timeline" style="width: 1200px; height: 650px"></div>
<script src="js/timeline.js"></script>
<script>
window.timeline = new TL.Timeline("timeline", "timeline.json",
    {script_path: new URL("js/", location.href).href, start_at_slide: START});
</script></body></html>
"""


def test_export_timelinejs_is_rendered_by_timelinejs_own_script_with_no_network(
    export: Callable[..., Result], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(TIMELINEJS, site)
    exported(export, "--format", "timelinejs", "-o", str(site / "timeline.json"))
    (site / "index.html").write_text(PAGE.replace("START", "2"), "utf-8")

    with serving(site) as url:
        dom = render(f"{url}/index.html")

    assert dom.count('class="tl-slide tl-slide-titleslide') == 1
    assert dom.count('class="tl-slide tl-slide-text-only"') == 11  # every event a slide
    markers = re.findall(r'class="tl-timemarker((?: tl-timemarker-[a-z-]+)*)"', dom)
    assert len(markers) == 11  # and a marker on the time axis, a fuzzy date's with its span
    assert sum("with-end" in classes for classes in markers) == 4
    assert "about 3 Nov 2017" in dom
    assert "&lt;script&gt;window.PWNED = 1&lt;/script&gt;" in dom  # shown as text
    assert "<script>window.PWNED" not in dom


# timemap


def test_export_timemap_passes_timemaps_own_validators(export: Callable[..., Result]) -> None:
    domain = json.loads(exported(export, "--format", "timemap"))

    assert set(domain) == {"events", "sources", "associations", "sites"}
    for item in domain["events"]:
        assert_timemap_event(item)
    for key, source in domain["sources"].items():  # validateObject: keyed by id
        assert source["id"] == key
        assert isinstance(source["paths"], list)
        assert all(isinstance(v, str) for k, v in source.items() if k != "paths")
    for association in domain["associations"]:
        assert association["mode"] in ("FILTER", "NARRATIVE")
        assert association["id"]
    ids = {a["id"] for a in domain["associations"]}
    assert all(set(event["associations"]) <= ids for event in domain["events"])
    assert all(set(event["sources"]) <= set(domain["sources"]) for event in domain["events"])
    crossing = next(e for e in domain["events"] if e["id"].endswith("forces-committed"))
    assert (crossing["date"], crossing["time_display"]) == ("11/03/2017", "about 3 Nov 2017")
    assert {site["site"] for site in domain["sites"]} >= {"Rawa", "al-Jamiya"}


EVENT_KEYS = {"id", "description", "date", "time", "time_precision", "location", "latitude",
              "longitude", "type", "category", "category_full", "associations", "sources",
              "comments", "time_display", "shape", "colour"}  # fmt: skip


def assert_timemap_event(item: dict[str, Any]) -> None:
    """timemap's eventSchema.js: known keys only, strings but for the two lists, a
    description and associations required, latitude and longitude together, date or
    latitude; and a date that moment() reads as MM/DD/YYYY."""
    assert set(item) <= EVENT_KEYS
    assert "description" in item
    assert isinstance(item["associations"], list)
    assert all(isinstance(v, str) for k, v in item.items() if k not in ("associations", "sources"))
    assert ("latitude" in item) == ("longitude" in item)
    assert item.get("date") or item.get("latitude")
    month, day, year = item["date"].split("/")
    assert (len(month), len(day), len(year)) == (2, 2, 4)


# mistakes


def test_export_refuses_table_for_a_format_other_than_csv(export: Callable[..., Result]) -> None:
    result = export("--format", "geojson", "--table", "sources")

    assert result.exit_code == 1
    assert "Error: --table: is for csv" in result.stderr


def test_export_of_an_unknown_operation_names_the_nearest_and_writes_no_file(
    export: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "out.csv"

    result = export("--format", "csv", "--operation", "al-qaim", "-o", str(path))

    assert result.exit_code == 1
    assert "unknown operation 'al-qaim'; did you mean 'al-qaim-2017'" in result.stderr
    assert list(tmp_path.iterdir()) == []
