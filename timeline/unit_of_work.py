"""One unit of work: records checked in order against the store and against each other.

It loads each aggregate it needs once, lets each record pass every rule (shape, places, the
operation's rules, id uniqueness) before anything changes, and hands back the new stored
events, so that one record or a whole file can be stored in one transaction, or not at all.

Two ways to the same stored events, through the same checks of the same typed record
(`_admit()`, then `Operation.check()`): `add()` (what `record()` does) lets the aggregates
trigger their events and the mapper dump them, the reference; `add_parsed()` (what an import
does, for a line `timeline.intake` parsed) applies the same state changes to the same
aggregates and writes the event every record adds (the operation's `Recorded`) as bytes
(`timeline.encoding`). Both give, beside the events, each record's row of the store's table of
event ids (`Batch.ids`), whose primary key keeps ids unique between writers. Tests hold both
to every rule (tests/ways.py) and compare what they store.

A dataset's newer file (ACLED's next week, UCDP's next release) says again the events it
said before, some of them changed. Made with `revise`, a unit of work takes a line whose id
is stored with other content as that event's newer reading: it compares it with how the
event reads now in the store (`readings`, `timeline.readings`) and adds the report_corrected
that `revise` makes of the keys that changed, through `add()` and every rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import datetime_now_with_tzinfo
from eventsourcing.persistence import Mapper

from timeline import encoding
from timeline.domain import Aggregate
from timeline.encoding import Batch
from timeline.errors import DuplicateEventId, EventAlreadyRetracted, RecordRejected
from timeline.events import Event, Place, Submitted
from timeline.gazetteer import Gazetteer
from timeline.intake import Parsed
from timeline.operation import Operation
from timeline.place_streams import Places
from timeline.readings import Data, changes_between, corrected
from timeline.registry import digest, record_json
from timeline.sources import SourceRegister
from timeline.terminal import shown
from timeline.validation import parse_record, validate_changes
from timeline.vocabulary import PLACES_IDENTIFIED, SOURCE_DOWNGRADED

_LINE_BITS = 64
_LINE_MASK = (1 << _LINE_BITS) - 1


def _claim(fingerprint: str, line: int | None) -> int:
    """An id's digest and the line that claimed it (0: not this file) in one int: a file of
    2,000,000 lines keeps 2,000,000 of these, 50 bytes each instead of a tuple's 170."""
    return int(fingerprint, 16) << _LINE_BITS | (line or 0)


A = TypeVar("A", bound=Aggregate)
StoredIds = Callable[[Sequence[str]], dict[str, tuple[str, str]]]
"""Event ids -> (digest, operation) of those the store holds (its table of event ids)."""
StoredReadings = Callable[[str], dict[str, Data]]
"""An operation's slug -> how each of its events stored reads now, by id (none retracted)."""
Revise = Callable[[Data, Data, Data], Data]
"""(the newer reading, the stored reading, the keys that changed) -> the report_corrected
that records the change: how a dataset's newer file says what it revised."""
Mention = tuple[Place, Place, str]  # a place given in full, as it will be known, its field


