"""Stored states are packed (deflated with a preset dictionary, in zlib's format) as a store
inserts them and read back as the JSON they were, whichever way they were stored: any zlib
reader given the dictionary reads them, and a store of version 2's JSON reads as it is."""

from __future__ import annotations

import base64
import json
import platform
import sqlite3
import zlib
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import tampering
from tests.conftest import AL_QAIM, ROOT
from timeline.application import SNAPSHOT_EVERY, Timeline
from timeline.cli import main
from timeline.operation import Operation
from timeline.stores import packing
from timeline.stores.packing import DICTIONARY, pack, unpack
from timeline.vocabulary import RECORDED

STATES = ROOT / "tests" / "fixtures" / "packed-states.json"
ISA_L = packing.isa_l()  # python-isal, where it has a wheel (a dependency there)

@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4000))
def test_a_packed_state_unpacks_to_its_bytes(state: bytes) -> None:
    assert unpack(pack(state)) == state


@pytest.fixture(params=["isa-l", "zlib"])
def deflate(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Packing and unpacking with ISA-L, then with zlib alone (where python-isal has no
    wheel)."""
    if request.param == "zlib":
        monkeypatch.setattr(packing, "isa_l", lambda: None)
    return str(request.param)


def test_either_deflate_packs_what_the_other_unpacks(
    deflate: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = AL_QAIM.read_bytes().splitlines()[0]
    packed = pack(state)

    monkeypatch.setattr(packing, "isa_l", lambda: None if deflate == "isa-l" else ISA_L)

    assert unpack(packed) == state
    assert len(packed) < 0.7 * len(state)


def test_any_zlib_reader_given_the_dictionary_reads_a_packed_state() -> None:
    state = AL_QAIM.read_bytes().splitlines()[-1]
    reader = zlib.decompressobj(zdict=DICTIONARY)

    assert reader.decompress(pack(state)) == state
    assert reader.eof  # the stream's end, and its Adler-32 checked


def test_a_state_stored_as_json_reads_as_it_is() -> None:
    state = b'{"originator_id":"x","record":{"id":"a"}}'

    assert unpack(state) == state


@pytest.mark.parametrize(
    ("state", "said"),
    [
        (b"\x00\x01garbage", "neither JSON nor packed"),
        (pack(b'{"a":1}')[:-3], "cut short"),
        (pack(b'{"a":1}')[:-4] + b"\x00\x00\x00\x00", "does not unpack"),  # its check wrong
        (b"x\x9c" + zlib.compress(b"{}")[2:], "neither JSON nor packed"),  # no dictionary
    ],
)
def test_a_state_neither_json_nor_packed_is_refused_saying_so(
    state: bytes, said: str, deflate: str
) -> None:
    with pytest.raises(ValueError, match=said):
        unpack(state)


def test_states_packed_by_an_earlier_run_still_unpack() -> None:
    """The dictionary is named in every packed state: changing it would make stores unreadable.
    These states were packed when packing began."""
    for kept in json.loads(STATES.read_text("utf-8")):
        assert unpack(base64.b64decode(kept["packed"])).decode() == kept["json"]


def test_a_store_keeps_each_state_packed_and_gives_it_back_as_json(store_url: str) -> None:
    with closing(Timeline(db=store_url)) as app:
        app.import_file(AL_QAIM)
        notifications = app.recorder.select_notifications(1, limit=100)
        page = app.recorder.read_page(0, 100, [RECORDED])
        logged = [event.record.id for event in app.log()]
    kept = tampering.as_kept(store_url)

    assert [(n.id, n.topic, n.state) for n in notifications] == [
        (position, topic, unpack(state)) for position, topic, state in kept
    ]
    assert all(state[:1] == b"x" for _, _, state in kept)
    assert page == [(n.id, n.topic, n.state) for n in notifications if n.topic == RECORDED]
    packed = sum(len(state) for _, topic, state in kept if topic == RECORDED)
    assert packed < 0.7 * sum(len(state) for _, _, state in page)  # prose packs least
    assert [json.loads(state)["record"]["id"] for _, _, state in page] == logged


def test_a_snapshot_is_kept_packed_and_reads_as_its_aggregate_replayed(
    store_url: str, tmp_path: Path
) -> None:
    from tests.test_snapshots import many_events, state

    with closing(Timeline(db=store_url)) as app:
        app.import_file(many_events(tmp_path / "many.jsonl", SNAPSHOT_EVERY + 50))
        snapshotted = state(app.repository.get(Operation.create_id("op-1")))
    with closing(Timeline(db=store_url, env={"IS_SNAPSHOTTING_ENABLED": "n"})) as replaying:
        replayed = state(replaying.repository.get(Operation.create_id("op-1")))

    kept = tampering.snapshots_as_kept(store_url)
    assert kept
    assert all(snapshot[:1] == b"x" for snapshot in kept)
    assert all(len(snapshot) < len(unpack(snapshot)) / 2 for snapshot in kept)
    assert snapshotted == replayed


def test_a_state_recorded_one_at_a_time_is_packed_as_an_imported_one(db: str) -> None:
    from click.testing import CliRunner

    runner = CliRunner()
    runner.invoke(main, ["--db", db, "import", str(AL_QAIM), "--no-project"])
    said = runner.invoke(main, [
        "--db", db, "record", "place_entered", "--operation", "al-qaim-2017", "--id",
        "al-qaim-2017/one", "--occurred", "2017-11-04", "--place", "al-Qaim",
        "--actor", "Iraqi Army:Iraq:attacker", "--source", "Reuters:B2",
    ])  # fmt: skip
    assert said.exit_code == 0, said.output

    with closing(sqlite3.connect(db)) as connection:
        (state,) = connection.execute(
            "SELECT state FROM stored_events ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
    assert state[:1] == b"x"
    assert json.loads(unpack(state))["record"]["id"] == "al-qaim-2017/one"
    assert tampering.state_of(db, "al-qaim-2017/one") == unpack(state)


def test_isa_l_packs_wherever_it_is_a_dependency() -> None:
    """pyproject.toml requires python-isal on these machines: packing falls back to zlib
    (several times slower) only where it has no wheel."""
    if platform.machine() in ("x86_64", "AMD64", "aarch64", "arm64"):
        assert ISA_L is not None
        assert packing.deflater()[0] is ISA_L
