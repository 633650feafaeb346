"""Commands that write: import, record, and those that read the log or rebuild the views."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import click

from timeline.cli.base import main, open_timeline, user_errors
from timeline.errors import RecordRejected
from timeline.identity import with_id
from timeline.readers import FORMATS
from timeline.terminal import escape, json_safe, shown
from timeline.vocabulary import EVENT_TYPES, ROLES

if TYPE_CHECKING:
    from timeline.api import OpsTimeline

_DATE_LIKE = re.compile(r"^[0-9.][0-9X.\-~?%/]*$")


@main.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True), required=False)
@click.option(
    "--format", "form", type=click.Choice(FORMATS), default="jsonl", show_default=True,
    help="The record format (JSON Lines), ACLED's export CSV, or UCDP GED (CSV or JSON).",
)  # fmt: skip
@click.option(
    "--deleted", type=click.Path(dir_okay=False, exists=True),
    help="ACLED's deleted events (event_id_cnty, deleted_timestamp): each known id retracted.",
)  # fmt: skip
@click.option("--operation", help="ACLED/UCDP: every row in this operation (default: grouped).")
@click.option(
    "--grades", type=click.Path(dir_okay=False, exists=True),
    help="ACLED/UCDP: a CSV of outlet,grade (outlet * the default; F6 unless given).",
)  # fmt: skip
@click.option(
    "--grade", "grade_options", multiple=True, metavar="OUTLET=GRADE",
    help="ACLED/UCDP: an outlet's grade, e.g. Reuters=B2 (repeatable).",
)  # fmt: skip
@click.option(
    "--sides", type=click.Path(dir_okay=False, exists=True),
    help="ACLED/UCDP: a CSV of actor,side overriding the sides rule.",
)  # fmt: skip
@click.option("--unlaunched", is_flag=True, help="Allow events of operations with no launch.")
@click.option("--analyst", help="Who imports, kept with each new event (default: your login).")
@click.option(
    "--no-project", is_flag=True,
    help="Leave the read models for a later `timeline project` (large bulk loads).",
)  # fmt: skip
@click.pass_context
def import_(
    ctx: click.Context, /, file: str | None, form: str, deleted: str | None,
    operation: str | None, grades: str | None, grade_options: tuple[str, ...],
    sides: str | None, unlaunched: bool, analyst: str | None, no_project: bool,
) -> None:  # fmt: skip
    """Append every event of FILE ('-' for standard input), all or nothing.

    Every line is checked before anything is stored: one bad line and nothing is imported,
    and each error is listed as FILE:LINE: field: message. Importing the same file again
    stores nothing new. With --format acled or ucdp, FILE is the dataset's file: each row an
    event (no launch needed), a newer file's changed rows corrections, --deleted's ids
    retracted.

    Example:

        timeline --db al-qaim.db import fixtures/al_qaim_2017.jsonl

        timeline import --format acled acled-2024-06.csv --deleted deleted-2024-06.csv
    """
    if file is None and deleted is None:
        raise click.UsageError("give a FILE to import (or --format acled --deleted FILE)")
    given: dict[str, str] | None = None
    with user_errors():
        from timeline.readers.coding import pairs

        if grades is not None or grade_options:
            given = dict(pairs(grades, "grades")) if grades is not None else {}
            for option in grade_options:
                outlet, sep, grade = option.rpartition("=")
                if not sep or not outlet.strip():
                    raise click.BadParameter(f"expected OUTLET=GRADE, got {option!r}",
                                             param_hint="--grade")  # fmt: skip
                given[outlet] = grade
    ops = open_timeline(ctx)
    size = 0 if file in ("-", None) else _size(str(file))
    with user_errors():
        if not no_project:  # read models that cannot take the import refuse first
            ops.ready_to_project()
        with _progress(size) as advance:  # the read models projected inline, after it
            result = ops.import_file(
                file, unlaunched=unlaunched, progress=advance, project=not no_project,
                form=form, operation=operation, grades=given, sides=sides, deleted=deleted,
                analyst=analyst,
            )  # fmt: skip
    click.echo(str(result))


@main.command()
@click.argument("type_", metavar="TYPE", type=click.Choice(EVENT_TYPES))
@click.option("--operation", required=True, help="The operation's slug, e.g. al-qaim-2017.")
@click.option("--id", "id_", help="The event's id. Default: derived from its content.")
@click.option("--occurred", help="When it happened, as EDTF: 2017-11-03, 2017-11-03~, 2017-11.")
@click.option("--place", help="A known place's name or alias, or NAME:LAT:LON:KIND.")
@click.option("--alias", multiple=True, help="Another name of the place (repeatable).")
@click.option("--actor", multiple=True, help=f"FORCE:SIDE:ROLE, ROLE {'|'.join(ROLES)}.")
@click.option("--strength", help="Troops: BEST or BEST:LOW:HIGH.")
@click.option("--casualties", help="Deaths: BEST or BEST:LOW:HIGH.")
@click.option("--fatalities", type=click.IntRange(min=0), help="Deaths as a dataset counts them.")
@click.option("--form", help="What kind of strike, attack, protest, riot or development it was.")
@click.option("--same-as", help="For places_identified: the known place that is --place.")
@click.option(
    "--source",
    "sources",
    multiple=True,
    required=True,
    help="OUTLET:GRADE[:URL][:PUBLISHED], GRADE as in the Admiralty code (B2, D3).",
)
@click.option("--quote", multiple=True, help="What the source said (one per --source, in order).")
@click.option(
    "--archive", multiple=True, help="An archived copy's URL (one per --source, in order)."
)  # fmt: skip
@click.option(
    "--sha256", multiple=True, help="The SHA-256 of the content captured (one per --source)."
)  # fmt: skip
@click.option(
    "--retrieved", multiple=True,
    help="When the source was retrieved, ISO 8601 with its zone (one per --source).",
)  # fmt: skip
@click.option("--notes", help="Free text: why this grade, what is uncertain.")
@click.option("--corrects", help="For report_corrected: the id of the event it corrects.")
@click.option("--change", multiple=True, help="For report_corrected: KEY=VALUE (VALUE as JSON).")
@click.option("--retracts", help="For report_retracted: the id of the event it withdraws.")
@click.option("--corroborates", help="For sources_added: the id of the event it confirms.")
@click.option("--outlet", help="For source_downgraded: the outlet found worse than graded.")
@click.option("--url", help="For source_downgraded: the article found worse than graded.")
@click.option("--reliability", help="For source_downgraded: its reliability now, A-F.")
@click.option("--reason", help="For source_downgraded: why it is downgraded.")
@click.option("--unlaunched", is_flag=True, help="Allow an operation with no launch recorded.")
@click.option("--analyst", help="Who records it, kept with the event (default: your login).")
@click.pass_context
def record(ctx: click.Context, /, type_: str, **options: Any) -> None:
    """Append one event of TYPE, checked exactly as an import checks it.

    Example:

    \b
        timeline record place_liberated --operation al-qaim-2017 \\
            --occurred 2017-11-03 \\
            --place "al-Karablah:34.38:41.02:neighbourhood" --alias "الكرابلة" \\
            --actor "Iraqi Army:Iraq:attacker" \\
            --actor "Popular Mobilization Units:Iraq:attacker" \\
            --source "South Front:D3:https://southfront.org/...:2017-11-03" \\
            --quote "liberated the train station, the neighborhood of al-Karablah"
    """
    unlaunched = options.pop("unlaunched")
    analyst = options.pop("analyst")
    with user_errors():
        data = with_id(record_from_options(type_, options))
        ops = open_timeline(ctx)
        new = ops.record(data, unlaunched=unlaunched, analyst=analyst)
    click.echo(f"{'recorded' if new else 'already recorded'}: {escape(data['id'])}")
    if type_ == "source_downgraded" and not ops.regraded(data["id"]):
        click.echo(escape(f"note: no recorded event cites {data.get('outlet')!r}"
                          + (f" at {data['url']}" if data.get("url") else "")
                          + " yet; the events that cite it later will read as downgraded"),
                   err=True)  # fmt: skip


@main.command()
@click.argument("operation", required=False)
@click.option("--json", "as_json", is_flag=True, help="Write the record format (JSON Lines).")
@click.pass_context
def log(ctx: click.Context, /, operation: str | None, as_json: bool) -> None:
    """Print the events as stored, in recording order, with the time each was recorded.

    With --json the output is the record format, so that a store can be copied:

        timeline log --json | timeline import - --db copy.db

    and ends with the store's chain heads ({"chain_heads": ...}: each stream's last hash),
    which an import skips and `timeline verify --against` checks against a store.
    """
    ops = open_timeline(ctx)
    out = sys.stdout
    heads = ops.chain_heads() if as_json else ""
    for event in ops.log(operation):
        record = event.record
        if as_json:
            out.write(json_safe(json.dumps(record.canonical(), ensure_ascii=False)) + "\n")
            continue
        when = event.recorded.strftime("%Y-%m-%d %H:%M:%S")
        occurred = getattr(record, "occurred", None) or "-"
        target = getattr(record, "corrects", None) or getattr(record, "retracts", None)
        about = record.place_name or (f"-> {target}" if target else "")
        grades = ",".join(source.grade for source in record.sources)
        out.write(escape(
            f"{when}  {record.operation}  {occurred:<12} {record.type:<21} "
            f"{record.id}  {about}  [{grades}]"
        ) + "\n")  # fmt: skip
    out.write(heads)


@main.command()
@click.option("--against", type=click.Path(dir_okay=False), metavar="FILE",
              help="A `log --json` output or jsonl export: its chain heads must be this "
              "store's.")  # fmt: skip
@click.pass_context
def verify(ctx: click.Context, /, against: str | None) -> None:
    """Recompute every stream's chain of hashes from the stored events.

    Each stored event carries a SHA-256 of its stream, version, topic and state, chained to
    the previous event of its stream. Exits 1 naming the first event whose row was edited,
    removed or moved within its stream behind the application's back; else 0, in one line.

        timeline verify
        timeline verify --against copy.jsonl
    """
    ops = open_timeline(ctx)
    with user_errors():
        found = ops.verify(against)
    if found.broken is not None or found.unmatched:
        click.echo(escape(str(found)), err=True)
        ctx.exit(1)
    click.echo(str(found))


def record_from_options(type_: str, options: dict[str, Any]) -> dict[str, Any]:
    """The record the options describe, in the record format."""
    data: dict[str, Any] = {"type": type_, "operation": options["operation"]}
    for key in ("occurred", "notes", "corrects", "retracts", "form", "same_as", "fatalities",
                "corroborates", "outlet", "url", "reliability", "reason"):  # fmt: skip
        if options.get(key) is not None:
            data[key] = options[key]
    if options["place"]:
        data["place"] = _place(options["place"], options["alias"])
    if options["actor"]:
        data["actors"] = [_actor(text) for text in options["actor"]]
    for key in ("strength", "casualties"):
        if options[key]:
            data[key] = _triple(options[key], key)
    data["sources"] = [_source(text) for text in options["sources"]]
    for key, option in (("quote", "quote"), ("archive_url", "archive"), ("sha256", "sha256"),
                        ("retrieved", "retrieved")):  # fmt: skip
        if len(options[option]) > len(data["sources"]):
            _option_error(option, f"one per --source: {len(data['sources'])} given")
        for source, value in zip(data["sources"], options[option], strict=False):
            source[key] = value
    if options["change"]:
        data["changes"] = dict(_change(text) for text in options["change"])
    if options["id_"]:
        data["id"] = options["id_"]
    return data


def _option_error(option: str, message: str) -> NoReturn:
    raise RecordRejected(message, f"--{option}")


def _place(text: str, aliases: tuple[str, ...]) -> str | dict[str, Any]:
    parts = text.split(":")
    if len(parts) == 1:
        if aliases:
            _option_error("alias", "give the place in full (NAME:LAT:LON:KIND) to add aliases")
        return text
    if len(parts) != 4:
        _option_error("place", f"expected NAME or NAME:LAT:LON:KIND, got {shown(text)}")
    name, lat, lon, kind = parts
    place: dict[str, Any] = {"name": name, "lat": _number(lat, "place"), "kind": kind}
    place["lon"] = _number(lon, "place")
    if aliases:
        place["aliases"] = list(aliases)
    return place


def _actor(text: str) -> dict[str, str]:
    parts = text.split(":")
    if len(parts) != 3:
        _option_error("actor", f"expected FORCE:SIDE:ROLE, got {shown(text)}")
    return dict(zip(("force", "side", "role"), parts, strict=True))


def _triple(text: str, option: str) -> dict[str, int]:
    parts = text.split(":")
    if len(parts) not in (1, 3) or not all(part.strip().isdigit() for part in parts):
        _option_error(option, f"expected BEST or BEST:LOW:HIGH (whole numbers), got {shown(text)}")
    from timeline.events import LARGEST_COUNT  # pydantic: not imported for questions

    if any(len(part.strip()) > len(str(LARGEST_COUNT)) for part in parts):  # int() of 4,300
        _option_error(option, f"a number must be at most {LARGEST_COUNT}, got {shown(text)}")
    numbers = [int(part) for part in parts]
    if len(numbers) == 1:
        return {"best": numbers[0]}
    return {"best": numbers[0], "low": numbers[1], "high": numbers[2]}


def _source(text: str) -> dict[str, Any]:
    outlet, _, rest = text.partition(":")
    grade, _, rest = rest.partition(":")
    if len(grade) != 2:
        _option_error("source", f"expected OUTLET:GRADE[:URL][:PUBLISHED], got {shown(text)}")
    source: dict[str, Any] = {"outlet": outlet, "reliability": grade[0], "credibility": grade[1]}
    head, _, tail = rest.rpartition(":")
    if _DATE_LIKE.match(tail) and not tail.startswith("//"):
        source["published"], rest = tail, head
    if rest:
        source["url"] = rest
    return source


def _change(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        _option_error("change", f"expected KEY=VALUE, got {shown(text)}")
    try:
        parsed = json.loads(value)
    except ValueError:  # not JSON (or a number of more than 4,300 digits): text
        return key, value
    from timeline.validation import REPEATED, repeated_key  # pydantic: not for questions

    repeated = repeated_key(value)
    if repeated is not None:
        _option_error("change", f"{'.'.join([key, *repeated])}: {REPEATED}")
    return key, parsed


def _number(text: str, option: str) -> float:
    try:
        return float(text)
    except ValueError:
        _option_error(option, f"{shown(text)} is not a number")


def _size(file: str) -> int:
    try:
        return os.path.getsize(file)
    except OSError:
        return 0


@contextmanager
def _progress(
    size: int, label: str = "checking", least: int = 1_000_000
) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on a terminal for long work (a file over 1 MB); nothing otherwise."""
    if size < least or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=size, label=label, file=sys.stderr) as bar:
        yield bar.update


