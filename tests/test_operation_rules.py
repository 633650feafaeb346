"""Rules across events, kept by the Operation and Gazetteer aggregates, on every way in.

Each test runs through `record()`, through an import of one record at a time, and through one
import of everything at once (the `way` fixture): a rule holds on every path or the test fails.
"""

from __future__ import annotations

from tests.conftest import AL_QAIM_TOWN, SOURCE, captured, launched
from tests.ways import Way
from timeline.application import Timeline
from timeline.errors import (
    DuplicateEventId,
    EventAlreadyRetracted,
    InvalidRecord,
    OperationAlreadyConcluded,
    OperationNotLaunched,
    PlaceConflict,
    RecordRejected,
    SourceAlreadyDowngraded,
    UnknownEvent,
    UnknownPlace,
)
from timeline.gazetteer import Gazetteer


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


def test_an_event_of_an_operation_never_launched_is_refused(way: Way) -> None:
    refusal = way.refuses(captured("op-1/a"))

    assert refusal.error is OperationNotLaunched
    assert refusal.field == "operation"
    assert "allow events of unlaunched operations explicitly" in refusal.message


def test_an_analyst_may_record_into_an_unlaunched_operation_explicitly(app: Timeline) -> None:
    assert app.record(captured("op-1/a"), unlaunched=True)

    assert [event.record.id for event in app.log()] == ["op-1/a"]


def test_an_operation_is_concluded_at_most_once(way: Way) -> None:
    way.given(launched(), concluded())

    refusal = way.refuses(concluded("op-1/concluded-again"))

    assert refusal.error is OperationAlreadyConcluded
    assert "already concluded by 'op-1/concluded'" in refusal.message


def test_a_retracted_conclusion_lets_the_operation_be_concluded_again(way: Way) -> None:
    way.given(launched(), concluded(), retracted("op-1/retraction", "op-1/concluded"))

    assert way.accepts(concluded("op-1/concluded-later"))


def test_a_correction_must_name_an_event_that_exists(way: Way) -> None:
    way.given(launched())

    refusal = way.refuses(corrected("op-1/fix", "op-1/ghost", {"occurred": "2017-11-04"}))

    assert refusal.error is UnknownEvent
    assert (refusal.field, refusal.message) == (
        "corrects",
        "no event 'op-1/ghost' in operation 'op-1'",
    )


def test_a_retraction_must_name_an_event_that_exists(way: Way) -> None:
    way.given(launched())

    refusal = way.refuses(retracted("op-1/withdrawn", "op-1/ghost"))

    assert (refusal.error, refusal.field) == (UnknownEvent, "retracts")


def test_an_event_cannot_be_retracted_twice(way: Way) -> None:
    way.given(launched(), captured("op-1/a"), retracted("op-1/r1", "op-1/a"))

    refusal = way.refuses(retracted("op-1/r2", "op-1/a"))

    assert (refusal.error, refusal.field) == (EventAlreadyRetracted, "retracts")


def test_a_retracted_event_cannot_be_corrected(way: Way) -> None:
    way.given(launched(), captured("op-1/a"), retracted("op-1/r1", "op-1/a"))

    refusal = way.refuses(corrected("op-1/fix", "op-1/a", {"occurred": "2017-11-04"}))

    assert (refusal.error, refusal.field) == (EventAlreadyRetracted, "corrects")


def test_a_correction_may_not_add_a_key_the_corrected_type_lacks(way: Way) -> None:
    way.given(launched(), captured("op-1/a"))

    refusal = way.refuses(corrected("op-1/fix", "op-1/a", {"casualties": {"best": 3}}))

    assert refusal.error is InvalidRecord
    assert refusal.problems == [("changes.casualties", "not a key of place_captured")]


def test_a_correction_may_not_remove_a_key_the_corrected_type_requires(way: Way) -> None:
    way.given(launched(), captured("op-1/a"))

    refusal = way.refuses(corrected("op-1/fix", "op-1/a", {"place": None}))

    assert refusal.error is InvalidRecord
    assert refusal.problems == [("changes.place", "required by place_captured, cannot be removed")]


def test_a_valid_correction_is_recorded_and_names_what_it_corrects(way: Way) -> None:
    way.given(launched(), captured("op-1/a"))

    assert way.accepts(corrected("op-1/fix", "op-1/a", {"occurred": "2017-11-04", "notes": None}))

    assert [record["type"] for _, record in way.stored()][-1] == "report_corrected"


