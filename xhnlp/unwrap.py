"""Repair hard-wrapped report text: PDF lines and ``.txt`` copied out of a PDF.

A PDF (or text copied from one) has a line break every ~30-60 characters, inside words
(``…按照十`` / ``一届区委八次全会部署…``), and a running header, footer and page number on every
page. :func:`unwrap_pages` turns the lines of such pages into one paragraph per line, as the
reports in the corpus are:

* **Page furniture is dropped**: a line near the top or bottom of a page (the 3 outermost lines) whose
  text, digits aside, recurs there on at least 30 % of the pages (and on 2 or more) — a running
  header/footer such as ``徐汇区2025年政府工作报告`` or ``file:///…/report.html 2/9`` —, and in that
  band page numbers (``- 3 -``, ``第3页``, ``第3页 共9页``, ``2/9``, ``3``) and browser print headers
  (``12/1/26, 6:05 PM 徐汇区2025年政府工作报告``). Only one such line per page edge is dropped for each
  recurring text, so a report title that repeats the running header stays. Nothing else is dropped;
  lines that end a sentence never are. Text with form feeds is cut into pages there; text without
  page breaks loses page numbers and browser headers wherever they stand, bare numbers when there
  are several, and lines that recur (digits aside) 3 times or more about once a page.
* **Lines are joined** unless the line ends a sentence (。！？, closing quotes after it) or stops short of
  the right margin (a paragraph's or a heading's last line): more than 3 em short, or more than
  1.2 em for a complete heading ``（一）…`` unless the next line is plainly that heading's tail; or the
  next line opens with a heading marker (``（一）``, ``一、``, ``1.``: a wrapped line hardly ever does) or
  is indented where the document indents its paragraphs. Table rows (cells separated by "｜" or
  tabs) are never joined. A line ending with ：/； is joined like any other. The margin
  comes from the characters' boxes for a PDF and from the line's display width (CJK 1 em, ASCII
  0.5 em) for text. Between two Latin letters the join is a space, otherwise nothing.

:func:`looks_wrapped` decides from line-length statistics whether a ``.txt`` is hard-wrapped: many lines
that end mid-sentence at one common width and almost none much longer than that. The corpus's one
paragraph per line reports have lines of a few hundred characters and are never taken as wrapped.
"""
from __future__ import annotations

import math
import re
import statistics
import unicodedata
from dataclasses import dataclass

from .segment import _heading_at

BAND = 3  # lines at each page edge that may be running headers/footers
RUNNING_SHARE = 0.3  # ... when their text recurs there on this share of the pages (and on >= 2)
SLACK_EM = 3.0  # a line ending more than this short of the right margin ends its paragraph
TIGHT_EM = 1.2  # ... or more than this for a complete heading / before a heading

_CLOSERS = "”’\"'」』）)】》〉"
_ENDS_SENTENCE = re.compile(rf"(?:[。！？!?｡]|(?<=[\u4e00-\u9fff])\.)[{re.escape(_CLOSERS)}]*$")
_PAGE_NUMBER = re.compile(
    r"[-–—－―~]+\s*\d{1,4}\s*[-–—－―~]+"  # - 3 -, — 3 —
    r"|第\s*[\d一二三四五六七八九十百零〇]+\s*页(?:\s*[,，/、]?\s*共\s*[\d一二三四五六七八九十百零〇]+\s*页)?"
    r"|共\s*\d+\s*页\s*[,，/、]?\s*第\s*\d+\s*页"
    r"|\d{1,4}\s*/\s*\d{1,4}"  # 2/9
    r"|(?:page|p\.?)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?",
    re.I)
_BARE_NUMBER = re.compile(r"\d{1,4}")
_BROWSER = re.compile(
    r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}[,，]?\s*(?:上午|下午|凌晨|晚上)?\s*\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?(?:\s.*)?"
    r"|(?:file|https?)://\S+(?:\s+\d{1,4}\s*/\s*\d{1,4})?")


@dataclass
class Line:
    """One line of a page. PDF lines carry their box (points; ``top`` from the page top)."""

    text: str
    x0: float | None = None
    x1: float | None = None
    top: float | None = None
    size: float | None = None  # height of the line's box: the font size
    page: int = 0
    indent: float = 0.0  # text lines: leading white space, in em


def display_width(text: str) -> float:
    """Width in em: CJK and full-width characters 1, the others 0.5."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.5 for ch in text)


def _key(text: str) -> str:
    """A line's identity for spotting running headers: NFKC, no white space, any number the same."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))).lower()


