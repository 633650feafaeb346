"""Contested claims: where active events disagree. Pure functions of claims (an event as it
read between two record times), shared by the derived `contested` model and its tests.

A conflict is a group of claims about one subject, among the events of one operation (so
that an operation's answers as of a past moment, replayed from its events alone, see them
all): the claims joined by disagreements, two at a time, each disagreement sharing a claim
with the next. So a place, a force or a launch date in dispute is one conflict however many
sources take part, and the model holds at most a few rows per claim, not one per pair.
The kinds, and when two claims disagree:

- `control`: two events give one place to different sides on days that may be the same
  (their possible dates overlap). One conflict per place and pair of sides, a side each;
- `launch`, `conclusion`: two claims of an operation's launch (or conclusion) whose possible
  dates do not overlap: they cannot both be true;
- `strength`, `casualties`: two triples (low, best, high) for the same force (or forces
  given together; casualties at the same place too) on days that may be the same, whose
  ranges do not overlap. For these and for `launch` and `conclusion`, one side is the claim
  with the lowest figure (the earliest date) and those that agree with it, the other side
  the rest;
- `reversal`: a capture reversed (control passes to another side, the first pass after it)
  within REVERSAL_DAYS of it, while a source reports fighting at the place on days between:
  the capture on one side, the fighting and the reversal on the other.

A conflict stands from the first record time one of its disagreements did (`since`).
Adding a claim never removes a disagreement, so a conflict ever existed if and only if it
exists among the claims held just before some reading ended (a correction or a retraction),
or among those held now. One that is not there now ended at the correction or retraction
after which it was last seen (`conflicts_over_time`); the group it became, if any, stands.
"""

from __future__ import annotations

import bisect
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
LAUNCH_KINDS = ("launch", "conclusion")  # an operation's conflicts over its dates
FIGURE_KINDS = ("strength", "casualties")  # an operation's conflicts over figures
OPERATION_KINDS = (*LAUNCH_KINDS, *FIGURE_KINDS)  # an operation's


@dataclass(frozen=True, slots=True)
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


def _in_order(claim: Claim) -> tuple[str, str, str]:
    """Claims in order of their possible dates, then of id: one order, however read."""
    return str(claim.earliest), str(claim.latest), claim.id


def _dated(claims: Iterable[Claim]) -> list[Claim]:
    return sorted((c for c in claims if c.earliest and c.latest), key=_in_order)


def _dated_pairs(dated: Sequence[Claim]) -> Iterator[tuple[int, int]]:
    """The pairs (by index) of these claims, in order, whose possible dates overlap: a sweep
    in order of earliest day."""
    open_: list[int] = []
    for n, claim in enumerate(dated):
        open_ = [i for i in open_ if str(dated[i].latest) >= str(claim.earliest)]
        for i in open_:
            yield i, n
        open_.append(n)


class _Groups:
    """Claims (by index) joined by their disagreements, each group with the first record
    time one of its disagreements stood and the days its disagreements concern."""

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}
        self._found: dict[int, tuple[str, str | None, str | None]] = {}  # root: since, days

    def _root(self, i: int) -> int:
        parent = self._parent
        root = i
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[i] != root:  # shorten the path for the next look
            parent[i], i = root, parent[i]
        return root

    def join(self, a: Claim, i: int, b: Claim, j: int,
             span: tuple[str | None, str | None]) -> None:  # fmt: skip
        """Record that claims `i` and `j` disagree, on the days of `span`. (Called for every
        pair that disagrees: written out for speed.)"""
        one, two = self._root(i), self._root(j)
        root, other = (one, two) if one <= two else (two, one)
        since = a.since if a.since >= b.since else b.since
        start, end = span
        found = self._found
        for known in (root,) if root == other else (root, other):
            held = found.pop(known, None)
            if held is not None:
                held_since, held_start, held_end = held
                if held_since < since:
                    since = held_since
                if held_start is not None and (start is None or held_start < start):
                    start = held_start
                if held_end is not None and (end is None or held_end > end):
                    end = held_end
        self._parent[other] = root
        found[root] = (since, start, end)

    def groups(self) -> Iterator[tuple[list[int], str, tuple[str | None, str | None]]]:
        """Each group: its claims' indexes in order, since, and its days."""
        members: dict[int, list[int]] = {}
        for i in list(self._parent):
            members.setdefault(self._root(i), []).append(i)
        for root, found in members.items():
            since, start, end = self._found[root]
            yield sorted(found), since, (start, end)


