"""The names a team store's roles and events table go by: the defaults of `timeline init`,
kept apart from `roles` (which needs PostgreSQL's driver) so that naming them costs no
process that never meets PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

ANALYST_ROLE = "timeline_analyst"
RESEARCHER_ROLE = "timeline_researcher"
EVENTS_TABLE = "timeline_events"  # eventsourcing names it for the application (Timeline)


@dataclass(frozen=True)
class Roles:
    analyst: str = ANALYST_ROLE
    researcher: str = RESEARCHER_ROLE
