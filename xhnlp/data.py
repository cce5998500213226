"""Annotated data: in-repo JSONL rows with text, and stand-off rows that point into a corpus.

A stand-off row never holds corpus text, only where to find it and how to check it::

    {"doc": "gov_national_2022.txt", "doc_sha256": "…", "start": 812, "end": 850,
     "sha256": "…", "area": "economy", "type": "target"}

``doc_sha256`` hashes the NFKC-normalised document text, ``sha256`` the sentence text
``text[start:end]`` (offsets index the file as :func:`xhnlp.reading.read_file` decodes it).
:func:`load_standoff` joins rows with a corpus directory and verifies both hashes.
"""
from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from pathlib import Path

from .labels import validate_area, validate_type
from .reading import ReadError, read_file

DATA_DIR = Path(__file__).resolve().parent / "annotations"  # package data: there in any install


class CorpusError(Exception):
    """The corpus a stand-off file points into is missing or differs from the annotated one."""


class DataError(ValueError):
    """Annotated rows that cannot be used (missing file, empty file, missing field, unknown label);
    str(error) is one line naming the file and line."""


def read_labelled(path: str | os.PathLike) -> list[dict]:
    """Your own labelled rows: JSONL with ``text``, ``area``, ``type`` and optionally ``section`` (the
    heading path) and ``doc``; rows without ``doc`` count as one document named after the file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"{path}:{n}: not a JSON object ({e.msg})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}:{n}: not a JSON object")
            missing = [k for k in ("text", "area", "type") if not row.get(k)]
            if missing:
                raise DataError(f"{path}:{n}: missing {', '.join(missing)} (each row needs text, area and type)")
            try:
                validate_area(row["area"])
                validate_type(row["type"])
            except ValueError as e:
                raise DataError(f"{path}:{n}: {e}") from None
            row.setdefault("doc", path.name)
            rows.append(row)
    if not rows:
        raise DataError(f"{path}: no labelled rows (expected JSONL lines with text, area, type)")
    return rows


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def doc_hash(text: str) -> str:
    return sha256(unicodedata.normalize("NFKC", text))


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path: str | os.PathLike, rows) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def standoff_row(doc: str, text: str, start: int, end: int, **labels) -> dict:
    """A stand-off row for ``text[start:end]`` of document ``doc`` (file name) plus labels."""
    return {"doc": doc, "doc_sha256": doc_hash(text), "start": start, "end": end,
            "sha256": sha256(text[start:end]), **labels}


def load_standoff(path: str | os.PathLike, corpus_dir: str | os.PathLike) -> list[dict]:
    """Rows of a stand-off JSONL file with ``text`` filled in from ``corpus_dir``.

    Raises CorpusError naming the file when the corpus directory or a document is
    missing, or when a document or sentence hash does not match.
    """
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory {corpus_dir} not found; the stand-off annotations in {path} "
                          "need the report texts they point into (e.g. ../shared/corpus)")
    texts: dict[str, str] = {}
    out = []
    for row in read_jsonl(path):
        doc = row["doc"]
        if doc not in texts:
            try:
                texts[doc] = read_file(corpus_dir / doc).text
            except ReadError as e:
                raise CorpusError(f"{path}: document {doc} missing or unreadable in {corpus_dir} ({e})") from None
            if doc_hash(texts[doc]) != row["doc_sha256"]:
                raise CorpusError(f"{path}: {corpus_dir / doc} differs from the annotated version (hash mismatch)")
        sentence = texts[doc][row["start"]:row["end"]]
        if sha256(sentence) != row["sha256"]:
            raise CorpusError(f"{path}: sentence {doc}[{row['start']}:{row['end']}] does not match its hash")
        out.append({**row, "text": sentence})
    return out


def add_sections(rows: list[dict], corpus_dir: str | os.PathLike) -> list[dict]:
    """Give stand-off rows the section path (headings above them) that the segmenter finds in the corpus."""
    from .segment import segment

    starts: dict[str, dict[int, tuple]] = {}
    for row in rows:
        if row.get("section") is None:
            if row["doc"] not in starts:
                text = read_file(Path(corpus_dir) / row["doc"]).text
                starts[row["doc"]] = {p.content_start: p.section for p in segment(text)}
            row["section"] = list(starts[row["doc"]].get(row["start"], ()))
    return rows


def load_silver(corpus_dir: str | os.PathLike) -> list[dict]:
    """Weak labels (``xhnlp/annotations/corpus_silver.jsonl``) for corpus sentences outside the gold data, with sections."""
    return add_sections(check_labels(load_standoff(DATA_DIR / "corpus_silver.jsonl", corpus_dir)), corpus_dir)


def check_labels(rows: list[dict]) -> list[dict]:
    for row in rows:
        validate_area(row["area"])
        validate_type(row["type"])
    return rows


def load_sample() -> list[dict]:
    """The hand-labelled sample report (text kept in the repository)."""
    return check_labels(read_jsonl(DATA_DIR / "xuhui_2025.jsonl"))


def load_gold(corpus_dir: str | os.PathLike | None = None) -> list[dict]:
    """All gold rows: the sample report, plus the stand-off corpus annotations (with their sections) when
    ``corpus_dir`` is given."""
    rows = load_sample()
    if corpus_dir is not None:
        rows += add_sections(check_labels(load_standoff(DATA_DIR / "corpus_gold.jsonl", corpus_dir)), corpus_dir)
    return rows
