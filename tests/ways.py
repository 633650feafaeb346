"""The ways into the store, for the tests that hold every one of them to the same rules.

A test asks a `Way` to store records (`given`, `accepts`) and to try one that breaks a rule
(`refuses`); each way is one fixture parameter (conftest.py `way`), so that one test body
runs through `record()`, through `import_file()` of one record at a time, and through one file
holding everything the test gave before the record refused.

A dataset's file is a way in too (`DATASET_WAYS`: an ACLED export, a UCDP GED CSV holding the
row that says the record), for the records a row can say: an event at a place given in full,
of a type the dataset codes. The `every_way` fixture (conftest.py) holds all five to the
rules such records meet (tests/test_every_way_in.py), the three ways above told that no launch
is needed, as a dataset's rows need none. A dataset's ids are its own, and it has no launch
or correction to say, so the operation rules stay with the three.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.datasets import acled_row, ucdp_event, write_acled, write_ucdp_csv
from timeline import errors
from timeline.application import Imported, Timeline
from timeline.errors import ImportFailed, RecordRejected
from timeline.readers.acled import Acled
from timeline.readers.acled_codes import SUB_EVENTS, WHOSE
from timeline.readers.dataset import DatasetReader
from timeline.readers.ucdp import Ucdp

Record = dict[str, Any]


@dataclass(frozen=True)
class Refusal:
    """How a way refused a record: the named error of the rule broken, and its problems."""

    error: type[RecordRejected]
    problems: list[tuple[str, str]]

    @property
    def field(self) -> str:
        return self.problems[0][0]

    @property
    def message(self) -> str:
        return "; ".join(message for _, message in self.problems)


class Way:
    name = ""

    def __init__(self, app: Timeline, folder: Path, *, unlaunched: bool = False) -> None:
        self.app = app
        self.folder = folder
        self.files = 0
        self.unlaunched = unlaunched  # as a dataset's rows: no launch needed

    def given(self, *records: Record) -> None:
        """Store these records (a test's starting point)."""
        for record in records:
            self.accepts(record)

    def accepts(self, record: Record) -> bool:
        """Store one record; True if new, False if this very record was stored already."""
        raise NotImplementedError

    def refuses(self, record: Record) -> Refusal:
        """Try to store a record that breaks a rule: how it was refused. Fails the test if it
        was stored, or if the attempt changed the store in any way."""
        before = self.stored()
        refusal = self._refusal(record)
        assert self.stored() == before, f"{self.name}: a refused record changed the store"
        return refusal

    def _refusal(self, record: Record) -> Refusal:
        raise NotImplementedError

    def field(self, name: str) -> str:
        """What this way calls a record's field in its errors (a dataset: the column)."""
        return name

    def event_id(self, record: Record) -> str:
        """The id the record's event is stored under."""
        return str(record["id"])

    def refuses_line(self, line: bytes) -> Refusal:
        """Try to import a file holding this line (after what the test gave): how it was
        refused. For the ways that read lines (LINE_WAYS): what a line's bytes can say that a
        record given as data cannot (a key given twice, a line of 200 MB) is refused by each
        alike. Fails the test if the attempt changed the store in any way."""
        before = self.stored()
        given = self._taken()
        self.files += 1
        path = self.folder / f"way-{self.files}.jsonl"
        with path.open("wb") as out:
            out.writelines(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in given)
            out.write(line)
        with pytest.raises(ImportFailed) as failed:
            self.app.import_file(path)
        assert self.stored() == before, f"{self.name}: a refused line changed the store"
        return _refusal_of(failed.value, line=len(given) + 1)

    def _taken(self) -> list[Record]:
        """The records given and not yet stored, now to be imported before the next one."""
        return []

    def stored(self) -> list[tuple[int, Record]]:
        return [(event.position, event.record.canonical()) for event in self.app.log()]

    def _import(self, records: list[Record]) -> Imported:
        """Import one file of these records."""
        self.files += 1
        path = self.folder / f"way-{self.files}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        return self.app.import_file(path, unlaunched=self.unlaunched)


class Recorded(Way):
    """`record()`: one event, as `timeline record` and the Python API append it."""

    name = "recorded"

    def accepts(self, record: Record) -> bool:
        return self.app.record(record, unlaunched=self.unlaunched)

    def _refusal(self, record: Record) -> Refusal:
        with pytest.raises(RecordRejected) as refused:
            self.app.record(record, unlaunched=self.unlaunched)
        return Refusal(type(refused.value), refused.value.problems)


class ImportedAlone(Way):
    """`import_file()` of a file holding one record."""

    name = "imported"

    def accepts(self, record: Record) -> bool:
        return self._import([record]).new == 1

    def _refusal(self, record: Record) -> Refusal:
        with pytest.raises(ImportFailed) as failed:
            self._import([record])
        return _refusal_of(failed.value, line=1)


class ImportedTogether(Way):
    """`import_file()` of one file holding every record the test gave, then the one it
    tries: the rules applied line after line within one import."""

    name = "imported-together"

    def __init__(self, app: Timeline, folder: Path, *, unlaunched: bool = False) -> None:
        super().__init__(app, folder, unlaunched=unlaunched)
        self.waiting: list[Record] = []

    def given(self, *records: Record) -> None:
        self.waiting += records

    def _taken(self) -> list[Record]:
        taken, self.waiting = self.waiting, []
        return taken

    def accepts(self, record: Record) -> bool:
        waiting, self.waiting = self.waiting, []
        before = {stored["id"] for _, stored in self.stored()}
        result = self._import([*waiting, record])
        assert result.new + result.already == len(waiting) + 1
        return record["id"] not in before and record not in waiting

    def _refusal(self, record: Record) -> Refusal:
        records, self.waiting = [*self.waiting, record], []
        with pytest.raises(ImportFailed) as failed:
            self._import(records)
        return _refusal_of(failed.value, line=len(records))


def _refusal_of(failed: ImportFailed, line: int) -> Refusal:
    """The refusal an import reported: every error on the record's line, of one rule."""
    assert {error.line for error in failed.errors} == {line}, [str(e) for e in failed.errors]
    (rule,) = {error.rule for error in failed.errors}
    error = getattr(errors, rule)
    return Refusal(error, [(e.field, e.message) for e in failed.errors])


class DatasetFile(Way):
    """`import_file()` of a dataset's file holding the row that says the record."""

    reader: DatasetReader

    def accepts(self, record: Record) -> bool:
        result = self._import_rows([self.row_of(record)])
        return bool(result.new or result.corrected)

    def _refusal(self, record: Record) -> Refusal:
        with pytest.raises(ImportFailed) as failed:
            self._import_rows([self.row_of(record)])
        return _refusal_of(failed.value, line=2)  # the header is line 1

    def field(self, name: str) -> str:
        return self.reader.column(name)

    def event_id(self, record: Record) -> str:
        return self.reader.event_id(str(record["id"]))

    def row_of(self, record: Record) -> dict[str, Any]:
        """The dataset's row that says this record (pytest.skip() if none can)."""
        raise NotImplementedError

    def _import_rows(self, rows: list[dict[str, Any]]) -> Imported:
        raise NotImplementedError

    @staticmethod
    def _place(record: Record) -> dict[str, Any]:
        place = record.get("place")
        if not isinstance(place, dict) or place.get("kind") != "town" or place.get("aliases"):
            pytest.skip("a dataset's row gives its place in full: a town, with no aliases")
        return place

    @staticmethod
    def _areas(place: dict[str, Any]) -> tuple[str, str]:
        """(first-order area, country) of the area a place lies within."""
        admin1, _, country = str(place.get("within") or "Deir ez Zor, Syria").rpartition(", ")
        return admin1, country


class AcledFile(DatasetFile):
    """An ACLED export (current layout) holding the row that says the record."""

    name = "acled"
    reader = Acled()
    GEO: ClassVar[dict[str, str]] = {"exact": "1", "near": "2", "region": "3"}

    def row_of(self, record: Record) -> dict[str, Any]:
        sub_events = {
            (our, form): sub for sub, (_, our, form) in SUB_EVENTS.items() if form not in WHOSE
        }  # fmt: skip
        sub = sub_events.get((record["type"], record.get("form")))
        if sub is None:
            pytest.skip(f"no ACLED row says a {record['type']} of {record.get('form')}")
        place = self._place(record)
        admin1, country = self._areas(place)
        actors = record["actors"]
        row = acled_row(
            str(record["id"]), event_date=record["occurred"],
            event_type=SUB_EVENTS[sub][0], sub_event_type=sub,
            actor1=actors[0]["force"], actor2=actors[1]["force"] if len(actors) > 1 else "",
            inter2="2" if len(actors) > 1 else "", location=place["name"],
            latitude=str(place["lat"]), longitude=str(place["lon"]), admin1=admin1,
            country=country, geo_precision=self.GEO.get(place.get("precision", "exact"), "1"),
            source="; ".join(s["outlet"] for s in record["sources"]),
            notes=record.get("notes", ""), fatalities=str(record.get("fatalities", "")),
        )  # fmt: skip
        return row

    def _import_rows(self, rows: list[dict[str, Any]]) -> Imported:
        self.files += 1
        path = write_acled(self.folder / f"way-{self.files}.csv", rows)
        return self.app.import_file(path, reader=self.reader)


class UcdpFile(DatasetFile):
    """A UCDP GED release CSV holding the event that says the record."""

    name = "ucdp"
    reader = Ucdp()
    VIOLENCE: ClassVar[dict[str, int]] = {"forces_clashed": 1, "civilians_attacked": 3}
    WHERE: ClassVar[dict[str, int]] = {"exact": 1, "near": 2}

    def row_of(self, record: Record) -> dict[str, Any]:
        violence = self.VIOLENCE.get(record["type"])
        if violence is None or record.get("form") not in (None, "attack"):
            pytest.skip(f"no GED event says a {record['type']} of {record.get('form')}")
        place = self._place(record)
        admin1, country = self._areas(place)
        actors = record["actors"]
        casualties = record.get("casualties") or {"best": 0, "low": 0, "high": 0}
        when = f"{record['occurred']} 00:00:00.000"
        return ucdp_event(
            record["id"], type_of_violence=violence, side_a=actors[0]["force"],
            side_b=actors[1]["force"] if len(actors) > 1 else "Civilians",
            where_coordinates=place["name"], latitude=place["lat"], longitude=place["lon"],
            where_prec=self.WHERE.get(place.get("precision", "exact"), 1), adm_1=admin1,
            country=country, date_start=when, date_end=when, best=casualties["best"],
            low=casualties.get("low", casualties["best"]),
            high=casualties.get("high", casualties["best"]),
        )  # fmt: skip

    def _import_rows(self, rows: list[dict[str, Any]]) -> Imported:
        self.files += 1
        path = write_ucdp_csv(self.folder / f"way-{self.files}.csv", rows)
        return self.app.import_file(path, reader=self.reader)


WAYS = (Recorded, ImportedAlone, ImportedTogether)
DATASET_WAYS = (AcledFile, UcdpFile)


LINE_WAYS = (ImportedAlone, ImportedTogether)  # the ways that read the lines of a file
