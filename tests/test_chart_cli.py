"""`timeline chart` and `timeline report`, exercised as a reader types them."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import Result

from charts import images
from tests.conftest import AL_QAIM
from timeline.cli import main
from timeline.cli.outputs import chart, report

Cli = Callable[..., Result]


def need_a_browser() -> None:
    """PNG and SVG need kaleido and Chromium: in CI their absence fails, elsewhere it skips."""
    missing = []
    try:
        import kaleido  # noqa: F401
    except ImportError:
        missing.append("kaleido (pip install -e '.[images]')")
    if images.browser() is None:
        missing.append("Chromium (apt-get install chromium)")
    if missing:
        message = f"PNG and SVG export needs {' and '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def al_qaim(cli: Cli) -> Cli:
    cli("import", str(AL_QAIM))
    return cli


def test_chart_writes_a_png_of_the_requested_size(al_qaim: Cli, tmp_path: Path) -> None:
    need_a_browser()

    result = al_qaim("chart", "progress", "al-qaim-2017", "-o", str(tmp_path / "p.png"),
                     "--width", "640", "--height", "360")  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {tmp_path / 'p.png'} (")
    assert png_size(tmp_path / "p.png") == (640, 360)


def test_chart_writes_an_svg_with_the_same_browser(al_qaim: Cli, tmp_path: Path) -> None:
    need_a_browser()

    svg_path = tmp_path / "m.svg"
    result = al_qaim("chart", "map", "al-qaim-2017", "--on", "2017-11-04", "-o", str(svg_path),
                     "--width", "900", "--height", "700")  # fmt: skip

    svg = svg_path.read_text("utf-8")
    assert result.exit_code == 0, result.output
    assert svg.startswith("<svg")
    assert 'width="900"' in svg
    assert 'height="700"' in svg
    assert "al-Qaim border crossing" in svg


def test_chart_writes_html_that_needs_no_network(al_qaim: Cli, tmp_path: Path) -> None:
    result = al_qaim("chart", "timeline", "al-qaim-2017", "-o", str(tmp_path / "t.html"))

    html = (tmp_path / "t.html").read_text("utf-8")
    assert result.exit_code == 0, result.output
    assert "* plotly.js v" in html
    assert "<script src=" not in html
    assert 'src="http' not in html


def test_chart_refuses_a_format_it_cannot_write(al_qaim: Cli, tmp_path: Path) -> None:
    result = al_qaim("chart", "forces", "al-qaim-2017", "-o", str(tmp_path / "f.jpg"))

    assert result.exit_code == 1
    assert "Error:" in result.output
    assert "write .html, .png or .svg, not '.jpg'" in result.output


def test_chart_into_a_missing_directory_is_an_error(al_qaim: Cli, tmp_path: Path) -> None:
    result = al_qaim("chart", "forces", "al-qaim-2017", "-o", str(tmp_path / "no" / "f.html"))

    assert result.exit_code == 1
    assert f"Error: cannot write {tmp_path / 'no' / 'f.html'}: no directory" in result.output


def test_chart_of_an_unknown_operation_is_an_error_with_a_suggestion(al_qaim: Cli) -> None:
    result = al_qaim("chart", "progress", "al-qaim-2071", "-o", "x.png")

    assert result.exit_code == 1
    assert "unknown operation 'al-qaim-2071'; did you mean 'al-qaim-2017'?" in result.output


def test_chart_of_an_unknown_kind_lists_the_kinds(al_qaim: Cli) -> None:
    result = al_qaim("chart", "pie", "al-qaim-2017", "-o", "x.png")

    assert result.exit_code == 2
    assert "'control', 'progress', 'timeline', 'map', 'forces', 'activity'" in result.output


def test_chart_without_a_browser_says_what_to_install(
    al_qaim: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chrome"))

    result = al_qaim("chart", "forces", "al-qaim-2017", "-o", str(tmp_path / "f.png"))

    assert result.exit_code == 1
    assert "apt-get install chromium" in result.output
    assert not (tmp_path / "f.png").exists()


def test_chart_with_a_browser_that_does_not_start_fails_with_a_message(
    al_qaim: Cli, db: str, tmp_path: Path
) -> None:
    need_a_browser()
    env = {**os.environ, "BROWSER_PATH": "/bin/false"}

    result = subprocess.run(
        [sys.executable, "-m", "timeline.cli", "--db", db, "chart", "forces", "al-qaim-2017",
         "-o", str(tmp_path / "f.png")],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip

    assert result.returncode == 1
    assert "Error: the browser /bin/false did not draw the figure" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_writes_one_html_page(al_qaim: Cli, tmp_path: Path) -> None:
    result = al_qaim("report", "al-qaim-2017", "-o", str(tmp_path / "report.html"))

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {tmp_path / 'report.html'} (")
    assert "Operation al-qaim-2017" in (tmp_path / "report.html").read_text("utf-8")


def test_report_of_an_unknown_operation_fails_without_writing(al_qaim: Cli, tmp_path: Path) -> None:
    result = al_qaim("report", "rawa-2017", "-o", str(tmp_path / "report.html"))

    assert result.exit_code == 1
    assert "Error: unknown operation 'rawa-2017'" in result.output
    assert not (tmp_path / "report.html").exists()


@pytest.mark.parametrize("command", [chart, report])
def test_every_output_command_has_a_summary_and_an_example(command: click.Command) -> None:
    with click.Context(main) as ctx:
        text = command.get_help(ctx)

    assert command.get_short_help_str(limit=200)
    assert "Example:" in text
    assert "timeline " in text.split("Example:")[1]


def test_chart_takes_a_colours_file(al_qaim: Cli, tmp_path: Path) -> None:
    (tmp_path / "colours.json").write_text('{"ISIS": "#000000"}', "utf-8")

    colours = str(tmp_path / "colours.json")
    result = al_qaim("chart", "control", "al-qaim-2017", "--colours", colours,
                     "-o", str(tmp_path / "c.html"))  # fmt: skip

    assert result.exit_code == 0, result.output
    assert '"legendgroup":"ISIS","marker":{"color":"#000000"' in (tmp_path / "c.html").read_text()


def test_chart_refuses_a_colours_file_that_names_no_colour(al_qaim: Cli, tmp_path: Path) -> None:
    (tmp_path / "colours.json").write_text('{"ISIS": "black"}', "utf-8")

    colours = str(tmp_path / "colours.json")
    result = al_qaim("chart", "control", "al-qaim-2017", "--colours", colours,
                     "-o", str(tmp_path / "c.html"))  # fmt: skip

    assert result.exit_code == 1
    assert "Error: --colours:" in result.output
    assert "not a #rrggbb colour: ISIS: 'black'" in result.output
    assert not (tmp_path / "c.html").exists()


def test_report_writes_plotly_js_once_beside_its_pages(al_qaim: Cli, tmp_path: Path) -> None:
    for name in ("one.html", "two.html"):
        result = al_qaim("report", "al-qaim-2017", "--plotlyjs", "directory",
                         "-o", str(tmp_path / name))  # fmt: skip
        assert result.exit_code == 0, result.output

    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".html", ".js")) == [
        "one.html", "plotly.min.js", "two.html"]  # fmt: skip
    assert (tmp_path / "one.html").stat().st_size < 400_000


def test_report_with_an_as_recorded_moment_says_so_in_its_header(
    al_qaim: Cli, tmp_path: Path
) -> None:
    result = al_qaim("report", "al-qaim-2017", "--as-recorded", "2099-01-01T00:00:00Z",
                     "-o", str(tmp_path / "r.html"))  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "as recorded at 2099-01-01 00:00:00 UTC" in (tmp_path / "r.html").read_text("utf-8")


@pytest.mark.parametrize("size", ["--width", "--height"])
def test_a_figure_larger_than_a_browser_draws_is_refused_before_anything_is_written(
    al_qaim: Cli, tmp_path: Path, size: str
) -> None:
    out = tmp_path / "p.html"

    result = al_qaim("chart", "progress", "al-qaim-2017", "-o", str(out), size, "99999999999")

    assert result.exit_code == 2
    assert f"Invalid value for '{size}'" in result.output
    assert "100<=x<=10000" in result.output
    assert not out.exists()


@pytest.mark.parametrize(("weaker", "faded"), [([], True), (["--weaker", "fade"], True),
                                               (["--weaker", "hide"], False)])  # fmt: skip
def test_report_fades_the_claims_below_its_grade_filter_unless_told_to_hide_them(
    al_qaim: Cli, tmp_path: Path, weaker: list[str], faded: bool
) -> None:
    result = al_qaim("report", "al-qaim-2017", "--min-grade", "D2", *weaker,
                     "-o", str(tmp_path / "r.html"))  # fmt: skip

    html = (tmp_path / "r.html").read_text("utf-8")
    assert result.exit_code == 0, result.output
    assert ("al-qaim-2017/<wbr>karablah-liberated</code>" in html) is faded  # D3 alone
    assert ('<tr class="below">' in html) is faded


@pytest.mark.parametrize("command", ["report", "chart"])
def test_a_grade_filter_that_leaves_an_operation_nothing_says_so_rather_than_unknown(
    al_qaim: Cli, tmp_path: Path, command: str
) -> None:
    kind = ["control"] if command == "chart" else []
    out = tmp_path / "r.html"

    result = al_qaim(command, *kind, "al-qaim-2017", "--min-grade", "c3", "-o", str(out))

    assert result.exit_code == 1
    assert ("Error: no event of 'al-qaim-2017' counts: none with a source graded C3 or better"
            in result.output)  # fmt: skip
    assert not out.exists()
