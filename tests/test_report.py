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
from charts.colours import KNOWN
from charts.figures import KINDS
from tests.browser import render
from tests.conftest import AL_QAIM, IRAQ, RAWA
from tests.test_figures import OPERATION, event
from timeline.api import OpsTimeline
from timeline.errors import InvalidInput

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
    ops.record(event("rawa", "place_captured", "2017-11-09", place=RAWA, actors=IRAQ))
    ops.record(retraction("rawa-retracted", "rawa", notes="Rawa was not taken until 2018."))
    path = ops.report(OPERATION, tmp_path_factory.mktemp("out") / "report.html")
    ops.close()
    return path


def retraction(event_id: str, target: str, **keys: Any) -> dict[str, Any]:
    source = {"outlet": "Reuters", "reliability": "B", "credibility": "2",
              "published": "2017-11-12", "quote": "Rawa remains in militant hands"}  # fmt: skip
    found = event(event_id, "report_retracted", "2017-11-12", retracts=f"{OPERATION}/{target}",
                  sources=[source], **keys)  # fmt: skip
    del found["occurred"]
    return found


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
    assert html.count('class="plotly-graph-div"') == len(KINDS)


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
    assert html.count("<script") == 1 + len(KINDS)  # plotly.js, then one per figure


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

    assert dom.count('class="plot-container plotly"') == len(KINDS)  # every figure drawn
    assert dom.count('class="main-svg"') >= len(KINDS)


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


def test_a_retracted_event_appears_in_the_withdrawn_section_with_its_retraction(
    page: Path,
) -> None:
    html = page.read_text("utf-8")

    withdrawn = html.split('<h2 id="withdrawn">')[1].split("<h2 ")[0]
    before = html.split('<h2 id="withdrawn">')[0]
    assert f"<code>{OPERATION}/<wbr>rawa</code>" in withdrawn
    assert f"<code>{OPERATION}/<wbr>rawa-retracted</code>" in withdrawn
    assert "Reuters" in withdrawn
    assert ">B2<" in withdrawn
    assert "Rawa remains in militant hands" in withdrawn
    assert "Rawa was not taken until 2018." in withdrawn
    assert f"{OPERATION}/<wbr>rawa</code>" not in before  # in no figure, table or total above


def test_the_report_can_list_retracted_events_in_its_timeline_struck_through(
    tmp_path: Path,
) -> None:
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(AL_QAIM)
    ops.record(event("rawa", "place_captured", "2017-11-09", place=RAWA, actors=IRAQ))
    ops.record(retraction("rawa-retracted", "rawa"))

    html = ops.report(OPERATION, tmp_path / "r.html", include_retracted=True).read_text("utf-8")

    timeline = html.split('<h2 id="timeline">')[1].split("<h2 ")[0]
    row = next(r for r in timeline.split("<tr") if f"{OPERATION}/<wbr>rawa</code>" in r)
    assert row.startswith(' class="retracted"')
    assert "Retracted events are struck through." in timeline
    assert "tr.retracted td { text-decoration: line-through;" in html
    ops.close()


def test_the_header_carries_the_as_recorded_moment_the_grades_and_the_day_made(
    tmp_path: Path,
) -> None:
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(AL_QAIM)

    html = ops.report(OPERATION, tmp_path / "r.html", as_recorded="2099-01-02T03:04:05+01:00",
                      known_by="2017-11-07", min_grade="d3").read_text("utf-8")  # fmt: skip

    header = html.split('<dl class="summary">')[0]
    assert "as recorded at 2099-01-02 02:04:05 UTC" in header
    assert "known by 2017-11-07" in header
    assert "sources graded D3 or better" in header
    assert re.search(r"<dt>made</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d UTC</dd>", header)
    ops.close()


def test_a_report_of_every_grade_and_moment_says_so(page: Path) -> None:
    header = page.read_text("utf-8").split('<dl class="summary">')[0]

    assert "everything recorded by" in header
    assert "every source, whatever its publication date" in header
    assert "every grade; claims are marked by their best grade" in header


def test_the_operations_days_are_its_events_likely_days_not_their_widest_bounds(
    tmp_path: Path,
) -> None:
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(AL_QAIM)
    ops.record(event("rawa", "place_captured", "2017-11", place=RAWA, actors=IRAQ))
    ops.record(event("concluded", "operation_concluded", "2017-11-06"))

    html = ops.report(OPERATION, tmp_path / "r.html").read_text("utf-8")

    assert "occurring most likely 2017-11-03 to 2017-11-15" in html  # 2017-11: mid-month
    assert "(possible dates 2017-10-31 to 2017-11-30)" in html
    ops.close()


