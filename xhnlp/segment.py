"""Split a report into headings and sentences, with section paths and source offsets.

The pieces tile the source exactly: each piece runs from its first character to the
first character of the next one, so whitespace and line breaks stay with the piece
before them and ``"".join(p.text for p in pieces) == source`` always holds.
Models should read :func:`normalize` of :attr:`Piece.content`; offsets and ``text``
stay those of the source.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterator

_CN_NUM = "一二三四五六七八九十百零〇"
# (pattern, level): 一、 > （一） > 1. > （1）
_HEADING_MARKERS = (
    (re.compile(rf"第[{_CN_NUM}]+(?:章|部分|篇)\s*"), 0),
    (re.compile(rf"[{_CN_NUM}]+[、．.]\s*"), 1),
    (re.compile(rf"[（(][{_CN_NUM}]+[）)]\s*"), 2),
    (re.compile(r"[0-9０-９]{1,2}(?:[、]|[.．](?![0-9０-９]))\s*"), 3),
    (re.compile(r"[（(][0-9０-９]{1,2}[）)]\s*"), 4),
)
# a sentence ends at 。！？ (full or half width), plus closing quotes/brackets after it
_TERMINATOR = r"(?:[。！？!?｡]+|(?<=[\u4e00-\u9fff])\.(?=\s|$|[\u4e00-\u9fff“‘\"]))"
_CLOSERS = "”’\"'」』）)】》〉"
_SENTENCE = re.compile(rf".*?{_TERMINATOR}[{re.escape(_CLOSERS)}]*|.+", re.S)
_BREAK = re.compile(r"[ \t]*[\r\n]+[ \t]*")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
MAX_HEADING_CHARS = 60  # a "marker + first sentence" longer than this is a numbered sentence


@dataclass
class Piece:
    """One heading or sentence of a document.

    ``start``/``end`` index the source and cover the whitespace after the piece;
    ``content`` is the text without that whitespace.
    """

    kind: str  # "heading" | "sentence"
    text: str
    start: int
    end: int
    section: tuple[str, ...] = field(default_factory=tuple)
    level: int | None = None  # heading level, None for sentences

    @property
    def content(self) -> str:
        return self.text.strip()

    @property
    def content_start(self) -> int:
        """Source offset of the first character of ``content`` (after any leading whitespace)."""
        return self.start + len(self.text) - len(self.text.lstrip())


def normalize(text: str) -> str:
    """What models and rules see: NFKC (full-width ，：（ become , : ( ), line breaks inside a
    sentence removed, stripped."""
    return _BREAK.sub("", unicodedata.normalize("NFKC", text)).strip()


def has_chinese(text: str) -> bool:
    return _CJK.search(text) is not None


def _heading_at(line: str) -> tuple[int, int] | None:
    """(level, length) of a heading that opens ``line``, else None."""
    for pattern, level in _HEADING_MARKERS:
        m = pattern.match(line)
        if not m or m.end() == len(line.rstrip()) and level != 0:
            continue  # a bare marker with nothing after it is not a heading
        first = _SENTENCE.match(line, m.end())
        length = first.end() if first else len(line)
        if length - m.end() > MAX_HEADING_CHARS:
            return None
        return level, length
    return None


_LINE_END = re.compile(rf"(?:{_TERMINATOR}[{re.escape(_CLOSERS)}]*|[:：;；])\s*$")


def _paragraphs(text: str):
    """Yield (start, end) of each paragraph's content.

    A paragraph is a non-empty line; a line that stops mid-sentence (no 。！？：； at its end)
    runs on into the next line unless that line opens with a heading marker, which mends
    scraped reports with line breaks inside sentences (``PM\n2.5``, ``创建省\n级``).
    """
    pos, open_start, open_end = 0, None, None
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped:
            s = pos + len(line) - len(line.lstrip())
            e = s + len(stripped)
            if open_start is not None and _heading_at(stripped) is None:
                open_end = e
            else:
                if open_start is not None:
                    yield open_start, open_end
                open_start, open_end = s, e
            if _LINE_END.search(stripped) or (_heading_at(stripped) or (0, 0))[1] == len(stripped):
                yield open_start, open_end
                open_start = None
        elif open_start is not None:  # a blank line always ends a paragraph
            yield open_start, open_end
            open_start = None
        pos += len(line)
    if open_start is not None:
        yield open_start, open_end


def _spans(text: str):
    """Yield (kind, start, end, level) for each piece's content, in order."""
    for i, body_end in _paragraphs(text):
        head = _heading_at(text[i:body_end])
        if head:
            level, length = head
            yield "heading", i, i + length, level
            i += length
        while i < body_end:
            while i < body_end and text[i].isspace():
                i += 1
            if i >= body_end:
                break
            m = _SENTENCE.match(text, i, body_end)
            yield "sentence", i, m.end(), None
            i = m.end()


def iter_pieces(text: str) -> Iterator[Piece]:
    """Yield the :class:`Piece` objects that tile ``text``, each with its section path (lazily)."""
    path: list[tuple[int, str]] = []
    spans = _spans(text)
    current = next(spans, None)
    if current is None:
        if text:  # only whitespace: one empty "sentence" keeps the tiling
            yield Piece("sentence", text, 0, len(text))
        return
    start = 0
    while current is not None:
        kind, s, e, level = current
        following = next(spans, None)
        end = following[1] if following is not None else len(text)
        if kind == "heading":
            path = [(lv, h) for lv, h in path if lv < level]
            yield Piece(kind, text[start:end], start, end, tuple(h for _, h in path), level)
            path.append((level, text[s:e].strip()))
        else:
            yield Piece(kind, text[start:end], start, end, tuple(h for _, h in path))
        start, current = end, following


def segment(text: str) -> list[Piece]:
    """Split ``text`` into :class:`Piece` objects that tile it, each with its section path."""
    return list(iter_pieces(text))


def sentences(text: str) -> list[str]:
    """The sentence contents of ``text`` (headings left out)."""
    return [p.content for p in segment(text) if p.kind == "sentence"]
