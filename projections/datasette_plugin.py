"""The Datasette plugin `timeline serve` registers (imported only to serve): every served
connection gets `name_key()`, so canned queries find a place by any name or alias as the CLI
does, and `query_only`, so no statement can write."""

from __future__ import annotations

import sqlite3

from datasette import hookimpl

from timeline.names import name_key

DATABASE = "timeline"  # serving.DATABASE (not imported: serving imports this module)


@hookimpl  # type: ignore[untyped-decorator]  # pluggy's marker is untyped
def prepare_connection(conn: sqlite3.Connection, database: str) -> None:
    if database != DATABASE:  # Datasette's own (_internal) it writes itself
        return
    conn.create_function("name_key", 1, name_key, deterministic=True)
    conn.execute("PRAGMA query_only = 1")
