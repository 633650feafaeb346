"""EDTF text -> the earliest and latest day it can mean.

The text is kept as written by callers; this module only computes its bounds.

Fast path (a regex, no pyparsing): ``YYYY``, ``YYYY-MM`` and ``YYYY-MM-DD``, each optionally
followed by one qualifier, and intervals ``A/B`` of those where one side may instead be open
(``..``) or unknown (empty); an open or unknown side has no bound (``None``). Everything else
(unspecified digits ``201X``, seasons ``2017-21``, sets ``[2017-11-01,2017-11-03]``, ...) goes
to the ``edtf`` library, whose bounds are used unpadded ("strict").

Qualifiers widen the bounds by our own padding (the edtf library pads ``~`` by more than a
year, which is useless for operations):

    ============  ==========================  ==================
    precision     ``~`` approximate or        ``%`` both
                  ``?`` uncertain
    ============  ==========================  ==================
    day           +-3 days                    +-6 days
    month         +-1 calendar month          +-2 calendar months
    year          +-1 year                    +-2 years
    ============  ==========================  ==================

A padded month runs from the first day of the earlier month to the last day of the later one:
``2017-11~`` is 2017-10-01 .. 2017-12-31. Padding stops at 0001-01-01 and 9999-12-31.
An interval must be in order on its unpadded bounds: ``2017-11-05~/2017-11-03~`` is refused.
"""

from __future__ import annotations

import calendar
import datetime
import io
import re
import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

__all__ = ["Bounds", "DateError", "parse_edtf"]


@dataclass(frozen=True, slots=True)
class Bounds:
    earliest: datetime.date | None  # None = open/unknown start ("../2017-11")
    latest: datetime.date | None  # None = open/unknown end ("2017-11-01/..", "2017-11-01/")
    precision: str  # "day" | "month" | "year" | "interval" | "other"


class DateError(ValueError):
    """A date an analyst wrote that cannot be used; the message says why."""


_SIDE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?([~?%]?)")
_EMBEDDED_DAY = re.compile(r"(?<![0-9X])([0-9]{4})-(0[1-9]|1[0-2])-([0-9]{2})(?![0-9X])")
_PADDING = {"": 0, "~": 1, "?": 1, "%": 2}
_DAYS_PER_PADDING = 3
_NO_BOUND = ("..", "")


class _Side(NamedTuple):
    plain_earliest: datetime.date
    plain_latest: datetime.date
    earliest: datetime.date
    latest: datetime.date
    precision: str


def _day(text: str, written: str, year: int, month: int, day: int) -> datetime.date:
    """The real calendar date, or a DateError naming what was written."""
    where = repr(text) if written == text else f"{text!r}: {written!r}"
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        raise DateError(f"{where} is outside the supported calendar (years 0001 to 9999)")
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise DateError(f"{where} is not a real calendar date") from None


def _first_day(year: int, month: int, months_later: int) -> datetime.date:
    year, index = divmod(year * 12 + month - 1 + months_later, 12)
    if year < datetime.MINYEAR:
        return datetime.date.min
    if year > datetime.MAXYEAR:
        return datetime.date.max
    return datetime.date(year, index + 1, 1)


def _last_day(year: int, month: int, months_later: int) -> datetime.date:
    first = _first_day(year, month, months_later)
    if first == datetime.date.max:
        return first
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _days_later(day: datetime.date, days: int) -> datetime.date:
    ordinal = day.toordinal() + days
    return datetime.date.fromordinal(min(max(ordinal, 1), datetime.date.max.toordinal()))


