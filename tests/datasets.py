"""Small ACLED and UCDP GED files in their real layouts, written for these tests (no real
rows): the Abu Kamal area in November 2017, spelled as real files spell it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from timeline.readers import acled_codes, ucdp

ABU_KAMAL = (34.4530, 40.9180)
NOTES = 'On 3 November, "heavy" clashes, with artillery,\nreported near the silos; 5 killed.'


def acled_row(event_id: str, **values: Any) -> dict[str, Any]:
    """One row of ACLED's current export; every column, with what a clash in Abu Kamal says."""
    row = {
        "event_id_cnty": event_id, "event_date": "2017-11-03", "year": "2017",
        "time_precision": "1", "disorder_type": "Political violence", "event_type": "Battles",
        "sub_event_type": "Armed clash", "actor1": "Military Forces of Syria (2000-)",
        "assoc_actor_1": "", "inter1": "1", "actor2": "Islamic State (Syria)",
        "assoc_actor_2": "", "inter2": "2", "interaction": "12", "civilian_targeting": "",
        "iso": "760", "region": "Middle East", "country": "Syria", "admin1": "Deir ez Zor",
        "admin2": "Abu Kamal", "admin3": "Abu Kamal", "location": "Abu Kamal",
        "latitude": f"{ABU_KAMAL[0]:.4f}", "longitude": f"{ABU_KAMAL[1]:.4f}",
        "geo_precision": "1", "source": "SANA; Reuters", "source_scale": "National-International",
        "notes": NOTES, "fatalities": "5", "tags": "", "timestamp": "1510000000",
    }  # fmt: skip
    row.update(values)
    return row


def write_acled(path: Path, rows: list[dict[str, Any]], *, quote_all: bool = False) -> Path:
    """ACLED's current layout, quoted only where needed (or throughout)."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=acled_codes.CURRENT, lineterminator="\r\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )  # fmt: skip
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), "utf-8", newline="")
    return path


# The layout before March 2023, as a spreadsheet saves it: every value quoted, upper-case
# names, `3-Nov-17` dates, inter codes written as words.
OLD_LAYOUT = (
    '"DATA_ID","ISO","EVENT_ID_CNTY","EVENT_ID_NO_CNTY","EVENT_DATE","YEAR","TIME_PRECISION",'
    '"EVENT_TYPE","SUB_EVENT_TYPE","ACTOR1","ASSOC_ACTOR_1","INTER1","ACTOR2","ASSOC_ACTOR_2",'
    '"INTER2","INTERACTION","REGION","COUNTRY","ADMIN1","ADMIN2","ADMIN3","LOCATION","LATITUDE",'
    '"LONGITUDE","GEO_PRECISION","SOURCE","SOURCE_SCALE","NOTES","FATALITIES","TIMESTAMP",'
    '"ISO3"\r\n'
    '"9001","368","IRQ2001","2001","3-Nov-17","2017","1","Battles",'
    '"Government regains territory","Military Forces of Iraq (2014-)",'
    '"Popular Mobilization Forces","State forces","Islamic State (Iraq)","","Rebel group",'
    '"12","Middle East","Iraq","Al Anbar","Al-Qaim","Al-Qaim","Al Qaim","34.3686","41.0944",'
    '"1","Iraqi Ministry of Defence; AFP","National-International",'
    '"Iraqi forces said they retook the town, after ""fierce"" fighting.","0","1510100000",'
    '"IRQ"\r\n'
    '"9002","368","IRQ2002","2002","03 November 2017","2017","3","Explosions/Remote violence",'
    '"Air/drone strike","Military Forces of the United States (2017-)","","External/Other forces",'
    '"","","","80","Middle East","Iraq","Al Anbar","Al-Qaim","Al-Qaim","Al Qaim","34.3686",'
    '"41.0944","2","Airwars","International","Coalition strike near the town.","",'
    '"1510100000","IRQ"\r\n'
)


def ucdp_event(event_id: int, **values: Any) -> dict[str, Any]:
    """One GED event, every one of the CSV's 49 columns."""
    event = {
        "id": event_id, "relid": f"SYR-2017-1-{event_id}", "year": 2017, "active_year": 1,
        "code_status": "Clear", "type_of_violence": 1, "conflict_dset_id": 299,
        "conflict_new_id": 299, "conflict_name": "Syria: Government", "dyad_dset_id": 11,
        "dyad_new_id": 11, "dyad_name": "Government of Syria - IS", "side_a_dset_id": 652,
        "side_a_new_id": 652, "side_a": "Government of Syria", "side_b_dset_id": 234,
        "side_b_new_id": 234, "side_b": "IS", "number_of_sources": 2,
        "source_article": 'AFP,2017-11-04,"Syrian army takes Albu Kamal";SOHR,2017-11-04',
        "source_office": "AFP;SOHR", "source_date": "2017-11-04;2017-11-04",
        "source_headline": "Syrian army takes Albu Kamal;", "source_original": "SOHR",
        "where_prec": 1, "where_coordinates": "Albu Kamal town",
        "where_description": "Albu Kamal, near the border", "adm_1": "Dayr az Zawr governorate",
        "adm_2": "Albu Kamal district", "latitude": 34.4531, "longitude": 40.9181,
        "geom_wkt": "POINT (40.9181 34.4531)", "priogrid_gid": 175562, "country": "Syria",
        "country_id": 652, "region": "Middle East", "event_clarity": 1, "date_prec": 2,
        "date_start": "2017-11-02 00:00:00.000", "date_end": "2017-11-04 00:00:00.000",
        "deaths_a": 4, "deaths_b": 11, "deaths_civilians": 2, "deaths_unknown": 0, "best": 17,
        "high": 25, "low": 15, "gwnoa": 652, "gwnob": "",
    }  # fmt: skip
    event.update(values)
    return event


def write_ucdp_csv(path: Path, events: list[dict[str, Any]]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ucdp.COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(events)
    path.write_text(out.getvalue(), "utf-8")
    return path


def write_ucdp_json(path: Path, events: list[dict[str, Any]]) -> Path:
    """The API's page: 47 fields an event (no gwnoa, gwnob), ISO dates, active_year a bool."""
    result = []
    for event in events:
        event = {k: v for k, v in event.items() if k not in ("gwnoa", "gwnob")}
        event["active_year"] = bool(event["active_year"])
        for key in ("date_start", "date_end"):
            event[key] = event[key][:10] + "T00:00:00"
        result.append(event)
    page = {"TotalCount": len(result), "TotalPages": 1, "PreviousPageUrl": "",
            "NextPageUrl": "", "Result": result}  # fmt: skip
    path.write_text(json.dumps(page, ensure_ascii=False, indent=1), "utf-8")
    return path
