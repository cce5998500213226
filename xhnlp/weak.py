"""Weak supervision: Snorkel-style labelling functions (LFs) for the two heads of ../shared/LABELS.md.

Every LF is ``lf(sentence, section) -> label | None`` (``None`` = abstain), pure Python, on the
NFKC-normalised text. ``section`` is the heading path of the sentence, outermost first (as
:func:`xhnlp.segment.segment` gives it). The LFs are grouped in two registries:

* ``AREA_LFS``: a heading → area mapper (nearest heading first, then outer headings), a
  keyword lexicon per area on the sentence (``kw_<area>``: votes when that area has the
  strictly highest keyword score), and LFs for the guideline's edge cases.
* ``TYPE_LFS``: rules for each commitment type (number + unit / 力争…达到 → target,
  milestone verb near a facility → project, 健全/完善/建立 + 机制… → institution, …).

:func:`combine` aggregates the votes: for type, the first type in :data:`TYPE_ORDER` that
some LF votes for; for area, a weighted majority with :data:`AREA_WEIGHTS` (each LF's
measured accuracy on the gold data). Both constants were measured with
``python -m xhnlp.training.weak_labels --corpus ../shared/corpus --evaluate``;
:func:`weak_label` runs all LFs and both aggregations.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Iterable, Mapping

from .labels import TYPE_CODES
from .segment import normalize

LF = Callable[[str, tuple], "str | None"]

# --------------------------------------------------------------------------------------------
# helpers


def _norm(sentence: str) -> str:
    return normalize(sentence)


def _any(words: Iterable[str]) -> re.Pattern:
    return re.compile("|".join(sorted((re.escape(w) for w in words), key=len, reverse=True)))


_HEADING_MARK = re.compile(r"^\s*(?:第[一二三四五六七八九十百零〇]+(?:章|部分|篇)|[一二三四五六七八九十百零〇]+[、.]"
                           r"|\([一二三四五六七八九十百零〇]+\)|[0-9]{1,2}[、.]|\([0-9]{1,2}\))\s*")


def _heading_body(heading: str) -> str:
    return _HEADING_MARK.sub("", normalize(heading))


# --------------------------------------------------------------------------------------------
# area lexicons (LABELS.md definitions and edge cases)

AREA_LEXICON: dict[str, tuple[str, ...]] = {
    "economy": (
        "经济", "消费", "投资", "外贸", "进出口", "外资", "外商", "产业", "制造业", "工业", "企业", "民营",
        "中小企业", "总部", "招商", "农业", "粮食", "种业", "耕地", "畜牧", "养殖", "乡村振兴", "三农", "农产品",
        "乡村产业", "特色产业", "金融业", "服务业", "商贸", "物流", "电商", "集群", "首发经济", "夜间经济",
        "银发经济", "低空经济", "生物医药", "市场主体", "生产总值", "专项债", "财政政策", "货币政策", "减税",
        "降费", "内需", "项目建设", "产值", "营业收入", "规上", "规模以上", "能源", "矿产", "商圈", "市场",
        "信贷", "贷款", "融资", "上市", "品牌", "数字经济", "海洋经济", "县域经济", "增收",
    ),
    "reform": (
        "改革", "营商环境", "一网通办", "一件事", "一业一证", "放管服", "自贸", "自由贸易", "开放", "国企",
        "国资", "审批", "政务服务", "准入", "负面清单", "口岸", "进博会", "广交会", "廊洽会", "服贸会", "消博会",
        "中欧班列", "综合保税区", "保税", "跨境", "产权制度", "要素市场", "信用", "监管", "封关", "通办",
        "一带一路", "对外开放", "涉企", "惠企政策", "统一大市场", "零关税", "陆海新通道", "国有", "拖欠", "账款",
        "乱收费", "乱罚款", "企业制度", "市场化经营", "政商", "亲清", "土地承包", "农村产权", "经营权流转", "集体产权",
        "宅基地", "集体经营性建设用地", "供销", "林权", "政务", "许可",
    ),
    "innovation": (
        "科技", "科创", "研发", "实验室", "科研", "研究院", "人工智能", "大模型", "算力", "孵化", "高新技术",
        "成果转化", "技术转移", "人才", "院士", "专利", "新质生产力", "创新平台", "创新中心", "技术攻关",
        "关键核心技术", "创新链", "数据要素", "数字化转型", "高校", "博士", "创新主体", "中关村",
        "创新驱动", "原始创新", "工程师", "知识产权",
    ),
    "space": (
        "城市更新", "片区", "功能区", "旧改", "土地", "收储", "用地", "道路", "交通", "轨道", "地铁", "高速",
        "铁路", "机场", "桥", "公路", "路网", "站城", "新城", "县城", "城区", "城镇化", "区域协调", "京津冀",
        "雄安", "开发区", "园区", "基础设施", "水利", "水网", "管网", "城中村", "棚改", "美丽乡村", "和美乡村",
        "村庄", "农村公路", "停车", "城乡融合", "新区", "港口", "航道", "枢纽", "供水", "电网", "供热",
        "燃气", "拆迁", "征地", "风貌", "国道", "省道", "快速路", "环线", "大湾区", "都市圈", "城市群",
        "双城", "海岛", "山区", "飞地", "增长极", "空间", "城市品质", "城市建设",
    ),
    "culture": (
        "文化", "文物", "红色", "旅游", "文旅", "体育", "赛事", "游戏", "电竞", "影视", "演艺", "博物馆",
        "图书馆", "文明城市", "精神文明", "非遗", "全民健身", "景区", "考古", "遗址", "文艺", "广播", "电视",
        "出版", "阅读", "运动会", "马拉松", "冰雪", "度假区", "历史文化", "文明实践", "志愿服务", "艺术",
        "剧", "音乐", "动漫", "会展",
    ),
    "livelihood": (
        "就业", "创业", "住房", "保障房", "保障性", "养老", "救助", "社会保障", "社保", "医保", "儿童", "托育",
        "教育", "学校", "幼儿园", "中学", "小学", "学生", "教师", "医疗", "医院", "卫生", "健康", "残疾",
        "无障碍", "对口支援", "东西部协作", "对口帮扶", "退役军人", "双拥", "国防", "军人", "民族", "宗教",
        "侨", "外事", "台湾", "两岸", "港澳", "妇女", "青年", "低保", "困难群众", "民生", "加装电梯", "老旧小区",
        "饮水", "疾控", "疫情", "中医", "工资", "社会事业", "殡葬", "慈善", "老年", "婴幼儿", "生育",
        "防返贫", "返贫", "脱贫", "收入", "公积金", "人民群众", "群众",
    ),
    "governance": (
        "生态", "环境", "污染", "大气", "空气", "水质", "河湖", "河长", "林长", "绿化", "垃圾", "碳", "节能",
        "减排", "城市管理", "市容", "基层治理", "社区治理", "网格", "安全生产", "应急", "消防", "防汛", "防灾",
        "信访", "矛盾纠纷", "平安", "扫黑", "法治", "依法", "廉洁", "廉政", "纪律", "作风", "形式主义",
        "八项规定", "政府自身", "审计", "过紧日子", "债务", "风险", "12345", "接诉即办", "人居环境", "厕所",
        "污水", "食品安全", "药品安全", "治安", "政治", "党风", "腐败", "监督", "公园", "绿地", "湿地", "森林",
        "造林", "蓝天", "碧水", "净土", "扬尘", "治理", "安全", "执法", "人大", "政协", "问责", "担当",
        "干部", "政务公开", "效能", "五年规划", "规划纲要", "清洁", "绿色低碳", "双碳", "水土", "国家公园",
        "自然保护", "地质灾害", "舆情", "统计", "土壤", "环卫", "保洁", "秩序", "非法营运", "噪声", "秸秆", "散煤",
        "洗城", "背街小巷", "违建", "私搭乱建",
    ),
}
# extra weight for keywords that are nearly unambiguous
STRONG = {
    "economy": ("招商", "外贸", "外资", "民营经济", "中小企业", "粮食", "种业", "农业", "消费", "产业集群", "总部经济",
                "低空经济", "制造业"),
    "reform": ("营商环境", "改革", "一网通办", "放管服", "自贸", "政务服务", "进博会", "广交会", "口岸", "国企改革", "国有企业",
               "国资国企", "拖欠", "准入", "土地承包", "农村产权"),
    "innovation": ("科技创新", "实验室", "研发", "人工智能", "大模型", "算力", "孵化", "成果转化", "院士", "高新技术企业"),
    "space": ("城市更新", "片区", "功能区", "收储", "用地", "轨道交通", "路网", "高速公路", "铁路", "机场", "城中村",
              "农村公路", "棚改", "开发区", "园区"),
    "culture": ("文化", "旅游", "体育", "文物", "游戏", "电竞", "非遗", "文明城市", "博物馆", "赛事"),
    "livelihood": ("就业", "养老", "教育", "医疗", "医院", "学校", "住房", "救助", "退役军人", "双拥", "国防", "托育",
                   "社会保障", "对口支援", "东西部协作", "民族团结", "宗教", "民生实事"),
    "governance": ("生态", "污染", "大气", "河长", "垃圾", "安全生产", "应急", "信访", "法治", "廉洁", "作风", "八项规定",
                   "审计", "债务风险", "人居环境", "扫黑", "形式主义", "过紧日子", "政府自身"),
}
_AREA_RE = {a: _any(ws) for a, ws in AREA_LEXICON.items()}
_STRONG_RE = {a: _any(ws) for a, ws in STRONG.items()}

# heading lexicon: what a section heading says about the sentences under it
HEADING_LEXICON: dict[str, tuple[str, ...]] = {
    "economy": ("经济", "消费", "投资", "内需", "产业", "制造业", "工业", "实体", "企业", "招商", "项目建设",
                "项目园区", "三农", "农业", "乡村振兴", "乡村全面振兴", "百县千镇万村", "宏观", "三产", "服务业",
                "外贸", "市场", "增长", "旅游产业", "海洋"),
    "reform": ("改革", "开放", "营商环境", "自贸", "自由贸易港", "市场活力", "动力活力", "开放型"),
    "innovation": ("科技", "创新驱动", "科创", "新质生产力", "人才", "创新创造", "创新能力", "创新高地", "新动能",
                   "创新"),
    "space": ("城市更新", "城市建设", "城市建管", "城市品质", "县城", "城乡", "区域协调", "区域", "协同发展", "新型城镇化",
              "功能品质", "新空间", "交通", "基础设施", "城市", "京津冀", "雄安", "大湾区", "城镇"),
    "culture": ("文化", "旅游", "文旅", "体育", "文明"),
    "livelihood": ("民生", "社会事业", "人民生活", "群众", "福祉", "公共服务", "就业", "教育", "健康", "幸福"),
    "governance": ("生态", "环境", "绿色", "低碳", "美丽", "安全", "风险", "治理", "平安", "法治", "政府自身", "自身建设",
                   "政治", "廉洁", "作风", "效能", "依法行政", "讲规矩", "纪律", "服务型政府", "政府", "底线",
                   "稳定"),
    "general": ("主要任务", "工作安排", "目标任务", "重点工作", "总体要求", "主要工作", "工作任务", "总体思路",
                "发展思路", "政策取向", "主要目标", "工作重点", "关于"),
}
_HEADING_RE = {a: _any(ws) for a, ws in HEADING_LEXICON.items()}


def heading_area(heading: str, allow_general: bool = True) -> str | None:
    """The area a heading points to: the area with most keyword hits, ties to the earliest hit."""
    body = _heading_body(heading)
    best, best_key = None, None
    for area, rx in _HEADING_RE.items():
        if area == "general" and not allow_general:
            continue
        hits = [m.start() for m in rx.finditer(body)]
        if not hits:
            continue
        key = (-len(hits), hits[0])
        if area == "general":
            key = (0, 10**6)  # general only when no area keyword matches
        if best_key is None or key < best_key:
            best, best_key = area, key
    return best


KW_MIN_SCORE = 1.0  # a kw_<area> LF votes only when the winning score reaches this
KW_TIE_EARLIEST = False  # on a tie, the area whose first keyword comes earliest (False: abstain)


@lru_cache(maxsize=4096)
def _area_hits(s: str) -> tuple[tuple[str, float, int], ...]:
    out = []
    for area, rx in _AREA_RE.items():
        hits = [m.start() for m in rx.finditer(s)]
        if hits:
            out.append((area, len(hits) + 1.5 * len(_STRONG_RE[area].findall(s)), hits[0]))
    return tuple(out)


def area_scores(sentence: str) -> dict[str, float]:
    """Keyword score per area (plain hits + 1.5 × strong hits) on the normalised sentence."""
    return {a: n for a, n, _ in _area_hits(_norm(sentence))}


def keyword_area(sentence: str) -> str | None:
    """The area with the strictly highest keyword score (None on a tie, unless KW_TIE_EARLIEST: then the area
    mentioned first; measured worse, 0.778 vs 0.793 combined area accuracy)."""
    hits = _area_hits(_norm(sentence))
    if not hits:
        return None
    top = max(n for _, n, _ in hits)
    if top < KW_MIN_SCORE:
        return None
    winners = sorted((pos, a) for a, n, pos in hits if n == top)
    if len(winners) > 1 and not KW_TIE_EARLIEST:
        return None
    return winners[0][1]


# --------------------------------------------------------------------------------------------
# area LFs


_GLOSSARY = re.compile(r"^(?:[\[【]\d+[\]】]|※|名词解释|注释|注:)")


def lf_area_heading(sentence: str, section: tuple) -> str | None:
    """Nearest heading's area; outer headings when it says nothing (never 'general' from an outer one).
    Abstains on footnote/glossary lines, which are printed under the last heading but explain other parts."""
    if _GLOSSARY.search(_norm(sentence)):
        return None
    for depth, heading in enumerate(reversed(section or ())):
        area = heading_area(heading, allow_general=depth == 0)
        if area:
            return area
    return None


def _kw(area: str) -> LF:
    def lf(sentence: str, section: tuple) -> str | None:
        return area if keyword_area(sentence) == area else None
    lf.__name__ = f"lf_kw_{area}"
    lf.__doc__ = f"Sentence keyword lexicon: {area} has the highest keyword score."
    return lf


_GENERAL_FRAMING = re.compile(
    r"^(?:各位代表|让我们|我们要更加紧密|我们坚信|同志们)|以习近平新时代中国特色社会主义思想为指导|"
    r"预期目标(?:是|为)|为实现上述目标|实现上述目标|以下[一二三四五六七八九十几]+(?:个)?方面|[一二三四五六七八九十]+(?:个)?方面(?:的)?(?:工作|重点)|"
    r"^(?:今年|明年|\d{4}年)是|之年|(?:党代会|全会)(?:精神|部署|提出)")
_RURAL_ENV = re.compile(r"人居环境|厕所|厕改|农村(?:生活)?(?:垃圾|污水)|村容村貌|改厕")
_VILLAGE = re.compile(r"村庄规划|美丽乡村|和美乡村|示范村|农村公路|村内道路|四好农村路|农房|村庄建设|宜居宜业和美")
_DEFENCE_FOREIGN = re.compile(r"国防|双拥|退役军人|军人|军队|兵役|人民防空|人防|海防|边防|民兵|拥军|军民|民族团结|"
                              r"宗教|侨务|华侨|侨胞|外事|对台|台胞|两岸|港澳|对口支援|东西部协作|对口帮扶|对口协作|"
                              r"农村饮水|饮水安全|供水保障")
_EXPO = re.compile(r"进博会|广交会|服贸会|消博会|廊洽会|数博会|投洽会|东盟博览会|高交会|链博会|自贸|自由贸易|口岸|综合保税|"
                   r"中欧班列|陆海新通道|开放平台|对外开放")
_RISK = re.compile(r"债务|隐性债|金融风险|风险防范|防范化解|化解.{0,6}风险|中小银行|非法集资|房地产风险|保交楼|"
                   r"安全生产|应急|防灾|减灾|防汛|消防|生态|污染|环境质量|空气质量|PM2\.5|优良天数|水质|碳排放|河长制|林长制|"
                   r"垃圾分类|扫黑|信访|矛盾纠纷|网格化|基层治理|依法行政|法治政府|廉洁|八项规定|审计|过紧日子|形式主义")
_SME_FIN = re.compile(r"(?:中小|小微|民营|市场主体|实体经济).{0,10}(?:融资|贷款|信贷|担保|授信)|(?:融资|贷款|信贷|担保|授信|首贷|续贷)"
                      r".{0,10}(?:中小|小微|民营|企业)|普惠金融|贷款贴息")
_SCHOOL_HOSPITAL = re.compile(r"(?:学校|中学|小学|幼儿园|职业学院|职教中心|医院|卫生院|卫生室|疾控中心|养老院|养老服务中心|敬老院|"
                              r"福利院|托育)")
_GAMES_SPORTS = re.compile(r"游戏|电竞|体育场|体育馆|体育公园|全民健身|赛事|运动会|马拉松|影视|演艺|文旅|旅游|文物|非遗|博物馆|图书馆")
_INNOV_CORE = re.compile(r"实验室|科研院所|研究院|大模型|算力|孵化器|众创空间|科技成果|成果转化|技术转移|研发机构|研发中心|"
                         r"高新技术企业|科技型(?:中小)?企业|关键核心技术|基础研究|科技创新平台|新型研发")


def lf_area_general(sentence: str, section: tuple) -> str | None:
    """Framing of the year, guiding thought, transitions and rallying calls → general."""
    return "general" if _GENERAL_FRAMING.search(_norm(sentence)) else None


def lf_area_target_list(sentence: str, section: tuple) -> str | None:
    """The year's list of main targets (several indicators, or the line that opens it) → general."""
    s = _norm(sentence)
    if re.search(r"预期目标|主要目标|上述目标", s) and (len(re.findall(r"\d+(?:\.\d+)?%", s)) >= 2 or s.endswith(":")):
        return "general"
    if len(re.findall(r"\d+(?:\.\d+)?%", s)) >= 3 and re.search(r"生产总值|公共预算|固定资产投资|消费品零售|进出口", s) \
            and re.search(r"就业|收入|能耗|粮食|失业", s):
        return "general"
    return None


