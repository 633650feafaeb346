"""How a record reads once corrected: one home for the merge every reader of corrections uses.

Records here are JSON data (dicts), as stored. Pure, with no dependencies: the read models
replay corrections with it, and the write side asks it how a stored event reads now
(`current`, from an operation's stream) and what a newer reading changes (`changes_between`:
how a dataset's newer file becomes corrections).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from timeline.vocabulary import REPORT_CORRECTED, REPORT_RETRACTED

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
