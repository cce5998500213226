import json

import numpy as np
import pytest

from xhnlp import Tagger
from xhnlp.labels import AREA_CODES, TYPE_CODES
from xhnlp.models import ModelError


def test_tag_returns_rich_pieces_that_tile_the_report(baseline_tagger, sample_text):
    doc = baseline_tagger.tag(sample_text, doc="sample")
    assert "".join(p.text for p in doc) == sample_text
    assert len(doc.sentences) == 165
    for p in doc:
        if p.kind == "heading":
            assert p.area is None and p.type is None
        else:
            assert p.area in AREA_CODES and p.type in TYPE_CODES
            assert p.area_score == pytest.approx(max(p.area_probs.values()))
            assert sum(p.type_probs.values()) == pytest.approx(1.0, abs=1e-4)
            assert p.strength in ("firm", "strive", "explore", "plain")
    target = next(p for p in doc if p.content.startswith("推行规模化加装电梯"))
    assert [(t.value_text, t.unit) for t in target.targets] == [("200", "台")]


def test_dataframe_and_dicts(baseline_tagger):
    doc = baseline_tagger.tag("一、总体要求\n推动经济增长。力争新增绿地10公顷。\n")
    df = doc.to_dataframe()
    assert list(df["kind"]) == ["heading", "sentence", "sentence"]
    assert df.loc[1, "section"] == "一、总体要求"
    assert {"p_area_economy", "p_type_target", "n_targets"} <= set(df.columns)
    assert df.loc[2, "n_targets"] == 1
    d = doc.to_dicts()
    json.dumps(d, ensure_ascii=False)  # plain data
    assert d[2]["targets"][0]["unit"] == "公顷"


def test_tag_sentences_and_sklearn_api(baseline_tagger):
    s = ["力争全年重大工程开工210万平方米。", "深化零基预算改革。", "hello"]
    doc = baseline_tagger.tag_sentences(s)
    assert [p.content for p in doc] == [x.strip() for x in s] and all(p.kind == "sentence" for p in doc)
    proba = baseline_tagger.predict_proba(s)
    assert proba["area"].shape == (3, 8) and proba["type"].shape == (3, 6)
    np.testing.assert_allclose(proba["type"].sum(1), 1, atol=1e-5)
    pred = baseline_tagger.predict(s)
    assert pred["type"] == [TYPE_CODES[i] for i in proba["type"].argmax(1)]
    assert pred["type"][0] == doc[0].type
    assert baseline_tagger.tag_sentences([]) == []


def test_batching_does_not_change_results(sample_text):
    small = Tagger.load("baseline", batch_size=7).tag(sample_text)
    big = Tagger.load("baseline", batch_size=1000).tag(sample_text)
    assert [(p.area, p.type, p.section) for p in small] == [(p.area, p.type, p.section) for p in big]


def test_bad_model_names_and_dirs(tmp_path):
    with pytest.raises(ModelError, match="neither a shipped model"):
        Tagger.load(str(tmp_path / "nowhere"))
    with pytest.raises(ModelError, match="missing config.json"):
        Tagger.load(str(tmp_path))
    (tmp_path / "config.json").write_text('{"xhnlp_model_type": "tfidf-logreg"}')
    with pytest.raises(ModelError, match="missing vocab.json, model.safetensors"):
        Tagger.load(str(tmp_path))
    (tmp_path / "config.json").write_text('{"model_type": "gpt2"}')
    with pytest.raises(ModelError, match="not describe an xhnlp"):
        Tagger.load(str(tmp_path))


def test_baseline_save_load_round_trip(tmp_path, baseline_tagger):
    from xhnlp.data import load_sample
    from xhnlp.models.baseline import BaselineModel

    rows = load_sample()
    model = BaselineModel().fit([r["text"] for r in rows], [r["area"] for r in rows], [r["type"] for r in rows])
    model.save_pretrained(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "model.safetensors", "vocab.json"]
    again = Tagger.load(str(tmp_path / "m"))
    texts = [r["text"] for r in rows[:20]]
    np.testing.assert_allclose(again.predict_proba(texts)["area"], model.predict_proba(texts)["area"], atol=1e-6)


def test_chars_only_baseline_needs_no_jieba_and_prunes_rare_features(tmp_path):
    from xhnlp.data import load_sample
    from xhnlp.models.baseline import BaselineModel

    rows = load_sample()
    texts, areas, types = [r["text"] for r in rows], [r["area"] for r in rows], [r["type"] for r in rows]
    sections = [tuple(r.get("section") or ()) for r in rows]
    full = BaselineModel(context="heading").fit(texts, areas, types, sections)
    lean = BaselineModel(context="heading", words=False, min_df=2).fit(texts, areas, types, sections)
    assert not any(f.startswith("w:") for f in lean.vectorizer.vocabulary_)
    assert any(f.startswith("w:") for f in full.vectorizer.vocabulary_)
    assert any(f.startswith("h:") for f in lean.vectorizer.vocabulary_)  # heading context still used
    assert len(lean.vectorizer.vocabulary_) < len(full.vectorizer.vocabulary_) / 2
    lean.save_pretrained(tmp_path / "lean")
    again = BaselineModel.from_pretrained(tmp_path / "lean")
    assert (again.words, again.min_df) == (False, 2)
    np.testing.assert_allclose(again.predict_proba(texts[:20], sections[:20])["area"],
                               lean.predict_proba(texts[:20], sections[:20])["area"], atol=1e-6)


def test_section_smoothing_mixes_only_within_a_section():
    from xhnlp.models.bert import smooth_by_section

    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    sections = [("一", "(一)"), ("一", "(一)"), ("一", "(二)"), ()]
    out = smooth_by_section(probs, sections, 0.5)
    np.testing.assert_allclose(out[0], 0.5 * probs[0] + 0.5 * probs[:2].mean(0))
    np.testing.assert_allclose(out[1], 0.5 * probs[1] + 0.5 * probs[:2].mean(0))
    np.testing.assert_allclose(out[2:], probs[2:])  # alone in its section / no section: unchanged
    np.testing.assert_allclose(out.sum(1), 1.0)
    assert smooth_by_section(probs, sections, 0.0) is probs