def _furniture(text: str, band: bool) -> bool:
    """A page number or a browser's print header/footer (a bare number only at a page edge)."""
    t = unicodedata.normalize("NFKC", text).strip()
    if _ENDS_SENTENCE.search(t):
        return False
    return bool(_PAGE_NUMBER.fullmatch(t) or _BROWSER.fullmatch(t) or band and _BARE_NUMBER.fullmatch(t))


def drop_furniture(pages: list[list[Line]]) -> list[list[Line]]:
    """The pages without running headers/footers and page numbers (see the module docstring)."""
    bands: list[tuple[list[int], list[int]]] = []
    counts: dict[str, int] = {}
    for lines in pages:
        order = list(range(len(lines)))
        if all(ln.top is not None for ln in lines):
            order.sort(key=lambda i: lines[i].top)
        top, bottom = order[:BAND], order[::-1][:BAND]
        bands.append((top, bottom))
        for key in {_key(lines[i].text) for i in top + bottom
                    if not _ENDS_SENTENCE.search(lines[i].text) and not _is_row(lines[i].text)}:
            counts[key] = counts.get(key, 0) + 1
    filled = sum(1 for lines in pages if lines)
    needed = max(2, math.ceil(RUNNING_SHARE * filled))
    running = {k for k, n in counts.items() if n >= needed and k}
    out: list[list[Line]] = []
    for lines, (top, bottom) in zip(pages, bands):
        drop: set[int] = set()
        for edge in (top, bottom):
            seen: set[str] = set()
            for i in edge:  # outermost first
                key = _key(lines[i].text)
                if _furniture(lines[i].text, band=True) or key in running and key not in seen:
                    drop.add(i)
                    seen.add(key)
        out.append([ln for i, ln in enumerate(lines) if i not in drop])
    return out