def lf_area_rural(sentence: str, section: tuple) -> str | None:
    """Rural living environment → governance; village construction and rural roads → space."""
    s = _norm(sentence)
    env, vil = _RURAL_ENV.search(s), _VILLAGE.search(s)
    if env and (not vil or env.start() <= vil.start()):
        return "governance"
    if vil:
        return "space"
    return None


def lf_area_defence_foreign(sentence: str, section: tuple) -> str | None:
    """National defence, veterans, ethnic/religious/Taiwan/overseas-Chinese/foreign affairs, paired assistance,
    rural drinking water → livelihood."""
    return "livelihood" if _DEFENCE_FOREIGN.search(_norm(sentence)) else None


def lf_area_opening(sentence: str, section: tuple) -> str | None:
    """Trade expos, free-trade zones, ports of entry, opening-up channels → reform."""
    return "reform" if _EXPO.search(_norm(sentence)) else None


def lf_area_risk_governance(sentence: str, section: tuple) -> str | None:
    """Risk prevention, safety, ecology, petitions, rule of law, discipline → governance."""
    return "governance" if _RISK.search(_norm(sentence)) else None


def lf_area_sme_finance(sentence: str, section: tuple) -> str | None:
    """SME credit and financing schemes → economy (even inside a business-environment section)."""
    return "economy" if _SME_FIN.search(_norm(sentence)) else None


