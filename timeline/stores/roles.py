"""A PostgreSQL store for a team: the analysts' role (reads and appends) and the researchers'
(reads only), made by `timeline init`.

The statements are those the README gives (`role_statements`), run by the database's owner
after the store's tables are made. The roles are made if they are not there (a role is the
cluster's, not the database's: an existing one is given the grants, nothing else changes),
and the grants may be given again: `init` is idempotent. Neither role may make tables; each
opens the store made for it (`timeline.stores.postgres.use_made_tables`).

Appending takes `LOCK TABLE ... IN EXCLUSIVE MODE` (eventsourcing's way of keeping
notification ids in commit order), which PostgreSQL grants only to a role with UPDATE,
DELETE or TRUNCATE on the table: the analysts are given UPDATE, and a trigger refuses every
UPDATE and DELETE of a stored event, whoever runs it.
"""

from __future__ import annotations

import psycopg
from psycopg.sql import SQL, Composed, Identifier

from timeline.errors import StoreUnavailable
from timeline.store import settings
from timeline.stores.role_names import Roles


def connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """A plain connection (autocommit) to the database a store's URL names."""
    found = settings(url)
    return psycopg.connect(
        dbname=found["POSTGRES_DBNAME"], host=found["POSTGRES_HOST"],
        port=int(found["POSTGRES_PORT"]), user=found["POSTGRES_USER"],
        password=found["POSTGRES_PASSWORD"] or None, autocommit=True, connect_timeout=10,
    )  # fmt: skip


def schema_of(url: str) -> str:
    return settings(url)["POSTGRES_SCHEMA"] or "public"


def create_schema(url: str) -> None:
    """The store's schema, made if it is not there (eventsourcing makes tables, not schemas)."""
    try:
        with connect(url) as connection:
            connection.execute(
                SQL("CREATE SCHEMA IF NOT EXISTS {0}").format(Identifier(schema_of(url)))
            )
    except psycopg.errors.InsufficientPrivilege as error:
        raise StoreUnavailable(
            f"cannot make the schema {schema_of(url)}: {error.diag.message_primary} (run "
            "`timeline init` as the database's owner)"
        ) from None
    except psycopg.errors.UniqueViolation:
        pass  # another init made it meanwhile


def create_role_statement(role: str) -> Composed:
    return SQL("CREATE ROLE {0} LOGIN").format(Identifier(role))


def role_statements(schema: str, events_table: str, roles: Roles) -> list[Composed]:
    """The grants of both roles in a schema whose store is made (after their CREATE ROLE)."""
    names = {
        "schema": Identifier(schema), "events": Identifier(events_table),
        "analyst": Identifier(roles.analyst), "researcher": Identifier(roles.researcher),
        "refuse": Identifier("timeline_append_only"),
    }  # fmt: skip
    statements = [
        "GRANT USAGE ON SCHEMA {schema} TO {analyst}, {researcher}",
        "GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {researcher}",
        "GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA {schema} TO {analyst}",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {analyst}",
        "GRANT UPDATE ON {schema}.{events} TO {analyst}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {researcher}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT ON TABLES TO {analyst}",
        "CREATE OR REPLACE FUNCTION {schema}.{refuse}() RETURNS trigger LANGUAGE plpgsql AS "
        "$$BEGIN RAISE EXCEPTION 'ops-timeline: stored events are appended, never changed'; "
        "END$$",
        "CREATE OR REPLACE TRIGGER {refuse} BEFORE UPDATE OR DELETE ON {schema}.{events} "
        "FOR EACH STATEMENT EXECUTE FUNCTION {schema}.{refuse}()",
    ]
    return [SQL(statement).format(**names) for statement in statements]


def create_roles(url: str, events_table: str, roles: Roles) -> list[str]:
    """Make the roles that are not there yet and give both their grants; say what was done."""
    try:
        return _create_roles(url, events_table, roles)
    except psycopg.errors.InsufficientPrivilege as error:
        raise StoreUnavailable(
            f"the store is made, but not the roles: {error.diag.message_primary} (run "
            "`timeline init` as the database's owner, or a role with CREATEROLE)"
        ) from None


def _create_roles(url: str, events_table: str, roles: Roles) -> list[str]:
    done: list[str] = []
    schema = schema_of(url)
    with connect(url) as connection:
        for role in (roles.analyst, roles.researcher):
            there = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            if there.fetchone() is not None:
                done.append(f"role {role} there already")
                continue
            try:
                connection.execute(create_role_statement(role))
                done.append(f"role {role} made")
            except psycopg.errors.DuplicateObject:  # another init made it meanwhile
                done.append(f"role {role} there already")
        with connection.transaction():
            for statement in role_statements(schema, events_table, roles):
                connection.execute(statement)
    done.append(
        f"{roles.analyst} may read and append, {roles.researcher} may read, in schema {schema}"
    )
    return done


def roles_sql(schema: str, events_table: str, roles: Roles) -> str:
    """The statements `create_roles` runs, as SQL text (`timeline init --print-sql`)."""
    statements = [create_role_statement(roles.analyst), create_role_statement(roles.researcher)]
    statements += role_statements(schema, events_table, roles)
    return "".join(statement.as_string() + ";\n" for statement in statements)
