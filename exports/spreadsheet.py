"""CSV: a header row, then one line per row, every column; UTF-8 (a BOM on request, which
is how Excel knows it is UTF-8). Lists are written as the read models hold them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

BOM = "\ufeff"
BATCH = 1000  # rows written per piece


def document(
    rows: Iterable[dict[str, Any]], columns: Sequence[str], *, bom: bool = False
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180's line ends
    writer.writerow(columns)
    head = buffer.getvalue()
    yield BOM + head if bom else head
    batch: list[list[Any]] = []
    for row in rows:
        batch.append([row.get(column) for column in columns])
        if len(batch) == BATCH:
            yield _lines(batch)
            batch = []
    if batch:
        yield _lines(batch)


def _lines(batch: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(batch)
    return buffer.getvalue()
