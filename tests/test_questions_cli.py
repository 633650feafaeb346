"""The questions from the command line: tables, JSON, CSV, and clear refusals."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable

import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st
from tabulate import tabulate

from tests.conftest import AL_QAIM, ROOT, run_timeline
from timeline.formats import _ONE_COLUMN_EACH, table

Cli = Callable[..., Result]


@pytest.fixture
def al_qaim(cli: Cli) -> Cli:
    cli("import", str(AL_QAIM))
    return cli


def test_show_prints_the_timeline_in_order_with_dates_as_written_and_grades(al_qaim: Cli) -> None:
    result = al_qaim("show", "al-qaim-2017")

    lines = result.output.splitlines()
    assert result.exit_code == 0
    assert lines[0].split()[:4] == ["occurred", "type", "place", "by"]
    assert "operation_launched" in lines[2]
    assert "2017-11-03~" in lines[3]
    assert "40,000 (35,000–45,000)" in lines[3]
    assert "D2" in next(line for line in lines if "crossing_captured" in line)


def test_show_as_json_is_an_array_of_objects(al_qaim: Cli) -> None:
    rows = json.loads(al_qaim("show", "al-qaim-2017", "--format", "json").output)

    assert [row["type"] for row in rows][:2] == ["operation_launched", "forces_committed"]
    assert rows[1]["strength_best"] == 40000


def test_query_as_csv_has_a_header_row(al_qaim: Cli) -> None:
    output = al_qaim("query", "--type", "place_liberated", "--format", "csv").output

    rows = list(csv.DictReader(io.StringIO(output)))
    assert [row["place"] for row in rows] == ["al-Qaim train station", "al-Karablah"]


def test_query_filters_by_place_alias_text_and_grade(al_qaim: Cli) -> None:
    by_alias = al_qaim("query", "--place", "القائم", "--format", "json").output
    by_text = al_qaim("query", "--text", "Karablah", "--format", "json").output
    by_grade = al_qaim("query", "--min-grade", "D2", "--format", "json").output

    assert len(json.loads(by_alias)) == 4
    assert [r["id"] for r in json.loads(by_text)] == ["al-qaim-2017/karablah-liberated"]
    assert [r["id"] for r in json.loads(by_grade)] == ["al-qaim-2017/crossing-captured"]


def test_control_lists_the_periods_of_a_place(al_qaim: Cli) -> None:
    output = al_qaim("control", "al-Qaim border crossing").output

    assert "Iraq" in output.splitlines()[2]
    assert "(holds)" in output


def test_control_on_a_day_names_the_holder(al_qaim: Cli) -> None:
    rows = json.loads(
        al_qaim("control", "Husaybah border crossing", "--on", "2017-11-04",
                "--format", "json").output
    )  # fmt: skip

    assert rows == [{"place": "al-Qaim border crossing", "on": "2017-11-04", "answer": "held",
                     "side": "Iraq", "since": "al-qaim-2017/crossing-captured",
                     "candidates": ["Iraq"], "contested": False}]  # fmt: skip


def test_forces_summarises_who_committed_what(al_qaim: Cli) -> None:
    rows = json.loads(al_qaim("forces", "al-qaim-2017", "--format", "json").output)

    army = next(row for row in rows if row["force"] == "Iraqi Army")
    assert (army["side"], army["strength_best"], army["places_taken"]) == ("Iraq", 40000, 3)


def test_operations_lists_each_operation_with_its_status(al_qaim: Cli) -> None:
    rows = json.loads(al_qaim("operations", "--format", "json").output)

    assert [(r["operation"], r["status"], r["places_taken"]) for r in rows] == [
        ("al-qaim-2017", "ongoing", 3)
    ]


def test_history_shows_an_event_and_its_corrections(al_qaim: Cli) -> None:
    al_qaim("record", "report_corrected", "--operation", "al-qaim-2017",
            "--corrects", "al-qaim-2017/launched", "--change", "occurred=2017-10-26",
            "--source", "Reuters:B2:2017-10-26")  # fmt: skip

    rows = json.loads(al_qaim("history", "al-qaim-2017/launched", "--format", "json").output)
    shown = json.loads(al_qaim("show", "al-qaim-2017", "--format", "json").output)

    assert [row["type"] for row in rows] == ["operation_launched", "report_corrected"]
    assert shown[0]["occurred"] == "2017-10-26"
    assert shown[0]["status"] == "corrected"


def test_an_unknown_place_is_refused_with_the_nearest_names(al_qaim: Cli) -> None:
    result = al_qaim("control", "al-Qaem")

    assert result.exit_code == 1
    assert result.output == "Error: unknown place 'al-Qaem'; did you mean 'al-Qaim'?\n"


def test_an_unknown_operation_is_refused_with_the_nearest_names(al_qaim: Cli) -> None:
    result = al_qaim("forces", "al-qaim-2018")

    assert result.exit_code == 1
    assert (
        result.output == "Error: unknown operation 'al-qaim-2018'; did you mean 'al-qaim-2017'?\n"
    )


def test_a_malformed_grade_or_date_is_refused(al_qaim: Cli) -> None:
    grade = al_qaim("query", "--min-grade", "Z9")
    day = al_qaim("control", "al-Qaim", "--on", "yesterday")
    moment = al_qaim("show", "al-qaim-2017", "--as-recorded", "2017-11-05")

    assert (grade.exit_code, day.exit_code, moment.exit_code) == (1, 1, 1)
    assert "not an Admiralty grade" in grade.output
    assert "'yesterday' is not a date" in day.output
    assert "needs a time zone" in moment.output


def test_as_recorded_before_anything_was_recorded_finds_nothing(al_qaim: Cli) -> None:
    result = al_qaim("operations", "--as-recorded", "2017-11-05T00:00:00Z", "--format", "json")

    assert json.loads(result.output) == []


def test_known_by_a_day_before_publication_finds_nothing(al_qaim: Cli) -> None:
    result = al_qaim("query", "--known-by", "2017-11-01", "--format", "json")

    assert json.loads(result.output) == []


def test_project_and_rebuild_report_what_they_did(al_qaim: Cli) -> None:
    assert al_qaim("project").output == "0 events projected\n"
    assert al_qaim("rebuild").output == "13 events projected\n"


def test_a_question_from_a_new_process_answers_without_a_traceback(db: str) -> None:
    run_timeline("--db", db, "import", str(AL_QAIM))

    shown = run_timeline("--db", db, "show", "al-qaim-2017", "--format", "csv")
    refused = run_timeline("--db", db, "show", "no-such-operation")

    assert shown.returncode == 0
    assert len(shown.stdout.decode().splitlines()) == 9
    assert refused.returncode == 1
    assert refused.stderr == b"Error: unknown operation 'no-such-operation'\n"


def test_a_long_answer_is_cut_at_the_limit_and_says_so(al_qaim: Cli) -> None:
    table = al_qaim("show", "al-qaim-2017", "--limit", "3")
    every = json.loads(al_qaim("show", "al-qaim-2017", "--format", "json").output)
    three = json.loads(al_qaim("query", "--limit", "3", "--format", "json").stdout)

    assert len(table.stdout.splitlines()) == 5
    assert "the first 3 events" in table.stderr
    assert len(every) == 8
    assert [row["id"] for row in three] == [row["id"] for row in every[:3]]


def test_the_next_page_starts_where_the_cursor_the_last_one_gave_says(al_qaim: Cli) -> None:
    first = al_qaim("show", "al-qaim-2017", "--limit", "3", "--format", "json")
    cursor = first.stderr.split("--after ")[1].split()[0]
    second = al_qaim("query", "--operation", "al-qaim-2017", "--limit", "3", "--after", cursor,
                     "--format", "json")  # fmt: skip
    rest = al_qaim("show", "al-qaim-2017", "--after", cursor, "--limit", "0", "--format", "csv")
    every = json.loads(al_qaim("show", "al-qaim-2017", "--format", "json").stdout)

    assert first.stderr.startswith("(the first 3 events: --after ")
    assert second.stderr.startswith("(3 events: --after ")
    assert "--limit 0 for the rest" in second.stderr
    assert json.loads(first.stdout) + json.loads(second.stdout) == every[:6]
    assert [row["id"] for row in csv.DictReader(io.StringIO(rest.stdout))] == [
        row["id"] for row in every[3:]
    ]
    assert rest.stderr == ""


def test_a_cursor_no_page_gave_is_refused(al_qaim: Cli) -> None:
    result = al_qaim("show", "al-qaim-2017", "--after", "page 2")

    assert result.exit_code == 1
    assert "Error: --after: 'page 2' is not a page cursor" in result.output


Cells = st.text(alphabet=st.sampled_from(sorted(_ONE_COLUMN_EACH)), max_size=12)


@given(rows=st.lists(st.fixed_dictionaries({"a": Cells, "b": Cells, "c": Cells}), min_size=1,
                     max_size=6),
       titles=st.lists(st.sampled_from(["id", "place", "#", "since event"]), min_size=3,
                       max_size=3))  # fmt: skip
def test_a_table_of_plain_text_is_laid_out_as_tabulate_lays_it_out(
    rows: list[dict[str, str]], titles: list[str]
) -> None:
    """The table printer's own layout, for cells one column wide each, is tabulate's."""
    columns = list(zip(["a", "b", "c"], titles, strict=True))

    expected = tabulate([[row[k] for k, _ in columns] for row in rows], headers=titles,
                        disable_numparse=True) + "\n"  # fmt: skip

    assert table(rows, columns) == expected


def test_a_table_with_wide_or_invisible_characters_is_laid_out_by_tabulate() -> None:
    rows = [{"place": "القائم", "by": "Iraq"}, {"place": "zero\u200bwidth", "by": "\x1b[31mISIS"}]
    shown = [["القائم", "Iraq"], ["zero\u200bwidth", "\\x1b[31mISIS"]]  # ESC escaped

    assert table(rows) == tabulate(shown, headers=["place", "by"],
                                   disable_numparse=True) + "\n"  # fmt: skip


def test_a_question_imports_neither_the_write_side_nor_sqlite_utils_nor_tabulate(db: str) -> None:
    """What a question's process imports is what it waits for: pydantic and eventsourcing
    (the write side), sqlite-utils (which imports pandas where installed), tabulate (for a
    plain table)."""
    run_timeline("--db", db, "import", str(AL_QAIM))
    script = f"""
import sys
from timeline.cli import main
for args in (["show", "al-qaim-2017"], ["query", "--text", "Karablah"],
             ["control", "al-Qaim", "--as-recorded", "2100-01-01T00:00:00Z"],
             ["show", "al-qaim-2017", "--known-by", "2017-12-01"]):
    try:
        main(["--db", {db!r}, *args])
    except SystemExit as done:
        assert done.code == 0, args
heavy = {{"eventsourcing", "pydantic", "sqlite_utils", "pandas", "tabulate"}} & set(sys.modules)
assert not heavy, heavy
"""

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=ROOT)

    assert done.returncode == 0, done.stderr.decode()
    assert b"al-qaim-2017/karablah-liberated" in done.stdout
