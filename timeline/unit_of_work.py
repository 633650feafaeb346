"""One unit of work: records checked in order against the store and against each other.

It loads each aggregate it needs once, lets each record pass every rule (shape, places, the
operation's rules, id uniqueness) before anything changes, and hands back the new stored
events, so that one record or a whole file can be stored in one transaction, or not at all.

Two ways to the same stored events: `record()` lets the aggregates trigger their events and
the mapper dump them (the reference); an import (`direct=True`) applies the same rules and the
same state changes to the same aggregates, and writes the two events every record adds (the
operation's `Recorded`, the id's `Claimed`) as bytes (`timeline.encoding`). A test compares them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import datetime_now_with_tzinfo
from eventsourcing.persistence import Mapper, StoredEvent

from timeline import encoding
from timeline.domain import Aggregate
from timeline.errors import DuplicateEventId
from timeline.events import Event, Place, ReportCorrected
from timeline.gazetteer import Gazetteer
from timeline.operation import Operation
from timeline.registry import EventIdClaim, digest, record_json
from timeline.validation import validate_changes

ClaimLookup = Callable[[Iterable[str]], dict[str, EventIdClaim]]


class UnitOfWork:
    def __init__(
        self,
        repository: Repository[UUID],
        mapper: Mapper[Any],
        claimed: ClaimLookup,
        *,
        unlaunched: bool,
        direct: bool = False,
    ) -> None:
        self.repository = repository
        self.mapper = mapper
        self.claimed = claimed
        self.unlaunched = unlaunched
        self.direct = direct
        self.operations: dict[str, Operation] = {}
        self.gazetteer = self._get(Gazetteer.create_id()) or Gazetteer()
        self.claims: dict[str, tuple[str, int | None]] = {}
        self.looked_up: set[str] = set()
        self.known: dict[str, EventIdClaim] = {}
        self.timestamp: datetime = datetime_now_with_tzinfo()
        self._timestamp_json = encoding.timestamp_json(self.timestamp)

    def prefetch(self, event_ids: Iterable[str]) -> None:
        """Look up, in one go, the stored claims of the ids about to be added."""
        self.looked_up = set(event_ids)
        self.known = self.claimed(self.looked_up)

    def add(self, record: Event, line: int | None = None) -> list[StoredEvent]:
        """Check `record`, apply it, and return its new stored events ([] if already recorded)."""
        content = record_json(record)
        fingerprint = digest(content)
        if self._already_recorded(record, fingerprint):
            return []
        places = self._places(record)
        operation = self._operation(record.operation)
        for place, field in places:
            self.gazetteer.check_place(place, field)
        if self.direct:
            operation.check(record, unlaunched=self.unlaunched)
        else:
            operation.record(record, unlaunched=self.unlaunched)
        for place, _ in places:
            self.gazetteer.learn(place)
        self.claims[record.id] = (fingerprint, line)
        pending = [*self.gazetteer.collect_events(), *operation.collect_events()]
        if not self.direct:
            claim = EventIdClaim(record.id, record.operation, fingerprint)
            return [self.mapper.to_stored_event(e) for e in (*pending, *claim.collect_events())]
        stored = [self.mapper.to_stored_event(event) for event in pending]
        operation.apply_record(record)  # what the Recorded event's mutate() does
        operation.version += 1
        operation.modified_on = self.timestamp
        return [
            *stored,
            encoding.recorded(operation.id, operation.version, self._timestamp_json, content),
            encoding.claimed(record.id, record.operation, fingerprint, self._timestamp_json),
        ]  # fmt: skip

    def _already_recorded(self, record: Event, fingerprint: str) -> bool:
        if record.id in self.claims:
            earlier, line = self.claims[record.id]
            if earlier == fingerprint:
                return True
            where = f"on line {line}" if line else "earlier"
            raise DuplicateEventId(f"'{record.id}' was used {where} for a different event")
        if record.id not in self.looked_up:
            self.prefetch([record.id])
        claim = self.known.get(record.id)
        if claim is None:
            return False
        if claim.digest == fingerprint:
            self.claims[record.id] = (fingerprint, None)
            return True
        msg = (
            f"'{record.id}' is already recorded (operation '{claim.operation}') with different "
            "content; record a report_corrected to change it"
        )
        raise DuplicateEventId(msg)

    def _places(self, record: Event) -> list[tuple[Place, str]]:
        """The places a record mentions in full, after checking those it names are known."""
        mentions: list[tuple[object, str]] = [(getattr(record, "place", None), "place")]
        if isinstance(record, ReportCorrected) and record.changes.get("place") is not None:
            operation = self._operation(record.operation)
            operation.check_target(record)
            changes = validate_changes(operation.types[record.corrects], record.changes)
            mentions.append((getattr(changes, "place", None), "changes.place"))
        places = []
        for place, field in mentions:
            if isinstance(place, str):
                self.gazetteer.resolve(place, field)
            elif isinstance(place, Place):
                places.append((place, field))
        return places

    def _operation(self, slug: str) -> Operation:
        if slug not in self.operations:
            existing = self._get(Operation.create_id(slug))
            self.operations[slug] = existing if existing is not None else Operation(slug)
        return self.operations[slug]

    def _get(self, aggregate_id: UUID) -> Aggregate | None:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate

    def touched(self) -> list[Aggregate]:
        """The operations and the gazetteer this unit of work loaded or made."""
        return [self.gazetteer, *self.operations.values()]
