"""The vocabulary: one frozen pydantic model per event type, each a past-tense fact.

These models are the record format of DOMAIN.md: what an analyst writes in a JSON Lines file,
what `timeline record` builds from its options, and what `timeline log --json` writes back.
Shape is checked here (types, ranges, grades, which keys a type allows); rules that span events
(ids unique, a correction names an event that exists) are the Operation aggregate's.
"""

from __future__ import annotations

import copy
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal, NamedTuple, TypeAlias, final, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import SchemaValidator

from timeline.dates import DateError, parse_edtf
from timeline.terminal import UNSAFE_CLASS
from timeline.vocabulary import EVENT_TYPES, SOURCE_DOWNGRADED, source_identity

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def _moment(text: str) -> str:
    """A date and time with its zone (ISO 8601, `2017-11-03T14:05:00Z`), kept as written."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            "must be an ISO 8601 date and time with its zone (2017-11-03T14:05:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise ValueError("needs a time zone: Z or an offset (+03:00)")
    return text


def _edtf(text: str) -> str:
    try:
        parse_edtf(text)
    except DateError as error:
        raise ValueError(str(error)) from None
    return text


# Patterns are checked by pydantic-core's own regex engine: no Python call per string. A
# one-line field (names, ids, forces, sides, outlets, URLs) holds no C0 or C1 control, no DEL,
# no line separator and no bidirectional override (timeline.terminal.UNSAFE_CLASS): printed,
# they would command the terminal or reorder the line.
ONE_LINE = f"^[^{UNSAFE_CLASS}]*$"
ID_PATTERN = f"^[^\\s{UNSAFE_CLASS}](?:[^{UNSAFE_CLASS}]*[^\\s{UNSAFE_CLASS}])?$"
# `re.match(r"^https?://[^\s/]+", url)` as it was checked in Python: the regex crate's `\s`
# lacks the four separators \x1c-\x1f that Python's has, so they are named; then one line.
URL_PATTERN = f"^https?://[^\\s\\x1c-\\x1f/][^{UNSAFE_CLASS}]*$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=ONE_LINE)]
EventId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=ID_PATTERN)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=SLUG_PATTERN)]
EDTF = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_edtf)]
Url = Annotated[str, StringConstraints(max_length=2000, pattern=URL_PATTERN)]
Notes = Annotated[str, StringConstraints(max_length=20_000)]
SHA256_PATTERN = r"^[0-9a-fA-F]{64}$"
Sha256 = Annotated[str, StringConstraints(pattern=SHA256_PATTERN)]
Moment = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_moment)]
# SQLite's integers are 64-bit: a larger count could be stored as text but never read back as
# the number it was (it came back as 1.2345678901234568e+29).
LARGEST_COUNT = 2**63 - 1
Count = Annotated[int, Field(ge=0, le=LARGEST_COUNT)]

PlaceKind = Literal["town", "neighbourhood", "crossing", "facility", "region"]
Role = Literal["attacker", "defender", "support", "party"]  # vocabulary.ROLES
Precision = Literal[  # vocabulary.PLACE_PRECISIONS
    "exact", "near", "admin2", "admin1", "region", "country", "international"
]
Reliability = Literal["A", "B", "C", "D", "E", "F"]
Credibility = Literal["1", "2", "3", "4", "5", "6"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Place(Frozen):
    """A place with coordinates (WGS84); `aliases` are other spellings and scripts.

    The bounds also refuse NaN and the infinities (NaN fails every comparison)."""

    name: Name
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    kind: PlaceKind
    aliases: tuple[Name, ...] | None = None
    precision: Precision | None = None
    """How precisely the event is placed there (vocabulary.PLACE_PRECISIONS)."""
    within: Name | None = None
    """The area it lies in ("Deir ez Zor, Syria"): a name that a place far away already has
    is then this place's name qualified by it ("Hajin (Deir ez Zor, Syria)")."""


class Actor(Frozen):
    force: Name
    side: Name
    role: Role


class Triple(Frozen):
    """UCDP's best estimate with its low and high bounds: troops or deaths."""

    best: Count
    low: Count | None = None
    high: Count | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Triple:
        if self.low is not None and self.low > self.best:
            raise ValueError(f"low ({self.low}) must not exceed best ({self.best})")
        if self.high is not None and self.high < self.best:
            raise ValueError(f"high ({self.high}) must not be below best ({self.best})")
        return self


class Source(Frozen):
    """Who said it, when they published it, and the Admiralty grade of this claim; and, as
    evidence kept (the Berkeley Protocol's chain of custody), where an archived copy is, the
    SHA-256 of the content captured, and when it was retrieved."""

    outlet: Name
    url: Url | None = None
    published: EDTF | None = None
    reliability: Reliability
    credibility: Credibility
    quote: Annotated[str, StringConstraints(max_length=5_000)] | None = None
    archive_url: Url | None = None
    sha256: Sha256 | None = None
    retrieved: Moment | None = None

    @property
    def grade(self) -> str:
        return self.reliability + self.credibility


