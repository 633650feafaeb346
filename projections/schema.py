"""The read models' tables, made with sqlite-utils: what a researcher opens with sqlite3 or
Datasette. Every table is disposable: `timeline rebuild` recreates it from the events."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import NotRequired, TypedDict

from timeline.vocabulary import RECORDED, REPORT_CORRECTED

MOVES = f"type = '{REPORT_CORRECTED}' AND json_type(state, '$.record.changes.place') IS NOT NULL"
"""The rows of history_kept that are corrections moving an event to another place (or to
none): a partial index's condition, which a statement must repeat to read through it."""


class Table(TypedDict):
    """A read model's table as sqlite-utils makes it."""

    columns: dict[str, type]
    pk: str | tuple[str, ...]
    indexes: list[list[str]]
    foreign_keys: NotRequired[list[tuple[str, str, str]]]
    unique: NotRequired[list[list[str]]]  # unique indexes
    without_rowid: NotRequired[bool]  # kept in its primary key's tree (many small rows)
    partial: NotRequired[dict[str, tuple[list[str], str]]]  # name: (columns, WHERE), of few rows


TABLES: dict[str, Table] = {
    "events": {
        "columns": {
            "id": str,
            "operation": str,
            "type": str,
            "status": str,
            "occurred": str,
            "occurred_earliest": str,
            "occurred_latest": str,
            "occurred_mid": str,
            "place": str,
            "place_kind": str,
            "lat": float,
            "lon": float,
            "attackers": str,
            "defenders": str,
            "supporters": str,
            "forces": str,
            "strength_best": int,
            "strength_low": int,
            "strength_high": int,
            "casualties_best": int,
            "casualties_low": int,
            "casualties_high": int,
            "source_count": int,
            "best_grade": str,
            "grades": str,
            "outlets": str,
            "published_earliest": str,
            "published_latest": str,
            "notes": str,
            "quotes": str,
            "recorded": str,
            "position": int,
            "corrected_by": str,
            "corrected": str,
            "retracted_by": str,
            "parties": str,
            "place_precision": str,
            "fatalities": int,
            "form": str,
            "dataset": str,
            "dataset_id": str,
            "coded": str,
            "analyst": str,
            "corroborated_by": str,
            "downgraded_sources": int,
        },
        "pk": "position",  # its position in the store's log: the key every other table uses
        "unique": [["id"]],
        # In order of occurrence (queries.py): by operation, by place, by type, and all of
        # them with what --between, --text and the retracted filter test, so that a page is
        # read in order and its filters tested without reading the rows they reject.
        "indexes": [
            ["operation", "occurred_mid", "position"],
            ["place", "occurred_mid", "position"],
            ["type", "occurred_mid", "position"],
            ["occurred_mid", "position", "status", "occurred_earliest", "occurred_latest", "place"],
            ["recorded"],  # what changed between two record times (diff), through history
        ],
    },
    "actors": {
        "columns": {"position": int, "n": int, "force": str, "side": str, "role": str},
        # position: the event's (events.position); n: the actor's place in the record's list
        # (position, n): each index entry carries the key, so a short one (a force named
        # twice in one role is written once: projector.py)
        "pk": ("position", "n"),
        "indexes": [["force"], ["side"]],  # an operation's: through its events, by position
        "foreign_keys": [("position", "events", "position")],
        "without_rowid": True,  # the rows live in their key's tree: no second copy of it
    },
    "sources": {
        "columns": {
            "position": int,  # the event's (events.position)
            "n": int,
            "outlet": str,
            "reliability": str,
            "credibility": str,
            "grade": str,
            "url": str,
            "published": str,
            "published_earliest": str,
            "published_latest": str,
            "quote": str,
            "archive_url": str,
            "sha256": str,
            "retrieved": str,
            "outlet_key": str,
            "given_grade": str,
            "downgraded_by": str,
            "added_by": str,
        },
        "pk": ("position", "n"),
        "indexes": [["outlet_key"]],  # a downgrade of a url alone reads every source: rare
        "foreign_keys": [("position", "events", "position")],
        "without_rowid": True,
    },
    "history_kept": {  # the part of the history the store alone cannot answer: see HISTORY
        "columns": {
            "position": int,
            "recorded": str,
            "topic": str,
            "operation": str,
            "event_id": str,
            "type": str,
            "target": str,
            "state": str,
            "analyst": str,
        },
        "pk": "position",
        # (operation, position): one operation's history, for an answer as of a past moment
        "indexes": [["event_id"], ["target"], ["recorded"], ["operation", "position"]],
        # the corrections that move an event (set or remove its place): the contested claims
        # at a stale place look for its earlier readings through these few, not every state
        "partial": {"moves": (["target"], MOVES)},
    },
    "places": {
        "columns": {
            "name": str,
            "key": str,
            "kind": str,
            "lat": float,
            "lon": float,
            "aliases": str,
            "recorded": str,
            "precision": str,
        },
        "pk": "name",
        "indexes": [["key"]],
    },
    "place_names": {
        "columns": {"key": str, "name": str, "place": str},
        "pk": "key",
        "indexes": [["place"]],
    },
    "control": {
        "columns": {
            "place": str,
            "period": int,
            "side": str,
            "start_earliest": str,
            "start_latest": str,
            "start_event": str,
            "end_earliest": str,
            "end_latest": str,
            "end_event": str,
            "contested_from": str,
            "contested_event": str,
            "events": str,
            "derived_from": str,
        },
        "pk": ("place", "period"),
        "indexes": [["side"], ["start_earliest"]],
        "foreign_keys": [("place", "places", "name")],
    },
    "forces": {
        "columns": {
            "operation": str,
            "force": str,
            "side": str,
            "roles": str,
            "strength_best": int,
            "strength_low": int,
            "strength_high": int,
            "strength_event": str,
            "strength_shared_with": str,
            "first_occurred": str,
            "last_occurred": str,
            "events": int,
            "places_taken": int,
            "derived_from": str,
        },
        "pk": ("operation", "force"),
        "indexes": [["force"], ["side"]],
        "foreign_keys": [("operation", "operations", "operation")],
    },
    "downgrades": {  # the sources found worse than graded, one row per source_downgraded
        "columns": {
            "source": str,
            "outlet": str,
            "url": str,
            "reliability": str,
            "reason": str,
            "event_id": str,
            "operation": str,
            "recorded": str,
            "analyst": str,
        },
        "pk": "source",
        "indexes": [],
    },
    "projected_from": {  # which store these read models were projected from
        "columns": {"key": str, "value": str},
        "pk": "key",
        "indexes": [],
    },
    "contested_marks": {  # which kinds of standing conflict each event is on a side of
        "columns": {"position": int, "kinds": str},  # kinds: "control,strength"
        "pk": "position",
        "indexes": [],
    },
    "stale": {
        "columns": {"kind": str, "key": str},
        "pk": ("kind", "key"),
        "indexes": [],
    },
    "operations": {
        "columns": {
            "operation": str,
            "status": str,
            "launched": str,
            "launched_earliest": str,
            "launched_latest": str,
            "launch_claims": int,
            "launch_contested": int,
            "concluded": str,
            "concluded_earliest": str,
            "concluded_latest": str,
            "first_occurred": str,
            "last_occurred": str,
            "events": int,
            "places_taken": int,
            "sides": str,
            "derived_from": str,
        },
        "pk": "operation",
        "indexes": [],
    },
    "contested": {  # where active events disagree (projections/contested.py), open or ended
        "columns": {
            "key": str,
            "kind": str,
            "operation": str,
            "subject": str,
            "side_a": str,
            "events_a": str,
            "outlets_a": str,
            "grades_a": str,
            "side_b": str,
            "events_b": str,
            "outlets_b": str,
            "grades_b": str,
            "occurred_from": str,
            "occurred_to": str,
            "since": str,
            "ended_at": str,
            "ended_by": str,
        },
        "pk": "key",
        "indexes": [["operation"], ["subject"]],
    },
}
# What the derived models must recompute (derived.mark_stale): the stale places and operations,
# each a subquery that the derived models' statements drive from. A statement that also tests
# the type writes it `+type`, so that SQLite reads the stale keys' events through their place's
# or operation's index, not every event of those types through the type's (its pick with no
# statistics: a catch-up of 10 events read 60 % of a store of 1,000,000 three times over).
#
# The kinds of mark (derived.mark_stale): 'place' (its control, and the contested claims at
# it); 'operation' (its row in operations, and its launch and conclusion conflicts); 'force',
# key [operation, force] (the force's row in forces); 'subject', key [operation, kind,
# subject] (one figure conflict's claims: a strength or casualty count of forces); 'whole',
# key the operation (every force and figure of it: a bulk catch-up's, which touches most of
# them, and after a merge of places, or an upgrade).
STALE_PLACES = "SELECT key FROM stale WHERE kind = 'place'"
STALE_OPERATIONS = "SELECT key FROM stale WHERE kind = 'operation'"
STALE_WHOLE = "SELECT key FROM stale WHERE kind = 'whole'"
STALE_FORCES = (
    "SELECT json_extract(key, '$[0]'), json_extract(key, '$[1]') FROM stale WHERE kind = 'force'"
)
STALE_FORCES_OPERATIONS = (
    f"SELECT json_extract(key, '$[0]') FROM stale WHERE kind = 'force' UNION {STALE_WHOLE}"
)
STALE_SUBJECTS = (
    "SELECT json_extract(key, '$[0]'), json_extract(key, '$[1]'), json_extract(key, '$[2]') "
    "FROM stale WHERE kind = 'subject'"
)
DERIVED_MARKS = ("place", "operation", "force", "subject", "whole")
MARK_WHOLLY = (
    "INSERT OR IGNORE INTO stale SELECT DISTINCT 'whole', e.operation FROM events e WHERE {}"
)
"""Every force and figure of the operations of the events `e` that a condition names, marked
stale (str.format: the condition)."""
FTS_COLUMNS = ["place", "notes", "quotes", "outlets"]  # events_fts; aliases: place_names_fts