def drop_repeated(lines: list[Line]) -> list[Line]:
    """Text without page breaks: drop page numbers and browser headers anywhere, bare numbers when
    there are several, and running headers: lines (not table rows, not ending a sentence) whose text,
    digits aside, recurs 3 or more times at intervals of 8 lines or more, as once a page; of two
    adjacent occurrences the later stays (a title under a running header)."""
    keys = [_key(ln.text) for ln in lines]
    where: dict[str, list[int]] = {}
    for i, (ln, key) in enumerate(zip(lines, keys)):
        if not _ENDS_SENTENCE.search(ln.text) and not _is_row(ln.text):
            where.setdefault(key, []).append(i)
    running = set()
    for key, at in where.items():
        gaps = sorted(b - a for a, b in zip(at, at[1:]) if b - a > 1)
        if len(at) >= 3 and gaps and gaps[len(gaps) // 2] >= 8:
            running.add(key)
    bare = sum(1 for ln in lines if _BARE_NUMBER.fullmatch(ln.text.strip()))
    out: list[Line] = []
    for i, (ln, key) in enumerate(zip(lines, keys)):
        later_of_pair = i > 0 and keys[i - 1] == key
        if _furniture(ln.text, band=bare >= 2) or key in running and not later_of_pair:
            continue
        out.append(ln)
    return out


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


class _Geometry:
    """Where each line starts and ends, in em from the left margin, and where the right margin is."""

    def __init__(self, lines: list[Line]):
        boxed = [ln for ln in lines if ln.x0 is not None and ln.x1 is not None and ln.size]
        self.boxed = len(boxed) == len(lines) and bool(lines)
        if self.boxed:
            self.em = statistics.median(ln.size for ln in lines) or 12.0
            self.left: dict[int, float] = {}
            self.right: dict[int, float] = {}
            all_left = _percentile([ln.x0 for ln in lines], 0.1)
            all_right = _percentile([ln.x1 for ln in lines], 0.9)
            for page in {ln.page for ln in lines}:
                on = [ln for ln in lines if ln.page == page]
                big = len(on) >= 8  # enough lines for the page's own margins (mirrored layouts)
                self.left[page] = _percentile([ln.x0 for ln in on], 0.1) if big else all_left
                self.right[page] = _percentile([ln.x1 for ln in on], 0.9) if big else all_right
        else:
            self.em = 1.0
            ends = [self.end(ln) for ln in lines]
            self.margin = _percentile(ends, 0.9) if ends else 0.0
        starts = [self.start(ln) for ln in lines]
        indented = sum(1 for s in starts if s >= 1.5)
        # paragraphs are marked by a first-line indent when some lines, but not most, are indented
        self.indents = 0.02 * len(lines) < indented < 0.5 * len(lines)

    def start(self, ln: Line) -> float:
        if self.boxed:
            return (ln.x0 - self.left[ln.page]) / self.em
        return ln.indent

    def end(self, ln: Line) -> float:
        if self.boxed:
            return (ln.x1 - self.left[ln.page]) / self.em
        return ln.indent + display_width(ln.text)

    def short_by(self, ln: Line) -> float:
        """How far (em) the line ends before the right margin."""
        if self.boxed:
            return (self.right[ln.page] - ln.x1) / self.em
        return self.margin - self.end(ln)


def _is_row(text: str) -> bool:
    """A table row as xhnlp.reading writes it (cells separated by "｜"), or tab-separated."""
    return "｜" in text or "\t" in text


def _complete_heading(text: str) -> bool:
    head = _heading_at(text)
    return head is not None and head[1] >= len(text.rstrip())


def _last_line(ln: Line, geo: _Geometry) -> bool:
    """A line that plainly ends its paragraph: it ends a sentence or stops well short of the margin."""
    return bool(_ENDS_SENTENCE.search(ln.text)) or geo.short_by(ln) > SLACK_EM


def _ends_paragraph(ln: Line, nxt: Line, geo: _Geometry) -> bool:
    if _ENDS_SENTENCE.search(ln.text):
        return True
    short = geo.short_by(ln)
    if short > SLACK_EM:
        return True
    if _heading_at(nxt.text) is not None or _is_row(ln.text) or _is_row(nxt.text):
        return True  # a wrapped line hardly ever opens with "（一）", "一、", "1."; table rows stand alone
    if short > TIGHT_EM and _complete_heading(ln.text) and not _last_line(nxt, geo):
        return True  # a heading a little short of the margin, then a paragraph (not the heading's tail)
    return geo.indents and geo.start(nxt) >= 1.5 and geo.start(nxt) - geo.start(ln) >= 1.0


def _glue(a: str, b: str) -> str:
    if a[-1:].isascii() and a[-1:].isalpha() and b[:1].isascii() and b[:1].isalpha():
        return a + " " + b  # an English word wrapped at a space
    return a + b


def join_lines(lines: list[Line]) -> list[str]:
    """Join wrapped lines into paragraphs (see the module docstring)."""
    lines = [ln for ln in lines if ln.text.strip()]
    geo = _Geometry(lines)
    paragraphs: list[str] = []
    current: str | None = None
    for i, ln in enumerate(lines):
        text = ln.text.strip()
        current = text if current is None else _glue(current, text)
        if i + 1 == len(lines) or _ends_paragraph(ln, lines[i + 1], geo):
            paragraphs.append(current)
            current = None
    return paragraphs


def unwrap_pages(pages: list[list[Line]]) -> str:
    """Pages of lines (a PDF's) to report text: furniture dropped, wrapped lines joined, one paragraph
    per line."""
    lines = [ln for page in drop_furniture(pages) for ln in page]
    paragraphs = join_lines(lines)
    return "".join(p + "\n" for p in paragraphs)


def _text_lines(text: str, page: int = 0) -> list[Line]:
    out = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped:
            lead = raw[:len(raw) - len(raw.lstrip())]
            out.append(Line(stripped, page=page, indent=display_width(lead.replace("\t", "    "))))
    return out


def unwrap_text(text: str) -> str:
    """Hard-wrapped text (e.g. copied out of a PDF) to one paragraph per line. Form feeds, where
    there are any, are taken as page breaks."""
    if "\f" in text:
        pages = [_text_lines(p, i) for i, p in enumerate(text.split("\f"))]
        lines = [ln for page in drop_furniture(pages) for ln in page]
    else:
        lines = drop_repeated(_text_lines(text))
    return "".join(p + "\n" for p in join_lines(lines))


def looks_wrapped(text: str) -> bool:
    """Whether ``text`` is hard-wrapped: at least 8 lines (table rows and page furniture aside); 30 % or
    more are mid-paragraph fragments (ending mid-sentence within 3 em of the common, 90th percentile,
    width, and not opening with a heading marker), 40 % or more are that long; at most 5 % are over
    1.3 times it (a paragraph-per-line text has many lines far longer than most); the width 8-150 em."""
    head = text[:200_000]  # the first ~100 pages tell
    lines = [ln for ln in _text_lines(head[:head.rfind("\n") + 1] or head)
             if not _furniture(ln.text, band=False) and not _is_row(ln.text)]
    if len(lines) < 8:
        return False
    ends = [ln.indent + display_width(ln.text) for ln in lines]
    width = _percentile(ends, 0.9)
    if not 8 <= width <= 150:
        return False
    full = [ln for ln, e in zip(lines, ends) if e >= width - SLACK_EM]
    fragments = [ln for ln in full if not _ENDS_SENTENCE.search(ln.text) and _heading_at(ln.text) is None]
    longer = sum(1 for e in ends if e > 1.3 * width)
    return len(fragments) >= 0.3 * len(lines) and len(full) >= 0.4 * len(lines) and longer <= 0.05 * len(lines)
