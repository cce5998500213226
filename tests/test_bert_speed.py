"""BertTagger's speed options (int8 quantisation, threads, vectorised collate) keep its results:
a tiny random BERT (hidden 32, one layer) built in a temp dir."""
import numpy as np
import pytest
import torch
from conftest import tiny_tokenizer_and_config

from xhnlp import Tagger
from xhnlp.labels import AREA_CODES, TYPE_CODES
from xhnlp.models import ModelError
from xhnlp.models.bert import BertForPolicyTagging, BertTagger, _softmax, configure_threads
from xhnlp.segment import sentences as split_sentences

MAX_LEN = 48


def save_tiny_tagger(path, text, context="none", layers=1, seed=0):
    """A randomly initialised tagger (hidden 32) saved to ``path``."""
    tok, config = tiny_tokenizer_and_config(path, text)
    config.num_hidden_layers = layers
    for key, value in dict(area_labels=list(AREA_CODES), type_labels=list(TYPE_CODES), context=context,
                           max_seq_length=MAX_LEN, xhnlp_model_type="bert-tagger").items():
        setattr(config, key, value)
    torch.manual_seed(seed)
    BertTagger(BertForPolicyTagging(config), tok).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, sample_text):
    return save_tiny_tagger(tmp_path_factory.mktemp("tiny_tagger"), sample_text)


@pytest.fixture(scope="module")
def texts(sample_text):
    return split_sentences(sample_text)[:40] + ["短句。", "推动经济增长。" * 3]


def test_quantised_and_float_give_probabilities_of_the_right_shape(model_dir, texts):
    fp32 = BertTagger.from_pretrained(model_dir)
    int8 = BertTagger.from_pretrained(model_dir, quantize=True)
    assert not fp32.quantized and int8.quantized
    query = int8.model.bert.encoder.layer[0].attention.self.query
    assert isinstance(query, torch.ao.nn.quantized.dynamic.Linear)
    assert isinstance(int8.model.area_head, torch.nn.Linear)  # the heads stay float
    for tagger in (fp32, int8):
        p = tagger.predict_proba(texts)
        assert p["area"].shape == (len(texts), 8) and p["type"].shape == (len(texts), 6)
        assert p["area"].dtype == np.float32 and np.isfinite(p["type"]).all()
        np.testing.assert_allclose(p["area"].sum(1), 1, atol=1e-5)
    # int8 rounding moves the probabilities a little, not a lot
    assert np.abs(fp32.predict_proba(texts)["area"] - int8.predict_proba(texts)["area"]).max() < 0.05
    doc = Tagger.load(str(model_dir), quantize=True, batch_size=16).tag("一、总体要求\n推动经济增长。深化改革。\n")
    assert [p.kind for p in doc] == ["heading", "sentence", "sentence"] and doc[1].area in AREA_CODES
    with pytest.raises(ModelError, match="quantised"):
        int8.save_pretrained(model_dir.parent / "nope")


def test_sorted_batches_give_the_one_at_a_time_result(model_dir, texts):
    tagger = BertTagger.from_pretrained(model_dir, batch_size=5)  # several length-sorted, padded batches
    batched = tagger.predict_proba(texts)
    for i, text in enumerate(texts):
        alone = tagger.predict_proba([text])
        for head in ("area", "type"):
            np.testing.assert_allclose(batched[head][i], alone[head][0], atol=1e-5)


def test_collate_pads_like_the_row_by_row_version(model_dir, texts):
    tagger = BertTagger.from_pretrained(model_dir)
    windows, _ = tagger.encode(texts)
    windows = windows[:7] + [([5, 6, 7, 8], 2)]  # a window with a second segment
    ids, att, typ = tagger.collate(windows, pad_id=0)
    n = max(len(w) for w, _ in windows)
    assert ids.shape == att.shape == typ.shape == (len(windows), n) and ids.dtype == torch.long
    for b, (w, first) in enumerate(windows):
        assert ids[b].tolist() == w + [0] * (n - len(w))
        assert att[b].tolist() == [1] * len(w) + [0] * (n - len(w))
        assert typ[b].tolist() == [0] * first + [1] * (len(w) - first) + [0] * (n - len(w))


def test_a_sentence_longer_than_the_window_averages_all_its_windows(model_dir):
    tagger = BertTagger.from_pretrained(model_dir)
    long = ("推动经济稳增长，深化零基预算改革，加快建设养老服务设施，" * 80)[:1992] + "力争完工200台。"
    assert len(long) >= 2000
    windows, owner = tagger.encode([long])
    assert len(windows) > 10 and all(len(ids) <= MAX_LEN for ids, _ in windows) and (owner == 0).all()
    with torch.inference_mode():  # by hand: each window alone, then the mean of the logits
        outs = [tagger.model(*tagger.collate([w], tagger.tokenizer.pad_token_id)) for w in windows]
    for head in ("area", "type"):
        logits = torch.cat([o[f"{head}_logits"] for o in outs]).numpy()
        want = _softmax(logits.mean(0, keepdims=True))
        got = tagger.predict_proba([long])[head]
        np.testing.assert_allclose(got, want, atol=1e-5)
        assert not np.allclose(got, _softmax(logits[:1]), atol=1e-6)  # not just the first window
    doc = Tagger(tagger).tag_sentences([long, "短句。"])
    assert len(doc) == 2 and doc[0].area in AREA_CODES


