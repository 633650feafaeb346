"""How a record reads once corrected: one home for the merge every reader of corrections uses.

Records here are JSON data (dicts), as stored. Pure, with no dependencies: the read models
replay corrections with it, and the write side asks it how a stored event reads now
(`current`, from an operation's stream) and what a newer reading changes (`changes_between`:
how a dataset's newer file becomes corrections).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from timeline.vocabulary import REPORT_CORRECTED, REPORT_RETRACTED, SOURCES_ADDED, outlet_key

Data = dict[str, Any]


def corrected(record: Mapping[str, Any], changes: Mapping[str, Any]) -> Data:
    """The record as a `report_corrected` with these `changes` leaves it: each key named
    takes its new value, a key set to null is removed, every other key stays as it was."""
    merged = {**record, **changes}
    return {key: value for key, value in merged.items() if value is not None}


def reading(first: Mapping[str, Any], corrections: Iterable[Mapping[str, Any]]) -> Data:
    """An event as it reads after these corrections (their `changes`, in recording order)."""
    now = dict(first)
    for correction in corrections:
        now = corrected(now, correction)
    return now


UNCHANGEABLE = ("id", "type", "operation")  # what no correction changes (events.UNCHANGEABLE)


def current(records: Iterable[Mapping[str, Any]]) -> dict[str, Data]:
    """How each event among these records (a stream's, in recording order) reads now, by id:
    corrected by every correction of it; a retracted event left out."""
    readings: dict[str, Data] = {}
    for record in records:
        kind = record["type"]
        if kind == REPORT_CORRECTED:
            target = record["corrects"]
            if target in readings:
                readings[target] = corrected(readings[target], record["changes"])
        elif kind == REPORT_RETRACTED:
            readings.pop(record["retracts"], None)
        elif kind == SOURCES_ADDED:
            continue  # the fact stays as it reads
        else:
            readings[record["id"]] = dict(record)
    return readings


def changes_between(reading: Mapping[str, Any], new: Mapping[str, Any]) -> Data:
    """The `changes` that make `reading` read as `new`: each key whose value differs, and
    null for each key `new` no longer has (id, type and operation aside), so that
    `corrected(reading, changes_between(reading, new)) == new`."""
    changes = {
        key: value
        for key, value in new.items()
        if key not in UNCHANGEABLE and reading.get(key) != value
    }
    changes.update({key: None for key in reading if key not in new and key not in UNCHANGEABLE})
    return changes


def with_added(record: Mapping[str, Any], added: Iterable[Mapping[str, Any]]) -> Data:
    """An event as it reads with the sources later added to it (`sources_added`, in
    recording order), each marked `added_by` that event: after its own sources, whatever a
    correction did to those. The fact stays as it reads."""
    extra = [
        {**source, "added_by": corroboration["id"]}
        for corroboration in added
        for source in corroboration["sources"]
    ]
    return {**record, "sources": [*record.get("sources", ()), *extra]} if extra else dict(record)


RELIABILITY_ORDER = "ABCDEF"  # completely reliable first, cannot be judged last


class Downgrades:
    """The sources found worse than graded (`source_downgraded`), and how a source reads
    once they are applied: its reliability the worst of its own and every downgrade naming
    it (by its outlet, compared as `outlet_key`; by its exact url; or by both)."""

    def __init__(self) -> None:
        self.by_outlet: dict[str, list[tuple[str | None, str, str]]] = {}
        self.by_url: dict[str, list[tuple[str, str]]] = {}

    def __bool__(self) -> bool:
        return bool(self.by_outlet or self.by_url)

    def add(self, event_id: str, outlet: str | None, url: str | None, reliability: str) -> None:
        if outlet is not None:
            self.by_outlet.setdefault(outlet_key(outlet), []).append((url, reliability, event_id))
        elif url is not None:
            self.by_url.setdefault(url, []).append((reliability, event_id))

    def add_record(self, record: Mapping[str, Any]) -> None:
        self.add(record["id"], record.get("outlet"), record.get("url"), record["reliability"])

    def of(self, source: Mapping[str, Any]) -> tuple[str, str | None]:
        """(the source's reliability now, the id of the downgrade that made it so, or None)."""
        reliability, by = source["reliability"], None
        url = source.get("url")
        found = [
            (letter, event_id)
            for named_url, letter, event_id in self.by_outlet.get(outlet_key(source["outlet"]), ())
            if named_url is None or named_url == url
        ]
        if url is not None:
            found += self.by_url.get(url, ())
        for letter, event_id in found:
            if RELIABILITY_ORDER.index(letter) > RELIABILITY_ORDER.index(reliability):
                reliability, by = letter, event_id
        return reliability, by

    def regraded(self, sources: Iterable[Mapping[str, Any]]) -> list[Data]:
        """The sources as they read once downgraded (their reliability only)."""
        return [{**source, "reliability": self.of(source)[0]} for source in sources]
