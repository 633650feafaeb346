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

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from projections import queries
from projections.queries import PAGE, Page
from projections.views import Views, views_path
from timeline.errors import InvalidInput, TimelineError
from timeline.store import choose_db

if TYPE_CHECKING:  # the write side is imported when first used: questions start faster
    from collections.abc import Sequence

    import plotly.graph_objects as go

    from timeline.application import Imported, LoggedEvent, Timeline
    from timeline.events import Event

Rows = list[dict[str, Any]]
NEEDS_A_ZONE = "needs a time zone: Z or an offset (+03:00)"
Moment = datetime | str | None
Day = date | str | None


class OpsTimeline:
    """One event store and its read models."""

    def __init__(self, db: str | None = None, *, views: str | None = None) -> None:
        self.db = choose_db(db)
        self._views_path = views or views_path(self.db)
        self._views: Views | None = None
        self._app: Timeline | None = None

    @property
    def views(self) -> Views:
        """The read models, opened (and made, if new) on first use: an import that does not
        project never touches them."""
        if self._views is None:
            self._views = Views(self._views_path)
        return self._views

    @property
    def app(self) -> Timeline:
        """The write side, opened on first use (questions only need the read models)."""
        if self._app is None:
            from timeline.application import Timeline

            self._app = Timeline(db=self.db)
        return self._app

    # writing

    def record(self, record: Event | dict[str, Any], *, unlaunched: bool = False) -> bool:
        new = self.app.record(record, unlaunched=unlaunched)
        self.project()
        return new

    def import_file(
        self,
        source: str | Path,
        *,
        unlaunched: bool = False,
        progress: Callable[[int], None] | None = None,
        project: bool = True,
    ) -> Imported:
        """Import a JSON Lines file, then bring the read models up to date (unless told not to:
        for a large load, `project()` once at the end)."""
        result = self.app.import_file(source, unlaunched=unlaunched, progress=progress)
        if project:
            self.project()
        return result

    def log(self, operation: str | None = None) -> Iterator[LoggedEvent]:
        return self.app.log(operation)

    def project(self, progress: Callable[[int], Any] | None = None) -> int:
        """Catch the read models up with the store; return how many events were projected."""
        return self.views.catch_up(self.app.recorder, self.app.name, progress)

    def backlog(self, *, rebuild: bool = False) -> int:
        """How many stored events a catch-up (or a rebuild) would read, at most."""
        last = self.app.recorder.max_notification_id() or 0
        return last if rebuild else max(0, last - self.views.position(self.app.name))

    def rebuild(self, progress: Callable[[int], Any] | None = None) -> int:
        """Recreate every read model from the events."""
        return self.views.rebuild(self.app.recorder, self.app.name, progress)

    # questions

    def show(
        self, operation: str, *, include_retracted: bool = False, limit: int | None = PAGE,
        after: str | None = None, as_recorded: Moment = None, known_by: Day = None,
    ) -> Page:  # fmt: skip
        """An operation's events in order of occurrence: a first page of `limit` (None: all),
        whose `next`, given as `after`, asks for the page after it."""
        with self._read(as_recorded, known_by, operation, text=False) as db:
            return queries.show(
                db, operation, include_retracted=include_retracted, limit=limit, after=after
            )

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
        as_recorded: Moment = None, known_by: Day = None,
    ) -> Rows:  # fmt: skip
        with self._read(as_recorded, known_by, place=place, text=False) as db:
            return queries.control(db, place, on=None if on is None else str(on))

    def forces(self, operation: str, *, as_recorded: Moment = None, known_by: Day = None) -> Rows:
        with self._read(as_recorded, known_by, operation, text=False) as db:
            return queries.forces(db, operation)

    def operations(self, *, as_recorded: Moment = None, known_by: Day = None) -> Rows:
        with self._read(as_recorded, known_by) as db:
            return queries.operations(db)

    def history(self, event_id: str) -> Rows:
        with self._read(None, None) as db:
            return queries.history(db, event_id)

    @contextmanager
    def _read(
        self, as_recorded: Moment, known_by: Day, operation: str | None = None, *,
        place: str | None = None, text: bool = True,
    ) -> Iterator[sqlite3.Connection]:  # fmt: skip
        """The read models now; or as of a past moment, replaying only the operation's or the
        place's events where the question is about one (and the full-text index only where a
        question searches text)."""
        if as_recorded is None and known_by is None:
            with closing(self.views.connection()) as db:
                yield db
            return
        moment = _moment(as_recorded)
        day = _day(known_by)
        if place is not None:
            with closing(self.views.connection()) as db:
                place = queries.find_place(db, place)
        replayed = self.views.as_of(
            recorded=moment, known_by=day, operation=operation, place=place, text=text
        )
        with closing(replayed) as db:
            yield db

    def close(self) -> None:
        if self._views is not None:
            self._views.close()
        if self._app is not None:
            self._app.close()
            self._app = None

    # figures, charts and the report (plotly is imported on first use, not at start-up)

    def figure(
        self, kind: str, operations: str | Sequence[str], *, on: Day = None,
        as_recorded: Moment = None, known_by: Day = None,
    ) -> go.Figure:  # fmt: skip
        """A Plotly figure of one operation or several (a slug or a list of slugs): `progress`
        (places held over time per side), `timeline` (events by place and date), `map` (who
        held each place `on` a day, by default the last, with a day slider) or `forces`
        (strength per force by role)."""
        slugs = [operations] if isinstance(operations, str) else list(operations)
        with self._read(as_recorded, known_by) as db:
            return self._figure(db, kind, slugs, on)

    def chart(
        self, kind: str, operations: str | Sequence[str], path: str | Path, *,
        width: int | None = None, height: int | None = None, on: Day = None,
        as_recorded: Moment = None, known_by: Day = None,
    ) -> Path:  # fmt: skip
        """Write a figure to PATH: `.html` (plotly.js inlined, opens with no network), `.png`
        or `.svg` (through kaleido and Chromium: one browser serves every image a process
        writes); WIDTH and HEIGHT in pixels."""
        from charts import images

        figure = self.figure(kind, operations, on=on, as_recorded=as_recorded, known_by=known_by)
        return images.write(figure, path, width=width, height=height)

    def report(
        self, operation: str, path: str | Path, *,
        as_recorded: Moment = None, known_by: Day = None,
    ) -> Path:  # fmt: skip
        """Write one self-contained HTML page about an operation: every figure, its timeline,
        its sources with their grades, and the claims in doubt. It opens with no network; text
        from events is escaped: shown, never run."""
        from charts import figures, report

        with self._read(as_recorded, known_by) as db:
            slug = queries.find_operation(db, operation)
            pieces = report.parts(
                operation=next(o for o in queries.operations(db) if o["operation"] == slug),
                events=queries.show(db, slug),
                sources=queries.operation_sources(db, slug),
                claims=queries.claims_in_doubt(db, slug),
                figures=[self._figure(db, kind, [slug], None) for kind in figures.KINDS],
            )
        path = Path(path)
        partial = path.with_name(f".{path.name}.partial")
        try:  # written as it is made, into a file that takes the page's name once whole
            try:
                with partial.open("w", encoding="utf-8") as out:
                    out.writelines(pieces)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            partial.replace(path)
        except OSError as error:
            raise TimelineError(f"cannot write {path}: {error.strerror}") from None
        return path

    def _figure(self, db: sqlite3.Connection, kind: str, slugs: list[str], on: Day) -> go.Figure:
        """Ask the questions a figure needs of each operation, then draw it."""
        from charts import control_map, figures

        if kind not in figures.KINDS:
            raise InvalidInput("kind", f"no figure '{kind}': one of {', '.join(figures.KINDS)}")
        try:
            day = None if on is None else date.fromisoformat(str(on)).isoformat()
        except ValueError:
            raise InvalidInput("on", f"'{on}' is not a day (2017-11-03)") from None
        known = {row["operation"]: row for row in queries.operations(db)}
        chosen = [known[queries.find_operation(db, slug)] for slug in slugs]
        sides = sorted({side for op in chosen for side in (op["sides"] or "").split(" + ")})

        def each(question: Callable[[sqlite3.Connection, str], Rows]) -> Rows:
            """The rows of every operation; a place two operations name, listed once."""
            found: dict[tuple[Any, ...], dict[str, Any]] = {}
            for n, slug in enumerate(slugs):
                for row in question(db, slug):
                    key = (row.get("place"), row.get("period"), row.get("id"))
                    found.setdefault(key if key != (None, None, None) else (n, len(found)), row)
            return list(found.values())

        first = [op["first_occurred"] for op in chosen if op["first_occurred"]]
        last = [op["last_occurred"] for op in chosen if op["last_occurred"]]
        span = (min(first, default=None), max(last, default=None))
        if kind == "progress":
            control = queries.operation_control(db, slugs)
            return figures.progress(control, operations=slugs, sides=sides, span=span)
        if kind == "timeline":
            events = sorted(each(queries.show), key=lambda e: e["occurred_mid"] or "9999")
            return figures.timeline(events, operations=slugs)
        if kind == "map":
            places, control = each(queries.operation_places), queries.operation_control(db, slugs)
            return control_map.control_map(
                places, control, operations=slugs, on=day, sides=sides, span=span
            )
        return figures.forces(each(queries.forces), operations=slugs, sides=sides)


def _moment(value: Moment) -> datetime | None:
    if value is None or isinstance(value, datetime):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise InvalidInput("as_recorded", NEEDS_A_ZONE)
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "as_recorded", f"'{value}' is not an ISO 8601 date and time (2017-11-05T12:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise InvalidInput("as_recorded", NEEDS_A_ZONE)
    return moment


def _day(value: Day) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("known_by", f"'{value}' is not a day (2017-11-05)") from None
