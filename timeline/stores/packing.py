"""Stored states packed: each event's JSON deflated (zlib's format, with a preset dictionary
of the words every record repeats), and read back whichever way it was stored.

The recorders pack a state as they insert it and unpack it as they read it
(timeline.stores.recorder), so that everything above them, the mapper, the read models,
`verify` and `copy`, sees the JSON; a state's hash is that of its JSON (timeline.stores.chain),
whichever way a store keeps it. A state is stored either as its JSON (every store of version 2
or earlier; its first byte is `{`) or as a zlib stream whose header names, by its Adler-32,
the dictionary it was deflated with (RFC 1950's FDICT): `unpack` reads both, so a store of
version 2 keeps the states it was written with and reads as one.

Nothing here imports eventsourcing: the read models unpack what they read of a store with
sqlite3 alone.
"""

from __future__ import annotations

import zlib
from functools import cache
from typing import Any

WINDOW_BITS = 15


@cache
def isa_l() -> Any | None:
    """Intel's ISA-L (python-isal), where it is installed: deflate and inflate as zlib's, in
    the same format, several times faster on states this small; None where it has no wheel."""
    try:
        from isal import isal_zlib
    except ImportError:
        return None
    return isal_zlib


def deflater() -> tuple[Any, int, int]:
    """The deflate that packs, its level and strategy: ISA-L at its fastest level with fixed
    Huffman codes (a state is too short to repay a table of its own), smaller and several
    times faster than zlib here; else zlib's own at its default level."""
    module = isa_l()
    if module is None:
        return zlib, 6, zlib.Z_DEFAULT_STRATEGY
    return module, 0, module.Z_FIXED


def inflater() -> tuple[Any, type[Exception]]:
    """The inflate that unpacks, and the error it raises for bytes that are not deflate."""
    module = isa_l()
    return (zlib, zlib.error) if module is None else (module, module.error)


# The dictionary: words that most states repeat, the commonest last (a match at a shorter
# distance is coded in fewer bits). Never change these bytes: a store names its dictionary
# by their Adler-32 and could no longer be read. A new dictionary is added beside it, under
# its own Adler-32 in DICTIONARIES.
DICTIONARY = (
    b'"retracts":"","corrects":"","corroborates":"","same_as":"","reason":"","changes":{'
    b'"aliases":[],"kind":"town","kind":"village","kind":"city","kind":"crossing",'
    b'"type":"development_reported","type":"riot_broke_out","type":"protest_held",'
    b'"type":"place_handed_over","type":"civilians_attacked","type":"place_struck",'
    b'"type":"forces_clashed","type":"operation_concluded","type":"casualties_reported",'
    b'"type":"place_lost","type":"place_liberated","type":"place_captured",'
    b'"type":"place_entered","type":"crossing_captured","type":"air_support_provided",'
    b'"type":"forces_committed","type":"operation_launched","type":"report_corrected",'
    b'"type":"sources_added","type":"source_downgraded","type":"report_retracted",'
    b'"role":"supporting","role":"defender","role":"attacker","side":"",'
    b'"casualties":{"killed":{"low":,"high":,"best":},"wounded":{"best":},'
    b'"strength":{"low":,"high":,"best":},"notes":"","analyst":"",'
    b'"reliability":"F","reliability":"E","reliability":"D","reliability":"C",'
    b'"reliability":"B","reliability":"A","credibility":"6","credibility":"5",'
    b'"credibility":"4","credibility":"3","credibility":"2","credibility":"1",'
    b'"sources":[{"outlet":"","url":"https://www.","published":"","quote":"'
    b'"place":{"name":"","lat":,"lon":},"actors":[{"force":"","side":"","role":"'
    b'"occurred":"","operation":"","record":{"id":"",'
    b'"timestamp":"","originator_version":,"originator_id":"'
)
_DICTIONARY_ID = zlib.adler32(DICTIONARY)
DICTIONARIES = {_DICTIONARY_ID: DICTIONARY}  # what each Adler-32 in a stream's header names

# RFC 1950's header: deflate with a 32 KiB window (0x78), then FLG: FDICT set, FCHECK making
# the first two bytes a multiple of 31, followed by the dictionary's Adler-32
_CMF = 0x78
_FLG = 0x20 | (31 - ((_CMF << 8) | 0x20) % 31) % 31
HEADER = bytes((_CMF, _FLG)) + _DICTIONARY_ID.to_bytes(4, "big")


def pack(state: bytes) -> bytes:
    """A state deflated with the dictionary, in zlib's format: what a store keeps of it. The
    header and the Adler-32 are written here, the deflate between them by `deflater()`."""
    module, level, strategy = deflater()
    deflating = module.compressobj(
        level, zlib.DEFLATED, -WINDOW_BITS, 8, strategy, zdict=DICTIONARY
    )
    deflated = deflating.compress(state) + deflating.flush(zlib.Z_FINISH)
    return b"".join((HEADER, deflated, zlib.adler32(state).to_bytes(4, "big")))


def unpack(state: bytes) -> bytes:
    """A stored state's JSON, whether it was stored packed or as JSON. Raises ValueError for
    bytes that are neither."""
    if state[:1] == b"{" or not state:
        return state
    dictionary = DICTIONARIES.get(int.from_bytes(state[2:6], "big"))
    if state[:1] != bytes((_CMF,)) or dictionary is None:
        raise ValueError(f"a stored state neither JSON nor packed (it begins {state[:6]!r})")
    module, error_class = inflater()
    try:
        inflating = module.decompressobj(WINDOW_BITS, zdict=dictionary)
        plain: bytes = inflating.decompress(state)
    except error_class as error:
        raise ValueError(f"a stored state that does not unpack: {error}") from None
    if not inflating.eof:
        raise ValueError("a stored state cut short")
    return plain
