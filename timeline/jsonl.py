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


# The longest line a file may hold, in bytes (its newline not counted): a record is a few
# kilobytes, and its longest fields (notes, quotes) are bounded far below this.
LONGEST_LINE = 4 * 2**20
_PIECE = 2**20  # how much of a line too long is read at a time, to be dropped


def blocks(file: BinaryIO, size: int, longest: int = LONGEST_LINE) -> Iterator[bytes]:
    """The file in blocks of about `size` bytes, each ending where a line ends.

    A line longer than `longest` bytes is never held whole: its first `longest` + 1 bytes
    stand for it in its block (which `too_long` then tells), the rest is read in pieces and
    dropped."""
    while block := file.read(size):
        if not block.endswith(b"\n"):
            start = block.rfind(b"\n") + 1  # where the unfinished line starts
            room = longest + 1 - (len(block) - start)
            if room > 0:
                block += file.readline(room)
            if len(block) - start > longest and not block.endswith(b"\n"):
                block += _drop_rest_of_line(file)
        yield block


def _drop_rest_of_line(file: BinaryIO) -> bytes:
    """Read up to the end of the line, a piece at a time, keeping none of it; the line's end
    (b"" at the end of the file)."""
    while piece := file.readline(_PIECE):
        if piece.endswith(b"\n"):
            return b"\n"
    return b""


def too_long(numbered: list[tuple[int, bytes]], block: bytes, longest: int = LONGEST_LINE
             ) -> set[int]:  # fmt: skip
    """The numbers of the lines of a block that are longer than `longest` bytes (`blocks`
    cut them): none when the block itself is no longer, the usual case, checked at once."""
    if len(block) <= longest:
        return set()
    return {number for number, raw in numbered if len(raw.rstrip(b"\r\n")) > longest}


def too_long_message(longest: int = LONGEST_LINE) -> str:
    return (
        f"the line is longer than {longest:,} bytes, the most a record may take: "
        "it was not read (is the file JSON Lines, one record a line?)"
    )


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