# The version of these tables' layout: read models of another are made anew (they are
# disposable), and the next catch-up projects every event into them. 2: every list column a
# JSON array, history.state TEXT, events_fts reading the words of events_text. 3: what
# datasets code (events: parties, place_precision, fatalities, form, dataset, dataset_id,
# coded; places: precision). 4: provenance (events: analyst, corroborated_by,
# downgraded_sources; sources: archive_url, sha256, retrieved, outlet_key, given_grade,
# downgraded_by, added_by; history: analyst; downgrades). 5: history keeps no copy of a new
# event (state NULL: the store holds it), only of the reports about events (corrections,
# retractions, corroborations, downgrades) and places' events. 6: the contested table;
# control, forces and operations each list the events they derive from (derived_from). 7:
# actors and sources WITHOUT ROWID (their rows kept in their primary key's tree, not in a
# table beside an automatic index of the key); actors' n, its place in the record's list;
# contested_marks, each event's standing conflicts (a question's mark reads it by key). 8: a
# contested row is a group of claims joined by disagreements, no longer one per pair. 9:
# keyed by position: events' primary key is its position in the store (its id a unique
# index), and actors, sources and contested_marks name their event by it (an integer of a
# few bytes in every row and index entry, not a 35-character id); actors lose operation (the
# event's). 10: history a view (HISTORY): a new event's row is its events row, and the table
# history_kept holds only the rest (reports about events, places' events, and the first
# reading of each corrected event, with their states). 11: actors keyed by (position, n), so
# that their force and side indexes carry a short key; sources lose their url index.
# 12: the same tables; a catch-up marks the forces and the figure conflicts (strength and
# casualty counts) a batch touches, not its whole operations (read models of 11 are kept: see
# KEPT_FROM).
VERSION = 12
KEPT_FROM = (11,)
"""Versions whose read models this one keeps as they are, its tables being theirs. Their
pending marks (a catch-up of theirs cut short) are widened to what theirs meant: every force
and figure of a stale operation."""
APPLICATION_ID = 0x4F54_5657  # "OTVW": ops-timeline read models (the store's is "OTST")