def _place_form(value: Any) -> str:
    return "place name" if isinstance(value, str) else "place object"


PlaceRef: TypeAlias = Annotated[
    Annotated[Place, Tag("place object")] | Annotated[Name, Tag("place name")],
    Discriminator(_place_form),
]
Actors = Annotated[tuple[Actor, ...], Field(min_length=1)]
Sources = Annotated[tuple[Source, ...], Field(min_length=1)]


Code = Annotated[str, StringConstraints(max_length=500, pattern=ONE_LINE)]


class Dataset(Frozen):
    """Where a dataset's event came from, as the dataset codes it: its name and its own id,
    and what it says that has no other home in the record (ACLED's `timestamp`,
    `source_scale`, `tags`; UCDP's `date_prec`, `where_prec` and the deaths of each side)."""

    name: Literal["ACLED", "UCDP GED"]  # vocabulary.DATASETS
    id: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=ONE_LINE)]
    event_type: Code | None = None
    sub_event_type: Code | None = None
    disorder_type: Code | None = None
    interaction: Code | None = None
    civilian_targeting: Code | None = None
    timestamp: Count | None = None
    source_scale: Code | None = None
    tags: Annotated[str, StringConstraints(max_length=5_000)] | None = None
    time_precision: Annotated[int, Field(ge=1, le=3)] | None = None
    geo_precision: Annotated[int, Field(ge=1, le=3)] | None = None
    type_of_violence: Annotated[int, Field(ge=1, le=3)] | None = None
    conflict_name: Code | None = None
    date_prec: Annotated[int, Field(ge=1, le=5)] | None = None
    where_prec: Annotated[int, Field(ge=1, le=7)] | None = None
    event_clarity: Annotated[int, Field(ge=1, le=2)] | None = None
    deaths_a: Count | None = None
    deaths_b: Count | None = None
    deaths_civilians: Count | None = None
    deaths_unknown: Count | None = None


class Event(Frozen):
    """What every event carries: its id, its operation and at least one graded source; a
    dataset's event also says where it came from (`dataset`)."""

    id: EventId
    type: str
    operation: Slug
    sources: Sources
    notes: Notes | None = None
    dataset: Dataset | None = None

    def canonical(self) -> dict[str, Any]:
        """The record as JSON data, without absent keys: what is stored and exported."""
        return self.model_dump(mode="json", exclude_none=True)

    @property
    def place_name(self) -> str | None:
        place = getattr(self, "place", None)
        return place if isinstance(place, str) or place is None else place.name


class Occurred(Event):
    occurred: EDTF


class OperationLaunched(Occurred):
    type: Literal["operation_launched"]
    place: PlaceRef | None = None
    actors: tuple[Actor, ...] | None = None
    strength: Triple | None = None


class ForcesCommitted(Occurred):
    type: Literal["forces_committed"]
    actors: Actors
    strength: Triple
    place: PlaceRef | None = None


def _has_support(actors: tuple[Actor, ...]) -> tuple[Actor, ...]:
    if not any(actor.role == "support" for actor in actors):
        raise ValueError("at least one actor must have role 'support'")
    return actors


class AirSupportProvided(Occurred):
    type: Literal["air_support_provided"]
    actors: Annotated[Actors, AfterValidator(_has_support)]
    place: PlaceRef | None = None


class PlaceEvent(Occurred):
    """An event that happens at a place and may change who controls it."""

    place: PlaceRef
    actors: Actors
    strength: Triple | None = None
    fatalities: Count | None = None
    """Deaths as a dataset counts them: ACLED's conservative count, not an estimate."""


class CrossingCaptured(PlaceEvent):
    type: Literal["crossing_captured"]


class PlaceEntered(PlaceEvent):
    type: Literal["place_entered"]


class PlaceCaptured(PlaceEvent):
    type: Literal["place_captured"]


class PlaceLiberated(PlaceEvent):
    type: Literal["place_liberated"]


class PlaceLost(PlaceEvent):
    type: Literal["place_lost"]


class CasualtiesReported(Occurred):
    type: Literal["casualties_reported"]
    casualties: Triple
    actors: Actors
    place: PlaceRef | None = None


class OperationConcluded(Occurred):
    type: Literal["operation_concluded"]
    place: PlaceRef | None = None
    actors: tuple[Actor, ...] | None = None


class PlaceHandedOver(PlaceEvent):
    """Control passed without a fight: to the side receiving the place (its `attacker`)."""

    type: Literal["place_handed_over"]


