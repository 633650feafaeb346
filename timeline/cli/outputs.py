"""Commands that write files for readers: report (one offline HTML page) and chart (a figure)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from charts.figures import KINDS
from charts.images import PLOTLYJS
from charts.report import WEAKER
from projections.queries import ACTIVITY_PERIODS
from timeline.cli.base import main, open_timeline, user_errors

MAX_PIXELS = 10_000  # a figure's width or height: larger ones exhaust the browser drawing them


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} kB"


def drawing(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options every drawing takes: what it counts, its colours, where plotly.js goes."""
    for option in reversed((
        click.option("--as-recorded", metavar="DATETIME", help="Only events appended by then."),
        click.option("--known-by", metavar="DATE", help="Only sources published by DATE."),
        click.option("--min-grade", metavar="GRADE",
                     help="Only sources graded this well or better (C3); events left with "
                     "none drop out."),
        click.option("--colours", type=click.Path(exists=True, dir_okay=False),
                     help='A JSON file of side to colour ({"ISIS": "#000000"}), over the '
                     "fixed palette."),
        click.option("--plotlyjs", type=click.Choice(PLOTLYJS), default="inline",
                     show_default=True,
                     help="HTML: plotly.js inside the page, or written once beside it "
                     "(plotly.min.js) for a folder of pages."),
    )):  # fmt: skip
        function = option(function)
    return function


@main.command()
@click.argument("operation")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
    help="The HTML file to write.",
)  # fmt: skip
@click.option(
    "--include-retracted", is_flag=True,
    help="List retracted events in the timeline too, struck through.",
)
@click.option(
    "--weaker", type=click.Choice(WEAKER), default="fade", show_default=True,
    help="With --min-grade: list the claims resting on weaker sources alone, faded, in the "
    "tables (they count in no figure or total), or leave them out.",
)  # fmt: skip
@drawing
@click.pass_context
def report(
    ctx: click.Context, /, operation: str, output: str, include_retracted: bool,
    **options: Any,
) -> None:  # fmt: skip
    """Write one self-contained HTML page about OPERATION, readable with no network.

    The page says what it counts (as recorded and known by when, which grades) and when it
    was made, then shows who held what when (the control chart and the periods of control),
    the other figures (progress, events by place, the control map, forces, activity), the
    timeline, the claims to weigh (contested, corrected, or on one weak source), the events
    withdrawn with their retractions, and every source with its grade. With --min-grade,
    only sources that good count; weaker claims are faded in the tables, or left out.

    Example:

        timeline --db al-qaim.db report al-qaim-2017 -o report.html --plotlyjs directory
        timeline --db al-qaim.db report al-qaim-2017 -o b2.html --min-grade B2
    """
    ops = open_timeline(ctx)
    with user_errors():
        path = ops.report(operation, output, include_retracted=include_retracted, **options)
    click.echo(f"wrote {path} ({_size(path)})")


@main.command()
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("operations", metavar="[OPERATION]...", nargs=-1)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
    help="The file to write: .html (opens with no network), .png or .svg.",
)  # fmt: skip
@click.option("--width", type=click.IntRange(100, MAX_PIXELS),
              help=f"Width in pixels, 100 to {MAX_PIXELS} (default 1200).")
@click.option("--height", type=click.IntRange(100, MAX_PIXELS),
              help=f"Height in pixels, 100 to {MAX_PIXELS}.")
@click.option("--on", metavar="DATE", help="For the map: the day shown (default the last).")
@click.option("--per", type=click.Choice(ACTIVITY_PERIODS),
              help="For activity: count per week or month (default: weeks up to two years).")
@click.option("--place", help="For activity: events at a place (any of its names).")
@click.option("--force", help="For activity: events a force took part in.")
@click.option("--side", help="For activity: events a side took part in.")
@click.option("--type", "type_", help="For activity: events of one type.")
@click.option("--between", nargs=2, metavar="FROM TO", help="For activity: occurred possibly "
              "between.")  # fmt: skip
@click.option("--text", help="For activity: words in notes, place names, quotes or outlets.")
@drawing
@click.pass_context
def chart(
    ctx: click.Context, /, kind: str, operations: tuple[str, ...], output: str,
    width: int | None, height: int | None, on: str | None, per: str | None, type_: str | None,
    **options: Any,
) -> None:  # fmt: skip
    """Write one figure of one operation or several: control, progress, timeline, map,
    forces or activity.

    control: a row per place, a bar per period of control in its holder's colour. activity:
    events and casualties per week or month by type and side, of the operations named, or of
    every event the query options choose (--side ISIS --between 2017-01 2017-12).

    PNG and SVG are drawn by kaleido in a headless Chromium: pip install -e ".[images]"
    and apt-get install chromium.

    Example:

        timeline --db al-qaim.db chart control al-qaim-2017 -o control.png --width 1200
    """
    ops = open_timeline(ctx)
    filters = {key: value for key, value in {**options, "type": type_}.items()
               if key in ("place", "force", "side", "type", "between", "text")
               and value}  # fmt: skip
    drawn = {key: value for key, value in options.items() if key not in filters
             and key not in ("place", "force", "side", "between", "text")}  # fmt: skip
    with user_errors():
        path = ops.chart(
            kind, list(operations), output, width=width, height=height,
            **({"on": on} if on else {}), **({"per": per} if per else {}), **drawn, **filters,
        )  # fmt: skip
    click.echo(f"wrote {path} ({_size(path)})")