def _side(text: str, written: str) -> _Side | None:
    """Bounds of one fast-path date, or None if it is not one (it then goes to the library)."""
    match = _SIDE.fullmatch(written)
    if match is None:
        return None
    year, month, day, qualifier = match.groups()
    y, pad = int(year), _PADDING[qualifier]
    if month is None:
        first, last = _day(text, written, y, 1, 1), _day(text, written, y, 12, 31)
        return _Side(first, last, _first_day(y, 1, -12 * pad), _last_day(y, 12, 12 * pad), "year")
    m = int(month)
    if not 1 <= m <= 12:
        return None  # seasons (21-41) are EDTF; the library decides
    if day is None:
        first = _day(text, written, y, m, 1)
        last = _last_day(y, m, 0)
        return _Side(first, last, _first_day(y, m, -pad), _last_day(y, m, pad), "month")
    one = _day(text, written, y, m, int(day))
    padding = pad * _DAYS_PER_PADDING
    return _Side(one, one, _days_later(one, -padding), _days_later(one, padding), "day")


def _fast_path(text: str) -> Bounds | None:
    sides = text.split("/")
    if len(sides) == 1:
        side = _side(text, text)
        return None if side is None else Bounds(side.earliest, side.latest, side.precision)
    if len(sides) != 2:
        return None
    if sides[0] in _NO_BOUND and sides[1] in _NO_BOUND:
        raise DateError(f"{text!r} has neither a start nor an end")
    start = None if sides[0] in _NO_BOUND else _side(text, sides[0])
    end = None if sides[1] in _NO_BOUND else _side(text, sides[1])
    if (start is None and sides[0] not in _NO_BOUND) or (end is None and sides[1] not in _NO_BOUND):
        return None
    if start is not None and end is not None and start.plain_earliest > end.plain_latest:
        raise DateError(f"{text!r}: interval ends before it starts")
    earliest = None if start is None else start.earliest
    return Bounds(earliest, None if end is None else end.latest, "interval")


def _library_day(text: str, bound: object) -> datetime.date | None:
    if isinstance(bound, float):  # the library's -inf/+inf for an open end
        return None
    if not isinstance(bound, time.struct_time):
        raise DateError(f"{text!r} cannot be bounded by the edtf library")
    written = f"{bound.tm_year:04d}-{bound.tm_mon:02d}-{bound.tm_mday:02d}"
    return _day(text, written, bound.tm_year, bound.tm_mon, bound.tm_mday)


def _library(text: str) -> Bounds:
    for match in _EMBEDDED_DAY.finditer(text):  # e.g. 2017-02-29 inside a set
        _day(text, match[0], int(match[1]), int(match[2]), int(match[3]))
    from edtf import EDTFParseException, Interval, UnspecifiedIntervalSection
    from edtf import parse_edtf as library_parse

    try:
        # The library prints to stdout when one of its own constructors fails (e.g. "2017-1X").
        with redirect_stdout(io.StringIO()):
            parsed = library_parse(text)
            lower, upper = parsed.lower_strict(), parsed.upper_strict()
    except EDTFParseException:
        raise DateError(f"{text!r} is not an EDTF date") from None
    except Exception as error:  # the library's own bugs: AttributeError, ValueError, ...
        raise DateError(f"{text!r} cannot be bounded by the edtf library") from error
    if isinstance(parsed, Interval):  # an unknown side: the library guesses +-10 years; we don't
        if isinstance(parsed.lower, UnspecifiedIntervalSection):
            lower = float("-inf")
        if isinstance(parsed.upper, UnspecifiedIntervalSection):
            upper = float("inf")
    earliest, latest = _library_day(text, lower), _library_day(text, upper)
    if earliest is None and latest is None:
        raise DateError(f"{text!r} has neither a start nor an end")
    if earliest is not None and latest is not None and earliest > latest:
        raise DateError(f"{text!r}: interval ends before it starts")
    return Bounds(earliest, latest, "other")


@lru_cache(maxsize=65536)
def parse_edtf(text: str) -> Bounds:
    """The earliest and latest day ``text`` (EDTF) can mean; DateError if it cannot be used."""
    if not text:
        raise DateError("the date is empty; write it in EDTF, e.g. '2017-11-03'")
    if text != text.strip():
        raise DateError(f"{text!r} has leading or trailing whitespace")
    return _fast_path(text) or _library(text)
