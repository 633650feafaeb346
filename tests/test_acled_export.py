"""`timeline export --format acled`: ACLED's 31 columns, read back as the same events."""

from __future__ import annotations

import io
from contextlib import closing
from pathlib import Path
from typing import Any

import pandas
import pytest
from click.testing import CliRunner

from tests.conftest import AL_QAIM
from tests.datasets import OLD_LAYOUT, acled_row, write_acled
from tests.mess import ARABIC, OPERATION, RAWA, messy_store
from tests.test_dataset_import import abu_kamal_rows, newer
from timeline.api import OpsTimeline
from timeline.cli import main
from timeline.errors import InvalidInput
from timeline.readers.acled_codes import CURRENT
from timeline.readings import current

MESSY_NOTES = 'Shelled, "again", near\nthe silos, said "Ahmad"; 3 killed, 1,200 fled.'


def messy_rows() -> list[dict[str, Any]]:
    """Abu Kamal's rows, with a week's and a month's date, a capture by a rebel group from the
    state, a place in Arabic with a note of commas, quotes, semicolons and a line break, a
    protest, no fatalities said, actors associated on both sides, and territory regained
    between two forces of one state (which says no one took it)."""
    return [
        *abu_kamal_rows(),
        acled_row("SYR5", time_precision="2", event_date="2017-11-12", location="الميادين",
                  latitude="35.0167", longitude="40.45", notes=MESSY_NOTES, fatalities="",
                  event_type="Explosions/Remote violence",
                  sub_event_type="Shelling/artillery/missile attack", geo_precision="2"),
        acled_row("SYR6", time_precision="3", event_date="2017-11-20", location="Hajin",
                  latitude="34.7", longitude="40.833",
                  sub_event_type="Non-state actor overtakes territory",
                  actor1="Islamic State (Syria)", inter1="2",
                  actor2="Military Forces of Syria (2000-)", inter2="1",
                  assoc_actor_2="Militia (Pro-Government); NDF", geo_precision="3",
                  tags="local administrators"),
        acled_row("SYR7", event_type="Protests", sub_event_type="Peaceful protest",
                  actor1="Protesters (Syria)", inter1="6", actor2="", inter2="", interaction="60",
                  assoc_actor_1="Teachers (Syria)", disorder_type="Demonstrations",
                  source="Enab Baladi", fatalities="0", civilian_targeting=""),
        acled_row("SYR8", sub_event_type="Government regains territory", location="Hajin",
                  latitude="34.7", longitude="40.833", actor2="Police Forces of Syria (2000-)",
                  inter2="1", interaction="11"),  # two of one side: neither is the taker
    ]  # fmt: skip


@pytest.fixture
def imported(tmp_path: Path) -> OpsTimeline:
    """A store of two ACLED files (both layouts), then a newer week: one row revised, one
    deleted."""
    ops = OpsTimeline(str(tmp_path / "imported.db"))
    ops.import_file(write_acled(tmp_path / "week-1.csv", messy_rows()), form="acled")
    old = tmp_path / "old.csv"
    old.write_text(OLD_LAYOUT, "utf-8", newline="")
    ops.import_file(old, form="acled")
    deleted = tmp_path / "deleted.csv"
    deleted.write_text("event_id_cnty,deleted_timestamp\nSYR2,1510600000\n")
    ops.import_file(write_acled(tmp_path / "week-2.csv", newer(messy_rows())), form="acled",
                    deleted=deleted)  # fmt: skip
    return ops


def readings(ops: OpsTimeline) -> dict[str, dict[str, Any]]:
    """Each event as it reads now (retracted ones left out), by id."""
    return current(event.record.canonical() for event in ops.log())


RECORDING = ("status", "recorded", "position", "corrected_by", "corrected", "retracted_by")


