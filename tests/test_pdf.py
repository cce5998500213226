"""PDF reports and hard-wrapped text: extraction (pypdfium2), running headers/footers, joined lines.

The PDFs are written here, offline and without reportlab: a few PDF objects with the standard
non-embedded CID font STSong-Light (Adobe-GB1, UniGB-UCS2-H), as reportlab's built-in CJK font
writes them, so every viewer and PDFium can read them. The sample report is laid out at ~30
characters a line (ASCII runs kept whole, no line starting with closing punctuation, as typesetters
do), 38 lines a page, with a running header, footer and page number.
"""
import re
import sys
import unicodedata
import zlib
from pathlib import Path

import pytest

from xhnlp import cli
from xhnlp.reading import ReadError, decode, find_files, read_bytes, read_file
from xhnlp.segment import segment, sentences
from xhnlp.unwrap import looks_wrapped, unwrap_text

try:
    import pypdfium2  # noqa: F401
    HAVE_PDFIUM = True
except ImportError:
    HAVE_PDFIUM = False
needs_pdfium = pytest.mark.skipif(not HAVE_PDFIUM, reason='pypdfium2 not installed (pip install "xhnlp[pdf]")')

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
NO_LINE_START = set("，。、；：？！）》”’,.;:?!)%")


# --- writing test PDFs -------------------------------------------------------------------------
def _em(ch: str) -> float:
    return 0.5 if " " <= ch <= "~" else 1.0  # STSong-Light: half-width ASCII, full-width the rest


def wrap(paragraph: str, chars: float) -> list[str]:
    """Lines of at most ``chars`` em: ASCII runs kept whole, no line starts with closing punctuation."""
    lines, current, width = [], "", 0.0
    for token in re.findall(r"[A-Za-z0-9.%]+|.", paragraph):
        w = sum(map(_em, token))
        if current and width + w > chars:
            if token[0] in NO_LINE_START and len(current) > 1:  # take the last character along
                lines.append(current[:-1])
                current = current[-1]
            else:
                lines.append(current)
                current = ""
            width = sum(map(_em, current))
        current += token
        width += w
    return lines + [current] if current else lines


def pdf_bytes(pages, unicode_map=True) -> bytes:
    """A PDF whose pages hold ``(x, y, text, size)`` strings or an ``("image",)`` (a scan).
    ``unicode_map=False``: glyphs whose ToUnicode map points into the private use area (no real text)."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    desc = add(b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
               b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
    cid = add(b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) "
              b"/Ordering (GB1) /Supplement 2 >> /FontDescriptor %d 0 R /DW 1000 /W [1 95 500] >>" % desc)
    if unicode_map:
        font = add(b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
                   b"/DescendantFonts [%d 0 R] >>" % cid)
    else:
        cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CIDSystemInfo << /Registry (Adobe) "
                b"/Ordering (UCS) /Supplement 0 >> def /CMapName /X def /CMapType 2 def 1 begincodespacerange "
                b"<0000> <FFFF> endcodespacerange 1 beginbfrange <4E00> <9FFF> <E000> endbfrange endcmap "
                b"CMapName currentdict /CMap defineresource pop end end")
        to_unicode = add(b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream")
        font = add(b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
                   b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (cid, to_unicode))
    image = add(b"<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 /Length 64 >>\nstream\n" + bytes(range(64)) + b"\nendstream")
    parent = add(b"")
    kids = []
    for items in pages:
        ops = []
        for item in items:
            if item[0] == "image":
                ops.append("q 400 0 0 600 100 100 cm /Im1 Do Q")
            else:
                x, y, text, size = item
                ops.append(f"BT /F1 {size} Tf {x:.2f} {y:.2f} Td <{text.encode('utf-16-be').hex()}> Tj ET")
        stream = zlib.compress("\n".join(ops).encode("ascii"))
        content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R /Resources "
                        b"<< /Font << /F1 %d 0 R >> /XObject << /Im1 %d 0 R >> >> >>" % (parent, content, font, image)))
    objects[parent - 1] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (
        len(kids), " ".join(f"{k} 0 R" for k in kids).encode())
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % parent)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    return bytes(out)


def laid_out(text: str, chars: float = 30, per_page: int = 38, indent: bool = True) -> list[list[tuple[float, str]]]:
    """The report's paragraphs wrapped at ``chars`` em, as pages of (indent in em, line)."""
    lines = []
    for paragraph in text.splitlines():
        if paragraph.strip():
            for i, line in enumerate(wrap(paragraph.strip(), chars - (2 if indent else 0))):
                lines.append((2 if indent and i == 0 else 0, line))
    return [lines[i:i + per_page] for i in range(0, len(lines), per_page)]