def test_a_correction_cannot_itself_be_corrected(way: Way) -> None:
    way.given(
        launched(), captured("op-1/a"), corrected("op-1/fix", "op-1/a", {"occurred": "2017-11-04"})
    )

    refusal = way.refuses(corrected("op-1/fix2", "op-1/fix", {"notes": "x"}))

    assert refusal.error is RecordRejected
    assert "is a report_corrected" in refusal.message


def test_ids_are_unique_across_operations(way: Way) -> None:
    way.given(launched("op-1"), launched("op-2", id="shared-id"))

    refusal = way.refuses(captured("shared-id", operation="op-1"))

    assert (refusal.error, refusal.field) == (DuplicateEventId, "id")
    assert "'shared-id'" in refusal.message


def test_the_same_event_again_is_no_new_event(way: Way) -> None:
    way.given(launched(), captured("op-1/a"))

    assert not way.accepts(captured("op-1/a"))

    assert [record["id"] for _, record in way.stored()] == ["op-1/launched", "op-1/a"]


def test_a_place_named_by_string_must_already_be_known(way: Way) -> None:
    way.given(launched())

    refusal = way.refuses(captured("op-1/a", place="Husaybah"))

    assert (refusal.error, refusal.field) == (UnknownPlace, "place")
    assert "unknown place 'Husaybah'" in refusal.message


def test_a_place_a_correction_names_must_already_be_known(way: Way) -> None:
    way.given(launched(), captured("op-1/a"))

    refusal = way.refuses(corrected("op-1/fix", "op-1/a", {"place": "Husaybah"}))

    assert (refusal.error, refusal.field) == (UnknownPlace, "changes.place")


def test_a_known_place_is_found_by_any_spelling_or_alias(way: Way) -> None:
    way.given(launched(), captured("op-1/a"))

    for spelling in ("al-Qaim", "Al Qa'im", "AL QAIM", "القائم"):
        assert way.accepts(captured(f"op-1/{spelling}", place=spelling))


def test_an_unknown_place_suggests_the_nearest_known_names(way: Way) -> None:
    way.given(launched(), captured("op-1/a"))

    refusal = way.refuses(captured("op-1/b", place="al-Qaem"))

    assert refusal.error is UnknownPlace
    assert "did you mean 'al-Qaim'" in refusal.message


def test_two_far_apart_places_cannot_share_a_name(way: Way) -> None:
    way.given(launched(), captured("op-1/a"))
    gaza_strip = {**AL_QAIM_TOWN, "lat": 31.5, "lon": 34.47, "aliases": None}

    refusal = way.refuses(captured("op-1/b", place=gaza_strip))

    assert refusal.error is PlaceConflict
    assert "give this place a distinct name" in refusal.message


def test_a_refused_record_teaches_the_gazetteer_nothing(way: Way) -> None:
    way.given(launched())
    new_place = {"name": "Husaybah", "lat": 34.41, "lon": 40.98, "kind": "town"}

    assert way.refuses(captured("op-1/launched", place=new_place)).error is DuplicateEventId
    assert way.refuses(captured("op-1/b", place="Husaybah")).error is UnknownPlace


def identified(event_id: str, place: str, same_as: str) -> dict[str, object]:
    return {
        "id": event_id, "type": "places_identified", "operation": "op-1", "place": place,
        "same_as": same_as, "sources": [SOURCE],
    }  # fmt: skip


QAIM_CAMP = {"name": "Qaim camp", "lat": 34.40, "lon": 41.10, "kind": "town"}


def test_two_known_places_found_to_be_one_answer_to_both_names(way: Way) -> None:
    way.given(launched(), captured("op-1/a"), captured("op-1/b", place=QAIM_CAMP))

    assert way.accepts(identified("op-1/same", "al-Qaim", "Qaim camp"))

    assert way.accepts(captured("op-1/c", place="Qaim camp"))
    gazetteer: Gazetteer = way.app.gazetteer()
    assert list(gazetteer.places) == ["al-Qaim"]
    assert gazetteer.resolve("Qaim camp").name == "al-Qaim"


def test_places_found_to_be_one_must_both_be_known(way: Way) -> None:
    way.given(launched(), captured("op-1/a"), captured("op-1/b", place=QAIM_CAMP))

    refusal = way.refuses(identified("op-1/same", "al-Qaim", "Husaybah"))

    assert (refusal.error, refusal.field) == (UnknownPlace, "same_as")