class CodedEvent(Occurred):
    """Fighting, violence or unrest at a place, as datasets of political violence code it:
    none of these changes who holds the place."""

    place: PlaceRef
    actors: Actors
    casualties: Triple | None = None
    fatalities: Count | None = None


class ForcesClashed(CodedEvent):
    type: Literal["forces_clashed"]
    strength: Triple | None = None


class PlaceStruck(CodedEvent):
    """Struck from a distance, or by a device: no fight on the ground (ACLED's
    Explosions/Remote violence)."""

    type: Literal["place_struck"]
    form: Literal[
        "air or drone strike", "shelling, artillery or missile attack",
        "remote explosive, landmine or IED", "grenade", "suicide bomb", "chemical weapon",
    ]  # fmt: skip


class CiviliansAttacked(CodedEvent):
    type: Literal["civilians_attacked"]
    form: Literal["attack", "sexual violence", "abduction or forced disappearance"]


class ProtestHeld(CodedEvent):
    type: Literal["protest_held"]
    form: Literal["peaceful", "with intervention", "excessive force against protesters"]


class RiotBrokeOut(CodedEvent):
    type: Literal["riot_broke_out"]
    form: Literal["violent demonstration", "mob violence"]


class DevelopmentReported(Occurred):
    """A non-violent development that matters to the fighting (ACLED's Strategic
    developments, but for the transfer of territory, which is `place_handed_over`)."""

    type: Literal["development_reported"]
    form: Literal[
        "agreement", "arrests", "change to group or activity", "disrupted weapons use",
        "headquarters or base established", "looting or property destruction", "other",
    ]  # fmt: skip
    actors: Actors
    place: PlaceRef | None = None
    fatalities: Count | None = None


class PlacesIdentified(Event):
    """An analyst's finding that two known places are one: `same_as` (any of its names) is
    `place` (any of its names), and every question answers for both under `place`'s name."""

    type: Literal["places_identified"]
    place: Name
    same_as: Name


UNCHANGEABLE = frozenset({"id", "type", "operation", "corrects", "retracts", "changes"})


class ReportCorrected(Event):
    """A later reading of an earlier event: `changes` holds its keys with their new values."""

    type: Literal["report_corrected"]
    corrects: EventId
    changes: dict[str, Any] = Field(min_length=1)

    @field_validator("changes")
    @classmethod
    def _changeable(cls, changes: dict[str, Any]) -> dict[str, Any]:
        fixed = sorted(UNCHANGEABLE & changes.keys())
        if fixed:
            raise ValueError(f"cannot change {', '.join(fixed)}: record a new event instead")
        return changes


class ReportRetracted(Event):
    type: Literal["report_retracted"]
    retracts: EventId


class SourcesAdded(Event):
    """A later source confirming an event already recorded: `sources` are the new ones. The
    event's sources count them, its best grade may rise; the fact stays as it reads."""

    type: Literal["sources_added"]
    corroborates: EventId


class SourceDowngraded(Event):
    """A source found worse than it was graded: every claim resting on it (an `outlet`, by
    its name in any case; an article, by its `url`; or that outlet's article) is graded with
    `reliability` from now on, where that is worse than its own. `sources`: what shows it."""

    type: Literal["source_downgraded"]
    outlet: Name | None = None
    url: Url | None = None
    reliability: Reliability
    reason: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]

    @model_validator(mode="after")
    def _names_a_source(self) -> SourceDowngraded:
        if self.outlet is None and self.url is None:
            raise ValueError("names no source: give its outlet, its url, or both")
        return self


Record: TypeAlias = Annotated[
    OperationLaunched
    | ForcesCommitted
    | AirSupportProvided
    | CrossingCaptured
    | PlaceEntered
    | PlaceCaptured
    | PlaceLiberated
    | PlaceLost
    | CasualtiesReported
    | OperationConcluded
    | ForcesClashed
    | PlaceStruck
    | CiviliansAttacked
    | PlaceHandedOver
    | ProtestHeld
    | RiotBrokeOut
    | DevelopmentReported
    | PlacesIdentified
    | ReportCorrected
    | ReportRetracted
    | SourcesAdded
    | SourceDowngraded,
    Field(discriminator="type"),
]

RECORD = TypeAdapter(Record)

def type_of(model: type[Event]) -> str:
    """The name a model's `type` is fixed to."""
    return str(model.model_fields["type"].annotation.__args__[0])  # type: ignore[union-attr]


MODELS: tuple[type[Event], ...] = get_args(get_args(Record)[0])
TYPES: dict[str, type[Event]] = {
    name: next(model for model in MODELS if type_of(model) == name) for name in EVENT_TYPES
}


