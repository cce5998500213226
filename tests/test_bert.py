"""The BERT code paths with a tiny randomly initialised BERT saved to a temp dir (as a hub checkpoint would be)."""
import json

import numpy as np
import pytest
from conftest import tiny_tokenizer_and_config
from transformers import BertForMaskedLM

from xhnlp import Tagger
from xhnlp.data import load_sample
from xhnlp.models import SHIPPED, ModelError
from xhnlp.models.bert import BertTagger


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory, sample_text):
    path = tmp_path_factory.mktemp("tiny_bert")
    tok, config = tiny_tokenizer_and_config(path, sample_text)
    tok.save_pretrained(path)
    BertForMaskedLM(config).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def fine_tuned(tiny_checkpoint, tmp_path_factory):
    from xhnlp.training.finetune import fine_tune, split_validation

    rows = load_sample()
    train, val = split_validation(rows, 0.2, seed=0)
    tagger, info = fine_tune(train, val, str(tiny_checkpoint), epochs=2, batch_size=16, max_length=48,
                             context="heading", fuse=True, seed=0, log=lambda s: None)
    out = tmp_path_factory.mktemp("ft") / "model"
    tagger.save_pretrained(out)
    return tagger, info, out


def test_fine_tune_trains_and_saves_a_safe_directory(fine_tuned):
    tagger, info, out = fine_tuned
    assert len(info["history"]) >= 1 and info["history"][0]["loss"] > 0
    assert set(info["fusion"]) == {"area", "type"}
    assert set(info["section_smoothing"]) == {"area", "type"}
    assert all(0 <= w <= 0.5 for w in info["section_smoothing"].values())
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer_config.json", "lexical"} <= names
    assert not any(n.endswith((".bin", ".pkl", ".pt", ".joblib")) for n in names)
    config = json.loads((out / "config.json").read_text())
    assert config["area_labels"][0] == "economy" and config["type_labels"][-1] == "principle"
    assert config["max_seq_length"] == 48 and config["context"] == "heading"
    assert config["xhnlp_model_type"] == "bert-tagger"
    assert config["section_smoothing"] == info["section_smoothing"]


def test_reloaded_model_predicts_the_same(fine_tuned, sample_text):
    tagger, _, out = fine_tuned
    again = Tagger.load(str(out))
    assert isinstance(again.model, BertTagger)
    texts = [r["text"] for r in load_sample()[:30]]
    np.testing.assert_allclose(again.predict_proba(texts)["type"], tagger.predict_proba(texts)["type"], atol=1e-5)
    doc = again.tag(sample_text)
    assert "".join(p.text for p in doc) == sample_text and len(doc.sentences) == 165


def test_long_sentences_use_every_window(fine_tuned):
    tagger, _, _ = fine_tuned
    long = "推动经济稳增长," * 300 + "力争完工200台。"
    windows, owner = tagger.encode([long, "短句。"])
    assert (owner == 0).sum() > 10 and all(len(ids) <= 48 for ids, _ in windows)
    # the last window still sees the end of the sentence: nothing is silently truncated
    tail_ids = tagger.tokenizer("200台", add_special_tokens=False)["input_ids"]
    last = windows[int(np.flatnonzero(owner == 0)[-1])][0]
    assert all(t in last for t in tail_ids)
    p = tagger.predict_proba([long, "短句。"])
    assert p["area"].shape == (2, 8) and np.isfinite(p["area"]).all()


def test_missing_pieces_are_named(fine_tuned, tmp_path):
    import shutil

    _, _, out = fine_tuned
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    (broken / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="missing model.safetensors"):
        Tagger.load(str(broken))
    shutil.copy(out / "model.safetensors", broken)
    for name in ("tokenizer.json", "vocab.txt"):
        (broken / name).unlink(missing_ok=True)
    with pytest.raises(ModelError, match="tokenizer"):
        Tagger.load(str(broken))
    shutil.copytree(out, tmp_path / "nolex")
    shutil.rmtree(tmp_path / "nolex" / "lexical")
    with pytest.raises(ModelError, match="lexical"):
        Tagger.load(str(tmp_path / "nolex"))


def test_random_init_keeps_architecture_but_not_weights(tiny_checkpoint):
    from xhnlp.training.finetune import load_init

    pre, _ = load_init(str(tiny_checkpoint), False, "none", 64, 0.1)
    rand, _ = load_init(str(tiny_checkpoint), True, "none", 64, 0.1)
    mlm = BertForMaskedLM.from_pretrained(tiny_checkpoint)
    w = mlm.bert.embeddings.word_embeddings.weight
    assert pre.bert.embeddings.word_embeddings.weight.shape == rand.bert.embeddings.word_embeddings.weight.shape
    assert np.allclose(pre.bert.embeddings.word_embeddings.weight.detach(), w.detach())
    assert not np.allclose(rand.bert.embeddings.word_embeddings.weight.detach(), w.detach())


@pytest.mark.skipif(not (SHIPPED["bert"] / "config.json").exists(), reason="no shipped BERT yet")
def test_shipped_default_is_the_bert_and_tags_the_sample(sample_text):
    tagger = Tagger.load()
    assert isinstance(tagger.model, BertTagger)
    doc = tagger.tag(sample_text)
    sents = doc.sentences
    assert len(sents) == 165
    gold = load_sample()
    agree = np.mean([s.area == g["area"] for s, g in zip(sents, gold)])
    assert agree > 0.6  # it was trained on these: a sanity check that the right weights loaded, not an accuracy claim


def test_fused_probabilities_mix_encoder_and_lexical(fine_tuned):
    """The lexical model runs in a thread beside the encoder; the mix must be exactly the weighted sum."""
    import copy

    tagger = copy.copy(fine_tuned[0])
    tagger.fusion, tagger.smoothing = {"area": 0.5, "type": 0.3}, {"area": 0.0, "type": 0.0}
    plain = copy.copy(tagger)
    plain.lexical = None
    texts = [r["text"] for r in load_sample()[:25]]
    fused, bert, lex = tagger.predict_proba(texts), plain.predict_proba(texts), tagger.lexical.predict_proba(texts)
    for head, w in tagger.fusion.items():
        np.testing.assert_allclose(fused[head], (1 - w) * bert[head] + w * lex[head], atol=1e-6)
        assert not np.allclose(fused[head], bert[head], atol=1e-3)
