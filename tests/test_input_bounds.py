"""Input is bounded and says what it refuses, on every way into the store: controls and
bidirectional overrides in one-line fields, numbers SQLite cannot hold, dates outside years
1-9999, keys given twice, lines over the cap; and no error repeats a long value whole."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, captured, launched
from tests.ways import Way
from timeline.application import Imported, Timeline
from timeline.errors import ImportFailed, InvalidRecord, UnreadableFile
from timeline.events import LARGEST_COUNT
from timeline.jsonl import LONGEST_LINE, blocks
from timeline.registry import record_json
from timeline.validation import parse_record, repeated_key, repeated_keys

UNSAFE = {
    "\x00": "U+0000, a control character",
    "\x07": "U+0007, a control character",
    "\x1b": "U+001B, a control character",
    "\x7f": "U+007F, a control character",
    "\x85": "U+0085, a control character",
    "\x9b": "U+009B, a control character",
    "\u2028": "U+2028, a line break",
    "\u202a": "U+202A, a bidirectional override",
    "\u202e": "U+202E, a bidirectional override",
    "\u2066": "U+2066, a bidirectional override",
    "\u2069": "U+2069, a bidirectional override",
}
PLACE = {"name": "al-Qaim", "lat": 34.37, "lon": 41.09, "kind": "town", "aliases": ["Qaim"]}


def _with(record: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """The record with the value at a dotted field (`sources.0.outlet`) replaced."""
    record = json.loads(json.dumps(record))
    *path, last = field.split(".")
    inner: Any = record
    for part in path:
        inner = inner[int(part)] if part.isdigit() else inner[part]
    inner[int(last) if last.isdigit() else last] = value
    return record


@pytest.mark.parametrize("char", list(UNSAFE), ids=[f"U+{ord(c):04X}" for c in UNSAFE])
def test_an_outlet_refuses_every_control_and_bidirectional_override_and_says_which(
    way: Way, char: str
) -> None:
    way.given(launched())

    refusal = way.refuses(_with(captured("op-1/a"), "sources.0.outlet", f"South{char}Front"))

    assert refusal.error is InvalidRecord
    assert refusal.problems == [(
        "sources.0.outlet",
        "must be one line of text, without control characters or bidirectional overrides "
        f"({UNSAFE[char]}, at character 6)",
    )]  # fmt: skip


@pytest.mark.parametrize(
    "field",
    ["id", "place.name", "place.aliases.0", "actors.0.force", "actors.0.side",
     "sources.0.outlet", "sources.0.url"],
)  # fmt: skip
def test_every_one_line_field_refuses_a_csi_and_a_right_to_left_override(
    way: Way, field: str
) -> None:
    way.given(launched())
    record = _with(captured("op-1/a", place=PLACE), "sources.0.url", "https://example.org/a")
    value = "https://example.org/a" if field.endswith("url") else "a-b"

    for char in ("\x9b", "\u202e"):
        refusal = way.refuses(_with(record, field, value[:-1] + char + value[-1]))

        assert refusal.field == field
        assert UNSAFE[char] in refusal.message


def test_an_id_keeps_its_own_message_for_white_space_at_its_ends(way: Way) -> None:
    way.given(launched())

    refusal = way.refuses(captured(" op-1/a"))

    assert refusal.problems == [("id", "must not start or end with white space")]


def test_free_text_keeps_controls_and_overrides_exactly_as_written(way: Way) -> None:
    hostile = "said \x1b[31mred\x1b[0m, \x07\x00\x9b2J and \u202eevil\u202c\ttab\nline"
    source = {"outlet": "South Front", "reliability": "D", "credibility": "3", "quote": hostile}
    way.given(launched())

    assert way.accepts(captured("op-1/a", notes=hostile, sources=[source]))

    stored = way.stored()[-1][1]
    assert (stored["notes"], stored["sources"][0]["quote"]) == (hostile, hostile)


@pytest.mark.parametrize("field", ["strength.best", "strength.low", "strength.high"])
def test_a_count_beyond_sqlites_64_bit_integers_is_refused_where_it_is(
    way: Way, field: str
) -> None:
    way.given(launched())
    record = captured("op-1/a", strength={"best": 10, "low": 5, "high": 20})

    refusal = way.refuses(_with(record, field, 123456789012345678901234567890))

    assert refusal.field == field
    assert str(LARGEST_COUNT) in refusal.message


def test_the_largest_64_bit_count_is_kept_and_read_back_exactly(way: Way) -> None:
    way.given(launched())

    assert way.accepts(captured("op-1/a", strength={"best": LARGEST_COUNT}))

    assert way.stored()[-1][1]["strength"] == {"best": LARGEST_COUNT}
    way.refuses(captured("op-1/b", strength={"best": LARGEST_COUNT + 1}))


@pytest.mark.parametrize("text", ["0000", "-0001-12", "Y10000", "Y-170000002", "10000-01-01",
                                  "0000-01-01/2017", "2017/Y12345"])  # fmt: skip
def test_a_date_outside_years_1_to_9999_is_refused_where_it_is(way: Way, text: str) -> None:
    way.given(launched())
    source = {"outlet": "South Front", "reliability": "D", "credibility": "3", "published": text}

    assert way.refuses(captured("op-1/a", occurred=text)).field == "occurred"
    assert way.refuses(captured("op-1/b", sources=[source])).field == "sources.0.published"


def test_an_error_cuts_a_long_value_and_gives_its_length(way: Way) -> None:
    way.given(launched())
    huge = "x" * 3_000_000  # under the cap of a line: refused for what it says

    refusals = [
        way.refuses({**captured("op-1/a"), "type": huge}),
        way.refuses({**captured("op-1/b"), huge: 1}),
        way.refuses(captured("op-1/c", place="al-" + "q" * 497)),
    ]

    for refusal in refusals:
        said = "; ".join(f"{field}: {message}" for field, message in refusal.problems)
        assert len(said) < 1200, said[:300]
    assert "…' (3,000,000 characters); expected one of" in refusals[0].message
    assert refusals[1].field == "x" * 200 + "… (3,000,000 characters)"
    assert "…' (500 characters): give it in full" in refusals[2].message


def test_the_cli_shows_file_line_and_field_of_a_3_mb_value(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({**launched(), "type": "x" * 3_000_000}) + "\n")

    done = subprocess.run(
        [sys.executable, "-m", "timeline.cli", "--db", str(tmp_path / "t.db"), "import",
         str(path)], capture_output=True, cwd=ROOT,
    )  # fmt: skip

    assert done.returncode == 1
    assert len(done.stderr) < 1000
    assert done.stderr.decode().startswith(f"{path}:1: record: unknown type 'xxx")


# keys given twice


def test_a_key_given_twice_is_refused_where_it_is(line_way: Way) -> None:
    line_way.given(launched())
    line = json.dumps(captured("op-1/a")).encode()

    top = line_way.refuses_line(line.replace(b'"id":', b'"type": "place_lost", "id":', 1))
    nested = line_way.refuses_line(line.replace(b'"outlet":', b'"outlet": "Reuters", "outlet":'))

    assert top.problems == [("type", "given twice in one object: JSON readers disagree on which "
                                     "to take; give it once")]  # fmt: skip
    assert nested.field == "sources.0.outlet"


def test_a_key_given_twice_is_found_however_the_line_is_written(line_way: Way) -> None:
    line_way.given(launched())
    record = captured("op-1/a", notes="at 05:30: null")

    for line in (
        json.dumps({**record, "notes": None}).replace('"id"', '"notes": "x", "id"'),  # a null
        json.dumps(record, ensure_ascii=True).replace(":", "\\u003a").replace('"\\u003a ', '": ')
        .replace('"id"', '"id": "b", "id"'),  # colons as escapes
    ):  # fmt: skip
        assert line_way.refuses_line(line.encode()).field in ("notes", "id")


def test_a_record_with_nulls_colons_and_escapes_but_no_key_twice_is_accepted(
    app: Timeline, tmp_path: Path
) -> None:
    record = captured("op-1/a", notes="at 05:30: \u0627 \"quoted\": null\\:")
    path = tmp_path / "fine.jsonl"
    lines = [json.dumps(launched()), json.dumps({**record, "strength": None}, ensure_ascii=True)]
    path.write_text("\n".join(lines) + "\n")

    assert app.import_file(path, unlaunched=True).new == 2


def test_record_refuses_a_change_that_gives_a_key_twice(cli: Any) -> None:
    cli("record", "operation_launched", "--operation", "op-1", "--occurred", "2017-11",
        "--id", "op-1/launched", "--source", "South Front:D3", "--strength", "10")  # fmt: skip

    done = cli("record", "report_corrected", "--operation", "op-1", "--source", "AFP:B2",
               "--corrects", "op-1/launched", "--change", 'strength={"best": 1, "best": 2}')

    assert done.exit_code == 1
    assert "--change: strength.best: given twice in one object" in done.output


Values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(st.sampled_from(':"\\aé\u0627 nul')),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["a", "b", "null", ":"]), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(value=Values, twice=st.booleans(), ascii_only=st.booleans())
def test_the_cheap_check_for_keys_given_twice_agrees_with_reading_the_line_again(
    value: Any, twice: bool, ascii_only: bool
) -> None:
    """Any `changes` a correction may hold, written either way, with a key repeated or not:
    the check that counts colons never lets a key given twice through."""
    record = {"id": "op/c", "type": "report_corrected", "operation": "op", "corrects": "op/a",
              "changes": {"notes": value}, "sources": [{"outlet": "S", "reliability": "D",
                                                         "credibility": "3"}]}  # fmt: skip
    line = json.dumps(record, ensure_ascii=ascii_only)
    if twice:
        line = line.replace('"changes": {', '"changes": {"notes": 1, ', 1)
    raw = line.encode()

    content = record_json(parse_record(raw))

    assert bool(repeated_keys(raw, content)) == (repeated_key(raw) is not None) == twice


# lines over the cap


def test_a_line_over_the_cap_is_refused_on_its_line_and_the_others_are_numbered_right(
    line_way: Way,
) -> None:
    line_way.given(launched())
    too_long = b'{"notes": "' + b"x" * LONGEST_LINE + b'"}\n'
    after = json.dumps(captured("op-1/b")).encode() + b"\n"  # valid: not refused

    refusal = line_way.refuses_line(too_long + after)

    assert len(refusal.problems) == 1
    assert refusal.problems[0][0] == "record"
    assert refusal.problems[0][1].startswith(f"the line is longer than {LONGEST_LINE:,} bytes")


def test_blocks_hold_a_line_too_long_as_its_first_bytes_and_keep_every_line_end() -> None:
    lines = [b"short\n", b"y" * 40 + b"\n", b"z" * 11 + b"\n", b"w" * 10 + b"\n", b"v" * 30]

    found = list(blocks(io.BytesIO(b"".join(lines)), 4, longest=10))

    assert b"".join(found).split(b"\n") == [b"short", b"y" * 11, b"z" * 11, b"w" * 10, b"v" * 11]
    assert all(block.endswith(b"\n") for block in found[:-1])


def test_a_200_mb_line_is_refused_without_holding_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as out:
        out.write(json.dumps(launched()).encode() + b"\n" + b'{"notes": "')
        for _ in range(200):
            out.write(b"x" * 2**20)
        out.write(b'"}\n')

    peak, done = _peak_rss_of(["--db", str(tmp_path / "t.db"), "import", str(path)])

    assert done[0] == 1
    assert f"{path}:2: record: the line is longer than" in done[1]
    assert peak < 200 * 2**20, f"peak {peak / 2**20:.0f} MiB"


_PEAK = """
import runpy, sys
try:
    sys.argv = ["timeline", *sys.argv[1:]]
    runpy.run_module("timeline.cli", run_name="__main__")
