"""The `timeline` command, exercised as an analyst types it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from tests.conftest import AL_QAIM, captured, launched, run_timeline, write_jsonl
from timeline.api import OpsTimeline
from timeline.cli import main

Cli = Callable[..., Result]


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run `timeline ARGS` in this process, on whatever store the arguments name."""
    return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)


def test_import_reports_new_and_already_recorded(cli: Cli) -> None:
    first = cli("import", str(AL_QAIM))
    second = cli("import", str(AL_QAIM))

    assert (first.exit_code, first.output) == (0, "8 new, 0 already recorded\n")
    assert (second.exit_code, second.output) == (0, "0 new, 8 already recorded\n")


def test_import_of_a_bad_file_exits_1_listing_errors_without_a_traceback(
    db: str, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [launched(), captured("op-1/a", actors=[])])

    result = run_timeline("--db", db, "import", str(path))

    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [
        f"{path}:2: actors: must list at least 1 (found none)",
        "nothing was imported (1 error)",
    ]
    assert b"Traceback" not in result.stderr


def test_import_into_an_unlaunched_operation_names_the_option_that_allows_it(
    db: str, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "late.jsonl", [captured("op-1/a")])

    result = run_timeline("--db", db, "import", str(path))

    assert result.returncode == 1
    assert result.stderr.decode().splitlines()[-1] == (
        "(--unlaunched allows events of operations whose launch nobody recorded)"
    )


def test_a_question_s_bad_option_is_named_as_the_option(cli: Cli) -> None:
    cli("import", str(AL_QAIM))

    result = cli("show", "al-qaim-2017", "--as-recorded", "2017-11-05T12:00:00")

    assert result.exit_code == 1
    assert result.output == (
        "Error: --as-recorded: needs a time zone: Z or an offset (+03:00)\n"
    )


def test_import_reads_standard_input(cli: Cli) -> None:
    result = cli("import", "-", input=AL_QAIM.read_bytes())

    assert result.output == "8 new, 0 already recorded\n"


def test_import_of_a_missing_file_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("import", str(tmp_path / "nope.jsonl"))

    assert result.exit_code == 1
    assert "no such file" in result.output


def test_record_appends_one_event_from_options(cli: Cli) -> None:
    cli("import", str(AL_QAIM))

    result = cli(
        "record",
        "place_liberated",
        "--operation",
        "al-qaim-2017",
        "--id",
        "al-qaim-2017/gaza",
        "--occurred",
        "2017-11-04~",
        "--place",
        "Gaza (al-Qaim)",
        "--actor",
        "Iraqi Army:Iraq:attacker",
        "--actor",
        "Islamic State:ISIS:defender",
        "--source",
        "South Front:D3:https://southfront.org/x:2017-11-04",
        "--quote",
        "liberated Gaza",
    )
    log = cli("log", "al-qaim-2017", "--json")

    assert (result.exit_code, result.output) == (0, "recorded: al-qaim-2017/gaza\n")
    assert json.loads(log.output.splitlines()[-2]) == {  # [-1]: the chain heads
        "id": "al-qaim-2017/gaza",
        "type": "place_liberated",
        "operation": "al-qaim-2017",
        "occurred": "2017-11-04~",
        "place": "Gaza (al-Qaim)",
        "actors": [
            {"force": "Iraqi Army", "side": "Iraq", "role": "attacker"},
            {"force": "Islamic State", "side": "ISIS", "role": "defender"},
        ],
        "sources": [
            {
                "outlet": "South Front",
                "url": "https://southfront.org/x",
                "published": "2017-11-04",
                "reliability": "D",
                "credibility": "3",
                "quote": "liberated Gaza",
            }
        ],
    }


def test_record_with_a_full_place_strength_and_aliases(cli: Cli) -> None:
    cli(
        "record",
        "operation_launched",
        "--operation",
        "op-1",
        "--occurred",
        "2017-11",
        "--source",
        "Reuters:B2",
    )

    result = cli(
        "record",
        "forces_committed",
        "--operation",
        "op-1",
        "--occurred",
        "2017-11-03",
        "--place",
        "al-Qaim:34.3686:41.0944:town",
        "--alias",
        "القائم",
        "--actor",
        "Iraqi Army:Iraq:attacker",
        "--strength",
        "40000:35000:45000",
        "--source",
        "Reuters:B2:2017-11-03",
    )
    record = json.loads(cli("log", "--json").output.splitlines()[-2])  # [-1]: chain heads

    assert result.exit_code == 0
    assert record["place"]["aliases"] == ["القائم"]
    assert record["strength"] == {"best": 40000, "low": 35000, "high": 45000}
    assert record["sources"][0] == {
        "outlet": "Reuters",
        "published": "2017-11-03",
        "reliability": "B",
        "credibility": "2",
    }


def test_record_without_an_id_derives_one_so_a_repeated_command_is_a_no_op(cli: Cli) -> None:
    args = (
        "record",
        "operation_launched",
        "--operation",
        "op-1",
        "--occurred",
        "2017-11",
        "--source",
        "Reuters:B2",
    )

    first, second = cli(*args), cli(*args)

    assert first.output.startswith("recorded: op-1/operation_launched-")
    assert second.output.startswith("already recorded: op-1/operation_launched-")


