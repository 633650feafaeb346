"""Rules across events, kept by the Operation and Gazetteer aggregates."""

from __future__ import annotations

import pytest

from tests.conftest import AL_QAIM_TOWN, SOURCE, captured, launched
from timeline.application import Timeline
from timeline.errors import (
    ConcurrentWrite,
    DuplicateEventId,
    EventAlreadyRetracted,
    InvalidRecord,
    OperationAlreadyConcluded,
    OperationNotLaunched,
    PlaceConflict,
    RecordRejected,
    UnknownEvent,
    UnknownPlace,
)
from timeline.validation import parse_record


def concluded(event_id: str = "op-1/concluded") -> dict[str, object]:
    return {
        "id": event_id,
        "type": "operation_concluded",
        "operation": "op-1",
        "occurred": "2017-11-17",
        "sources": [SOURCE],
    }


def corrected(event_id: str, target: str, changes: dict[str, object]) -> dict[str, object]:
    return {
        "id": event_id,
        "type": "report_corrected",
        "operation": "op-1",
        "corrects": target,
        "changes": changes,
        "sources": [SOURCE],
    }


def retracted(event_id: str, target: str) -> dict[str, object]:
    return {
        "id": event_id,
        "type": "report_retracted",
        "operation": "op-1",
        "retracts": target,
        "sources": [SOURCE],
    }


def test_an_event_of_an_operation_never_launched_is_refused(app: Timeline) -> None:
    with pytest.raises(OperationNotLaunched, match="--unlaunched"):
        app.record(captured("op-1/a"))

    assert list(app.log()) == []


def test_an_analyst_may_record_into_an_unlaunched_operation_explicitly(app: Timeline) -> None:
    assert app.record(captured("op-1/a"), unlaunched=True)

    assert [event.record.id for event in app.log()] == ["op-1/a"]


def test_an_operation_is_concluded_at_most_once(app: Timeline) -> None:
    app.record(launched())
    app.record(concluded())

    with pytest.raises(OperationAlreadyConcluded, match="already concluded by 'op-1/concluded'"):
        app.record(concluded("op-1/concluded-again"))


def test_a_retracted_conclusion_lets_the_operation_be_concluded_again(app: Timeline) -> None:
    app.record(launched())
    app.record(concluded())
    app.record(retracted("op-1/retraction", "op-1/concluded"))

    assert app.record(concluded("op-1/concluded-later"))


def test_a_correction_must_name_an_event_that_exists(app: Timeline) -> None:
    app.record(launched())

    with pytest.raises(UnknownEvent, match="no event 'op-1/ghost'") as refused:
        app.record(corrected("op-1/fix", "op-1/ghost", {"occurred": "2017-11-04"}))

    assert refused.value.field == "corrects"


def test_a_retraction_must_name_an_event_that_exists(app: Timeline) -> None:
    app.record(launched())

    with pytest.raises(UnknownEvent) as refused:
        app.record(retracted("op-1/withdrawn", "op-1/ghost"))

    assert refused.value.field == "retracts"


def test_an_event_cannot_be_retracted_twice_nor_corrected_once_retracted(app: Timeline) -> None:
    app.record(launched())
    app.record(captured("op-1/a"))
    app.record(retracted("op-1/r1", "op-1/a"))

    with pytest.raises(EventAlreadyRetracted):
        app.record(retracted("op-1/r2", "op-1/a"))
    with pytest.raises(EventAlreadyRetracted):
        app.record(corrected("op-1/fix", "op-1/a", {"occurred": "2017-11-04"}))


def test_a_correction_is_checked_against_the_type_of_the_event_it_corrects(
    app: Timeline,
) -> None:
    app.record(launched())
    app.record(captured("op-1/a"))

    with pytest.raises(InvalidRecord) as refused:
        app.record(corrected("op-1/fix", "op-1/a", {"casualties": {"best": 3}}))
    assert refused.value.problems == [("changes.casualties", "not a key of place_captured")]

    with pytest.raises(InvalidRecord) as refused:
        app.record(corrected("op-1/fix", "op-1/a", {"place": None}))
    assert refused.value.problems == [
        ("changes.place", "required by place_captured, cannot be removed")
    ]


def test_a_valid_correction_is_recorded_and_names_what_it_corrects(app: Timeline) -> None:
    app.record(launched())
    app.record(captured("op-1/a"))

    assert app.record(corrected("op-1/fix", "op-1/a", {"occurred": "2017-11-04", "notes": None}))

    assert [event.record.type for event in app.log()][-1] == "report_corrected"


def test_a_correction_cannot_itself_be_corrected(app: Timeline) -> None:
    app.record(launched())
    app.record(captured("op-1/a"))
    app.record(corrected("op-1/fix", "op-1/a", {"occurred": "2017-11-04"}))

    with pytest.raises(RecordRejected, match="is a report_corrected"):
        app.record(corrected("op-1/fix2", "op-1/fix", {"notes": "x"}))


def test_ids_are_unique_across_operations(app: Timeline) -> None:
    app.record(launched("op-1"))
    app.record(launched("op-2", id="shared-id"))

    with pytest.raises(DuplicateEventId, match="operation 'op-2'"):
        app.record(captured("shared-id", operation="op-1"))


def test_a_place_named_by_string_must_already_be_known(app: Timeline) -> None:
    app.record(launched())

    with pytest.raises(UnknownPlace, match="unknown place 'Husaybah'"):
        app.record(captured("op-1/a", place="Husaybah"))


def test_a_known_place_is_found_by_any_spelling_or_alias(app: Timeline) -> None:
    app.record(launched())
    app.record(captured("op-1/a"))

    for spelling in ("al-Qaim", "Al Qa'im", "AL QAIM", "القائم"):
        assert app.record(captured(f"op-1/{spelling}", place=spelling))


def test_an_unknown_place_suggests_the_nearest_known_names(app: Timeline) -> None:
    app.record(launched())
    app.record(captured("op-1/a"))

    with pytest.raises(UnknownPlace, match="did you mean 'al-Qaim'"):
        app.record(captured("op-1/b", place="al-Qaem"))


def test_two_far_apart_places_cannot_share_a_name(app: Timeline) -> None:
    app.record(launched())
    app.record(captured("op-1/a"))
    gaza_strip = {**AL_QAIM_TOWN, "lat": 31.5, "lon": 34.47, "aliases": None}

    with pytest.raises(PlaceConflict, match="give this place a distinct name"):
        app.record(captured("op-1/b", place=gaza_strip))


def test_a_failed_record_changes_nothing(app: Timeline) -> None:
    app.record(launched())
    new_place = {"name": "Husaybah", "lat": 34.41, "lon": 40.98, "kind": "town"}

    with pytest.raises(DuplicateEventId):
        app.record(captured("op-1/launched", place=new_place))

    with pytest.raises(UnknownPlace):
        app.record(captured("op-1/b", place="Husaybah"))


def test_two_writers_recording_into_one_operation_at_once_store_one_and_refuse_the_other(
    db: str,
) -> None:
    first, second = Timeline(db=db), Timeline(db=db)
    first.record(launched())
    # the second writer has checked its event against the operation as it was, then waits
    late = second._unit_of_work(unlaunched=False)
    late_events = late.add(parse_record(captured("op-1/late")))

    first.record(captured("op-1/early"))

    with pytest.raises(ConcurrentWrite, match="run the command again"):
        second._append([late_events])
    assert [e.record.id for e in first.log()] == ["op-1/launched", "op-1/early"]
