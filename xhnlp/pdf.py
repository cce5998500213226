"""Text of PDF reports, with the position of every line, via pypdfium2 (the optional extra ``pdf``).

Why pypdfium2 and not pdfplumber (both permissively licensed: PDFium is BSD-3-Clause/Apache-2.0,
pdfplumber and pdfminer.six are MIT). Measured on the sample report (about 6,900 characters) made
into PDFs seven ways — reportlab with the non-embedded CID font STSong-Light (Adobe-GB1), reportlab
with an embedded WenQuanYi Zen Hei TrueType subset, headless Chromium printing the .txt and four HTML
versions (embedded subsets; justified text, first-line indents, bold headings; the browser's header
and footer) — and on a 28,600-character provincial report (reportlab, STSong-Light):

=========================  ========================  ==============================================
                           pypdfium2 5.15.2           pdfplumber 0.11.10
=========================  ========================  ==============================================
characters recovered       100 % on all eight         99.67-100 %: drops "(", ")" and "," in
                                                      Chromium's bold headings (the markers that make
                                                      them headings) and "·" with STSong-Light
time, sample report        15-80 ms                   280-1,270 ms
time, 28,600 characters    85 ms                      1,200 ms
installs                   one wheel (PDFium inside)  pdfminer.six, cryptography, cffi
=========================  ========================  ==============================================

No ``(cid:…)`` or U+FFFD from either on these files. pypdfium2 is 10-20x faster, loses nothing, and
gives each character's box cheaply (about 2 µs), which this module and the hard-wrap repair
(:mod:`xhnlp.unwrap`) use: lines are rebuilt from the boxes (PDFium's own line breaks split lines of
Chromium's justified text wherever two characters overlap), a line that reaches the right margin
(wrapped) is told from one that stops short (a paragraph's or heading's end), and running headers and
footers (top and bottom of the page) from body text. Reading the 28,600-character report with boxes
takes 0.3 s.

A page with no words (nothing, or a page number only) that shows an image or drawing is a scan; a
page whose text is mostly ``(cid:…)``, U+FFFD, private-use glyphs, Latin-1 mojibake or rare
ideographs (a wrong CID map: few of the characters common in any Chinese text) is unreadable. Either
stops the file with one line naming the pages and suggesting OCR; blank pages are skipped.
"""
from __future__ import annotations

import re

from .unwrap import Line

# characters that mean "the font has no Unicode map": replacement char, private use area, controls
_BAD = re.compile(r"\(cid:\d+\)|[\ufffd\ue000-\uf8ff\x00-\x08\x0b\x0c\x0e-\x1f]")
_LATIN1_SUPPLEMENT = re.compile(r"[\u00c0-\u00ff]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORDS = re.compile(r"[^\W\d_]")  # a letter or ideograph: the page has words, not just a number
# a space pdfium put between two CJK characters/punctuation (letter-spacing, justification)
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’]) +"
                        r"(?=[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’])")
PDF_INSTALL = 'pip install "xhnlp[pdf]"'


def _ranges(pages: list[int]) -> str:
    """[1, 2, 3, 5] -> '1-3, 5'"""
    runs: list[list[int]] = []
    for p in pages:
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def _is_garbage(text: str) -> bool:
    """Text from a font without a usable Unicode map: (cid:N), U+FFFD, private-use glyphs, Latin-1
    mojibake with no CJK at all, or ideographs that are nearly all rare ones (a wrong CID map)."""
    from .reading import _plausible_chinese

    if not _plausible_chinese(text):
        return True
    visible = sum(1 for ch in text if not ch.isspace())
    if not visible:
        return False
    bad = len(_BAD.findall(text))
    if bad >= 5 and bad > 0.1 * visible:
        return True
    latin1 = len(_LATIN1_SUPPLEMENT.findall(text))
    return latin1 >= 20 and latin1 > 0.3 * visible and not _CJK.search(text)


def _has_graphics(page, pdfium_c) -> bool:
    """Whether a page without text shows something (a scan's image, text drawn as paths)."""
    try:
        objects = list(page.get_objects(max_depth=3))
    except Exception:  # noqa: BLE001 - pdfium object walk failing: treat as not blank
        return True
    image = getattr(pdfium_c, "FPDF_PAGEOBJ_IMAGE", 3)
    return any(o.type == image for o in objects) or len(objects) >= 20


