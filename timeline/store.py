"""Where the events live: eventsourcing's persistence settings, naming our store modules.

`--db PATH` (else `TIMELINE_DB`, else `timeline.db`) names an SQLite file, the embedded default
(`timeline.stores.sqlite`). A `postgresql://user:password@host:port/dbname[?schema=name]` URL
selects `timeline.stores.postgres` instead: the application code is the same, only the settings
differ. Each module subclasses eventsourcing's own (its tables are eventsourcing's).
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlparse

DEFAULT_DB = "timeline.db"


def choose_db(db: str | None = None) -> str:
    return db or os.environ.get("TIMELINE_DB") or DEFAULT_DB


def settings(db: str | None = None) -> dict[str, str]:
    """The eventsourcing environment for a store named by a path or a PostgreSQL URL."""
    target = choose_db(db)
    if target.startswith(("postgresql://", "postgres://")):
        url = urlparse(target)
        query = parse_qs(url.query)
        return {
            "POSTGRES_SCHEMA": query.get("schema", [""])[0],
            "PERSISTENCE_MODULE": "timeline.stores.postgres",
            "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            # eventsourcing's default, 5 s, ends a writer's append on a busy machine between
            # two batches of a large import (the rows of the next made in Python meanwhile)
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "60",
        }
    return {
        "PERSISTENCE_MODULE": "timeline.stores.sqlite",
        "SQLITE_DBNAME": target,
        "SQLITE_LOCK_TIMEOUT": "30",
    }
