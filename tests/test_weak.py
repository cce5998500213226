"""Labelling functions, their aggregation and the silver writer (no corpus needed)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from xhnlp import weak
from xhnlp.data import doc_hash, sha256, write_jsonl
from xhnlp.labels import AREA_CODES, TYPE_CODES

ROOT = Path(__file__).resolve().parent.parent


def _script():
    from xhnlp.training import weak_labels

    return weak_labels


def _target_votes(sentence):
    return {name: v for name, v in weak.type_votes(sentence).items() if v == "target"}


def test_registries_hold_only_known_labels():
    assert set(weak.AREA_WEIGHTS) == set(weak.AREA_LFS)
    assert sorted(weak.TYPE_ORDER) == sorted(TYPE_CODES)
    sentence = "着力扩大有效投资,力争全年重大工程开工210万平方米、竣工216万平方米。"
    assert {v for v in weak.area_votes(sentence).values() if v} <= set(AREA_CODES)
    assert {v for v in weak.type_votes(sentence).values() if v} <= set(TYPE_CODES)


def test_strive_with_area_unit_is_target():
    sentence = "着力扩大有效投资，力争全年重大工程开工210万平方米、竣工216万平方米。"
    assert weak.lf_target_strive(sentence, ()) == "target"
    assert weak.weak_label(sentence, ("二、2025年主要任务", "(一)坚持以进促稳,进一步推动经济持续向好")) == ("economy", "target")


@pytest.mark.parametrize("sentence", [
    "今年是“十四五”规划收官之年。",
    "加快推进“十四五”规划重大项目建设。",
    "用好12345热线。",
    "实施游戏产业高质量发展三年行动计划。",
    "推进轨道交通19号线建设。",
    "加强对206家企业的跟踪服务，对70周岁以上老人发放补贴。",  # the set worked on, an eligibility line
])
def test_name_numbers_and_descriptions_are_not_targets(sentence):
    assert _target_votes(sentence) == {}
    assert weak.weak_label(sentence)[1] != "target"


def test_decision_order_puts_target_before_measure():
    sentence = "实施中小企业“千帆计划”，新增融资服务企业500家。"
    votes = weak.type_votes(sentence)
    assert "measure" in votes.values() and "target" in votes.values()
    assert weak.weak_label(sentence)[1] == "target"


def test_milestone_at_named_facility_is_project_and_mechanism_is_institution():
    assert weak.weak_label("加快大华医院新址竣工投用，推进区公共卫生中心开工。")[1] == "project"
    assert weak.weak_label("健全政府救助与慈善帮扶衔接机制。")[1] == "institution"
    assert weak.weak_label("各位代表，奋斗成就伟业、实干创造辉煌。") == ("general", "none")


def test_heading_mapper_uses_nearest_then_outer_heading():
    env = ("三、2026年工作安排", "（七）持续改善生态环境，推动绿色低碳发展")
    assert weak.lf_area_heading("加强监测。", env) == "governance"
    # the nearest heading says nothing: fall back to the outer one, but never to 'general' from there
    assert weak.lf_area_heading("加强监测。", ("四、全面加强政府自身建设", "（二）久久为功")) == "governance"
    assert weak.lf_area_heading("加强监测。", ("二、2025年主要任务", "（二）久久为功")) is None
    assert weak.lf_area_heading("加强监测。", ("二、2025年主要任务",)) == "general"
    assert weak.lf_area_heading("加强监测。", ()) is None
    # footnote lines printed under the last heading do not take its area
    assert weak.lf_area_heading("[3]黄金十条：尊师重教十项措施。", ("三、加强政府自身建设",)) is None


def test_combine_follows_the_given_order():
    votes = {"a": "principle", "b": "measure", "c": "target", "d": None}
    assert weak.combine(votes, weak.GUIDELINE_ORDER) == "target"
    assert weak.combine(votes, ("measure", "target", "principle")) == "measure"
    assert weak.combine(["principle", None, "institution"], weak.GUIDELINE_ORDER) == "institution"
    assert weak.combine({"a": None}, weak.GUIDELINE_ORDER) is None


def test_combine_weighted_majority():
    votes = {"x": "economy", "y": "space", "z": "space"}
    assert weak.combine(votes, {"x": 0.9, "y": 0.5, "z": 0.5}) == "space"  # two weaker LFs outvote one
    assert weak.combine(votes, {"x": 0.9, "y": 0.4, "z": 0.4}) == "economy"
    assert weak.combine({"x": None, "y": None}, {"x": 1.0}) is None


REPORT = """政府工作报告
一、2024年工作回顾
过去一年，新增城镇就业1.2万人。
二、2025年主要任务
今年是“十四五”规划收官之年。
（一）持续改善生态环境
力争全年新增绿地10公顷，PM
2.5浓度低于30微克/立方米。
深入打好蓝天保卫战。
（二）增进民生福祉
加快县医院新址竣工投用。
三、全面加强政府自身建设
严格落实中央八项规定精神。
"""


def test_silver_rows_are_standoff_only(tmp_path):
    script = _script()
    (tmp_path / "county_test_2025.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "README.md").write_text("not a report", encoding="utf-8")
    text = REPORT
    gold_start = text.index("深入打好")
    gold = [{"doc": "county_test_2025.txt", "start": gold_start, "end": text.index("（二）"), "text": "深入打好蓝天保卫战。",
             "area": "governance", "type": "measure"}]
    rows = list(script.silver_rows(tmp_path, gold))
    assert rows, "in-scope sentences should get silver labels"
    for row in rows:
        assert "text" not in row
        assert set(row) == {"doc", "doc_sha256", "start", "end", "sha256", "area", "type"}
        assert row["doc_sha256"] == doc_hash(text)
        assert row["sha256"] == sha256(text[row["start"]:row["end"]])
        assert row["area"] in AREA_CODES and row["type"] in TYPE_CODES
    spans = {text[r["start"]:r["end"]] for r in rows}
    assert not any("过去一年" in s for s in spans)  # review part skipped
    assert not any(s.startswith("深入打好") for s in spans)  # gold sentence skipped
    assert any(s.startswith("力争全年新增绿地") and "PM\n2.5" in s for s in spans)  # mended across the line break
    out = tmp_path / "silver.jsonl"
    write_jsonl(out, rows)
    assert all("text" not in json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())


def test_in_scope_skips_reviews_and_five_year_parts():
    script = _script()
    assert script.in_scope(("二、2025年主要任务", "（一）持续改善生态环境"))
    assert script.in_scope(("三、全面加强政府自身建设",))
    assert not script.in_scope(("一、2024年工作回顾",))
    assert not script.in_scope(("二、“十五五”时期主要目标任务",))
    assert not script.in_scope(())
