"""EDTF text -> earliest/latest day: our fast path, our padding, and the edtf library fallback."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from datetime import date

import edtf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timeline.dates import Bounds, DateError, parse_edtf

# The edtf library parses only ~20-200 texts/s, so tests that call it draw fewer examples.
CALLS_THE_LIBRARY = settings(max_examples=100, deadline=None)
FAST_PATH_ONLY = settings(max_examples=200, deadline=None)

DAYS = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
PRECISIONS = st.sampled_from(["day", "month", "year"])
QUALIFIERS = st.sampled_from(["", "~", "?", "%"])


def written(day: date, precision: str) -> str:
    """How an analyst writes ``day`` at ``precision`` (years are always four digits)."""
    text = f"{day.year:04d}"
    if precision in ("month", "day"):
        text += f"-{day.month:02d}"
    if precision == "day":
        text += f"-{day.day:02d}"
    return text


PLAIN_DATES = st.builds(written, DAYS, PRECISIONS)
QUALIFIED_DATES = st.builds(lambda text, qualifier: text + qualifier, PLAIN_DATES, QUALIFIERS)


@st.composite
def ordered_intervals(draw: st.DrawFn, qualifiers: st.SearchStrategy[str]) -> str:
    """``A/B`` with A's day <= B's day, so the interval is in order at any precision."""
    first, second = sorted((draw(DAYS), draw(DAYS)))
    start = written(first, draw(PRECISIONS)) + draw(qualifiers)
    return f"{start}/{written(second, draw(PRECISIONS))}{draw(qualifiers)}"


# In order or reversed: the library accepts reversed intervals, we refuse them.
PLAIN_INTERVALS = st.builds(lambda start, end: f"{start}/{end}", PLAIN_DATES, PLAIN_DATES)
OPEN_INTERVALS = st.one_of(
    PLAIN_DATES.map(lambda text: f"{text}/.."), PLAIN_DATES.map(lambda text: f"../{text}")
)
QUALIFIED_INTERVALS = st.one_of(
    ordered_intervals(QUALIFIERS),
    st.builds(lambda text, end: f"{text}/{end}", QUALIFIED_DATES, st.sampled_from(["..", ""])),
    st.builds(lambda start, text: f"{start}/{text}", st.sampled_from(["..", ""]), QUALIFIED_DATES),
)


def library_bounds(text: str) -> tuple[date | None, date | None]:
    """The edtf library's strict bounds; None for its -inf/+inf."""
    parsed = edtf.parse_edtf(text)

    def day(bound: time.struct_time | float) -> date | None:
        if isinstance(bound, float):
            return None
        return date(bound.tm_year, bound.tm_mon, bound.tm_mday)

    return day(parsed.lower_strict()), day(parsed.upper_strict())


def test_a_day_is_its_own_earliest_and_latest() -> None:
    assert parse_edtf("2017-11-03") == Bounds(date(2017, 11, 3), date(2017, 11, 3), "day")


def test_a_month_runs_from_its_first_to_its_last_day() -> None:
    assert parse_edtf("2017-11") == Bounds(date(2017, 11, 1), date(2017, 11, 30), "month")
    assert parse_edtf("2016-02") == Bounds(date(2016, 2, 1), date(2016, 2, 29), "month")


def test_a_year_runs_from_january_first_to_december_thirty_first() -> None:
    assert parse_edtf("2017") == Bounds(date(2017, 1, 1), date(2017, 12, 31), "year")


@pytest.mark.parametrize("qualifier", ["~", "?"])
def test_approximate_day_is_padded_by_three_days(qualifier: str) -> None:
    assert parse_edtf(f"2017-11-03{qualifier}") == Bounds(
        date(2017, 10, 31), date(2017, 11, 6), "day"
    )


def test_approximate_and_uncertain_day_is_padded_by_six_days() -> None:
    assert parse_edtf("2017-11-03%") == Bounds(date(2017, 10, 28), date(2017, 11, 9), "day")


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("2017-11~", date(2017, 10, 1), date(2017, 12, 31)),
        ("2017-11?", date(2017, 10, 1), date(2017, 12, 31)),
        ("2017-12~", date(2017, 11, 1), date(2018, 1, 31)),
        ("2017-03%", date(2017, 1, 1), date(2017, 5, 31)),
        ("2017-01%", date(2016, 11, 1), date(2017, 3, 31)),
    ],
)
def test_qualified_month_is_padded_by_whole_calendar_months(
    text: str, earliest: date, latest: date
) -> None:
    assert parse_edtf(text) == Bounds(earliest, latest, "month")


