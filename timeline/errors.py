"""Named errors of the write side. Each says which field it is about, so that an import can
report `FILE:LINE: field: message`; the CLI turns them into messages, once, at the edge."""

from __future__ import annotations

from dataclasses import dataclass

Problem = tuple[str, str]  # (field, message): what a user reads as `field: message`


class TimelineError(Exception):
    """Base of every error a user can cause; its message is written for that user."""


class InvalidInput(TimelineError):
    """A parameter of a question or a command that cannot be used. `field` names it as the
    Python API does (`as_recorded`, `min_grade`); the CLI says it as its option
    (`--as-recorded`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RecordRejected(TimelineError):
    """One record broke a rule; `field` names the key it is about."""

    field = "record"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field

    @property
    def message(self) -> str:
        return str(self.args[0])

    @property
    def problems(self) -> list[Problem]:
        """Every problem found, as (field, message): for a rule broken, that one."""
        return [(self.field, self.message)]


class InvalidRecord(RecordRejected):
    """The record's shape is wrong: a missing key, a value out of range, an unknown key."""

    def __init__(self, problems: list[Problem]) -> None:
        field, message = problems[0]
        super().__init__(message, field)
        self._problems = problems

    @property
    def problems(self) -> list[Problem]:
        return self._problems


class DuplicateEventId(RecordRejected):
    field = "id"


class IdTakenMeanwhile(DuplicateEventId):
    """Ids another writer stored, for other events, after this write had checked them: the
    store's table of event ids refused them, and nothing of this write was stored."""

    def __init__(self, message: str, event_ids: list[str]) -> None:
        super().__init__(message)
        self.event_ids = event_ids


class UnknownEvent(RecordRejected):
    """A correction or retraction names an event the store does not hold."""


class EventAlreadyRetracted(RecordRejected):
    pass


class SourceAlreadyDowngraded(RecordRejected):
    """A source_downgraded names a source downgraded before (in any operation)."""


class OperationNotLaunched(RecordRejected):
    field = "operation"


class OperationAlreadyConcluded(RecordRejected):
    field = "type"


class UnknownPlace(RecordRejected):
    field = "place"


class PlaceConflict(RecordRejected):
    field = "place"


@dataclass(frozen=True)
class LineError:
    """One problem of one line of a file; `rule` names the error a `record()` of the line
    would have raised (`InvalidRecord`, `DuplicateEventId`, ...)."""

    path: str
    line: int
    field: str
    message: str
    rule: str = "InvalidRecord"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


class ImportFailed(TimelineError):
    """An import stored nothing; `errors` holds the first ones found, `total` counts them all."""

    def __init__(self, errors: list[LineError], total: int) -> None:
        self.errors = errors
        self.total = total
        more = f"\n... and {total - len(errors)} more errors" if total > len(errors) else ""
        lines = "\n".join(str(error) for error in errors)
        counted = f"{total} error{'' if total == 1 else 's'}"
        super().__init__(f"{lines}{more}\nnothing was imported ({counted})")


class UnreadableFile(TimelineError):
    """The file cannot be read as UTF-8 JSON Lines at all."""


class ConcurrentWrite(TimelineError):
    """Another writer appended to the same streams first: nothing of this write was stored."""


class StoreUnavailable(TimelineError):
    """The store could not be opened, read or written: read-only, in a directory that is not
    there, on a full disk, locked too long by another writer, or unreachable."""


class NotAStore(StoreUnavailable):
    """The file named as the store is not an event store: random bytes, another database, or
    the read models. Nothing is written to it."""


class NewerStore(StoreUnavailable):
    """The store was written by a newer version of ops-timeline, in a layout this one could
    misread: it is neither read nor written."""


class ReadOnlyRole(StoreUnavailable):
    """A PostgreSQL role that may read the store (a researcher's) tried to append to it:
    nothing was stored."""


class NoStoreHere(StoreUnavailable):
    """A PostgreSQL schema holds no store, and this role may not make one (`timeline init`)."""
