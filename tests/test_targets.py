"""Quantified targets and commitment strength (LABELS.md, "Beyond the two labels").

Self-contained: sentences are the guideline's worked examples and the sample report (kept in
the repository); nothing here reads ../shared.
"""
from pathlib import Path

import pytest

from xhnlp.targets import COMPARATORS, Target, extract_targets, strength

ROOT = Path(__file__).resolve().parent.parent


def find(targets, value_text, unit):
    hits = [t for t in targets if t.value_text == value_text and t.unit == unit]
    assert len(hits) == 1, f"{value_text}{unit} not found once in {[(t.value_text, t.unit) for t in targets]}"
    return hits[0]


def keys(targets):
    return [(t.value_text, t.unit) for t in targets]


# ---------------------------------------------------------------------------------------------
# the guideline's target examples

X003 = ("综合各方面因素,建议今年经济社会发展的主要预期目标是:地区生产总值增长与全市保持同步,一般公共预算收入增长5%,"
        "固定资产投资总额增长10%,城镇调查失业率小于5.5%,新增各类绿地10公顷。")


def test_main_targets_list():
    ts = extract_targets(X003)
    assert keys(ts) == [("5", "%"), ("10", "%"), ("5.5", "%"), ("10", "公顷")]
    t = find(ts, "5", "%")
    assert (t.indicator, t.comparator, t.value) == ("一般公共预算收入", "增长", 5.0)
    assert find(ts, "10", "%").indicator == "固定资产投资总额"
    t = find(ts, "5.5", "%")
    assert (t.indicator, t.comparator, t.value) == ("城镇调查失业率", "小于", 5.5)
    t = find(ts, "10", "公顷")
    assert (t.indicator, t.comparator) == ("新增各类绿地", "新增")


def test_major_works_with_carried_subject():
    ts = extract_targets("着力扩大有效投资,力争全年重大工程开工210万平方米、竣工216万平方米。")
    assert keys(ts) == [("210", "万平方米"), ("216", "万平方米")]
    assert (ts[0].indicator, ts[0].comparator, ts[0].value) == ("重大工程开工", "开工", 210.0)
    assert (ts[1].indicator, ts[1].comparator) == ("重大工程竣工", "竣工")


@pytest.mark.parametrize("sentence, expected", [
    ("推行规模化加装电梯,力争完工200台。", [("200", "台", "竣工")]),
    ("健全社区卫生服务体系,二三级医院门诊号源下沉比例提高至52%。", [("52", "%", "提高至")]),
    ("加快5个教育基础设施项目开工,5所学校建成开学。", [("5", "个", "开工"), ("5", "所", "建成")]),
    ("西岸滨江功能区,提速六大组团项目建设,推进西岸数智中心商办地块等6个项目开工、西岸国际会展中心等8个项目竣工。",
     [("6", "个", "开工"), ("8", "个", "竣工")]),
    ("推动“15分钟社区体育生活圈”高质量全覆盖,新增体育场地面积3.5万平方米。", [("3.5", "万平方米", "新增")]),
    ("持续打好污染防治攻坚战,力争环境空气质量AQI优良率90%以上,PM2.5浓度低于30微克/立方米,河道水质稳定达标。",
     [("90", "%", "以上"), ("30", "微克/立方米", "低于")]),
])
def test_worked_examples(sentence, expected):
    assert [(t.value_text, t.unit, t.comparator) for t in extract_targets(sentence)] == expected


def test_worked_example_indicators():
    t = extract_targets("健全社区卫生服务体系,二三级医院门诊号源下沉比例提高至52%。")[0]
    assert t.indicator == "二三级医院门诊号源下沉比例"
    ts = extract_targets("持续打好污染防治攻坚战,力争环境空气质量AQI优良率90%以上,PM2.5浓度低于30微克/立方米,河道水质稳定达标。")
    assert "AQI优良率" in ts[0].indicator and ts[1].indicator == "PM2.5浓度"
    assert [t.indicator for t in extract_targets("加快5个教育基础设施项目开工,5所学校建成开学。")] == \
        ["教育基础设施项目开工", "学校建成开学"]


def test_count_before_noun_and_room_type():
    ts = extract_targets("坚持租购并举,建设筹措2868套(间)保障性租赁住房,筹措供应700张“新时代城市建设者管理者之家”床位;"
                         "探索更灵活的趸租模式。")
    assert keys(ts) == [("2868", "套"), ("700", "张")]
    assert ts[0].indicator == "保障性租赁住房" and ts[0].comparator == "完成"
    assert ts[1].comparator == "完成"  # 建设 inside the quoted name is not a cue