def test_qualified_year_is_padded_by_whole_years() -> None:
    assert parse_edtf("2017?") == Bounds(date(2016, 1, 1), date(2018, 12, 31), "year")
    assert parse_edtf("2017%") == Bounds(date(2015, 1, 1), date(2019, 12, 31), "year")


def test_padding_stops_at_the_ends_of_the_calendar() -> None:
    assert parse_edtf("0001-01~") == Bounds(date(1, 1, 1), date(1, 2, 28), "month")
    assert parse_edtf("9999%") == Bounds(date(9997, 1, 1), date(9999, 12, 31), "year")
    assert parse_edtf("9999-12-31~").latest == date(9999, 12, 31)


@pytest.mark.parametrize(
    "text",
    ["2017-02-29", "1900-02-29", "2017-02-29~", "2017-02-29/2017-03-01", "2017-02-29T10:00:00"],
)
def test_february_29_of_a_common_year_is_refused(text: str) -> None:
    with pytest.raises(DateError, match="not a real calendar date"):
        parse_edtf(text)


def test_february_29_of_a_leap_year_is_accepted() -> None:
    assert parse_edtf("2016-02-29").earliest == date(2016, 2, 29)
    assert parse_edtf("2000-02-29").earliest == date(2000, 2, 29)


def test_a_day_the_month_does_not_have_is_refused() -> None:
    with pytest.raises(DateError, match="'2017-11-31' is not a real calendar date"):
        parse_edtf("2017-11-31")


def test_a_set_holding_an_unreal_day_is_refused_even_when_its_bounds_are_real() -> None:
    with pytest.raises(DateError, match="'2017-02-29' is not a real calendar date"):
        parse_edtf("[2017-01-01,2017-02-29,2017-03-01]")


@pytest.mark.parametrize("text", ["2017-13", "2017-00", "17-11-03", "2017/11/03", "3 Nov 2017"])
def test_text_that_is_not_edtf_is_refused(text: str) -> None:
    with pytest.raises(DateError, match="is not an EDTF date"):
        parse_edtf(text)


def test_digits_in_other_scripts_are_refused() -> None:
    with pytest.raises(DateError):
        parse_edtf("٢٠١٧-١١-٠٣")


def test_year_zero_and_five_digit_years_are_refused() -> None:
    for text in ("0000", "Y20170"):
        with pytest.raises(DateError, match="outside the supported calendar"):
            parse_edtf(text)


def test_empty_text_is_refused() -> None:
    with pytest.raises(DateError, match="empty"):
        parse_edtf("")


@pytest.mark.parametrize("text", [" 2017-11-03", "2017-11-03 ", "2017-11-03\n", "\t2017"])
def test_surrounding_whitespace_is_refused(text: str) -> None:
    with pytest.raises(DateError, match="whitespace"):
        parse_edtf(text)


def test_an_interval_runs_from_the_start_of_its_first_to_the_end_of_its_last_date() -> None:
    assert parse_edtf("2017-10-26/2017-11-03") == Bounds(
        date(2017, 10, 26), date(2017, 11, 3), "interval"
    )
    assert parse_edtf("2017-10/2017-11") == Bounds(
        date(2017, 10, 1), date(2017, 11, 30), "interval"
    )


def test_qualified_interval_ends_are_padded() -> None:
    assert parse_edtf("2017-10-26~/2017-11-03%") == Bounds(
        date(2017, 10, 23), date(2017, 11, 9), "interval"
    )


@pytest.mark.parametrize(
    "text", ["2017-11-05/2017-11-01", "2018/2017-12", "2017-11-05~/2017-11-03~"]
)
def test_reversed_interval_is_refused(text: str) -> None:
    with pytest.raises(DateError, match="interval ends before it starts"):
        parse_edtf(text)


def test_an_interval_may_start_and_end_on_the_same_day() -> None:
    assert parse_edtf("2017-11-03/2017-11-03").earliest == date(2017, 11, 3)
    assert parse_edtf("2017-11/2017-11-01").latest == date(2017, 11, 1)


