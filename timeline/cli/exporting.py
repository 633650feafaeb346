"""`timeline export`: the chosen events in a format researchers' tools open unchanged."""

from __future__ import annotations

import sys
from typing import Any

import click

from exports import FORMATS
from projections.tables import TABLES
from timeline.cli.base import main, open_timeline, user_errors
from timeline.cli.questions import filters


@main.command()
@click.option("--format", "form", type=click.Choice(FORMATS), required=True,
              help="csv, jsonl (the record format), geojson, timelinejs, timemap or acled "
              "(ACLED's 31 columns).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="The file to write (written whole or not at all). Default: standard output.")
@click.option("--table", type=click.Choice(TABLES), default="events", show_default=True,
              help="For csv: the read model to write, cut to the chosen events.")
@click.option("--places", is_flag=True, help="For geojson: one feature per place, with its "
              "periods of control, instead of one per event.")
@click.option("--bom", is_flag=True, help="For csv: begin with a byte order mark, so that "
              "Excel reads the file as UTF-8.")
@click.option("--state", "states", multiple=True, metavar="SIDE",
              help="For acled: a side whose forces are state forces (inter code 1), beside "
              "those whose name says so, such as Military Forces of Iraq (2014-). Repeatable.")
@click.option("--operation", "operations", multiple=True, metavar="SLUG",
              help="Only this operation's events (repeatable). Default: every operation.")
@filters
@click.option("--as-recorded", metavar="DATETIME", help="Only events appended by then.")
@click.option("--known-by", metavar="DATE", help="Only sources published by DATE.")
@click.pass_context
def export(ctx: click.Context, /, form: str, output: str | None, type_: str | None,
           **options: Any) -> None:  # fmt: skip
    """Write the events (or a read model) for pandas, QGIS, TimelineJS, timemap or an import.

    The filters are those of `query`; without them, every event (jsonl: every record, so
    that `timeline import` of it gives an equal store). Writes to standard output unless
    -o names a file.

    Example:

    \b
        timeline export --format csv --table sources -o sources.csv
        timeline export --format geojson --operation al-qaim-2017 -o events.geojson
        timeline export --format timelinejs --operation al-qaim-2017 -o timeline.json
        timeline export --format acled --operation acled-syria-deir-ez-zor-2017 -o acled.csv
    """
    ops = open_timeline(ctx)
    if type_ is not None:
        options["type"] = type_
    with user_errors():
        if output is None:
            done = ops.export(form, sys.stdout, **options)
        else:
            done = ops.export(form, output, **options)
    what = "places" if options["places"] else "rows" if options["table"] != "events" else "events"
    if form == "jsonl":
        what = "records"
    left = f"; {done.left_out} undated left out" if done.left_out else ""
    if form == "acled" and done.left_out:
        left = f"; {done.left_out} left out, ACLED having no row for them: {done.why}"
    click.echo(f"wrote {output or 'standard output'}: {done.rows} {what}{left}", err=True)