# ---------------------------------------------------------------------------------------------
# numbers that are names, dates, ordinals, descriptions

@pytest.mark.parametrize("sentence", [
    "今年是“十四五”规划收官之年。",
    "同时,高质量编制“十五五”规划。",
    "持续打造12345市民服务热线标杆。",
    "加强12345热线和信访相关数据分析运用。",
    "做优“1+1+N”科学教育模式,强化人工智能赋能。",
    "做优1+1+N科学教育模式。",
    "实施游戏产业高质量发展三年行动计划,建立一站式游戏服务中心、游戏孵化器。",
    "有序实施龙腾大道南延伸等项目,配合推进轨交19号线徐汇段建设。",
    "探索“15分钟社区生活圈”后评估机制,打造更多示范项目。",
    "打造15分钟社区生活圈。",
    "坚持和落实“两个毫不动摇”,促进民营经济“两个健康”发展。",
    "坚持和落实两个毫不动摇。",
    "全面贯彻落实党的二十大和二十届二中、三中全会精神,认真贯彻落实十二届市委六次全会精神。",
    "严格落实中央八项规定精神,全面从严整治形式主义为基层减负。",
    "到二〇三五年基本实现社会主义现代化。",
    "2030年是“十五五”规划收官之年。",
    "将每年12月27日定为纪念日,1月21日召开大会。",
    "第一,坚持稳中求进;一是稳增长,二是促改革。",
    "办好第十一届国际空竹节、第三届徒步大会。",
    "对新谋划的48个项目加强跑办。",
    "对206家企业保持联系。",
    "为70周岁以上老人发放补贴。",
    "巩固已争创的12个试点成果。",
    "加快区级建设方案18条重点任务落实落地。",
    "继续实施20项民生工程。",
    "做优做强5个国家先进制造业集群。",
    "推进二次过街改造等“小改小革”工程。",
    "支持英利6.5GW光伏电池发展,推进G225改建,建设5G基站。",
    "[3]“双碳”:指碳达峰、碳中和。",
    "全力做好120万千瓦抽水蓄能电站前期工作。",
    "创建小麦千亩示范方。",
    "年内招引投资千万元级项目。",
])
def test_names_and_descriptions_are_not_targets(sentence):
    assert extract_targets(sentence) == []


def test_attribute_is_not_a_target():
    # the project size is an attribute; the count of projects started is the target
    assert keys(extract_targets("启动总投资127亿元的36个项目前期工作。")) == [("36", "个")]


def test_baseline_is_not_a_target():
    ts = extract_targets("将科技型中小企业加计扣除比例从75%提高到100%。")
    assert keys(ts) == [("100", "%")]
    assert ts[0].comparator == "提高至" and ts[0].indicator == "科技型中小企业加计扣除比例"


# ---------------------------------------------------------------------------------------------
# offsets, widths, number forms

def test_offsets_half_and_full_width():
    half = "一般公共预算收入增长5%,城镇调查失业率小于5.5%。"
    full = "一般公共预算收入增长５％，城镇调查失业率小于５.５％。"
    for s in (half, full):
        ts = extract_targets(s)
        assert [t.value for t in ts] == [5.0, 5.5]
        assert [t.unit for t in ts] == ["%", "%"]
        assert [t.indicator for t in ts] == ["一般公共预算收入", "城镇调查失业率"]
        for t in ts:
            assert s[t.start:t.end].startswith(t.value_text)
            assert s[t.start:t.end] == t.value_text + s[t.start + len(t.value_text):t.end]
    assert [half[t.start:t.end] for t in extract_targets(half)] == ["5%", "5.5%"]
    assert [full[t.start:t.end] for t in extract_targets(full)] == ["５％", "５.５％"]
    assert [t.value_text for t in extract_targets(full)] == ["５", "５.５"]


def test_offsets_with_multiplier_unit():
    s = "着力扩大有效投资，力争全年重大工程开工２１０万平方米、竣工216万平方米。"
    ts = extract_targets(s)
    assert [s[t.start:t.end] for t in ts] == ["２１０万平方米", "216万平方米"]
    assert [t.unit for t in ts] == ["万平方米", "万平方米"]


