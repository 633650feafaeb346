"""What may reach a terminal: text with its control characters escaped, and input cut short.

A terminal obeys what it is sent: ESC and CSI (U+009B) start commands that move the cursor,
rewrite the title or the clipboard; BEL rings; a bidirectional override (U+202A-U+202E,
U+2066-U+2069) makes the text after it read in another order than it is stored. One-line
fields refuse them at input (`timeline.events.ONE_LINE`); free text (notes, quotes) keeps them
exactly as written, and everything printed goes through here.
"""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 controls, DEL, the line and paragraph separators, and the bidirectional
# embeddings, overrides and isolates: what a one-line field refuses and output escapes.
UNSAFE_CLASS = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
UNSAFE = re.compile(f"[{UNSAFE_CLASS}]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
LONGEST_SHOWN = 200  # characters of an input value an error message repeats


def code(char: str) -> str:
    """How an unsafe character is written instead: \\x1b, \\u202e."""
    point = ord(char)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def escape(text: str, keep: str = "") -> str:
    """`text` with every unsafe character but those in `keep` written as its code."""
    if not UNSAFE.search(text):
        return text
    return UNSAFE.sub(lambda m: m[0] if m[0] in keep else code(m[0]), text)


def json_safe(document: str) -> str:
    """A JSON document with the controls json.dumps leaves as they are (DEL, C1, the
    separators, the bidirectional controls) written as \\u escapes: the same JSON value."""
    if not _JSON_UNSAFE.search(document):
        return document
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", document)


def describe(char: str) -> str:
    """What an unsafe character is, for a message: U+009B, a control character."""
    kind = "a bidirectional override" if _BIDI.match(char) else "a control character"
    if char in "\n\r\u2028\u2029":
        kind = "a line break"
    return f"U+{ord(char):04X}, {kind}"


def cut(text: str, longest: int = LONGEST_SHOWN) -> str:
    """`text` escaped, and cut to `longest` characters with its length said when longer."""
    if len(text) <= longest:
        return escape(text)
    return f"{escape(text[:longest])}… ({len(text):,} characters)"


def shown(value: Any, longest: int = LONGEST_SHOWN) -> str:
    """An input value as an error message repeats it: quoted, escaped, cut."""
    try:
        text = value if isinstance(value, str) else repr(value)
    except ValueError:  # an int of more than 4,300 digits cannot be written (sys.int_info)
        return f"a number of about {value.bit_length() * 3 // 10:,} digits"
    if len(text) > longest:
        return f"'{escape(text[:longest])}…' ({len(text):,} characters)"
    return f"'{escape(text)}'"
