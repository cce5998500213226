"""The fault suite: what a careless user, a full disk or a damaged model directory does to xhnlp.

Each test is one row of the reliability review: no silent loss, no mixed results, no raw traceback.
"""
import errno
import json
import os
import shutil
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xhnlp import cli
from xhnlp.jobstore import JobStore
from xhnlp.models import ModelError
from xhnlp.models import load as load_model
from xhnlp.models.baseline import BaselineModel
from xhnlp.reading import Document, ReadError, decode, find_files

ARGS = ["-q"]


def run(args, capsys):
    code = cli.main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(err: str) -> bool:
    lines = [line for line in err.splitlines() if line.strip()]
    return "Traceback" not in err and any(line.startswith(("error:", "xhnlp")) for line in lines)


@pytest.fixture()
def model_copy(tmp_path):
    """A private copy of the shipped baseline, to retrain or damage."""
    from xhnlp.models import SHIPPED

    d = tmp_path / "model"
    shutil.copytree(SHIPPED["baseline"], d)
    return d


def _reports(tmp_path, sample_text, names=("a.txt", "b.txt", "c.txt")):
    d = tmp_path / "in"
    d.mkdir()
    paras = sample_text.splitlines(keepends=True)
    for i, name in enumerate(names):
        (d / name).write_text("".join(paras[i:]), encoding="utf-8")
    return d


def _rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- resume that cannot mix -----------------------------------------------------------------------
def test_model_retrained_in_place_never_shares_an_output(tmp_path, sample_text, model_copy, capsys):
    d = _reports(tmp_path, sample_text)
    (d / "z_bad.txt").write_bytes(b"")  # a failed file keeps OUT.parts/ after the run
    out = tmp_path / "out.jsonl"
    code, _, err = run(["tag", str(d), "-o", str(out), "--model", str(model_copy), *ARGS], capsys)
    assert code == 1 and (tmp_path / "out.jsonl.parts").is_dir()
    old = _rows(out)
    model = BaselineModel.from_pretrained(model_copy)  # retrain in place: other weights, same name
    for head, (coef, bias) in model.weights.items():
        model.weights[head] = (coef * 0.0, bias * 0.0)  # a model that predicts uniform probabilities
    model.save_pretrained(model_copy)
    code, _, err = run(["tag", str(d), "-o", str(out), "--model", str(model_copy), *ARGS], capsys)
    assert code == 1 and "made with other settings" in err and "earlier interrupted run" not in err
    new = _rows(out)
    assert len(new) == len(old) and [r["area_probs"] for r in new] != [r["area_probs"] for r in old]
    probs = {json.dumps(r["area_probs"], sort_keys=True) for r in new if r["kind"] == "sentence"}
    assert len(probs) == 1  # every document from the new model


def test_resume_from_another_directory_keeps_doc_ids(tmp_path, sample_text, capsys, monkeypatch):
    d = tmp_path / "in"
    for sub in ("a", "b"):
        (d / sub).mkdir(parents=True)
        (d / sub / "report.txt").write_text(sample_text[: 3000 if sub == "a" else 5000], encoding="utf-8")
    out = tmp_path / "out.jsonl"
    monkeypatch.chdir(tmp_path)
    real = cli.read_file

    def stop_at_second(path, **kw):
        if path.parent.name == "b":
            raise KeyboardInterrupt
        return real(path, **kw)

    monkeypatch.setattr(cli, "read_file", stop_at_second)
    assert run(["tag", "in", "-o", "out.jsonl", "--model", "baseline", *ARGS], capsys)[0] == 130
    monkeypatch.setattr(cli, "read_file", real)
    monkeypatch.chdir(d / "a")  # resumed elsewhere, with absolute paths
    code, _, err = run(["tag", str(d), "-o", str(out), "--model", "baseline", *ARGS], capsys)
    assert code == 0 and "1 document(s) taken from an earlier" in err
    assert sorted({r["doc"] for r in _rows(out)}) == ["a/report.txt", "b/report.txt"]