class UnitOfWork:
    def __init__(
        self,
        repository: Repository[UUID],
        mapper: Mapper[Any],
        stored_ids: StoredIds,
        *,
        unlaunched: bool,
        readings: StoredReadings | None = None,
        revise: Revise | None = None,
        analyst: str | None = None,
        places: Places | None = None,
    ) -> None:
        """`revise` (with `readings`): an id stored with other content is not an error but
        the event's newer reading, corrected by what `revise` makes of the change.
        `analyst`: who records, kept with each new event (not part of its content: the same
        record imported again by another analyst is no new event). `places`: the gazetteer
        as read from the store (`timeline.place_streams.read`), else none."""
        self.repository = repository
        self.mapper = mapper
        self.stored_ids = stored_ids
        self.unlaunched = unlaunched
        self.readings = readings
        self.revise = revise
        self.analyst = analyst
        self.analyst_json = encoding.analyst_json(analyst)
        self._sources: SourceRegister | None = None  # loaded when a downgrade is met
        self.read: dict[str, dict[str, Data]] = {}  # the stored readings of operations read
        self.corrected = 0  # revisions recorded as corrections
        self.notes: list[str] = []  # what a user should hear: new names of known places
        self.operations: dict[str, Operation] = {}
        self.streams: dict[str, encoding.Stream] = {}
        self.places_applied: dict[Place, Place] = {}  # places given in full -> as known
        self.names_resolved: set[str] = set()  # places named, found in the gazetteer
        self.places = places if places is not None else Places(Gazetteer(), {})
        self.gazetteer = self.places.gazetteer
        self.claims: dict[str, int] = {}  # ids claimed so far: id -> _claim(digest, line)
        self.looked_up: set[str] = set()
        self.known: dict[str, tuple[str, str]] = {}  # stored ids: id -> (digest, operation)
        self.timestamp: datetime = datetime_now_with_tzinfo()
        self.timestamp_json = encoding.timestamp_json(self.timestamp)  # as the events write it

    def prefetch(self, event_ids: Iterable[str]) -> None:
        """Look up, in one go, which of the ids about to be added are stored (kept with those
        looked up before: a revision adds its correction in the midst of a chunk)."""
        wanted = set(event_ids) - self.looked_up
        self.looked_up |= wanted
        self.known.update(self.stored_ids(list(wanted)))

    def add(self, record: Event, line: int | None = None) -> Batch:
        """Check `record`, apply it, and return its new stored events (as rows) and its id's
        row (empty if already recorded)."""
        content = record_json(record)
        fingerprint = digest(content)
        if record.id not in self.looked_up:
            self.prefetch([record.id])
        submitted = Submitted.of(record)
        admitted = self._admit(submitted, fingerprint)
        if admitted is None:
            return Batch()
        operation, places = admitted
        record = _as_known(record, places)
        operation.record(record, unlaunched=self.unlaunched, analyst=self.analyst)
        self._learn(submitted, places, fingerprint, line)
        pending: list[Any] = [
            *self.places.collect(), *self._source_events(), *operation.collect_events()
        ]
        rows = [encoding.row(self.mapper.to_stored_event(event)) for event in pending]
        return Batch(rows, [(record.id, fingerprint, record.operation)])

    def look_up(self, chunk: Sequence[Parsed]) -> None:
        """Before `add_parsed()`: look up, in one go, which of a chunk's ids are stored."""
        self.known = self.stored_ids([parsed.submitted.id for parsed in chunk])

    def add_parsed(self, parsed: Parsed) -> Batch:
        """`add()` for a parsed line of an import: the same checks of the same record, the same
        state changes, the same stored events and the same id's row, the events written as
        rows (the event every record adds, the operation's `Recorded`, as bytes: building and
        dumping its pydantic object costs more than checking the record)."""
        record = parsed.submitted
        if self.revise is not None and record.id in self.known and self._revised(
            record.id, parsed.digest
        ):
            return self._revision(parsed)
        admitted = self._admit(record, parsed.digest)
        if admitted is None:
            return Batch()
        operation, places = admitted
        operation.check(record, unlaunched=self.unlaunched)
        content = parsed.content
        if any(given.name != known.name for given, known, _ in places):
            content = _renamed(content, places)  # stored as add() stores it: as it is known
        self._learn(record, places, parsed.digest, parsed.line)
        rows = []
        sources = self._source_events()
        if self.gazetteer.pending_events or operation.pending_events or sources:
            pending: list[Any] = [*self.places.collect(), *sources, *operation.collect_events()]
            rows = [encoding.row(self.mapper.to_stored_event(event)) for event in pending]
        operation.apply_record(record)  # what the Recorded event's mutate() does
        version = operation.version + 1
        operation.version = version
        operation.modified_on = self.timestamp
        stream = self.streams[record.operation]
        rows.append(encoding.recorded(
            stream, version, self.timestamp_json, content, self.analyst_json
        ))  # fmt: skip
        return Batch(rows, [(record.id, parsed.digest, record.operation)])

    def _admit(self, record: Submitted, fingerprint: str) -> tuple[Operation, list[Mention]] | None:
        """The record's operation and the places it gives in full (each as it will be known),
        once every rule but the operation's own has passed: its id is new (None: this very
        record is stored already), the places it names are known, those it gives in full
        conflict with none, the places it finds to be one are two."""
        if (
            record.id in self.claims or record.id in self.known
        ) and self._already_recorded(record.id, fingerprint):
            return None
        places = self._places(record)
        operation = self._operation(record.operation)
        mentions = [
            (given, self.places_applied.get(given) or self.gazetteer.check_place(given, field),
             field)
            for given, field in places
        ]  # fmt: skip
        if record.type == PLACES_IDENTIFIED:
            self.gazetteer.check_identify(str(record.place), str(record.same_as))
        if record.type == SOURCE_DOWNGRADED:
            self.sources.check_downgrade(record)
        return operation, mentions

    def _learn(
        self, record: Submitted, places: list[Mention], fingerprint: str, line: int | None
    ) -> None:
        """What a record admitted teaches: its places, the places it finds to be one, and
        that its id is taken."""
        for given, known, _ in places:
            if given not in self.places_applied:
                note = self.gazetteer.learn(known)
                if note is not None:
                    self.notes.append(note)
                self.places_applied[given] = known
        if record.type == PLACES_IDENTIFIED:
            self.gazetteer.identify(str(record.place), str(record.same_as))
            self.places_applied.clear()  # names and places learnt may now be another's
            self.names_resolved.clear()
        if record.type == SOURCE_DOWNGRADED:
            self.sources.downgrade(record)
        self.claims[record.id] = _claim(fingerprint, line)

    @property
    def sources(self) -> SourceRegister:
        """The sources downgraded so far, loaded when a downgrade is first met."""
        if self._sources is None:
            stored = self._get(SourceRegister, SourceRegister.create_id())
            self._sources = stored or SourceRegister()
        return self._sources

    def _source_events(self) -> list[Any]:
        return list(self._sources.collect_events()) if self._sources is not None else []

    def _revised(self, event_id: str, fingerprint: str) -> bool:
        """Whether this id is stored (and not claimed earlier in this file) with other
        content: a newer reading of the event."""
        known = self.known.get(event_id)
        return event_id not in self.claims and known is not None and known[0] != fingerprint

    def _revision(self, parsed: Parsed) -> Batch:
        """The correction that makes a stored event read as this newer line says, through
        `add()` and every rule; none if it reads so already (a newer file imported again)."""
        assert self.readings is not None, "made without readings"
        assert self.revise is not None, "made without revise"
        event_id = parsed.submitted.id
        operation = self.known[event_id][1]
        if operation not in self.read:
            self.read[operation] = self.readings(operation)
        stored = self.read[operation].get(event_id)
        if stored is None:
            msg = f"'{event_id}' is retracted in operation '{operation}': it cannot be revised"
            raise EventAlreadyRetracted(msg, "id")
        new = orjson.loads(parsed.content)
        for key in ("type", "operation"):
            if new[key] != stored[key]:
                msg = (
                    f"'{event_id}' was recorded as {key} '{stored[key]}', now '{new[key]}': a "
                    f"correction cannot change its {key}; retract it and import it anew"
                )
                raise RecordRejected(msg, key)
        place = parsed.submitted.place
        if isinstance(place, Place):  # compared as it would be known, qualified or not
            known = self.places_applied.get(place) or self.gazetteer.check_place(place)
            new["place"] = known.model_dump(mode="json", exclude_none=True)
        changes = changes_between(stored, new)
        self.claims[event_id] = _claim(parsed.digest, parsed.line)
        if not changes:
            return Batch()
        correction = parse_record(self.revise(new, stored, changes))
        added = self.add(correction, parsed.line)
        self.read[operation][event_id] = corrected(stored, changes)  # as it now reads
        self.corrected += bool(added)
        return added

    def line_of(self, event_id: str) -> int | None:
        """The line of the file being imported that gave this id, if one did."""
        claim = self.claims.get(event_id)
        return None if claim is None else (claim & _LINE_MASK) or None

    def _already_recorded(self, event_id: str, fingerprint: str) -> bool:
        if event_id in self.claims:
            earlier = self.claims[event_id]
            if earlier >> _LINE_BITS == int(fingerprint, 16):
                return True
            first_line = earlier & _LINE_MASK
            where = f"on line {first_line}" if first_line else "earlier"
            raise DuplicateEventId(f"{shown(event_id)} was used {where} for a different event")
        known = self.known.get(event_id)
        if known is None:
            return False
        stored_digest, operation = known
        if stored_digest == fingerprint:
            self.claims[event_id] = _claim(fingerprint, None)
            return True
        msg = (
            f"{shown(event_id)} is already recorded (operation '{operation}') with different "
            "content; record a report_corrected to change it"
        )
        raise DuplicateEventId(msg)

    def _places(self, record: Submitted) -> list[tuple[Place, str]]:
        """The places a record gives in full, after checking that those it names are known.

        A name found once stays found, and a place given again exactly as before is known as
        it was then (`places_applied`): neither is looked up twice."""
        mentions: list[tuple[object, str]] = [(record.place, "place")]
        if record.same_as is not None:
            mentions.append((record.same_as, "same_as"))
        if record.changes is not None and record.changes.get("place") is not None:
            target_type = self._operation(record.operation).check_target(record)
            changes = validate_changes(target_type, record.changes)
            mentions.append((getattr(changes, "place", None), "changes.place"))
        places = []
        for place, field in mentions:
            if isinstance(place, str):
                if place not in self.names_resolved:
                    self.gazetteer.resolve(place, field)
                    self.names_resolved.add(place)
            elif isinstance(place, Place):
                places.append((place, field))
        return places

    def stored_operation(self, event_id: str) -> str | None:
        """The operation of a stored event (or of one this unit of work added); None if no
        operation holds it."""
        self.prefetch([event_id])
        known = self.known.get(event_id)
        if known is not None:
            return known[1]
        return next((slug for slug, op in self.operations.items() if event_id in op.types), None)

    def is_retracted(self, event_id: str, operation: str) -> bool:
        return event_id in self._operation(operation).retracted

    def _operation(self, slug: str) -> Operation:
        if slug not in self.operations:
            existing = self._get(Operation, Operation.create_id(slug))
            operation = existing if existing is not None else Operation(slug)
            self.operations[slug] = operation
            self.streams[slug] = encoding.Stream(operation.id)
        return self.operations[slug]

    def _get(self, kind: type[A], aggregate_id: UUID) -> A | None:
        """The stored aggregate of this kind and id, or None if it was never stored."""
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(aggregate, kind), f"{aggregate_id} is a {type(aggregate).__name__}"
        return aggregate

    def touched(self) -> list[Aggregate]:
        """The operations and the source register this unit of work loaded or made (the
        gazetteer as read is snapshotted when it is read: `timeline.place_streams.read`)."""
        register = [self._sources] if self._sources is not None else []
        return [*register, *self.operations.values()]


def _as_known(record: Event, places: list[Mention]) -> Event:
    """The record with each place it gives in full named as the gazetteer will know it."""
    for given, known, field in places:
        if known.name == given.name:
            continue
        if field == "place":
            record = record.model_copy(update={"place": known})
        elif field == "changes.place":
            changes = getattr(record, "changes", None) or {}
            named = {**changes, "place": known.model_dump(mode="json", exclude_none=True)}
            record = record.model_copy(update={"changes": named})
    return record


def _renamed(content: bytes, places: list[Mention]) -> bytes:
    """A record's JSON with each place it gives in full named as the gazetteer will know it,
    exactly as `add()` stores it."""
    return record_json(_as_known(parse_record(content), places))
