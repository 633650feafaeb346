"""Readers of the files researchers already hold, as intake's `Reader`s: ACLED's export CSV
(`acled.Acled`) and UCDP GED's CSV or API JSON (`ucdp.Ucdp`). Each maps a row to a record in
the record format, in intake's forked workers; validation, the rules and the store are then
the same as for JSON Lines."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from timeline.errors import InvalidInput

if TYPE_CHECKING:  # the readers import the intake, and pydantic: not at the CLI's start
    from timeline.readers.dataset import DatasetReader

FORMATS = ("jsonl", "acled", "ucdp")
Given = str | Path | Mapping[str, str] | None  # a CSV file, or the pairs themselves


def dataset_reader(
    form: str, *, operation: str | None = None, grades: Given = None, sides: Given = None
) -> DatasetReader:
    """The reader of a dataset's file (`acled`, `ucdp`) with these options: one operation
    for every row (else the grouping key), the outlets' grades (outlet -> grade, `*` the
    default; else F6), the actors' sides (actor -> side; else the sides rule)."""
    from timeline.readers.acled import Acled
    from timeline.readers.coding import Grades, Sides
    from timeline.readers.ucdp import Ucdp

    kinds: dict[str, type[DatasetReader]] = {"acled": Acled, "ucdp": Ucdp}
    if form not in kinds:
        raise InvalidInput("form", f"no format '{form}': one of {', '.join(FORMATS)}")
    return kinds[form](operation=operation, grades=Grades.given(grades), sides=Sides.given(sides))
