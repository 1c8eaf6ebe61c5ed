"""The notebooks run top to bottom from a clean kernel, and their saved outputs show the plots.

Each notebook is read and executed in memory (nbclient, kernel ``python3``), so the
committed files are never rewritten by the tests. The kernel must be this
interpreter's, so the notebooks test the code of this checkout.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
TIMEOUT = 120  # seconds per cell; each notebook takes a few seconds


def execute(nb, folder: Path = NOTEBOOKS):
    client = nbclient.NotebookClient(
        nb,
        timeout=TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    return client.execute()


def test_there_are_notebooks():
    assert [p.name for p in PATHS] == ["01_talent_diaspora.ipynb", "02_sparql_tour.ipynb"]


def test_the_kernel_is_this_interpreter():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import sys; print(sys.prefix)")]
    execute(nb)
    assert nb.cells[0].outputs[0]["text"].strip() == sys.prefix


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_runs_from_a_clean_kernel(path):
    before = path.read_bytes()
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    execute(nb)  # raises CellExecutionError, naming the cell, if any cell fails
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors
    assert path.read_bytes() == before, "the test must not rewrite the committed notebook"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_is_committed_with_its_outputs(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "run every cell before committing"
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "run top to bottom"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"], (
        "a warning was saved (a missing CJK font?); fix it and re-run"
    )
    if path.stem.startswith("01"):
        images = [o for o in outputs if {"image/png", "image/svg+xml"} & set(o.get("data", {}))]
        assert len(images) >= 2, "the talent-flow chart and the diaspora tree"


def _texts(nb) -> list[str]:
    out = []
    for c in nb.cells:
        for o in c.get("outputs", []):
            out.append(o.get("text", ""))
            out += [v for k, v in o.get("data", {}).items() if k in ("text/plain", "text/html")]
    return out


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_says_what_the_tools_do(path):
    nb = nbformat.read(path, as_version=4)
    source = "\n".join(c.source for c in nb.cells)
    assert "--param" not in source  # the option is --bind
    assert "../build/" not in source  # nothing outside the notebook is needed to show it
    for text in [t for t in _texts(nb) if "<iframe srcdoc=" not in t]:  # not the page's script
        assert not re.search(r"\bNone\b", text), text[:200]
        assert not re.search(r"\bNaN\b", text), text[:200]


def test_diaspora_notebook_embeds_the_graph_and_keeps_ouyang_jian_inside_the_group():
    nb = nbformat.read(NOTEBOOKS / "01_talent_diaspora.ipynb", as_version=4)
    pages = [t for t in _texts(nb) if "<iframe srcdoc=" in t]
    assert len(pages) == 1 and "&lt;!DOCTYPE html&gt;" in pages[0]
    assert 'src="' not in pages[0].split("srcdoc=", 1)[0]  # the page is inline, not linked
    alumni = next(t for t in _texts(nb) if "left the group" in t and "欧阳剑" in t)
    assert "moved to 昆仑芯 (subsidiary), inside the group" in "".join(_texts(nb))
    assert "took the role in 2020" in alumni
    text = "".join(_texts(nb))
    assert "欧阳剑加入" not in text  # a role's start is not joining
    assert text.count("陆奇离开百度") == 2  # one departure: in the table and once more in the list


def test_diaspora_notebook_draws_the_talent_flow_chart_not_a_list_of_events():
    """The timeline plot (one labelled row per event) gave way to the talent-flow chart: one
    lane per alumnus, each mark with its quotes and a link to its source (issue 23)."""
    nb = nbformat.read(NOTEBOOKS / "01_talent_diaspora.ipynb", as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "plot_timeline(" not in source and "render_talent_flow(" in source
    (chart,) = [
        o["data"]["image/svg+xml"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if "flow-lane-" in o.get("data", {}).get("image/svg+xml", "")
    ]
    assert chart.count('<g id="flow-lane-') >= 10
    assert "陆奇" in chart and "百度前员工" in chart  # the notebook's language, zh-Hans
    marks = chart.count('<g id="flow-mark-')
    assert marks >= 25 and chart.count("<title>") == marks
    assert chart.count('xlink:href="http') >= marks // 2


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_says_first_which_dates_no_source_gives(path):
    """Before its first section, each notebook prints the dates no source gives (computed
    from the facts): a departure no source dates is named, a dated one is not."""
    nb = nbformat.read(path, as_version=4)
    first = next(
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "markdown" and "\n## " in "\n" + c.source
    )
    printed = "".join(
        o.get("text", "") for c in nb.cells[:first] if c.cell_type == "code" for o in c.outputs
    )
    (line,) = [
        t
        for t in printed.splitlines()
        if t.startswith(("Not dated by any source:", "来源均未注明时间的:"))
    ]
    assert ("韩旭" in line) or ("Tony Han" in line)  # neither his arrival nor his leaving is dated
    assert "陆奇" not in line and "Qi Lu" not in line  # both of his are
