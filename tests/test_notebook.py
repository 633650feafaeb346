"""The notebook of operation progress runs from top to bottom, so it cannot rot."""

from __future__ import annotations

import json
from pathlib import Path

import nbclient
import nbformat
import pytest

from tests.browser import render
from tests.conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "operation_progress.ipynb"
PLOTLY = "application/vnd.plotly.v1+json"


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )  # fmt: skip
    client.execute()
    return notebook


def test_the_operation_progress_notebook_runs_and_draws_every_figure(
    executed: nbformat.NotebookNode,
) -> None:
    notebook = executed

    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    figures = [json.dumps(out["data"][PLOTLY]) for out in outputs if PLOTLY in out.get("data", {})]
    titles = ("Who held what when", "Operation progress", "Events by place", "Control of places",
              "Forces", "Activity per week")  # fmt: skip
    assert len(figures) == len(titles)
    for figure, title in zip(figures, titles, strict=True):
        assert title in figure


def test_the_notebook_uses_only_the_public_python_api() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)

    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")

    assert "from timeline.api import OpsTimeline" in code
    assert "projections" not in code
    assert "sqlite3" not in code
    assert "._" not in code
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def test_the_notebooks_first_cell_names_the_store_to_read() -> None:
    first = nbformat.read(NOTEBOOK, as_version=4).cells[0]

    assert first.cell_type == "code"
    assert first.source.splitlines()[2:] == ["STORE = None", 'OPERATION = "al-qaim-2017"']


def test_the_executed_notebook_rendered_statically_draws_every_figure_offline(
    executed: nbformat.NotebookNode, tmp_path: Path
) -> None:
    from nbconvert import HTMLExporter

    page = tmp_path / "operation_progress.html"
    html, _ = HTMLExporter().from_notebook_node(executed)
    page.write_text(html, "utf-8")

    dom = render(page.as_uri())

    assert dom.count('class="plot-container plotly"') == 6  # plotly.js inlined, drawn offline
    assert html.count("Plotly.newPlot") >= 6