@final
class Submitted(NamedTuple):
    """A record as the rules across events read it: what `Operation.check()` and the
    gazetteer's checks declare they accept, on every way into the store.

    Made from the validated record by `of()` alone, whether `record()` holds the record or an
    import's worker process does (it crosses back as `astuple()`, far cheaper than the
    pydantic record): a rule that reads a field reads it alike on both paths, and a rule that
    needs more of the record must add it here, where both paths get it. A named tuple, not a
    frozen dataclass: an import makes one a record, and a frozen dataclass's `__init__` sets
    each field through `object.__setattr__`, at four times the cost.
    """

    id: str
    type: str
    operation: str
    place: Place | str | None  # given in full, or named
    target: str | None  # what a correction corrects, a retraction retracts, a
    # sources_added corroborates
    changes: dict[str, Any] | None  # a correction's changes, as given
    same_as: str | None = None  # the place a places_identified finds `place` to be
    source: str | None = None  # the source a source_downgraded names (source_identity)

    @classmethod
    def of(cls, record: Event) -> Submitted:
        fields = record.__dict__  # a missing attribute costs pydantic a raised AttributeError
        target = fields.get("corrects") or fields.get("retracts") or fields.get("corroborates")
        source = None
        if record.type == SOURCE_DOWNGRADED:
            source = source_identity(fields.get("outlet"), fields.get("url"))
        return cls(
            record.id, record.type, record.operation, fields.get("place"), target,
            fields.get("changes"), fields.get("same_as"), source,
        )  # fmt: skip

    def astuple(self) -> tuple[Any, ...]:
        """Plain data to send between processes (a place given in full as its fields)."""
        place: Any = self.place
        if isinstance(place, Place):
            place = tuple(getattr(place, key) for key in _PLACE_KEYS)
        return (
            self.id, self.type, self.operation, place, self.target, self.changes, self.same_as,
            self.source,
        )  # fmt: skip

    @classmethod
    def fromtuple(cls, data: tuple[Any, ...]) -> Submitted:
        """`astuple()` read back: the place rebuilt without validating it again (it was)."""
        event_id, event_type, operation, place, target, changes, same_as, source = data
        if isinstance(place, tuple):
            place = _place_of(place)
        return cls(event_id, event_type, operation, place, target, changes, same_as, source)


_PLACE_KEYS = tuple(Place.model_fields)
_PLACES: dict[tuple[Any, ...], Place] = {}  # places rebuilt, by their fields: they recur
_PLACES_KEPT = 100_000


def _place_of(facts: tuple[Any, ...]) -> Place:
    """A place given in full, rebuilt from its fields; the same object for the same fields
    (a dataset's file gives every row's place in full, most of them many times)."""
    place = _PLACES.get(facts)
    if place is None:
        given = {k: v for k, v in zip(_PLACE_KEYS, facts, strict=True) if v is not None}
        place = Place.model_construct(**given)
        if len(_PLACES) >= _PLACES_KEPT:
            _PLACES.clear()
        _PLACES[facts] = place
    return place


def read_stored(cls: type[BaseModel], state: bytes) -> Any:
    """A stored model read back: validated as input is, or, if an earlier version stored what
    input now refuses, as it was stored (see `as_stored`)."""
    try:
        return cls.model_validate_json(state)
    except ValidationError:
        return as_stored(cls).validate_json(state)


# What input refuses that an earlier version stored: C1 controls, line separators and
# bidirectional overrides in one-line fields, anything after a URL's host, counts beyond 64
# bits. The store keeps what it was given; output escapes it (timeline.terminal).
_ADDED_PATTERNS = {ONE_LINE, ID_PATTERN, URL_PATTERN}


@cache
def as_stored(cls: type[BaseModel]) -> SchemaValidator:
    """A validator of `cls` without the checks input gained since events were first stored:
    what was stored is read back, never refused."""
    schema = copy.deepcopy(cls.__pydantic_core_schema__)
    _loosen(schema)
    # pydantic-core reuses the validator of a model class it meets in a schema, checks and
    # all, when the class is complete: marked incomplete meanwhile, each is compiled loosened.
    models = _models(schema, set())
    try:
        for model in models:
            model.__pydantic_complete__ = False
        return SchemaValidator(schema)
    finally:
        for model in models:
            model.__pydantic_complete__ = True


def _models(node: Any, found: set[type[BaseModel]]) -> set[type[BaseModel]]:
    if isinstance(node, dict):
        if node.get("type") == "model" and isinstance(node.get("cls"), type):
            found.add(node["cls"])
        for value in node.values():
            _models(value, found)
    elif isinstance(node, list | tuple):
        for value in node:
            _models(value, found)
    return found


def _loosen(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "str" and node.get("pattern") in _ADDED_PATTERNS:
            del node["pattern"]
        if node.get("type") == "int" and node.get("le") == LARGEST_COUNT:
            del node["le"]
        for value in node.values():
            _loosen(value)
    elif isinstance(node, list | tuple):
        for value in node:
            _loosen(value)