def _clean(text: str) -> str:
    text = _BAD.sub("", text.replace("\ufffe", "").replace("\x02", "-"))  # 0x02/0xFFFE: pdfium's hyphen marks
    return _CJK_SPACE.sub("", text.strip())


def _page_lines(textpage, text: str, height: float, page_no: int, rotated: bool) -> list[Line]:
    """One page's :class:`Line` objects with their boxes (``top`` measured from the page top).

    Lines are rebuilt from the characters' boxes, in the order the PDF draws them: a character
    whose vertical centre leaves the current line's band, or that goes back left by more than two
    em, starts a new line. (PDFium's own line breaks split a line where a character overlaps the one
    before it, as in Chromium's justified text.) Rotated pages and pages whose character count does
    not match the text keep PDFium's line breaks, without boxes.
    """
    if rotated or textpage.count_chars() != len(text):
        return [Line(t, page=page_no) for t in map(_clean, re.split(r"\r\n|\r|\n", text)) if t]
    lines: list[Line] = []
    chars: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []

    def flush():
        line = _clean("".join(chars))
        if line and boxes:
            heights = sorted(t - b for _, b, _, t in boxes)
            lines.append(Line(line, x0=min(b[0] for b in boxes), x1=max(b[2] for b in boxes),
                              top=height - max(b[3] for b in boxes), size=heights[len(heights) // 2],
                              page=page_no))
        chars.clear()
        boxes.clear()

    low = high = right = 0.0
    for i, ch in enumerate(text):
        if ch in "\r\n":
            continue
        if ch.isspace():
            if chars:
                chars.append(" ")
            continue
        left, bottom, r, top = textpage.get_charbox(i, loose=True)
        centre = (bottom + top) / 2
        if boxes and (not low <= centre <= high or left < right - 2 * (high - low)):
            flush()
        if not boxes:
            low, high, right = bottom, top, r
        else:
            low, high, right = min(low, bottom), max(high, top), max(right, r)
        chars.append(ch)
        boxes.append((left, bottom, r, top))
    flush()
    return lines


def extract_pages(data: bytes, name: str) -> list[list[Line]]:
    """The lines of each page of a PDF, in the order the PDF draws them.

    Raises :class:`~xhnlp.reading.ReadError` (one line) when pypdfium2 is not installed, the file is
    not a readable PDF, or some pages have no extractable text or only undecodable glyphs (OCR them).
    """
    from .reading import ReadError

    try:
        import pypdfium2 as pdfium
        import pypdfium2.raw as pdfium_c
    except ImportError:
        raise ReadError(f"{name}: reading PDF files needs pypdfium2; install it with {PDF_INSTALL}") from None
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as e:  # noqa: BLE001 - PdfiumError and anything the binding raises on a bad file
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        if "password" in reason.lower():
            raise ReadError(f"{name}: the PDF is encrypted (password); save an unprotected copy first") from None
        raise ReadError(f"{name}: not a readable PDF ({reason[:120]})") from None
    pages: list[list[Line]] = []
    no_text: list[int] = []
    garbage: list[int] = []
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            try:
                text = textpage.get_text_range()
                lines: list[Line] = []
                if not _WORDS.search(text):  # nothing, or only a page number
                    if _has_graphics(page, pdfium_c):
                        no_text.append(i + 1)  # a scan
                elif _is_garbage(text):
                    garbage.append(i + 1)
                else:
                    rotated = page.get_rotation() % 180 != 0
                    lines = _page_lines(textpage, text, page.get_height(), i + 1, rotated)
                pages.append(lines)
            finally:
                textpage.close()
                page.close()
    except Exception as e:  # noqa: BLE001 - a damaged page
        raise ReadError(f"{name}: not a readable PDF ({type(e).__name__} on page {len(pages) + 1})") from None
    finally:
        pdf.close()
    problems = []
    if no_text:
        problems.append(f"no extractable text on page{'s' if len(no_text) > 1 else ''} {_ranges(no_text)}"
                        " (scanned?)")
    if garbage:
        problems.append(f"unreadable text (glyphs without a Unicode map, (cid:…)/U+FFFD) on "
                        f"page{'s' if len(garbage) > 1 else ''} {_ranges(garbage)}")
    if problems:
        raise ReadError(f"{name}: " + "; ".join(problems) + "; run OCR on the PDF first "
                        "(e.g. ocrmypdf --force-ocr -l chi_sim in.pdf out.pdf) and tag the result")
    if not any(pages):
        raise ReadError(f"{name}: no text in the PDF")
    return pages
