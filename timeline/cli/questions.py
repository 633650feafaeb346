"""Commands that ask the read models: show, query, control, forces, operations, history,
places."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from timeline.cli.base import main, open_timeline, user_errors
from timeline.formats import FORMATS, render, triple
from timeline.terminal import escape, json_safe

if TYPE_CHECKING:
    from projections.queries import Page

EVENT_TABLE = [("occurred", "occurred"), ("type", "type"), ("place", "place"), ("by", "by"),
               ("strength", "strength"), ("grades", "grades"), ("status", "status"),
               ("disputed", "sources disagree"), ("id", "id")]  # fmt: skip
CONTROL_TABLE = [("period", "#"), ("side", "side"), ("from", "from"), ("until", "until"),
                 ("contested_from", "contested from"), ("disputed", "sources disagree"),
                 ("start_event", "since event")]  # fmt: skip
HOLDER_TABLE = [("place", "place"), ("on", "on"), ("answer", "answer"), ("side", "side"),
                ("candidates", "candidates"), ("disputed", "sources disagree"),
                ("since", "since event")]  # fmt: skip
CONTESTED_TABLE = [("kind", "kind"), ("subject", "subject"), ("days", "days"),
                   ("side_a", "one side"), ("claims_a", "its events and sources"),
                   ("side_b", "the other"), ("claims_b", "its events and sources"),
                   ("state", "stands")]  # fmt: skip
WHY_TABLE = [("occurred", "occurred"), ("type", "type"), ("id", "id"), ("status", "status"),
             ("published", "published"), ("recorded", "recorded"), ("sources", "sources")]


DISPUTED = ("disputed", "sources disagree")


def _disputed(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        row["disputed"] = "contested" if row.get("contested") else ""


def _columns(rows: list[dict[str, Any]], form: str,
             columns: list[tuple[str, str]]) -> list[tuple[str, str]]:  # fmt: skip
    """A table's columns: 'sources disagree' only when a row is contested."""
    if form == "table" and not any(row.get("contested") for row in rows):
        return [column for column in columns if column != DISPUTED]
    return columns
FORCES_TABLE = [("force", "force"), ("side", "side"), ("roles", "roles"),
                ("strength", "strength"), ("strength_shared_with", "strength shared with"),
                ("first_occurred", "first"), ("last_occurred", "last"), ("events", "events"),
                ("places_taken", "places taken")]  # fmt: skip
OPERATIONS_TABLE = [
    ("operation", "operation"),
    ("status", "status"),
    ("launched", "launched"),
    ("launch_claims", "launch claims"),
    ("concluded", "concluded"),
    ("events", "events"),
    ("places_taken", "places taken"),
    ("sides", "sides"),
]


