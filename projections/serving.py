"""The read models in Datasette (0.65): described, faceted, searchable, read-only, with a map.

The read models' file is served as the database `timeline` (at `/timeline`, whatever the
file's name: `al-qaim.views.db` would be `/al-qaim~2Eviews`). Every table and column is
described; the internal tables are hidden; events link to their sources, actors and history
through the schema's foreign keys. Canned queries take parameters, bound by SQLite (never
pasted into the SQL). The connection is opened read-only (`mode=ro`) and `query_only`, so an
SQL write is refused, yet a writer may go on projecting into the file while it is served
(which Datasette's `--immutable` does not allow: it reads a WAL file as if nothing changed).

A place is found by any name or alias, as the CLI finds it: `name_key()` is registered as an
SQL function on every connection Datasette opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from timeline.vocabulary import WEAK_CREDIBILITY, WEAK_RELIABILITY

if TYPE_CHECKING:
    from datasette.app import Datasette

DATABASE = "timeline"
HIDDEN = ("tracking", "stale", "projected_from", "events_fts", "place_names_fts",
          "contested_marks", "history_kept")  # history_kept: read through the view history
TILES = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"  # datasette-cluster-map's own

_EDTF = "as written, EDTF (2017-11-03~ is about the 3rd)"
_DAY = "ISO day"
TABLES: dict[str, dict[str, Any]] = {
    "events": {
        "description": "One row per event as it currently reads, after its corrections.",
        "columns": {
            "id": "the event's id, unique in the store",
            "operation": "the operation's slug",
            "type": "what happened: operation_launched, place_captured, ...",
            "status": "active, corrected (a report_corrected changed it) or retracted",
            "occurred": f"when it happened, {_EDTF}",
            "occurred_earliest": f"the first day it can have happened ({_DAY})",
            "occurred_latest": f"the last day it can have happened ({_DAY})",
            "occurred_mid": "the middle of those days: what the order of occurrence sorts by",
            "place": "where, by its name in the gazetteer (places)",
            "place_kind": "town, neighbourhood, crossing, facility or region",
            "lat": "latitude, WGS84", "lon": "longitude, WGS84",
            "attackers": "the sides of the attacking actors",
            "defenders": "the sides of the defending actors",
            "supporters": "the sides of the supporting actors",
            "forces": "every force named, in the record's order",
            "strength_best": "troops committed: the best estimate",
            "strength_low": "troops committed: the lowest estimate",
            "strength_high": "troops committed: the highest estimate",
            "casualties_best": "deaths reported: the best estimate",
            "casualties_low": "deaths reported: the lowest estimate",
            "casualties_high": "deaths reported: the highest estimate",
            "source_count": "how many sources report it",
            "best_grade": "the best Admiralty grade of its sources (A1 best, F6 worst)",
            "grades": "each source's grade, in order",
            "outlets": "each outlet, once",
            "published_earliest": "the first day its first source can have been published",
            "published_latest": "the last day by which a source was surely published",
            "notes": "the analyst's notes: why this grade, what is uncertain",
            "quotes": "what each source said",
            "recorded": "when it was appended to the store (UTC)",
            "position": "its position in the store: the recording order",
            "corrected_by": "the id of the latest report_corrected of it",
            "corrected": "when that correction was recorded (UTC)",
            "retracted_by": "the id of the report_retracted that withdrew it",
            "parties": "the sides of the actors who took part in no role the source names "
            "(a dataset's actor1/actor2, side_a/side_b: who attacked is not said)",
            "place_precision": "how precisely the event is placed: exact, near, admin2, "
            "admin1, region, country or international (ACLED geo_precision, UCDP where_prec)",
            "fatalities": "deaths as a dataset counts them (ACLED's conservative count, not "
            "an estimate with bounds)",
            "form": "what kind of strike, attack, protest, riot or development it was",
            "dataset": "the dataset it came from: ACLED or UCDP GED",
            "dataset_id": "its id in that dataset (ACLED event_id_cnty, UCDP id)",
            "coded": "everything the dataset coded that has no column of its own, JSON "
            "(event and sub-event type, timestamp, source scale, tags, precisions, deaths "
            "of each side)",
            "analyst": "who first recorded it (the login name unless given)",
            "corroborated_by": "the sources_added events whose sources are counted with its own",
            "downgraded_sources": "how many of its sources are graded down by a "
            "source_downgraded",
        },
        "units": {"lat": "degrees", "lon": "degrees"},
        "facets": ["operation", "type", {"array": "attackers"}, "best_grade", "status",
                   "dataset"],
        "sort": "occurred_mid",
        "label_column": "id",
        "fts_table": "events_fts",
        "fts_pk": "rowid",
        "searchmode": "escaped",
    },
    "actors": {
        "description": "One row per actor of an event: which force, on which side, in what role.",
        "columns": {
            "position": "the event's position in the store (events.position, a link to it)",
            "n": "its place in the event's list of actors (0 first)",
            "force": "the force (Iraqi Army)",
            "side": "its side (Iraq)",
            "role": "attacker, defender, support, or party (it took part; the source does "
            "not say how)",
        },
        "facets": ["side", "role", "force"],
    },
    "sources": {
        "description": "One row per source of an event, graded in the Admiralty code.",
        "columns": {
            "position": "the event's position in the store (events.position, a link to it)",
            "n": "the source's place in the record (0: first)",
            "outlet": "who published it",
            "reliability": "of the source: A completely reliable ... E unreliable, "
            "F cannot be judged",
            "credibility": "of the claim: 1 confirmed ... 5 improbable, 6 cannot be judged",
            "grade": "reliability and credibility together (D3)", "url": "where it was published",
            "published": f"when, {_EDTF}",
            "published_earliest": f"the first day it can have been published ({_DAY})",
            "published_latest": f"the last day it can have been published ({_DAY})",
            "quote": "what it said",
            "archive_url": "where an archived copy of it is",
            "sha256": "the SHA-256 of the content captured",
            "retrieved": "when it was retrieved (ISO 8601, as written)",
            "outlet_key": "the outlet as sources are told apart: case and runs of spaces "
            "ignored",
            "given_grade": "the grade as recorded, before any downgrade",
            "downgraded_by": "the source_downgraded that lowered its reliability",
            "added_by": "the sources_added that added it (none: the event's own source)",
        },
        "facets": ["grade", "outlet"],
    },
    "history": {
        "description": "Every stored event as written, in recording order: who said what, "
        "when. Corrections and retractions are here, never edits. A view: the rows of "
        "history_kept, and every other event's from its events row.",
        "columns": {
            "position": "its position in the store", "recorded": "when it was appended (UTC)",
            "topic": "the stored event's class",
            "operation": "the operation's slug (none for a place's)",
            "event_id": "the record's id", "type": "the record's type",
            "target": "what a correction or retraction is of; a place's name for a place's",
            "state": "the stored event, JSON: kept for corrections, retractions, corroborations, "
            "downgrades, places' events and an event once corrected (as first recorded); "
            "empty for any other event (the store holds it, at its position)",
            "analyst": "who recorded it (none before analysts were kept)",
        },
        "facets": ["type"],
        "sort_desc": "position",
    },
    "places": {
        "description": "The gazetteer: one row per place, its kind, coordinates and aliases.",
        "columns": {
            "name": "its name", "key": "its name as looked up (case, accents, article ignored)",
            "kind": "town, neighbourhood, crossing, facility or region",
            "lat": "latitude, WGS84", "lon": "longitude, WGS84",
            "aliases": "its other names, in any script", "recorded": "when it was first given",
            "precision": "how precisely its first mention placed it: exact, near, admin2, "
            "admin1, region, country or international",
        },
        "units": {"lat": "degrees", "lon": "degrees"},
        "label_column": "name",
        "facets": ["kind"],
    },
    "place_names": {
        "description": "Every name and alias of every place, by its lookup key.",
        "columns": {"key": "the name as looked up", "name": "the name as written",
                    "place": "the place it names (places.name)"},
    },
    "control": {
        "description": "One row per place and period of control: who held it, from when to "
        "when (each bound as the earliest and latest day it can be), and when fighting was "
        "first reported in it.",
        "columns": {
            "place": "the place (places.name)", "period": "1, 2, ... in order",
            "side": "the side holding it", "start_earliest": f"held from, at the earliest ({_DAY})",
            "start_latest": f"held from, at the latest ({_DAY})",
            "start_event": "the event it is held by",
            "end_earliest": f"until, at the earliest ({_DAY})",
            "end_latest": f"until, at the latest ({_DAY})", "end_event": "the event that ended it",
            "contested_from": f"fighting reported in it from ({_DAY})",
            "contested_event": "the event that reported it", "events": "every event of the period",
            "derived_from": "the events it derives from: the period's, and the one that ended it",
        },
        "facets": ["side"],
    },
    "forces": {
        "description": "One row per operation and force: its side, roles, latest strength "
        "committed, span, events and places taken.",
        "columns": {
            "operation": "the operation's slug", "force": "the force",
            "side": "the side it is named with most", "roles": "every role it took",
            "strength_best": "the latest strength committed: the best estimate",
            "strength_low": "the lowest estimate", "strength_high": "the highest estimate",
            "strength_event": "the forces_committed event it is from",
            "strength_shared_with": "the other forces the same figure covers",
            "first_occurred": f"its first event's first day ({_DAY})",
            "last_occurred": f"its last event's last day ({_DAY})",
            "events": "how many events name it", "places_taken": "places it took as attacker",
            "derived_from": "the events it derives from: every one that names it",
        },
        "facets": ["operation", "side"],
    },
    "downgrades": {
        "description": "One row per source found worse than graded: every claim resting on "
        "it is graded with this reliability where that is worse than its own.",
        "columns": {
            "source": "the source's identity: its outlet (ignoring case), its url, or both",
            "outlet": "the outlet named", "url": "the article named",
            "reliability": "its reliability from now on (A-F)", "reason": "why",
            "event_id": "the source_downgraded event", "operation": "where it was recorded",
            "recorded": "when it was appended (UTC)", "analyst": "who recorded it",
        },
    },
    "operations": {
        "description": "One row per operation: every launch claim, conclusion, status, span, "
        "events, places taken and sides.",
        "columns": {
            "operation": "its slug", "status": "ongoing or concluded",
            "launched": f"every date its launch is claimed for, {_EDTF}",
            "launched_earliest": f"the first day of any launch claim ({_DAY})",
            "launched_latest": f"the last day of any launch claim ({_DAY})",
            "launch_claims": "how many events claim its launch",
            "launch_contested": "1 when two of those claims cannot both be true (contested)",
            "concluded": f"when it was concluded, {_EDTF}",
            "concluded_earliest": f"at the earliest ({_DAY})",
            "concluded_latest": f"at the latest ({_DAY})",
            "first_occurred": f"its first event's first day ({_DAY})",
            "last_occurred": f"its last event's last day ({_DAY})",
            "events": "how many events", "places_taken": "how many places changed hands",
            "sides": "every side named",
            "derived_from": "the events its status and dates derive from: its launch and "
            "conclusion claims",
        },
        "label_column": "operation",
    },
    "contested": {
        "description": "One row per conflict between events of one operation: two sides' "
        "claims that cannot both be true. Kept when a correction or retraction removes a "
        "side (ended_at, ended_by).",
        "columns": {
            "key": "kind|subject|the two events that make it", "kind":
            "control, reversal, launch, conclusion, strength or casualties",
            "operation": "the operation's slug", "subject": "the place, force(s) or operation",
            "side_a": "what one side claims", "events_a": "its events",
            "outlets_a": "their outlets", "grades_a": "their grades",
            "side_b": "what the other side claims", "events_b": "its events",
            "outlets_b": "their outlets", "grades_b": "their grades",
            "occurred_from": f"the days it concerns, from ({_DAY})",
            "occurred_to": f"to ({_DAY})",
            "since": "when it arose: the record time of the later side's claim",
            "ended_at": "when a correction or retraction removed a side (record time)",
            "ended_by": "that correction or retraction",
        },
        "facets": ["kind", "operation"],
    },
}

def _in_order(alias: str = "") -> str:
    """In order of occurrence (the middle of its possible days), then of recording."""
    return f"{alias}occurred_mid IS NULL, {alias}occurred_mid, {alias}position"


_IN_ORDER = _in_order()
QUERIES: dict[str, dict[str, Any]] = {
    "held_on": {
        "title": "Who held a place on a day",
        "description": "Every period of control of the place (any name or alias) that the day "
        "can fall in. One row answering held or contested: that side held it. Several rows, "
        "or one that is only possibly: uncertain, a fuzzy date makes the day ambiguous; the "
        "rows are the candidates. No row: no record.",
        "sql": """
