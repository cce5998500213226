"""Run notebooks/quickstart.ipynb top to bottom in a fresh kernel of the current interpreter."""
import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
QUICKSTART = NOTEBOOKS / "quickstart.ipynb"
KERNEL = "python3"
# jupyter_client swaps a bare "python"/"python3"/"pythonX.Y" argv[0] for sys.executable
_BARE_PYTHONS = {"python", f"python{sys.version_info[0]}", "python%i.%i" % sys.version_info[:2]}


def _runs_this_interpreter(argv0: str) -> bool:
    if argv0 in _BARE_PYTHONS:
        return True
    try:
        return Path(argv0).resolve() == Path(sys.executable).resolve()
    except OSError:
        return False


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    """Make the ``python3`` kernel run this interpreter and this xhnlp, with the Agg backend."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    import xhnlp

    monkeypatch.setenv("MPLBACKEND", "Agg")
    # the kernel imports the xhnlp under test, installed or not
    package_root = str(Path(xhnlp.__file__).resolve().parent.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([package_root, *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    try:
        argv0 = KernelSpecManager().get_kernel_spec(KERNEL).argv[0]
    except NoSuchKernel:
        argv0 = None
    if argv0 is None or not _runs_this_interpreter(argv0):
        from ipykernel.kernelspec import install

        prefix = tmp_path / "jupyter"
        install(kernel_name=KERNEL, prefix=str(prefix))  # argv[0] = sys.executable
        monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join(
            [str(prefix / "share" / "jupyter"), *filter(None, [os.environ.get("JUPYTER_PATH")])]))
        monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "0")  # JUPYTER_PATH first, before the env's own kernels


def _outputs(nb, output_type=None):
    for cell in nb.cells:
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                if output_type is None or out.output_type == output_type:
                    yield cell, out


def test_quickstart_notebook_runs(kernel_env):
    raw = nbformat.read(QUICKSTART, as_version=4)
    assert not list(_outputs(raw)), "store the notebook without outputs"

    nb = nbformat.read(QUICKSTART, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name=KERNEL,
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError on the first failing cell

    errors = [out for _, out in _outputs(nb, "error")]
    assert not errors, errors

    rich = [out for _, out in _outputs(nb) if out.output_type in ("display_data", "execute_result")]
    images = [out for out in rich if "image/png" in out.get("data", {})]
    assert len(images) >= 2, "expected the area × type heatmap and the strength chart as PNG outputs"
    heatmap = [cell for cell, out in _outputs(nb) if "image/png" in out.get("data", {}) and "imshow" in cell.source]
    assert heatmap, "the area × type heatmap did not render"

    def text_of(out):
        data = out.get("data", {})
        return data.get("text/html", "") + data.get("text/plain", "")

    assert any("一般公共预算收入" in text_of(out) and "万平方米" in text_of(out) for out in rich), \
        "the targets table is missing"

    stderr = "".join(out.get("text", "") for _, out in _outputs(nb, "stream") if out.get("name") == "stderr")
    assert "Glyph" not in stderr, stderr  # no missing-glyph spam from the Chinese chart labels
