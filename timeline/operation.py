"""The Operation aggregate: one event stream per operation, and the rules across its events."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import event

from timeline.domain import Aggregate, stable_id
from timeline.errors import (
    EventAlreadyRetracted,
    OperationAlreadyConcluded,
    OperationNotLaunched,
    RecordRejected,
    UnknownEvent,
)
from timeline.events import Event, Record, Submitted
from timeline.terminal import shown
from timeline.validation import validate_changes
from timeline.vocabulary import (
    OPERATION_CONCLUDED,
    OPERATION_LAUNCHED,
    REPORT_RETRACTED,
    REPORTS,
    TARGET_FIELDS,
    UNDATED,
)

_VERBS = {"corrects": "corrected", "retracts": "retracted", "corroborates": "corroborated"}


class Operation(Aggregate):
    """What has been recorded of one operation; `record()` checks the rules, then records."""

    @staticmethod
    def create_id(operation: str) -> UUID:
        return stable_id("operation", operation)

    @event("Opened")
    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.launched = False
        self.concluded_by: str | None = None
        self.types: dict[str, str] = {}
        self.retracted: set[str] = set()

    def snapshot_state(self) -> dict[str, Any]:
        return {
            "operation": self.operation, "launched": self.launched,
            "concluded_by": self.concluded_by, "types": self.types,
            "retracted": sorted(self.retracted),
        }  # fmt: skip

    def restore(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, retracted=set(state["retracted"]))

    def record(
        self, record: Event, *, unlaunched: bool = False, analyst: str | None = None
    ) -> None:
        """Append `record` to this operation, or raise the named error of the rule it breaks.

        `unlaunched=True` lets an analyst record into an operation whose launch nobody reported.
        `analyst`: who recorded it, kept beside the record (not part of its content).
        """
        self.check(Submitted.of(record), unlaunched=unlaunched)
        self._recorded(record=cast(Record, record), analyst=analyst)  # Events: of the union

    def check(self, record: Submitted, *, unlaunched: bool = False) -> None:
        """Raise the named error of the first rule that recording `record` here would break."""
        self.check_operation(record)
        self.check_launched(record, unlaunched)
        self.check_concluded_once(record)
        if record.type in REPORTS:
            self.check_target(record)

    def check_operation(self, record: Submitted) -> None:
        if record.operation != self.operation:
            msg = f"belongs to operation '{record.operation}', not '{self.operation}'"
            raise RecordRejected(msg, "operation")

    def check_launched(self, record: Submitted, unlaunched: bool) -> None:
        if self.launched or unlaunched or record.type == OPERATION_LAUNCHED:
            return
        if record.type in UNDATED:  # reports about events, or about places
            return
        msg = (
            f"operation '{self.operation}' has no operation_launched event: record its launch "
            "first (earlier in the file), or allow events of unlaunched operations explicitly"
        )
        raise OperationNotLaunched(msg)

    def check_concluded_once(self, record: Submitted) -> None:
        if record.type == OPERATION_CONCLUDED and self.concluded_by is not None:
            msg = (
                f"operation '{self.operation}' was already concluded by "
                f"{shown(self.concluded_by)}; "
                "correct that event instead"
            )
            raise OperationAlreadyConcluded(msg)

    def check_target(self, record: Submitted) -> str:
        """The type of the event a correction, retraction or corroboration (`sources_added`)
        names, once it may be named: an event of this operation, not itself a report, not
        retracted."""
        field = TARGET_FIELDS[record.type]
        target = str(record.target)
        target_type = self.types.get(target)
        if target_type is None:
            raise UnknownEvent(f"no event {shown(target)} in operation '{self.operation}'", field)
        if target_type in UNDATED:
            verb = _VERBS[field]
            msg = f"{shown(target)} is a {target_type}; only reports of events can be {verb}"
            raise RecordRejected(msg, field)
        if target in self.retracted:
            raise EventAlreadyRetracted(f"{shown(target)} was retracted", field)
        if record.changes is not None:
            validate_changes(target_type, record.changes)
        return target_type

    class Recorded(Aggregate.Event):
        """A record stored in the operation. Declared, not made by `@event` from the method's
        signature, so that `analyst` keeps its default: events stored before analysts were
        kept have none, and must still be read."""

        record: Record
        analyst: str | None = None

    @event(Recorded)
    def _recorded(self, record: Record, analyst: str | None = None) -> None:
        """`record` typed as the union: how a stored Recorded is read; `analyst`: who
        recorded it (None in events stored before analysts were kept)."""
        self.apply_record(Submitted.of(record))

    def apply_record(self, record: Submitted) -> None:
        """What a Recorded event changes here; called by it, and by the import's fast path
        (with the same Submitted record)."""
        self.types[record.id] = record.type
        if record.type == OPERATION_LAUNCHED:
            self.launched = True
        elif record.type == OPERATION_CONCLUDED:
            self.concluded_by = record.id
        elif record.type == REPORT_RETRACTED:
            self.retracted.add(str(record.target))
            if self.concluded_by == record.target:
                self.concluded_by = None
