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
    for name in ("b.txt", "sub/a.docx", "sub/skip.png"):
        (tmp_path / name).write_bytes(b"x")
    found = find_files([tmp_path, tmp_path / "b.txt"])
    assert [f.name for f in found] == ["b.txt", "a.docx"]


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
