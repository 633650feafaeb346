"""The Python API for scripts and notebooks, and what the CLI calls: record, import, ask.

This module and `timeline.cli` are the only ones that see both sides: the write side (the
`Timeline` application) and the read side (`projections`). After every write the read models
are brought up to date; `project()` catches up with what other writers appended.

    >>> ops = OpsTimeline("al-qaim.db")
    >>> ops.import_file("fixtures/al_qaim_2017.jsonl")
    >>> rows = ops.show("al-qaim-2017")           # a list of dicts: the first 500 events
    >>> pandas.DataFrame(rows)                     # one call to a data frame
    >>> ops.show("al-qaim-2017", after=rows.next)  # the next 500 (rows.next None: no more)
    >>> ops.show("al-qaim-2017", limit=None)       # every event
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, closing, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TextIO, TypeVar

from projections import queries, tables
from projections.queries import PAGE, Page
from projections.views import ReadModelsUnavailable, Views, views_path
from timeline.environment import environmental, reason
from timeline.errors import InvalidInput, NotAStore, StoreUnavailable, TimelineError
from timeline.store import choose_db
from timeline.stores.chain import heads_line, read_heads
from timeline.terminal import json_safe, shown

if TYPE_CHECKING:  # the write side is imported when first used: questions start faster
    from collections.abc import Sequence

    import plotly.graph_objects as go
    from eventsourcing.persistence import InfrastructureFactory

    from projections.projector import Stored
    from timeline.application import Imported, LoggedEvent, Timeline, Verified
    from timeline.doctor import Finding
    from timeline.encoding import Row
    from timeline.events import Event
    from timeline.stores.recorder import TimelineRecorder

Rows = list[dict[str, Any]]
Given = str | Path | Mapping[str, str] | None  # a CSV file of pairs, or the pairs themselves
T = TypeVar("T")
NEEDS_A_ZONE = "needs a time zone: Z or an offset (+03:00)"
Moment = datetime | str | None
Day = date | str | None
Colours = str | Path | Mapping[str, str] | None  # a colours file, or side -> #rrggbb


class NoStore(TimelineError):
    """The SQLite file named as the store does not exist (and no read models are there)."""


class ReadModelsBehind(ReadModelsUnavailable):
    """A write was stored, but the read models could not take it: `timeline project` (or
    `OpsTimeline.project()`) brings them up to date once what was wrong is put right."""

    def __init__(self, stored: str, why: str) -> None:
        super().__init__(
            f"{stored}, but the read models were not brought up to date: {why}; run "
            "`timeline project` once that is put right"
        )
        self.stored = stored


class Exported(NamedTuple):
    """What an export wrote: how many rows (events, places, ...), and how many chosen events
    it had to leave out (TimelineJS places no event without a known day; ACLED has no row for
    an operation launched), and why, in words."""

    rows: int
    left_out: int = 0
    why: str = ""


class OpsTimeline:
    """One event store and its read models."""

    def __init__(self, db: str | None = None, *, views: str | None = None) -> None:
        self.db = choose_db(db)
        self._views_path = views or views_path(self.db)
        self._views: Views | None = None
        self._app: Timeline | None = None
        self._recorder: TimelineRecorder | None = None  # the store's, for questions alone
        self._factory: InfrastructureFactory[Any] | None = None  # which made it

    @property
    def views(self) -> Views:
        """The read models, opened (and made, if new) on first use: an import that does not
        project never touches them."""
        if self._views is None:
            self._views = self._open_views()
        return self._views

    def _open_views(self, *, remake: bool = False, asking: bool = True) -> Views:
        """The read models; `asking`: for a question, which a store not there refuses."""
        if "://" not in self.db and not Path(self._views_path).exists():
            store = Path(self.db)
            if not store.exists() and asking:  # a question of a store that is not there:
                raise NoStore(f"no store at {self.db}")  # an error, and nothing created
            if store.is_file() and not _is_sqlite(store):
                raise NotAStore(
                    f"cannot open the store {self.db}: it is not an SQLite database (nor an "
                    "empty file)"
                )
        return Views(self._views_path, remake=remake)

    @property
    def app(self) -> Timeline:
        """The write side, opened on first use (questions only need the read models)."""
        if self._app is None:
            from timeline.application import Timeline

            with self._opening_store():
                self._app = Timeline(db=self.db)
        return self._app

    @contextmanager
    def _opening_store(self) -> Iterator[None]:
        """The machine's errors opening (or reading) the store, said in one line."""
        try:
            yield
        except TimelineError:
            raise
        except Exception as error:
            if not environmental(error):
                raise
            where = self.db if "://" not in self.db else _without_password(self.db)
            raise StoreUnavailable(
                f"cannot open the store {where}: {reason(error, self.db)}"
            ) from None

    def _stored(self, positions: Sequence[int]) -> list[tuple[int, str, bytes]]:
        """The stored events at these positions of the store's log: the read models' history
        keeps no copy of a new event. An SQLite store is read with sqlite3 alone (a question
        imports neither eventsourcing nor the application); PostgreSQL through its recorder."""
        if self._app is not None:
            return self._app.recorder.read_positions(positions)
        with self._opening_store():
            if "://" not in self.db:
                from timeline.stores import plain

                with closing(sqlite3.connect(self.db)) as store:
                    return plain.read_positions(store, positions)
            if self._recorder is None:
                from eventsourcing.persistence import InfrastructureFactory
                from eventsourcing.utils import Environment

                from timeline.store import settings
                from timeline.stores.recorder import TimelineRecorder

                factory = InfrastructureFactory.construct(
                    Environment("Timeline", settings(self.db))
                )
                self._factory = factory
                recorder = factory.application_recorder()
                assert isinstance(recorder, TimelineRecorder)
                self._recorder = recorder
            return self._recorder.read_positions(positions)

    # writing

    def ready_to_project(self) -> Views:
        """The read models a write will project into, refusing at once (before anything is
        stored) if they cannot be opened or written."""
        if self._views is None:
            self._views = self._open_views(asking=False)
        self._views.check_writable()
        return self._views

    def record(
        self, record: Event | dict[str, Any], *, unlaunched: bool = False, project: bool = True,
        analyst: str | None = None,
    ) -> bool:  # fmt: skip
        """Append one event, then bring the read models up to date (unless told not to).
        `analyst`: who records it (default: the user's login name)."""
        store = self.app  # a file that is not a store refuses first, then read models that
        if project:  # cannot take the event
            self.ready_to_project()
        new = store.record(record, unlaunched=unlaunched, analyst=analyst)
        if project:
            self._project_after("the event is stored" if new else "the event was stored")
        return new

    def import_file(
        self,
        source: str | Path | None,
        *,
        unlaunched: bool = False,
        progress: Callable[[int], None] | None = None,
        project: bool = True,
        form: str = "jsonl",
        operation: str | None = None,
        grades: Given = None,
        sides: Given = None,
        deleted: str | Path | None = None,
        analyst: str | None = None,
    ) -> Imported:
        """Import a file, then bring the read models up to date (unless told not to: for a
        large load, `project()` once at the end).

        `form`: `jsonl` (the record format), `acled` (ACLED's export CSV) or `ucdp` (UCDP
        GED's CSV or API JSON). For a dataset: `operation` puts every row in one operation
        (else the grouping key); `grades` (a CSV file `outlet,grade`, or a mapping; outlet
        `*` the default) grades the outlets, F6 otherwise; `sides` (a CSV file `actor,side`,
        or a mapping) overrides the sides rule; `deleted`: ACLED's deleted-events file, each
        id the store holds retracted (`source` None: that file alone). `analyst`: who imports
        (default: the user's login name), kept with each new event."""
        from timeline.intake import JSON_LINES, Reader

        reader: Reader = JSON_LINES
        if form != "jsonl":
            from timeline.readers import dataset_reader

            reader = dataset_reader(form, operation=operation, grades=grades, sides=sides)
        else:
            given = {"operation": operation, "grades": grades, "sides": sides}
            for keyword, value in given.items():
                if value is not None:
                    msg = "is for a dataset's file (ACLED, UCDP), not JSON Lines"
                    raise InvalidInput(keyword, msg)
            if source is None:
                raise InvalidInput("source", "a file to import is required")
        store = self.app  # a file that is not a store refuses first, then read models that
        inline = None
        if project:  # cannot take the events
            inline = _Inline(self.ready_to_project(), store)
        result = store.import_file(
            source, unlaunched=unlaunched, progress=progress, reader=reader, deleted=deleted,
            analyst=analyst, appended=inline,
        )  # fmt: skip
        if inline is not None:
            if inline.failed is not None:
                raise ReadModelsBehind(f"the events are stored ({result})", inline.failed)
            self._project_after(f"the events are stored ({result})")  # other writers'
        return result

    def _project_after(self, stored: str) -> None:
        """Project what a write stored; if the read models cannot take it, say that the
        write itself is done."""
        try:
            self.project()
        except ReadModelsUnavailable as error:
            raise ReadModelsBehind(stored, str(error)) from None

    def log(self, operation: str | None = None) -> Iterator[LoggedEvent]:
        return self.app.log(operation)

    def verify(self, against: str | Path | None = None) -> Verified:
        """Every chain of hashes computed again from the stored events; `against`: a
        `log --json` output or a jsonl export, whose chain heads must be this store's."""
        heads = None
        if against is not None:
            try:
                with open(against, "rb") as file:
                    heads = read_heads(iter(file))
            except OSError as error:
                raise InvalidInput("against", f"cannot read {against}: {error.strerror}") from None
            if heads is None:
                raise InvalidInput("against", f"{against} does not end with chain heads")
        return self.app.verify(heads)

    def chain_heads(self) -> str:
        """The line that ends `log --json` and a jsonl export: each stream's last hash."""
        return heads_line(self.app.chain_heads()).decode() + "\n"

    def project(self, progress: Callable[[int], Any] | None = None) -> int:
        """Catch the read models up with the store; return how many events were projected."""
        return self.ready_to_project().catch_up(self.app.recorder, self.app.name, progress)

    def doctor(self) -> list[Finding]:
        """Check the store and its read models: a finding (ok, warn or fail, with what to do)
        for each check. Neither is written to, nor made if not there."""
        from projections.health import check_read_models
        from timeline.doctor import check_store

        found, app = check_store(self.db)
        try:
            name = app.name if app is not None else "Timeline"
            failed = any(finding.status == "fail" for finding in found)
            recorder = app.recorder if app is not None and not failed else None
            found += check_read_models(self._views_path, recorder, name)
        finally:
            if app is not None:
                app.close()
        return found

    def backlog(self, *, rebuild: bool = False) -> int:
        """How many stored events a catch-up (or a rebuild) would read, at most."""
        last = self.app.recorder.max_notification_id() or 0
        return last if rebuild else max(0, last - self.views.position(self.app.name))

    def rebuild(self, progress: Callable[[int], Any] | None = None) -> int:
        """Recreate every read model from the events (read models of a newer layout too)."""
        if self._views is None:
            self._views = self._open_views(remake=True, asking=False)
        self._views.check_writable()
        return self._views.rebuild(self.app.recorder, self.app.name, progress)

    # questions

    def show(
        self, operation: str, *, include_retracted: bool = False, limit: int | None = PAGE,
        after: str | None = None, as_recorded: Moment = None, known_by: Day = None,
        min_grade: str | None = None,
    ) -> Page:  # fmt: skip
        """An operation's events in order of occurrence: a first page of `limit` (None: all),
        whose `next`, given as `after`, asks for the page after it. `min_grade`: the events
        with a source graded that well or better (once downgraded), as `query` chooses."""
        with self._read(as_recorded, known_by, operation, text=False) as db:
            return queries.show(
                db, operation, include_retracted=include_retracted, limit=limit, after=after,
                min_grade=min_grade,
            )  # fmt: skip

    def query(
        self, *, limit: int | None = PAGE, after: str | None = None,
        as_recorded: Moment = None, known_by: Day = None, **filters: Any,
    ) -> Page:  # fmt: skip
        """Filters: operation, place, force, side, type, between=(FROM, TO), text, min_grade,
        include_retracted. A first page of `limit` events (None: all), whose `next`, given as
        `after`, asks for the page after it."""
        with self._read(
            as_recorded, known_by, filters.get("operation"), text=filters.get("text") is not None
        ) as db:
            return queries.query(db, limit=limit, after=after, **filters)

    def control(
        self, place: str, *, on: str | date | None = None,
        as_recorded: Moment = None, known_by: Day = None, min_grade: str | None = None,
    ) -> Rows:  # fmt: skip
        """`min_grade` (here and in `forces`, `operations`): only sources graded that well or
        better count, once downgraded; events left with none drop out."""
        with self._read(as_recorded, known_by, place=place, text=False,
                        min_grade=min_grade) as db:  # fmt: skip
            return queries.control(db, place, on=None if on is None else str(on))

    def forces(
        self, operation: str, *, as_recorded: Moment = None, known_by: Day = None,
        min_grade: str | None = None,
    ) -> Rows:  # fmt: skip
        with self._read(as_recorded, known_by, operation, text=False, min_grade=min_grade) as db:
            return queries.forces(db, operation)

    def operations(
        self, *, as_recorded: Moment = None, known_by: Day = None, min_grade: str | None = None
    ) -> Rows:
        with self._read(as_recorded, known_by, min_grade=min_grade) as db:
            return queries.operations(db)

    def contested(
        self, operation: str | None = None, *, as_recorded: Moment = None, known_by: Day = None,
        min_grade: str | None = None,
    ) -> Rows:  # fmt: skip
        """Every conflict between events (of `operation`, or of every one): its kind,
        subject, both sides' events, outlets and grades, the days it concerns, since when it
        stands, and when and by what it ended if a correction or retraction removed a side."""
        with self._read(as_recorded, known_by, operation, text=False, min_grade=min_grade) as db:
            return queries.contested(db, operation)

    def why_control(
        self, place: str, *, on: str | date | None = None,
        as_recorded: Moment = None, known_by: Day = None, min_grade: str | None = None,
    ) -> Rows:  # fmt: skip
        """The events behind `control(place, on=...)`: occurred, published, recorded,
        sources."""
        from projections import why

        with self._read(as_recorded, known_by, place=place, text=False,
                        min_grade=min_grade) as db:  # fmt: skip
            return why.why_control(db, place, on=None if on is None else str(on))

    def why_forces(
        self, operation: str, force: str, *, as_recorded: Moment = None, known_by: Day = None,
        min_grade: str | None = None,
    ) -> Rows:  # fmt: skip
        """The events behind a force's row of `forces(operation)`."""
        from projections import why

        with self._read(as_recorded, known_by, operation, text=False, min_grade=min_grade) as db:
            return why.why_forces(db, operation, force)

    def why_operation(
        self, operation: str, *, as_recorded: Moment = None, known_by: Day = None,
        min_grade: str | None = None,
    ) -> Rows:  # fmt: skip
        """The events behind an operation's status and dates (its launch and conclusion)."""
        from projections import why

        with self._read(as_recorded, known_by, operation, text=False, min_grade=min_grade) as db:
            return why.why_operation(db, operation)

    def sources(
        self, operation: str | None = None, *, as_recorded: Moment = None, known_by: Day = None,
        min_grade: str | None = None,
    ) -> Rows:  # fmt: skip
        """Every source (an outlet, or an outlet's article where a downgrade names its url)
        with the events resting on it: how many, their ids, the best and worst grade it gives
        them, whether it is downgraded (by which event, to what, why); of one operation, or
        of every one."""
        with self._read(as_recorded, known_by, operation, text=False, min_grade=min_grade) as db:
            return queries.sources(db, operation)

    def regraded(self, downgrade: str) -> int:
        """How many events a recorded downgrade regrades, as the read models read now (0: it
        names a source no event cites yet)."""
        with self.views.reading() as db:
            return sum(row["events"] for row in queries.sources(db, None)
                       if any(d["event_id"] == downgrade for d in row["downgrades"]))  # fmt: skip

    def diff(
        self, since: Moment, until: Moment = None, operation: str | None = None
    ) -> dict[str, Rows]:
        """What changed in the record between two record times (`since` excluded, `until`
        included; None: now): the events `added` (as first recorded), `corrected` (each key
        changed, before and after), `corroborated` (the sources added), `retracted` and the
        sources `downgraded`; of one operation, or of every one."""
        start = _moment(since, "since")
        end = _moment(until, "until")
        if start is None:
            raise InvalidInput("since", "is required: a record time (2017-11-05T12:00:00Z)")
        with self._read(None, None) as db:
            return queries.diff(db, start, end, operation, self._stored)

    def history(self, event_id: str) -> Rows:
        with self._read(None, None) as db:
            return queries.history(db, event_id, self._stored)

    def places(
        self, *, name: str | None = None, near: tuple[float, float] | None = None,
        km: float | None = None, duplicates: bool = False,
    ) -> Rows:  # fmt: skip
        """Places with their names, aliases, kind, coordinates, precision and number of
        events: every one, or those known by a name like `name`, or within `km` (10 unless
        given) of `near` (lat, lon), nearest first. `duplicates`: pairs of places within `km`
        (1 unless given) of each other under different names."""
        from projections import places

        with self._read(None, None) as db:
            if duplicates:
                return places.duplicate_places(db, 1.0 if km is None else km)
            return places.places(db, name=name, near=near, km=10.0 if km is None else km)

    @contextmanager
    def _read(
        self, as_recorded: Moment, known_by: Day, operation: str | None = None, *,
        place: str | None = None, text: bool = True, min_grade: str | None = None,
    ) -> Iterator[sqlite3.Connection]:  # fmt: skip
        """The read models now; or as of a past moment, or with only the sources graded
        `min_grade` or better, replaying only the operation's or the place's events where the
        question is about one (and the full-text index only where a question searches
        text)."""
        if as_recorded is None and known_by is None and min_grade is None:
            with self.views.reading() as db:
                yield db
            return
        moment = _moment(as_recorded)
        day = _day(known_by)
        grade = None if min_grade is None else queries.parse_grade(min_grade)
        if place is not None:
            with self.views.reading() as db:
                place = queries.find_place(db, place)
        replayed = self.views.as_of(
            recorded=moment, known_by=day, min_grade=grade, operation=operation, place=place,
            text=text, stored=self._stored,
        )  # fmt: skip
        with closing(replayed) as db:
            yield db

    def _counted(
        self, db: sqlite3.Connection, operation: str, as_recorded: Moment, known_by: Day,
        min_grade: str | None,
    ) -> str:  # fmt: skip
        """The operation, found in read models cut to what counts; one that the cut leaves
        without an event is named so, rather than as unknown."""
        try:
            return queries.find_operation(db, operation)
        except queries.NotFound:
            if as_recorded is None and known_by is None and min_grade is None:
                raise
            with self.views.reading() as now:
                queries.find_operation(now, operation)  # unknown whatever counts: says so
        cuts = [
            *([f"recorded by {_moment(as_recorded):%Y-%m-%d %H:%M:%S} UTC"]
              if as_recorded is not None else []),
            *([f"with a source published by {_day(known_by)}"] if known_by is not None else []),
            *([f"with a source graded {min_grade.strip().upper()} or better"]
              if min_grade is not None else []),
        ]  # fmt: skip
        raise queries.NotFound(
            f"no event of {shown(operation)} counts: none {' and '.join(cuts)}, so there is "
            "nothing to draw"
        )

    def close(self) -> None:
        if self._views is not None:
            self._views.close()
        if self._app is not None:
            self._app.close()
            self._app = None
        if self._factory is not None:
            self._factory.close()
            self._factory = self._recorder = None

    # data out

    def export(
        self, form: str, out: str | Path | TextIO, *, table: str = "events",
        places: bool = False, operations: str | Sequence[str] = (), bom: bool = False,
        include_retracted: bool = False, as_recorded: Moment = None, known_by: Day = None,
        states: Sequence[str] = (), **filters: Any,
    ) -> Exported:  # fmt: skip
        """Write the chosen events (or a table cut to them) in a format researchers' tools
        open: `csv` (`table`: events, sources, actors, places, control, forces or operations;
        `bom` for Excel), `jsonl` (the record format, as stored, ending with the store's chain
        heads, `{"chain_heads": ...}`, which an import skips), `geojson` (one feature per
        event, or per place with `places`), `timelinejs`, `timemap` or `acled` (ACLED's 31
        columns, each event as it reads now; `states`: sides whose forces are ACLED's State
        forces, beside those named so). OUT is a path (written
        whole or not at all) or an open text stream. The events are those of `operations`
        (none: every one) matching the filters of `query` (place, force, side, type, between,
        text, min_grade)."""
        from exports import FORMATS

        if form not in FORMATS:
            raise InvalidInput("form", f"no export format '{form}': one of {', '.join(FORMATS)}")
        if table != "events" and form != "csv":
            raise InvalidInput("table", f"is for csv; {form} writes events")
        if places and form != "geojson":
            raise InvalidInput("places", "is for geojson")
        if states and form != "acled":
            raise InvalidInput("states", "is for acled")
        if form == "acled" and include_retracted:
            raise InvalidInput("include_retracted", "acled writes events as they read now: a "
                               "retracted event is not exported")  # fmt: skip
        if form == "acled" and known_by is not None:
            raise InvalidInput("known_by", "cuts sources out of events: acled writes each "
                               "event with every source it reads with")  # fmt: skip
        slugs = [operations] if isinstance(operations, str) else list(operations)
        one = slugs[0] if len(slugs) == 1 else None  # as of a past moment: replay only it
        filters = {key: value for key, value in filters.items() if value is not None}
        if form == "jsonl":
            if known_by is not None:
                raise InvalidInput(
                    "known_by", "cuts sources out of records: jsonl writes records as stored"
                )
            retracted = include_retracted or not filters
            with self._read(as_recorded, None, one, text="text" in filters) as db:
                ids = tables.choose(
                    db, operations=slugs, include_retracted=retracted, **filters
                ).event_ids()
            heads = self.chain_heads()  # of the store the records are read from
            counted: _Counted[str] = _Counted(self._records(ids, _moment(as_recorded)))
            _write(out, itertools.chain(counted, [heads]))
            return Exported(counted.count)
        with self._read(as_recorded, known_by, one, text="text" in filters) as db:
            chosen = tables.choose(
                db, operations=slugs, include_retracted=include_retracted, **filters
            )
            return _export(
                db, form, chosen, out, table=table, places=places, bom=bom, states=states,
                stored=self._stored,
            )

    def serve(self, *, host: str = "127.0.0.1", port: int = 8001, tiles: str | None = None,
              ready: Callable[[str], Any] | None = None) -> None:  # fmt: skip
        """Serve the read models in Datasette, read-only, at http://HOST:PORT/timeline, until
        interrupted; `tiles`: the map's tile layer URL; `ready` is told the URL first."""
        from projections import serving

        self.views  # noqa: B018 - made, if new, before Datasette opens it read-only
        if ready is not None:
            ready(f"http://{host}:{port}/{serving.DATABASE}")
        serving.serve(self._views_path, host=host, port=port, tiles=tiles)

    def _records(self, ids: set[str] | None, moment: datetime | None) -> Iterator[str]:
        """The stored records of these events (None: of every one) and of the corrections
        and retractions of them, in recording order, each a line of the record format."""
        import json

        for event in self.log():
            if moment is not None and event.recorded > moment:
                return
            record = event.record
            target = getattr(record, "corrects", None) or getattr(record, "retracts", None)
            if ids is None or record.id in ids or target in ids:
                yield json_safe(json.dumps(record.canonical(), ensure_ascii=False)) + "\n"

    # figures, charts and the report (plotly is imported on first use, not at start-up)

    def figure(
        self, kind: str, operations: str | Sequence[str] = (), *, on: Day = None,
        as_recorded: Moment = None, known_by: Day = None, min_grade: str | None = None,
        colours: Colours = None, per: str | None = None, **filters: Any,
    ) -> go.Figure:  # fmt: skip
        """A Plotly figure of one operation or several (a slug or a list of slugs): `control`
        (who held each place when), `progress` (places held over time per side), `timeline`
        (events by place and date), `map` (who held each place `on` a day, by default the
        last, with a day slider), `forces` (strength per force by role) or `activity` (events
        and casualties `per` week or month, by type and side: of the operations, or of every
        event matching the filters of `query`: place, force, side, type, between, text).

        `min_grade`: only sources graded that well or better count (events left with none
        drop out), as `known_by` counts only sources published by then. `colours`: a colours
        file (JSON: side to #rrggbb) or a mapping, over the fixed palette."""
        slugs = [operations] if isinstance(operations, str) else list(operations)
        palette = _colours(colours)
        if kind == "activity":
            with self._read(as_recorded, known_by, slugs[0] if len(slugs) == 1 else None,
                            text=filters.get("text") is not None) as db:  # fmt: skip
                return self._activity(db, slugs, per, palette, min_grade, filters)
        if filters or per is not None:
            given = ", ".join(sorted({*filters, *(["per"] if per is not None else [])}))
            raise InvalidInput(next(iter(filters), "per"), f"is for activity ({given})")
        if not slugs:
            raise TimelineError(f"a {kind} figure needs an operation or more")
        with self._read(as_recorded, known_by, slugs[0] if len(slugs) == 1 else None,
                        min_grade=min_grade, text=False) as db:  # fmt: skip
            for slug in slugs:
                self._counted(db, slug, as_recorded, known_by, min_grade)
            return self._figure(db, kind, slugs, on, palette)

    def activity(
        self, operations: str | Sequence[str] = (), *, per: str | None = None,
        as_recorded: Moment = None, known_by: Day = None, **filters: Any,
    ) -> dict[str, Any]:  # fmt: skip
        """Events, casualties and fatalities per week or month (`per`; None: weeks up to two
        years, else months), by type and by side, counted in SQL: of these operations (none:
        every one) and of the events the filters of `query` choose. What `figure("activity")`
        draws: `by_type` and `by_side` rows, `per`, `first`, `last`, `undated`."""
        slugs = [operations] if isinstance(operations, str) else list(operations)
        with self._read(as_recorded, known_by, slugs[0] if len(slugs) == 1 else None,
                        text=filters.get("text") is not None) as db:  # fmt: skip
            return queries.activity(db, operations=slugs, per=per, **filters)

    def chart(
        self, kind: str, operations: str | Sequence[str], path: str | Path, *,
        width: int | None = None, height: int | None = None, plotlyjs: str = "inline",
        **options: Any,
    ) -> Path:  # fmt: skip
        """Write a figure to PATH: `.html` (plotly.js inlined, opens with no network; with
        `plotlyjs="directory"`, written once beside it as plotly.min.js), `.png` or `.svg`
        (through kaleido and Chromium: one browser serves every image a process writes);
        WIDTH and HEIGHT in pixels. OPTIONS: those of `figure`."""
        from charts import images

        figure = self.figure(kind, operations, **options)
        return images.write(figure, path, width=width, height=height, plotlyjs=plotlyjs)

    def report(
        self, operation: str, path: str | Path, *,
        as_recorded: Moment = None, known_by: Day = None, min_grade: str | None = None,
        weaker: str = "fade", colours: Colours = None, include_retracted: bool = False,
        plotlyjs: str = "inline",
    ) -> Path:  # fmt: skip
        """Write one HTML page about an operation: who held what when (the control chart and
        its periods), every other figure, its timeline (with the retracted events struck
        through, if `include_retracted`), the claims to weigh, the events withdrawn with their
        retractions, its sources with their grades. Its header says as of what moment, what
        sources and grades it counts, and when it was made. It opens with no network:
        plotly.js inlined, or with `plotlyjs="directory"` written once beside the page
        (plotly.min.js), for a folder of many reports. Text from events is escaped.

        With `min_grade`, only sources graded that well or better count in the figures, the
        summary and the periods of control. The claims resting on weaker sources alone are
        still listed in the tables, faded (`weaker="fade"`, the default), or left out
        (`weaker="hide"`)."""
        from charts import figures, images, report

        if weaker not in report.WEAKER:
            raise InvalidInput("weaker", f"{shown(weaker)}: one of {', '.join(report.WEAKER)}")
        palette = _colours(colours)
        fade = min_grade is not None and weaker == "fade"
        snapshot = report.Snapshot(
            as_recorded=None if as_recorded is None else _moment(as_recorded),
            known_by=_day(known_by), min_grade=min_grade, faded=fade,
        )  # fmt: skip
        path = Path(path)
        with ExitStack() as opened:
            db = opened.enter_context(self._read(as_recorded, known_by, operation,
                                                 min_grade=min_grade, text=False))  # fmt: skip
            slug = self._counted(db, operation, as_recorded, known_by, min_grade)
            claims = queries.claims_in_doubt(db, slug, limit=report.CLAIMS + 1)
            withdrawn = queries.withdrawn(db, slug)
            if not fade:
                events: Rows = list(queries.show(db, slug, include_retracted=include_retracted,
                                                 limit=None))  # fmt: skip
                sources = queries.operation_sources(db, slug)
            else:
                every = opened.enter_context(self._read(as_recorded, known_by, operation,
                                                        text=False))  # fmt: skip
                events = _faded_timeline(
                    queries.show(db, slug, include_retracted=True, limit=None),
                    queries.show(every, slug, include_retracted=True, limit=None),
                    include_retracted,
                )  # fmt: skip
                grade = queries.parse_grade(str(min_grade))
                sources = [{**s, "below": _below(s, grade)}
                           for s in queries.operation_sources(every, slug)]  # fmt: skip
                claims = _faded_rows(claims, queries.claims_in_doubt(
                    every, slug, limit=report.CLAIMS + 1), "event_id")  # fmt: skip
                withdrawn = _faded_rows(withdrawn, queries.withdrawn(every, slug), "id")
            pieces = report.parts(
                operation=next(o for o in queries.operations(db) if o["operation"] == slug),
                days=queries.operation_days(db, [slug]),
                events=events,
                control=queries.operation_control(db, slug),
                sources=sources,
                claims=claims,
                withdrawn=withdrawn,
                figures=[
                    self._activity(db, [slug], None, palette, None, {}) if kind == "activity"
                    else self._figure(db, kind, [slug], None, palette)
                    for kind in figures.KINDS
                ],
                snapshot=snapshot,
                colours=palette,
                plotlyjs=images.plotly_script(path, plotlyjs),
            )
            _write(path, pieces)  # as it is made, into a file that takes its name once whole
        return path

    def _figure(
        self, db: sqlite3.Connection, kind: str, slugs: list[str], on: Day,
        colours: dict[str, str] | None,
    ) -> go.Figure:  # fmt: skip
        """Ask the questions a figure needs of each operation, then draw it."""
        from charts import control_chart, control_map, figures, progress

        if kind not in figures.KINDS:
            raise InvalidInput("kind", f"no figure '{kind}': one of {', '.join(figures.KINDS)}")
        try:
            day = None if on is None else date.fromisoformat(str(on)).isoformat()
        except ValueError:
            raise InvalidInput("on", f"{shown(str(on))} is not a day (2017-11-03)") from None
        for slug in slugs:
            queries.find_operation(db, slug)

        def each(question: Callable[[sqlite3.Connection, str], Rows]) -> Rows:
            """The rows of every operation; a place two operations name, listed once."""
            found: dict[tuple[Any, ...], dict[str, Any]] = {}
            for n, slug in enumerate(slugs):
                for row in question(db, slug):
                    key = (row.get("place"), row.get("period"), row.get("id"))
                    found.setdefault(key if key != (None, None, None) else (n, len(found)), row)
            return list(found.values())

        span = queries.operation_days(db, slugs)
        if kind == "control":
            control = queries.operation_control(db, slugs)
            return control_chart.control_chart(
                control, operations=slugs, span=span, colours=colours
            )
        if kind == "progress":
            control = queries.operation_control(db, slugs)
            return progress.progress(control, operations=slugs, span=span, colours=colours)
        if kind == "timeline":
            events = sorted(each(queries.show), key=lambda e: e["occurred_mid"] or "9999")
            return figures.timeline(events, operations=slugs, colours=colours)  # rows flagged
        if kind == "map":
            places, control = each(queries.operation_places), queries.operation_control(db, slugs)
            return control_map.control_map(
                places, control, operations=slugs, on=day, span=span, colours=colours
            )
        if kind == "forces":
            return figures.forces(each(queries.forces), operations=slugs, colours=colours)
        raise InvalidInput("kind", f"the {kind} figure is drawn by figure(), not here")

    def _activity(
        self, db: sqlite3.Connection, slugs: list[str], per: str | None,
        colours: dict[str, str] | None, min_grade: str | None, filters: dict[str, Any],
    ) -> go.Figure:  # fmt: skip
        from charts import activity

        filters = {key: value for key, value in filters.items() if value is not None}
        counts = queries.activity(db, operations=slugs, per=per, min_grade=min_grade, **filters)
        words = [", ".join(slugs) if slugs else "every operation"]
        for key, value in sorted(filters.items()):
            given = " to ".join(value) if isinstance(value, tuple | list) else value
            words.append(f"{key.replace('_', ' ')} {given}")
        if min_grade is not None:
            words.append(f"sources {min_grade.upper()} or better")
        return activity.activity(counts, chosen="; ".join(words), colours=colours)


