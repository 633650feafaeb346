"""What makes an event the same event: its record as stored, and that record's fingerprint.

(The store keeps each id's fingerprint and operation in its table of event ids, whose primary
key keeps ids unique: `timeline.stores`.)"""

from __future__ import annotations

import hashlib

from timeline.events import Event


def record_json(record: Event) -> bytes:
    """The record as stored: its JSON, keys in the vocabulary's order, absent keys left out."""
    return record.__pydantic_serializer__.to_json(record, exclude_none=True)


def digest(content: bytes) -> str:
    """A fingerprint of a record's JSON: the same record imported twice is one event."""
    return hashlib.blake2b(content, digest_size=16).hexdigest()
