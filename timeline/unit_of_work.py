"""One unit of work: records checked in order against the store and against each other.

It loads each aggregate it needs once, lets each record pass every rule (shape, places, the
operation's rules, id uniqueness) before anything changes, and hands back the new events, so
that one record or a whole file can be stored in one transaction, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository

from timeline.domain import Aggregate, DomainEvent
from timeline.errors import DuplicateEventId
from timeline.events import Event, Place, ReportCorrected
from timeline.gazetteer import Gazetteer
from timeline.operation import Operation
from timeline.registry import EventIdClaim, digest
from timeline.validation import validate_changes

ClaimLookup = Callable[[str], EventIdClaim | None]


class UnitOfWork:
    def __init__(self, repository: Repository[UUID], claimed: ClaimLookup, *, unlaunched: bool):
        self.repository = repository
        self.claimed = claimed
        self.unlaunched = unlaunched
        self.operations: dict[str, Operation] = {}
        self.gazetteer = self._get(Gazetteer.create_id()) or Gazetteer()
        self.claims: dict[str, tuple[str, int | None]] = {}

    def add(self, record: Event, line: int | None = None) -> list[DomainEvent]:
        """Check `record`, apply it, and return its new events ([] if already recorded)."""
        fingerprint = digest(record)
        if self._already_recorded(record, fingerprint):
            return []
        places = self._places(record)
        operation = self._operation(record.operation)
        for place, field in places:
            self.gazetteer.check_place(place, field)
        operation.record(record, unlaunched=self.unlaunched)
        for place, _ in places:
            self.gazetteer.learn(place)
        claim = EventIdClaim(record.id, record.operation, fingerprint)
        self.claims[record.id] = (fingerprint, line)
        return [
            *self.gazetteer.collect_events(),
            *operation.collect_events(),
            *claim.collect_events(),
        ]

    def _already_recorded(self, record: Event, fingerprint: str) -> bool:
        if record.id in self.claims:
            earlier, line = self.claims[record.id]
            if earlier == fingerprint:
                return True
            where = f"on line {line}" if line else "earlier"
            raise DuplicateEventId(f"'{record.id}' was used {where} for a different event")
        claim = self.claimed(record.id)
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
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
