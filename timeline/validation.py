"""From JSON to a valid record, or to a list of `(field, message)` problems a user can act on."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Discriminator, TypeAdapter, ValidationError, create_model
from pydantic.fields import FieldInfo

from timeline.errors import InvalidRecord
from timeline.events import ONE_LINE, RECORD, TYPES, UNCHANGEABLE, URL_PATTERN, Event, Frozen

_JSON = TypeAdapter(Any)
_VALIDATE_JSON = RECORD.validator.validate_json  # TypeAdapter.validate_json's checks, skipped
_PLACE_TAGS = {"place object", "place name"}
_ID_PATTERN = "must be one line, not starting or ending with white space"
_PATTERNS = {
    "operation": "must be a slug: lowercase letters, digits and single hyphens (al-qaim-2017)",
    "id": _ID_PATTERN,
    "corrects": _ID_PATTERN,
    "retracts": _ID_PATTERN,
}


def parse_record(data: str | bytes | dict[str, Any]) -> Event:
    """Validate one record; raise InvalidRecord naming every problem."""
    try:
        if isinstance(data, dict):
            return RECORD.validate_json(_JSON.dump_json(data))
        return _VALIDATE_JSON(data)  # type: ignore[no-any-return]
    except ValidationError as error:
        raise InvalidRecord(problems(error)) from None


def problems(error: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """pydantic's errors as `(field, message)`, fields dotted (`sources.0.reliability`)."""
    found = []
    details = error.errors(include_url=False)
    failed_items = {tuple(d["loc"][:-2]) for d in details if len(d["loc"]) > 2}
    for detail in details:
        if detail["type"] == "too_short" and tuple(detail["loc"]) in failed_items:
            continue  # an item failed: say why, not that the list is now short
        loc = [str(part) for part in detail["loc"]]
        event_type = loc.pop(0) if loc and loc[0] in TYPES else None
        loc = [part for part in loc if part not in _PLACE_TAGS]
        field = prefix + (".".join(loc) or "record")
        found.append((field, _message(detail, event_type, loc[-1] if loc else "")))
    return found


def _message(detail: Any, event_type: str | None, key: str) -> str:
    kind = detail["type"]
    if kind == "string_pattern_mismatch":
        if detail["ctx"]["pattern"] == ONE_LINE:
            return "must be one line of text, without control characters"
        if detail["ctx"]["pattern"] == URL_PATTERN:
            return "must be an http:// or https:// address"
        return _PATTERNS.get(key, str(detail["msg"]))
    if kind == "missing":
        return f"required by {event_type}" if event_type else "required"
    if kind == "extra_forbidden":
        where = f"{event_type}" if event_type else "this object"
        return f"not a key of {where}"
    if kind == "union_tag_invalid":
        tag = detail["ctx"]["tag"]
        return f"unknown type '{tag}'; expected one of: {', '.join(sorted(TYPES))}"
    if kind == "union_tag_not_found":
        return "required: the event's type"
    if kind == "json_invalid":
        return f"not valid JSON ({detail['ctx']['error']})"
    if kind in ("model_type", "model_attributes_type", "dict_type") and not detail["loc"]:
        return "a record must be a JSON object"
    if kind == "too_short":
        return f"must list at least {detail['ctx']['min_length']} (found none)"
    message = str(detail["msg"])
    return message.removeprefix("Value error, ")


_CHANGE_MODELS: dict[str, type[BaseModel]] = {}


def _change_model(event_type: str) -> type[BaseModel]:
    """A model of `event_type` whose every changeable key is optional: what `changes` may hold."""
    if event_type not in _CHANGE_MODELS:
        fields: dict[str, Any] = {
            name: (_optional(field), None)
            for name, field in TYPES[event_type].model_fields.items()
            if name not in UNCHANGEABLE
        }
        _CHANGE_MODELS[event_type] = create_model(
            f"{TYPES[event_type].__name__}Changes", __base__=Frozen, **fields
        )
    return _CHANGE_MODELS[event_type]


def _optional(field: FieldInfo) -> Any:
    """The field's type with its constraints and validators, made optional."""
    metadata = [*field.metadata]
    if isinstance(field.discriminator, Discriminator):
        metadata.append(field.discriminator)
    annotated: Any = Annotated[(field.annotation, *metadata)] if metadata else field.annotation
    return annotated | None


def validate_changes(event_type: str, changes: dict[str, Any]) -> BaseModel:
    """Check a correction's `changes` against the type of the event it corrects.

    A key set to null removes an optional key; a key the type requires cannot be removed.
    """
    model = TYPES[event_type]
    for name, value in changes.items():
        field = model.model_fields.get(name)
        if value is None and field is not None and field.is_required():
            message = f"required by {event_type}, cannot be removed"
            raise InvalidRecord([(f"changes.{name}", message)])
    try:
        return _change_model(event_type).model_validate_json(_JSON.dump_json(changes))
    except ValidationError as error:
        found = [
            (field, f"not a key of {event_type}" if message.startswith("not a key") else message)
            for field, message in problems(error, prefix="changes.")
        ]
        raise InvalidRecord(found) from None

