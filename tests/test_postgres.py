"""The same application on PostgreSQL, selected by configuration only (the first two tests on
SQLite too, through conftest's `store_url`).

Needs a server: TIMELINE_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test).
Outside CI the tests skip, saying so, when none answers; in CI (CI=true) they fail instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import AL_QAIM, captured, launched, write_jsonl
from timeline.application import Timeline
from timeline.errors import ImportFailed

pytestmark = pytest.mark.postgres


def test_the_fixture_imports_and_reads_back_in_order(store_url: str) -> None:
    app = Timeline(db=store_url)

    result = app.import_file(AL_QAIM)

    assert (result.new, result.already) == (8, 0)
    assert next(e.record.id for e in app.log()) == "al-qaim-2017/launched"
    assert str(app.import_file(AL_QAIM)) == "0 new, 8 already recorded"
    app.close()


def test_a_bad_import_stores_nothing(store_url: str, tmp_path: Path) -> None:
    app = Timeline(db=store_url)
    app.import_file(AL_QAIM)
    records = [launched(), captured("op-1/a"), captured("op-1/b", place="Atlantis")]

    with pytest.raises(ImportFailed):
        app.import_file(write_jsonl(tmp_path / "bad.jsonl", records))

    assert len(list(app.log())) == 8
    app.close()


def test_postgresql_and_sqlite_stores_read_the_same(pg_url: str, db: str) -> None:
    on_postgres, on_sqlite = Timeline(db=pg_url), Timeline(db=db)
    on_postgres.import_file(AL_QAIM)
    on_sqlite.import_file(AL_QAIM)

    assert [e.record for e in on_postgres.log()] == [e.record for e in on_sqlite.log()]
    on_postgres.close()
    on_sqlite.close()
