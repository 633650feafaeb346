"""The words of the record: event type names and what they mean, stored-event topics, grades.

One home for every name the write side, the read side and the charts share. It imports
nothing (questions start fast, and any layer may use it). The pydantic models of each type are
in `timeline.events`; a test holds these names to them, and the topics to the event classes.
"""

from __future__ import annotations

from typing import Final

# Event types, in the order a reader meets them: the vocabulary of DOMAIN.md.
OPERATION_LAUNCHED: Final = "operation_launched"
FORCES_COMMITTED: Final = "forces_committed"
AIR_SUPPORT_PROVIDED: Final = "air_support_provided"
CROSSING_CAPTURED: Final = "crossing_captured"
PLACE_ENTERED: Final = "place_entered"
PLACE_CAPTURED: Final = "place_captured"
PLACE_LIBERATED: Final = "place_liberated"
PLACE_LOST: Final = "place_lost"
CASUALTIES_REPORTED: Final = "casualties_reported"
OPERATION_CONCLUDED: Final = "operation_concluded"
# What datasets of political violence code (ACLED, UCDP GED): the README's mapping table.
FORCES_CLASHED: Final = "forces_clashed"
PLACE_STRUCK: Final = "place_struck"
CIVILIANS_ATTACKED: Final = "civilians_attacked"
PLACE_HANDED_OVER: Final = "place_handed_over"
PROTEST_HELD: Final = "protest_held"
RIOT_BROKE_OUT: Final = "riot_broke_out"
DEVELOPMENT_REPORTED: Final = "development_reported"
PLACES_IDENTIFIED: Final = "places_identified"
REPORT_CORRECTED: Final = "report_corrected"
REPORT_RETRACTED: Final = "report_retracted"
# Provenance: a later source confirming an event, a source found false.
SOURCES_ADDED: Final = "sources_added"
SOURCE_DOWNGRADED: Final = "source_downgraded"

EVENT_TYPES: Final = (
    OPERATION_LAUNCHED,
    FORCES_COMMITTED,
    AIR_SUPPORT_PROVIDED,
    CROSSING_CAPTURED,
    PLACE_ENTERED,
    PLACE_CAPTURED,
    PLACE_LIBERATED,
    PLACE_LOST,
    CASUALTIES_REPORTED,
    OPERATION_CONCLUDED,
    FORCES_CLASHED,
    PLACE_STRUCK,
    CIVILIANS_ATTACKED,
    PLACE_HANDED_OVER,
    PROTEST_HELD,
    RIOT_BROKE_OUT,
    DEVELOPMENT_REPORTED,
    PLACES_IDENTIFIED,
    REPORT_CORRECTED,
    REPORT_RETRACTED,
    SOURCES_ADDED,
    SOURCE_DOWNGRADED,
)

# What the types mean. Each set is used by every layer that asks the question.
REPORTS: Final = frozenset({REPORT_CORRECTED, REPORT_RETRACTED, SOURCES_ADDED})
"""Reports about other events: they carry no `occurred` and change how their target reads
(a `sources_added` only its sources: the fact stays as it reads)."""

TARGET_FIELDS: Final = {
    REPORT_CORRECTED: "corrects", REPORT_RETRACTED: "retracts", SOURCES_ADDED: "corroborates",
}  # fmt: skip
"""The key by which each report names the event it is about."""

UNDATED: Final = frozenset({*REPORTS, PLACES_IDENTIFIED, SOURCE_DOWNGRADED})
"""The types that carry no `occurred` and need no launch: reports about events, the
finding that two places are one, and the finding that a source is worse than graded."""

NOT_EVENTS: Final = frozenset({*REPORTS, SOURCE_DOWNGRADED})
"""The types that are no event of the operation in the read models' `events`: what they
say changes other events (their reading, their sources, their grades)."""

PASSES_CONTROL: Final = (
    CROSSING_CAPTURED, PLACE_CAPTURED, PLACE_LIBERATED, PLACE_LOST, PLACE_HANDED_OVER,
)  # fmt: skip
"""Control of the place passes to the attacking side (`unknown` when none is named): the
place is *taken* by that side. `place_lost` too: a side gives the place up to its attacker;
`place_handed_over` too: the side receiving it without a fight is its `attacker`."""

MARKS_CONTESTED: Final = (PLACE_ENTERED,)
"""Fighting inside the place: its current period becomes contested, the holder unchanged."""

CHANGES_CONTROL: Final = (*PASSES_CONTROL, *MARKS_CONTESTED)
"""Every type the control of places is worked out from."""