def _conflict(kind: str, subject: str, a: tuple[str, list[Claim]], b: tuple[str, list[Claim]],
              since: str, span: tuple[str | None, str | None]) -> Conflict:  # fmt: skip
    """A group's conflict: each side's label and claims (its first claim its anchor)."""
    found = Conflict(kind, a[1][0].operation, subject, a[0], a[1], b[0], b[1], *span,
                     (a[1][0].id, b[1][0].id))  # fmt: skip
    found.since = since
    return found


def _labels(texts: Iterable[str]) -> str:
    """A side's figures (or dates), each once, at most three and how many more."""
    unique = list(dict.fromkeys(texts))
    more = f" and {len(unique) - 3:,} more" if len(unique) > 3 else ""
    return "; ".join(unique[:3]) + more


def _lowest_against_the_rest(
    kind: str, subject: str, claims: Sequence[Claim], groups: _Groups,
    value: Any, text: Any,
) -> list[Conflict]:  # fmt: skip
    """A conflict per group of claims whose values (ranges: figures or dates) disagree: on
    one side the claim with the lowest upper end and those whose ranges overlap it, on the
    other the rest (all above it, so each disagrees with it)."""
    found = []
    for members, since, span in groups.groups():
        group = [claims[i] for i in members]
        lowest = min(value(c)[1] for c in group)
        agree = sorted((c for c in group if value(c)[0] <= lowest), key=value)
        rest = sorted((c for c in group if value(c)[0] > lowest), key=value)
        found.append(_conflict(kind, subject, (_labels(map(text, agree)), agree),
                               (_labels(map(text, rest)), rest), since, span))  # fmt: skip
    return found


def place_conflicts(claims: Iterable[Claim]) -> list[Conflict]:
    """The `control` and `reversal` conflicts among the claims about one place (of one
    operation)."""
    claims = list(claims)
    passes = _dated(c for c in claims if c.type in PASSES_CONTROL)
    by_sides: dict[tuple[str, str], _Groups] = {}
    for i, j in _dated_pairs(passes):
        a, b = passes[i], passes[j]
        if a.holder != b.holder:
            sides = (min(a.holder, b.holder), max(a.holder, b.holder))
            groups = by_sides.setdefault(sides, _Groups())
            groups.join(a, i, b, j, _overlap(a, b) or (None, None))
    found = []
    for (one, other), groups in sorted(by_sides.items()):
        for members, since, span in groups.groups():
            group = [passes[i] for i in members]  # in order: the first claim's side first
            first, second = (one, other) if group[0].holder == one else (other, one)
            found.append(_conflict(
                "control", str(group[0].place), (first, [c for c in group if c.holder == first]),
                (second, [c for c in group if c.holder == second]), since, span,
            ))  # fmt: skip
    return found + _reversals(passes, _dated(c for c in claims if c.type in FIGHTING))


def _reversals(passes: Sequence[Claim], fighting: Sequence[Claim]) -> list[Conflict]:
    """Each capture whose first pass to another side comes within REVERSAL_DAYS of it, with
    fighting reported on days between: from the capture's first possible day to the
    reversal's last, and not all before the capture's last possible day. (Both lists are in
    order of their first possible days.)"""
    found = []
    for n, capture in enumerate(passes):
        reversal = None
        for later in range(n + 1, len(passes)):  # their gaps after it only grow
            gap = _days(str(capture.latest), str(passes[later].earliest))
            if gap > REVERSAL_DAYS:
                break
            if gap > 0 and passes[later].holder != capture.holder:
                reversal = passes[later]
                break
        if reversal is None:
            continue
        last = str(reversal.latest)
        between = []
        first = bisect.bisect_left(fighting, str(capture.earliest), key=lambda f: str(f.earliest))
        for k in range(first, len(fighting)):
            if str(fighting[k].earliest) > last:
                break  # and so is every later one's
            if str(capture.latest) <= str(fighting[k].latest) <= last:
                between.append(fighting[k])
        if between:
            found.append(_conflict(
                "reversal", str(capture.place), (f"taken by {capture.holder}", [capture]),
                (f"fighting went on; {reversal.holder} held it", [*between, reversal]),
                max(c.since for c in (capture, reversal, *between)),
                (capture.earliest, reversal.latest),
            ))  # fmt: skip
    return found


def _range_text(claim: Claim) -> str:
    if claim.earliest == claim.latest:
        return str(claim.earliest)
    return f"{claim.earliest or '..'}/{claim.latest or '..'}"


def _triple_text(bounds: tuple[int, int]) -> str:
    low, high = bounds
    return f"{low:,}" if low == high else f"{low:,}-{high:,}"


def _dates(claim: Claim) -> tuple[str, str]:
    return str(claim.earliest), str(claim.latest)