def lf_area_school_hospital(sentence: str, section: tuple) -> str | None:
    """School, hospital, elderly-care facilities → livelihood (also their construction)."""
    return "livelihood" if _SCHOOL_HOSPITAL.search(_norm(sentence)) else None


def lf_area_culture_sports(sentence: str, section: tuple) -> str | None:
    """Games and e-sports industry, sports venues and events, tourism, heritage → culture."""
    s = _norm(sentence)
    return "culture" if _GAMES_SPORTS.search(s) and not re.search(r"学校|医院|养老", s) else None


def lf_area_innovation_core(sentence: str, section: tuple) -> str | None:
    """Labs, institutes, models, compute, incubators, technology transfer → innovation."""
    return "innovation" if _INNOV_CORE.search(_norm(sentence)) else None


AREA_LFS: dict[str, LF] = {
    "area_heading": lf_area_heading,
    **{f"kw_{a}": _kw(a) for a in AREA_LEXICON},
    "area_general": lf_area_general,
    "area_target_list": lf_area_target_list,
    "area_rural": lf_area_rural,
    "area_defence_foreign": lf_area_defence_foreign,
    "area_opening": lf_area_opening,
    "area_risk_governance": lf_area_risk_governance,
    "area_sme_finance": lf_area_sme_finance,
    "area_school_hospital": lf_area_school_hospital,
    "area_culture_sports": lf_area_culture_sports,
    "area_innovation_core": lf_area_innovation_core,
}