@pytest.mark.parametrize("text", ["2017-11-01/..", "2017-11-01/", "2017-11-01~/.."])
def test_open_ended_interval_has_no_latest(text: str) -> None:
    bounds = parse_edtf(text)
    assert bounds.latest is None
    assert bounds.earliest is not None
    assert bounds.earliest <= date(2017, 11, 1)


@pytest.mark.parametrize("text", ["../2017-11", "/2017-11"])
def test_open_started_interval_has_no_earliest(text: str) -> None:
    assert parse_edtf(text) == Bounds(None, date(2017, 11, 30), "interval")


@pytest.mark.parametrize("text", ["../..", "/..", "../", "/"])
def test_interval_with_neither_start_nor_end_is_refused(text: str) -> None:
    with pytest.raises(DateError, match="neither a start nor an end"):
        parse_edtf(text)


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("201X", date(2010, 1, 1), date(2019, 12, 31)),
        ("2017-11-XX", date(2017, 11, 1), date(2017, 11, 30)),
        ("2017-02-XX", date(2017, 2, 1), date(2017, 2, 28)),
    ],
)
def test_unspecified_digits_fall_back_to_the_edtf_library(
    text: str, earliest: date, latest: date
) -> None:
    assert parse_edtf(text) == Bounds(earliest, latest, "other")


def test_seasons_and_sets_fall_back_to_the_edtf_library() -> None:
    assert parse_edtf("2017-21") == Bounds(date(2017, 3, 1), date(2017, 5, 31), "other")
    assert parse_edtf("[2017-11-01,2017-11-03]") == Bounds(
        date(2017, 11, 1), date(2017, 11, 3), "other"
    )
    assert parse_edtf("[..2017-11-03]") == Bounds(None, date(2017, 11, 3), "other")


@pytest.mark.parametrize("text", ["2017-1X", "2017-11-0X", "2017-XX/2018"])
def test_valid_edtf_the_library_cannot_bound_is_refused_quietly(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(DateError, match="cannot be bounded by the edtf library"):
        parse_edtf(text)
    assert capsys.readouterr().out == ""


def test_bounds_cannot_be_changed() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_edtf("2017").precision = "day"  # type: ignore[misc]


def test_importing_the_module_does_not_load_the_slow_edtf_library() -> None:
    check = "import sys, timeline.dates; assert 'edtf' not in sys.modules"
    subprocess.run([sys.executable, "-c", check], check=True)


def test_a_date_error_is_a_value_error() -> None:
    assert issubclass(DateError, ValueError)


@CALLS_THE_LIBRARY
@given(st.one_of(PLAIN_DATES, PLAIN_INTERVALS, OPEN_INTERVALS))
def test_fast_path_bounds_agree_with_the_edtf_library(text: str) -> None:
    lower, upper = library_bounds(text)
    if lower is not None and upper is not None and lower > upper:  # the library accepts these
        with pytest.raises(DateError, match="interval ends before it starts"):
            parse_edtf(text)
        return
    bounds = parse_edtf(text)
    assert bounds.precision != "other"
    assert (bounds.earliest, bounds.latest) == (lower, upper)


@CALLS_THE_LIBRARY
@given(st.one_of(QUALIFIED_DATES, QUALIFIED_INTERVALS))
def test_fast_path_accepts_only_what_the_edtf_library_accepts(text: str) -> None:
    assert parse_edtf(text).precision != "other"
    assert edtf.is_valid_edtf(text)


@FAST_PATH_ONLY
@given(PLAIN_DATES, QUALIFIERS)
def test_qualified_bounds_contain_the_unqualified_bounds(text: str, qualifier: str) -> None:
    plain, qualified = parse_edtf(text), parse_edtf(text + qualifier)
    assert plain.earliest is not None
    assert plain.latest is not None
    assert qualified.earliest is not None
    assert qualified.latest is not None
    assert qualified.earliest <= plain.earliest <= plain.latest <= qualified.latest
    assert qualified.precision == plain.precision


@FAST_PATH_ONLY
@given(st.one_of(QUALIFIED_DATES, QUALIFIED_INTERVALS))
def test_bounds_are_always_in_order(text: str) -> None:
    bounds = parse_edtf(text)
    if bounds.earliest is not None and bounds.latest is not None:
        assert bounds.earliest <= bounds.latest