SELECT c.place, :day AS day,
       CASE WHEN c.start_latest <= :day AND (c.end_earliest IS NULL OR :day < c.end_earliest)
            THEN CASE WHEN c.contested_from <= :day THEN 'contested' ELSE 'held' END
            ELSE 'possibly' END AS answer,
       c.side, c.period, c.start_earliest, c.start_latest, c.start_event,
       c.end_earliest, c.end_latest, c.end_event, c.contested_from, c.contested_event
FROM control c
WHERE c.place = (SELECT place FROM place_names WHERE key = name_key(:place))
  AND (c.start_earliest IS NULL OR c.start_earliest <= :day)
  AND (c.end_latest IS NULL OR :day < c.end_latest)
ORDER BY c.period""",
    },
    "operation_events": {
        "title": "An operation's events in order",
        "description": "Its events as they currently read, in order of occurrence (the middle "
        "of each one's possible days, then recording order); retracted events left out.",
        "sql": f"""
SELECT id, occurred, occurred_earliest, occurred_latest, type, place, attackers, defenders,
       forces, strength_best, strength_low, strength_high, grades, outlets, status, notes
FROM events WHERE operation = :operation AND status != 'retracted'
ORDER BY {_IN_ORDER}""",
    },
    "single_weak_source": {
        "title": "Claims resting on a single weak source",
        "description": "Events of the operation (every operation when left blank) reported by "
        "one source only, graded D, E or F for reliability or 4-6 for credibility.",
        "sql": f"""
