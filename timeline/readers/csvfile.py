"""CSV as datasets export it, read in blocks that forked workers can parse apart.

A block ends where a row ends. RFC 4180 quotes a field holding a line break or a quote (and
doubles each quote inside it), so a line ends a row exactly when the quotes before it are
even in number: `blocks()` counts them, a C loop over the bytes, and a quoted field's line
breaks never split a row between two blocks. Rows are numbered by the physical line of the
file they start on, as an editor shows it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import BinaryIO

from timeline.jsonl import UTF8_BOM, UTF16_BOMS, describe_undecodable

csv.field_size_limit(1 << 24)
Row = tuple[int, list[str]]  # the line a row starts on, and its fields
QUOTE = ord('"')


def first_row(file: BinaryIO) -> bytes:
    """The bytes of the file's first row (its header): a line, and more while a quoted
    field goes on."""
    pieces = [file.readline()]
    odd = pieces[0].count(QUOTE) % 2
    while odd and pieces[-1]:
        pieces.append(file.readline())
        odd ^= pieces[-1].count(QUOTE) % 2
    return b"".join(pieces)


def blocks(file: BinaryIO, size: int) -> Iterator[bytes]:
    """The rest of the file in blocks of about `size` bytes, each ending where a row ends."""
    while block := file.read(size):
        pieces = [block]
        if not block.endswith(b"\n"):
            pieces.append(file.readline())
        odd = sum(piece.count(QUOTE) for piece in pieces) % 2
        while odd and pieces[-1]:  # inside a quoted field: its row goes on
            pieces.append(file.readline())
            odd ^= pieces[-1].count(QUOTE) % 2
        yield b"".join(pieces)


def lines(block: bytes) -> int:
    return block.count(b"\n")


class Undecodable(Exception):
    """A row holding bytes that are not UTF-8."""


def rows(block: bytes, first: int) -> Iterator[Row | tuple[int, str]]:
    """Each row of a block whose first line is `first` (a blank line is none; a row of empty
    fields is one, to be refused, never dropped): (line, fields), or (line, what is wrong
    with it) for a row that is not CSV or not UTF-8."""
    if first == 1:
        if block.startswith(UTF16_BOMS):
            yield 1, "the file is UTF-16; save it as UTF-8"
            return
        block = block.removeprefix(UTF8_BOM)
    try:
        text = block.decode("utf-8")
        undecodable = False
    except UnicodeDecodeError:
        text = block.decode("utf-8", errors="surrogateescape")
        undecodable = True
    pieces = text.split("\n")
    if pieces[-1] == "":
        pieces.pop()
    reader = csv.reader((piece + "\n" for piece in pieces), strict=True)
    start = first
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield start, f"not CSV: {error}"
            start = first + reader.line_num
            continue
        if len(fields) > 1 or (fields and fields[0].strip()):  # a blank line is no row
            if undecodable and _surrogates(fields):
                yield start, _not_utf8(fields)
            else:
                yield start, fields
        start = first + reader.line_num


def _surrogates(fields: list[str]) -> bool:
    return any("\udc80" <= ch <= "\udcff" for value in fields for ch in value)


def _not_utf8(fields: list[str]) -> str:
    text = ",".join(fields)
    raw = text.encode("utf-8", errors="surrogateescape")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return describe_undecodable(error)
    return "not UTF-8; save the file as UTF-8"  # pragma: no cover - found above
