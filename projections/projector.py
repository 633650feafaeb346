"""The projector: one handler per event type, writing read-model rows with plain SQL.

It works on one sqlite3 cursor inside a transaction that the caller owns (so that the rows and
the tracking position commit together). New events, by far the most common, are gathered and
written with one `executemany` per table when the page is flushed; a correction, a retraction
or a new alias first flushes what is pending, then changes the rows it concerns. The
full-text index is kept by hand (no triggers), keyed by the event's position in the store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import orjson

from projections import derived, schema
from projections.contested import figure_subjects
from projections.derived import json_list
from timeline.dates import DateError, parse_edtf
from timeline.names import name_key
from timeline.readings import Downgrades, corrected, reading, with_added
from timeline.vocabulary import (
    ALIASES_ADDED,
    NOT_EVENTS,
    PLACE_REGISTERED,
    PLACES_MERGED,
    RECORDED,
    REPORT_CORRECTED,
    REPORT_RETRACTED,
    ROLES,
    SOURCE_DOWNGRADED,
    SOURCES_ADDED,
    outlet_key,
    source_identity,
)

EVENT_COLUMNS = (
    "position", "id", "operation", "type", "status", "occurred", "occurred_earliest",
    "occurred_latest", "occurred_mid", "place", "place_kind", "lat", "lon", "attackers",
    "defenders", "supporters", "forces", "strength_best", "strength_low", "strength_high",
    "casualties_best", "casualties_low", "casualties_high", "source_count", "best_grade",
    "grades", "outlets", "published_earliest", "published_latest", "notes", "quotes",
    "recorded", "corrected_by", "corrected", "retracted_by", "parties", "place_precision",
    "fatalities", "form", "dataset", "dataset_id", "coded", "analyst", "corroborated_by",
    "downgraded_sources",
)  # fmt: skip
_INSERT_EVENT = schema.insert("events", EVENT_COLUMNS)
_INSERT_ACTOR = schema.insert("actors", ("position", "n", "force", "side", "role"))
_INSERT_SOURCE = schema.insert("sources", (
    "position", "n", "outlet", "reliability", "credibility", "grade", "url", "published",
    "published_earliest", "published_latest", "quote", "archive_url", "sha256", "retrieved",
    "outlet_key", "given_grade", "downgraded_by", "added_by",
))  # fmt: skip
_INSERT_HISTORY = schema.insert("history_kept", (
    "position", "recorded", "topic", "operation", "event_id", "type", "target", "state",
    "analyst",
), verb="INSERT OR REPLACE")  # fmt: skip
_INSERT_DOWNGRADE = schema.insert("downgrades", (
    "source", "outlet", "url", "reliability", "reason", "event_id", "operation", "recorded",
    "analyst",
), verb="INSERT OR REPLACE")  # fmt: skip
_INSERT_PLACE = schema.insert(
    "places", ("name", "key", "kind", "lat", "lon", "aliases", "recorded", "precision"),
    verb="INSERT OR REPLACE",
)
_INSERT_NAME = schema.insert("place_names", ("key", "name", "place"), verb="INSERT OR IGNORE")
# The full-text index reads its words from the view events_text (schema.py): the place's name
# and aliases, the notes, the quotes and outlets as text, not as the JSON of their lists.
_FTS = "place, notes, quotes, outlets"
_FTS_INSERT = (
    f"INSERT INTO events_fts (rowid, {_FTS}) SELECT position, {_FTS} FROM events_text "
    "WHERE position IN (SELECT value FROM json_each(?))"
)
_FTS_DELETE = (
    f"INSERT INTO events_fts (events_fts, rowid, {_FTS}) "
    f"SELECT 'delete', position, {_FTS} FROM events_text WHERE position IN "
)


@lru_cache(maxsize=4096)
def utc_text(moment: datetime | str) -> str:
    """The one text form of an instant that the read models store and compare."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        raise ValueError("a recorded time needs a time zone: Z or an offset such as +03:00")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def bounds(text: str | None) -> tuple[str | None, str | None]:
    """EDTF text -> (earliest, latest) as ISO days; None for an open end or no date."""
    return _dates(text)[:2] if text else (None, None)