def test_input_edited_to_the_same_size_and_mtime_is_tagged_again(tmp_path, sample_text, capsys):
    d = _reports(tmp_path, sample_text, names=("a.txt", "z_empty.txt"))
    (d / "z_empty.txt").write_bytes(b"")
    out = tmp_path / "out.jsonl"
    assert run(["tag", str(d), "-o", str(out), "--model", "baseline", *ARGS], capsys)[0] == 1
    a = d / "a.txt"
    stat = a.stat()
    text = a.read_text(encoding="utf-8")
    a.write_text(text.replace("今年是", "明年是", 1), encoding="utf-8")  # same length in bytes
    os.utime(a, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert a.stat().st_size == stat.st_size
    code, _, err = run(["tag", str(d), "-o", str(out), "--model", "baseline", *ARGS], capsys)
    assert "earlier interrupted run" not in err
    assert any("明年是" in r["text"] for r in _rows(out))


def test_second_run_on_the_same_output_is_refused(tmp_path, sample_text, capsys):
    d = _reports(tmp_path, sample_text)
    out = tmp_path / "out.jsonl"
    with JobStore(out, {"other": "run"}):  # another process holds the lock
        code, _, err = run(["tag", str(d), "-o", str(out), "--model", "baseline", *ARGS], capsys)
    assert code == 2 and one_line_error(err) and f"pid {os.getpid()}" in err and "another xhnlp run" in err
    assert not out.exists()
    assert run(["tag", str(d), "-o", str(out), "--model", "baseline", *ARGS], capsys)[0] == 0  # lock released


# --- one-line errors -------------------------------------------------------------------------------
@pytest.mark.parametrize("size", ["0", "-1", "x"])
def test_batch_size_below_one_is_refused(tmp_path, sample_text, capsys, size):
    src = tmp_path / "s.txt"
    src.write_text(sample_text, encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        cli.main(["tag", str(src), "--batch-size", size, "--model", "baseline"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.strip().splitlines()) == 1 and "--batch-size" in err


def test_output_that_is_a_directory_fails_before_the_model_loads(tmp_path, sample_text, capsys, monkeypatch):
    src = tmp_path / "s.txt"
    src.write_text(sample_text, encoding="utf-8")
    (tmp_path / "x.jsonl").mkdir()
    monkeypatch.setattr("xhnlp.tagger.Tagger.load", lambda *a, **k: pytest.fail("model loaded"))
    code, _, err = run(["tag", str(src), "-o", str(tmp_path / "x.jsonl")], capsys)
    assert code == 2 and one_line_error(err) and "is a directory" in err
    code, _, err = run(["tag", str(src), "-o", str(tmp_path / "missing" / "o.jsonl")], capsys)
    assert code == 2 and one_line_error(err) and "does not exist" in err


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_write_errors_are_one_line_and_keep_what_was_done(tmp_path, sample_text, capsys, monkeypatch, error):
    d = _reports(tmp_path, sample_text)
    out = tmp_path / "out.jsonl"
    real = JobStore._atomic_write
    calls = {"n": 0}

    def failing(path, content):
        calls["n"] += 1
        if path.suffix == ".jsonl" and calls["n"] >= 3:  # the manifest, one part, then the disk fills
            raise OSError(error, os.strerror(error), str(path))
        return real(path, content)

    monkeypatch.setattr(JobStore, "_atomic_write", staticmethod(failing))
    code, _, err = run(["tag", str(d), "-o", str(out), "--model", "baseline", *ARGS], capsys)
    assert code == 1 and one_line_error(err) and os.strerror(error) in err and "kept" in err
    assert not out.exists() and not list(tmp_path.glob("out.jsonl*.tmp"))
    parts = tmp_path / "out.jsonl.parts"
    assert len(list(parts.glob("*.jsonl"))) == 1 and not list(parts.glob("*.tmp"))
    monkeypatch.setattr(JobStore, "_atomic_write", staticmethod(real))
    code, _, err = run(["tag", str(d), "-o", str(out), "--model", "baseline", *ARGS], capsys)
    assert code == 0 and "1 document(s) taken from an earlier" in err


def test_full_disk_on_a_real_small_filesystem(tmp_path, sample_text, capsys):
    """A 1 MB tmpfs where the test runs as root; the output does not fit."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    small = tmp_path / "small"
    small.mkdir()
    if os.system(f"mount -t tmpfs -o size=256k tmpfs {small} 2>/dev/null") != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        src = tmp_path / "big.txt"
        src.write_text(sample_text * 3, encoding="utf-8")
        code, _, err = run(["tag", str(src), "-o", str(small / "out.jsonl"), "--model", "baseline", *ARGS], capsys)
        assert code == 1 and one_line_error(err) and "No space left on device" in err
        assert not (small / "out.jsonl").exists()
    finally:
        os.system(f"umount {small}")


@pytest.mark.parametrize("damage", ["truncate_1m", "truncate_10", "empty", "tokenizer", "labels", "lexical",
                                    "vocab"])
def test_damaged_model_directory_gives_one_line(tmp_path, sample_text, capsys, damage):
    from xhnlp.models import SHIPPED

    d = tmp_path / "bert"
    shutil.copytree(SHIPPED["bert"], d)
    weights = d / "model.safetensors"
    if damage == "truncate_1m":
        os.truncate(weights, 1 << 20)
    elif damage == "truncate_10":
        os.truncate(weights, 10)
    elif damage == "empty":
        os.truncate(weights, 0)
    elif damage == "tokenizer":
        (d / "tokenizer.json").write_text('{"version": ', encoding="utf-8")
    elif damage == "labels":
        config = json.loads((d / "config.json").read_text(encoding="utf-8"))
        config["type_labels"] = config["type_labels"][:5]
        (d / "config.json").write_text(json.dumps(config), encoding="utf-8")
    elif damage == "vocab":  # a large JSON file, read once by its loader
        os.truncate(d / "lexical" / "vocab.json", 1000)
    else:
        os.truncate(d / "lexical" / "model.safetensors", 4096)
    with pytest.raises(ModelError) as e:
        load_model(d)
    assert "\n" not in str(e.value) and str(d) in str(e.value)
    src = tmp_path / "s.txt"
    src.write_text(sample_text, encoding="utf-8")
    code, _, err = run(["tag", str(src), "--model", str(d), *ARGS], capsys)
    assert code == 2 and one_line_error(err) and len(err.strip().splitlines()) == 1


# --- linear time ---------------------------------------------------------------------------------
def test_200000_character_sentence_is_tagged_in_seconds(baseline_tagger):
    from xhnlp.targets import extract_targets

    sentence = ("力争新增就业岗位1.2万个、建成5所学校，新增3万人完工200台" * 7000)[:200_000] + "。"
    t0 = time.time()
    targets = extract_targets(sentence)
    assert time.time() - t0 < 15 and len(targets) > 10_000
    t0 = time.time()
    doc = baseline_tagger.tag(sentence)
    assert time.time() - t0 < 30 and len(doc.sentences) == 1 and doc.sentences[0].area is not None


# --- the API's arguments -------------------------------------------------------------------------
def test_api_refuses_wrong_argument_types(baseline_tagger):
    for bad, kind in ((None, TypeError), (b"\xe6\x8e\xa8", TypeError), (12, TypeError)):
        with pytest.raises(kind, match="str"):
            baseline_tagger.tag(bad)
    with pytest.raises(TypeError, match="list of sentences"):
        baseline_tagger.tag_sentences("力争完工200台。")
    with pytest.raises(TypeError, match="list of sentences"):
        baseline_tagger.predict_proba("深化改革。")
    with pytest.raises(TypeError, match="sentence 1"):
        baseline_tagger.predict(["深化改革。", None])
    with pytest.raises(ValueError, match="batch_size"):
        list(baseline_tagger.iter_tag("深化改革。", batch_size=0))


def test_empty_and_punctuation_only_pieces_get_no_labels(baseline_tagger):
    doc = baseline_tagger.tag("   \n")
    assert "".join(p.text for p in doc) == "   \n" and all(p.area is None and p.type is None for p in doc)
    doc = baseline_tagger.tag_sentences(["", "。", "深化零基预算改革。"])
    assert [p.area is None for p in doc] == [True, True, False]
    probs = baseline_tagger.predict_proba(["", "深化零基预算改革。"])
    assert np.isnan(probs["area"][0]).all() and abs(probs["area"][1].sum() - 1) < 1e-5
    assert baseline_tagger.predict(["。", "深化零基预算改革。"])["type"][0] is None


# --- output fidelity -----------------------------------------------------------------------------
def test_targets_printed_and_written_with_every_field(tmp_path, sample_text, capsys):
    src = tmp_path / "s.txt"
    src.write_text(sample_text, encoding="utf-8")
    code, out, _ = run(["targets", str(src), "--model", "baseline", *ARGS], capsys)
    header = out.splitlines()[0].split("\t")
    assert code == 0 and {"indicator", "comparator", "value", "value_max", "unit", "approx"} <= set(header)
    csv_out = tmp_path / "t.csv"
    assert run(["targets", str(src), "-o", str(csv_out), "--model", "baseline", *ARGS], capsys)[0] == 0
    import csv

    rows = list(csv.DictReader(open(csv_out, encoding="utf-8-sig")))
    assert {"approx", "value_max"} <= set(rows[0]) and {r["approx"] for r in rows} <= {"True", "False"}


def test_csv_records_are_one_line_each_with_exact_offsets(tmp_path, sample_text, capsys):
    import csv

    src = tmp_path / "s.txt"
    src.write_text(sample_text, encoding="utf-8")
    out = tmp_path / "o.csv"
    assert run(["tag", str(src), "-o", str(out), "--model", "baseline", *ARGS], capsys)[0] == 0
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    rows = list(csv.DictReader(open(out, encoding="utf-8-sig")))
    assert len(lines) == len(rows) + 1
    assert all(sample_text[int(r["start"]):int(r["end"])] == r["text"] for r in rows)
    assert all(not r["text"].endswith(("\n", " ")) for r in rows)


def test_printed_table_labels_its_columns(tmp_path, sample_text, capsys):
    src = tmp_path / "s.txt"
    src.write_text(sample_text, encoding="utf-8")
    code, out, _ = run(["tag", str(src), "--model", "baseline", *ARGS], capsys)
    header = out.splitlines()[2].split()
    assert code == 0 and header[:8] == ["#", "kind", "area", "p", "type", "p", "strength", "tgt"]
    lift = next(line for line in out.splitlines() if "推行规模化加装电梯" in line)
    assert " 1  推行" in lift and "strive" in lift or "firm" in lift or "plain" in lift


def test_help_lists_suffixes_and_readme_in_a_folder_is_not_a_report(tmp_path, sample_text, capsys):
    with pytest.raises(SystemExit):
        cli.main(["tag", "--help"])
    help_text = capsys.readouterr().out
    assert all(s in help_text for s in (".txt", ".docx", ".html"))
    d = _reports(tmp_path, sample_text, names=("a.txt",))
    (d / "README.md").write_text("# 说明\n这些是报告。", encoding="utf-8")
    (d / "README.txt").write_text("这些是报告。", encoding="utf-8")
    assert [f.name for f in find_files([d])] == ["a.txt"]


# --- retraining as documented ------------------------------------------------------------------
def test_training_scripts_take_rows_without_doc_and_refuse_mistakes(tmp_path, capsys):
    from xhnlp.training import train_baseline

    good = tmp_path / "mine.jsonl"
    good.write_text("\n".join(json.dumps({"text": t, "area": a, "type": ty}, ensure_ascii=False) for t, a, ty in [
        ("力争完工200台。", "livelihood", "target"), ("深化零基预算改革。", "governance", "institution")]),
        encoding="utf-8")
    out = tmp_path / "m"
    train_baseline.main(["--extra", str(good), "-o", str(out)])
    assert (out / "model.safetensors").exists()
    bad = tmp_path / "bad.jsonl"
    for content, message in ((None, "no such file"), ("", "no labelled rows"),
                             ('{"text": "深化改革。", "area": "economi", "type": "none"}', "unknown area"),
                             ('{"text": "深化改革。", "type": "none"}', "missing area"), ("not json", "not a JSON")):
        if content is not None:
            bad.write_text(content, encoding="utf-8")
        elif bad.exists():
            bad.unlink()
        with pytest.raises(SystemExit) as e:
            train_baseline.main(["--extra", str(bad), "-o", str(out)])
        err = capsys.readouterr().err
        assert e.value.code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_finetune_with_rows_without_doc_and_an_unreachable_hub_name(tmp_path, capsys, monkeypatch):
    from xhnlp.training import finetune

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # as without a network; and no test traffic leaves the machine
    with pytest.raises(SystemExit) as e:
        finetune.main(["--init", "no-such-org/no-such-bert", "-o", str(tmp_path / "m"), "--epochs", "1"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "cannot load the checkpoint" in err and len(err.strip().splitlines()) == 1
    from xhnlp.training.finetune import split_validation

    rows = [{"text": f"句子{i}。", "area": "economy", "type": "none"} for i in range(10)]
    train, val = split_validation(rows, 0.2, 0)
    assert len(train) + len(val) == 10 and val


# --- the reader never crashes ------------------------------------------------------------------
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2048) | st.text(max_size=400).map(lambda s: s.encode("utf-8")))
def test_reader_returns_text_or_a_one_line_error(tmp_path, data):
    try:
        text, encoding = decode(data, "x.txt")
        assert isinstance(text, str) and encoding
    except ReadError as e:
        assert "\n" not in str(e)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"), min_size=1,
                    max_size=30).filter(lambda n: n not in (".", "..")),
       data=st.binary(max_size=512))
def test_reading_any_file_name_and_bytes(tmp_path, name, data):
    from xhnlp.reading import read_file

    path = tmp_path / name
    try:
        path.write_bytes(data)
    except OSError:
        return  # a name this file system refuses
    try:
        doc = read_file(path)
        assert isinstance(doc, Document) and isinstance(doc.text, str)
    except ReadError as e:
        assert "\n" not in str(e)
    finally:
        path.unlink(missing_ok=True)