def test_the_report_opens_on_who_held_what_when_with_the_periods_of_control(page: Path) -> None:
    html = page.read_text("utf-8")

    control = html.split('<h2 id="control">')[1].split("<h2 ")[0]
    assert 'id="figure-0"' in control  # the first figure
    assert "Who held what when: control of places" in control
    rows = control.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 5  # the fixture's five places, a period each
    crossing = next(row for row in rows if "al-Qaim border crossing" in row)
    assert f'background:{KNOWN["Iraq"]}"></span>Iraq' in crossing
    assert "held at the last record" in crossing


def test_a_side_has_the_same_colour_in_two_reports_of_two_stores(tmp_path: Path) -> None:
    wagner = [{"force": "Wagner Group", "side": "Wagner Group", "role": "attacker"},
              {"force": "Islamic State", "side": "ISIS", "role": "defender"}]  # fmt: skip
    first = OpsTimeline(str(tmp_path / "one.db"))
    first.import_file(AL_QAIM)
    first.record(event("rawa", "place_captured", "2017-11-05", place=RAWA, actors=wagner))
    second = OpsTimeline(str(tmp_path / "two.db"))  # other sides, met in another order
    second.record({**event("launched", "operation_launched", "2017-11-01"), "id": "b/launched",
                   "operation": "b"})  # fmt: skip
    for n, actors in enumerate((wagner, [{"force": "Islamic State", "side": "ISIS",
                                          "role": "attacker"}])):  # fmt: skip
        second.record({**event(f"c{n}", "place_captured", f"2017-11-0{n + 2}", actors=actors,
                               place={**RAWA, "name": f"Rawa {n}"}),
                       "id": f"b/c{n}", "operation": "b"})  # fmt: skip

    one = first.report(OPERATION, tmp_path / "one.html").read_text("utf-8")
    two = second.report("b", tmp_path / "two.html").read_text("utf-8")

    for side in ("ISIS", "Wagner Group"):
        legend = re.compile(rf'"legendgroup":"{side}","marker":\{{"color":"(#\w+)"')
        assert len(set(legend.findall(one))) == 1, side
        assert set(legend.findall(one)) == set(legend.findall(two)), side
    assert set(legend.findall(one)) != {KNOWN["ISIS"]}  # a colour of its own, by its name
    first.close()
    second.close()


def test_a_colours_file_overrides_the_palette(tmp_path: Path) -> None:
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(AL_QAIM)
    colours = tmp_path / "colours.json"
    colours.write_text('{"ISIS": "#000000"}', "utf-8")

    fig = ops.figure("control", OPERATION, colours=colours)

    assert next(t for t in fig.data if t.name == "ISIS").marker.color == "#000000"
    assert next(t for t in fig.data if t.name == "Iraq").marker.color == KNOWN["Iraq"]
    ops.close()


def test_with_plotlyjs_beside_it_a_report_is_small_and_still_draws_offline(
    tmp_path: Path,
) -> None:
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(AL_QAIM)
    (tmp_path / "reports").mkdir()

    one = ops.report(OPERATION, tmp_path / "reports" / "one.html", plotlyjs="directory")
    two = ops.report(OPERATION, tmp_path / "reports" / "two.html", plotlyjs="directory")

    html = one.read_text("utf-8")
    assert one.stat().st_size < 400_000
    assert '<script src="plotly.min.js"></script>' in html
    assert "* plotly.js v" not in html
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "one.html", "plotly.min.js", "two.html"]
    assert not [a for a in fetched(html) if a != "plotly.min.js"]
    dom = render(two.as_uri())
    assert dom.count('class="plot-container plotly"') == len(KINDS)
    ops.close()


def _section(html: str, anchor: str) -> str:
    return html.split(f'<h2 id="{anchor}">')[1].split("<h2 ")[0]


def _row(section: str, event_id: str) -> str:
    """The first table row of a section naming the event."""
    return next(r for r in section.split("<tr")[1:] if f"{OPERATION}/<wbr>{event_id}</code>" in r)