class _Counted(Generic[T]):
    """Pieces of a document, or the rows they are made of, counted as they are written."""

    def __init__(self, pieces: Iterable[T]) -> None:
        self.pieces = pieces
        self.count = 0

    def __iter__(self) -> Iterator[T]:
        for piece in self.pieces:
            self.count += 1
            yield piece


def _export(
    db: sqlite3.Connection, form: str, chosen: tables.Selection, out: str | Path | TextIO, *,
    table: str, places: bool, bom: bool, states: Sequence[str] = (),
    stored: Stored | None = None,
) -> Exported:  # fmt: skip
    """Read what the format needs of the selection, and write its document."""
    from exports import acled, geojson, spreadsheet, timelinejs, timemap

    def rows(name: str) -> Iterator[dict[str, Any]]:
        return (tables.decode(name, row) for row in chosen.rows(name))

    counted: _Counted[dict[str, Any]] = _Counted(chosen.rows(table))
    left_out = 0
    if form == "csv":
        _write(out, spreadsheet.document(counted, chosen.columns(table), bom=bom))
    elif form == "geojson" and places:
        counted = _Counted(rows("places"))
        _write(out, geojson.places(counted, rows("control")))
    elif form == "geojson":
        counted = _Counted(rows("events"))
        _write(out, geojson.events(counted))
    elif form == "timelinejs":
        slugs = [row["operation"] for row in chosen.rows("operations")]
        undated = timelinejs.Undated()
        counted = _Counted(rows("events"))
        _write(out, timelinejs.document(
            counted, title=", ".join(slugs) or "ops-timeline", undated=undated,
            summary="Dates as the sources give them: a fuzzy date spans every day it can "
            "mean. Each event names its sources and their Admiralty grades.",
        ))  # fmt: skip
        left_out = undated.count
    elif form == "acled":
        left = acled.LeftOut()
        readings: _Counted[tuple[dict[str, Any], dict[str, Any]]] = _Counted(
            chosen.readings(stored)
        )
        _write(out, acled.document(readings, states=states, left_out=left))
        return Exported(readings.count - left.count, left.count, str(left))
    else:
        counted = _Counted(rows("events"))
        _write(out, timemap.document(counted, rows("sources"), rows("places")))
    return Exported(counted.count - left_out, left_out)


