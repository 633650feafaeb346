"""Researchers' papercuts, each with the error (or the answer) a user now gets."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import AL_QAIM
from timeline.cli import main

Cli = Callable[..., Result]


@pytest.fixture
def al_qaim(cli: Cli) -> Cli:
    cli("import", str(AL_QAIM))
    return cli


@pytest.mark.parametrize(
    ("option", "typed", "spelled", "events"),
    [("--side", "iraq", "Iraq", 8), ("--side", "IRAQ", "Iraq", 8),
     ("--force", "iraqi army", "Iraqi Army", 7), ("--force", "ISLAMIC STATE", "Islamic State", 5)],
)  # fmt: skip
def test_query_matches_side_and_force_regardless_of_case(
    al_qaim: Cli, option: str, typed: str, spelled: str, events: int
) -> None:
    result = al_qaim("query", option, typed, "--format", "json")

    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == events
    assert result.stdout == al_qaim("query", option, spelled, "--format", "json").stdout


def test_query_of_an_unknown_type_is_an_error_listing_the_types(al_qaim: Cli) -> None:
    result = al_qaim("query", "--type", "place_liberatd")

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --type: 'place_liberatd' is not an event type; one of ")
    assert "operation_launched, forces_committed" in result.stderr
    assert "place_liberated" in result.stderr
    assert "report_corrected" not in result.stderr


def test_query_of_a_known_type_no_event_has_finds_nothing(al_qaim: Cli) -> None:
    result = al_qaim("query", "--type", "casualties_reported")

    assert result.exit_code == 0
    assert result.stdout == "(nothing found)\n"


def test_query_between_dates_given_in_reverse_is_an_error(al_qaim: Cli) -> None:
    result = al_qaim("query", "--between", "2017-11-30", "2017-11-01")

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --between: 2017-11-30 2017-11-01: the first date is after the second; "
        "give FROM, then TO\n"
    )


@pytest.mark.parametrize(
    "question",
    [["show", "al-qaim-2017"], ["operations"], ["query", "--text", "x"], ["control", "al-Qaim"]],
)
def test_a_question_of_a_db_that_does_not_exist_says_so_and_creates_nothing(
    tmp_path: Path, question: list[str]
) -> None:
    missing = tmp_path / "al-qaim.db"

    result = CliRunner().invoke(main, ["--db", str(missing), *question])

    assert result.exit_code == 1
    assert result.stderr == f"Error: no store at {missing}\n"
    assert list(tmp_path.iterdir()) == []


def test_history_prints_each_record_whole_as_readable_json(al_qaim: Cli) -> None:
    result = al_qaim("history", "al-qaim-2017/launched")

    assert result.exit_code == 0
    head, *body = result.stdout.splitlines()
    assert "  operation_launched  al-qaim-2017/launched  by " in head  # and who recorded it
    record = json.loads("\n".join(body))
    assert record["place"]["aliases"][-1] == "القائم"  # Arabic as it is, not \\u escapes
    assert "القائم" in result.stdout
    assert record["notes"].endswith("the start date is contested.")  # not cut
