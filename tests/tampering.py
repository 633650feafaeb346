"""A store's rows changed behind the application's back, as another program would change
them, on SQLite and on PostgreSQL: each state read as its JSON (unpacked), and written back
packed as this version packs it, as the JSON a store of version 2 held, or as SQLite TEXT."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing

from timeline.stores.packing import pack, unpack

Rows = list[tuple[int, str, bytes]]  # (position in the log, topic, state)


def _postgres(store: str) -> tuple[str, str]:
    """The server's address, and the stored events' table, of a store on PostgreSQL."""
    schema = store.rsplit("schema=", 1)[1]
    return store.split("?")[0], f'"{schema}".timeline_events'


def stored(store: str) -> Rows:
    """Every stored event, in log order, its state as JSON."""
    return [(position, topic, unpack(state)) for position, topic, state in as_kept(store)]


def as_kept(store: str) -> Rows:
    """Every stored event, in log order, its state as the store keeps it."""
    if store.startswith("postgresql://"):
        import psycopg

        server, table = _postgres(store)
        with psycopg.connect(server) as connection:
            found = connection.execute(
                f"SELECT notification_id, topic, state FROM {table} ORDER BY notification_id"
            ).fetchall()
    else:
        with closing(sqlite3.connect(store)) as connection:
            found = connection.execute(
                "SELECT rowid, topic, state FROM stored_events ORDER BY rowid"
            ).fetchall()
    return [(position, topic, bytes(state)) for position, topic, state in found]


def recorded(store: str, event_id: str) -> tuple[int, bytes]:
    """The position and JSON of the stored Recorded event of this id."""
    wanted = b'"record":{"id":"%s"' % event_id.encode()
    return next((position, state) for position, _, state in stored(store) if wanted in state)


def position_of(store: str, event_id: str) -> int:
    """The position of the stored Recorded event of this id."""
    return recorded(store, event_id)[0]


def state_of(store: str, event_id: str) -> bytes:
    """The JSON of the stored Recorded event of this id."""
    return recorded(store, event_id)[1]


def write(store: str, position: int, state: bytes | str | None) -> None:
    """The state at this position replaced (bytes: a BLOB, bytea; str: SQLite TEXT), or the
    row deleted (None)."""
    if store.startswith("postgresql://"):
        import psycopg

        server, table = _postgres(store)
        with psycopg.connect(server, autocommit=True) as server_connection:
            if state is None:
                server_connection.execute(
                    f"DELETE FROM {table} WHERE notification_id = %s", (position,)
                )
            else:
                value = state.encode() if isinstance(state, str) else state
                server_connection.execute(
                    f"UPDATE {table} SET state = %s WHERE notification_id = %s", (value, position)
                )
        return
    with closing(sqlite3.connect(store)) as connection, connection:
        if state is None:
            connection.execute("DELETE FROM stored_events WHERE rowid = ?", (position,))
        else:
            connection.execute(
                "UPDATE stored_events SET state = ? WHERE rowid = ?", (state, position)
            )


def edit(store: str, event_id: str, change: Callable[[bytes], bytes]) -> None:
    """The Recorded event of this id changed in its JSON, and packed again."""
    position, state = recorded(store, event_id)
    write(store, position, pack(change(state)))


def edit_every(store: str, change: Callable[[bytes], bytes], *, as_json: bool = False) -> None:
    """Every stored state changed in its JSON, then packed again or (`as_json`) written as
    its JSON, as a store of version 2 held it."""
    for position, _, state in stored(store):
        changed = change(state)
        if changed != state:
            write(store, position, changed if as_json else pack(changed))


def snapshots_as_kept(store: str) -> list[bytes]:
    """Every stored snapshot's state, as the store keeps it."""
    if store.startswith("postgresql://"):
        import psycopg

        server, events = _postgres(store)
        table = events.replace("timeline_events", "timeline_snapshots")
        with psycopg.connect(server) as connection:
            found = connection.execute(f"SELECT state FROM {table}").fetchall()
    else:
        with closing(sqlite3.connect(store)) as connection:
            found = connection.execute("SELECT state FROM stored_snapshots").fetchall()
    return [bytes(state) for (state,) in found]
