import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xhnlp.reading import ReadError, decode, find_files, read_bytes, read_file


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_encodings_round_trip(tmp_path, sample_text, encoding):
    path = tmp_path / "r.txt"
    path.write_bytes(sample_text.encode(encoding))
    doc = read_file(path)
    assert doc.text == sample_text
    assert doc.encoding in {encoding, "utf-8-sig" if encoding == "utf-8-sig" else encoding, "gb18030"}
    if encoding == "gbk":
        assert doc.encoding == "gb18030"


@pytest.mark.parametrize("data,message", [
    (b"", "empty file"), (b"  \n\n", "empty file"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR" * 20, "binary"),
    (b"just english text\n", "no Chinese"), (b"\x81\x30\xff\xfa" * 10, "cannot decode"),
])
def test_bad_input_gets_one_line_errors(tmp_path, data, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(ReadError, match=message) as err:
        read_file(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ReadError, match="cannot open"):
        read_file(tmp_path / "nope.txt")
    with pytest.raises(ReadError, match="directory"):
        read_file(tmp_path)


def test_html_and_docx(tmp_path):
    html = "<html><head><style>p{}</style></head><body><p>一、总体要求</p><p>推动经济增长。</p><script>x=1</script></body>"
    (tmp_path / "a.html").write_text(html, encoding="gb18030")
    doc = read_file(tmp_path / "a.html")
    assert doc.text.split("\n")[:2] == ["一、总体要求", "推动经济增长。"] and "x=1" not in doc.text
    import docx

    d = docx.Document()
    d.add_paragraph("一、总体要求")
    d.add_paragraph("推动经济增长。")
    d.save(tmp_path / "b.docx")
    assert read_file(tmp_path / "b.docx").text == "一、总体要求\n推动经济增长。\n"
    (tmp_path / "c.docx").write_bytes(b"PK not really a zip")
    with pytest.raises(ReadError, match="docx"):
        read_file(tmp_path / "c.docx")


def test_find_files_recurses_and_dedups(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("b.txt", "sub/a.docx", "sub/skip.png", "sub/c.pdf", "sub/d.doc", "sub/README.pdf"):
        (tmp_path / name).write_bytes(b"x")
    found = find_files([tmp_path, tmp_path / "b.txt"])
    assert [f.name for f in found] == ["b.txt", "a.docx", "c.pdf", "d.doc"]


def test_html_tables_one_row_a_line_with_cells_apart(tmp_path):
    html = ("<p>一、主要指标</p><table><caption>表1</caption><tr><th>指标</th><th>2024年</th><th>2025年</th></tr>"
            "<tr><td>新增就业（万人）</td><td>12</td><td>15</td></tr>"
            "<tr><td><p>城镇调查</p><p>失业率</p></td><td>5.5%<td>5%</tr>"  # blocks in a cell, an unclosed <td>
            "<tr><td></td><td></td></tr></table><p>推动经济增长。</p>"
            "<table><tr><td>新增就业</td><td>12万人</td></tr></table>")
    (tmp_path / "t.html").write_text(html, encoding="utf-8")
    text = read_file(tmp_path / "t.html").text
    assert text.splitlines() == ["一、主要指标", "表1", "指标｜2024年｜2025年", "新增就业（万人）｜12｜15",
                                 "城镇调查 失业率｜5.5%｜5%", "推动经济增长。", "新增就业｜12万人"]
    from xhnlp.segment import segment
    from xhnlp.targets import extract_targets

    row = next(p.content for p in segment(text) if p.content == "新增就业｜12万人")
    assert [(t.value_text, t.unit) for t in extract_targets(row)] == [("12", "万人")]


def test_docx_tables_in_document_order(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("一、主要指标")
    table = d.add_table(rows=3, cols=3)
    for r, cells in enumerate([["指标", "2024年", "2025年"], ["新增就业（万人）", "12", "15"], ["合计", "", ""]]):
        for c, value in enumerate(cells):
            table.cell(r, c).text = value
    table.cell(2, 1).merge(table.cell(2, 2)).text = "27"  # a merged cell is read once
    d.add_paragraph("推动经济增长。")
    d.save(tmp_path / "t.docx")
    assert read_file(tmp_path / "t.docx").text == (
        "一、主要指标\n指标｜2024年｜2025年\n新增就业（万人）｜12｜15\n合计｜27\n推动经济增长。\n")


TRADITIONAL = ("政府工作報告\n各位代表，過去一年，我們堅持穩中求進工作總基調，推動經濟高質量發展，加強民生保障，"
               "全面深化改革開放。今年經濟社會發展的主要預期目標是：地區生產總值增長百分之五左右，城鎮新增就業一萬二千人以上。\n")


def test_big5_is_recognised_and_misdecoded_text_refused(tmp_path):
    path = tmp_path / "big5.txt"
    path.write_bytes(TRADITIONAL.encode("big5"))
    doc = read_file(path)
    assert doc.text == TRADITIONAL and doc.encoding == "big5"
    rare = "".join(chr(0x3400 + 37 * i) for i in range(80))  # extension A: valid GB18030, not Big5, not Chinese prose
    path.write_bytes(rare.encode("gb18030"))
    with pytest.raises(ReadError, match="re-save the file as UTF-8") as err:
        read_file(path)
    assert "\n" not in str(err.value)
    short = "推动。".encode("gb18030")  # too little text to judge: read as before
    assert decode(short) == ("推动。", "gb18030")


_ZIP_ONLY = b"PK\x05\x06" + b"\x00" * 18  # an empty zip archive


def _zip_with(name):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, "x")
    return buf.getvalue()


@pytest.mark.parametrize("name,data,message", [
    ("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, r"Word 97-2003 \.doc .*save it as \.docx"),
    ("a.wps", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, r"WPS Office \.wps .*save it as \.docx"),
    ("a.txt", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, r"OLE format.*\.docx"),
    ("scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, r"image file \(PNG\).*OCR"),
    ("scan.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, r"image file \(JPEG\).*OCR"),
    ("scan.gif", b"GIF89a" + b"\x00" * 100, r"image file \(GIF\).*OCR"),
    ("scan.tif", b"II*\x00" + b"\x00" * 100, r"image file \(TIFF\).*OCR"),
    ("scan.bmp", b"BM" + b"\x10" * 4 + b"\x00" * 100, r"image file \(BMP\).*OCR"),
    ("r.zip", _zip_with("report.txt"), "zip archive.*unpack"),
    ("r.zip", _ZIP_ONLY, "zip archive.*unpack"),
    ("r.xlsx", _zip_with("xl/workbook.xml"), r"Excel \.xlsx.*save the report as \.docx"),
    ("r.txt.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 100, "gzip-compressed.*unpack"),
    ("r.rar", b"Rar!\x1a\x07\x01\x00" + b"\x00" * 100, "RAR-compressed.*unpack"),
    ("r.7z", b"7z\xbc\xaf\x27\x1c" + b"\x00" * 100, "7z-compressed.*unpack"),
    ("r.rtf", rb"{\rtf1\ansi \u25512?}", r"RTF.*\.docx"),
    ("r.doc", "MIME-Version: 1.0\nContent-Type: multipart/related\n\n推动".encode(), r"MHT.*\.docx"),
])
def test_other_formats_say_what_to_convert_to(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ReadError, match=message) as err:
        read_file(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_word_files_that_are_docx_or_html_are_read(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("推动经济增长。")
    d.save(tmp_path / "real.docx")
    (tmp_path / "renamed.doc").write_bytes((tmp_path / "real.docx").read_bytes())
    assert read_file(tmp_path / "renamed.doc").text == "推动经济增长。\n"
    (tmp_path / "web.doc").write_text("<html><body><p>一、总体要求</p><p>推动经济增长。</p></body></html>", encoding="gb18030")
    doc = read_file(tmp_path / "web.doc")
    assert doc.text == "一、总体要求\n推动经济增长。\n" and doc.encoding == "html+gb18030"


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_utf8_text_decodes_to_itself_or_fails_cleanly(text):
    data = text.encode("utf-8")
    try:
        decoded, enc = decode(data)
    except ReadError as e:
        assert "\n" not in str(e)
    else:
        assert decoded == text


def test_read_bytes_keeps_every_character(sample_text):
    doc = read_bytes(("\ufeff" + sample_text).encode("utf-8"), "x.txt")
    assert doc.text == sample_text and doc.encoding == "utf-8-sig"
