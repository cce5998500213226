"""Quantified targets and commitment strength ("Beyond the two labels" in ../shared/LABELS.md).

:func:`extract_targets` finds the quantities a sentence commits to (``一般公共预算收入增长5%``,
``力争全年重大工程开工210万平方米``, ``5所学校建成开学``) with rules; :func:`strength` grades the
sentence's cue words. Standard library only.

Conventions
-----------
``Target.start``/``Target.end``
    Character offsets into the sentence *as passed in* (full- or half-width) covering the
    **number and its unit** only: ``5%``, ``210万平方米``, ``5%-6%`` for a range. The comparator
    and a trailing ``以上``/``左右`` are not part of the span. Matching runs on a width-folded copy
    (one character in, one character out), so the offsets hold for raw input.
``value_text``
    The number as written in the input (``5.5``, ``2,868``, ``５``, ``百``); for a range the low and
    high numbers as written joined by ``-`` (``5-6``). ``value`` is the number as a float (the low
    end of a range; ``value_max`` the high end). 万/亿 are *not* folded into ``value``: they stay in
    ``unit`` as written (``210`` + ``万平方米``).
``unit``
    The unit as written after NFKC folding (``％`` -> ``%``), including a 万/亿/千 multiplier.
``indicator``
    The phrase the quantity measures. Before the number (``一般公共预算收入增长5%`` ->
    ``一般公共预算收入``): the text from the start of the list item (clause split at ，；：。 and 、)
    with leading modal/time words (力争, 确保, 全年, 今年, 计划 …) and a trailing relational comparator
    (增长, 达到, 控制在 …) removed; action verbs stay (``新增各类绿地``, ``重大工程开工``). After a
    classifier (``6个项目开工``, ``2868套(间)保障性租赁住房``): the text after the unit up to the
    end of the list item. In a 、 list whose item is only a verb (``开工210万平方米、竣工216万平方米``)
    the subject of the previous item is carried over (``重大工程竣工``).
``comparator``
    One of a small normalised set::

        增长    rate of increase          增长, 提高/提升/增加 + % or 个百分点
        下降    decrease                  下降, 降低, 减少, 压减, 削减
        提高至  raise to a level          提高到/至, 提升到/至, 增加到, 发展到, 增至 …
        降至    lower to a level          降至, 降低到, 下降到, 减少到, 压缩到 …
        达到    level reached (default)   达到, 达, 保持在, 稳定在, 实现, 覆盖, 为, 占
        以上    lower bound               …以上, 不低于, 不少于, 超过, 超, 突破, 至少
        以下    upper bound               …以下, …以内, …内, 不超过, 不高于, 控制在
        低于    strictly below            低于
        小于    strictly below            小于
        左右    approximately             …左右 (only when no other comparator is given)
        新增    newly added               新增, 引进, 培育, 认定, 招引, 增加 + count
        开工    start                     开工, 新开工, 开建, 启动, 开竣工
        竣工    finish construction       竣工, 完工, 交工
        建成    built and in use          建成, 投用, 投运, 交付, 贯通, 打通, 开学 …
        建设    build                     建设, 新建, 改建, 新改扩建, 打造, 创建, 建立, 搭建 …
        完成    any other delivered act   完成, 实施, 改造, 修复, 筹措, 发放, 培训, 上线, 加装, 形成 …

    Precedence: a cue of change (增长, 下降, 提高至, 降至) keeps its label even with a trailing
    ``以上``/``以下`` (``增长6%以上`` -> 增长); otherwise a trailing ``以上``/``以下``/``以内`` wins
    (``新增就业1100万人以上`` -> 以上); otherwise the cue nearest the number; ``左右`` only when
    there is no cue; else ``达到``. Cues are searched in the list item before the number (the one
    nearest it wins); for a count before its noun, the noun phrase after it is searched first
    (``6个项目开工`` -> 开工); an item without a cue takes the previous item's comparator
    (``新建配送中心36个、商贸中心425家``). ``approx`` is True for ``左右``/``约``/``近``.

What is not a target
--------------------
Numbers that are names or dates: anything inside quotes (“十四五”, “1+1+N”, “15分钟社区生活圈”) or
footnote brackets ([14], ［16］, 【7】), a number without a unit (2025年, 12345热线, 19号线,
三年行动计划, 二十大, 1月21日), ordinals (第一, 第十一届), codes (PM2.5, G225, 5G), parts of
``1+1+N``, a baseline (``从75%提高到100%``: only 100 counts), an attribute (``总投资127亿元的…``),
something already achieved (``已…``), counts of a plan's own components (``18条重点任务``,
``20项民生工程``, ``30项措施``), and a count that only names the set an activity works on
(``对48个项目加强跑办``, ``做优做强5个集群``, ``围绕…40个项目``): a count before a noun needs a
delivery cue (新增, 建设, 开工, 完成 …) in its clause and no framing preposition (围绕, 对, 以, 在 …)
opening it; a size class (``亿元级项目``, ``千亩示范方``) is not a quantity either. Chinese numerals
count only with a unit and a cue right before them (``新建两所学校``, ``稳定在百亿元以上``); never 一
(``一个``, ``一批``: articles and idioms) and never in slogans (``八项规定``, ``二次过街``).
Footnote definitions (a sentence starting with ``[n]``) yield nothing.

Scope: the extractor reads one sentence and does not decide whether the sentence commits at all —
a look back at last year (``完成投资2000亿元``) yields targets too. Run it on sentences typed
``target`` (or on the plan part of a report). Measured precision/recall: ``eval/targets_eval.py``.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import asdict, dataclass

__all__ = ["Target", "extract_targets", "strength", "COMPARATORS", "STRENGTHS"]


@dataclass
class Target:
    indicator: str
    comparator: str
    value: float
    value_text: str
    unit: str
    start: int  # offsets of number+unit in the sentence as passed in
    end: int
    value_max: float | None = None  # high end of a range (5%-6%), else None
    approx: bool = False  # 左右 / 约 / 近

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# width folding (length preserving)

_DASHES = {"—": "-", "–": "-", "‒": "-", "―": "-", "－": "-", "～": "~", "〜": "~", "﹣": "-"}


class _FoldTable(dict):
    """``str.translate`` table filled on first sight of each character: dashes to ASCII, else NFKC
    where it maps the character to one character, else the character itself."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        folded = _DASHES.get(ch) or unicodedata.normalize("NFKC", ch)
        self[code] = value = folded if len(folded) == 1 else ch
        return value