def test_places_found_to_be_one_must_be_two(way: Way) -> None:
    way.given(launched(), captured("op-1/a"))

    refusal = way.refuses(identified("op-1/same", "al-Qaim", "القائم"))

    assert (refusal.error, refusal.field) == (PlaceConflict, "same_as")
    assert "one place already" in refusal.message


def test_a_finding_that_places_are_one_can_be_neither_corrected_nor_retracted(way: Way) -> None:
    way.given(launched(), captured("op-1/a"), captured("op-1/b", place=QAIM_CAMP),
              identified("op-1/same", "al-Qaim", "Qaim camp"))  # fmt: skip

    refusal = way.refuses(retracted("op-1/undo", "op-1/same"))

    assert (refusal.error, refusal.field) == (RecordRejected, "retracts")
    assert "is a places_identified" in refusal.message


REUTERS = {"outlet": "Reuters", "reliability": "B", "credibility": "2", "published": "2017-11-04"}


def corroborated(
    event_id: str, target: str, operation: str = "op-1", **extra: object
) -> dict[str, object]:
    return {
        "id": event_id, "type": "sources_added", "operation": operation,
        "corroborates": target, "sources": [REUTERS], **extra,
    }  # fmt: skip


def downgraded(event_id: str, operation: str = "op-1", **names: object) -> dict[str, object]:
    return {
        "id": event_id, "type": "source_downgraded", "operation": operation,
        "reliability": "E", "reason": "its claims were contradicted", "sources": [REUTERS],
        **(names or {"outlet": "South Front"}),
    }  # fmt: skip


def test_a_corroboration_names_an_event_of_its_operation_that_exists(way: Way) -> None:
    way.given(launched(), launched("op-2"), captured("op-2/a", "op-2"))

    refusal = way.refuses(corroborated("op-1/more", "op-2/a"))

    assert refusal.error is UnknownEvent
    assert refusal.field == "corroborates"
    assert "no event 'op-2/a' in operation 'op-1'" in refusal.message


def test_a_retracted_event_cannot_be_corroborated(way: Way) -> None:
    way.given(launched(), captured("op-1/a"), retracted("op-1/gone", "op-1/a"))

    refusal = way.refuses(corroborated("op-1/more", "op-1/a"))

    assert refusal.error is EventAlreadyRetracted
    assert refusal.field == "corroborates"


def test_a_report_cannot_be_corroborated(way: Way) -> None:
    way.given(launched(), captured("op-1/a"), corroborated("op-1/more", "op-1/a"))

    refusal = way.refuses(corroborated("op-1/more2", "op-1/more"))

    assert "is a sources_added; only reports of events can be corroborated" in refusal.message


def test_a_corroboration_cannot_be_corrected(way: Way) -> None:
    way.given(launched(), captured("op-1/a"), corroborated("op-1/more", "op-1/a"))

    refusal = way.refuses(corrected("op-1/fix", "op-1/more", {"notes": "x"}))

    assert "is a sources_added; only reports of events can be corrected" in refusal.message


def test_a_corroboration_is_recorded_without_a_launch_of_its_own(way: Way) -> None:
    way.given(launched(), captured("op-1/a"))

    assert way.accepts(corroborated("op-1/more", "op-1/a"))


def test_a_source_is_downgraded_once_whichever_operation_records_it(way: Way) -> None:
    way.given(launched(), launched("op-2"), downgraded("op-1/sf-false"))

    again = way.refuses(downgraded("op-2/sf-false", "op-2", outlet="SOUTH  front"))

    assert again.error is SourceAlreadyDowngraded
    assert again.field == "outlet"
    assert "downgraded already by 'op-1/sf-false'" in again.message


def test_an_article_and_its_outlet_are_downgraded_apart(way: Way) -> None:
    way.given(launched(), downgraded("op-1/sf-false"))

    assert way.accepts(downgraded("op-1/article", url="https://southfront.org/x"))


def test_an_article_is_downgraded_once(way: Way) -> None:
    way.given(launched(), downgraded("op-1/article", url="https://southfront.org/x"))

    refusal = way.refuses(downgraded("op-1/article2", url="https://southfront.org/x"))

    assert refusal.error is SourceAlreadyDowngraded
    assert refusal.field == "url"


def test_a_downgrade_needs_no_launch(way: Way) -> None:
    assert way.accepts(downgraded("op-9/sf-false", "op-9"))