# --------------------------------------------------------------------------------------------
# type LFs

# numbers that are only names: quoted names, plan periods, hotlines, N-year action plans, line numbers,
# years, ages, time-of-service slogans, pollutant and network names, "1+1+N" formulas
_NAME_NUMBERS = re.compile(
    r"“[^”]{0,20}”|\"[^\"]{0,20}\"|「[^」]{0,20}」|"
    r"[十]?[一二三四五六七八九十]五|\d{5}(?:热线|政务)?|12345|\d+年(?:行动|攻坚|计划|规划|提升|专项)|"
    r"\d+号线|第[\d一二三四五六七八九十]+|\d{4}年(?:度)?|\d+周岁(?:以上|以下)?|\d+分钟|\d+小时|PM\s?2\.5|PM10|"
    r"\d+(?:\.\d+)?[GgA]级?(?:景区)?|\d+[A-Za-z]+|\d+(?:\+[\dA-Za-z]+)+|\[\d+\]|【\d+】|^\(?\d+\)?|"
    r"\d+月(?:\d+日)?(?:份)?|\d+kV|\d+千伏|\d+届|\d+周年|\d+条措施|\d+项措施|\d+条政策|\d+个方面")
_UNITS = (r"%|‰|个百分点|倍|万?亿?(?:元|美元)|万?(?:人次|人|户|家|个|所|座|条|项|台|套|辆|张|床|间|栋|名|处|场次|场|次|"
          r"吨|千瓦时|千瓦|兆瓦|万千瓦|平方米|平米|平方公里|亩|公顷|公里|千米|米|立方米|标准箱|件|只|头|株|棵|册|部|"
          r"万|亿|班|支|批|种|例|对|片|口|孔|盏|根|组|期|年|天)")
_NUM_UNIT = re.compile(rf"(?<![\d.])(\d+(?:\.\d+)?)(?:\s*[-~—至到]\s*\d+(?:\.\d+)?)?\s*(?:余|多)?\s*(?:{_UNITS})")
# a number that describes the set being worked on, or what is already there, is not a target
_DESCRIPTIVE_BEFORE = re.compile(r"(?:对|已|已经|累计|现有|全部|涉及|共有|现存)[^,;，；。]{0,4}$")
_ATTRIBUTE_BEFORE = re.compile(r"(?:总投资|计划总投资|投资额|占地|建筑面积|库容|规模|总长|全长|装机)[^,;，；。]{0,4}$")
_TARGET_VERB = re.compile(r"力争|确保|达到|达|提高到|提高至|提升到|提升至|增长|下降|降低|控制在|突破|超过|不低于|不少于|"
                          r"以上|以内|左右|新增|新建|完成|实现|建成|培育|引进|开工|竣工|改造|提升|招引|认定|争创|创建|培训|"
                          r"签约|落地|投产|增加|扩大|发放|减少|帮扶|救助|安置|补贴|供应|筹措|供地|评定|打造|组建|建设|创建|实施|稳定在|"
                          r"盘活|吸引|带动|服务|惠及|覆盖|开展|举办|办好|推动|推进|加快")
_SPECIAL_QUANT = re.compile(r"两位数增长|倍增|翻一番|翻番|[一二两三四五六七八九十]+所|各一所|(?:[一二两三四五六七八九十]|\d)成以上")


