"""Contested claims: where active events disagree. Pure functions of claims (an event as it
read between two record times), shared by the derived `contested` model and its tests.

Kinds of conflict, each between two sides of one subject, among the events of one operation
(so that an operation's answers as of a past moment, replayed from its events alone, see
them all):

- `control`: two events give one place to different sides on days that may be the same
  (their possible dates overlap), so each side's claim to hold it overlaps the other's;
- `launch`, `conclusion`: two claims of an operation's launch (or conclusion) whose possible
  dates do not overlap: they cannot both be true;
- `strength`, `casualties`: two triples (low, best, high) for the same force (or forces
  given together; casualties at the same place too) on days that may be the same, whose
  ranges do not overlap;
- `reversal`: a capture reversed (control passes to another side) within REVERSAL_DAYS of
  it, while a source reports fighting at the place in between: the capture on one side, the
  fighting and the reversal on the other.

Every kind is a test of a few claims held at once, so adding a claim never removes a
conflict. A conflict therefore ever existed if and only if it exists among the claims held
just before some reading ended (a correction or a retraction), or among those held now; it
began when the last of its claims was recorded and, if it is not there now, ended when the
first of them ended, by the correction or retraction that ended it (`conflicts_over_time`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from timeline.vocabulary import (
    CASUALTIES_REPORTED,
    FORCES_CLASHED,
    MARKS_CONTESTED,
    OPERATION_CONCLUDED,
    OPERATION_LAUNCHED,
    PASSES_CONTROL,
    UNKNOWN_SIDE,
)

REVERSAL_DAYS = 7
""""Within days": a capture is reversed within days when control passes to another side at
most this many days after the capture's latest possible day."""

FIGHTING = (*MARKS_CONTESTED, FORCES_CLASHED)
"""The types that report fighting at a place."""

PLACE_KINDS = ("control", "reversal")  # a place's conflicts (across operations)
OPERATION_KINDS = ("launch", "conclusion", "strength", "casualties")  # an operation's


@dataclass(frozen=True)
class Claim:
    """One reading of an event: what it said from `since` (record time) until `until` (None:
    it still reads so), ended by `ended_by` (the correction or retraction)."""

    id: str
    operation: str
    type: str
    place: str | None
    earliest: str | None
    latest: str | None
    holder: str  # the attacking sides, "A + B", or unknown
    forces: tuple[str, ...]
    strength: tuple[int, int] | None  # (low, high)
    casualties: tuple[int, int] | None
    outlets: tuple[str, ...]
    grades: tuple[str, ...]
    since: str
    until: str | None = None
    ended_by: str | None = None


@dataclass
class Conflict:
    """A disagreement between two sides' claims about one subject."""

    kind: str
    operation: str
    subject: str
    side_a: str
    claims_a: list[Claim]
    side_b: str
    claims_b: list[Claim]
    occurred_from: str | None
    occurred_to: str | None
    anchors: tuple[str, str]  # the two events that make it this conflict
    since: str = ""
    ended_at: str | None = None
    ended_by: str | None = None
    key: str = field(init=False)

    def __post_init__(self) -> None:
        self.key = "|".join((self.kind, self.subject, *self.anchors))


def _overlap(a: Claim, b: Claim) -> tuple[str, str] | None:
    """The days both claims' possible dates share (both must be dated at both ends)."""
    if None in (a.earliest, a.latest, b.earliest, b.latest):
        return None
    start, end = max(str(a.earliest), str(b.earliest)), min(str(a.latest), str(b.latest))
    return (start, end) if start <= end else None


def _days(first: str, last: str) -> int:
    return (date.fromisoformat(last) - date.fromisoformat(first)).days