def midpoint(earliest: str | None, latest: str | None) -> str | None:
    """The middle day of a fuzzy date: what "in order of occurrence" sorts by."""
    if earliest is None or latest is None:
        return earliest or latest
    middle = date.fromisoformat(earliest).toordinal() + date.fromisoformat(latest).toordinal()
    return date.fromordinal(middle // 2).isoformat()


@lru_cache(maxsize=65536)
def _dates(text: str) -> tuple[str | None, str | None, str | None]:
    """(earliest, latest, midpoint) of EDTF text: dates repeat, so each is worked out once."""
    try:
        found = parse_edtf(text)
    except DateError:
        return None, None, None
    earliest = found.earliest.isoformat() if found.earliest else None
    latest = found.latest.isoformat() if found.latest else None
    return earliest, latest, midpoint(earliest, latest)


# The stored events at these positions in the store's log, as (position, topic, state), in
# order (TimelineRecorder.read_positions): where the history's copies are not kept.
Stored = Callable[[Sequence[int]], list[tuple[int, str, bytes]]]


def stored_states(
    rows: Iterable[tuple[int, str | bytes | None]], stored: Stored | None
) -> list[tuple[int, str | bytes]]:
    """(position, state) of history rows, each state as kept or, where the history keeps none
    (a new event's, the store holds it), read from the store, in one query per call."""
    rows = list(rows)
    missing = [position for position, state in rows if state is None]
    found: dict[int, str | bytes] = {}
    if missing:
        if stored is None:
            raise ValueError("the history keeps no copy of these events: read the store")
        found = {position: state for position, _, state in stored(missing)}
    return [(position, found[position] if state is None else state) for position, state in rows]


_ROLES = {role: n for n, role in enumerate(ROLES)}


def _sides(actors: Iterable[dict[str, str]]) -> list[str | None]:
    """The sides of the attackers, the defenders, the supporters and the parties (who took
    part, in no role the source names), each a sorted list."""
    found: list[set[str]] = [set() for _ in ROLES]
    for actor in actors:
        found[_ROLES[actor["role"]]].add(actor["side"])
    return [json_list(sorted(sides)) for sides in found]


class Projector:
    """Applies stored events to the read models through one cursor."""

    def __init__(
        self,
        cursor: sqlite3.Cursor,
        gazetteer: dict[str, dict[str, Any] | None] | None = None,
        *,
        fts: bool = True,
        stored: Stored | None = None,
        wholly: bool = False,
    ) -> None:
        """`gazetteer`: places already looked up, by name key; it may outlive the projector
        (the catch-up keeps one across pages, and drops it if a page fails). `fts`: keep the
        full-text index row by row; a bulk catch-up leaves it and rebuilds it at the end.
        `stored`: how to read stored events from the store by position; given, the history
        keeps no row of a new event (its events row stands for it, and the store holds its
        state), only of the corrections, retractions and places' events that questions read
        from it (few, and small), and of each corrected event as first recorded. `wholly`:
        mark each operation touched stale as a whole (every force and figure of it), not the
        forces and figures its events name: a bulk catch-up touches most of them, and a mark
        for each figure cost more than it saved."""
        self.cursor = cursor
        self.fts = fts
        self.wholly = wholly
        self._stored = stored
        self.places: set[str] = set()
        self.operations: set[str] = set()
        self.forces: set[tuple[str, str]] = set()  # (operation, force)
        self.subjects: set[tuple[str, str, str]] = set()  # (operation, kind, subject)
        self._places = {} if gazetteer is None else gazetteer
        self._pending: dict[str, dict[str, Any]] = {}  # events to write, by id, as they read
        self._history: list[tuple[Any, ...]] = []
        self._corrected: set[str] = set()  # events corrected by this batch: see keep_copies
        self._downgrades: Downgrades | None = None  # read from its table when first needed

    def apply(
        self, position: int, topic: str, state: dict[str, Any], data: bytes | None = None
    ) -> None:
        """Project one stored event (`data`: its bytes as stored, kept in the history)."""
        state["timestamp"] = utc_text(state["timestamp"])
        if topic == RECORDED:
            self.recorded(position, state)
        elif topic == PLACE_REGISTERED:
            self.place_registered(state["place"], state["timestamp"])
        elif topic == ALIASES_ADDED:
            self.aliases_added(state["name"], state["aliases"])
        elif topic == PLACES_MERGED:
            self.places_merged(state["name"], state["other"])
        else:
            return
        keys = _history_keys(state)
        if self._stored is None or keys[2] is None or keys[2] in NOT_EVENTS:  # not new
            self._history.append(_history_row(position, topic, state, keys, data))

    def apply_all(self, notifications: Iterable[tuple[int, str, bytes]]) -> None:
        for position, topic, data in notifications:
            self.apply(position, topic, orjson.loads(data), bytes(data))

    def flush(self) -> None:
        """Write the gathered rows, one statement per table."""
        rows: dict[str, list[Any]] = {
            "events": [], "fts": [], "actors": [], "sources": []
        }  # fmt: skip
        for entry in self._pending.values():
            self._rows_of(entry, rows)
        self.cursor.executemany(_INSERT_EVENT, rows["events"])
        if rows["fts"]:
            self.cursor.execute(_FTS_INSERT, (orjson.dumps(rows["fts"]).decode(),))
        self.cursor.executemany(_INSERT_ACTOR, rows["actors"])
        self.cursor.executemany(_INSERT_SOURCE, rows["sources"])
        self.cursor.executemany(_INSERT_HISTORY, self._history)
        self._pending.clear()
        self._history.clear()
        self.keep_copies()

    def keep_copies(self) -> None:
        """The history keeps a copy of every corrected event as first recorded, read from
        the store once when it is first corrected: the contested claims weigh each earlier
        reading of it (projections.claims), on connections that cannot read the store."""
        if not self._corrected or self._stored is None:
            self._corrected.clear()
            return
        positions = [position for (position,) in self.cursor.execute(
            "SELECT position FROM events e WHERE id IN (SELECT value FROM json_each(?)) "
            f"AND {schema.NOT_KEPT}",
            (orjson.dumps(sorted(self._corrected)).decode(),),
        )]  # fmt: skip
        self._corrected.clear()
        if positions:
            rows = []
            for position, topic, data in self._stored(sorted(positions)):
                state = orjson.loads(data)
                state["timestamp"] = utc_text(state["timestamp"])
                rows.append(_history_row(position, topic, state, _history_keys(state), data))
            self.cursor.executemany(_INSERT_HISTORY, rows)

    def finish(self) -> None:
        """Flush, and mark what this batch touched for the derived models to recompute."""
        self.flush()
        derived.mark_stale(self.cursor, self.places, self.operations, self.forces, self.subjects,
                           self.operations if self.wholly else ())  # fmt: skip
        for touched in (self.places, self.operations, self.forces, self.subjects):
            touched.clear()

    # places

    def place_registered(self, place: dict[str, Any], recorded: str) -> None:
        aliases = place.get("aliases") or []
        self.cursor.execute(
            _INSERT_PLACE,
            (place["name"], name_key(place["name"]), place["kind"], place["lat"], place["lon"],
             orjson.dumps(aliases).decode(), recorded, place.get("precision")),
        )  # fmt: skip
        self._name(place["name"], place["name"])
        for alias in aliases:
            self._name(alias, place["name"])

    def aliases_added(self, name: str, aliases: list[str]) -> None:
        row = self.cursor.execute("SELECT aliases FROM places WHERE name = ?", (name,)).fetchone()
        known = orjson.loads(row[0]) if row else []
        at_place = "(SELECT rowid FROM events WHERE place = ?)"
        if self.fts:  # the place's events are indexed with its aliases: out with the old ones
            self.flush()
            self.cursor.execute(_FTS_DELETE + at_place, (name,))
        self.cursor.execute(
            "UPDATE places SET aliases = ? WHERE name = ?",
            (orjson.dumps([*known, *aliases]).decode(), name),
        )
        if self.fts:
            self.cursor.execute(
                f"INSERT INTO events_fts (rowid, {_FTS}) SELECT position, {_FTS} "
                f"FROM events_text WHERE position IN {at_place}",
                (name,),
            )
        for alias in aliases:
            self._name(alias, name)
        for key in [key for key, known in self._places.items() if known and known["name"] == name]:
            del self._places[key]  # its aliases changed

    def places_merged(self, name: str, other: str) -> None:
        """`other` is `name` now: its names, and the events at it (their control periods and
        counts follow, recomputed for `name`)."""
        self.flush()  # the pending events name their place as it was
        found = dict(self.cursor.execute(
            "SELECT name, aliases FROM places WHERE name IN (?, ?)", (name, other)
        ).fetchall())  # fmt: skip
        kept = orjson.loads(found.get(name) or "[]")
        gone = [other, *orjson.loads(found.get(other) or "[]")]
        aliases = [*kept, *(a for a in dict.fromkeys(gone) if a not in kept and a != name)]
        at_either = "(SELECT rowid FROM events WHERE place IN (?, ?))"
        if self.fts:  # the events are indexed with their place's names: out with the old ones
            self.cursor.execute(_FTS_DELETE + at_either, (name, other))
        self.cursor.execute(
            "UPDATE places SET aliases = ? WHERE name = ?", (orjson.dumps(aliases).decode(), name)
        )
        self.cursor.execute("DELETE FROM places WHERE name = ?", (other,))
        self.cursor.execute("UPDATE place_names SET place = ? WHERE place = ?", (name, other))
        self.cursor.execute(
            "UPDATE events SET place = p.name, place_kind = p.kind, lat = p.lat, lon = p.lon "
            "FROM places p WHERE p.name = ? AND events.place = ?",
            (name, other),
        )
        if self.fts:
            self.cursor.execute(
                f"INSERT INTO events_fts (rowid, {_FTS}) SELECT position, {_FTS} "
                f"FROM events_text WHERE position IN (SELECT rowid FROM events WHERE place = ?)",
                (name,),
            )
        self.places.update((name, other))
        self.operations.update(derived.mark_at_place(self.cursor, name))
        for key in [key for key, known in self._places.items()
                    if known is None or known["name"] in (name, other)]:  # fmt: skip
            del self._places[key]

    def _name(self, name: str, place: str) -> None:
        key = name_key(name)
        self._places.pop(key, None)  # it may have been looked up, and not found, before
        self.cursor.execute(
            _INSERT_NAME, (key, name, place)
        )

    def resolve(self, place: str | dict[str, Any] | None) -> dict[str, Any] | None:
        """The gazetteer's place for a name, alias or full mention."""
        if place is None:
            return None
        name = place if isinstance(place, str) else place["name"]
        key = name_key(name)
        if key not in self._places:
            row = self.cursor.execute(
                "SELECT p.name, p.kind, p.lat, p.lon, p.aliases, p.precision FROM place_names n "
                "JOIN places p ON p.name = n.place WHERE n.key = ?",
                (key,),
            ).fetchone()
            self._places[key] = row and {
                "name": row[0], "kind": row[1], "lat": row[2], "lon": row[3],
                "aliases": orjson.loads(row[4]), "precision": row[5],
            }  # fmt: skip
        found = self._places[key]
        if found is not None:
            return found
        if isinstance(place, str):  # not in the gazetteer: keep what the record says
            return {"name": place, "kind": None, "lat": None, "lon": None, "aliases": []}
        return {**place, "aliases": place.get("aliases") or []}

    # events

    def recorded(self, position: int, state: dict[str, Any]) -> None:
        record = state["record"]
        self.operations.add(record["operation"])
        if record["type"] == REPORT_CORRECTED:
            self.report_corrected(record, state["timestamp"])
        elif record["type"] == REPORT_RETRACTED:
            self.report_retracted(record)
        elif record["type"] == SOURCES_ADDED:
            self.sources_added(record)
        elif record["type"] == SOURCE_DOWNGRADED:
            self.source_downgraded(record, state)
        else:
            self._touch(record)
            self._pending[record["id"]] = {
                "record": record, "status": "active", "recorded": state["timestamp"],
                "position": position, "corrected_by": None, "corrected": None,
                "retracted_by": None, "analyst": state.get("analyst"), "added": [],
            }  # fmt: skip

    def sources_added(self, corroboration: dict[str, Any]) -> None:
        """More sources for an event: counted with its own, the fact unchanged."""
        entry = self._entry(corroboration["corroborates"])
        if entry is None:
            return
        entry["added"].append(corroboration)
        self._touch(entry["record"])

    @property
    def downgrades(self) -> Downgrades:
        if self._downgrades is None:
            self._downgrades = Downgrades()
            for event_id, outlet, url, reliability in self.cursor.execute(
                "SELECT event_id, outlet, url, reliability FROM downgrades ORDER BY recorded"
            ):
                self._downgrades.add(event_id, outlet, url, reliability)
        return self._downgrades

    def source_downgraded(self, downgrade: dict[str, Any], state: dict[str, Any]) -> None:
        """A source found worse than graded: every event resting on it, in any operation,
        is graded anew (the events written so far taken out and written again)."""
        self.flush()
        outlet, url = downgrade.get("outlet"), downgrade.get("url")
        self.cursor.execute(_INSERT_DOWNGRADE, (
            source_identity(outlet, url), outlet, url, downgrade["reliability"],
            downgrade["reason"], downgrade["id"], downgrade["operation"], state["timestamp"],
            state.get("analyst"),
        ))  # fmt: skip
        self.downgrades.add(downgrade["id"], outlet, url, downgrade["reliability"])
        where, params = [], []
        if outlet is not None:
            where.append("outlet_key = ?")
            params.append(outlet_key(outlet))
        if url is not None:
            where.append("url = ?")
            params.append(url)
        resting = [event_id for (event_id,) in self.cursor.execute(
            "SELECT id FROM events WHERE position IN "
            f"(SELECT position FROM sources WHERE {' AND '.join(where)})", params
        ).fetchall()]  # fmt: skip
        for event_id in resting:
            entry = self._entry(event_id)
            if entry is not None:
                self.operations.add(entry["record"]["operation"])
                self._touch(entry["record"])

    def report_corrected(self, correction: dict[str, Any], recorded: str) -> None:
        entry = self._entry(correction["corrects"])
        if entry is None:
            return
        self._corrected.add(correction["corrects"])
        self._touch(entry["record"])
        entry["record"] = corrected(entry["record"], correction["changes"])
        entry.update(status="corrected", corrected_by=correction["id"], corrected=recorded)
        self._touch(entry["record"])

    def report_retracted(self, retraction: dict[str, Any]) -> None:
        entry = self._entry(retraction["retracts"])
        if entry is None:
            return
        self._touch(entry["record"])
        entry.update(status="retracted", retracted_by=retraction["id"])

    def _entry(self, event_id: str) -> dict[str, Any] | None:
        """The pending entry of an event, taking it out of the tables if it is stored."""
        if event_id in self._pending:
            return self._pending[event_id]
        row = self.cursor.execute(
            "SELECT status, recorded, position, corrected_by, corrected, retracted_by, analyst "
            "FROM events WHERE id = ?",
            (event_id,),
        ).fetchone()
        if row is None:
            return None
        position = row[2]
        if self.fts:
            self.cursor.execute(_FTS_DELETE + "(?)", (position,))
        self.cursor.execute("DELETE FROM events WHERE position = ?", (position,))
        self.cursor.execute("DELETE FROM actors WHERE position = ?", (position,))
        self.cursor.execute("DELETE FROM sources WHERE position = ?", (position,))
        keys = ("status", "recorded", "position", "corrected_by", "corrected", "retracted_by",
                "analyst")  # fmt: skip
        record, added = self._reading(event_id, position)
        entry = {"record": record, "added": added, **dict(zip(keys, row, strict=True))}
        self._pending[event_id] = entry
        return entry

    def _reading(
        self, event_id: str, position: int
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """An event (stored at `position`) as it reads now: as first recorded (kept in the
        history once corrected, else read from the store), then each correction, from the
        history; and the corroborations of it, in recording order."""
        rows: list[tuple[int, str | bytes | None]] = self.cursor.execute(
            "SELECT position, state FROM history_kept "
            "WHERE event_id = ? OR (target = ? AND type IN (?, ?)) ORDER BY position",
            (event_id, event_id, REPORT_CORRECTED, SOURCES_ADDED),
        ).fetchall()
        if not rows or rows[0][0] != position:  # as first recorded: not kept yet
            rows.insert(0, (position, None))
        first, *reports = [
            orjson.loads(data)["record"] for _, data in stored_states(rows, self._stored)
        ]
        corrections = [report["changes"] for report in reports if "changes" in report]
        added = [report for report in reports if report["type"] == SOURCES_ADDED]
        return reading(first, corrections), added

    def _touch(self, record: dict[str, Any]) -> None:
        """Mark what a reading of an event takes part in (as it read before a change, and
        after): its place, and its operation's forces and figures that it names."""
        place = self.resolve(record.get("place"))
        if place is not None:
            self.places.add(place["name"])
        actors = record.get("actors")
        if not actors or self.wholly:
            return
        operation = record["operation"]
        forces = [actor["force"] for actor in actors]
        self.forces.update((operation, force) for force in forces)
        self.subjects.update(
            (operation, kind, subject) for kind, subject in figure_subjects(
                record["type"], forces, bool(record.get("strength")),
                bool(record.get("casualties")), None if place is None else place["name"],
            )
        )  # fmt: skip

    def _rows_of(self, entry: dict[str, Any], rows: dict[str, list[tuple[Any, ...]]]) -> None:
        """The rows of one event as it reads now."""
        record, position = entry["record"], entry["position"]
        event_id, operation = record["id"], record["operation"]
        place = self.resolve(record.get("place"))
        actors = record.get("actors") or ()
        added = entry.get("added") or ()  # corroborations (none for a new event)
        sources = with_added(record, added)["sources"]
        downgrades = self.downgrades
        downgraded = 0
        strength = record.get("strength") or {}
        casualties = record.get("casualties") or {}
        occurred = record.get("occurred")
        earliest, latest, middle = _dates(occurred) if occurred else (None, None, None)
        grades, first_out, surely_out, quotes = [], [], [], []
        source_rows = rows["sources"]
        for n, source in enumerate(sources):
            given = source["reliability"] + source["credibility"]
            reliability, downgraded_by = (
                downgrades.of(source) if downgrades else (source["reliability"], None)
            )
            downgraded += downgraded_by is not None
            grade = reliability + source["credibility"]
            grades.append(grade)
            published = source.get("published")
            out_earliest, out_latest, _ = _dates(published) if published else (None, None, None)
            if out_earliest:
                first_out.append(out_earliest)
            if out_latest:
                surely_out.append(out_latest)
            quote = source.get("quote")
            if quote:
                quotes.append(quote)
            source_rows.append((
                position, n, source["outlet"], reliability, source["credibility"],
                grade, source.get("url"), published, out_earliest, out_latest, quote,
                source.get("archive_url"), source.get("sha256"), source.get("retrieved"),
                outlet_key(source["outlet"]), given, downgraded_by, source.get("added_by"),
            ))  # fmt: skip
        outlets = json_list(list(dict.fromkeys(source["outlet"] for source in sources)))
        notes = record.get("notes")
        mention = record.get("place")
        precision = mention.get("precision") if isinstance(mention, dict) else None
        dataset = record.get("dataset") or {}
        attackers, defenders, supporters, parties = _sides(actors)
        if place is None:
            place_name = place_kind = lat = lon = None
        else:
            place_name, place_kind, lat, lon = (
                place["name"],
                place["kind"],
                place["lat"],
                place["lon"],
            )
        rows["events"].append((
            position, event_id, operation, record["type"], entry["status"],
            occurred, earliest, latest, middle, place_name, place_kind, lat, lon,
            attackers, defenders, supporters, json_list([actor["force"] for actor in actors]),
            strength.get("best"), strength.get("low"), strength.get("high"),
            casualties.get("best"), casualties.get("low"), casualties.get("high"),
            len(sources), min(grades) if grades else None, json_list(grades), outlets,
            min(first_out, default=None), min(surely_out, default=None),
            notes, json_list(quotes), entry["recorded"], entry["corrected_by"],
            entry["corrected"], entry["retracted_by"], parties, precision,
            record.get("fatalities"), record.get("form"), dataset.get("name"), dataset.get("id"),
            orjson.dumps(dataset).decode() if dataset else None, entry.get("analyst"),
            json_list([corroboration["id"] for corroboration in added]), downgraded,
        ))  # fmt: skip
        if self.fts:
            rows["fts"].append(position)
        named: set[tuple[str, str]] = set()  # a force named twice in one role: once
        for n, actor in enumerate(actors):
            if (actor["force"], actor["role"]) not in named:
                named.add((actor["force"], actor["role"]))
                rows["actors"].append((position, n, actor["force"], actor["side"], actor["role"]))


def _history_row(
    position: int, topic: str, state: dict[str, Any], keys: tuple[str | None, ...],
    data: bytes | str | None,
) -> tuple[Any, ...]:
    """A row of history_kept: a stored event with its state (`data`: its bytes as stored)."""
    text = data if isinstance(data, str) else bytes(data or orjson.dumps(state)).decode()
    return (position, state["timestamp"], topic, *keys, text, state.get("analyst"))


def _history_keys(state: dict[str, Any]) -> tuple[str | None, ...]:
    """(operation, event id, type, target) of a stored event, for the history table."""
    record = state.get("record")
    if record is None:
        place = state.get("place") or {}
        return None, None, None, place.get("name") or state.get("name")
    target = record.get("corrects") or record.get("retracts") or record.get("corroborates")
    return record["operation"], record["id"], record["type"], target
