"""Commands that look after a store: init (a team's PostgreSQL store and its roles), copy,
doctor."""

from __future__ import annotations

import click

from timeline.cli.base import main, user_errors
from timeline.store import choose_db
from timeline.stores.roles import ANALYST_ROLE, EVENTS_TABLE, RESEARCHER_ROLE, Roles


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
        from timeline.stores.roles import create_roles, roles_sql, schema_of

        if not _is_postgres(db):
            if (analyst_role, researcher_role) != (ANALYST_ROLE, RESEARCHER_ROLE) or print_sql:
                raise click.UsageError("roles are PostgreSQL's: an SQLite store is one file")
            Timeline(db=db).close()
            click.echo(f"the store {db} is made")
            return
        if print_sql:
            click.echo(roles_sql(schema_of(db), EVENTS_TABLE, roles), nl=False)
            return
        app = Timeline(db=db)
        table = app.recorder.events_table_name  # type: ignore[attr-defined]
        app.close()
        click.echo("the store's tables are made")
        for line in create_roles(db, table, roles):
            click.echo(line)
