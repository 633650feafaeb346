"""A date as a reader says it, its uncertainty kept: `2017-11-03~` is "about 3 Nov 2017"."""

from __future__ import annotations

import re

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SIDE = re.compile(r"^(-?[0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?([~?%]?)$")
_QUALIFIED = {"": "{}", "~": "about {}", "?": "{}, uncertain", "%": "about {}, uncertain"}


def spoken(edtf: str | None, earliest: str | None = None, latest: str | None = None) -> str:
    """`2017-11-03` -> "3 Nov 2017"; `2017-11` -> "Nov 2017"; `2017-11-03~` -> "about 3 Nov
    2017"; `2017-11-03?` -> "3 Nov 2017, uncertain"; `A/B` -> "A – B"; `2017-11-01/..` ->
    "from 1 Nov 2017". Other EDTF (`201X`, seasons, sets) is kept as written, with the days
    it can mean where known."""
    if not edtf:
        return "undated"
    if "/" in edtf:
        start, _, end = edtf.partition("/")
        first, last = _side(start), _side(end)
        if first is not None and last is not None:
            if start in ("", "..") and end in ("", ".."):
                return "undated"
            if end in ("", ".."):
                return f"from {first}"
            if start in ("", ".."):
                return f"until {last}"
            return f"{first} – {last}"
    said = _side(edtf)
    if said:
        return said
    if earliest and latest:
        return f"{edtf} ({spoken(earliest)} – {spoken(latest)})"
    return edtf


def _side(text: str) -> str | None:
    """One side of an interval as words ("" for an open or unknown side); None: not simple."""
    if text in ("", ".."):
        return ""
    match = _SIDE.match(text)
    if match is None:
        return None
    year, month, day, qualifier = match.groups()
    words = str(int(year))
    if month:
        if not 1 <= int(month) <= 12:
            return None
        words = f"{MONTHS[int(month) - 1]} {words}"
        if day:
            words = f"{int(day)} {words}"
    return _QUALIFIED[qualifier].format(words)
