"""How a record reads once corrected: one home for the merge every reader of corrections uses.

Records here are JSON data (dicts), as stored. Pure, with no dependencies: the read models
replay corrections with it, and the write side may ask how a stored event reads now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

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