def report_pdf(text: str, header: str | None, footer: str | None, chars: float = 30, indent: bool = True,
               size: float = 12) -> bytes:
    pages = laid_out(text, chars, indent=indent)
    drawn = []
    for n, page in enumerate(pages, 1):
        items = []
        y = 770.0
        for ind, line in page:
            items.append((72 + ind * size, y, line, size))
            y -= size * 1.6
        # furniture drawn after the body on some pages, before it on others: order must not matter
        furniture = [(72, 805, header.format(n=n, total=len(pages)), 9)] if header else []
        furniture += [(250, 40, footer.format(n=n, total=len(pages)), 9)] if footer else []
        drawn.append(items + furniture if n % 2 else furniture + items)
    return pdf_bytes(drawn)


def wrapped_txt(text: str, header: str | None, footer: str | None, chars: float = 30, form_feed: bool = False,
                indent: str = "") -> str:
    """The report as text copied out of such a PDF: one line per printed line, furniture included."""
    pages = laid_out(text, chars, indent=bool(indent))
    out = []
    for n, page in enumerate(pages, 1):
        lines = [header.format(n=n, total=len(pages))] if header else []
        lines += [(indent if ind else "") + line for ind, line in page]
        lines += [footer.format(n=n, total=len(pages))] if footer else []
        out.append("\n".join(lines))
    return ("\f" if form_feed else "\n").join(out) + "\n"


# --- comparing with the .txt -------------------------------------------------------------------
def fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def check_like_sample(text: str, sample_text: str, furniture: list[str]) -> float:
    want = [fold(s) for s in sentences(sample_text)]
    got = [fold(s) for s in sentences(text)]
    agreement = sum(1 for s in set(got) & set(want)) / len(set(want))
    heads = {fold(p.content) for p in segment(text) if p.kind == "heading"}
    missing = [fold(p.content) for p in segment(sample_text) if p.kind == "heading" and fold(p.content) not in heads]
    assert agreement >= 0.98, (agreement, [s for s in got if s not in want][:5])
    assert not missing, missing
    for f in furniture:
        assert not any(fold(f) in s for s in got), f
    return agreement


HEADER = "徐汇区2025年政府工作报告"
BROWSER_HEADER = "12/1/26, 6:05 PM 徐汇区2025年政府工作报告"
BROWSER_FOOTER = "file:///home/user/报告/xuhui_2025.html {n}/{total}"
LAYOUTS = [
    pytest.param(dict(header=HEADER, footer="- {n} -"), id="header+dashed-page-number"),
    pytest.param(dict(header=BROWSER_HEADER, footer=BROWSER_FOOTER, indent=False), id="browser-print"),
    pytest.param(dict(header=None, footer="第{n}页 共{total}页", chars=28), id="chinese-page-number-28"),
    pytest.param(dict(header=HEADER, footer="{n}", chars=45), id="bare-page-number-45"),
]


def _furniture(layout: dict, pages: int = 7) -> list[str]:
    return [f.format(n=n, total=pages) for f in (layout.get("header"), layout.get("footer")) if f
            for n in range(1, pages + 1) if len(fold(f.format(n=n, total=pages))) > 3]


# --- PDF ------------------------------------------------------------------------------------------
@needs_pdfium
@pytest.mark.parametrize("layout", LAYOUTS)
def test_pdf_of_the_sample_tags_like_the_txt(tmp_path, sample_text, layout):
    path = tmp_path / "report.pdf"
    path.write_bytes(report_pdf(sample_text, **layout))
    doc = read_file(path)
    assert doc.encoding == "pdf" and doc.unwrapped
    agreement = check_like_sample(doc.text, sample_text, _furniture(layout))
    assert agreement == 1.0  # these layouts lose nothing; the bar for others is 98 %
    assert "第1页" not in doc.text and "- 1 -" not in doc.text and "file:///" not in doc.text