def test_a_grade_filter_fades_the_weaker_claims_by_default_and_counts_them_nowhere(
    tmp_path: Path,
) -> None:
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(AL_QAIM)
    counted = ops.operations(min_grade="D2")[0]["events"]

    html = ops.report(OPERATION, tmp_path / "r.html", min_grade="D2").read_text("utf-8")

    timeline = _section(html, "timeline")
    assert not _row(timeline, "crossing-captured").startswith(' class="below"')  # D2
    weaker = _row(timeline, "karablah-liberated")  # D3 alone
    assert weaker.startswith(' class="below"')
    assert "below D2" in weaker
    assert "Faded: claims resting only on sources graded below D2" in timeline
    assert "tr.below td { opacity:" in html
    summary = html.split('<dl class="summary">')[1].split("</dl>")[0]
    assert f"<dt>events</dt><dd>{counted}," in summary  # the summary counts D2 or better only
    assert counted < ops.operations()[0]["events"]
    sources = _section(html, "sources")
    assert 'class="below"' in sources
    assert "Faded: sources graded below D2" in sources
    assert "the claims resting on weaker sources alone are listed faded" in html
    ops.close()


def test_a_grade_filter_that_hides_leaves_the_weaker_claims_out(tmp_path: Path) -> None:
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(AL_QAIM)

    html = ops.report(OPERATION, tmp_path / "r.html", min_grade="D2", weaker="hide")
    text = html.read_text("utf-8")

    timeline = _section(text, "timeline")
    assert f"{OPERATION}/<wbr>crossing-captured</code>" in timeline  # D2
    assert f"{OPERATION}/<wbr>karablah-liberated</code>" not in timeline  # D3
    assert 'class="below"' not in text
    assert "sources graded D2 or better" in text
    assert "weaker sources alone are left out" in text
    ops.close()


def test_a_page_with_no_grade_filter_fades_nothing(page: Path) -> None:
    html = page.read_text("utf-8")

    assert '<tr class="below"' not in html
    assert "Faded:" not in html


def test_a_claim_retracted_on_weaker_sources_only_reads_as_counted_when_faded(
    tmp_path: Path,
) -> None:
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(AL_QAIM)
    rumour = {"outlet": "Comment thread", "reliability": "F", "credibility": "6"}
    doubted = retraction("crossing-doubted", "crossing-captured")
    ops.record({**doubted, "sources": [rumour]})

    html = ops.report(OPERATION, tmp_path / "r.html", min_grade="D2").read_text("utf-8")

    row = _row(_section(html, "timeline"), "crossing-captured")
    assert not row.startswith(' class="retracted')
    assert not row.startswith(' class="below')
    withdrawn = _row(_section(html, "withdrawn"), "crossing-captured")
    assert withdrawn.startswith(' class="below"')  # the retraction counts only below D2
    ops.close()


def test_a_report_asked_to_do_something_else_with_weaker_claims_is_refused(
    tmp_path: Path,
) -> None:
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(AL_QAIM)

    with pytest.raises(InvalidInput, match="weaker"):
        ops.report(OPERATION, tmp_path / "r.html", min_grade="D2", weaker="blur")
    assert not (tmp_path / "r.html").exists()
    ops.close()


def test_faded_rows_render_paler_in_the_browser(tmp_path: Path) -> None:
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(AL_QAIM)
    path = ops.report(OPERATION, tmp_path / "r.html", min_grade="D2")
    probe = path.read_text("utf-8").replace("</body>", """<script>
window.addEventListener("load", () => {
  const opacity = (selector) => getComputedStyle(document.querySelector(selector)).opacity;
  document.body.setAttribute("data-faded", opacity("#timeline ~ table tr.below td.note"));
  document.body.setAttribute("data-counted",
                             opacity("#timeline ~ table tr:not(.below) td.note"));
});
</script></body>""")
    path.write_text(probe, "utf-8")

    dom = render(path.as_uri())

    faded = float(re.search(r'data-faded="([\d.]+)"', dom).group(1))  # type: ignore[union-attr]
    counted = float(re.search(r'data-counted="([\d.]+)"', dom).group(1))  # type: ignore[union-attr]
    assert faded < 0.5 < counted == 1.0
    ops.close()


def test_the_claims_to_weigh_are_listed_up_to_a_bound_and_the_page_says_there_are_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = OpsTimeline(str(tmp_path / "timeline.db"))
    ops.import_file(AL_QAIM)  # every event on one weak source: eight claims to weigh
    monkeypatch.setattr(report, "CLAIMS", 3)

    html = ops.report(OPERATION, tmp_path / "r.html").read_text("utf-8")

    claims = _section(html, "claims")
    assert claims.split("<tbody>")[1].count("<tr") == 3
    assert "More claims are in doubt than the first 3 listed here" in claims
    assert f"<code>timeline contested {OPERATION}</code>" in claims
    ops.close()


def test_a_page_with_fewer_claims_than_the_bound_lists_every_one_and_says_nothing_more(
    page: Path,
) -> None:
    claims = _section(page.read_text("utf-8"), "claims")

    assert claims.split("<tbody>")[1].count("<tr") > 3
    assert "More claims are in doubt" not in claims