_FOLD_TABLE = _FoldTable()


def _fold(text: str) -> str:
    """NFKC per character where it maps one character to one, so offsets are preserved."""
    return text.translate(_FOLD_TABLE)


# ---------------------------------------------------------------------------------------------
# lexicons

_CLAUSE_SEP = set(",;:。!?\n\r\t")
_SEG_SEP = set(",;:。!?\n\r\t、")
_OPEN_Q = "“‘「『\""
_CLOSE_Q = {"“": "”", "‘": "’", "「": "」", "『": "』", '"': '"'}

_BASE_UNITS = [
    "微克/立方米", "毫克/立方米", "个百分点", "个工作日", "平方公里", "平方千米", "千瓦时", "百分点",
    "平方米", "立方米", "个月", "人次", "场次", "公顷", "公里", "千米", "千瓦", "千克", "公斤", "美元",
    "平米", "小时", "%", "‰", "亩", "米", "吨", "斤", "元", "台", "户", "套", "个", "家", "所", "项", "座",
    "条", "人", "名", "位", "张", "部", "处", "件", "种", "场", "次", "辆", "艘", "间", "栋", "幢", "盏",
    "根", "块", "倍", "例", "天", "床", "株", "棵", "头", "只", "口", "眼",
]
_MULT = "(?:万亿|千亿|百亿|十亿|亿|千万|百万|十万|万|千|百)"
_UNIT_RE = re.compile(rf"(?:{_MULT}?(?:{'|'.join(map(re.escape, sorted(_BASE_UNITS, key=len, reverse=True)))}))")
# units that count things: a count before a noun must be governed by a delivery cue
_CLASSIFIERS = set("台户套个家所项座条人名位张部处件种场次辆艘间栋幢盏根块例床株棵头只口眼") | {"人次", "场次"}
_RATE_UNITS = {"%", "‰", "个百分点", "百分点", "倍"}