def quantities(sentence: str) -> list[tuple[int, str]]:
    """(position, text) of the numbers with a unit that can be commitments (name-numbers removed)."""
    s = _norm(sentence)
    masked = _NAME_NUMBERS.sub(lambda m: "#" * len(m.group()), s)
    out = []
    for m in _NUM_UNIT.finditer(masked):
        if m.group().endswith("年") and not re.search(r"\d+年(?:内|以上|以内)", masked[m.start():m.end() + 2]):
            continue  # a bare "N年" is a period or a name, not an output
        if m.group().endswith(("天", "期", "批", "种", "对", "组")):
            continue
        before = masked[max(0, m.start() - 8):m.start()]
        if _DESCRIPTIVE_BEFORE.search(before):
            continue
        if _ATTRIBUTE_BEFORE.search(before) or (re.match(r"[^,;，；。]{0,3}的", masked[m.end():m.end() + 4])
                                                 and not re.search(r"达到|提高|增长|新增|完成|超过|突破", before)):
            continue  # an attribute of a named thing ("总投资N亿元的…", "N万吨的粮食储备库")
        out.append((m.start(), m.group()))
    return out


def lf_target_number(sentence: str, section: tuple) -> str | None:
    """A number with a unit (not a name-number, not a description of the set) next to a delivery verb → target."""
    s = _norm(sentence)
    for pos, _ in quantities(s):
        window = s[max(0, pos - 25):pos + 12]
        if _TARGET_VERB.search(window):
            return "target"
    return None


def lf_target_strive(sentence: str, section: tuple) -> str | None:
    """力争/确保/达到/提高至/控制在 … + a number → target."""
    s = _norm(sentence)
    qs = quantities(s)
    if not qs:
        return "target" if _SPECIAL_QUANT.search(s) and re.search(r"力争|确保|实现", s) else None
    for pos, _ in qs:
        if re.search(r"(?:力争|确保|争取|达到|提高到|提高至|提升至|控制在|增长|下降|降低|不低于|不少于|超过|突破)[^。;]{0,30}$",
                     s[max(0, pos - 30):pos]) or re.match(r"\S{0,4}(?:以上|以内|左右)", s[pos + 1:pos + 12]):
            return "target"
    return None


def lf_target_percent(sentence: str, section: tuple) -> str | None:
    """A percentage or percentage-point figure (not a name) → target."""
    s = _norm(sentence)
    if any(q.endswith(("%", "个百分点", "‰")) for _, q in quantities(s)):
        return "target"
    return None


_MILESTONE = r"开工|竣工|建成|投用|启用|贯通|通车|投产|完工|交付|开馆|开园|开业|开学|运营|收储|延伸|主体完工|封顶|并网|试运行|落成"
_FACILITY = (r"医院|院区|学校|中学|小学|幼儿园|学院|中心|馆|园|公园|路|桥|线|站|工程|厂|场|基地|大道|隧道|枢纽|机场|水库|"
             r"片区|地块|综合体|小区|公寓|大厦|楼|港|码头|管网|电站|城|街区|项目|广场|村|仓|库|河|渠|灌区|高速|铁路|快速路|"
             r"变电站|输变电|大楼|安置区|市场|剧院|体育场|体育馆")
_NAMED_FACILITY = re.compile(
    rf"(?:[\u4e00-\u9fffA-Za-z0-9“”\"()·—-]{{2,14}})(?:{_FACILITY})(?:[\u4e00-\u9fff、“”\"]{{0,10}})?(?:{_MILESTONE})|"
    rf"(?:{_MILESTONE})(?:建设)?[\u4e00-\u9fff“”\"()0-9·—-]{{2,16}}(?:{_FACILITY})")
_NAMED_HINT = re.compile(r"“[^”]{2,14}”|[\u4e00-\u9fff]{2,}(?:路|桥|河|村|镇|街|山|湖|江|港|湾)|"
                         r"(?:医院|学校|中学|小学|幼儿园|馆|公园|水库|机场|隧道|变电站|输变电|大道|高速|铁路|快速路|国道|省道|"
                         r"灌区|码头|枢纽)|\d+(?:kV|千伏)|[A-Z]\d+")


def lf_project_milestone(sentence: str, section: tuple) -> str | None:
    """A milestone verb (开工, 竣工, 建成, 投用, 启用, 贯通 …) close to a named facility → project."""
    s = _norm(sentence)
    for m in _NAMED_FACILITY.finditer(s):
        chunk = m.group()
        if _NAMED_HINT.search(chunk) and not re.search(r"一批|重大项目|重点项目|各类|年度", chunk):
            return "project"
    return None


_PROJECT_BUILD = re.compile(r"(?:新建|改扩建|扩建|迁建|续建|建设|推进|加快|谋划|启动|规划建设|实施)[^,;。]{0,3}"
                            r"([\u4e00-\u9fff0-9“”\"A-Za-z]{2,12}(?:医院|院区|学校|中学|小学|幼儿园|水库|机场|隧道|变电站|"
                            r"输变电工程|大桥|高速公路|铁路|快速路|国道|综合体|体育馆|体育场|图书馆|博物馆|公园|污水处理厂|"
                            r"安置区|回迁区|灌区|枢纽))")


def lf_project_named_build(sentence: str, section: tuple) -> str | None:
    """Building, extending or preparing a facility that has a proper name (…医院, …水库, …大桥) → project."""
    s = _norm(sentence)
    for m in _PROJECT_BUILD.finditer(s):
        name = m.group(1)
        if not re.match(r"^(?:一批|各类|城乡|农村|乡村|社区|基层|新|公办|民办|城市|口袋|郊野|体育|湿地|森林|生态|智慧|数字|"
                        r"中小|标准化|规范化|示范|省级|市级|国家级|县级|重点|重大|高标准|多个|一所|两所|三所)", name):
            return "project"
    return None