def test_ranges_and_approximation():
    t, = extract_targets("地区生产总值增长5%-6%。")
    assert (t.value, t.value_max, t.value_text, t.comparator) == (5.0, 6.0, "5-6", "增长")
    t, = extract_targets("打造数字化工厂1—2家。")
    assert (t.value, t.value_max, t.value_text, t.unit) == (1.0, 2.0, "1-2", "家")
    t, = extract_targets("国内生产总值增长5.5%左右。")
    assert (t.comparator, t.approx) == ("增长", True)
    t, = extract_targets("居民消费价格涨幅3%左右。")
    assert (t.comparator, t.approx) == ("左右", True)
    t, = extract_targets("城镇新增就业1100万人以上，")
    assert (t.comparator, t.unit) == ("以上", "万人")
    t, = extract_targets("城镇调查失业率全年控制在5.5%以内。")
    assert (t.comparator, t.indicator) == ("以下", "城镇调查失业率")


def test_thousands_and_chinese_numerals():
    t, = extract_targets("建设筹措2,868套保障性租赁住房。")
    assert (t.value, t.value_text) == (2868.0, "2,868")
    t, = extract_targets("年内新建两所学校。")
    assert (t.value, t.value_text, t.unit, t.comparator) == (2.0, "两", "所", "建设")
    t, = extract_targets("新增十二个社区食堂。")
    assert (t.value, t.unit) == (12.0, "个")
    t, = extract_targets("固定资产投资稳定在百亿元以上。")
    assert (t.value, t.unit, t.comparator) == (100.0, "亿元", "以上")


def test_to_dict_and_comparator_set():
    t, = extract_targets("新增各类绿地10公顷。")
    d = t.to_dict()
    assert isinstance(t, Target)
    assert {"indicator", "comparator", "value", "value_text", "unit", "start", "end"} <= set(d)
    assert d["value"] == 10.0 and d["unit"] == "公顷"
    for s in (X003, "完成居家环境适老化改造500户。", "压减地下水开采量1.6亿立方米。", "社会物流总费用与GDP比率降低至13.6%左右。"):
        assert all(t.comparator in COMPARATORS for t in extract_targets(s))
    assert extract_targets("社会物流总费用与GDP比率降低至13.6%左右。")[0].comparator == "降至"
    assert extract_targets("压减地下水开采量1.6亿立方米。")[0].comparator == "下降"


# ---------------------------------------------------------------------------------------------
# strength

@pytest.mark.parametrize("sentence, grade", [
    ("确保北杨人工智能小镇等5个项目竣工。", "firm"),
    ("完成居家环境适老化改造500户。", "firm"),
    ("力争完工200台。", "strive"),
    ("努力打造新的外贸增长点。", "strive"),
    ("探索建设以游戏为特色的元宇宙街区。", "explore"),
    ("深化国家级政务服务标准化试点。", "explore"),
    ("全力推动经济稳增长。", "plain"),
    # precedence: the most tentative cue wins (explore > strive > firm)
    ("力争实现主要经济指标进入全市前列。", "strive"),
    ("确保粮食总产740亿斤以上，力争生态补水20亿立方米。", "strive"),
    ("探索建成一批示范项目，确保如期完成。", "explore"),
    ("研究推进光启纪念公园及片区提升，力争早日开工。", "explore"),
    # a noun that contains a cue is not one
    ("支持上海创智学院、浦江研究院等科研机构发展。", "plain"),
    ("扩大城市建成区绿化面积。", "plain"),
])
def test_strength(sentence, grade):
    assert strength(sentence) == grade


def test_strength_full_width_input():
    assert strength("力争全年重大工程开工２１０万平方米。") == "strive"


# ---------------------------------------------------------------------------------------------
# precision and recall on the annotated sample report

def _eval_module():
    from eval import targets_eval

    return targets_eval


def test_precision_recall_on_seed_gold():
    ev = _eval_module()
    rows = ev.load_seed()
    assert len(rows) >= 60 and sum(len(r["targets"]) for r in rows) >= 30
    r = ev.score(rows)
    # measured 1.000 / 1.000, indicator (lenient) 0.971, comparator 1.000
    assert r["precision"] >= 0.95
    assert r["recall"] >= 0.95
    assert r["indicator_lenient"] >= 0.9
    assert r["comparator"] >= 0.9


def test_corpus_gold_holds_no_text():
    import json
    with open(ROOT / "xhnlp" / "annotations" / "targets_gold_corpus.jsonl", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    assert len(rows) >= 60
    for row in rows:
        assert "text" not in row and len(row["sha256"]) == 64
        for t in row["targets"]:
            assert "indicator" not in t
            assert 0 <= t["indicator_start"] < t["indicator_end"] <= row["end"] - row["start"]


def test_table_row_target_has_a_clean_indicator():
    (t,) = extract_targets("新增就业｜12万人")
    assert (t.indicator, t.value, t.unit) == ("新增就业", 12.0, "万人")
