"""`timeline serve`: Datasette on the read models, started as a user starts it, on a free
port, asked through its JSON API, and stopped with Ctrl-C (SIGINT)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import render
from tests.conftest import ROOT
from tests.mess import ARABIC, OPERATION, messy_store


class Served:
    def __init__(self, process: subprocess.Popen[str], base: str, views: Path) -> None:
        self.process, self.base, self.views = process, base, views

    def get(self, path: str, **params: str) -> tuple[int, Any]:
        query = urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(f"{self.base}{path}?{query}", timeout=30) as answer:
                return answer.status, json.load(answer)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("served")
    messy_store(directory).close()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "timeline.cli", "--db", str(directory / "timeline.db"), "serve",
         "--port", str(port), "--tiles", "http://127.0.0.1:9/{z}/{x}/{y}.png"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"serve did not start: {process.communicate()[1]}")
            time.sleep(0.2)
    yield Served(process, base, directory / "timeline.views.db")
    if process.poll() is None:
        process.kill()
        process.wait()


def test_serve_says_its_url_and_answers_the_database_at_timeline(served: Served) -> None:
    status, database = served.get("/timeline.json")

    assert status == 200
    visible = {t["name"] for t in database["tables"] if not t["hidden"]}
    assert visible == {"events", "actors", "sources", "places", "place_names", "control",
                       "forces", "operations", "downgrades", "contested"}  # fmt: skip
    assert {view["name"] for view in database["views"]} >= {"history"}
    hidden = {t["name"] for t in database["tables"] if t["hidden"]}
    assert {"tracking", "stale", "projected_from", "events_fts", "events_fts_data",
            "history_kept"} <= hidden  # fmt: skip


def test_serve_describes_every_table_and_column(served: Served) -> None:
    _, database = served.get("/timeline.json")
    _, metadata = served.get("/-/metadata.json")

    tables = metadata["databases"]["timeline"]["tables"]
    for table in database["tables"]:
        if table["hidden"]:
            continue
        described = tables[table["name"]]
        assert described["description"]
        assert set(described["columns"]) == set(table["columns"]), table["name"]
    assert tables["events"]["units"] == {"lat": "degrees", "lon": "degrees"}


def test_serve_answers_a_table_with_a_facet(served: Served) -> None:
    status, answer = served.get("/timeline/events.json", _facet="type", operation=OPERATION)

    assert status == 200
    counts = {row["value"]: row["count"] for row in answer["facet_results"]["type"]["results"]}
    assert counts["place_liberated"] == 3


def test_serve_searches_text_as_query_text_does(served: Served) -> None:
    _, answer = served.get("/timeline/events.json", _search="train station", _shape="array")

    assert [row["id"] for row in answer] == [f"{OPERATION}/train-station-liberated"]


def test_serve_search_finds_an_event_by_an_alias_of_its_place(served: Served) -> None:
    _, answer = served.get("/timeline/events.json", _search=ARABIC, _shape="array")

    assert [row["id"] for row in answer] == [f"{OPERATION}/jamiya-liberated"]


def test_serve_canned_query_binds_its_parameters(served: Served) -> None:
    status, rows = served.get("/timeline/held_on.json", place="husaybah border crossing",
                              day="2017-11-04", _shape="array")  # fmt: skip

    assert status == 200
    assert [(row["answer"], row["side"]) for row in rows] == [("held", "Iraq")]
    _, hostile = served.get("/timeline/held_on.json", place="x' OR 1=1 --", day="2017-11-04",
                            _shape="array")  # fmt: skip
    assert hostile == []


def test_serve_canned_query_of_claims_on_a_single_weak_source(served: Served) -> None:
    _, rows = served.get("/timeline/single_weak_source.json", operation=OPERATION,
                         _shape="array")  # fmt: skip

    assert len(rows) == 7  # the fixture's 8 (all South Front, D), one retracted
    assert all(row["grade"][0] in "DEF" or row["grade"][1] in "456" for row in rows)


def test_serve_links_an_event_to_its_sources_and_actors(served: Served) -> None:
    _, found = served.get("/timeline.json", sql="SELECT position FROM events WHERE id = :id",
                          id=f"{OPERATION}/crossing-captured", _shape="array")  # fmt: skip
    position = found[0]["position"]

    status, row = served.get(f"/timeline/events/{position}.json", _extras="foreign_key_tables",
                              _shape="objects")  # fmt: skip

    assert status == 200
    assert row["rows"][0]["id"] == f"{OPERATION}/crossing-captured"
    links = {link["other_table"]: link for link in row["foreign_key_tables"]}
    assert set(links) == {"sources", "actors"}
    assert links["sources"]["count"] >= 1
    assert links["actors"]["count"] >= 1
    path, _, query = links["sources"]["link"].partition("?")  # the HTML page's: as JSON
    _, sources = served.get(f"{path}.json", **dict(urllib.parse.parse_qsl(query)),
                            _shape="array")  # fmt: skip
    assert len(sources) == links["sources"]["count"]
    assert {source["position"] for source in sources} == {position}


def test_serve_shows_the_history_newest_first(served: Served) -> None:
    status, rows = served.get("/timeline/history.json", _sort_desc="position", _shape="array")

    assert status == 200
    positions = [row["position"] for row in rows]
    assert positions == sorted(positions, reverse=True)
    assert len(positions) > 12
    assert {row["type"] for row in rows} >= {"report_corrected", "operation_launched"}


def test_serve_refuses_an_sql_write_and_leaves_the_file_as_it_was(served: Served) -> None:
    before = served.views.read_bytes()

    status, answer = served.get("/timeline.json", sql="DELETE FROM events")

    assert status == 400
    assert answer["error"] == "Statement must be a SELECT"
    _, rows = served.get("/timeline.json", sql="SELECT count(*) AS n FROM events",
                         _shape="array")  # fmt: skip
    assert rows == [{"n": 12}]
    assert served.views.read_bytes() == before


def test_serve_draws_the_events_map_with_no_network(served: Served, tmp_path: Path) -> None:
    dom = render(f"{served.base}/timeline/events?operation={OPERATION}")

    assert "leaflet-marker-icon" in dom  # the cluster map drew its markers, tiles or not
    assert "http://127.0.0.1:9/" in dom  # the tile layer given with --tiles


def test_serve_stops_cleanly_on_ctrl_c(served: Served) -> None:
    served.process.send_signal(signal.SIGINT)

    _, stderr = served.process.communicate(timeout=30)

    assert served.process.returncode == 0
    assert "Traceback" not in stderr
    assert stderr.splitlines()[0].startswith("serving the read models of ")
    assert f"at {served.base}/timeline (Ctrl-C stops)" in stderr
    assert stderr.splitlines()[-1] == "stopped"


def test_serve_of_a_store_that_is_not_there_says_so_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"

    done = subprocess.run([sys.executable, "-m", "timeline.cli", "--db", str(missing), "serve"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)  # fmt: skip

    assert done.returncode == 1
    assert done.stderr == f"Error: no store at {missing}\n"
    assert list(tmp_path.iterdir()) == []
