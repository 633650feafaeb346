"""The offline report: one HTML file that opens with no network and shows event text as text."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from charts import images, report
from tests.conftest import AL_QAIM
from tests.test_figures import OPERATION, event
from timeline.api import OpsTimeline

SCRIPT = '<script>alert("pwned")</script>'
# Where a page can make the browser fetch something: <script src>, <link href>, <img src>,
# <iframe src>, CSS url() and @import.
FETCHES = re.compile(
    r"""<(?:script|link|img|iframe|source|embed)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?P<tag>[^"'\s>]+)"""
    r"""|url\(\s*["']?(?P<css>[^"')]+)|@import\s+["'](?P<imported>[^"']+)""",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The al-Qaim report, with a second launch claim, a correction and hostile text added."""
    ops = OpsTimeline(str(tmp_path_factory.mktemp("report") / "timeline.db"))
    ops.import_file(AL_QAIM)
    hostile = {"outlet": "<b>Bold Outlet</b>", "reliability": "E", "credibility": "5",
               "url": 'https://example.org/?q="><script>x()</script>',
               "quote": "</td></tr></table><h1>quoted</h1>"}  # fmt: skip
    notes = f"Other reporting: late October. {SCRIPT}"
    ops.record(event("launched-october", "operation_launched", "2017-10-26", notes=notes,
                     sources=[hostile]))  # fmt: skip
    correction = event("crossing-corrected", "report_corrected", "2017-11-06",
                       corrects=f"{OPERATION}/crossing-captured",
                       changes={"notes": "Checked against imagery."})  # fmt: skip
    del correction["occurred"]
    ops.record(correction)
    path = ops.report(OPERATION, tmp_path_factory.mktemp("out") / "report.html")
    ops.close()
    return path


def fetched(html: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in FETCHES.finditer(html)]


def test_the_report_fetches_nothing_from_the_network(page: Path) -> None:
    html = page.read_text("utf-8")

    addresses = fetched(html)

    assert not [a for a in addresses if re.match(r"\s*(https?:)?//", a, re.IGNORECASE)]
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.IGNORECASE)


def test_the_report_inlines_plotly_js_once(page: Path) -> None:
    html = page.read_text("utf-8")

    assert html.count("* plotly.js v") == 1
    assert html.count('class="plotly-graph-div"') == 4


def test_text_from_events_shows_as_text_and_is_never_run(page: Path) -> None:
    html = page.read_text("utf-8")

    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in html
    assert "<h1>quoted</h1>" not in html
    assert "&lt;h1&gt;quoted&lt;/h1&gt;" in html
    assert "<b>Bold Outlet</b>" not in html
    assert "&lt;b&gt;Bold Outlet&lt;/b&gt;" in html
    assert "<script>x()</script>" not in html
    assert 'href="https://example.org/?q=&quot;&gt;&lt;script&gt;x()&lt;/script&gt;"' in html
    assert html.count("<script") == 1 + 4  # plotly.js, then one per figure


def test_the_report_holds_the_timeline_the_sources_and_the_claims_to_weigh(page: Path) -> None:
    html = page.read_text("utf-8")

    for section in ("Timeline", "Claims to weigh", "Sources and grades"):
        assert f">{section}</h2>" in html
    for event_id in ("launched", "crossing-captured", "gaza-entered", "launched-october"):
        assert f"<code>{OPERATION}/<wbr>{event_id}</code>" in html
    assert "launch date contested" in html
    assert "(contested: 2 claims)" in html
    assert "corrected by al-qaim-2017/crossing-corrected" in html
    assert html.count(">single weak source<") == 9  # the fixture's 8, and the E5 launch claim
    assert "not usually reliable; probably true" in html  # D2, in words


def test_the_report_renders_in_chromium_with_the_network_off(page: Path) -> None:
    chromium = images.browser() or shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing: .ci/run installs it (apt-get install chromium)")
        pytest.skip("needs Chromium to render the report: apt-get install chromium")

    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
         "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip

    assert dom.count('class="plot-container plotly"') == 4  # every figure drawn
    assert dom.count('class="main-svg"') >= 4


def test_a_report_that_fails_half_written_leaves_the_last_whole_one_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(AL_QAIM)
    path = ops.report(OPERATION, tmp_path / "report.html")
    whole = path.read_bytes()
    real = report.parts

    def failing(**rows: Any) -> Iterator[str]:
        pieces = real(**rows)
        yield next(pieces)
        raise MemoryError("the machine ran out half way")

    monkeypatch.setattr(report, "parts", failing)

    with pytest.raises(MemoryError):
        ops.report(OPERATION, path)
    assert path.read_bytes() == whole
    assert sorted(p.name for p in tmp_path.iterdir() if "report" in p.name) == ["report.html"]
    ops.close()
