"""The analyst notebooks run, offline, on the demo region: a change that breaks one fails here."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_five_notebooks():
    assert [n.name for n in NOTEBOOKS] == ["01_coverage.ipynb", "02_siting.ipynb",
                                           "03_accessibility.ipynb",
                                           "04_import_union_list.ipynb",
                                           "05_your_own_city.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, demo, monkeypatch):
    monkeypatch.setenv("YIZHAN_DEMO_DIR", str(demo.data_dir))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # plots and maps are shown inline
    kinds = {k for o in outputs for k in o.get("data", {})}
    assert "text/html" in kinds
