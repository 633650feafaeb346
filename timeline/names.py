"""Place names as analysts write them: one key for "al-Qaim", "Al Qa'im" and "Al Qaim"."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

from timeline.terminal import shown as quoted

_ARTICLE = re.compile(r"^(?:al|el|ad|an|ar|as|ash|at|az)[\s\-‐‑]+")
_ARABIC_ARTICLE = re.compile(r"^ال(?=\S{2,})")
_NOT_LETTERS = re.compile(r"[\W_]+")
_ARABIC_MARKS = re.compile(r"[\u064b-\u065f\u0670\u0640]")  # harakat, dagger alif, tatweel


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """The key a place is looked up by: case, accents, punctuation and the article ignored.

    >>> name_key("Al Qa'im") == name_key("al-Qaim") == name_key("AL-QAIM")
    True
    """
    text = unicodedata.normalize("NFKD", name.strip()).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _ARABIC_MARKS.sub("", text)
    text = _ARTICLE.sub("", text)
    text = _ARABIC_ARTICLE.sub("", text)
    key = _NOT_LETTERS.sub("", text)
    return key or _NOT_LETTERS.sub("", name.casefold()) or name


def did_you_mean(
    name: str, known: Mapping[str, str] | Iterable[str], *, cutoff: float = 0.6
) -> str:
    """"; did you mean 'al-Qaim'?" naming up to three of the known names closest to `name`,
    or "" when none is close. `known` maps each name's key to the name shown (place names,
    compared by their keys), or lists names compared as written (operation slugs)."""
    if isinstance(known, Mapping):
        shown = dict(known)
        close = difflib.get_close_matches(name_key(name), list(shown), n=3, cutoff=cutoff)
    else:
        shown = {name: name for name in known}
        close = difflib.get_close_matches(name, list(shown), n=3, cutoff=cutoff)
    return f"; did you mean {', '.join(quoted(shown[key]) for key in close)}?" if close else ""
