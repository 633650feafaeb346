"""The SourceRegister aggregate: the sources found worse than graded, each downgraded once.

A `source_downgraded` is stored in the stream of the operation it was recorded in, like
every record; the finding is about a source (an outlet, an article), whichever operations'
claims rest on it, so the rule that a source is downgraded once is kept here, for the whole
store, by one aggregate: the source's identity (`vocabulary.source_identity`) -> the id of
the event that downgraded it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from timeline.domain import Aggregate, stable_id
from timeline.errors import SourceAlreadyDowngraded
from timeline.events import Submitted
from timeline.terminal import shown


class SourceRegister(Aggregate):
    @staticmethod
    def create_id() -> UUID:
        return stable_id("sources", "downgraded")

    @event("Started")
    def __init__(self) -> None:
        self.downgraded: dict[str, str] = {}  # source identity -> the downgrade's event id

    def snapshot_state(self) -> dict[str, Any]:
        return {"downgraded": self.downgraded}

    def restore(self, state: dict[str, Any]) -> None:
        self.downgraded = dict(state["downgraded"])

    def check_downgrade(self, record: Submitted) -> None:
        """A source is downgraded once, whichever operation the finding is recorded in."""
        identity = str(record.source)
        earlier = self.downgraded.get(identity)
        if earlier is not None:
            field = "outlet" if identity.startswith("outlet ") else "url"
            msg = (
                f"{shown(identity)} was downgraded already by {shown(earlier)}: a source is "
                "downgraded once"
            )
            raise SourceAlreadyDowngraded(msg, field)

    def downgrade(self, record: Submitted) -> None:
        self._downgraded(identity=str(record.source), event_id=record.id)

    @event("Downgraded")
    def _downgraded(self, identity: str, event_id: str) -> None:
        self.downgraded[identity] = event_id
