"""One colour per side, the same in every figure, every report and every store.

Well-known sides have a fixed colour (`KNOWN`, Okabe and Ito's colours first, then Paul Tol's
muted ones: distinguishable with the common colour-vision deficiencies); a name given by
another spelling (`Islamic State`, `ISIL`, `Daesh`) takes its side's. Any other side takes a
colour from `HASHED` chosen by a stable hash of its name, so it too keeps its colour from one
report to the next, whatever else the store holds. A colours file (`--colours FILE`, a JSON
object of side to `#rrggbb`) overrides both. `unknown` is grey.

A hashed colour may be another side's: when two sides of one figure share one, name them in a
colours file.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from timeline.errors import InvalidInput
from timeline.vocabulary import UNKNOWN_SIDE

GREY = "#8c8c8c"
KNOWN = {
    "Iraq": "#009E73",  # bluish green
    "ISIS": "#D55E00",  # vermillion
    "Coalition": "#0072B2",  # blue
    "Syria": "#CC79A7",  # reddish purple
    "SDF": "#E69F00",  # orange
    "Russia": "#56B4E9",  # sky blue
    "Iran": "#332288",  # indigo
    "Turkey": "#882255",  # wine
    "Syrian opposition": "#117733",  # green
    "Kurdistan Region": "#DDCC77",  # sand
    "HTS": "#999933",  # olive
    "Hezbollah": "#661100",  # brown
}
OTHER_NAMES = {
    "ISIS": ("Islamic State", "IS", "ISIL", "Daesh", "Da'esh", "Islamic State of Iraq and Syria",
             "Islamic State of Iraq and the Levant"),
    "Coalition": ("US-led coalition", "Global Coalition", "CJTF-OIR", "Combined Joint Task Force"),
    "Syria": ("Syrian government", "Syrian Arab Republic", "Government of Syria"),
    "Iraq": ("Iraqi government", "Government of Iraq"),
    "SDF": ("Syrian Democratic Forces",),
    "Russia": ("Russian Federation",),
    "Turkey": ("Türkiye", "Turkiye"),
    "Kurdistan Region": ("KRG", "Kurdistan Regional Government", "Peshmerga"),
    "HTS": ("Hayat Tahrir al-Sham", "Hay'at Tahrir al-Sham"),
    "Syrian opposition": ("Free Syrian Army", "FSA", "Syrian National Army", "SNA"),
}  # fmt: skip
HASHED = ("#88CCEE", "#44AA99", "#AA4499", "#EE8866", "#6699CC", "#BBCC33", "#994455",
          "#997700", "#77AADD", "#AA3377")  # fmt: skip
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


_BY_NAME = {
    _key(name): colour
    for side, colour in KNOWN.items()
    for name in (side, *OTHER_NAMES.get(side, ()))
}


def colour_of(side: str, overrides: Mapping[str, str] | None = None) -> str:
    """The colour of one side: from the overrides, the fixed palette, or its name's hash."""
    if overrides and side in overrides:
        return overrides[side]
    if side == UNKNOWN_SIDE:
        return GREY
    known = _BY_NAME.get(_key(side))
    if known is not None:
        return known
    digest = hashlib.sha256(_key(side).encode()).digest()
    return HASHED[int.from_bytes(digest[:4], "big") % len(HASHED)]


def side_colours(
    sides: Iterable[str], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A colour for each side given (and `unknown`)."""
    return {side: colour_of(side, overrides) for side in (*sides, UNKNOWN_SIDE)}


def load(path: str | Path) -> dict[str, str]:
    """A colours file: a JSON object of side name to `#rrggbb` (`{"ISIS": "#000000"}`)."""
    try:
        found = json.loads(Path(path).read_text("utf-8"))
    except OSError as error:
        raise InvalidInput("colours", f"cannot read {path}: {error.strerror}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput("colours", f"{path} is not JSON: {error}") from None
    if not isinstance(found, dict):
        raise InvalidInput(
            "colours", f'{path}: give an object of side to colour ({{"ISIS": "#000000"}})'
        )
    wrong = [f"{side}: {colour!r}" for side, colour in found.items()
             if not isinstance(colour, str) or not _HEX.match(colour)]  # fmt: skip
    if wrong:
        raise InvalidInput("colours", f"{path}: not a #rrggbb colour: {'; '.join(wrong)}")
    return {str(side): str(colour) for side, colour in found.items()}