def test_the_python_api_derives_the_id_the_command_line_derives(cli: Cli, db: str) -> None:
    recorded = cli(
        "record", "operation_launched", "--operation", "op-1", "--occurred", "2017-11",
        "--source", "Reuters:B2",
    )  # fmt: skip
    ops = OpsTimeline(db)

    again = ops.record({
        "type": "operation_launched", "operation": "op-1", "occurred": "2017-11",
        "sources": [{"outlet": "Reuters", "reliability": "B", "credibility": "2"}],
    })  # fmt: skip

    assert again is False
    assert [event.record.id for event in ops.log()] == [recorded.output.split(": ")[1].strip()]
    ops.close()


def test_record_corrections_take_changes_as_key_value(cli: Cli) -> None:
    cli("import", str(AL_QAIM))

    result = cli(
        "record",
        "report_corrected",
        "--operation",
        "al-qaim-2017",
        "--corrects",
        "al-qaim-2017/forces-committed",
        "--change",
        'strength={"best": 30000}',
        "--change",
        "occurred=2017-11-02",
        "--source",
        "Reuters:B2",
    )
    record = json.loads(cli("log", "--json").output.splitlines()[-2])  # [-1]: chain heads

    assert result.exit_code == 0
    assert record["changes"] == {"strength": {"best": 30000}, "occurred": "2017-11-02"}


def test_record_refuses_a_broken_rule_with_field_and_message_exit_1(cli: Cli) -> None:
    result = cli(
        "record",
        "place_captured",
        "--operation",
        "op-1",
        "--occurred",
        "2017-11-03",
        "--place",
        "al-Qaim",
        "--actor",
        "Iraqi Army:Iraq:attacker",
        "--source",
        "Reuters:B9",
    )

    assert result.exit_code == 1
    assert result.output == (
        "Error: sources.0.credibility: Input should be '1', '2', '3', '4', '5' or '6'\n"
    )


def test_record_refuses_a_malformed_option_naming_it(cli: Cli) -> None:
    result = cli(
        "record",
        "place_captured",
        "--operation",
        "op-1",
        "--occurred",
        "2017-11-03",
        "--place",
        "al-Qaim",
        "--actor",
        "Iraqi Army",
        "--source",
        "Reuters:B2",
    )

    assert result.exit_code == 1
    assert result.output == "Error: --actor: expected FORCE:SIDE:ROLE, got 'Iraqi Army'\n"


def test_log_shows_each_event_with_the_time_it_was_recorded(cli: Cli) -> None:
    cli("import", str(AL_QAIM))

    lines = cli("log").output.splitlines()

    assert len(lines) == 8
    assert "crossing_captured" in lines[3]
    assert "al-Qaim border crossing" in lines[3]
    assert "[D2]" in lines[3]


def test_log_json_piped_into_import_copies_the_store_and_a_second_export_is_equal(
    cli: Cli, tmp_path: Path
) -> None:
    cli("import", str(AL_QAIM))
    cli(
        "record",
        "place_entered",
        "--operation",
        "al-qaim-2017",
        "--occurred",
        "2017-11-04",
        "--place",
        "القائم",
        "--actor",
        "Iraqi Army:Iraq:attacker",
        "--source",
        "Reuters:B2",
    )
    first = cli("log", "--json").output

    copy = str(tmp_path / "copy.db")
    imported = invoke("--db", copy, "import", "-", input=first)
    second = invoke("--db", copy, "log", "--json").output

    assert imported.output == "9 new, 0 already recorded\n"
    assert second.splitlines()[:-1] == first.splitlines()[:-1]  # the heads: of each store


def test_the_store_comes_from_the_environment_when_db_is_not_given(tmp_path: Path) -> None:
    db = str(tmp_path / "env.db")

    result = invoke("import", str(AL_QAIM), env={"TIMELINE_DB": db})

    assert result.exit_code == 0
    assert len(invoke("--db", db, "log").output.splitlines()) == 8


def test_every_command_has_a_summary_and_an_example_in_its_help() -> None:
    for name, command in main.commands.items():
        help_text = invoke(name, "--help").output

        assert command.get_short_help_str(), name
        assert "timeline " in help_text.split("Options:")[0], f"{name} --help has no example"


def test_the_store_may_be_named_after_the_command_too(tmp_path: Path) -> None:
    db = str(tmp_path / "after.db")

    imported = invoke("import", str(AL_QAIM), "--db", db)
    shown = invoke("show", "al-qaim-2017", "--db", db, "--format", "json")

    assert imported.output == "8 new, 0 already recorded\n"
    assert len(json.loads(shown.output)) == 8


def test_import_no_project_leaves_the_read_models_to_project(cli: Cli) -> None:
    cli("import", str(AL_QAIM), "--no-project")

    before = cli("operations", "--format", "json")
    not_yet = cli("show", "al-qaim-2017")
    projected = cli("project")
    after = cli("operations", "--format", "json")

    assert json.loads(before.output) == []
    assert "run `timeline project`" in not_yet.output
    assert projected.output == "13 events projected\n"
    assert [row["operation"] for row in json.loads(after.output)] == ["al-qaim-2017"]