_AR = r"\d+(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?"
_CN_DIGITS = "一二三四五六七八九十两百千零〇"
_NUM_RE = re.compile(rf"(?P<ar>{_AR})|(?P<cn>[一二三四五六七八九十两百千][{_CN_DIGITS}]*)")
_RANGE_RE = re.compile(rf"\s*(?:%|％)?\s*(?:-|~|至|到)\s*(?P<hi>{_AR})")
_SUFFIX_RE = re.compile(r"(?:及)?(以上|以下|以内|左右|上下|内(?![\u4e00-\u9fff]))")
_PAREN_RE = re.compile(r"\([\u4e00-\u9fff]{1,3}\)")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")

# normalised comparator -> cue words (matched on folded text, quotes masked)
_CUES: dict[str, list[str]] = {
    "提高至": ["提高到", "提高至", "提升到", "提升至", "增加到", "增加至", "增长到", "增长至", "上升到", "上升至",
             "扩大到", "扩大至", "发展到", "发展至", "增至"],
    "降至": ["降至", "降低到", "降低至", "下降到", "下降至", "减少到", "减少至", "压减到", "压减至", "压缩到",
           "压缩至", "缩短到", "缩短至", "减至", "控制到"],
    "增长": ["增长"],
    "下降": ["下降", "降低", "减少", "压减", "削减"],
    "以上": ["不低于", "不少于", "超过", "至少", "高于", "大于"],
    "以下": ["不超过", "不高于", "控制在"],
    "低于": ["低于"],
    "小于": ["小于"],
    "达到": ["达到", "保持在", "稳定在", "维持在", "实现", "覆盖"],
    "新增": ["新增", "新引进", "引进", "新培育", "培育", "新认定", "认定", "新招引", "招引", "新获批", "获批", "净增",
           "新设立", "新发展"],
    "开工": ["开竣工", "新开工", "开工", "开建", "启动"],
    "竣工": ["竣工", "完工", "交工"],
    "建成": ["建成", "投用", "投运", "投产", "交付", "开学", "开馆", "贯通", "打通", "通车"],
    "建设": ["新改扩建", "新(改)建", "新改建", "建设", "新建", "改建", "扩建", "打造", "创建", "建立", "搭建", "组建",
           "争创", "创成", "筹建"],
    "完成": ["改造提升", "提升改造", "完成", "实施", "改造", "修复", "整治", "修缮", "培训", "筹措", "筹集", "供应",
           "发放", "举办", "提供", "招聘", "接待", "推出", "上线", "加装", "盘活", "整理", "腾出", "帮助",
           "救助", "种植", "造林", "植树", "清理", "处置", "办结", "疏解", "形成"],
}
# cues that only count right before the number (达95%, 超2000亿元, 提高2个百分点)
_ADJACENT: dict[str, str] = {"达": "达到", "为": "达到", "占": "达到", "超": "以上", "突破": "以上",
                             "提高": "增长", "提升": "增长", "上升": "增长", "扩大": "增长", "增加": "增长"}
COMPARATORS = ("增长", "下降", "提高至", "降至", "达到", "以上", "以下", "低于", "小于", "左右",
               "新增", "开工", "竣工", "建成", "建设", "完成")