def _pair(kind: str, subject: str, a: Claim, b: Claim, side_a: str, side_b: str,
          span: tuple[str | None, str | None]) -> Conflict:  # fmt: skip
    if (a.earliest or "", a.id) > (b.earliest or "", b.id):  # one order for one pair
        a, b, side_a, side_b = b, a, side_b, side_a
    return Conflict(kind, a.operation, subject, side_a, [a], side_b, [b], *span, (a.id, b.id))


def _in_order(claim: Claim) -> tuple[str, str, str]:
    """Claims in order of their possible dates, then of id: one order, however read."""
    return str(claim.earliest), str(claim.latest), claim.id


def _dated_pairs(claims: Sequence[Claim]) -> Iterator[tuple[Claim, Claim]]:
    """Pairs of claims whose possible dates overlap, by a sweep in order of earliest day."""
    dated = sorted((c for c in claims if c.earliest and c.latest), key=_in_order)
    open_: list[Claim] = []
    for claim in dated:
        open_ = [c for c in open_ if str(c.latest) >= str(claim.earliest)]
        for other in open_:
            yield other, claim
        open_.append(claim)


def place_conflicts(claims: Iterable[Claim]) -> list[Conflict]:
    """The `control` and `reversal` conflicts among the claims about one place (of one
    operation)."""
    claims = list(claims)
    passes = [c for c in claims if c.type in PASSES_CONTROL]
    found = []
    for a, b in _dated_pairs(passes):
        if a.holder != b.holder:
            found.append(_pair("control", str(a.place), a, b, a.holder, b.holder, _overlap(a, b)
                               or (None, None)))  # fmt: skip
    fighting = sorted((c for c in claims if c.type in FIGHTING and c.earliest and c.latest),
                      key=_in_order)  # fmt: skip
    dated = sorted((c for c in passes if c.earliest and c.latest), key=_in_order)
    for n, capture in enumerate(dated):
        for reversal in dated[n + 1 :]:
            gap = _days(str(capture.latest), str(reversal.earliest))
            if gap > REVERSAL_DAYS:
                break
            if gap <= 0 or reversal.holder == capture.holder:
                continue
            between = [
                f for f in fighting
                if str(f.latest) >= str(capture.latest) and str(f.earliest) <= str(reversal.latest)
            ]  # fmt: skip
            if between:
                found.append(Conflict(
                    "reversal", capture.operation, str(capture.place),
                    f"taken by {capture.holder}", [capture],
                    f"fighting went on; {reversal.holder} held it", [*between, reversal],
                    capture.earliest, reversal.latest, (capture.id, reversal.id),
                ))  # fmt: skip
    return found


def _range_text(claim: Claim) -> str:
    if claim.earliest == claim.latest:
        return str(claim.earliest)
    return f"{claim.earliest or '..'}/{claim.latest or '..'}"


def _triple_text(bounds: tuple[int, int]) -> str:
    low, high = bounds
    return f"{low:,}" if low == high else f"{low:,}-{high:,}"


def operation_conflicts(claims: Iterable[Claim]) -> list[Conflict]:
    """The `launch`, `conclusion`, `strength` and `casualties` conflicts among the claims of
    one operation."""
    claims = list(claims)
    found = []
    for kind, of_type in (("launch", OPERATION_LAUNCHED), ("conclusion", OPERATION_CONCLUDED)):
        dated = sorted((c for c in claims if c.type == of_type and c.earliest and c.latest),
                       key=_in_order)  # fmt: skip
        for a, b in itertools.combinations(dated, 2):
            if _overlap(a, b) is None:
                found.append(_pair(kind, a.operation, a, b, _range_text(a), _range_text(b),
                                   (min(str(a.earliest), str(b.earliest)),
                                    max(str(a.latest), str(b.latest)))))  # fmt: skip
    for kind in ("strength", "casualties"):
        def triple(c: Claim, kind: str = kind) -> tuple[int, int] | None:
            return c.strength if kind == "strength" else c.casualties

        def subject(c: Claim, kind: str = kind) -> str:
            """A strength is a force's (or forces' together); a casualty count is of one
            force at one place: counts at two places add up, they do not disagree."""
            forces = " + ".join(c.forces)
            return forces if kind == "strength" else f"{forces} at {c.place or '(no place)'}"

        with_triple = [c for c in claims if triple(c) is not None and c.forces
                       and (kind == "strength" or c.type == CASUALTIES_REPORTED)]  # fmt: skip
        by_subject = sorted(with_triple, key=lambda c: (subject(c), _in_order(c)))
        for named, same in itertools.groupby(by_subject, key=subject):
            for a, b in _dated_pairs(list(same)):
                (a_low, a_high), (b_low, b_high) = triple(a) or (0, 0), triple(b) or (0, 0)
                if a_high < b_low or b_high < a_low:
                    found.append(_pair(kind, named, a, b,
                                       _triple_text((a_low, a_high)),
                                       _triple_text((b_low, b_high)),
                                       _overlap(a, b) or (None, None)))  # fmt: skip
    return found


