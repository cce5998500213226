"""The re-layout's promises: results independent of batch size, headers without rows, an installed
(non-editable) package that finds its models and data, and ``Tagger.load`` options."""
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from xhnlp import Tagger, cli
from xhnlp.tagger import TABLE_COLUMNS, TaggedDocument

ROOT = Path(__file__).resolve().parent.parent


def test_output_does_not_depend_on_batch_size_with_smoothing(sample_text):
    tagger = Tagger.load("baseline")
    tagger.smoothing = {"area": 0.4, "type": 0.3}  # a model that smooths by section
    runs = [[p.to_dict() for p in tagger.iter_tag(sample_text, "s", batch_size=k)] for k in (1, 7, 256)]
    assert runs[0] == runs[1] == runs[2]
    plain = Tagger.load("baseline")
    unsmoothed = [p.to_dict() for p in plain.iter_tag(sample_text, "s")]
    assert unsmoothed != runs[0]  # the smoothing did something (sections span the 7-piece batches)


def test_bert_labels_do_not_depend_on_batch_size(sample_text):
    tagger = Tagger.load("bert")
    labels = [[(p.area, p.type) for p in tagger.iter_tag(sample_text, batch_size=k)] for k in (1, 7, 256)]
    assert labels[0] == labels[1] == labels[2]


def test_outputs_without_rows_have_their_header(tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    src = tmp_path / "r.txt"
    src.write_text("坚持稳中求进工作总基调。深化改革。", encoding="utf-8")  # no quantified target
    for suffix in ("csv", "parquet"):
        out = tmp_path / f"t.{suffix}"
        assert cli.main(["targets", str(src), "-o", str(out), "--model", "baseline", "-q"]) == 0
        df = pd.read_csv(out) if suffix == "csv" else pd.read_parquet(out)
        assert len(df) == 0 and list(df.columns)[:3] == ["doc", "index", "sentence"]
        assert {"value", "value_max", "approx", "unit"} <= set(df.columns)
    assert list(TaggedDocument().to_dataframe().columns) == list(TABLE_COLUMNS)
    full = Tagger.load("baseline").tag("深化改革。").to_dataframe()
    assert list(full.columns) == list(TABLE_COLUMNS) and len(full) == 1


def test_load_with_device_and_threads():
    tagger = Tagger.load(device="cpu", threads=1)
    doc = tagger.tag_sentences(["力争完工200台。"])
    assert doc[0].type is not None and doc[0].targets[0].unit == "台"


def test_non_editable_install_finds_its_models_and_data(tmp_path):
    """Build the wheel, unpack it away from the source tree and use it from there."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("xhnlp-*.whl"))
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    names = zipfile.ZipFile(wheel).namelist()
    assert not any(n.startswith(("tests/", "eval/", "training/")) for n in names)
    script = (
        "import json, xhnlp, pathlib; from xhnlp import Tagger; from xhnlp.data import load_sample\n"
        f"assert pathlib.Path(xhnlp.__file__).is_relative_to({str(site)!r}), xhnlp.__file__\n"
        "rows = load_sample()\n"
        "for name in ('bert', 'baseline'):\n"
        "    doc = Tagger.load(name).tag(open(%r, encoding='utf-8').read())\n"
        "    assert len(doc.sentences) == len(rows)\n"
        "from xhnlp.models import SHIPPED\n"
        "from transformers import AutoModel\n"
        "AutoModel.from_pretrained(SHIPPED['encoder'])\n"
        "print(json.dumps(len(rows)))\n" % str(ROOT / "examples" / "xuhui_2025_main_tasks.txt"))
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == 165
