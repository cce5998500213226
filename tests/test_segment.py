from hypothesis import given, settings
from hypothesis import strategies as st

from xhnlp.segment import normalize, segment, sentences


def test_sample_report_structure(sample_text):
    pieces = segment(sample_text)
    assert "".join(p.text for p in pieces) == sample_text
    assert sum(p.kind == "sentence" for p in pieces) == 165
    heads = [p.content for p in pieces if p.kind == "heading"]
    assert heads[0] == "二、2025年主要任务"
    assert "(三)把效能建设融入日常。" in heads
    first = next(p for p in pieces if p.content.startswith("坚持长短结合"))
    assert first.section == ("二、2025年主要任务", "(一)坚持以进促稳,进一步推动经济持续向好")
    # a level-2 heading under a new level-1 heading drops the old level-2 heading
    last = [p for p in pieces if p.kind == "sentence"][-1]
    assert last.section[0] == "三、全面提升政府治理现代化水平" and len(last.section) == 2
    for p in pieces:  # offsets index the source
        assert sample_text[p.start:p.end] == p.text


def test_heading_opening_a_paragraph_and_full_width_markers():
    text = "三、2022年工作安排\n（一）着力扩大国内需求。推动消费恢复。加快项目建设！\n1．稳定农业生产。建设高标准农田10万亩。\n"
    pieces = segment(text)
    kinds = [(p.kind, p.content) for p in pieces]
    assert kinds[:4] == [("heading", "三、2022年工作安排"), ("heading", "（一）着力扩大国内需求。"),
                         ("sentence", "推动消费恢复。"), ("sentence", "加快项目建设！")]
    assert kinds[4] == ("heading", "1．稳定农业生产。")
    assert pieces[-1].section == ("三、2022年工作安排", "（一）着力扩大国内需求。", "1．稳定农业生产。")


def test_quotes_and_brackets_stay_with_their_sentence():
    assert sentences("他说：“要加快发展。”然后离开。（注：已完成。）下一句?") == [
        "他说：“要加快发展。”", "然后离开。", "（注：已完成。）", "下一句?"]


def test_line_break_inside_a_sentence_is_mended():
    text = "持续改善空气质量，以PM\n2.5\n浓度持续下降为主线。\n二、下一节\n"
    s = [p for p in segment(text) if p.kind == "sentence"]
    assert len(s) == 1 and normalize(s[0].content) == "持续改善空气质量,以PM2.5浓度持续下降为主线。"


def test_decimal_points_do_not_end_sentences():
    assert sentences("增长5.5%,达到3.2万亿元。") == ["增长5.5%,达到3.2万亿元。"]


def test_normalize_unifies_widths():
    assert normalize(" （一）经济增长５％，") == "(一)经济增长5%,"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("一二三（）()、.．1２。！？!?，,：“”\n \t\r经济发展AZ"))
               | st.characters(), max_size=300))
def test_pieces_always_tile_the_text(text):
    pieces = segment(text)
    assert "".join(p.text for p in pieces) == text
    pos = 0
    for p in pieces:
        assert p.start == pos and p.end == pos + len(p.text)
        pos = p.end