_FAC = (r"(?:医院|院区|学校|中学|小学|幼儿园|校区|大学|学院|博物馆|图书馆|体育馆|体育场|文化馆|美术馆|科技馆|动物馆|公园|植物园|"
        r"广场|大道|大街|隧道|高速|高铁|铁路|城际|机场|码头|水库|灌区|管网|电站|变电站|输变电工程|产业园|工业园|物流园|"
        r"科技城|综合体|安置区|安置房|回迁区|新城|地块|停车场|储备库|景观带|度假区|航天港|线|路|桥|站|厂)")
_GENERIC_NAME = re.compile(r"^(?:一批|各类|重点|重大|城乡|农村|乡村|公办|城市|新型|现代|智慧|数字|标准化|国家级|省级|市级|县级|"
                           r"基础设施|民生|产业|在建|新开工|续建|签约|招商|储备|前期|配套|公共|社区|基层|区域|示范|创新|服务|"
                           r"平台|企业|特色|高标准|高质量|全民健身|口袋|老旧|传统|新能源|数字化|水利|交通|能源|生态|一体化|这些|"
                           r"相关|所有|更多|有关|各级|背街|受损|一流|绿色|零碳|国际|国家|全国|高校|\d|"
                           r"推进|推动|支持|加强|强化|鼓励|以|是|继续|攻坚|编制|全力|积极|紧抓|统筹|协同|促进|打造|建设|"
                           r"启动|加快|实施|谋划|完成|新建|改造|提升)")
_BUILD = (r"(?:建设|推进|加快|启动|完成|实施|谋划|开工|改造|续建|迁改|迁建|新建|改扩建|扩建|打造|提升|力促|投产|竣工|建成|"
          r"开馆|开园|投用|启用|贯通|落地|前期工作|扫尾)")
_FAC_AFTER_VERB = re.compile(rf"{_BUILD}[^,;。:]{{0,3}}?([\u4e00-\u9fff0-9A-Za-z()·—\-“”]{{2,14}}?{_FAC})")
_FAC_BEFORE_VERB = re.compile(rf"([\u4e00-\u9fff0-9A-Za-z()·—\-“”]{{2,14}}?{_FAC})[\u4e00-\u9fff]{{0,4}}?"
                              r"(?:建设|开工|竣工|建成|投用|启用|开馆|贯通|投产|改造|前期工作)")
_NAMED_LIST = re.compile(r"[\u4e00-\u9fff]{2,10}、[\u4e00-\u9fff]{2,10}(?:、[\u4e00-\u9fff]{2,10})*等(?:在建|重点|签约)?项目")


def lf_project_facility(sentence: str, section: tuple) -> str | None:
    """A facility with a non-generic name (…医院, …产业园, …大道, X、Y等项目) and a building step → project."""
    s = _norm(sentence)
    if _NAMED_LIST.search(s):
        return "project"
    for rx in (_FAC_AFTER_VERB, _FAC_BEFORE_VERB):
        for m in rx.finditer(s):
            name = m.group(1)
            if not _GENERIC_NAME.search(name) and not re.search(r"一批|等$", name):
                return "project"
    return None


_INSTITUTION = re.compile(
    r"(?:健全|完善|建立|构建|建成|形成|创新|优化|规范|制定|出台|修订|实行|推行|落实|执行|用好|深化|改进|探索|严格|"
    r"发挥|抓实|压实|实施|推进|提高|调整|上调)"
    r"[^。;]{0,24}?(?:机制|制度|体制|清单|标准|规范|责任制|条例|办法|规则|长制|考核|评价体系|治理体系|服务体系|保障体系|"
    r"管理体系|监管体系|政策体系|法规|规章|双随机|一公开|承诺制|备案制|负面清单|代建制|责任体系|补贴标准|保障标准|救助标准|"
    r"清单化管理|清单管理)")
_INSTITUTION_SYSTEM = re.compile(r"(?:教育|医疗|卫生|养老|社会保障|社保|救助|应急|安全|治理|监管|服务|法律|法治|信用|标准|"
                                 r"治安|防控|保障|供应|统计|预算|财政|税收|公共文化|人才|制度|政策|住房|监测|评价|考核)体系")
_REFORM = re.compile(r"(?:深化|推进|推动|实施|开展|完成|启动|探索|推行|扩大)[^。;]{0,24}改革|改革试点|综合改革|改革创新试点|"
                     r"试验区|示范区建设试点|一网通办|一件事一次办|一业一证|放管服|证照分离|双随机|河长制|林长制|田长制|"
                     r"接诉即办|包干制|零基预算|承诺制|容缺|标准地|告知承诺|[河湖林田路]+长制|(?:制度|政策|机制|改革|保障|管理|产权)[^。;]{0,4}试点|通办|证明事项|审批制度|行政许可|"
                     r"审批模式|数字政府|市场化改革|产权交易")


def lf_institution_mechanism(sentence: str, section: tuple) -> str | None:
    """健全/完善/建立/落实 … 机制, 制度, 体制, 清单, 标准, 规范 … → institution."""
    s = _norm(sentence)
    m = _INSTITUTION.search(s)
    if m and "产业体系" not in m.group():
        return "institution"
    if _INSTITUTION_SYSTEM.search(s) and re.search(r"健全|完善|建立|构建|建设|形成|优化", s):
        return "institution"
    return None


def lf_institution_reform(sentence: str, section: tuple) -> str | None:
    """A named reform, regulatory regime or institutional pilot → institution (not 改革 as a bare field)."""
    s = _norm(sentence)
    m = _REFORM.search(s)
    if not m:
        return None
    if m.group().endswith("改革") and re.search(r"(?:重点|各项|各领域|重点领域|体制机制|深层次|关键|战略战役性|市场化|全面深化)"
                                               r"改革$|^(?:深化|推进|推动)改革$", m.group()):
        return None
    return "institution"