finally:
    status = open("/proc/self/status").read()
    peak = next(line for line in status.splitlines() if line.startswith("VmHWM"))
    print(int(peak.split()[1]) * 1024, file=sys.stderr)
"""


def _peak_rss_of(command: list[str]) -> tuple[int, tuple[int, str]]:
    """The peak resident memory of a `timeline` command (bytes) as the kernel counts it for
    the program itself (VmHWM: not the parent's pages a forked child starts with), its exit
    code and the rest of its stderr."""
    env = {**os.environ, "TIMELINE_IMPORT_WORKERS": "0"}
    done = subprocess.run([sys.executable, "-c", _PEAK, *command], cwd=ROOT, env=env,
                          capture_output=True, text=True)  # fmt: skip
    *said, peak = done.stderr.rstrip("\n").split("\n")
    return int(peak), (done.returncode, "\n".join(said))


def test_a_line_over_the_cap_stores_nothing_and_the_next_line_keeps_its_number(
    app: Timeline, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(json.dumps(launched()).encode() + b"\n" + b"[" * (LONGEST_LINE + 1)
                     + b"\n" + json.dumps({**captured("op-1/b"), "type": "x"}).encode())

    with pytest.raises(ImportFailed) as failed:
        app.import_file(path)

    assert [(e.line, e.field) for e in failed.value.errors] == [(2, "record"), (3, "record")]
    assert "longer than" in failed.value.errors[0].message
    assert "unknown type 'x'" in failed.value.errors[1].message
    assert list(app.log()) == []


# whatever a line holds: a located error or a stored event, never a traceback


Json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)  # fmt: skip
Pieces = st.sampled_from(
    ['"', "{", "}", "[", "]", ":", ",", "\\", "\\u0000", "\\ud800", "null", "1e999",
     "99999999999999999999999", "\x00", "\x1b[2J", "\x9b", "\u202e", "\u2028", "\xff",
     '"type": "place_lost", ', '"id": "x", ', "[" * 200]
)  # fmt: skip
TEMPLATES = [launched(), captured("op-1/a", strength={"best": 5}), captured("op-1/b")]


@st.composite
def malformed(draw: st.DrawFn) -> bytes:
    """A line of the record format, broken in one of many ways (or left valid)."""
    record = json.loads(json.dumps(draw(st.sampled_from(TEMPLATES))))
    how = draw(st.sampled_from(["insert", "value", "bytes", "nothing"]))
    if how == "value":
        record[draw(st.sampled_from(sorted(record)))] = draw(Json)
    text = json.dumps(record, ensure_ascii=draw(st.booleans()))
    if how == "insert":
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(Pieces) + text[at:]
    line = text.encode("utf-8", "surrogatepass")
    if how == "bytes":
        line = draw(st.binary(max_size=200))
    return line.replace(b"\n", b" ") + b"\n"


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(line=malformed())
def test_a_malformed_line_gives_a_short_located_error_and_leaves_the_store_as_it_was(
    tmp_path_factory: pytest.TempPathFactory, line: bytes
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    app = Timeline(db=str(folder / "timeline.db"))
    app.record(launched("op-0"))
    path = folder / "line.jsonl"
    path.write_bytes(line)

    try:
        outcome = _import(app, path)
        stored = [e.record.id for e in app.log()]
    finally:
        app.close()

    if isinstance(outcome, Imported):
        assert outcome.new + outcome.already == 1
        assert len(stored) == 1 + outcome.new
        return
    assert stored == ["op-0/launched"]
    if isinstance(outcome, ImportFailed):
        assert {error.line for error in outcome.errors} == {1}
        for error in outcome.errors:
            assert len(str(error)) < len(str(path)) + 1300, str(error)[:400]
    else:  # a file with no record at all (blank, or UTF-16)
        assert str(outcome).startswith(f"{path}: the file is")


def _import(app: Timeline, path: Path) -> Imported | ImportFailed | UnreadableFile:
    """What importing the file gave: its result, or the error a user is told."""
    try:
        return app.import_file(path, unlaunched=True)
    except (ImportFailed, UnreadableFile) as error:
        return error