@needs_pdfium
def test_pdf_found_by_its_header_whatever_its_name(tmp_path, sample_text):
    data = report_pdf(sample_text, HEADER, "- {n} -")
    for name in ("report.txt", "report", "report.PDF"):
        (tmp_path / name).write_bytes(data)
        assert read_file(tmp_path / name).encoding == "pdf"
    raw = read_file(tmp_path / "report", unwrap=False)  # the PDF's own lines, furniture and all
    assert not raw.unwrapped and raw.text.count(HEADER) >= 7 and "- 3 -" in raw.text
    assert max(len(line) for line in raw.text.splitlines()) <= 40


@needs_pdfium
def test_pdf_keeps_a_title_that_repeats_the_running_header(sample_text):
    doc = read_bytes(report_pdf(HEADER + "\n" + sample_text, HEADER, "- {n} -"), "t.pdf")
    assert doc.text.startswith(HEADER + "\n二、2025年主要任务\n") and doc.text.count(HEADER) == 1


@needs_pdfium
def test_scanned_and_unreadable_pages_get_one_line_errors_naming_them(tmp_path):
    text = [(72, 700, "推动经济高质量发展，加强民生保障，全面深化改革开放。" * 2, 12)]
    path = tmp_path / "scan.pdf"
    path.write_bytes(pdf_bytes([text, [("image",)], [("image",)], text, [("image",)]]))
    with pytest.raises(ReadError, match=r"no extractable text on pages 2-3, 5 .*OCR") as err:
        read_file(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)
    path.write_bytes(pdf_bytes([text, text, [("image",)]], unicode_map=False))
    with pytest.raises(ReadError, match=r"page 3 .*; unreadable text .* on pages 1-2; run OCR") as err:
        read_file(path)
    assert "\n" not in str(err.value)
    path.write_bytes(pdf_bytes([text, []]))  # a blank page is no problem
    assert read_file(path).text == "推动经济高质量发展，加强民生保障，全面深化改革开放。" * 2 + "\n"


@needs_pdfium
@pytest.mark.parametrize("data,message", [
    (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "not a readable PDF"),
    (b"%PDF-1.7\n" + bytes(range(256)) * 4, "not a readable PDF"),
    ("这不是PDF文件。".encode(), "not a PDF"),
])
def test_broken_pdfs(tmp_path, data, message):
    path = tmp_path / "x.pdf"
    path.write_bytes(data)
    with pytest.raises(ReadError, match=message) as err:
        read_file(path)
    assert "\n" not in str(err.value)


def test_pdf_without_pypdfium2_names_the_extra(tmp_path, monkeypatch, sample_text, capsys):
    monkeypatch.setitem(sys.modules, "pypdfium2", None)  # import pypdfium2 -> ImportError
    monkeypatch.setitem(sys.modules, "pypdfium2.raw", None)
    path = tmp_path / "in" / "a.pdf"
    path.parent.mkdir()
    path.write_bytes(pdf_bytes([[(72, 700, "推动经济高质量发展。", 12)]]))
    with pytest.raises(ReadError) as err:
        read_file(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message and 'pip install "xhnlp[pdf]"' in message
    (path.parent / "b.txt").write_text(sample_text, encoding="utf-8")  # the other file is still tagged
    out = tmp_path / "o.jsonl"
    code = cli.main(["tag", str(path.parent), "-o", str(out), "--model", "baseline", "-q"])
    err_lines = [line for line in capsys.readouterr().err.splitlines() if "a.pdf" in line]
    assert code != 0 and err_lines and all('pip install "xhnlp[pdf]"' in line for line in err_lines)
    assert out.read_text(encoding="utf-8").count('"doc"') >= 150


def test_find_files_lists_pdf_and_doc_but_not_readme(tmp_path):
    for name in ("a.pdf", "b.doc", "c.wps", "README.pdf", "d.png", "e.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert [f.name for f in find_files([tmp_path])] == ["a.pdf", "b.doc", "c.wps", "e.txt"]


# --- hard-wrapped text ------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS + [
    pytest.param(dict(header=BROWSER_HEADER, footer=BROWSER_FOOTER, form_feed=True), id="form-feeds"),
    pytest.param(dict(header=None, footer=None, chars=30, indent="\u3000\u3000"), id="indented-no-furniture"),
    pytest.param(dict(header=None, footer=None, chars=60), id="60-wide"),
])
def test_hard_wrapped_txt_is_detected_and_joined(tmp_path, sample_text, layout):
    wrapped = wrapped_txt(sample_text, **layout)
    path = tmp_path / "copied.txt"
    path.write_text(wrapped, encoding="utf-8")
    assert looks_wrapped(wrapped)
    doc = read_file(path)
    assert doc.unwrapped and doc.encoding == "utf-8"
    check_like_sample(doc.text, sample_text, _furniture(layout))
    assert read_file(path, unwrap=False).text == wrapped  # forced off: as it is


