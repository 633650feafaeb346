"""Nothing the commands print commands the terminal: free text keeps its controls in the store,
and tables, CSV, JSON, the log and error messages write them escaped; numbers and moments out
of range are refused naming the option."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable

import pytest
from click.testing import Result

from tests import tampering
from tests.conftest import captured, launched
from timeline.formats import render
from timeline.terminal import UNSAFE, json_safe

Cli = Callable[..., Result]
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil\u202c\u2066x\u2069\x00\x7f\x85\ttab\nline"
ESCAPED = "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202eevil\\u202c\\u2066x\\u2069\\x00\\x7f\\x85"
SOURCE = {"outlet": "South Front", "reliability": "D", "credibility": "3", "quote": HOSTILE}


def _unsafe(text: str, allowed: str = "\n") -> list[str]:
    return [char for char in UNSAFE.findall(text) if char not in allowed]


@pytest.fixture
def hostile(cli: Cli) -> Cli:
    cli("record", "operation_launched", "--operation", "op-1", "--occurred", "2017-11-03",
        "--id", "op-1/launched", "--source", "South Front:D3", "--notes", HOSTILE,
        "--quote", HOSTILE)  # fmt: skip
    return cli


def test_free_text_is_stored_exactly(hostile: Cli) -> None:
    record, heads = [json.loads(line) for line in hostile("log", "--json").output.splitlines()]

    assert record["notes"] == HOSTILE
    assert record["sources"][0]["quote"] == HOSTILE
    assert list(heads) == ["chain_heads"]


def test_json_escapes_every_control_and_override_and_reads_back_the_same(hostile: Cli) -> None:
    for args in (("show", "op-1", "--format", "json"), ("query", "--format", "json"),
                 ("log", "--json"), ("history", "op-1/launched", "--format", "json"),
                 ("history", "op-1/launched")):  # fmt: skip
        out = hostile(*args).output

        assert _unsafe(out) == [], args
        assert "\\u009b" in out, args
    (row,) = json.loads(hostile("show", "op-1", "--format", "json").output)
    assert row["notes"] == HOSTILE
    (record,) = json.loads(hostile("history", "op-1/launched", "--format", "json").output)
    assert record["record"]["sources"][0]["quote"] == HOSTILE


def test_csv_writes_controls_as_their_codes_and_keeps_newlines_and_tabs_quoted(
    hostile: Cli,
) -> None:
    out = hostile("query", "--format", "csv").output

    assert _unsafe(out, allowed="\n\t\r") == []
    (row,) = csv.DictReader(io.StringIO(out))
    assert row["notes"] == ESCAPED + "\ttab\nline"
    listed = render([{"quotes": [HOSTILE]}], "csv")  # a list cell is JSON, with its escapes
    assert _unsafe(listed, allowed="\n") == []
    assert json.loads(next(csv.reader(io.StringIO(listed.split("\n", 1)[1])))[0]) == [HOSTILE]


def test_a_table_writes_controls_as_their_codes_on_one_line() -> None:
    rows = [{"notes": HOSTILE, "forces": [HOSTILE, "Iraqi Army"], "n": 1}]

    out = render(rows, "table")

    assert _unsafe(out) == []
    assert out.count("\n") == 3
    assert "\\x1b]0;pwned\\x07" in out


def test_the_log_and_the_messages_of_the_cli_write_controls_as_their_codes(cli: Cli) -> None:
    cli("import", "-", input=json.dumps(launched()) + "\n")

    unknown = cli("control", "\x1b[2J\u202eal-Qaim")
    bad_record = cli("record", "place_entered", "--operation", "op-1", "--occurred", "2017",
                     "--source", "S\x9b:D3", "--actor", "a\x1b:b:attacker",
                     "--place", "al-Qaim:34:41:town")  # fmt: skip

    for done in (unknown, bad_record):
        assert done.exit_code == 1
        assert _unsafe(done.output) == [], done.output
    assert "\\x1b[2J\\u202eal-Qaim" in unknown.output
    assert "actors.0.force: must be one line of text" in bad_record.output


def test_a_store_an_earlier_version_wrote_is_read_as_written_and_printed_escaped(
    cli: Cli, db: str
) -> None:
    """Input now refuses C1 controls and overrides in names and counts beyond 64 bits, which
    an earlier version stored: such a store is still read (and recorded into), as written,
    and printed with its controls as codes."""
    cli("import", "-", input=json.dumps(launched()) + "\n")
    cli("record", "place_entered", "--operation", "op-1", "--occurred", "2017", "--id",
        "op-1/OLD", "--source", "OLD:D3", "--actor", "OLD:b:attacker", "--strength", "77777",
        "--place", "OLD:34:41:town")  # fmt: skip
    tampering.edit_every(db, lambda state: state.replace(
        b"OLD", b"O\\u0085\\u009b\\u202eD").replace(b"77777", b"123456789012345678901234567890"),
        as_json=True,
    )  # as an earlier version could have written them: as JSON
    cli("rebuild")

    later = cli("record", "place_entered", "--operation", "op-1", "--occurred", "2017",
                "--source", "S:D3", "--actor", "a:b:attacker", "--place", "Rawa:34:42:town")
    out = cli("log").output + cli("log", "--json").output + cli("show", "op-1").output

    assert later.exit_code == 0, later.output
    assert "O\\x85\\x9b\\u202eD" in out
    assert _unsafe(out) == []
    assert '"best": 123456789012345678901234567890' in cli("log", "--json").output


def test_json_safe_is_lossless() -> None:
    document = json.dumps({"a": HOSTILE + "\u2028\u2029"}, ensure_ascii=False)

    assert json.loads(json_safe(document)) == json.loads(document)
    assert _unsafe(json_safe(document)) == []


# numbers and moments out of range: a message naming the option, never a traceback


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("show", "op-1", "--limit", "99999999999999999999"), "--limit"),
        (("query", "--limit", "9223372036854775807"), "--limit"),
        (("show", "op-1", "--after", "2017-11-03:99999999999999999999999"), "--after"),
        (("show", "op-1", "--after", ":9223372036854775808"), "--after"),
        (("show", "op-1", "--as-recorded", "0001-01-01T00:00:00+23:59"), "--as-recorded"),
        (("forces", "op-1", "--as-recorded", "9999-12-31T23:59:59-23:59"), "--as-recorded"),
        (("operations", "--known-by", "10000-01-01"), "--known-by"),
        (("control", "al-Qaim", "--on", "0000-01-01"), "--on"),
        (("query", "--between", "0000-01-01", "2017"), "--between"),
        (("record", "forces_committed", "--operation", "op-1", "--occurred", "2017",
          "--source", "S:D3", "--actor", "a:b:attacker", "--strength", "9" * 5000),
         "--strength"),
        (("record", "forces_committed", "--operation", "op-1", "--occurred", "2017",
          "--source", "S:D3", "--actor", "a:b:attacker", "--strength",
          "123456789012345678901234567890"), "--strength"),
        (("record", "report_corrected", "--operation", "op-1", "--source", "S:D3",
          "--corrects", "op-1/launched", "--change", "strength=" + "9" * 5000),
         "changes.strength"),
    ],
)  # fmt: skip
def test_a_number_or_moment_out_of_range_is_an_error_naming_the_option(
    cli: Cli, args: tuple[str, ...], option: str
) -> None:
    cli("import", "-", input=json.dumps(launched()) + "\n" + json.dumps(captured("op-1/a")))

    done = cli(*args)

    assert done.exit_code in (1, 2), done.output
    assert re.search(rf"(Error: |'){re.escape(option)}", done.output), done.output
    assert "Traceback" not in done.output
    assert len(done.output) < 1000