SELECT e.id, e.operation, e.occurred, e.type, e.place, s.outlet, s.grade, s.quote, e.notes
FROM events e JOIN sources s ON s.position = e.position
WHERE (:operation = '' OR e.operation = :operation) AND e.status != 'retracted'
  AND e.source_count = 1
  AND (s.reliability IN ({", ".join(f"'{r}'" for r in WEAK_RELIABILITY)})
       OR s.credibility IN ({", ".join(f"'{c}'" for c in WEAK_CREDIBILITY)}))
ORDER BY e.operation, {_in_order("e.")}""",
    },
}


def metadata(*, tiles: str | None = None, title: str = "ops-timeline") -> dict[str, Any]:
    """Datasette 0.65's metadata for the read models."""
    tables: dict[str, Any] = {name: dict(spec) for name, spec in TABLES.items()}
    tables.update({name: {"hidden": True} for name in HIDDEN})
    return {
        "title": title,
        "description": "An event-sourced record of military operations: each event with "
        "its sources and their Admiralty grades, dates as uncertain as the sources make them.",
        "databases": {DATABASE: {
            "description": "The read models (disposable: `timeline rebuild` remakes them from "
            "the events).",
            "tables": tables,
            "queries": QUERIES,
        }},
        "plugins": {"datasette-cluster-map": {
            "latitude_column": "lat", "longitude_column": "lon", "tile_layer": tiles or TILES,
        }},
    }  # fmt: skip


def datasette(views: str, *, tiles: str | None = None) -> Datasette:
    """A Datasette of the read models in VIEWS, read-only, as the database `timeline`."""
    from datasette.app import Datasette
    from datasette.database import Database
    from datasette.plugins import pm

    from projections import datasette_plugin

    if pm.get_plugin("ops-timeline") is None:
        pm.register(datasette_plugin, name="ops-timeline")
    ds = Datasette(
        [], metadata=metadata(tiles=tiles),
        settings={"suggest_facets": False, "sql_time_limit_ms": 5000, "allow_download": False},
    )  # fmt: skip
    ds.remove_database("_memory")
    ds.add_database(Database(ds, path=views, is_mutable=True), name=DATABASE, route=DATABASE)
    return ds


def serve(views: str, *, host: str, port: int, tiles: str | None = None) -> None:
    """Serve until interrupted (Ctrl-C: uvicorn finishes the requests under way and returns)."""
    import uvicorn

    app = datasette(views, tiles=tiles).app()
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="on")
