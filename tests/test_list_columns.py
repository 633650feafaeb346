"""Lists are written one way in every read model, JSON arrays, and read back one way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing

import pytest

from projections.tables import LISTS
from tests.mess import ARABIC, QUOTE, messy_store
from timeline.api import OpsTimeline


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpsTimeline]:
    ops = messy_store(tmp_path_factory.mktemp("lists"))
    yield ops
    ops.close()


def test_every_list_column_of_every_read_model_is_a_json_array_of_text(
    store: OpsTimeline,
) -> None:
    with closing(store.views.connection()) as db:
        for table, columns in LISTS.items():
            for column in columns:
                values = [row[0] for row in db.execute(f"SELECT [{column}] FROM [{table}]")]

                decoded = [json.loads(v) for v in values if v is not None]

                assert decoded, f"{table}.{column} holds no list to check"
                assert all(isinstance(v, list) and v for v in decoded), f"{table}.{column}"
                assert all(isinstance(item, str) for v in decoded for item in v)


def test_history_state_is_json_text_not_a_blob(store: OpsTimeline) -> None:
    with closing(store.views.connection()) as db:
        kinds = {row[0] for row in db.execute("SELECT typeof(state) FROM history")}

    assert kinds == {"text", "null"}  # null: a new event's, read from the store


def test_a_quote_with_a_newline_is_one_item_and_its_words_are_found(store: OpsTimeline) -> None:
    found = store.query(text="after a night", limit=None)

    with closing(store.views.connection()) as db:
        quotes = db.execute("SELECT quotes FROM events WHERE id = ?", (found[0]["id"],))
        assert json.loads(quotes.fetchone()[0]) == [QUOTE]
    assert [row["id"] for row in store.query(text=ARABIC, limit=None)] == [found[0]["id"]]


def test_the_full_text_index_agrees_with_what_it_indexes(store: OpsTimeline) -> None:
    with closing(store.views.connection()) as db:
        db.execute("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')")


def test_cli_tables_print_lists_as_readable_cells(store: OpsTimeline) -> None:
    from click.testing import CliRunner

    from timeline.cli import main

    out = CliRunner().invoke(main, ["--db", store.db, "forces", "al-qaim-2017"]).stdout

    assert "[" not in out
    assert '"' not in out
    assert "Popular Mobilization Units" in out
