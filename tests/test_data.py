import json

import pytest

from xhnlp.data import CorpusError, doc_hash, load_gold, load_sample, load_standoff, standoff_row, write_jsonl
from xhnlp.labels import AREA_CODES, TYPE_CODES
from xhnlp.segment import segment


def test_sample_annotation_covers_every_sentence_the_segmenter_finds(sample_text):
    rows = load_sample()
    found = [(i, p.content) for i, p in enumerate(segment(sample_text)) if p.kind == "sentence"]
    assert [(r["index"], r["text"]) for r in rows] == found
    assert all(r["area"] in AREA_CODES and r["type"] in TYPE_CODES for r in rows)


# the guideline's worked examples, with exactly its labels (LABELS.md)
WORKED = [
    ("今年是“十四五”规划收官之年。", "general", "none"),
    ("综合各方面因素,建议今年经济社会发展的主要预期目标是", "general", "target"),
    ("全力推动经济稳增长。", "economy", "principle"),
    ("大力提振消费,积极发展首发经济", "economy", "measure"),
    ("着力扩大有效投资,力争全年重大工程开工210万平方米", "economy", "target"),
    ("建设区融资服务中心,为中小微企业提供一站式融资服务。", "economy", "measure"),
    ("深化财政科研项目经费“包干制”试点", "reform", "institution"),
    ("实施新一轮营商环境对标改革", "reform", "institution"),
    ("全力服务保障浦江实验室、上海创智学院等科研机构", "innovation", "measure"),
    ("大徐家汇功能区,推进“新六百”改造项目建设", "space", "project"),
    ("西岸滨江功能区,提速六大组团项目建设", "space", "target"),
    ("推动“15分钟社区体育生活圈”高质量全覆盖", "culture", "target"),
    ("实施游戏产业高质量发展三年行动计划", "culture", "measure"),
    ("推行规模化加装电梯,力争完工200台。", "livelihood", "target"),
    ("健全政府救助与慈善帮扶衔接机制", "livelihood", "institution"),
    ("加快大华医院新址竣工投用,推进区公共卫生中心开工。", "livelihood", "project"),
    ("持续打好污染防治攻坚战,力争环境空气质量AQI优良率90%以上", "governance", "target"),
    ("严格落实中央八项规定精神,全面从严整治形式主义为基层减负。", "governance", "principle"),
    ("各位代表,奋斗成就伟业、实干创造辉煌。", "general", "none"),
]


@pytest.mark.parametrize("start,area,type_", WORKED)
def test_worked_examples_have_the_guidelines_labels(start, area, type_):
    rows = [r for r in load_sample() if r["text"].startswith(start)]
    assert len(rows) == 1 and (rows[0]["area"], rows[0]["type"]) == (area, type_)


def test_standoff_round_trip_and_checks(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = "一、总体要求\n推动经济增长。力争新增绿地10公顷。\n"
    (corpus / "r.txt").write_text(text, encoding="utf-8")
    start = text.index("力争")
    row = standoff_row("r.txt", text, start, start + 11, area="governance", type="target")
    assert "text" not in row and row["doc_sha256"] == doc_hash(text)
    path = tmp_path / "gold.jsonl"
    write_jsonl(path, [row])
    assert load_standoff(path, corpus)[0]["text"] == "力争新增绿地10公顷。"
    with pytest.raises(CorpusError, match="not found"):
        load_standoff(path, tmp_path / "elsewhere")
    (corpus / "r.txt").write_text(text.replace("10", "20"), encoding="utf-8")
    with pytest.raises(CorpusError, match="differs"):
        load_standoff(path, corpus)
    (corpus / "r.txt").unlink()
    with pytest.raises(CorpusError, match="missing"):
        load_standoff(path, corpus)


def test_corpus_gold_is_stand_off_only():
    from xhnlp.data import DATA_DIR

    for name in ("corpus_gold.jsonl", "corpus_silver.jsonl"):
        for line in open(DATA_DIR / name, encoding="utf-8"):
            row = json.loads(line)
            assert {"doc", "doc_sha256", "start", "end", "sha256", "area", "type"} <= set(row)
            assert set(row) <= {"doc", "doc_sha256", "start", "end", "sha256", "area", "type",
                                "part", "batch", "round", "annotation"}  # metadata, never text


def test_load_gold_without_corpus_is_the_sample():
    assert load_gold(None) == load_sample()
