"""Read report files into text: .txt (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GB18030/GBK, Big5),
.docx and .html (tables one row a line, cells separated by "｜"), .pdf (with the extra ``pdf``).

A PDF is recognised by its ``%PDF`` header whatever the file is called. PDF text, and text that
was hard-wrapped (copied out of a PDF; detected from its line lengths), is repaired by
:mod:`xhnlp.unwrap`: running headers, footers and page numbers dropped, wrapped lines joined into
one paragraph per line. The text a :class:`Document` holds is what gets tagged: offsets refer to it.

Files that are not reports — Word 97-2003 ``.doc``/``.wps`` (OLE), images, archives, RTF — are
recognised by their first bytes. Every failure is a :class:`ReadError` whose message is one line
naming the file, the cause and what to do.
"""
from __future__ import annotations

import codecs
import html.parser
import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .segment import has_chinese

SUFFIXES = (".txt", ".text", ".docx", ".html", ".htm", ".pdf")  # what xhnlp reads; a folder is searched for
REFUSED_SUFFIXES = (".doc", ".wps")  # also listed from a folder, so that each gets its one-line error
MAX_BYTES = 1 << 30  # refuse files over 1 GiB rather than exhaust memory
CELL_SEPARATOR = "｜"  # between the cells of a table row (one row a line)


class ReadError(Exception):
    """A file that cannot be read as a report; str(error) is one line (line breaks in a file name are
    written as escapes)."""

    def __init__(self, message: str = ""):
        super().__init__(_LINE_BREAKS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(message)))


_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


@dataclass
class Document:
    doc: str  # document id: the path as given, or a name
    text: str
    encoding: str  # detected encoding, or "docx" / "html+<encoding>" / "pdf"
    unwrapped: bool = False  # hard-wrapped lines were joined (PDF text, wrapped .txt)


def decode(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Decode report bytes, returning (text, encoding). Raises ReadError for binary or undecodable input."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as e:
                raise ReadError(f"{name}: starts with a {enc} byte-order mark but is not valid {enc} ({e.reason})") from None
    if b"\x00" in data[:65536]:
        raise ReadError(f"{name}: binary file (contains NUL bytes), not a text report")
    misread = False
    for enc in ("utf-8", "gb18030", "big5"):
        try:
            text = data.decode("cp950" if enc == "big5" else enc)
        except UnicodeDecodeError:
            if enc != "big5":
                continue
            try:
                text = data.decode("big5hkscs")
            except UnicodeDecodeError:
                continue
        controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\r\n\t\f\v")
        if controls > 0.01 * min(len(text), 65536) + 2:
            raise ReadError(f"{name}: binary file (control characters), not a text report")
        if enc != "utf-8" and not _plausible_chinese(text):
            misread = True  # Big5 bytes decode as GB18030 too, into rare characters: try the next
            continue
        return text, enc
    if misread:
        raise ReadError(f"{name}: decodes as GB18030/Big5 only into unlikely characters (another encoding?); "
                        "re-save the file as UTF-8")
    raise ReadError(f"{name}: cannot decode as UTF-8, GB18030/GBK or Big5; re-save the file as UTF-8")


# The characters that make up most of any Chinese text (the 400 most frequent in government work
# reports, 82 % of their characters, and the traditional forms of the frequent ones): text decoded with
# the wrong one of GB18030/Big5 has few of them (3-4 %), a report 78-90 %.
_COMMON = frozenset(
    "业建化新全展发的实和大进设力产一动工推加中国区人生高成持政保民提强增体城市务作等地项治年行会重能开个"
    "坚平创资质改理施制深入以好家水造升经合上为目农现定面量企村服完长代不基心省有在安社点主用济县优要公育级"
    "效三快续规品万度态文出机科是技标域法更五投打支乡系防环程稳学管落活群事我到场同源色领共元性路总医革通对"
    "部各府商位融境园善十亿教办统四决型整向范精策集做方风金划放时战协营达们局特费步小期众第电准北河本收引就"
    "绿数贫分障多护居线党运监批下构台兴消关任二清干游接抓导与转综旅自立解计结道委险应健题山利物严网流促取联"
    "争了积院确扩式智专表京口得污外镇率老内值两格养培次模控来突示明极果习问交前供美指海础势信均央攻求气过际"
    "先近把固速略义带及调断房件预空意员南之破术聚广试让西易着康天难链土思条贯研验奋团扶林配核督筹超查功排于"
    "疗校所形间招药车类双牢神景依振首户复处贸备置彻低食头住子东碳名正列比常责需减想卫权字困雄这说后还从将并"
    "无当见里种么样他她它"
    "業發實進設產動國區體務項會個堅創資質為農現長點經濟縣優級續規萬態機標鄉環穩學場領總醫對園億辦統決範風劃"
    "時戰協營達們費眾電準綠數貧護線黨運監構興關幹導與轉綜險應題嚴網聯爭積確擴專鎮兩養來極習問礎勢氣過際義帶"
    "調斷預員術廣試讓難鏈條貫驗奮團籌於療間藥車類雙戶復處貿備徹頭東責減衛權這說後開還從將並無當見裡種麼樣")
# CJK ideographs (with extension A and compatibility forms), and the Yi and Hangul syllables that
# misdecoded bytes also land on
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7af\uf900-\ufaff]")


