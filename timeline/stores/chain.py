"""Tamper evidence: each stored event's SHA-256, chained to the previous event of its stream.

`link` is the one definition of an event's hash: the recorders write it beside each event
(the table `event_hashes`; PostgreSQL `timeline_event_hashes`) in the transaction that stores
the event, and `timeline verify` (`Checker`) computes it again from the stored rows. An event
whose row was edited, removed or moved within its stream behind the application's back no
longer hashes to what was written when it was stored, nor does any event after it in its
stream: the first one that does not is named.

A hash covers the stream's id, the event's version, its topic and its state's JSON, as the
recorder reads it back (a store packs it: timeline.stores.packing; the state holds the moment
it was recorded and, for a `Recorded` event, the record itself). It does
not cover the event's position in the log across streams. A stream's head (its last version
and hash) fingerprints the whole stream: `log --json` and `export --format jsonl` end with the
heads, so that a copy can be checked against its origin (`timeline verify --against FILE`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import orjson

from timeline.vocabulary import RECORDED

GENESIS = bytes(32)  # what the first event of a stream is chained to
Chained = tuple[str, int, str, bytes]  # (stream id hex, version, topic, state), as stored
Link = tuple[str, int, bytes]  # (stream id hex, version, hash): a row of event_hashes
ChainedRow = tuple[str, int, str, bytes, bytes | None]  # an event, with its stored hash
Heads = dict[str, tuple[int, str]]  # stream id hex -> (last version, its hash as hex)
HEADS_KEY = "chain_heads"  # the key of the object that ends `log --json` and jsonl exports


def link(previous: bytes, stream: str, version: int, topic: str, state: bytes) -> bytes:
    """The hash of one stored event, chained to `previous` (its stream's previous event's
    hash, GENESIS for the first). Each field is prefixed by its length, so that no two events
    hash the same bytes."""
    digest = hashlib.sha256(previous)
    for part in (stream.encode(), str(version).encode(), topic.encode(), state):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


def first_versions(events: Iterable[Chained]) -> list[tuple[str, int]]:
    """(stream, version) of the first of these events of each stream past its first version:
    whose previous hash is stored already."""
    seen: dict[str, int] = {}
    for stream, version, _, _ in events:
        seen.setdefault(stream, version)
    return [(stream, version) for stream, version in seen.items() if version > 1]


def links(events: Iterable[Chained], last: dict[str, tuple[int, bytes]]) -> Iterator[Link]:
    """The hashes of events appended in this order, each chained to its stream's previous
    one: `last` holds (version, hash) of each stream's last event stored before them (a
    stream absent from it is new), and is updated as they are chained."""
    for stream, version, topic, state in events:
        known = last.get(stream)
        previous = known[1] if known is not None and known[0] == version - 1 else GENESIS
        digest = link(previous, stream, version, topic, state)
        last[stream] = (version, digest)
        yield stream, version, digest


@dataclass(frozen=True)
class Broken:
    """The first event whose stored row does not match its chain, and how."""

    stream: str
    version: int
    how: str  # "edited" (its content or place in its stream), "removed", "unchained"
    topic: str | None = None
    state: bytes | None = None
    operation: str | None = None  # of a removed event: the operation whose stream held it

    def __str__(self) -> str:
        what = f"stream {self.stream}, version {self.version}"
        if self.operation is not None:
            what = f"an event of operation {self.operation!r} ({what})"
        if self.topic == RECORDED and self.state is not None:
            try:
                record = orjson.loads(self.state)["record"]
                what = f"event {record['id']!r} (operation {record['operation']!r}; {what})"
            except (orjson.JSONDecodeError, KeyError, TypeError):
                pass
        return {
            "edited": f"{what}: its stored row was changed since it was stored (its content, "
            "or its place in its stream, no longer matches its hash)",
            "removed": f"{what}: its stored row was removed (its hash is there, the event "
            "is not)",
            "unchained": f"{what}: it has no hash (a row added behind the application's "
            "back, or its hash removed)",
        }[self.how]


class Checker:
    """Walks the stored events in log order, with the hash stored for each, and finds the
    first whose chain is broken; then the hashes left without an event."""

    def __init__(self, wanted: Heads | None = None) -> None:
        """`wanted`: a copy's heads, whose versions' hashes are kept to be matched."""
        self.last: dict[str, tuple[int, bytes]] = {}  # stream -> (version, recomputed hash)
        self.events = 0
        self.broken: Broken | None = None
        self.wanted = {stream: version for stream, (version, _) in (wanted or {}).items()}
        self.kept: dict[tuple[str, int], bytes] = {}

    def check(self, page: Sequence[ChainedRow]) -> bool:
        """The events of one page: (stream, version, topic, state, stored hash or None).
        False once a broken link is found (`broken`)."""
        for stream, version, topic, given, stored in page:
            self.events += 1
            retyped = not isinstance(given, bytes | bytearray | memoryview)  # SQL left TEXT
            state = str(given).encode() if retyped else bytes(given)
            known = self.last.get(stream)
            expected = 1 if known is None else known[0] + 1
            if version != expected:  # the event(s) before it are gone
                self.broken = Broken(stream, expected, "removed")
                return False
            digest = link(GENESIS if known is None else known[1], stream, version, topic, state)
            if stored is None:
                self.broken = Broken(stream, version, "unchained", topic, state)
                return False
            if bytes(stored) != digest or retyped:
                self.broken = Broken(stream, version, "edited", topic, state)
                return False
            self.last[stream] = (version, digest)
            if self.wanted.get(stream) == version:
                self.kept[stream, version] = digest
        return True

    def unmatched(self, heads: Heads) -> list[str]:
        """What of a copy's chain heads this store's chains (once checked) do not hold."""
        found = []
        for stream, (version, digest) in sorted(heads.items()):
            mine = self.kept.get((stream, version))
            if mine is None:
                found.append(f"stream {stream} has no version {version} here")
            elif mine.hex() != digest:
                found.append(f"stream {stream} version {version} hashes otherwise here")
        return found

    def heads(self) -> Heads:
        return {stream: (version, digest.hex()) for stream, (version, digest) in
                sorted(self.last.items())}  # fmt: skip


def heads_line(heads: Heads) -> bytes:
    """The object that ends `log --json` and a jsonl export: each stream's head."""
    return orjson.dumps({HEADS_KEY: {s: [v, h] for s, (v, h) in heads.items()}})


def read_heads(lines: Iterator[bytes]) -> Heads | None:
    """The chain heads a `log --json` or jsonl export ends with (None if it has none)."""
    last = b""
    for line in lines:
        if line.strip():
            last = line
    try:
        found = orjson.loads(last)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(found, dict) or set(found) != {HEADS_KEY}:
        return None
    return {stream: (int(v), str(h)) for stream, (v, h) in found[HEADS_KEY].items()}


def is_heads_line(line: bytes) -> bool:
    """Whether a line of a JSON Lines file is the chain heads' object (which an import skips:
    a copy made with `log --json | import` has chains of its own)."""
    return line.lstrip().startswith(b'{"' + HEADS_KEY.encode() + b'"')

