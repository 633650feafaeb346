"""A dataset's export as intake's `Reader`: the header first, then blocks of rows that forked
workers map to records, each row a pure function of its fields.

What a dataset says beyond its rows lives here too: how a newer file's change of an event
is recorded (`revision`), and, where the dataset publishes them, its deleted events.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

import orjson

from timeline import intake
from timeline.errors import InvalidInput
from timeline.intake import Numbered, Refused
from timeline.readers import csvfile
from timeline.readers.coding import Grades, Problems, Sides

Data = dict[str, Any]
Deletion = tuple[int, str, int]  # (line, the dataset's id of the event, Unix time of deletion)


class DatasetReader(ABC):
    """Rows of a CSV export, each mapped by `record_of()` to a record in the record format.

    `blocks()` reads the header row first, in every process that reads the file (each forked
    worker reads it for itself), and yields it as a block of its own: its line counts, and
    `records()` of it is nothing, or the header's problem (a required column missing), after
    which no row is read."""

    name = ""  # as a record's dataset.name says it
    required: tuple[str, ...] = ()  # columns a file must have
    aliases: Mapping[str, str] = {}  # older column names -> the current ones
    columns: Mapping[str, str] = {}  # a record's field -> the column it comes from

    def __init__(
        self, *, operation: str | None = None, grades: Grades | None = None,
        sides: Sides | None = None,
    ) -> None:  # fmt: skip
        self.operation = operation  # every row in this operation; None: the grouping key
        self.grades = grades or Grades()
        self.sides = sides or Sides()
        self.index: dict[str, int] = {}  # column name -> its place in a row
        self.names: list[str] | None = None  # the columns in order, if each is named once
        self.width = 0
        self.problem: str | None = None  # what is wrong with the header

    # intake's Reader

    def blocks(self, file: BinaryIO) -> Iterator[bytes]:
        header = csvfile.first_row(file)
        if not header:
            return  # an empty file: intake says so
        self._read_header(header)
        yield header
        if self.problem is None:
            yield from csvfile.blocks(file, intake.CHUNK_BYTES)

    def records(self, name: str, block: bytes, first: int) -> list[Numbered | Refused]:
        if first == 1:  # the header, read by blocks()
            return [] if self.problem is None else [Refused(1, [("header", self.problem)])]
        found: list[Numbered | Refused] = []
        for line, fields in csvfile.rows(block, first):
            if isinstance(fields, str):
                found.append(Refused(line, [("record", fields)]))
            elif len(fields) != self.width:
                found.append(Refused(line, [(
                    "record", f"{len(fields)} fields where the header has {self.width}"
                )]))  # fmt: skip
            elif self.names is not None:  # every column once: zipped, faster
                found.append(self._mapped(line, dict(zip(self.names, fields, strict=True))))
            else:
                found.append(self._mapped(line, {c: fields[i] for c, i in self.index.items()}))
        return found

    def lines(self, block: bytes) -> int:
        return csvfile.lines(block)

    def column(self, field: str) -> str:
        """The column to name in an error about a record's field (sources.0.outlet: the
        column `source`); a field from no one column is named as it is."""
        parts = field.split(".")
        while parts:
            found = self.columns.get(".".join(parts))
            if found is not None:
                return found
            parts.pop()
        return field

    # the rows

    @abstractmethod
    def record_of(self, row: Mapping[str, Any]) -> Data | Problems:
        """The record one row says (a mapping of column name to value), or its problems as
        (column, message)."""

    def _mapped(self, line: int, row: Mapping[str, Any]) -> Numbered | Refused:
        found = self.record_of(row)
        if isinstance(found, list):
            return Refused(line, found)
        return line, orjson.dumps(found)

    def _read_header(self, header: bytes) -> None:
        self.index, self.names, self.width, self.problem = {}, None, 0, None
        found = next(csvfile.rows(header, 1), None)
        if found is None or isinstance(found[1], str):
            self.problem = found[1] if found else "no header row (a blank first line)"
            return
        names = found[1]
        for n, column in enumerate(names):
            key = column.strip().lower()
            self.index.setdefault(self.aliases.get(key, key), n)
        self.width = len(names)
        if len(self.index) == self.width:
            self.names = [self.aliases.get(k, k) for k in (n.strip().lower() for n in names)]
        missing = [column for column in self.required if column not in self.index]
        if missing:
            listed = ", ".join(missing)
            self.problem = f"missing column{'s' if len(missing) > 1 else ''} {listed}"

    # what a newer file says

    def revision(self, new: Data, reading: Data, changes: Data) -> Data:
        """The report_corrected by which a newer file of the dataset says what changed in one
        of its events: its id says which version it is (the row's timestamp where the
        dataset gives one, else a fingerprint of the changes)."""
        dataset = new.get("dataset") or {}
        version = dataset.get("timestamp")
        suffix = str(version) if version is not None else orjson.dumps(changes).hex()[-12:]
        source: Data = dict(zip(("reliability", "credibility"), self.grades.of(self.name),
                                strict=True), outlet=self.name)  # fmt: skip
        if isinstance(version, int) and version > 0:
            source["published"] = day_of(version)
        keys = ", ".join(sorted(changes))
        return {
            "id": f"{new['id']}/revised-{suffix}", "type": "report_corrected",
            "operation": reading["operation"], "corrects": new["id"], "changes": changes,
            "sources": [source], "notes": f"{self.name}'s newer file changed {keys}",
        }  # fmt: skip

    def event_id(self, dataset_id: str) -> str:
        """The id of the event a dataset's own id names."""
        return f"{self.prefix}{dataset_id}"

    prefix = ""  # "acled/": a dataset's id -> the event's id

    def deletions(self, file: BinaryIO) -> Iterator[Deletion | Refused]:
        """The events the dataset deleted, from its deleted-events file."""
        raise InvalidInput("deleted", f"{self.name} publishes no deleted-events file")

    def retraction(self, event_id: str, operation: str, stamp: int) -> Data:
        """The report_retracted of an event the dataset deleted at `stamp` (Unix time)."""
        reliability, credibility = self.grades.of(self.name)
        return {
            "id": f"{event_id}/deleted-{stamp}", "type": "report_retracted",
            "operation": operation, "retracts": event_id,
            "sources": [{"outlet": self.name, "reliability": reliability,
                         "credibility": credibility, "published": day_of(stamp)}],
            "notes": f"{self.name} deleted this event (deleted_timestamp {stamp})",
        }  # fmt: skip


def day_of(stamp: int) -> str:
    """A Unix time's day (UTC)."""
    import datetime

    return datetime.datetime.fromtimestamp(stamp, datetime.UTC).date().isoformat()