def _write(out: str | Path | TextIO, pieces: Iterable[str]) -> None:
    """Write the pieces to a stream; or to a file, through `.NAME.partial` beside it, which
    takes the file's name only once whole."""
    if not isinstance(out, str | Path):
        out.writelines(pieces)
        return
    path = Path(out)
    partial = path.with_name(f".{path.name}.partial")
    try:
        try:
            with partial.open("w", encoding="utf-8", newline="") as file:
                file.writelines(pieces)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(path)
    except OSError as error:
        raise TimelineError(f"cannot write {path}: {reason(error, str(path))}") from None


class _Inline:
    """The inline projection of an import: once the store has committed, the rows the import
    holds are projected from its hands (nothing read back from the store), each page with
    its tracking position, after the store's events the read models had not caught up with.
    A failure then (or a crash) leaves the read models behind the store, where the next
    catch-up resumes."""

    def __init__(self, views: Views, app: Timeline) -> None:
        self.views, self.app = views, app
        self.failed: str | None = None  # why the read models could not take the rows

    def __call__(self, first: int, batches: Iterable[Sequence[Row]]) -> None:
        try:
            self.views.catch_up(self.app.recorder, self.app.name, given=(first, batches))
        except ReadModelsUnavailable as error:
            self.failed = str(error)


