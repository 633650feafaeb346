"""`timeline serve`: the read models in Datasette, read-only, until Ctrl-C."""

from __future__ import annotations

import click

from timeline.cli.base import main, open_timeline, user_errors


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (0.0.0.0: every interface; think first).")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True,
              help="The port to listen on.")
@click.option("--tiles", metavar="URL", help="The map's tile layer, {z}/{x}/{y} in the URL "
              "(default OpenStreetMap's; with no network the points still draw).")
@click.pass_context
def serve(ctx: click.Context, /, host: str, port: int, tiles: str | None) -> None:
    """Open the read models in Datasette, read-only, at /timeline; Ctrl-C stops it.

    Every table and column is described; events have facets, full-text search (place
    aliases included), a map, and links to their sources, actors and history; canned
    queries answer who held a place on a day, an operation's events in order, and the claims
    resting on a single weak source.

    Example:

        timeline --db al-qaim.db serve --port 8001
    """
    ops = open_timeline(ctx)

    def ready(url: str) -> None:
        click.echo(f"serving the read models of {ops.db} at {url} (Ctrl-C stops)", err=True)

    with user_errors():
        ops.serve(host=host, port=port, tiles=tiles, ready=ready)
    click.echo("stopped", err=True)
