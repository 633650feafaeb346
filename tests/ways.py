"""The ways into the store, for the tests that hold every one of them to the same rules.

A test asks a `Way` to store records (`given`, `accepts`) and to try one that breaks a rule
(`refuses`); each way is one fixture parameter (conftest.py `way`), so that one test body
runs through `record()`, through `import_file()` of one record at a time, and through one file
holding everything the test gave before the record refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from timeline import errors
from timeline.application import Imported, Timeline
from timeline.errors import ImportFailed, RecordRejected

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

    def __init__(self, app: Timeline, folder: Path) -> None:
        self.app = app
        self.folder = folder
        self.files = 0

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
        return self.app.import_file(path)


class Recorded(Way):
    """`record()`: one event, as `timeline record` and the Python API append it."""

    name = "recorded"

    def accepts(self, record: Record) -> bool:
        return self.app.record(record)

    def _refusal(self, record: Record) -> Refusal:
        with pytest.raises(RecordRejected) as refused:
            self.app.record(record)
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

    def __init__(self, app: Timeline, folder: Path) -> None:
        super().__init__(app, folder)
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


WAYS = (Recorded, ImportedAlone, ImportedTogether)


LINE_WAYS = (ImportedAlone, ImportedTogether)  # the ways that read the lines of a file
