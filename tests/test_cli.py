import json
import os
import signal
import subprocess
import sys
import time

import pytest

from xhnlp import cli

SAMPLE_ARGS = ["--model", "baseline", "-q"]


def run_cli(args, capsys):
    code = cli.main(["tag", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_jsonl_rows_give_back_the_report(tmp_path, sample_text, capsys):
    src = tmp_path / "sample.txt"
    src.write_text(sample_text, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _, err = run_cli([str(src), "-o", str(out), *SAMPLE_ARGS], capsys)
    assert code == 0, err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert "".join(r["text"] for r in rows) == sample_text
    assert [r["index"] for r in rows] == list(range(len(rows)))
    sentences = [r for r in rows if r["kind"] == "sentence"]
    assert len(sentences) == 165 and all(r["area"] and r["type"] for r in sentences)
    assert all(r["area"] is None for r in rows if r["kind"] == "heading")
    assert "1 document(s) read, 165 sentences tagged, 13 headings, 0 file(s) failed" in err
    assert not (tmp_path / "out.jsonl.parts").exists()


def test_gb18030_empty_and_binary_in_one_call(tmp_path, sample_text, capsys):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a_utf8.txt").write_text(sample_text, encoding="utf-8")
    (d / "b_gb.txt").write_bytes(sample_text.encode("gb18030"))
    (d / "c_empty.txt").write_bytes(b"")
    (d / "d_binary.txt").write_bytes(bytes(range(256)) * 8)
    out = tmp_path / "out.jsonl"
    code, _, err = run_cli([str(d), "-o", str(out), *SAMPLE_ARGS], capsys)
    assert code != 0
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and "c_empty.txt: empty file" in errors[0] and "d_binary.txt: binary" in errors[1]
    assert "2 document(s) read, 330 sentences tagged" in err and "2 file(s) failed" in err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_doc = {}
    for r in rows:
        by_doc.setdefault(os.path.basename(r["doc"]), []).append({k: v for k, v in r.items() if k != "doc"})
    assert by_doc["a_utf8.txt"] == by_doc["b_gb.txt"]


def test_csv_and_parquet_have_flat_columns(tmp_path, sample_text, capsys):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    src = tmp_path / "s.txt"
    src.write_text(sample_text, encoding="utf-8")
    for suffix in ("csv", "parquet"):
        out = tmp_path / f"out.{suffix}"
        code, _, err = run_cli([str(src), "-o", str(out), *SAMPLE_ARGS], capsys)
        assert code == 0, err
        df = pd.read_csv(out, keep_default_na=False) if suffix == "csv" else pd.read_parquet(out)
        assert len(df) == 178
        assert {"doc", "index", "kind", "section", "text", "start", "end", "area", "area_score", "type",
                "type_score", "strength", "n_targets", "targets", "p_area_economy"} <= set(df.columns)
        lift = df[df.text.str.startswith("推行规模化加装电梯")].iloc[0]
        assert lift["targets"].endswith("|200|台") and lift["n_targets"] == 1


def test_bad_output_format_and_missing_inputs(tmp_path, capsys):
    code, _, err = run_cli([str(tmp_path), "-o", str(tmp_path / "o.xlsx")], capsys)
    assert code == 2 and "unsupported output format" in err
    code, _, err = run_cli([str(tmp_path)], capsys)
    assert code == 2 and "no input files" in err
    (tmp_path / "r.txt").write_text("推动经济增长。", encoding="utf-8")
    code, _, err = run_cli([str(tmp_path), "--model", str(tmp_path / "nomodel")], capsys)
    assert code == 2 and "neither a shipped model" in err and "Traceback" not in err


def test_table_without_output_and_targets_command(tmp_path, sample_text, capsys):
    src = tmp_path / "s.txt"
    src.write_text(sample_text, encoding="utf-8")
    code, out, _ = run_cli([str(src), *SAMPLE_ARGS], capsys)
    assert code == 0 and "heading" in out and "今年是“十四五”规划收官之年。" in out
    csv_out = tmp_path / "targets.csv"
    assert cli.main(["targets", str(src), "-o", str(csv_out), *SAMPLE_ARGS]) == 0
    import csv

    rows = list(csv.DictReader(open(csv_out, encoding="utf-8-sig")))
    lift = [r for r in rows if r["unit"] == "台"]
    assert lift and lift[0]["value_text"] == "200"
    start, end = int(lift[0]["start"]), int(lift[0]["end"])
    assert sample_text[start:end] == "200台"


def _archive(tmp_path, sample_text, n=12):
    d = tmp_path / "archive"
    d.mkdir()
    paras = sample_text.splitlines(keepends=True)
    for i in range(n):  # documents that differ, so that a mix-up would show
        (d / f"r{i:02d}.txt").write_text("".join(paras[i % 5:]), encoding="utf-8")
    return d


def test_interrupted_run_resumes_to_identical_output(tmp_path, sample_text, capsys, monkeypatch):
    d = _archive(tmp_path, sample_text)
    full = tmp_path / "full.jsonl"
    assert run_cli([str(d), "-o", str(full), *SAMPLE_ARGS], capsys)[0] == 0

    out = tmp_path / "resumed.jsonl"
    real_read = cli.read_file
    calls = {"n": 0}

    def flaky_read(path, **kw):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C at the fifth document
        return real_read(path, **kw)

    monkeypatch.setattr(cli, "read_file", flaky_read)
    code, _, err = run_cli([str(d), "-o", str(out), *SAMPLE_ARGS], capsys)
    assert code == 130 and "run the same command again" in err
    assert not out.exists() and len(list((tmp_path / "resumed.jsonl.parts").glob("*.jsonl"))) == 4
    monkeypatch.setattr(cli, "read_file", real_read)
    code, _, err = run_cli([str(d), "-o", str(out), *SAMPLE_ARGS], capsys)
    assert code == 0 and "4 document(s) taken from an earlier interrupted run" in err
    assert out.read_bytes() == full.read_bytes()


def test_killed_process_resumes_to_identical_output(tmp_path, sample_text):
    d = _archive(tmp_path, sample_text, n=16)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "xhnlp.cli", "tag", str(d), *SAMPLE_ARGS]
    full, out = tmp_path / "full.jsonl", tmp_path / "out.jsonl"
    subprocess.run(cmd + ["-o", str(full)], check=True, env=env, capture_output=True)
    proc = subprocess.Popen(cmd + ["-o", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parts = tmp_path / "out.jsonl.parts"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(parts.glob("*.jsonl"))) < 3 and proc.poll() is None:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_early = not out.exists()
    subprocess.run(cmd + ["-o", str(out)], check=True, env=env, capture_output=True)
    assert out.read_bytes() == full.read_bytes()
    assert killed_early, "the run finished before it could be killed; the test did not test resumption"


class _UniformModel:
    """Stands in for a model: the test is about the pipeline's memory, not about labels."""

    heads = {"area": ("economy", "general"), "type": ("none", "measure")}

    def predict_proba(self, texts, sections=None):
        import numpy as np

        return {h: np.full((len(texts), 2), 0.5, dtype=np.float32) for h in self.heads}


def test_memory_stays_bounded_on_a_large_file(tmp_path, sample_text, capsys, monkeypatch):
    """Rows stream to disk: peak memory grows with the input text, not with the number of rows."""
    import sys
    import tracemalloc

    from xhnlp.tagger import Tagger

    monkeypatch.setattr(Tagger, "load", classmethod(lambda cls, *a, **k: cls(_UniformModel(), batch_size=64)))
    monkeypatch.setattr(cli, "ASSEMBLY_ROWS", 64)  # the output is assembled 64 rows at a time
    peaks, n_rows = {}, {}
    for copies in (2, 20):
        big = tmp_path / f"big{copies}.txt"
        big.write_text(sample_text * copies, encoding="utf-8")  # up to 3,600 pieces
        for suffix in (".csv", ".jsonl"):
            out = tmp_path / f"out{copies}{suffix}"
            tracemalloc.start()
            try:
                code, _, err = run_cli([str(big), "-o", str(out), "-q"], capsys)
                peaks[copies, suffix] = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            assert code == 0 and f"{165 * copies} sentences tagged" in err, err
        n_rows[copies] = len(out.read_text(encoding="utf-8").splitlines())
    rows = Tagger(_UniformModel()).tag(sample_text).to_dicts()
    row_size = sum(sys.getsizeof(r) + sum(sys.getsizeof(v) for v in r.values()) for r in rows) / len(rows)
    assert row_size > 1000  # holding the rows in memory would cost at least this much per row
    for suffix in (".csv", ".jsonl"):
        growth = (peaks[20, suffix] - peaks[2, suffix]) / (n_rows[20] - n_rows[2])
        assert growth < row_size / 2, f"{suffix}: peak grows {growth:.0f} bytes per row (a row takes {row_size:.0f})"
