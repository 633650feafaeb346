"""The contested model's groups, held against the rule they group: two claims at a time.

A conflict is a group of claims joined by disagreements, each sharing a claim with the next.
So, for any claims, the conflicts are exactly the connected parts of the graph of pairs that
disagree (worked out here by brute force, pair by pair), each pair inside one conflict, and
the model's rows grow with the claims, not with the pairs."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from projections.contested import Claim, Conflict, operation_conflicts, place_conflicts

FIRST = date(2017, 11, 1)
SIDES = ("Iraq", "ISIS", "SDF")


@st.composite
def claims(draw: st.DrawFn, kind: str) -> list[Claim]:
    found = []
    for n in range(draw(st.integers(0, 14))):
        start = FIRST + timedelta(days=draw(st.integers(0, 20)))
        end = start + timedelta(days=draw(st.sampled_from((0, 0, 0, 1, 3, 9))))
        low = draw(st.integers(1, 20)) * 1000
        high = low + draw(st.sampled_from((0, 0, 1000, 5000)))
        found.append(Claim(
            f"op/{n:02d}", "op", kind, "al-Qaim", start.isoformat(), end.isoformat(),
            draw(st.sampled_from(SIDES)), ("Iraqi Army",), (low, high), None, ("Outlet",),
            ("B2",), f"2026-12-03T00:00:{n:02d}",
        ))  # fmt: skip
    return found


def _overlap(a: Claim, b: Claim) -> bool:
    return max(str(a.earliest), str(b.earliest)) <= min(str(a.latest), str(b.latest))


def _parts(claims: list[Claim], disagree: list[tuple[Claim, Claim]]) -> set[frozenset[str]]:
    """The connected parts (by event id) of the graph of these pairs."""
    part = {c.id: {c.id} for c in claims}
    for a, b in disagree:
        if part[a.id] is not part[b.id]:
            joined = part[a.id] | part[b.id]
            for i in joined:
                part[i] = joined
    return {frozenset(p) for p in part.values() if len(p) > 1}


def _members(conflict: Conflict) -> frozenset[str]:
    return frozenset(c.id for c in (*conflict.claims_a, *conflict.claims_b))


@settings(max_examples=300, deadline=None)
@given(claims("place_captured"))
def test_control_conflicts_are_the_connected_parts_of_disagreeing_pairs(
    found: list[Claim],
) -> None:
    conflicts = [c for c in place_conflicts(found) if c.kind == "control"]

    for one, other in itertools.combinations(SIDES, 2):
        pairs = [(a, b) for a, b in itertools.combinations(found, 2) if _overlap(a, b)
                 and {a.holder, b.holder} == {one, other}]  # fmt: skip
        theirs = [c for c in conflicts if {c.side_a, c.side_b} == {one, other}]
        assert {_members(c) for c in theirs} == _parts(found, pairs)
        for conflict in theirs:  # a side each, with its claims
            assert {c.holder for c in conflict.claims_a} == {conflict.side_a}
            assert {c.holder for c in conflict.claims_b} == {conflict.side_b}
            inside = [(a, b) for a, b in pairs if {a.id, b.id} <= _members(conflict)]
            # the days its disagreements concern: from the first day two of them share, to
            # the last
            assert conflict.occurred_from == min(
                max(str(a.earliest), str(b.earliest)) for a, b in inside
            )
            assert conflict.occurred_to == max(min(str(a.latest), str(b.latest)) for a, b in inside)
            assert conflict.since == min(max(a.since, b.since) for a, b in inside)
    assert len(conflicts) <= len(found)


@settings(max_examples=300, deadline=None)
@given(claims("forces_committed"))
def test_strength_conflicts_are_the_connected_parts_and_the_lowest_figure_faces_the_rest(
    found: list[Claim],
) -> None:
    def apart(a: Claim, b: Claim) -> bool:
        (a_low, a_high), (b_low, b_high) = a.strength or (0, 0), b.strength or (0, 0)
        return a_high < b_low or b_high < a_low

    pairs = [(a, b) for a, b in itertools.combinations(found, 2) if _overlap(a, b) and apart(a, b)]

    conflicts = operation_conflicts(found)

    assert {_members(c) for c in conflicts} == _parts(found, pairs)
    for conflict in conflicts:
        lowest = min(conflict.claims_a, key=lambda c: (c.strength or (0, 0))[1])
        assert all(not apart(lowest, c) for c in conflict.claims_a)
        assert all(apart(lowest, c) for c in conflict.claims_b)
        assert conflict.since == min(max(a.since, b.since) for a, b in pairs
                                     if {a.id, b.id} <= _members(conflict))  # fmt: skip