# An events row (`e`) whose stored event has no row in history_kept: the history's row of it
# is the events row itself (_FROM_EVENTS).
NOT_KEPT = "NOT EXISTS (SELECT 1 FROM history_kept k WHERE k.position = e.position)"
_FROM_EVENTS = {  # the history's columns, for an event without a row in history_kept
    "position": "e.position", "recorded": "e.recorded", "topic": f"'{RECORDED}'",
    "operation": "e.operation", "event_id": "e.id", "type": "e.type", "target": "NULL",
    "state": "NULL", "analyst": "e.analyst",
}  # fmt: skip


def history_rows(
    columns: str, kept: str, events: str | None = None, *, ordered: bool = True
) -> str:
    """The history's `columns` (names of history_kept's) in recording order: those of
    history_kept's rows where `kept` holds, and of the events' rows (`e`) where `events`
    holds (none: history_kept's alone). The history without its view, each side read
    through its table's own index (a condition on the view would be tested on both).
    `ordered=False`: in no order (the caller sorts a few rows), so that the events' side
    is read through the index its condition names rather than in order of position."""
    names = [name.strip() for name in columns.split(",")]
    order = f" ORDER BY {names.index('position') + 1}" if ordered else ""
    kept_rows = f"SELECT {columns} FROM history_kept WHERE {kept}"
    if events is None:
        return kept_rows + order
    return (
        f"{kept_rows} UNION ALL "
        f"SELECT {', '.join(_FROM_EVENTS[name] for name in names)} FROM events e "
        f"WHERE ({events}) AND {NOT_KEPT}{order}"
    )


