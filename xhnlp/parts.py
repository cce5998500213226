"""The part of a report each piece stands in: ``review`` (last year / the last plan period looked
back on), ``plan`` (this year's and the coming period's targets and tasks), ``government``
(the government's own building), or ``other`` (preamble, closing, glossary, annexes).

Decided from the top-level headings (``一、2023年工作回顾``) and, where a report's parts are
unnumbered lines (``2019年工作回顾`` on a line of its own), from such a line at the start of a
paragraph. Promises and achievements can then be told apart: a sentence in ``review`` reports
what was done.
"""
from __future__ import annotations

import re
from typing import Iterable, Iterator

PARTS: tuple[str, ...] = ("review", "plan", "government", "other")

_REVIEW = re.compile(r"回顾|总结|过去[一两三四五]?年|发展成就|主要成就|取得.{0,12}(?:进展|成效|成绩)")
_PLAN = re.compile(r"目标|任务|安排|重点工作|主要工作|思路|部署|考虑|要求|展望|接续奋斗|关于\d{4}年|开好局")
_GOVERNMENT = re.compile(r"政府自身建设|政府治理|服务型政府|满意的政府|法治政府|政府工作各方面|转作风|政府建设")
_OTHER = re.compile(r"^(?:名词解释|注释|※注释※|附件|附录|说明|名词注释)")
_CLOSING = re.compile(r"^各位代表[!！,，、]")
_TERMINAL = re.compile(r"[。！？!?；;：:]\s*$")


def classify_heading(heading: str) -> str | None:
    """The part a top-level heading opens, or None when it names none."""
    h = re.sub(r"^\s*(?:第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+[、.．])\s*", "", heading).strip()
    if _OTHER.match(h):
        return "other"
    if _GOVERNMENT.search(h):
        return "government"
    if "回顾" in h or "总结" in h or (_REVIEW.search(h) and not _PLAN.search(h)):
        return "review"  # a heading that looks back and also names the coming goals counts as plan
    if _PLAN.search(h):
        return "plan"
    return None


def _part_line(text: str) -> str | None:
    """An unnumbered part heading glued to the paragraph after it: a short line without end punctuation
    before the sentence's last line (or the whole piece, when it is such a line)."""
    lines = [line.strip() for line in text.strip().split("\n")]
    found = None
    for line in lines[:-1] if len(lines) > 1 else lines:
        if line and len(line) <= 30 and not _TERMINAL.search(line):
            found = classify_heading(line) or found
    return found


def iter_parts(pieces: Iterable, n_sentences: int) -> Iterator[str]:
    """The part of each piece (objects with ``kind``, ``text``, ``section``, ``level``), lazily, in
    order; ``n_sentences`` is the document's sentence count (the closing words are looked for in its
    last tenth)."""
    current, seen, k = "other", False, 0
    for p in pieces:
        if p.kind == "heading":
            if p.level is not None and p.level <= 1 and not p.section:
                part = classify_heading(p.text)
                current = part or ("plan" if seen else current)
                seen = True
            yield current
            continue
        k += 1
        part = _part_line(p.text)
        if part is not None:
            current, seen = part, True
        elif seen and k > 0.9 * n_sentences and _CLOSING.match(p.text.lstrip()):
            current = "other"  # the closing words to the delegates
        if current == "plan" and any(_GOVERNMENT.search(h) for h in p.section):
            yield "government"  # a plan's own section on the government's building
            continue
        yield current


def assign_parts(pieces: Iterable) -> list[str]:
    """The part of each piece of a whole document, as a list."""
    pieces = list(pieces)
    return list(iter_parts(pieces, sum(1 for p in pieces if p.kind == "sentence")))