ROLES: Final = ("attacker", "defender", "support", "party")
"""An actor's part in an event. `party`: it took part, and the source does not say whether it
attacked or defended (ACLED's actor1/actor2 and UCDP's side_a/side_b do not say)."""

PLACE_PRECISIONS: Final = {
    "exact": "at the place's own coordinates",
    "near": "near it, or in a small part of the area, coded at a nearby place",
    "admin2": "somewhere in its second-order administrative area",
    "admin1": "somewhere in its first-order administrative area (province)",
    "region": "somewhere in a larger region or along a natural feature",
    "country": "somewhere in the country",
    "international": "in international waters or airspace",
}
"""How precisely an event's place is known (ACLED's geo_precision, UCDP's where_prec)."""

DATASETS: Final = ("ACLED", "UCDP GED")
"""The datasets whose events a record may say it came from (its `dataset.name`)."""

UNKNOWN_SIDE: Final = "unknown"
"""The holder of a place lost to no named side, or held before anyone reported who held it."""

# Stored-event topics, as eventsourcing writes them (module:qualified name of the class).
RECORDED: Final = "timeline.operation:Operation.Recorded"
PLACE_REGISTERED: Final = "timeline.gazetteer:Gazetteer.PlaceRegistered"
ALIASES_ADDED: Final = "timeline.gazetteer:Gazetteer.AliasesAdded"
PLACES_MERGED: Final = "timeline.gazetteer:Gazetteer.PlacesMerged"
CLAIMED: Final = "timeline.registry:EventIdClaim.Claimed"
"""A store of version 1's claim of an event id (a stream per id): read only to migrate it."""
PROJECTED_TOPICS: Final = (RECORDED, PLACE_REGISTERED, ALIASES_ADDED, PLACES_MERGED)
"""The stored events the read models are made of."""

# The Admiralty code: reliability of the source, credibility of the information.
RELIABILITY: Final = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "cannot be judged",
}
CREDIBILITY: Final = {
    "1": "confirmed by other sources",
    "2": "probably true",
    "3": "possibly true",
    "4": "doubtful",
    "5": "improbable",
    "6": "cannot be judged",
}
WEAK_RELIABILITY: Final = ("D", "E", "F")
WEAK_CREDIBILITY: Final = ("4", "5", "6")


def outlet_key(outlet: str) -> str:
    """An outlet's name as sources are told apart: case and runs of spaces ignored
    (`South Front`, `south  front` and `SOUTH FRONT` are one outlet)."""
    return " ".join(outlet.casefold().split())


def source_identity(outlet: str | None, url: str | None) -> str:
    """The source a `source_downgraded` names: an outlet (every source of it, by
    `outlet_key`), an article (every source citing that exact URL), or both (that outlet's
    sources citing that URL). One downgrade per identity."""
    parts = [f"outlet {outlet_key(outlet)}" if outlet is not None else "",
             f"url {url}" if url is not None else ""]  # fmt: skip
    return " | ".join(part for part in parts if part)


def is_weak(grade: str) -> bool:
    """A claim graded this rests on a source not usually reliable or worse (D, E, F), or is
    itself doubtful or worse (4, 5, 6): what "weak" means in every view and in SQL."""
    return grade[:1] in WEAK_RELIABILITY or grade[1:] in WEAK_CREDIBILITY


STRONG_RELIABILITY: Final = ("A", "B")
STRONG_CREDIBILITY: Final = ("1", "2")


def is_strong(grade: str) -> bool:
    """A claim graded this rests on a source completely or usually reliable (A, B) and is
    confirmed or probably true (1, 2): B2 or better. Between strong and weak lies "fair": C3,
    B3, C2 (a fairly reliable source, or a claim possibly true), marked apart from both."""
    return grade[:1] in STRONG_RELIABILITY and grade[1:] in STRONG_CREDIBILITY


def grade_words(grade: str) -> str:
    """D3 -> "not usually reliable; possibly true"."""
    return f"{RELIABILITY.get(grade[:1], '?')}; {CREDIBILITY.get(grade[1:], '?')}"


def triple_text(best: int | None, low: int | None = None, high: int | None = None) -> str | None:
    """A UCDP triple as a reader says it: 40,000 (35,000–45,000); None when there is none."""
    if best is None:
        return None
    spread = f" ({low:,}–{high:,})" if low is not None and high is not None else ""
    return f"{best:,}{spread}"


def type_words(event_type: str | None) -> str:
    """place_liberated -> place liberated."""
    return (event_type or "").replace("_", " ")
