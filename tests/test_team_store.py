"""A team on one PostgreSQL store: `timeline init` makes the tables and two roles; analysts
append, researchers read and project into read models of their own, and cannot append."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import (
    AL_QAIM,
    POSTGRES,
    captured,
    launched,
    role_url,
    run_timeline,
    write_jsonl,
)
from tests.test_projection_tracking import every_table
from timeline.api import OpsTimeline
from timeline.application import Timeline
from timeline.errors import ReadOnlyRole
from timeline.stores.role_names import EVENTS_TABLE, Roles
from timeline.stores.roles import roles_sql

pytestmark = pytest.mark.postgres


def init(url: str, team: tuple[str, str]) -> bytes:
    done = run_timeline(
        "--db", url, "init", "--analyst-role", team[0], "--researcher-role", team[1]
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_init_makes_the_tables_and_both_roles_and_again_changes_nothing(
    pg_url: str, team: tuple[str, str]
) -> None:
    first = init(pg_url, team)
    second = init(pg_url, team)

    assert f"role {team[0]} made" in first.decode()
    assert f"role {team[1]} made" in first.decode()
    assert f"role {team[0]} there already" in second.decode()
    analyst = Timeline(db=role_url(pg_url, team[0]))
    assert str(analyst.import_file(AL_QAIM)) == "8 new, 0 already recorded"
    analyst.close()


def test_the_researchers_role_cannot_record_or_import_and_nothing_is_stored(
    pg_url: str, team: tuple[str, str], tmp_path: Path
) -> None:
    init(pg_url, team)
    analyst = Timeline(db=role_url(pg_url, team[0]))
    analyst.import_file(AL_QAIM)
    researcher = role_url(pg_url, team[1])
    more = write_jsonl(tmp_path / "more.jsonl", [launched(), captured("op-1/a")])

    imported = run_timeline("--db", researcher, "--views", str(tmp_path / "r.db"),
                            "import", str(more))  # fmt: skip
    recorded = run_timeline(
        "--db", researcher, "--views", str(tmp_path / "r.db"), "record", "operation_launched",
        "--operation", "op-2", "--occurred", "2017-11-03", "--source", "South Front:D3",
    )  # fmt: skip

    for refused in (imported, recorded):
        assert refused.returncode == 1
        assert refused.stderr.decode().startswith(
            "Error: this role can read the store but not write to it: permission denied"
        )
        assert b"Traceback" not in refused.stderr
    with pytest.raises(ReadOnlyRole, match="nothing was stored"):
        Timeline(db=researcher).record(launched("op-3"))
    assert len(list(analyst.log())) == 8
    analyst.close()


def test_the_researchers_role_projects_only_what_analysts_appended_since(
    pg_url: str, team: tuple[str, str], tmp_path: Path
) -> None:
    init(pg_url, team)
    analyst = OpsTimeline(role_url(pg_url, team[0]), views=str(tmp_path / "analyst.views.db"))
    researcher = OpsTimeline(role_url(pg_url, team[1]), views=str(tmp_path / "mine.views.db"))
    analyst.import_file(AL_QAIM)
    assert researcher.project() == 13

    analyst.import_file(write_jsonl(tmp_path / "more.jsonl", [launched(), captured("op-1/a")]))
    caught_up = researcher.project()

    assert caught_up == 2  # the two new events, not the eight before them again
    assert [o["operation"] for o in researcher.operations()] == ["al-qaim-2017", "op-1"]
    assert every_table(researcher.views.path) == every_table(analyst.views.path)
    analyst.close()
    researcher.close()


def test_a_role_that_may_not_make_tables_is_told_to_run_init_where_there_is_no_store(
    pg_url: str, team: tuple[str, str]
) -> None:
    import psycopg

    init(pg_url, team)
    empty = f"empty_{team[1]}"
    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{empty}"')
        connection.execute(f'GRANT USAGE ON SCHEMA "{empty}" TO "{team[1]}"')
    try:
        shown = run_timeline("--db", role_url(f"{POSTGRES}?schema={empty}", team[1]), "project")
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{empty}" CASCADE')

    assert shown.returncode == 1
    assert b"Traceback" not in shown.stderr
    assert shown.stderr.decode().startswith(f"Error: there is no store in schema {empty}")
    assert b"run `timeline init`" in shown.stderr


def test_the_readmes_sql_for_the_roles_is_what_init_runs() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")

    assert roles_sql("iraq", EVENTS_TABLE, Roles()) in readme


def test_init_makes_the_schema_where_there_is_none(pg_url: str, team: tuple[str, str]) -> None:
    import psycopg

    fresh = pg_url + "_new"
    try:
        init(fresh, team)
        assert str(Timeline(db=role_url(fresh, team[0])).import_file(AL_QAIM)).startswith("8 new")
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as connection:
            schema = fresh.rpartition("schema=")[2]
            for role in team:
                connection.execute(f'DROP OWNED BY "{role}"')
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