_CHANGE = {"增长", "下降", "提高至", "降至"}
_DELIVERY = {"新增", "开工", "竣工", "建成", "建设", "完成", "达到"}  # cues that make a count a commitment
_ACTIONS = {"新增", "开工", "竣工", "建成", "建设", "完成"}
# a clause opening with a preposition frames what follows (围绕…40个项目, 对206家企业, 在50个小区)
_FRAME_OPENERS = ("围绕", "聚焦", "对", "以", "在", "依托", "针对", "通过", "按照", "根据", "结合")

_CUE_OF: dict[str, str] = {w: c for c, ws in _CUES.items() for w in ws}
_CUE_OF.update({w: c for w, c in _ADJACENT.items() if w not in _CUE_OF})
_CUE_RE = re.compile("|".join(map(re.escape, sorted(_CUE_OF, key=len, reverse=True))))
_ACTION_RE = re.compile("(?:" + "|".join(map(re.escape, sorted(
    (w for c in ("新增", "开工", "竣工", "建成", "建设", "完成") for w in _CUES[c]), key=len, reverse=True))) + ")$")

# words around an indicator that are modality, time or relation, not content
_LEAD_WORDS = ["力争", "确保", "争取", "努力", "力求", "全年", "今年", "年内", "年底前", "当年", "每年", "计划", "累计",
               "预计", "拟", "进一步", "全力", "其中", "同时", "并", "再", "要", "将", "年度"]
_TRAIL_WORDS = sorted(set(_CUES["提高至"] + _CUES["降至"] + _CUES["增长"] + _CUES["下降"] + _CUES["以上"]
                          + _CUES["以下"] + _CUES["低于"] + _CUES["小于"]
                          + ["达到", "保持在", "稳定在", "维持在", "达", "为", "占", "超", "突破", "提高", "提升",
                             "上升", "扩大", "增加", "均", "各", "分别", "全部", "年均", "累计", "全年", "年内", "约", "近",
                             "按", "拟", "拟按", "在", "稳定", "保持", "和", "及", "与"]), key=len, reverse=True)
_LEAD_RE = re.compile(r"^(?:" + "|".join(map(re.escape, sorted(_LEAD_WORDS, key=len, reverse=True)))
                      + r"|到\d{4}年[底末]?|\d{4}年[底末]?|[\s、])")
_TRAIL_RE = re.compile(r"(?:" + "|".join(map(re.escape, _TRAIL_WORDS))
                       + r"|[从由比][\d.,]+(?:%|个百分点)?|[\s、])$")  # 从75%提高到100%: drop the baseline
_MODAL_BEFORE_CUE = re.compile(r"(?:计划|力争|确保|争取)(?=新开工|开工|完成|竣工|完工|新增|建成|新建|实施)")
# verbs that, right before "quantity + noun", mark the quantity as describing what is worked on
_FRAMING = ("做好", "推进", "加快", "推动", "支持", "抓好", "依托", "围绕", "聚焦", "对", "以", "在", "服务", "保障",
            "谋划", "发挥", "用好", "管好", "养护好", "放大", "做优做强", "做强", "办好")
# heads that make "N项/条/件 …" a count of the plan's own components
_COMPONENT_HEADS = ("任务", "措施", "举措", "实事", "民生工程", "行动", "条款", "政策", "意见", "规定", "原则")
# footnote definitions start with a bracketed number; "(1)" / "（1）" is a list enumerator, not a footnote
_FOOTNOTE_START = re.compile(r"^\s*\^?[\[【〔]\s*\d+\s*[\]】〕]")
_FOOTNOTE_MARK = re.compile(r"\^?[\[【〔]\s*\d{1,3}\s*[\]】〕]")


def _quote_mask(f: str) -> list[bool]:
    """True for characters inside quotation marks or footnote brackets (names, not quantities)."""
    mask = [False] * len(f)
    i = 0
    while i < len(f):
        ch = f[i]
        if ch in _CLOSE_Q:
            close = _CLOSE_Q[ch]
            j = f.find(close, i + 1, i + 41)
            if j != -1:
                for k in range(i, j + 1):
                    mask[k] = True
                i = j + 1
                continue
        i += 1
    for m in _FOOTNOTE_MARK.finditer(f):
        for k in range(m.start(), m.end()):
            mask[k] = True
    return mask


