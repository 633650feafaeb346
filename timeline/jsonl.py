"""Reading JSON Lines as analysts hand them over: numbered lines, UTF-8, a BOM tolerated."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from timeline.errors import UnreadableFile

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def label(source: str | Path) -> str:
    return "<stdin>" if str(source) == "-" else str(source)


@contextmanager
def opened(source: str | Path) -> Iterator[BinaryIO]:
    if str(source) == "-":
        yield sys.stdin.buffer
        return
    try:
        with open(source, "rb") as file:
            yield file
    except FileNotFoundError:
        raise UnreadableFile(f"{source}: no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(f"{source}: is a directory, not a JSON Lines file") from None
    except PermissionError:
        raise UnreadableFile(f"{source}: permission denied") from None


def blocks(file: BinaryIO, size: int) -> Iterator[bytes]:
    """The file in blocks of about `size` bytes, each ending where a line ends."""
    while block := file.read(size):
        if not block.endswith(b"\n"):
            block += file.readline()
        yield block


def numbered_lines(name: str, block: bytes, first: int) -> list[tuple[int, bytes]]:
    """(line number, bytes) of each non-blank line of a block whose first line is `first`,
    bytes to be decoded as UTF-8. The lines are those of `for line in file`: ended by b"\n".

    A UTF-8 byte order mark at the start of the file is skipped; UTF-16 is refused with a hint.
    """
    lines = block.split(b"\n")
    last = lines.pop()  # b"" when the block ends with a line's end
    numbered = [(number, raw + b"\n") for number, raw in enumerate(lines, first) if raw.strip()]
    if last.strip():
        numbered.append((first + len(lines), last))
    if first == 1:
        if block.startswith(UTF16_BOMS):
            raise UnreadableFile(f"{name}: the file is UTF-16; save it as UTF-8")
        if numbered and numbered[0][0] == 1 and block.startswith(UTF8_BOM):
            stripped = numbered[0][1].removeprefix(UTF8_BOM)
            numbered[0:1] = [(1, stripped)] if stripped.strip() else []
    return numbered


def empty_file(name: str) -> UnreadableFile:
    """A file with no records at all: almost always the wrong file."""
    return UnreadableFile(f"{name}: the file is empty: no events to import")


def describe_undecodable(error: UnicodeDecodeError) -> str:
    byte = error.object[error.start : error.start + 1].hex()
    return f"not UTF-8 (byte 0x{byte} at column {error.start + 1}); save the file as UTF-8"