def _is_sqlite(path: Path) -> bool:
    """Whether a file is an SQLite database (or empty: one SQLite would make)."""
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except OSError:
        return True  # unreadable: opening it says why
    return head in (b"", b"SQLite format 3\x00")


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _colours(colours: Colours) -> dict[str, str] | None:
    """Side colours over the fixed palette: read from a colours file, or given."""
    if colours is None:
        return None
    if isinstance(colours, str | Path):
        from charts.colours import load

        return load(colours)
    return dict(colours)


def _moment(value: Moment, field: str = "as_recorded") -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                field,
                f"{shown(value)} is not an ISO 8601 date and time (2017-11-05T12:00:00Z)",
            ) from None
    if moment.tzinfo is None:
        raise InvalidInput(field, NEEDS_A_ZONE)
    try:
        moment.astimezone(UTC)  # what the read models compare it as
    except OverflowError:
        raise InvalidInput(
            field, f"{shown(str(value))} is outside years 0001 to 9999 in UTC"
        ) from None
    return moment


def _day(value: Day) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("known_by", f"{shown(value)} is not a day (2017-11-05)") from None


def _faded_timeline(counted: Rows, every: Rows, include_retracted: bool) -> Rows:
    """The report's timeline with a grade filter that fades: every event in order of
    occurrence, as the filter reads it where it counts, as it reads in full (`below`) where
    only weaker sources carry it. Both lists hold the retracted events, so that one retracted
    on weaker sources only still reads as counted."""
    kept = {row["id"]: row for row in counted}
    rows = [kept.get(row["id"], {**row, "below": True}) for row in every]
    return [row for row in rows if include_retracted or row["status"] != "retracted"]


def _faded_rows(counted: Rows, every: Rows, key: str) -> Rows:
    """The rows that count, then those of the events that count nowhere, marked `below`."""
    ids = {row[key] for row in counted}
    return [*counted, *({**row, "below": True} for row in every if row[key] not in ids)]


def _below(source: Mapping[str, Any], grade: tuple[str, str]) -> bool:
    """Whether a source row is graded worse than `grade` (as downgraded: its row's grade)."""
    reliability, credibility = grade
    return bool(source["reliability"] > reliability or source["credibility"] > credibility)
