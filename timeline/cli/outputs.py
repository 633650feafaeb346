"""Commands that write files for readers: report (one offline HTML page) and chart (a figure)."""

from __future__ import annotations

from pathlib import Path

import click

from charts.figures import KINDS
from timeline.cli.base import main, open_timeline, user_errors


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} kB"


@main.command()
@click.argument("operation")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
    help="The HTML file to write.",
)  # fmt: skip
@click.option("--as-recorded", metavar="DATETIME", help="Only events appended by then.")
@click.option("--known-by", metavar="DATE", help="Only sources published by DATE.")
@click.pass_context
def report(
    ctx: click.Context, /, operation: str, output: str, as_recorded: str | None,
    known_by: str | None,
) -> None:  # fmt: skip
    """Write one self-contained HTML page about OPERATION, readable with no network.

    The page holds the figures (progress, events by place, the control map, forces), the
    timeline, the claims to weigh (contested, corrected, or on one weak source) and every
    source with its grade.

    Example:

        timeline --db al-qaim.db report al-qaim-2017 -o report.html
    """
    ops = open_timeline(ctx)
    with user_errors():
        path = ops.report(operation, output, as_recorded=as_recorded, known_by=known_by)
    click.echo(f"wrote {path} ({_size(path)})")


@main.command()
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("operations", metavar="OPERATION...", nargs=-1, required=True)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
    help="The file to write: .html (opens with no network), .png or .svg.",
)  # fmt: skip
@click.option("--width", type=click.IntRange(min=100), help="Width in pixels (default 1200).")
@click.option("--height", type=click.IntRange(min=100), help="Height in pixels.")
@click.option("--on", metavar="DATE", help="For the map: the day shown (default the last).")
@click.option("--as-recorded", metavar="DATETIME", help="Only events appended by then.")
@click.option("--known-by", metavar="DATE", help="Only sources published by DATE.")
@click.pass_context
def chart(
    ctx: click.Context, /, kind: str, operations: tuple[str, ...], output: str,
    width: int | None, height: int | None, on: str | None, as_recorded: str | None,
    known_by: str | None,
) -> None:  # fmt: skip
    """Write one figure of one operation or several: progress, timeline, map or forces.

    PNG and SVG are drawn by kaleido in a headless Chromium: pip install -e ".[images]"
    and apt-get install chromium.

    Example:

        timeline --db al-qaim.db chart progress al-qaim-2017 -o progress.png --width 1200
    """
    ops = open_timeline(ctx)
    with user_errors():
        path = ops.chart(
            kind, list(operations), output, width=width, height=height, on=on,
            as_recorded=as_recorded, known_by=known_by,
        )  # fmt: skip
    click.echo(f"wrote {path} ({_size(path)})")