def _cn_value(s: str) -> float | None:
    digits = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    powers = {"十": 10, "百": 100, "千": 1000}
    if not any(c in powers for c in s):
        if len(s) == 1 and s in digits:
            return float(digits[s])
        return None  # 二三 (2-3?) or 二〇三五 (a year): not a quantity
    total, cur, prev_digit = 0, 0, False
    for c in s:
        if c in digits:
            if prev_digit:
                return None  # 十四五: a name, not a number
            cur, prev_digit = digits[c], True
        elif c in powers:
            total += (cur or 1) * powers[c]
            cur, prev_digit = 0, False
        else:
            return None
    return float(total + cur)


class _Cand:
    __slots__ = ("start", "num_end", "end", "lo", "hi", "lo_text", "hi_text", "unit", "cn", "after", "suffix")


def _candidates(f: str):
    """Numbers followed by a unit, in order (before any target filtering)."""
    pos = 0
    while True:
        m = _NUM_RE.search(f, pos)
        if not m:
            return
        pos = m.end()
        s, e = m.start(), m.end()
        cn = m.group("cn") is not None
        c = _Cand()
        c.start, c.cn, c.lo_text, c.hi_text, c.hi = s, cn, m.group(), None, None
        if cn:
            c.lo = _cn_value(m.group())
            if c.lo is None:
                continue
        else:
            c.lo = float(m.group().replace(",", ""))
            r = _RANGE_RE.match(f, e)
            if r:
                u = _UNIT_RE.match(f, r.end())
                if u:
                    c.hi, c.hi_text = float(r.group("hi").replace(",", "")), r.group("hi")
                    e = r.end()
                    pos = e
        u = _UNIT_RE.match(f, e)
        if not u:
            continue
        c.num_end = e
        c.unit = u.group()
        c.end = u.end()
        pos = max(pos, c.end)
        sm = _SUFFIX_RE.match(f, c.end)
        c.suffix = sm.group(1) if sm else None
        after = sm.end() if sm else c.end
        pm = _PAREN_RE.match(f, after)
        if pm:  # 2868套(间)保障性租赁住房
            after = pm.end()
        c.after = after
        yield c


# How far (in characters) a number's clause, indicator and cues may reach on either side. Real
# clauses are far shorter; the bound keeps extraction linear in the sentence's length.
WINDOW = 150


def _separators(f: str, seps) -> list[int]:
    """Sorted positions of the characters of ``seps`` in ``f``."""
    return [i for i, ch in enumerate(f) if ch in seps]


def _seg_start(positions: list[int], i: int) -> int:
    """Start of the segment holding ``i``: after the last separator before it, at most WINDOW back."""
    k = bisect.bisect_left(positions, i)
    return max(positions[k - 1] + 1 if k else 0, i - WINDOW, 0)


def _seg_end(positions: list[int], i: int, n: int) -> int:
    """End of the segment holding ``i``: the next separator at or after it, at most WINDOW on."""
    k = bisect.bisect_left(positions, i)
    return min(positions[k] if k < len(positions) else n, i + WINDOW, n)


def _cues(masked: str, a: int, b: int, number_at: int | None = None):
    """Cue matches (start, end, comparator) in masked[a:b]; adjacent-only cues need to end at number_at."""
    out = []
    for m in _CUE_RE.finditer(masked, a, b):
        w = m.group()
        if w in _ADJACENT and w not in _CUES.get(_CUE_OF[w], []) and m.end() != number_at:
            continue
        out.append((m.start(), m.end(), _CUE_OF[w]))
    return out


