"""From JSON to a valid record, or to a list of `(field, message)` problems a user can act on."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, Discriminator, TypeAdapter, ValidationError, create_model
from pydantic.fields import FieldInfo

from timeline.errors import InvalidRecord
from timeline.events import (
    ID_PATTERN,
    ONE_LINE,
    RECORD,
    SHA256_PATTERN,
    TYPES,
    UNCHANGEABLE,
    URL_PATTERN,
    Event,
    Frozen,
)
from timeline.terminal import UNSAFE, cut, describe, shown

_JSON = TypeAdapter(Any)
_VALIDATE_JSON = RECORD.validator.validate_json  # TypeAdapter.validate_json's checks, skipped
_PLACE_TAGS = {"place object", "place name"}
_URL_START = re.compile(r"https?://[^\s/]")  # Python's \s: the separators \x1c-\x1f too
_SLUG = "must be a slug: lowercase letters, digits and single hyphens (al-qaim-2017)"


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
        loc = [cut(str(part)) for part in detail["loc"]]  # a key may be any text, any length
        event_type = loc.pop(0) if loc and loc[0] in TYPES else None
        loc = [part for part in loc if part not in _PLACE_TAGS]
        field = prefix + (".".join(loc) or "record")
        found.append((field, _message(detail, event_type, loc[-1] if loc else "")))
    return found


def _message(detail: Any, event_type: str | None, key: str) -> str:
    kind = detail["type"]
    if kind == "string_pattern_mismatch":
        pattern, text = detail["ctx"]["pattern"], str(detail["input"])
        unsafe = UNSAFE.search(text)
        where = f" ({describe(unsafe[0])}, at character {unsafe.start() + 1})" if unsafe else ""
        if pattern == ONE_LINE:
            return "must be one line of text, without control characters or bidirectional " \
                f"overrides{where}"  # fmt: skip
        if pattern == URL_PATTERN:
            if unsafe and _URL_START.match(text):
                return f"must be an http:// or https:// address on one line{where}"
            return "must be an http:// or https:// address"
        if pattern == ID_PATTERN:
            if unsafe:
                return "must be one line, without control characters or bidirectional " \
                    f"overrides{where}"  # fmt: skip
            return "must not start or end with white space"
        if pattern == SHA256_PATTERN:
            return "must be a SHA-256 digest: 64 hexadecimal digits"
        return _SLUG if key == "operation" else str(detail["msg"])
    if kind == "missing":
        return f"required by {event_type}" if event_type else "required"
    if kind == "extra_forbidden":
        where = f"{event_type}" if event_type else "this object"
        return f"not a key of {where}"
    if kind == "union_tag_invalid":
        tag = shown(detail["ctx"]["tag"])
        return f"unknown type {tag}; expected one of: {', '.join(sorted(TYPES))}"
    if kind == "union_tag_not_found":
        return "required: the event's type"
    if kind == "json_invalid":
        return f"not valid JSON ({detail['ctx']['error']})"
    if kind in ("model_type", "model_attributes_type", "dict_type") and not detail["loc"]:
        return "a record must be a JSON object"
    if kind == "too_short":
        return f"must list at least {detail['ctx']['min_length']} (found none)"
    message = str(detail["msg"])
    return cut(message.removeprefix("Value error, "), 1000)  # no message repeats a whole input


def repeated_keys(raw: bytes, content: bytes) -> list[tuple[str, str]]:
    """The key a JSON object of the line `raw` gives twice, as a problem; `content` is the
    valid record's JSON as stored. pydantic, like most JSON readers, keeps the last of two
    values silently: a reader of the file would see one record and the store hold another.

    Cheap for almost every line: each key of the line has a colon after it, and every other
    colon is inside a string, which the stored record holds as well (a key left out there, as
    an explicit null is, takes its colon with it). So unless a colon is written as an escape
    (\\u003a), a line with no more colons than the stored record gives no key twice: a key
    given twice adds one. Any other line is read again, by `json`, to find out."""
    if raw.count(b":") == content.count(b":") and b"\\u003" not in raw:
        return []
    return _repeated(raw)


class _Repeats(dict[str, Any]):
    """An object of the line that gives `key` twice."""

    key = ""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    repeats = _Repeats(found)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            repeats.key = key
            break
        seen.add(key)
    return repeats


def _repeated(raw: bytes) -> list[tuple[str, str]]:
    path = repeated_key(raw)
    if path is None:
        return []
    return [(".".join(cut(part) for part in path), REPEATED)]


REPEATED = "given twice in one object: JSON readers disagree on which to take; give it once"


def repeated_key(document: str | bytes) -> list[str] | None:
    """The path to the first key a JSON document gives twice in one object, or None."""

    def number(text: str) -> int:
        return 0  # never converted: an integer of 5,000 digits is not this check's to refuse

    data = json.loads(document, object_pairs_hook=_pairs, parse_int=number, parse_float=number)
    return _path_to_repeats(data, [])


def _path_to_repeats(value: Any, path: list[str]) -> list[str] | None:
    if isinstance(value, _Repeats):
        return [*path, value.key]
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _path_to_repeats(item, [*path, str(key)])
        if found is not None:
            return found
    return None


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

