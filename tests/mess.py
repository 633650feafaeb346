"""A store with the mess real data brings: the al-Qaim case, plus an Arabic place name, a
quote with commas, quotation marks and a newline, HTML in a note, a fuzzy and an open date,
a correction, a retraction, a second operation, and a clash as a dataset codes it (parties,
fatalities, a place's precision, the dataset's own coding)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import AL_QAIM
from timeline.api import OpsTimeline

OPERATION = "al-qaim-2017"
RAWA = "rawa-2017"
SCRIPT = '<script>window.PWNED = 1</script><img src=x onerror="window.PWNED = 2">'
QUOTE = 'took the "Jabal", the silos, and,\nafter a night, the hospital'
ARABIC = "حي الجمعية"
SOURCE = {"outlet": "Rudaw, Erbil", "reliability": "C", "credibility": "3",
          "published": "2017-11-04", "url": "https://example.org/a?b=1,2"}  # fmt: skip


def event(event_id: str, event_type: str, occurred: str | None, operation: str = OPERATION,
          **keys: Any) -> dict[str, Any]:  # fmt: skip
    record = {"id": f"{operation}/{event_id}", "type": event_type, "operation": operation,
              "sources": [dict(SOURCE)], **keys}  # fmt: skip
    if occurred is not None:
        record["occurred"] = occurred
    return record


ATTACKERS = [
    {"force": "Iraqi Army", "side": "Iraq", "role": "attacker"},
    {"force": "Popular Mobilization Units", "side": "Iraq", "role": "attacker"},
]
DEFENDERS = [{"force": "Islamic State", "side": "ISIS", "role": "defender"}]
PARTIES = [
    {"force": "Military Forces of Iraq (2014-)", "side": "Iraq", "role": "party"},
    {"force": "Islamic State (Iraq)", "side": "Islamic State (Iraq)", "role": "party"},
]


def records() -> list[dict[str, Any]]:
    jamiya = {"name": "al-Jamiya", "lat": 34.3712, "lon": 41.0821, "kind": "neighbourhood",
              "aliases": [ARABIC]}  # fmt: skip
    rawa = {"name": "Rawa", "lat": 34.4667, "lon": 41.9167, "kind": "town", "aliases": ["راوة"]}
    return [
        event("jamiya-liberated", "place_liberated", "2017-11-04~", place=jamiya,
              actors=ATTACKERS + DEFENDERS, notes=f"Hostile text: {SCRIPT}",
              sources=[{**SOURCE, "quote": QUOTE}]),
        event("jamiya-corrected", "report_corrected", None,
              corrects=f"{OPERATION}/jamiya-liberated", changes={"occurred": "2017-11-05~"}),
        event("gaza-retracted", "report_retracted", None, retracts=f"{OPERATION}/gaza-entered"),
        event("launched", "operation_launched", "2017-11", operation=RAWA, place=rawa,
              actors=ATTACKERS),
        event("rawa-entered", "place_entered", "2017-11-17/..", operation=RAWA, place="راوة",
              actors=ATTACKERS + DEFENDERS),
        event("rawa-clash", "forces_clashed", "2017-11-18", operation=RAWA,
              place={**rawa, "aliases": None, "precision": "near"}, actors=PARTIES,
              fatalities=4, dataset={"name": "ACLED", "id": "IRQ9", "timestamp": 1511000000}),
    ]


def messy_store(directory: Path) -> OpsTimeline:
    ops = OpsTimeline(str(directory / "timeline.db"))
    ops.import_file(AL_QAIM)
    for record in records():
        ops.record(record)
    return ops
