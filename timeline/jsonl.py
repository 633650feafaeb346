"""Reading JSON Lines as analysts hand them over: numbered lines, UTF-8, a BOM tolerated."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
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


def numbered_lines(
    file: BinaryIO, name: str, progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, str | UnicodeDecodeError]]:
    """Yield (line number, text) for each non-blank line; undecodable lines yield the error.

    A UTF-8 byte order mark is skipped; UTF-16 is refused with a hint; a file with no
    records at all is an error, since it is almost always the wrong file.
    """
    seen = False
    for number, raw in enumerate(file, start=1):
        if progress is not None:
            progress(len(raw))
        if number == 1:
            if raw.startswith(UTF16_BOMS):
                raise UnreadableFile(f"{name}: the file is UTF-16; save it as UTF-8")
            raw = raw.removeprefix(UTF8_BOM)
        if not raw.strip():
            continue
        seen = True
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield number, error
    if not seen:
        raise UnreadableFile(f"{name}: the file is empty: no events to import")


def describe_undecodable(error: UnicodeDecodeError) -> str:
    byte = error.object[error.start : error.start + 1].hex()
    return f"not UTF-8 (byte 0x{byte} at column {error.start + 1}); save the file as UTF-8"
