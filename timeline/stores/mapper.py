"""Events are pydantic models: how they become stored events and back."""

from __future__ import annotations

from typing import Any, cast

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from timeline.events import read_stored


class PydanticMapper(Mapper[Any]):
    """Events are dumped to JSON by pydantic and read back by pydantic.

    Keys holding null are left out, so a stored record reads exactly as the analyst wrote it.
    """

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        model = cast(BaseModel, domain_event)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=model.model_dump_json(exclude_none=True).encode(),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[Any]:
        cls = resolve_topic(stored_event.topic)
        return cast(DomainEventProtocol[Any], read_stored(cls, stored_event.state))
