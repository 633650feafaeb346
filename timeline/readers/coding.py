"""How a dataset's rows are coded into records: outlets' grades, actors' sides, slugs, and
values shown short in messages. The grades and the sides may be given by the user (a CSV file
or a mapping); what is not given follows the documented defaults."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from timeline.errors import InvalidInput
from timeline.readers import csvfile

SHOWN = 200  # characters of a value an error message repeats, at most
DEFAULT_GRADE = "F6"  # cannot be judged: nobody here has judged the outlet
Problems = list[tuple[str, str]]


def shown(value: object) -> str:
    """A value as an error message repeats it: quoted, and cut short past SHOWN characters."""
    text = str(value)
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "…")


def slug(*parts: object) -> str:
    """acled-syria-deir-ez-zor-2017: lowercase ASCII letters and digits, single hyphens."""
    text = unicodedata.normalize("NFKD", " ".join(str(p) for p in parts if p not in (None, "")))
    text = text.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:100].strip("-")


@dataclass
class Grades:
    """The Admiralty grade of each outlet: `default` for an outlet not named (F6)."""

    default: str = DEFAULT_GRADE
    by_outlet: dict[str, str] = field(default_factory=dict)

    def of(self, outlet: str) -> tuple[str, str]:
        grade = self.by_outlet.get(outlet.strip().casefold(), self.default)
        return grade[0], grade[1]

    @classmethod
    def given(cls, grades: str | Path | Mapping[str, str] | None) -> Grades:
        """From a mapping outlet -> grade, or a CSV file `outlet,grade`; outlet `*` names the
        default. A grade that is not one of the Admiralty code is an InvalidInput."""
        if grades is None:
            return cls()
        given = grades.items() if isinstance(grades, Mapping) else pairs(grades, "grades")
        made = cls()
        for outlet, grade in given:
            code = grade.strip().upper()
            if not re.fullmatch(r"[A-F][1-6]", code):
                msg = f"{shown(grade)} for {shown(outlet)} is not an Admiralty grade (B2, F6)"
                raise InvalidInput("grades", msg)
            if outlet.strip() == "*":
                made.default = code
            else:
                made.by_outlet[outlet.strip().casefold()] = code
        return made


# "Military Forces of Syria (2000-)", "Police Forces of the United States (2021-)",
# "Government of Syria": a state's forces, whose side is the state.
_STATE = re.compile(
    r"^(?:[A-Z][\w'-]*(?: [A-Z][\w'-]*)* )?(?:Forces|Government) of (?:the )?"
    r"(?P<state>[^()]+?)(?: \(\d{4}-(?:\d{4})?\))?(?:\s*:.*)?$"
)


def state_of(actor: str) -> str | None:
    """The state whose forces an actor's name says it is ("Military Forces of Syria (2000-)":
    Syria), else None."""
    match = _STATE.match(actor.strip())
    return match.group("state").strip() if match else None


@dataclass
class Sides:
    """Which side each actor is on: the user's word first; else the rule: a state's forces
    ("Military Forces of Syria (2000-)", "Government of Syria") are the state's side
    ("Syria"); any other actor is a side of its own, under its own name."""

    named: dict[str, str] = field(default_factory=dict)
    found: dict[str, str] = field(default_factory=dict)  # actors' sides worked out so far

    def of(self, actor: str) -> str:
        side = self.found.get(actor)
        if side is None:
            side = self.named.get(actor.strip().casefold())
            if side is None:
                side = state_of(actor) or actor.strip()
            if len(self.found) < 100_000:
                self.found[actor] = side
        return side

    @classmethod
    def given(cls, sides: str | Path | Mapping[str, str] | None) -> Sides:
        """From a mapping actor -> side, or a CSV file `actor,side`."""
        if sides is None:
            return cls()
        given = sides.items() if isinstance(sides, Mapping) else pairs(sides, "sides")
        return cls({actor.strip().casefold(): side.strip() for actor, side in given})


_COLUMNS = {"grades": ("outlet", "grade"), "sides": ("actor", "side")}


def pairs(path: str | Path, option: str) -> Iterator[tuple[str, str]]:
    """The (first, second) columns of each row of a small CSV file with a header."""
    first, second = _COLUMNS[option]
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InvalidInput(option, f"cannot read {path}: {error.strerror}") from None
    found = csvfile.rows(data, 1)
    header = next(found, None)
    fields = header[1] if header is not None else []
    names = [n.strip().casefold() for n in fields] if isinstance(fields, list) else []
    if first not in names or second not in names:
        raise InvalidInput(option, f"{path}: expected a header {first},{second}")
    at = names.index(first), names.index(second)
    for line, fields in found:
        if isinstance(fields, str) or len(fields) <= max(at):
            raise InvalidInput(option, f"{path}:{line}: expected {first},{second}")
        yield fields[at[0]], fields[at[1]]
