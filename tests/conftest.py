"""Fixtures used everywhere: a store in a temporary directory (or a PostgreSQL schema), the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.ways import DATASET_WAYS, LINE_WAYS, WAYS, Way
from timeline.application import Timeline
from timeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
AL_QAIM = ROOT / "fixtures" / "al_qaim_2017.jsonl"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "timeline.db")


@pytest.fixture
def app(db: str) -> Iterator[Timeline]:
    timeline = Timeline(db=db)
    yield timeline
    timeline.close()


@pytest.fixture
def cli(db: str) -> Callable[..., Result]:
    """Run `timeline --db <the test store> ARGS` in this process."""

    def run(*args: str, input: str | bytes | None = None) -> Result:
        return CliRunner().invoke(main, ["--db", db, *args], input=input, catch_exceptions=False)

    return run


def run_timeline(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run the real `timeline` command in a new process."""
    return subprocess.run(
        [sys.executable, "-m", "timeline.cli", *args], input=input, capture_output=True, cwd=ROOT
    )


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


SOURCE = {
    "outlet": "South Front",
    "reliability": "D",
    "credibility": "3",
    "published": "2017-11-03",
}
ATTACKERS = [{"force": "Iraqi Army", "side": "Iraq", "role": "attacker"}]
IRAQ = [
    {"force": "Iraqi Army", "side": "Iraq", "role": "attacker"},
    {"force": "Islamic State", "side": "ISIS", "role": "defender"},
]
ISIS = [
    {"force": "Islamic State", "side": "ISIS", "role": "attacker"},
    {"force": "Iraqi Army", "side": "Iraq", "role": "defender"},
]
RAWA = {"name": "Rawa", "lat": 34.47, "lon": 41.91, "kind": "town"}
AL_QAIM_TOWN = {
    "name": "al-Qaim",
    "lat": 34.3686,
    "lon": 41.0944,
    "kind": "town",
    "aliases": ["القائم"],
}


def launched(operation: str = "op-1", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{operation}/launched",
        "type": "operation_launched",
        "operation": operation,
        "occurred": "2017-11-03",
        "sources": [SOURCE],
        **extra,
    }


def captured(event_id: str, operation: str = "op-1", **extra: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "place_captured",
        "operation": operation,
        "occurred": "2017-11-03",
        "place": AL_QAIM_TOWN,
        "actors": ATTACKERS,
        "sources": [SOURCE],
        **extra,
    }


POSTGRES = os.environ.get("TIMELINE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL store in a schema of its own, dropped afterwards. Outside CI the test skips,
    saying so, when no server answers; in CI (CI=true) it fails instead."""
    psycopg = pytest.importorskip("psycopg")
    try:
        connection = psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {POSTGRES}: {error}")
        pytest.skip(f"no PostgreSQL server at {POSTGRES} (set TIMELINE_TEST_POSTGRES): {error}")
    schema = f"timeline_test_{uuid.uuid4().hex[:12]}"
    connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES}?schema={schema}"
    finally:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        connection.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, db: str) -> str:
    """A new store on SQLite, then on PostgreSQL (a schema of its own): what a store-level
    test says holds of both."""
    return str(request.getfixturevalue("pg_url")) if request.param == "postgres" else db


def role_url(url: str, role: str) -> str:
    """The same PostgreSQL store, connected to as another role (trust authentication)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{role}@{rest.partition('@')[2]}"


@pytest.fixture
def team(pg_url: str) -> Iterator[tuple[str, str]]:
    """Unique names for an analysts' and a researchers' role, dropped afterwards (roles are
    the server's, not a schema's)."""
    import psycopg

    tag = uuid.uuid4().hex[:10]
    roles = (f"analyst_{tag}", f"researcher_{tag}")
    yield roles
    with psycopg.connect(POSTGRES, autocommit=True) as connection:
        for role in roles:
            if connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                connection.execute(f'DROP OWNED BY "{role}"')
                connection.execute(f'DROP ROLE "{role}"')


@pytest.fixture(params=WAYS, ids=[way.name for way in WAYS])
def way(request: pytest.FixtureRequest, app: Timeline, tmp_path: Path) -> Way:
    """Each way into the store in turn: every rule test runs through all of them."""
    made: Way = request.param(app, tmp_path)
    return made


@pytest.fixture(params=[*WAYS, *DATASET_WAYS], ids=[w.name for w in (*WAYS, *DATASET_WAYS)])
def every_way(request: pytest.FixtureRequest, app: Timeline, tmp_path: Path) -> Way:
    """Every way in, a dataset's files too: for the rules that a dataset's row can say (no
    launch needed on any)."""
    made: Way = request.param(app, tmp_path, unlaunched=True)
    return made


@pytest.fixture(params=LINE_WAYS, ids=[way.name for way in LINE_WAYS])
def line_way(request: pytest.FixtureRequest, app: Timeline, tmp_path: Path) -> Way:
    """Each way into the store that reads the lines of a file (`Way.refuses_line`)."""
    made: Way = request.param(app, tmp_path)
    return made