def events_model(ops: OpsTimeline) -> list[dict[str, Any]]:
    """The events read model, every column but those saying how the events were recorded."""
    out = io.StringIO()
    ops.export("csv", out)
    frame = pandas.read_csv(io.StringIO(out.getvalue()), dtype=str, keep_default_na=False)
    rows: list[dict[str, Any]] = frame.drop(columns=list(RECORDING)).to_dict("records")
    return rows


def test_acled_events_exported_and_imported_into_a_fresh_store_read_the_same(
    imported: OpsTimeline, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"

    done = imported.export("acled", path)

    assert (done.rows, done.left_out) == (9, 0)  # 10 rows, one deleted
    with closing(OpsTimeline(str(tmp_path / "fresh.db"))) as fresh:
        result = fresh.import_file(path, form="acled")
        assert (result.new, result.corrected) == (9, 0)
        assert readings(fresh) == readings(imported)
        assert events_model(fresh) == events_model(imported)
    assert "acled/SYR2" not in readings(imported)  # deleted: not exported
    assert readings(imported)["acled/SYR3"]["fatalities"] == 9  # the revised toll


def test_the_same_export_imported_again_into_the_first_store_adds_nothing(
    imported: OpsTimeline, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    imported.export("acled", path)

    result = imported.import_file(path, form="acled")

    assert (result.new, result.already, result.corrected) == (0, 9, 0)


def test_pandas_reads_the_export_with_acled_s_columns_in_order_and_their_types(
    imported: OpsTimeline, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    imported.export("acled", path)

    frame = pandas.read_csv(path, encoding="utf-8", parse_dates=["event_date"])

    assert list(frame.columns) == list(CURRENT)
    assert len(frame) == 9
    for column in ("year", "time_precision", "geo_precision", "timestamp"):
        assert frame[column].dtype == "int64", column
    for column in ("latitude", "longitude", "fatalities"):  # SYR5 says no toll: NaN
        assert frame[column].dtype == "float64", column
    assert str(frame["event_date"].dtype).startswith("datetime64")
    by_id = frame.set_index("event_id_cnty")
    week, month = by_id.loc["SYR5"], by_id.loc["SYR6"]
    assert (str(week["event_date"].date()), week["time_precision"]) == ("2017-11-12", 2)
    assert (str(month["event_date"].date()), month["time_precision"]) == ("2017-11-15", 3)
    assert week["notes"] == MESSY_NOTES
    assert week["location"] == "الميادين"
    assert pandas.isna(week["fatalities"])
    assert by_id.loc["SYR1", "source"] == "SANA; Reuters"
    hajin = by_id.loc["SYR6"]
    assert (hajin["actor2"], hajin["assoc_actor_2"]) == (
        "Military Forces of Syria (2000-)", "Militia (Pro-Government); NDF",
    )  # fmt: skip
    assert (hajin["inter1"], hajin["inter2"], hajin["geo_precision"]) == (2, 1, 3)
    assert (hajin["country"], hajin["admin1"]) == ("Syria", "Deir ez Zor")


def test_a_capture_keeps_who_took_the_place_through_the_round_trip(
    imported: OpsTimeline, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    imported.export("acled", path)
    with closing(OpsTimeline(str(tmp_path / "fresh.db"))) as fresh:
        fresh.import_file(path, form="acled")

        regained, hajin = fresh.query(place="Hajin", limit=None)  # 3 Nov, then November
        assert (hajin["type"], hajin["attackers"], hajin["defenders"]) == (
            "place_captured", ["Islamic State (Syria)"], ["Syria"],
        )  # fmt: skip
        assert fresh.control("Hajin", on="2017-11-30")[0]["side"] == "Islamic State (Syria)"
        assert (regained["type"], regained["parties"]) == ("place_captured", ["Syria"])
        assert regained["forces"] == [
            "Military Forces of Syria (2000-)", "Police Forces of Syria (2000-)",
        ]  # fmt: skip


def test_an_event_s_own_events_export_as_acled_rows_and_what_acled_has_no_row_for_is_counted(
    tmp_path: Path,
) -> None:
    ops = messy_store(tmp_path)
    result = CliRunner().invoke(main, ["--db", ops.db, "export", "--format", "acled",
                                       "--state", "Iraq"])  # fmt: skip

    assert result.exit_code == 0, result.output
    frame = pandas.read_csv(io.StringIO(result.stdout)).set_index("event_id_cnty")
    assert f"{OPERATION}/gaza-entered" not in frame.index  # retracted
    jamiya = frame.loc[f"{OPERATION}/jamiya-liberated"]  # corrected: as it reads now
    assert (jamiya["event_date"], jamiya["time_precision"]) == ("2017-11-05", 2)
    assert (jamiya["sub_event_type"], jamiya["actor1"], jamiya["inter1"]) == (
        "Government regains territory", "Iraqi Army", 1,
    )  # fmt: skip
    assert jamiya["assoc_actor_1"] == "Popular Mobilization Units"
    assert jamiya["source"] == "Rudaw, Erbil"
    clash = frame.loc["IRQ9"]  # a dataset's clash: its own id
    assert (clash["sub_event_type"], clash["fatalities"], clash["geo_precision"]) == (
        "Armed clash", 4, 2,
    )  # fmt: skip
    assert frame.loc[f"{RAWA}/rawa-entered", "location"] == "Rawa"  # named by its alias
    assert frame.loc[f"{RAWA}/rawa-entered", "time_precision"] == 3  # an open interval
    assert result.stderr == (
        f"wrote standard output: {len(frame)} events; 4 left out, ACLED having no row for "
        "them: air_support_provided 1, forces_committed 1, operation_launched 2\n"
    )
    assert ARABIC not in result.stdout  # an alias, not the name the event gives


def test_the_al_qaim_fixture_s_captures_and_fighting_come_back_from_an_acled_file(
    tmp_path: Path,
) -> None:
    with closing(OpsTimeline(str(tmp_path / "al-qaim.db"))) as ops:
        ops.import_file(AL_QAIM)
        path = tmp_path / "al-qaim.csv"
        done = ops.export("acled", path, states=["Iraq"])
        sides = {"Iraqi Army": "Iraq", "Popular Mobilization Units": "Iraq",
                 "Islamic State": "ISIS"}  # fmt: skip
        before = {e["id"].split("/")[1]: e for e in ops.query(limit=None)}

    with closing(OpsTimeline(str(tmp_path / "fresh.db"))) as fresh:
        fresh.import_file(path, form="acled", operation="al-qaim-2017", sides=sides)
        after = {e["id"].split("/", 2)[2]: e for e in fresh.query(limit=None)}

    assert (done.rows, done.left_out) == (5, 3)
    assert {key: after[key]["type"] for key in after} == {
        "crossing-captured": "place_captured", "town-entered": "forces_clashed",
        "train-station-liberated": "place_captured", "karablah-liberated": "place_captured",
        "gaza-entered": "forces_clashed",
    }  # fmt: skip
    for key, event in after.items():
        was = before[key]
        same = ("occurred", "place", "lat", "lon", "outlets", "notes", "operation")
        assert {k: event[k] for k in same} == {k: was[k] for k in same}, key
        assert set(event["forces"]) == set(was["forces"])
        if event["type"] == "place_captured":
            assert (event["attackers"], event["defenders"]) == (["Iraq"], ["ISIS"])


def test_retracted_events_and_sources_known_by_a_day_are_refused_for_acled(
    imported: OpsTimeline, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match="retracted event is not exported"):
        imported.export("acled", tmp_path / "x.csv", include_retracted=True)
    with pytest.raises(InvalidInput, match="cuts sources out"):
        imported.export("acled", tmp_path / "x.csv", known_by="2017-11-05")
    assert not (tmp_path / "x.csv").exists()