def conflicts_over_time(
    claims: Sequence[Claim], detect: Any
) -> list[Conflict]:
    """Every conflict `detect` finds among these claims (every reading of a subject's events)
    at any record time: those it finds now, open; and those found only among the claims held
    just before some reading ended, with the record time they ended and what ended them."""
    moments: list[str | None] = [None, *sorted({c.until for c in claims if c.until})]
    found: dict[str, Conflict] = {}
    reach = REVERSAL_DAYS + max((_days(str(c.earliest), str(c.latest)) for c in claims
                                 if c.earliest and c.latest), default=0)  # fmt: skip
    for moment in moments:
        focus: list[Claim] = []
        if moment is None:
            held = [c for c in claims if c.until is None]
        else:  # just before `moment`: only what a claim ending then takes part in is new
            focus = [c for c in claims if c.until == moment]
            held = [c for c in claims if c.since < moment and (c.until is None or c.until >= moment)
                    and _near(c, focus, reach)]  # fmt: skip
        for conflict in detect(held):
            every = [*conflict.claims_a, *conflict.claims_b]
            if focus and not any(c in focus for c in every):
                continue
            conflict.since = max(c.since for c in every)
            ends = [c for c in every if c.until is not None]
            if ends:
                first = min(ends, key=lambda c: (str(c.until), c.id))
                conflict.ended_at, conflict.ended_by = first.until, first.ended_by
            known = found.get(conflict.key)
            if known is None:
                found[conflict.key] = conflict
            elif known.ended_at is not None and (
                conflict.ended_at is None or conflict.ended_at > known.ended_at
            ):  # the latest holding of it says how it stands
                conflict.since = min(conflict.since, known.since)
                found[conflict.key] = conflict
            else:
                known.since = min(conflict.since, known.since)
    return sorted(found.values(), key=lambda c: (c.occurred_from or "", c.key))


def _near(claim: Claim, focus: Sequence[Claim], reach: int) -> bool:
    """Whether a claim may take part in a conflict with one of these: a launch or conclusion
    claim may with any other; else its possible days lie within `reach` days of one's (the
    window of a reversal and the widest claim's span: no partner of a conflict lies
    farther)."""
    if claim in focus or claim.type in (OPERATION_LAUNCHED, OPERATION_CONCLUDED):
        return True
    if not (claim.earliest and claim.latest):
        return False  # an undated claim takes part in no conflict
    first, last = date.fromisoformat(claim.earliest), date.fromisoformat(claim.latest)
    for other in focus:
        if not (other.earliest and other.latest):
            continue
        if (first - date.fromisoformat(other.latest)).days <= reach and (
            date.fromisoformat(other.earliest) - last
        ).days <= reach:
            return True
    return False


def holder(attackers: Sequence[str] | None) -> str:
    """Who a pass of control gives the place to: the attacking sides, "A + B", or unknown."""
    return " + ".join(attackers) if attackers else UNKNOWN_SIDE
