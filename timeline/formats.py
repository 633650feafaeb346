"""Answers as a reader wants them: a terminal table, a JSON array, or CSV with a header."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from timeline.vocabulary import triple_text

FORMATS = ("table", "json", "csv")
Rows = list[dict[str, Any]]


def render(rows: Rows, form: str, columns: Sequence[tuple[str, str]] | None = None) -> str:
    """`columns` picks and names what a table shows; json and csv carry every column."""
    if form == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1, default=str) + "\n"
    if form == "csv":
        return _csv(rows)
    return table(rows, columns)


def _csv(rows: Rows) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            {k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
             for k, v in row.items()}
            for row in rows
        )  # fmt: skip
    return out.getvalue()


def table(rows: Rows, columns: Sequence[tuple[str, str]] | None = None) -> str:
    if not rows:
        return "(nothing found)\n"
    picked = columns or [(key, key) for key in rows[0]]
    body = [[_cell(row.get(key)) for key, _ in picked] for row in rows]
    titles = [title for _, title in picked]
    if all(_ONE_COLUMN_EACH.issuperset(cell) for line in body for cell in line):
        return _simple(body, titles)
    from tabulate import tabulate  # it measures wide, joining and control characters

    return str(tabulate(body, headers=titles, disable_numparse=True)) + "\n"


# Characters a terminal draws one column wide each: printable ASCII, the Latin-1 letters, and
# the dashes and ellipsis the cells use. A table of only these is laid out here exactly as
# tabulate's "simple" format would (a test says so), without importing tabulate or its work
# per cell (both measurable in a question's time); any other table goes to tabulate.
_ONE_COLUMN_EACH = frozenset(
    [chr(code) for code in range(0x20, 0x7F)] + [chr(code) for code in range(0xC0, 0x100)]
    + ["–", "—", "…"]
)  # fmt: skip


def _simple(body: list[list[str]], titles: list[str]) -> str:
    body = [[cell.strip() for cell in line] for line in body]
    widths = [
        max(len(title) + 2, *(len(line[n]) for line in body)) for n, title in enumerate(titles)
    ]
    lines = [titles, ["-" * width for width in widths], *body]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        + "\n"
        for line in lines
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    text = str(value).replace("\n", " ")
    return text if len(text) <= 60 else text[:59] + "…"


def triple(row: dict[str, Any], prefix: str) -> str | None:
    """40,000 (35,000–45,000): a UCDP triple as a reader says it."""
    best, low, high = (row.get(f"{prefix}_{key}") for key in ("best", "low", "high"))
    return triple_text(best, low, high)