def _clean(text: str) -> str:
    text = _MODAL_BEFORE_CUE.sub("", text)
    folded = _fold(text)
    while True:
        m = _LEAD_RE.match(folded)
        if m and m.end() > 0:
            text, folded = text[m.end():], folded[m.end():]
            continue
        m = _TRAIL_RE.search(folded)
        if m and m.end() > m.start():
            text, folded = text[:m.start()], folded[:m.start()]
            continue
        return text.strip().strip("｜|").strip()  # a table row's cell separator is not part of the indicator


def extract_targets(sentence: str) -> list[Target]:
    """Quantified commitments in one sentence, in textual order (see the module docstring)."""
    f = _fold(sentence)
    if _FOOTNOTE_START.match(f):
        return []
    mask = _quote_mask(f)
    masked = "".join("□" if q else ch for ch, q in zip(f, mask))
    seg_seps, clause_seps = _separators(f, _SEG_SEP), _separators(f, _CLAUSE_SEP)
    out: list[Target] = []
    last_target: tuple[int, Target] | None = None  # (clause start, target) of the previous target
    boundary = 0  # end of the previous number+unit (a target or not): where an indicator may start
    for c in _candidates(f):
        prev_boundary, boundary = boundary, c.after
        s, e = c.start, c.end
        prev = f[s - 1] if s > 0 else ""
        nxt = f[c.num_end] if c.num_end < len(f) else ""
        if prev and prev in "从由":  # a baseline stays part of the phrase before the target
            boundary = prev_boundary
            continue
        if mask[s] or (prev and ((prev.isascii() and prev.isalpha()) or prev in "+.×第")) or nxt == "+":
            continue
        if f[c.end:c.end + 2] == "周年":
            continue
        clause_start = _seg_start(clause_seps, s)
        clause_end = _seg_end(clause_seps, e, len(f))
        seg_start = _seg_start(seg_seps, s)
        seg_end = _seg_end(seg_seps, c.after, len(f))
        pre_start = max(seg_start, prev_boundary if prev_boundary <= s else seg_start)
        if "已" in f[clause_start:s]:
            continue
        nxt_after = f[c.after] if c.after < len(f) else ""
        if nxt_after in ("的", "级"):  # 总投资127亿元的36个项目, 亿元级项目: an attribute or a size class
            continue
        post_noun = bool(nxt_after) and (bool(_CJK_RE.match(nxt_after)) or nxt_after in _OPEN_Q)
        # end of the post-noun phrase: next number or end of list item
        post_end = seg_end
        m_next = _NUM_RE.search(f, c.after, seg_end)
        if m_next and (_UNIT_RE.match(f, m_next.end()) or _RANGE_RE.match(f, m_next.end())):
            post_end = m_next.start()
        inherited = last_target[1].comparator if last_target and last_target[0] == clause_start else None
        seg_cues = _cues(masked, pre_start, s, s)
        post_cues = _cues(masked, c.after, post_end) if post_noun else []
        # a verb after a list of quantities governs all of them (推进4个项目、2.7万平方米开竣工)
        shares_verb = post_noun and post_end == seg_end and f[seg_end:seg_end + 1] == "、"
        rest_cues = [x for x in _cues(masked, post_end, clause_end) if x[2] in _ACTIONS] if shares_verb else []
        clause_cues = _cues(masked, clause_start, s, s)
        is_classifier = c.unit.lstrip("万亿千百十") in _CLASSIFIERS
        if c.cn:
            # Chinese numerals: a unit, not 一 (一个, 一批: articles and idioms), no slogan
            # (两街两景), no size class (千亩示范方, 百亿斤工程), and a cue right before the number
            if c.lo == 1 or (nxt_after and nxt_after in _CN_DIGITS):
                continue
            if post_noun and c.unit.lstrip("万亿千百十") not in _CLASSIFIERS:
                continue
            if not any(k in _DELIVERY or k in ("以上", "以下") for _, _, k in seg_cues):
                continue
        if post_noun and is_classifier:
            head = f[c.after:post_end]
            if c.unit in ("项", "条", "件") and any(h in head for h in _COMPONENT_HEADS):
                continue
            if _fold(_clean(sentence[clause_start:s])).startswith(_FRAME_OPENERS):
                continue
            found = [k for _, _, k in seg_cues + post_cues + rest_cues + clause_cues]
            found += [inherited] if inherited else []
            if not any(k in _DELIVERY for k in found):
                continue
        elif post_noun:
            pre_clean = _fold(_clean(sentence[pre_start:s]))
            if pre_clean.endswith(_FRAMING):
                continue
        # comparator
        pre_text = _clean(sentence[pre_start:s])
        use_post = post_noun and (is_classifier or not pre_text)
        base = None
        if use_post and post_cues:
            base = post_cues[-1][2]
        elif seg_cues:
            base = seg_cues[-1][2]
        elif use_post and rest_cues:
            base = rest_cues[0][2]
        elif inherited:
            base = inherited
        elif clause_cues:
            base = clause_cues[-1][2]
        if (base == "增长" and c.unit not in _RATE_UNITS and seg_cues
                and masked[seg_cues[-1][0]:seg_cues[-1][1]] == "增加"):
            base = "新增"  # 增加3000个 adds things; 增加2个百分点 is a rate
        if base in _CHANGE:
            comparator = base
        elif c.suffix in ("以上",):
            comparator = "以上"
        elif c.suffix in ("以下", "以内", "内"):
            comparator = "以下"
        elif base:
            comparator = base
        elif c.suffix in ("左右", "上下"):
            comparator = "左右"
        else:
            comparator = "达到"
        approx = c.suffix in ("左右", "上下") or f[max(0, s - 1):s] in ("约", "近")
        # indicator
        post_text = _clean(sentence[c.after:post_end]) if post_noun else ""
        if use_post:
            indicator = post_text or pre_text
        else:
            indicator = pre_text or _clean(sentence[c.after:post_end])
        if not indicator and last_target and last_target[0] == clause_start:
            indicator = last_target[1].indicator  # 建成率分别达到30%、50%
        elif last_target and last_target[0] == clause_start and _fold(indicator) in _CUE_OF:
            # 重大工程开工210万平方米、竣工216万平方米: carry the subject over to a bare verb
            indicator = _ACTION_RE.sub("", last_target[1].indicator) + indicator
        if c.hi is not None:
            hi_text = sentence[c.num_end - len(c.hi_text):c.num_end]
            value_text = f"{sentence[s:s + len(c.lo_text)]}-{hi_text}"
        else:
            value_text = sentence[s:s + len(c.lo_text)]
        t = Target(indicator=indicator, comparator=comparator, value=c.lo, value_text=value_text,
                   unit=c.unit, start=s, end=e, value_max=c.hi, approx=approx)
        out.append(t)
        last_target = (clause_start, t)
    return out


# ---------------------------------------------------------------------------------------------
# strength

STRENGTHS = ("explore", "strive", "firm", "plain")
_STRENGTH_CUES = {
    "firm": ("确保", "完成", "实现", "建成"),
    "strive": ("力争", "争取", "努力"),
    "explore": ("探索", "研究", "试点", "谋划"),
}
# words that contain a cue but are nouns, not cues
_STRENGTH_FALSE = ("研究院", "研究所", "研究中心", "研究生", "研究型", "研究会", "研究机构", "研究室", "建成区")


def strength(sentence: str) -> str:
    """Commitment strength from cue words: "explore", "strive", "firm" or "plain".

    When cues of several grades appear, the **most tentative** wins: explore > strive > firm.
    The firm cues 完成/实现/建成 are very often the verb a hedge governs (力争实现…, 探索建成…,
    努力完成…), so a sentence is only ``firm`` when nothing in it hedges; this never overstates
    a commitment.
    """
    f = _fold(sentence)
    for w in _STRENGTH_FALSE:
        f = f.replace(w, "□" * len(w))
    for grade in ("explore", "strive", "firm"):
        if any(w in f for w in _STRENGTH_CUES[grade]):
            return grade
    return "plain"