def figure_subject(kind: str, forces: Sequence[str], place: str | None) -> str:
    """What a figure is of: a strength is a force's (or forces' together, in order); a
    casualty count is of one force at one place: counts at two places add up, they do not
    disagree."""
    named = " + ".join(sorted(forces))
    return named if kind == "strength" else f"{named} at {place or '(no place)'}"


def figure_subjects(
    kind_of_event: str, forces: Sequence[str], strength: bool, casualties: bool,
    place: str | None,
) -> list[tuple[str, str]]:  # fmt: skip
    """(kind, subject) of each figure conflict a reading of an event may take part in: one
    naming forces, with a strength, or a casualty report with casualties."""
    if not forces:
        return []
    found = [("strength", figure_subject("strength", forces, place))] if strength else []
    if casualties and kind_of_event == CASUALTIES_REPORTED:
        found.append(("casualties", figure_subject("casualties", forces, place)))
    return found


def operation_conflicts(claims: Iterable[Claim]) -> list[Conflict]:
    """The `launch`, `conclusion`, `strength` and `casualties` conflicts among the claims of
    one operation."""
    claims = list(claims)
    return launch_conflicts(claims) + figure_conflicts(claims)


def launch_conflicts(claims: Iterable[Claim]) -> list[Conflict]:
    """The `launch` and `conclusion` conflicts among the claims of one operation."""
    claims = list(claims)
    found = []
    for kind, of_type in (("launch", OPERATION_LAUNCHED), ("conclusion", OPERATION_CONCLUDED)):
        dated = _dated(c for c in claims if c.type == of_type)
        groups = _Groups()
        for (i, a), (j, b) in itertools.combinations(enumerate(dated), 2):
            if _overlap(a, b) is None:
                groups.join(a, i, b, j, (min(str(a.earliest), str(b.earliest)),
                                         max(str(a.latest), str(b.latest))))  # fmt: skip
        found += _lowest_against_the_rest(kind, dated[0].operation if dated else "", dated,
                                          groups, _dates, _range_text)  # fmt: skip
    return found


def figure_claims(kind: str, claims: Iterable[Claim]) -> Iterator[tuple[str, Claim]]:
    """The claims that take part in `kind`'s figure conflicts, each with its subject."""
    for c in claims:
        for found, subject in figure_subjects(
            c.type, c.forces, c.strength is not None, c.casualties is not None, c.place
        ):
            if found == kind:
                yield subject, c


def figure_conflicts(
    claims: Iterable[Claim], kinds: Sequence[str] = FIGURE_KINDS
) -> list[Conflict]:
    """The `strength` and `casualties` conflicts (of `kinds`) among the claims of one
    operation."""
    claims = list(claims)
    found = []
    for kind in kinds:
        def triple(c: Claim, kind: str = kind) -> tuple[int, int]:
            return (c.strength if kind == "strength" else c.casualties) or (0, 0)

        by_subject = sorted(figure_claims(kind, claims), key=lambda sc: (sc[0], _in_order(sc[1])))
        for named, same in itertools.groupby(by_subject, key=lambda sc: sc[0]):
            dated = _dated(c for _, c in same)
            groups = _Groups()
            for i, j in _dated_pairs(dated):
                a, b = dated[i], dated[j]
                (a_low, a_high), (b_low, b_high) = triple(a), triple(b)
                if a_high < b_low or b_high < a_low:
                    groups.join(a, i, b, j, _overlap(a, b) or (None, None))
            found += _lowest_against_the_rest(
                kind, named, dated, groups, triple, lambda c, t=triple: _triple_text(t(c))
            )
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
        ending: set[int] = set()  # the focus, told apart by identity: each claim is one
        # reading of one event, and comparing claims field by field (==) was slow
        if moment is None:
            held = [c for c in claims if c.until is None]
        else:  # just before `moment`: only what a claim ending then takes part in is new
            focus = [c for c in claims if c.until == moment]
            ending = {id(c) for c in focus}
            held = [c for c in claims if c.since < moment and (c.until is None or c.until >= moment)
                    and _near(c, focus, ending, reach)]  # fmt: skip
        for conflict in detect(held):
            every = [*conflict.claims_a, *conflict.claims_b]
            if focus and not any(id(c) in ending for c in every):
                continue
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


def _near(claim: Claim, focus: Sequence[Claim], ending: set[int], reach: int) -> bool:
    """Whether a claim may take part in a conflict with one of these: a launch or conclusion
    claim may with any other; else its possible days lie within `reach` days of one's (the
    window of a reversal and the widest claim's span: no partner of a conflict lies
    farther)."""
    if id(claim) in ending or claim.type in (OPERATION_LAUNCHED, OPERATION_CONCLUDED):
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