def test_thread_count_follows_the_user(model_dir, monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("XHNLP_THREADS", "1")
        BertTagger.from_pretrained(model_dir)
        assert torch.get_num_threads() == 1
        assert configure_threads(2) == 2 and torch.get_num_threads() == 2  # an explicit argument wins
        monkeypatch.delenv("XHNLP_THREADS")
        torch.set_num_threads(3)  # the user's own choice is kept
        BertTagger.from_pretrained(model_dir)
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


# --- ONNX Runtime backend ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def heading_model_dir(tmp_path_factory, sample_text):
    """Two layers and heading context: the exported graph must handle the second segment (token types)."""
    return save_tiny_tagger(tmp_path_factory.mktemp("tiny_heading_tagger"), sample_text, "heading", 2, 1)


@pytest.mark.parametrize("fixture", ["model_dir", "heading_model_dir"])
def test_onnx_backend_gives_the_torch_probabilities(fixture, texts, request):
    path = request.getfixturevalue(fixture)
    onnx = BertTagger.from_pretrained(path, backend="onnx", batch_size=7)
    torch_ = BertTagger.from_pretrained(path, backend="torch", batch_size=7)
    assert (onnx.backend, torch_.backend) == ("onnx", "torch")
    long = "推动经济稳增长，深化零基预算改革，加快建设养老服务设施。" * 12  # several windows
    batch = texts + [long, "一"]
    sections = [("一、总体要求", f"（{i % 3}）重点任务") for i in range(len(batch))]
    for args in ((batch, sections), (batch[:1], sections[:1]), (["一"], None)):  # ragged, one, shortest
        a, b = onnx.predict_proba(*args), torch_.predict_proba(*args)
        for head in ("area", "type"):
            np.testing.assert_allclose(a[head], b[head], atol=1e-5)
    # the graph is not the trace of one input: outputs differ where the inputs do
    p = onnx.predict_proba(texts[:4], sections[:4])["area"]
    assert not np.allclose(p[0], p[1:], atol=1e-4)


def test_backend_choice_and_its_errors(model_dir, monkeypatch):
    import xhnlp.models.bert as bert

    assert BertTagger.from_pretrained(model_dir).backend == "onnx"  # auto: ONNX Runtime on the CPU
    assert BertTagger.from_pretrained(model_dir, quantize=True).backend == "torch"  # int8 is PyTorch's
    with pytest.raises(ModelError, match="backend must be one of"):
        BertTagger.from_pretrained(model_dir, backend="tensorrt")
    with pytest.raises(ModelError, match="leave out quantize"):
        BertTagger.from_pretrained(model_dir, backend="onnx", quantize=True)
    monkeypatch.setattr(bert, "onnx_available", lambda: False)  # as on a machine without onnxruntime
    assert BertTagger.from_pretrained(model_dir).backend == "torch"
    with pytest.raises(ModelError, match="pip install onnxruntime"):
        BertTagger.from_pretrained(model_dir, backend="onnx")
    assert Tagger.load(str(model_dir), backend="torch").model.backend == "torch"


def test_a_failed_export_falls_back_to_torch_under_auto(model_dir, texts, monkeypatch):
    import xhnlp.models.bert as bert

    def broken(*args, **kwargs):
        raise RuntimeError("cannot trace this architecture")

    reference = BertTagger.from_pretrained(model_dir, backend="torch").predict_proba(texts)
    monkeypatch.setattr(bert, "OnnxForward", broken)
    with pytest.warns(UserWarning, match="running the model with PyTorch"):
        tagger = BertTagger.from_pretrained(model_dir)
    assert tagger.backend == "torch"
    np.testing.assert_allclose(tagger.predict_proba(texts)["area"], reference["area"], atol=1e-6)
    with pytest.raises(ModelError, match="cannot trace this architecture"):
        BertTagger.from_pretrained(model_dir, backend="onnx")


def test_cli_does_not_mix_parts_of_two_backends(model_dir, sample_text, tmp_path, capsys, monkeypatch):
    from xhnlp import cli

    d = tmp_path / "archive"
    d.mkdir()
    paras = sample_text.splitlines(keepends=True)
    for i in range(4):
        (d / f"r{i}.txt").write_text("".join(paras[i * 5:]), encoding="utf-8")
    full, out = tmp_path / "full.jsonl", tmp_path / "out.jsonl"
    args = ["tag", str(d), "--model", str(model_dir), "-q"]
    assert cli.main([*args, "-o", str(full)]) == 0
    real_read, calls = cli.read_file, {"n": 0}

    def flaky_read(path, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_read(path, **kw)

    monkeypatch.setattr(cli, "read_file", flaky_read)
    assert cli.main([*args, "-o", str(out), "--backend", "torch"]) == 130  # two documents done by torch
    monkeypatch.setattr(cli, "read_file", real_read)
    capsys.readouterr()
    assert cli.main([*args, "-o", str(out)]) == 0  # resumed with the default (onnx) backend
    assert "starting afresh" in capsys.readouterr().err
    assert out.read_bytes() == full.read_bytes()
