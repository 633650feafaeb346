"""Commands that look after a store: init (a team's PostgreSQL store and its roles), copy,
doctor."""

from __future__ import annotations

import sys

import click

from timeline.cli.base import main, user_errors
from timeline.store import choose_db
from timeline.stores.role_names import ANALYST_ROLE, EVENTS_TABLE, RESEARCHER_ROLE, Roles
from timeline.terminal import escape


def _is_postgres(db: str) -> bool:
    return db.startswith(("postgresql://", "postgres://"))


@main.command()
@click.option("--analyst-role", default=ANALYST_ROLE, show_default=True,
              help="PostgreSQL: the role that reads and appends (made if not there).")
@click.option("--researcher-role", default=RESEARCHER_ROLE, show_default=True,
              help="PostgreSQL: the role that only reads (made if not there).")
@click.option("--print-sql", is_flag=True,
              help="PostgreSQL: print the roles' SQL instead of running it.")
@click.pass_context
def init(ctx: click.Context, /, analyst_role: str, researcher_role: str, print_sql: bool) -> None:
    """Make a store: its tables, and on PostgreSQL an analysts' and a researchers' role.

    Run it once, as the database's owner; running it again changes nothing. The analysts'
    role reads and appends; the researchers' reads, and projects into read models of
    their own, but an append with it is refused.

    Example:

    \b
        timeline init --db postgresql://postgres@db.example:5432/ops?schema=mosul \\
            --analyst-role mosul_analyst --researcher-role mosul_researcher
    """
    db = choose_db(ctx.obj["db"])
    roles = Roles(analyst_role, researcher_role)
    with user_errors():
        from timeline.application import Timeline
        from timeline.stores.roles import create_roles, create_schema, roles_sql, schema_of

        if not _is_postgres(db):
            if (analyst_role, researcher_role) != (ANALYST_ROLE, RESEARCHER_ROLE) or print_sql:
                raise click.UsageError("roles are PostgreSQL's: an SQLite store is one file")
            Timeline(db=db).close()
            click.echo(f"the store {db} is made")
            return
        if print_sql:
            click.echo(roles_sql(schema_of(db), EVENTS_TABLE, roles), nl=False)
            return
        create_schema(db)
        app = Timeline(db=db)
        table = app.recorder.events_table_name  # type: ignore[attr-defined]
        app.close()
        click.echo("the store's tables are made")
        for line in create_roles(db, table, roles):
            click.echo(line)


@main.command()
@click.option("--from", "source", required=True, metavar="PATH|URL", help="The store to copy.")
@click.option("--to", "destination", required=True, metavar="PATH|URL",
              help="The store to copy into: new, or empty.")
def copy(source: str, destination: str) -> None:
    """Copy a whole store, SQLite or PostgreSQL either way, all or nothing.

    Every stored event is copied as it is stored (its id, its stream and version, the time
    it was recorded, its bytes), in the order it was recorded, with a progress bar on a
    terminal. The copy's `log --json` is the original's. Read models are not copied:
    `timeline project` makes them for the copy.

    Example:

        timeline copy --from al-qaim.db --to postgresql://analyst@db.example/ops?schema=iraq
    """
    from timeline.cli.writing import _progress
    from timeline.copying import copy_store, stored_events

    with user_errors():
        total = stored_events(source)
        with _progress(total, "copying", least=20_000) as advance:
            copied = copy_store(source, destination, progress=advance)
    click.echo(f"{copied} stored events copied")


@main.command()
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check a store and its read models, and say what to do: one line a check.

    Checks SQLite's integrity (the store's every page, the read models' quick check), the
    store's version, whether the read models are of this store and up to date, marks left
    by a catch-up cut short, and the space free on the disks. Each line says ok, warn or
    fail, and what to do; exit code 1 if any check fails. Nothing is written.

    Example:

        timeline --db al-qaim.db doctor
    """
    from timeline.api import OpsTimeline

    with user_errors():
        ops = OpsTimeline(ctx.obj["db"], views=ctx.obj["views"])
        findings = ops.doctor()
    for finding in findings:
        click.echo(escape(str(finding)))
    if any(finding.status == "fail" for finding in findings):
        sys.exit(1)
