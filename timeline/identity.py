"""An event's id when the analyst gives none: derived from what the record says, so that
recording the same thing twice is one event (`timeline record` and `record()` alike)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def derived_id(data: Mapping[str, Any]) -> str:
    """`OPERATION/TYPE-xxxxxxxx`: the operation, the type and a fingerprint of the rest."""
    content = json.dumps(dict(data), sort_keys=True, ensure_ascii=False).encode()
    fingerprint = hashlib.blake2b(content, digest_size=4).hexdigest()
    return f"{data.get('operation')}/{data.get('type')}-{fingerprint}"


def with_id(data: Mapping[str, Any]) -> dict[str, Any]:
    """The record as data, with its own id, or with one derived from its content."""
    if data.get("id") is not None:
        return dict(data)
    content = {key: value for key, value in data.items() if key != "id"}
    return {**content, "id": derived_id(content)}