# Every stored event, in recording order: the rows history_kept holds, with their states, and
# for every other (a new event that nothing has corrected: the store holds its state, at its
# position) its row in events, whose position, record time, operation, id, type and analyst
# are its stored event's. So the read models keep no row of their own for most events.
HISTORY = "CREATE VIEW IF NOT EXISTS history AS " + history_rows(
    ", ".join(_FROM_EVENTS), "1", "1", ordered=False
)


# What full-text search reads for each event: its place's name and aliases, its notes, its
# quotes and outlets as text (the JSON of a list would glue a word after a newline to an "n").
EVENTS_TEXT = """CREATE VIEW IF NOT EXISTS events_text AS
SELECT e.rowid AS position,
       e.place || coalesce(char(10) || (SELECT group_concat(value, char(10))
                                        FROM json_each(p.aliases)), '') AS place,
       e.notes AS notes,
       (SELECT group_concat(value, char(10)) FROM json_each(e.quotes)) AS quotes,
       (SELECT group_concat(value, char(10)) FROM json_each(e.outlets)) AS outlets
FROM events e LEFT JOIN places p ON p.name = e.place"""
EVENTS_FTS = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5("
    f"{', '.join(FTS_COLUMNS)}, content='events_text', content_rowid='position', "
    "tokenize='unicode61')"
)

# Indexes a bulk catch-up drops while it inserts and builds once at the end: those of the
# tables written for every event, but for those the projector itself reads through.
DEFERRABLE = ("events", "actors", "sources")
NEEDED_WHILE_PROJECTING = {
    ("events", ("id",)), ("history_kept", ("event_id",)), ("history_kept", ("target",))
}
# (sources' outlet_key index is deferred too: a downgrade met in a bulk catch-up
# reads the sources whole, and downgrades are few.)


def insert(table: str, columns: Sequence[str], *, verb: str = "INSERT") -> str:
    """The statement that inserts rows of these columns, in this order, into `table`: rows are
    built in an order their writer names, never in the order the table lists its columns.
    Every column of the table must be named (a column added to TABLES and not written fails
    here, at import)."""
    listed = set(TABLES[table]["columns"])
    unknown, missing = set(columns) - listed, listed - set(columns)
    if unknown or missing:
        msg = f"insert into {table}: unknown {sorted(unknown)}, missing {sorted(missing)}"
        raise ValueError(msg)
    return (
        f"{verb} INTO [{table}] ({', '.join(f'[{name}]' for name in columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})"
    )


def indexes(tables: Iterable[str] = TABLES) -> dict[str, str]:
    """Name -> CREATE statement of each index of these tables."""
    found = {}
    for table in tables:
        spec = TABLES[table]
        listed = [("UNIQUE INDEX", columns) for columns in spec.get("unique", [])]
        for kind, columns in [*listed, *(("INDEX", columns) for columns in spec["indexes"])]:
            name = _index_name(table, columns)
            on = ", ".join(f"[{column}]" for column in columns)
            found[name] = f"CREATE {kind} IF NOT EXISTS [{name}] ON [{table}] ({on})"
        for suffix, (columns, where) in spec.get("partial", {}).items():
            name = f"idx_{table}_{suffix}"
            on = ", ".join(f"[{column}]" for column in columns)
            found[name] = f"CREATE INDEX IF NOT EXISTS [{name}] ON [{table}] ({on}) WHERE {where}"
    return found