_MEASURE = re.compile(
    r"(?:实施|启动|深入实施|开展|推进|推动|深化|继续实施)[^。;]{0,20}?(?:行动|计划|工程|专项|攻坚战|保卫战|三年行动|示范|活动|"
    r"整治|工作法|战略)|"
    r"(?:开展|组织|举办|办好|承办|筹办|举行|参加|组织参加)[^。;]{0,18}?(?:活动|会|节|赛|展|论坛|大赛|月|周|培训|竞赛|推介|"
    r"宣传|招聘|专项|行动|检查|排查|整治)|"
    r"(?:建设|打造|搭建|建立|设立|组建|成立|布局|培育|创建|争创|申报)[^。;]{0,16}?(?:平台|中心|基地|联盟|园区|街区|"
    r"网络|站|驿站|专班|基金|品牌|示范区|示范县|示范村|集群|队伍|样板|矩阵|场景|窗口|服务站|服务点|社区)|"
    r"(?:引进|招引|推出|出台|制定|发放|发行|设立|落实|兑现|用好|优化)[^。;]{0,14}?(?:政策|措施|举措|资金|补贴|消费券|专项债|"
    r"基金|贷款|项目|企业|人才|团队)|"
    r"“[^”]{2,14}”(?:行动|计划|工程|活动|品牌|专项|模式|项目|平台|服务)|"
    r"保卫战|攻坚战|攻坚行动|专项整治|综合整治|集中整治|专项行动|专项斗争|一批|以旧换新|消费券|贴息|免征|减免|退税|"
    r"(?:落实|实施|出台|完善|用好|推广|制定)[^。;]{0,12}?(?:政策|措施|方案|举措|补贴)|"
    r"创建[^。;]{0,8}?(?:文明城|卫生城|园林城|森林城|示范)|"
    r"(?:开展|深入开展|常态化开展|持续开展)")


# the year's guiding thought and overall requirements are directions, whatever programmes they list
_FRAMING = re.compile(r"总体(?:要求|思路|部署)(?:是|为)|以习近平新时代中国特色社会主义思想为指导|^(?:坚持|坚决落实|深入贯彻)")


def lf_measure_action(sentence: str, section: tuple) -> str | None:
    """实施…行动/计划/工程, 开展…活动, 举办…, 建设…平台/中心, 引进/出台 … → measure."""
    s = _norm(sentence)
    return "measure" if _MEASURE.search(s) and not _FRAMING.search(s) else None


def lf_measure_named(sentence: str, section: tuple) -> str | None:
    """A generic verb with a quoted or otherwise named programme → measure."""
    s = _norm(sentence)
    if _FRAMING.search(s):
        return None
    for m in re.finditer(r"(?:实施|推进|深化|开展|打造|建设|推广|落实|办好|用好|打响|做强|做优)[^。;]{0,6}“([^”]{2,16})”", s):
        if not re.match(r"[一二两三四五六七八九十百千万双]+(?:个|大|项|条|张)?[^”]{0,4}$|双", m.group(1)):
            return "measure"  # a named programme, not a numbered slogan (“两个毫不动摇”, “双碳”)
    return None


_PRINCIPLE_START = re.compile(
    r"^(?:[一二三四五六七八九十]+是)?(?:要|必须|我们要|将|继续|持续|进一步|更加|更好|全力|大力|着力|积极|努力|加快|全面|深入|扎实|"
    r"切实|坚决|不断|始终|稳步|有序|统筹|坚持|推动|加强|提升|促进|深化|推进|强化|优化|巩固|筑牢|守牢|维护|保障|支持|做好|"
    r"抓好|发展|培育|扩大|增强|提高|完善|健全|构建|打造|建设|落实|发挥|营造|激发|释放|聚焦|围绕|突出|把|以|用|让|对|在|严格|"
    r"严守|牢牢|紧紧|牢固|树立|弘扬|践行|服务|保持|稳定|稳住|加大|鼓励|引导|规范|防范|坚定|贯彻)")
_ABSTRACT = re.compile(r"水平|能力|质量|效能|活力|动能|优势|作用|环境|体系|格局|高质量发展|建设|发展|工作|力度|韧性|竞争力|"
                       r"底线|红线|精神|理念|方向|导向|原则|意识|氛围|成果|基础|地位|功能|品质|成效|安全|稳定|福祉|获得感|"
                       r"幸福感|安全感|协同|融合|转型|升级|领导|信心|预期|合力|保障|监督|管理|服务")


_DIRECTION_VERB = re.compile(
    r"坚持|推动|加强|提升|促进|深化|推进|强化|优化|巩固|筑牢|守牢|守住|兜牢|维护|保障|支持|做好|抓好|发展|培育|扩大|增强|"
    r"提高|完善|构建|打造|建设|落实|发挥|营造|激发|释放|聚焦|围绕|突出|严格|严守|牢牢|牢固|树立|弘扬|践行|服务|保持|"
    r"稳定|稳住|加大|鼓励|引导|规范|防范|坚定|贯彻|自觉|主动|积极|着力|全力|大力|加快|持续|不断|努力|进一步|更加|"
    r"切实|扎实|全面|深入|统筹|壮大|拓展|拓宽|丰富|重视|关注|关心|呵护|用好|抓实|做实|做强|做优|做大|提质|升级|"
    r"健全|防止|遏制|畅通|增进|改善|减轻|确保|保护|传承|厚植|涵养|锻造|夯实|紧扣|瞄准|对接|融入|承接|争取|谋划")


def lf_principle_direction(sentence: str, section: tuple) -> str | None:
    """坚持/推动/加强/提升 … + an abstract quality, with no concrete act → principle."""
    s = _norm(sentence)
    if _PRINCIPLE_START.search(s) and _ABSTRACT.search(s):
        return "principle"
    return None


def lf_principle_verb(sentence: str, section: tuple) -> str | None:
    """Any directional verb (the fallback of the decision order: a commitment with nothing concrete) → principle."""
    return "principle" if _DIRECTION_VERB.search(_norm(sentence)) else None


def lf_principle_short(sentence: str, section: tuple) -> str | None:
    """A short commitment line with no number or named thing (a paragraph's lead sentence) → principle."""
    s = _norm(sentence)
    if len(s) <= 26 and not re.search(r"\d|“", s) and _PRINCIPLE_START.search(s):
        return "principle"
    return None


