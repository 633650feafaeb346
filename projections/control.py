"""Control of a place: its periods, from its events in order of occurrence, and who held it on
a day. Pure functions of rows, shared by the derived `control` model, `timeline control --on`
and the control map, so that all three answer alike.

`PASSES_CONTROL` types give the place to the attacking side (`place_lost` too; `unknown` when
no attacker is named); `MARKS_CONTESTED` types mark the current period contested without
changing the holder (and open one for the defending side, or `unknown`, when none is open). A
second capture by the side already holding the place corroborates the period rather than
opening a new one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from timeline.vocabulary import MARKS_CONTESTED, UNKNOWN_SIDE

Row = dict[str, Any]


def periods(events: Iterable[tuple[Any, ...]]) -> list[Row]:
    """The periods of control of one place, from its events that change control in order of
    occurrence, each `(place, id, type, earliest, latest, attackers, defenders)`."""
    periods: list[Row] = []
    for _, event_id, kind, earliest, latest, attackers, defenders in events:
        current = periods[-1] if periods else None
        if kind in MARKS_CONTESTED:
            if current is None:
                current = _period(defenders or UNKNOWN_SIDE, event_id, earliest, latest)
                periods.append(current)
            elif event_id not in current["events"]:
                current["events"].append(event_id)
            if current["contested_event"] is None:
                current.update(contested_from=earliest, contested_event=event_id)
            continue
        side = attackers or UNKNOWN_SIDE
        if current is not None and current["side"] == side:
            current["events"].append(event_id)
            continue
        if current is not None:
            current.update(end_earliest=earliest, end_latest=latest, end_event=event_id)
        periods.append(_period(side, event_id, earliest, latest))
    return periods


def _period(side: str, event_id: str, earliest: str | None, latest: str | None) -> Row:
    return {
        "side": side, "start_earliest": earliest, "start_latest": latest,
        "start_event": event_id, "end_earliest": None, "end_latest": None, "end_event": None,
        "contested_from": None, "contested_event": None, "events": [event_id],
    }  # fmt: skip


def holder_on(place: str, periods: list[Row], day: str) -> Row:
    """Who held `place` on `day` (ISO), from its periods: `held` or `contested` with the side
    and the event it holds by, `no record`, or `uncertain` naming every candidate where a
    fuzzy date makes the day ambiguous. It never guesses."""

    def certain(p: Row) -> bool:
        started = p["start_latest"] is not None and p["start_latest"] <= day
        return started and (p["end_earliest"] is None or day < p["end_earliest"])

    def possible(p: Row) -> bool:
        started = p["start_earliest"] is None or p["start_earliest"] <= day
        return started and (p["end_latest"] is None or day < p["end_latest"])

    sure = [p for p in periods if certain(p)]
    candidates = sure if len(sure) == 1 else [p for p in periods if possible(p)]
    answer: Row = {"place": place, "on": day}
    if not candidates:
        return {**answer, "answer": "no record", "side": None, "candidates": []}
    if len(candidates) == 1 and sure:
        period = candidates[0]
        contested = period["contested_from"] is not None and period["contested_from"] <= day
        return {
            **answer,
            "answer": "contested" if contested else "held",
            "side": period["side"],
            "since": period["start_event"],
            "candidates": [period["side"]],
        }
    if len(candidates) == 1:  # only one known holder, but it may not have held it yet
        candidates = [*candidates, {"side": "no record"}]
    return {
        **answer,
        "answer": "uncertain",
        "side": None,
        "candidates": [p["side"] for p in candidates],
    }