def projector_indexes() -> set[str]:
    """The names of the indexes the projector reads through: made before the rows."""
    return {_index_name(table, columns) for table, columns in NEEDED_WHILE_PROJECTING}


def deferred_indexes() -> dict[str, str]:
    """The indexes a bulk catch-up drops at its first page and builds at its end."""
    kept = projector_indexes()
    return {name: sql for name, sql in indexes(DEFERRABLE).items() if name not in kept}


def _index_name(table: str, columns: Iterable[str]) -> str:
    return f"idx_{table}_{'_'.join(columns)}"  # as sqlite-utils names them


def align_indexes(cursor: sqlite3.Cursor) -> None:
    """Make the indexes those this version lists: read models made by an earlier version get
    the new ones and lose the ones no longer listed (a no-op when they are already alike)."""
    wanted = indexes()
    present = {
        row[0]
        for row in cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx%'"
        )
    }
    for name in sorted(present - wanted.keys()):
        cursor.execute(f"DROP INDEX [{name}]")
    for name in sorted(wanted.keys() - present):
        cursor.execute(wanted[name])


def is_current(connection: sqlite3.Connection) -> bool:
    """Whether every table is there (checked without importing sqlite-utils: start-up)."""
    names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    views = {"events_text", "history"}
    return version == VERSION and names >= {*TABLES, *views, "events_fts", "place_names_fts"}


def create(connection: sqlite3.Connection) -> None:
    """Create every read model table, index and the full-text index, if missing."""
    from sqlite_utils import Database

    db = Database(connection)
    found = connection.execute("PRAGMA user_version").fetchone()[0]
    if found != VERSION and found not in KEPT_FROM:
        drop(connection)  # another version's: made anew, and projected again from the start
        connection.execute("DROP TABLE IF EXISTS tracking")
        connection.execute("DROP TABLE IF EXISTS source")  # projected_from's earlier name
    referring_last = sorted(TABLES.items(), key=lambda item: "foreign_keys" in item[1])
    for name, spec in referring_last:  # a foreign key needs its table made first
        table = db.table(name)
        if spec.get("without_rowid"):  # sqlite-utils makes the statement; SQLite the rest
            made = db.create_table_sql(name, spec["columns"], pk=spec["pk"],
                                       foreign_keys=spec.get("foreign_keys"),
                                       if_not_exists=True)  # fmt: skip
            connection.execute(made.rstrip().rstrip(";") + " WITHOUT ROWID")
        else:
            table.create(
                spec["columns"], pk=spec["pk"], foreign_keys=spec.get("foreign_keys"),
                if_not_exists=True,
            )
        for statement in indexes([name]).values():
            connection.execute(statement)
    connection.execute(EVENTS_TEXT)
    connection.execute(HISTORY)
    connection.execute(EVENTS_FTS)
    if not db["place_names_fts"].exists():  # few rows, rarely written: triggers keep it
        db.table("place_names").enable_fts(["name"], create_triggers=True, tokenize="unicode61")
    if found in KEPT_FROM:
        connection.execute(MARK_WHOLLY.format(f"e.operation IN ({STALE_OPERATIONS})"))
    elif found not in (0, VERSION):  # an earlier layout's, emptied: marked until projected
        mark_rebuilding(connection)
    connection.execute(f"PRAGMA user_version = {VERSION}")
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def mark_rebuilding(connection: sqlite3.Connection) -> None:
    """Mark the read models as being rebuilt, until a catch-up has projected every event."""
    connection.execute("INSERT OR IGNORE INTO stale VALUES ('rebuild', 'every read model')")


def rebuilding(connection: sqlite3.Connection) -> bool:
    row = connection.execute("SELECT 1 FROM stale WHERE kind = 'rebuild'").fetchone()
    return row is not None


def drop(connection: sqlite3.Connection) -> None:
    from sqlite_utils import Database

    db = Database(connection)
    for name, kind in db.execute(  # views (history was a table before version 10)
        "SELECT name, type FROM sqlite_master WHERE name IN ('events_text', 'history')"
    ).fetchall():
        db.execute(f"DROP {kind} [{name}]")
    for name in [*TABLES, "events_fts", "place_names_fts"]:
        db[name].drop(ignore=True)
    for trigger in db.triggers:
        db.execute(f"DROP TRIGGER IF EXISTS [{trigger.name}]")