def test_paragraph_per_line_text_is_not_wrapped_and_forcing_changes_nothing(tmp_path, sample_text):
    assert not looks_wrapped(sample_text)
    path = tmp_path / "s.txt"
    path.write_text(sample_text, encoding="utf-8")
    assert not read_file(path).unwrapped
    one_per_line = sample_text.rstrip("\n") + "\n"
    assert unwrap_text(sample_text) == one_per_line and read_file(path, unwrap=True).text == one_per_line


def test_joining_keeps_headings_and_report_lines():
    text = ("一、2025年主要任务\n今年是“十四五”规划收官之年。做好今年工作,要以习\n近平新时代中国特色社会主义思想为指导,"
            "全面贯彻落\n实党的二十大精神,按照十一届区委八次全会部署,坚\n持稳中求进工作总基调。\n(一)坚持以进促稳,进一步推动\n"
            "坚持长短结合、聚焦重点,强化经济运行调度,注重政策\n措施协同联动,下更大力气巩固和增强经济回升向好态\n势。\n"
            "3\n全力推动经济稳增长。大力提振消费,积极发展首发经\n济、品牌经济、夜间经济、银发经济。\n4\n")
    out = unwrap_text(text)
    assert out.splitlines() == [
        "一、2025年主要任务",
        "今年是“十四五”规划收官之年。做好今年工作,要以习近平新时代中国特色社会主义思想为指导,全面贯彻落实党的"
        "二十大精神,按照十一届区委八次全会部署,坚持稳中求进工作总基调。",
        "(一)坚持以进促稳,进一步推动",
        "坚持长短结合、聚焦重点,强化经济运行调度,注重政策措施协同联动,下更大力气巩固和增强经济回升向好态势。",
        "全力推动经济稳增长。大力提振消费,积极发展首发经济、品牌经济、夜间经济、银发经济。"]


def test_outlines_and_tables_are_not_taken_as_wrapped(sample_text):
    headings = "\n".join(p.content for p in segment(sample_text) if p.kind == "heading")
    rows = "\n".join(f"指标{i}｜{i * 7 % 90 + 10}万人｜{i % 9 + 1}%" for i in range(30))
    assert not looks_wrapped(headings) and not looks_wrapped(rows) and not looks_wrapped(rows.replace("｜", "\t"))
    wrapped = wrapped_txt(sample_text, None, None) + rows + "\n"
    assert looks_wrapped(wrapped)
    assert unwrap_text(wrapped).splitlines()[-30:] == rows.splitlines()  # rows are never joined


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus folder absent (as on a user's machine)")
def test_corpus_reports_are_not_taken_as_wrapped_and_read_as_before():
    files = sorted(CORPUS.glob("*.txt")) + [ROOT / "examples" / "xuhui_2025_main_tasks.txt"]
    assert len(files) >= 84
    for path in files:
        doc = read_file(path)
        assert not doc.unwrapped, path.name
        assert (doc.text, doc.encoding) == decode(path.read_bytes(), str(path)), path.name