_NONE = re.compile(
    r"^(?:各位代表|让我们|同志们|我们坚信|我们深知|我们(?:也)?(?:要)?清醒(?:地)?(?:认识|看到)|同时(?:也)?要看到|"
    r"(?:今年|明年|\d{4}年)(?:将召开|是|,是)|过去(?:的)?一年|过去五年|一年来|五年来|回顾|去年)|"
    r"^(?:[\[【]\d+[\]】]|※|名词解释|注释|注:)|"
    r"^(?:在具体工作中,)?(?:重点|着力|要)?(?:抓好|做好|突出抓好)?以下[一二三四五六七八九十几]+(?:个)?方面(?:的)?(?:工作|重点)?[:。]?$|"
    r"^(?:今年要|重点|要)?(?:重点)?(?:做好|抓好)[一二三四五六七八九十]+(?:个)?方面(?:的)?工作[:。]$|"
    r"[:：]$")
_LOOKBACK = re.compile(r"取得(?:了)?(?:重大|显著|明显|积极|新的)?(?:进展|成效|成绩|突破)|已经|已(?:实现|完成|建成)|"
                       r"成效明显|成效显著|初步形成|基本面|没有变|不会改变|是.{0,20}的(?:基础|关键|重要)")


def lf_none_rhetoric(sentence: str, section: tuple) -> str | None:
    """Salutations, rallying calls, framing of the year, bare transitions, footnote/glossary lines → none."""
    s = _norm(sentence)
    if _NONE.search(s):
        if re.match(r"^(?:让我们|我们要更加紧密)", s) or not re.search(r"(?:实施|建设|推进|完善|健全|坚持)[^。]{6,}", s) \
                or re.match(r"^(?:[\[【]\d+[\]】]|※|名词解释|注释)", s):
            return "none"
    return None


_COPULA = re.compile(r"^[^,;:]{2,40}?(?:是|就是|已成为|越来越成为)[^,;]{2,}")


def lf_none_description(sentence: str, section: tuple) -> str | None:
    """A description, a statement of fact or a look-back, with no commitment verb → none."""
    s = _norm(sentence)
    if re.search(r"力争|确保|要|将|必须|加快|推进|推动|实施|开展|坚持|加强|建设|完善|落实|深化|提升|打造|一定", s):
        return None
    if _LOOKBACK.search(s) or _COPULA.search(s) or re.search(r"并非易事|任重道远|挑战(?:多|不少)|压力(?:较大|不小)", s):
        return "none"
    return None


TYPE_LFS: dict[str, LF] = {
    "none_rhetoric": lf_none_rhetoric,
    "none_description": lf_none_description,
    "target_number": lf_target_number,
    "target_strive": lf_target_strive,
    "target_percent": lf_target_percent,
    "project_milestone": lf_project_milestone,
    "project_named_build": lf_project_named_build,
    "project_facility": lf_project_facility,
    "institution_mechanism": lf_institution_mechanism,
    "institution_reform": lf_institution_reform,
    "measure_action": lf_measure_action,
    "measure_named": lf_measure_named,
    "principle_direction": lf_principle_direction,
    "principle_short": lf_principle_short,
    "principle_verb": lf_principle_verb,
}

# --------------------------------------------------------------------------------------------
# aggregation

GUIDELINE_ORDER: tuple[str, ...] = TYPE_CODES  # none → target → project → institution → measure → principle
# Measured with training/weak_labels.py --evaluate on the 1,784 gold sentences (eval/results/weak_labels.json).
# Type: the guideline order (accuracy 0.793 where labelled) measured at least as well as the precision-aware
# order none > target > institution > project > measure > principle (0.793), so the guideline order is kept.
TYPE_ORDER: tuple[str, ...] = GUIDELINE_ORDER
# Area: each LF's accuracy where it votes (rerun --evaluate and paste the literal it prints after changing an LF).
AREA_WEIGHTS: dict[str, float] = {
    "area_heading": 0.7251, "kw_economy": 0.7838, "kw_reform": 0.75, "kw_innovation": 0.7805, "kw_space": 0.7879,
    "kw_culture": 0.8526, "kw_livelihood": 0.8446, "kw_governance": 0.8675, "area_general": 0.9286,
    "area_target_list": 1.0, "area_rural": 0.6286, "area_defence_foreign": 0.7209, "area_opening": 0.6667,
    "area_risk_governance": 0.8039, "area_sme_finance": 0.6364, "area_school_hospital": 0.8367,
    "area_culture_sports": 0.6575, "area_innovation_core": 0.75,
}


def combine(votes: Mapping[str, str | None] | Iterable[str | None], order: Iterable[str] | Mapping[str, float] | None = None,
            ) -> str | None:
    """Aggregate LF votes into one label (``None`` when every LF abstained).

    ``order`` a sequence of labels: the first label in that order that some LF voted for (the
    type head's decision order). ``order`` a mapping LF name → weight: a weighted majority over
    ``votes`` (a mapping LF name → vote), ties broken by the label's first appearance; LFs missing
    from the mapping weigh 0.5.
    """
    if isinstance(votes, Mapping):
        named = [(k, v) for k, v in votes.items() if v is not None]
    else:
        named = [(None, v) for v in votes if v is not None]
    if not named:
        return None
    if isinstance(order, Mapping):
        totals: dict[str, float] = {}
        for name, v in named:
            totals[v] = totals.get(v, 0.0) + float(order.get(name, 0.5))
        return max(totals, key=lambda v: totals[v])  # max keeps the first of equal totals
    seq = tuple(order) if order is not None else TYPE_ORDER
    voted = {v for _, v in named}
    for label in seq:
        if label in voted:
            return label
    return named[0][1]


def area_votes(sentence: str, section: tuple = ()) -> dict[str, str | None]:
    return {name: lf(sentence, tuple(section or ())) for name, lf in AREA_LFS.items()}


def type_votes(sentence: str, section: tuple = ()) -> dict[str, str | None]:
    return {name: lf(sentence, tuple(section or ())) for name, lf in TYPE_LFS.items()}


def weak_label(sentence: str, section: tuple = ()) -> tuple[str | None, str | None]:
    """(area, type) from the LFs and the stored aggregation settings; either may be None."""
    area = combine(area_votes(sentence, section), AREA_WEIGHTS)
    ctype = combine(type_votes(sentence, section), TYPE_ORDER)
    return area, ctype
