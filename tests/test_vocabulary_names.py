"""The vocabulary's names are the event models' and the stored events' own."""

from __future__ import annotations

from typing import get_args

from eventsourcing.utils import get_topic

from timeline import vocabulary
from timeline.cli.writing import record
from timeline.events import MODELS, TYPES, Dataset, Place, Precision, Role, type_of
from timeline.gazetteer import Gazetteer
from timeline.operation import Operation


def test_every_event_type_has_its_model_and_every_model_its_name() -> None:
    assert sorted(type_of(model) for model in MODELS) == sorted(vocabulary.EVENT_TYPES)
    assert list(TYPES) == list(vocabulary.EVENT_TYPES)


def test_the_topics_are_those_eventsourcing_writes_for_the_event_classes() -> None:
    assert get_topic(Operation.Recorded) == vocabulary.RECORDED
    assert get_topic(Gazetteer.PlaceRegistered) == vocabulary.PLACE_REGISTERED  # type: ignore[attr-defined]
    assert get_topic(Gazetteer.AliasesAdded) == vocabulary.ALIASES_ADDED  # type: ignore[attr-defined]
    assert get_topic(Gazetteer.PlacesMerged) == vocabulary.PLACES_MERGED  # type: ignore[attr-defined]


def test_the_sets_of_types_name_only_types_of_the_vocabulary() -> None:
    sets = [
        vocabulary.REPORTS, vocabulary.UNDATED, vocabulary.PASSES_CONTROL,
        vocabulary.MARKS_CONTESTED,
    ]  # fmt: skip

    for named in sets:
        assert set(named) <= set(vocabulary.EVENT_TYPES)
    both = {*vocabulary.PASSES_CONTROL, *vocabulary.MARKS_CONTESTED}
    assert set(vocabulary.CHANGES_CONTROL) == both


def test_timeline_record_offers_every_type_of_the_vocabulary() -> None:
    choice = next(param for param in record.params if param.name == "type_")

    assert list(choice.type.choices) == list(vocabulary.EVENT_TYPES)  # type: ignore[attr-defined]


def test_a_grade_is_weak_when_its_source_or_its_claim_is() -> None:
    assert [g for g in ("A1", "B2", "C3", "C4", "D1", "F6", "B5") if vocabulary.is_weak(g)] == [
        "C4", "D1", "F6", "B5",
    ]


def test_a_grade_is_strong_from_a_reliable_source_probably_true_and_fair_between() -> None:
    grades = ("A1", "B2", "B3", "C2", "C3", "D3", "A4")

    strong = [g for g in grades if vocabulary.is_strong(g)]
    fair = [g for g in grades if not vocabulary.is_strong(g) and not vocabulary.is_weak(g)]

    assert strong == ["A1", "B2"]
    assert fair == ["B3", "C2", "C3"]


def test_a_triple_reads_as_a_reader_says_it() -> None:
    assert vocabulary.triple_text(40000, 35000, 45000) == "40,000 (35,000–45,000)"
    assert vocabulary.triple_text(12) == "12"
    assert vocabulary.triple_text(None) is None


def test_the_roles_precisions_and_datasets_are_those_the_models_accept() -> None:
    assert get_args(Role) == vocabulary.ROLES
    assert get_args(Precision) == tuple(vocabulary.PLACE_PRECISIONS)
    assert get_args(Dataset.model_fields["name"].annotation) == vocabulary.DATASETS
    assert get_args(Place.model_fields["precision"].annotation) == (Precision, type(None))