def _projected(ops: OpsTimeline, *, rebuild: bool = False, stored: str | None = None) -> int:
    """Catch the read models up (or rebuild them), with a progress bar for a long backlog.
    `stored`: what the write before it stored, said if the read models cannot take it."""
    from projections.views import ReadModelsUnavailable
    from timeline.api import ReadModelsBehind

    try:
        with _progress(ops.backlog(rebuild=rebuild), "projecting", least=20_000) as advance:
            return ops.rebuild(advance) if rebuild else ops.project(advance)
    except ReadModelsUnavailable as error:
        if stored is None or isinstance(error, ReadModelsBehind):
            raise
        raise ReadModelsBehind(stored, str(error)) from None


@main.command()
@click.pass_context
def project(ctx: click.Context) -> None:
    """Catch the read models up with events other writers appended to a shared store.

    `import` and `record` keep the read models current by themselves.

    Example:

        timeline --db postgresql://analyst@db.example/ops project
    """
    ops = open_timeline(ctx)
    with user_errors():
        click.echo(f"{_projected(ops)} events projected")


@main.command()
@click.pass_context
def rebuild(ctx: click.Context) -> None:
    """Delete every read model and recreate it from the events.

    Example:

        timeline --db al-qaim.db rebuild
    """
    ops = open_timeline(ctx)
    with user_errors():
        click.echo(f"{_projected(ops, rebuild=True)} events projected")