def question(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options every question takes: --format, --as-recorded, --known-by."""
    function = click.option(
        "--known-by", metavar="DATE", help="Only sources published by DATE (2017-11-05)."
    )(function)
    function = click.option(
        "--as-recorded", metavar="DATETIME",
        help="Only events appended by then (ISO 8601 with Z or an offset): the same answer "
        "forever.",
    )(function)  # fmt: skip
    return click.option(
        "--format", "form", type=click.Choice(FORMATS), default="table", show_default=True,
        help="A terminal table, a JSON array of objects, or CSV with a header row.",
    )(function)  # fmt: skip


def _span(earliest: str | None, latest: str | None) -> str | None:
    if earliest == latest:
        return earliest
    return f"{earliest or '..'}/{latest or '..'}"


MIN_GRADE = click.option(
    "--min-grade", metavar="GRADE",
    help="Only sources graded this well or better count, once downgraded (B3).",
)  # fmt: skip
TABLE_LIMIT = 500
LIMIT = click.option(
    "--limit", type=click.IntRange(min=0), metavar="N",
    help=f"At most N events (0: all). Default: {TABLE_LIMIT} in a table, all in json and csv.",
)  # fmt: skip
AFTER = click.option(
    "--after", metavar="CURSOR",
    help="The events after this cursor: the next page, as the last one said on stderr.",
)  # fmt: skip


def _limit(limit: int | None, form: str) -> int | None:
    if limit is None:
        return TABLE_LIMIT if form == "table" else None
    return limit or None


def _events(rows: Page, form: str, after: str | None) -> None:
    if form == "table":
        _disputed(rows)
        for row in rows:
            row["by"] = row["attackers"] or row["supporters"] or row["parties"]
            row["strength"] = triple(row, "strength") or triple(row, "casualties")
            if row["strength"] is None and row["fatalities"] is not None:
                row["strength"] = f"{row['fatalities']:,} killed"
    click.echo(render(rows, form, _columns(rows, form, EVENT_TABLE)), nl=False)
    if rows.next is not None:  # on stderr: the table, JSON or CSV on stdout stays whole
        which = "the first " if after is None else ""
        rest = "all" if after is None else "the rest"
        click.echo(
            f"({which}{len(rows)} events: --after {rows.next} for the next {len(rows)}, "
            f"--limit 0 for {rest})",
            err=True,
        )


@main.command()
@click.argument("operation")
@click.option("--include-retracted", is_flag=True, help="Show retracted events too.")
@MIN_GRADE
@LIMIT
@AFTER
@question
@click.pass_context
def show(
    ctx: click.Context, /, operation: str, form: str, limit: int | None, after: str | None,
    **when: Any,
) -> None:  # fmt: skip
    """An operation's timeline in order of occurrence, dates as written (2017-11-03~).

    A table stops at 500 events and says, on stderr, where the next page starts.

    Example:

        timeline --db al-qaim.db show al-qaim-2017

        timeline show al-qaim-2017 --after 2017-11-03:1234   # the next page
    """
    ops = open_timeline(ctx)
    limit = _limit(limit, form)
    with user_errors():
        retracted = when.pop("include_retracted")
        rows = ops.show(operation, include_retracted=retracted, limit=limit, after=after, **when)
    _events(rows, form, after)


def filters(function: Callable[..., Any]) -> Callable[..., Any]:
    """The filters of `query` (and of `export`): which events, by what they say."""
    for option in reversed([
        click.option("--place", help="A place's name or alias (any spelling the gazetteer knows)."),
        click.option("--force", help="A force that took part (Iraqi Army)."),
        click.option("--side", help="A side that took part (Iraq)."),
        click.option("--type", "type_", help="An event type (place_liberated)."),
        click.option("--between", nargs=2, metavar="FROM TO", help="Occurred possibly between."),
        click.option("--text", help="Words in notes, place names, quotes or outlets."),
        click.option("--min-grade", help="At least one source graded this well or better (B3)."),
        click.option("--include-retracted", is_flag=True, help="Include retracted events."),
    ]):  # fmt: skip
        function = option(function)
    return function


@main.command()
@click.option("--operation", help="An operation's slug.")
@filters
@LIMIT
@AFTER
@question
@click.pass_context
def query(ctx: click.Context, /, form: str, as_recorded: str | None, known_by: str | None,
          type_: str | None, limit: int | None, after: str | None,
          **filters: Any) -> None:  # fmt: skip
    """Events matching every filter given, in order of occurrence.

    Example:

        timeline query --place "Al Qa'im" --between 2017-11-01 2017-11-30 --min-grade D3
    """
    ops = open_timeline(ctx)
    filters = {key: value for key, value in filters.items() if value is not None}
    if type_ is not None:
        filters["type"] = type_
    limit = _limit(limit, form)
    with user_errors():
        rows = ops.query(
            as_recorded=as_recorded, known_by=known_by, limit=limit, after=after, **filters
        )
    _events(rows, form, after)


@main.command()
@click.argument("place")
@click.option("--on", metavar="DATE", help="Who held it on this day; 'uncertain' if unsure.")
@MIN_GRADE
@question
@click.pass_context
def control(ctx: click.Context, /, place: str, on: str | None, form: str, **when: Any) -> None:
    """Who held PLACE over time, or on one day.

    Where a fuzzy date makes the day ambiguous the answer is "uncertain" and names the
    candidates instead of guessing.

    Example:

        timeline control "al-Qaim border crossing" --on 2017-11-04
    """
    ops = open_timeline(ctx)
    with user_errors():
        rows = ops.control(place, on=on, **when)
    if form == "table":
        _disputed(rows)
    if on is not None:
        click.echo(render(rows, form, _columns(rows, form, HOLDER_TABLE)), nl=False)
        return
    if form == "table":
        for row in rows:
            row["from"] = _span(row["start_earliest"], row["start_latest"])
            row["until"] = (
                _span(row["end_earliest"], row["end_latest"]) if row["end_event"] else "(holds)"
            )
    click.echo(render(rows, form, _columns(rows, form, CONTROL_TABLE)), nl=False)


@main.command()
@click.argument("operation")
@MIN_GRADE
@question
@click.pass_context
def forces(ctx: click.Context, /, operation: str, form: str, **when: Any) -> None:
    """The force summary: who committed what, when, with which results.

    Example:

        timeline forces al-qaim-2017 --format csv
    """
    ops = open_timeline(ctx)
    with user_errors():
        rows = ops.forces(operation, **when)
    if form == "table":
        for row in rows:
            row["strength"] = triple(row, "strength")
    click.echo(render(rows, form, FORCES_TABLE), nl=False)


@main.command()
@MIN_GRADE
@question
@click.pass_context
def operations(ctx: click.Context, /, form: str, **when: Any) -> None:
    """Every operation: launched (every claim), concluded, status, places taken.

    Example:

        timeline operations --format json
    """
    ops = open_timeline(ctx)
    with user_errors():
        rows = ops.operations(**when)
    click.echo(render(rows, form, OPERATIONS_TABLE), nl=False)


@main.command()
@click.argument("operation", required=False)
@MIN_GRADE
@question
@click.pass_context
def contested(ctx: click.Context, /, operation: str | None, form: str, **when: Any) -> None:
    """Where sources disagree: each conflict with both sides' events, sources and grades.

    Kinds: control (two sides given one place on days that may be the same), reversal (a
    capture reversed within days while fighting is reported), launch and conclusion (dates
    that cannot both be true), strength and casualties (triples that do not overlap). A
    conflict a correction or retraction ended is listed with when and by what.

    Example:

        timeline contested al-qaim-2017 --format json
    """
    ops = open_timeline(ctx)
    with user_errors():
        rows = ops.contested(operation, **when)
    if form == "table":
        for row in rows:
            row["days"] = _span(row["occurred_from"], row["occurred_to"])
            for side in "ab":
                row[f"claims_{side}"] = (
                    f"{', '.join(row[f'events_{side}'])} ({', '.join(row[f'outlets_{side}'])}"
                    f" {'/'.join(row[f'grades_{side}'])})"
                )
            row["state"] = (
                f"ended {row['ended_at'][:10]} by {row['ended_by']}" if row["ended_at"]
                else f"since {row['since'][:10]}"
            )  # fmt: skip
    click.echo(render(rows, form, CONTESTED_TABLE), nl=False)


@main.group()
def why() -> None:
    """The events an answer derives from: occurred, published, recorded, and their sources.

    Example:

        timeline why control "al-Qaim border crossing" --on 2017-11-04
    """


def _why(rows: list[dict[str, Any]], form: str) -> None:
    if form == "table":
        from projections.why import describe

        rows = describe(rows)
        for row in rows:
            row["published"] = ", ".join(row["published"])
            if row["corrected"]:
                row["recorded"] = f"{row['recorded']} (corrected {row['corrected']})"
    click.echo(render(rows, form, WHY_TABLE), nl=False)


@why.command("control")
@click.argument("place")
@click.option("--on", metavar="DATE", help="The answer on this day (else every period).")
@MIN_GRADE
@question
@click.pass_context
def why_control(ctx: click.Context, /, place: str, on: str | None, form: str,
                **when: Any) -> None:  # fmt: skip
    """The events behind `control PLACE --on DAY`: the period it names, or every candidate.

    Example:

        timeline why control "al-Qaim border crossing" --on 2017-11-04

        timeline why control Rawa --on 2017-11-20 --as-recorded 2017-11-21T00:00:00Z
    """
    ops = open_timeline(ctx)
    with user_errors():
        rows = ops.why_control(place, on=on, **when)
    _why(rows, form)


@why.command("forces")
@click.argument("operation")
@click.argument("force")
@MIN_GRADE
@question
@click.pass_context
def why_forces(ctx: click.Context, /, operation: str, force: str, form: str,
               **when: Any) -> None:  # fmt: skip
    """The events behind FORCE's row of `forces OPERATION`.

    Example:

        timeline why forces al-qaim-2017 "Iraqi Army"
    """
    ops = open_timeline(ctx)
    with user_errors():
        rows = ops.why_forces(operation, force, **when)
    _why(rows, form)


@why.command("operation")
@click.argument("operation")
@MIN_GRADE
@question
@click.pass_context
def why_operation(ctx: click.Context, /, operation: str, form: str, **when: Any) -> None:
    """The events behind an operation's status and dates: its launch and conclusion claims.

    Example:

        timeline why operation al-qaim-2017
    """
    ops = open_timeline(ctx)
    with user_errors():
        rows = ops.why_operation(operation, **when)
    _why(rows, form)


@main.command()
@click.argument("event_id")
@click.option("--format", "form", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def history(ctx: click.Context, /, event_id: str, form: str) -> None:
    """An event as first recorded, then every correction, retraction or corroboration of
    it, each with when it was recorded and by whom.

    Example:

        timeline history al-qaim-2017/launched
    """
    ops = open_timeline(ctx)
    with user_errors():
        rows = ops.history(event_id)
    if form != "table":
        click.echo(render(rows, form), nl=False)
        return
    for row in rows:  # each record whole, as readable JSON: a table would cut it
        click.echo(escape(
            f"#{row['position']}  {row['recorded']}  {row['type']}  {row['event_id']}  "
            f"by {row['analyst'] or '(not kept)'}"
        ))  # fmt: skip
        click.echo(json_safe(json.dumps(row["record"], ensure_ascii=False, indent=2)))


SOURCES_TABLE = [("outlet", "outlet"), ("events", "events"), ("best_grade", "best"),
                 ("worst_grade", "worst"), ("downgraded", "downgraded"),
                 ("archived", "archived"), ("event_ids", "events resting on it")]  # fmt: skip


@main.command()
@click.argument("operation", required=False)
@MIN_GRADE
@question
@click.pass_context
def sources(ctx: click.Context, /, operation: str | None, form: str, **when: Any) -> None:
    """Every source (an outlet, in any case) with the events resting on it: how many, their
    ids, the best and worst grade it gives them, whether it is downgraded; of OPERATION, or
    of every operation.

    Example:

        timeline sources al-qaim-2017 --format csv
    """
    ops = open_timeline(ctx)
    with user_errors():
        rows = ops.sources(operation, **when)
    if form == "table":
        for row in rows:
            row["downgraded"] = ", ".join(
                f"to {d['reliability']} by {d['event_id']}" for d in row["downgrades"]
            ) or "no"  # fmt: skip
    click.echo(render(rows, form, SOURCES_TABLE), nl=False)


@main.command()
@click.argument("operation", required=False)
@click.option("--from", "since", required=True, metavar="DATETIME",
              help="After this record time (ISO 8601 with Z or an offset).")
@click.option("--to", "until", metavar="DATETIME", help="Up to this record time (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Write the changes as one JSON object.")
@click.pass_context
def diff(
    ctx: click.Context, /, operation: str | None, since: str, until: str | None, as_json: bool
) -> None:
    """What changed in the record between two record times: events added, corrected (the
    keys changed, before and after), corroborated and retracted, sources downgraded; of
    OPERATION, or of every operation.

    Example:

        timeline diff --from 2026-11-01T00:00:00Z --to 2026-11-08T00:00:00Z al-qaim-2017
    """
    ops = open_timeline(ctx)
    with user_errors():
        changed = ops.diff(since, until, operation)
    if as_json:
        click.echo(json_safe(json.dumps(changed, ensure_ascii=False)))
        return
    for row in changed["added"]:
        click.echo(escape(f"+ added       {row['recorded']}  {row['id']}  {row['type']}  "
                          f"by {row['analyst'] or '(not kept)'}"))  # fmt: skip
    for row in changed["corrected"]:
        who = row["analyst"] or "(not kept)"
        click.echo(escape(f"~ corrected   {row['recorded']}  {row['id']}  by "
                          f"{', '.join(row['by'])} ({who})"))  # fmt: skip
        for key in row["changed_keys"]:
            before = json.dumps(row["before"][key], ensure_ascii=False)
            after = json.dumps(row["after"][key], ensure_ascii=False)
            click.echo(json_safe(f"    {key}: {before} -> {after}"))
    for row in changed["corroborated"]:
        outlets = ", ".join(s["outlet"] + " " + s["reliability"] + s["credibility"]
                            for s in row["sources"])  # fmt: skip
        click.echo(escape(f"+ corroborated {row['recorded']}  {row['id']}  by {row['by']}: "
                          f"{outlets}"))  # fmt: skip
    for row in changed["retracted"]:
        click.echo(escape(f"- retracted   {row['recorded']}  {row['id']}  by {row['by']}"))
    for row in changed["downgraded"]:
        named = " ".join(str(v) for v in (row["outlet"], row["url"]) if v)
        click.echo(escape(f"v downgraded  {row['recorded']}  {named} to {row['reliability']}"
                          f"  by {row['by']}: {row['reason']}"))  # fmt: skip
    if not any(changed.values()):
        click.echo("no change recorded between them")


PLACES_TABLE = [("name", "place"), ("aliases", "aliases"), ("kind", "kind"), ("lat", "lat"),
                ("lon", "lon"), ("precision", "precision"), ("events", "events")]  # fmt: skip
DUPLICATES_TABLE = [("place", "place"), ("kind", "kind"), ("other", "other"),
                    ("other_kind", "other's kind"), ("km", "km")]  # fmt: skip


@main.command()
@click.option("--name", help="Places known by this name or alias (or with these words in one).")
@click.option("--near", metavar="LAT,LON", help="Places near this point (WGS84), nearest first.")
@click.option("--km", type=click.FloatRange(min=0), help="How near: 10 km (--duplicates: 1).")
@click.option("--duplicates", is_flag=True, help="Pairs within 1 km (or --km) under two names.")
@click.option("--format", "form", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def places(
    ctx: click.Context, /, name: str | None, near: str | None, km: float | None,
    duplicates: bool, form: str,
) -> None:  # fmt: skip
    """The places the store knows: names, aliases, kind, coordinates, precision, events.

    Example:

        timeline places --near 34.45,40.92 --km 2

        timeline places --duplicates
    """
    point = None
    if near is not None:
        try:
            lat, lon = (float(part) for part in near.split(","))
        except ValueError:
            message = f"expected LAT,LON, got {near!r}"
            raise click.BadParameter(message, param_hint="--near") from None
        point = (lat, lon)
    ops = open_timeline(ctx)
    with user_errors():
        rows = ops.places(name=name, near=point, km=km, duplicates=duplicates)
    columns = DUPLICATES_TABLE if duplicates else PLACES_TABLE + ([("km", "km")] if point else [])
    click.echo(render(rows, form, columns), nl=False)