def _plausible_chinese(text: str) -> bool:
    """Whether decoded text reads as Chinese: 30 % or more of its ideographs common ones (or fewer than
    30 ideographs: too few to tell)."""
    chars = _CJK_CHAR.findall(text[:65536])
    return len(chars) < 30 or sum(ch in _COMMON for ch in chars) >= 0.3 * len(chars)


class _Table:
    """An open <table>: its current row and cell."""

    def __init__(self):
        self.row: list[str] | None = None
        self.cell: list[str] | None = None


class _HTMLText(html.parser.HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "title",
              "caption", "ul", "ol", "table", "blockquote", "pre", "hr"}
    SKIP = {"script", "style", "head", "noscript"}
    CELLS = {"td", "th"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.tables: list[_Table] = []

    def _emit(self, text: str) -> None:
        table = self.tables[-1] if self.tables else None
        if table is not None and table.cell is not None:
            table.cell.append(" " if text == "\n" else text)  # a line break inside a cell is a space
        else:
            self.parts.append(text)

    def _end_cell(self, table: _Table) -> None:
        if table.cell is not None:
            if table.row is None:
                table.row = []
            table.row.append(" ".join("".join(table.cell).split()))
            table.cell = None

    def _end_row(self) -> None:
        table = self.tables[-1]
        self._end_cell(table)
        row, table.row = table.row, None
        while row and not row[-1]:
            row.pop()
        if row:  # one line per row, cells apart (and the line break a space when this table is in a cell)
            self.tables.pop()
            self._emit("\n")
            self._emit(CELL_SEPARATOR.join(row))
            self._emit("\n")
            self.tables.append(table)

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag == "table":
            self._emit("\n")
            self.tables.append(_Table())
        elif tag == "tr" and self.tables:
            self._end_row()
        elif tag in self.CELLS and self.tables:
            self._end_cell(self.tables[-1])
            self.tables[-1].cell = []
        elif tag in self.BLOCKS:
            self._emit("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "table" and self.tables:
            self._end_row()
            self.tables.pop()
            self._emit("\n")
        elif tag == "tr" and self.tables:
            self._end_row()
        elif tag in self.CELLS and self.tables:
            self._end_cell(self.tables[-1])
        elif tag in self.BLOCKS:
            self._emit("\n")

    def handle_data(self, data):
        if not self.skip:
            self._emit(data.replace("\n", " "))

    def close(self):
        super().close()
        while self.tables:
            self.handle_endtag("table")


def html_to_text(markup: str) -> str:
    """The text of an HTML page: one block a line, each table row a line with its cells separated by
    ``CELL_SEPARATOR`` (so that ``<td>新增就业（万人）</td><td>12</td><td>15</td>`` keeps its numbers apart)."""
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def _docx_lines(container):
    """The lines of a python-docx document or table cell: each paragraph, and each table row with
    its cells separated by ``CELL_SEPARATOR``, in document order."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                previous = None
                for cell in row.cells:
                    if previous is not None and cell._tc is previous:
                        continue  # a merged cell spans several grid columns: once
                    previous = cell._tc
                    cells.append(" ".join(" ".join(_docx_lines(cell)).split()))
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    yield CELL_SEPARATOR.join(cells)
        else:
            yield block.text


def docx_to_text(data: bytes, name: str) -> str:
    try:
        import docx  # python-docx
        lines = list(_docx_lines(docx.Document(io.BytesIO(data))))
    except Exception as e:  # a corrupt zip, not a docx, ...
        raise ReadError(f"{name}: not a readable .docx file ({type(e).__name__})") from None
    return "".join(line + "\n" for line in lines)


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"),
           (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"))
_ARCHIVES = ((b"\x1f\x8b", "gzip"), (b"\xfd7zXZ\x00", "xz"), (b"Rar!\x1a\x07", "RAR"), (b"7z\xbc\xaf\x27\x1c", "7z"),
             (b"\x28\xb5\x2f\xfd", "zstd"))
_OLE_KINDS = {".wps": "a WPS Office .wps file", ".et": "a WPS spreadsheet", ".dps": "a WPS presentation",
              ".xls": "an Excel 97-2003 workbook", ".ppt": "a PowerPoint 97-2003 file"}
_ZIP_KINDS = (("xl/", "an Excel .xlsx workbook"), ("ppt/", "a PowerPoint .pptx file"),
              ("content.xml", "an OpenDocument file (.odt/.ods)"))


def _image_kind(data: bytes) -> str | None:
    for magic, kind in _IMAGES:
        if data.startswith(magic):
            return kind
    if data[:2] == b"BM" and len(data) >= 26 and data[6:10] == b"\0\0\0\0":
        return "BMP"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    return None


def _sniff(data: bytes, name: str, suffix: str) -> str | None:
    """What the bytes are: "pdf", "docx", or None for text. Raises ReadError (saying what to convert
    to) for formats xhnlp does not read."""
    head = data.lstrip(b"\x00\t\n\r\f \xef\xbb\xbf")
    if head.startswith(b"%PDF-") or suffix == ".pdf" and b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(_OLE):
        what = _OLE_KINDS.get(suffix, "a Word 97-2003 .doc file")
        raise ReadError(f"{name}: {what} (old binary OLE format), which xhnlp cannot read; "
                        "open it in Word or WPS and save it as .docx (or .pdf / .txt)")
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            if suffix == ".docx":
                return "docx"  # reported as "not a readable .docx file"
            raise ReadError(f"{name}: a damaged zip archive, not a report") from None
        if "word/document.xml" in names:
            return "docx"
        for prefix, what in _ZIP_KINDS:
            if any(n.startswith(prefix) for n in names):
                raise ReadError(f"{name}: {what}, not a report xhnlp reads; save the report as .docx, .pdf or .txt")
        raise ReadError(f"{name}: a zip archive, not a report; unpack it and tag the files inside "
                        "(a folder is searched for reports)")
    kind = _image_kind(data)
    if kind:
        raise ReadError(f"{name}: binary image file ({kind}), not a text report; run OCR on it "
                        "(e.g. tesseract -l chi_sim) and tag the text, or get the report as .pdf/.docx/.txt")
    for magic, kind in _ARCHIVES:
        if data.startswith(magic):
            raise ReadError(f"{name}: a {kind}-compressed file, not a report; unpack it and tag what is inside")
    if data[257:262] == b"ustar":
        raise ReadError(f"{name}: a tar archive, not a report; unpack it and tag the files inside")
    if head.startswith(b"{\\rtf"):
        raise ReadError(f"{name}: an RTF document, which xhnlp cannot read; open it and save it as .docx or .txt")
    if suffix == ".pdf":
        raise ReadError(f"{name}: not a PDF (no %PDF header)")
    return None


def _pdf_text(data: bytes, name: str, unwrap: bool | None) -> str:
    from .pdf import extract_pages
    from .unwrap import unwrap_pages

    pages = extract_pages(data, name)
    if unwrap is False:  # the lines as the PDF has them, page furniture and all
        return "".join(line.text + "\n" for page in pages for line in page)
    return unwrap_pages(pages)


_HTML_START = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|p|div|table)\b", re.I | re.S)


def read_bytes(data: bytes, name: str, suffix: str = ".txt", *, unwrap: bool | None = None) -> Document:
    """Turn a file's bytes into a :class:`Document`, checking it holds Chinese text.

    ``unwrap``: None (default) repairs hard-wrapped lines in PDF text and in text that looks wrapped
    (:func:`xhnlp.unwrap.looks_wrapped`); True repairs any text; False never (a PDF's lines as they come).
    """
    suffix = suffix.lower()
    if not data.strip():
        raise ReadError(f"{name}: empty file")
    kind = _sniff(data, name, suffix)
    if kind == "pdf":
        text, encoding = _pdf_text(data, name, unwrap), "pdf"
    elif kind == "docx" or suffix == ".docx":
        text, encoding = docx_to_text(data, name), "docx"
    else:
        text, encoding = decode(data, name)
        if re.match(r"\s*(?:MIME-Version:|Content-Type:\s*multipart/related)", text[:2048], re.I):
            raise ReadError(f"{name}: an MHT web archive; open it and save it as .html, .docx or .txt")
        if suffix in (".html", ".htm") or suffix in REFUSED_SUFFIXES and _HTML_START.match(text[:4096]):
            text, encoding = html_to_text(text), f"html+{encoding}"  # a web page saved as .doc
    unwrapped = kind == "pdf" and unwrap is not False
    if kind != "pdf" and (unwrap or unwrap is None and _looks_wrapped(text)):
        from .unwrap import unwrap_text

        text, unwrapped = unwrap_text(text), True
    if not text.strip():
        raise ReadError(f"{name}: no text in file")
    if not has_chinese(text[:1_000_000]) and not has_chinese(text):
        raise ReadError(f"{name}: no Chinese characters found; xhnlp tags Chinese reports")
    return Document(name, text, encoding, unwrapped)


def _looks_wrapped(text: str) -> bool:
    from .unwrap import looks_wrapped

    return looks_wrapped(text)


def read_file(path: str | os.PathLike, *, unwrap: bool | None = None) -> Document:
    """Read one report file. Raises ReadError (one-line message) if it cannot be read.

    ``unwrap`` (see :func:`read_bytes`): None detects hard-wrapped text; True/False force the repair
    on/off. The returned text is what gets tagged: offsets refer to it.
    """
    path = Path(path)
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ReadError(f"{name}: file too large ({size / 2**20:.0f} MiB > {MAX_BYTES >> 20} MiB); split it")
        data = path.read_bytes()
    except ReadError:
        raise
    except IsADirectoryError:
        raise ReadError(f"{name}: is a directory") from None
    except OSError as e:
        raise ReadError(f"{name}: cannot open ({e.strerror or type(e).__name__})") from None
    return read_bytes(data, name, path.suffix, unwrap=unwrap)


def find_files(paths) -> list[Path]:
    """Expand files and directories (recursively: report suffixes, and .doc/.wps so that each gets its
    one-line error; README files skipped), sorted, without duplicates."""
    listed = SUFFIXES + REFUSED_SUFFIXES
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in listed
                                and not f.name.lower().startswith("readme")))
        else:
            found.append(p)  # given explicitly: read it whatever its suffix, errors reported per file
    seen: set[Path] = set()
    return [f for f in found if not (f.resolve() in seen or seen.add(f.resolve()))]
