"""The tagging API: ``Tagger.load()`` then ``tagger.tag(text)`` or ``tagger.tag_sentences(list)``."""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice, tee
from typing import Iterable, Iterator

import numpy as np

from . import models
from .labels import HEADS
from .parts import PARTS, iter_parts
from .segment import Piece, iter_pieces
from .targets import Target, extract_targets, strength


@dataclass
class TaggedPiece:
    """One heading or sentence with its labels. Headings carry no labels (``area`` and ``type`` are None).

    ``text``/``start``/``end`` are those of the source (``text`` keeps the whitespace after the
    piece, so joining the texts of a document gives it back); ``content`` is ``text`` stripped.
    """

    doc: str | None
    index: int
    kind: str
    text: str
    start: int
    end: int
    section: tuple[str, ...] = ()
    part: str | None = None  # review | plan | government | other (xhnlp.parts)
    area: str | None = None
    area_score: float | None = None
    type: str | None = None
    type_score: float | None = None
    area_probs: dict[str, float] = field(default_factory=dict)
    type_probs: dict[str, float] = field(default_factory=dict)
    strength: str | None = None
    targets: list[Target] = field(default_factory=list)

    @property
    def content(self) -> str:
        return self.text.strip()

    def to_dict(self) -> dict:
        """Plain data (JSON-ready). Built field by field: ``dataclasses.asdict`` deep-copies every
        value and cost a third of a millisecond a row on the CLI's hot path."""
        d = dict(vars(self))
        d.update(section=list(self.section), area_probs=dict(self.area_probs), type_probs=dict(self.type_probs),
                 targets=[t.to_dict() for t in self.targets])
        return d


class TaggedDocument(list):
    """A list of :class:`TaggedPiece` that also converts to plain data."""

    def to_dicts(self) -> list[dict]:
        return [p.to_dict() for p in self]

    def to_dataframe(self):
        """A pandas DataFrame, one row per piece, columns :data:`TABLE_COLUMNS` (also when empty)."""
        import pandas as pd

        return pd.DataFrame([flat_row(p) for p in self], columns=list(TABLE_COLUMNS))

    @property
    def sentences(self) -> list[TaggedPiece]:
        return [p for p in self if p.kind == "sentence"]


TABLE_COLUMNS: tuple[str, ...] = (
    "doc", "index", "kind", "section", "part", "text", "start", "end", "area", "area_score", "type", "type_score",
    "strength", "n_targets", "targets",
    *(f"p_{head}_{code}" for head, codes in HEADS.items() for code in codes))
"""The columns of every table output (CSV, Parquet, DataFrame), in order; JSONL rows are
:meth:`TaggedPiece.to_dict` (nested targets and probabilities)."""


def flat_row(row: "TaggedPiece | dict", probabilities: bool = True) -> dict:
    """A flat dict of a piece for tables (CSV, Parquet, DataFrame): section joined with `` > ``,
    targets as a count and a ``indicator|comparator|value|unit; …`` string, probabilities as columns.

    In tables ``text`` is the piece without the line break/whitespace after it and ``end`` moves
    with it (``source[start:end] == text`` still holds), so that a CSV record is one line."""
    d = row.to_dict() if isinstance(row, TaggedPiece) else row
    flat = {k: d[k] for k in ("doc", "index", "kind")}
    flat["section"] = " > ".join(d["section"])
    flat["part"] = d.get("part")
    text = d["text"].rstrip()
    flat.update(text=text, start=d["start"], end=d["start"] + len(text))
    flat.update({k: d[k] for k in ("area", "area_score", "type", "type_score", "strength")})
    flat["n_targets"] = len(d["targets"])
    flat["targets"] = "; ".join(f"{t['indicator']}|{t['comparator']}|{t['value_text']}|{t['unit']}" for t in d["targets"])
    if probabilities:
        for head in ("area", "type"):
            probs = d[f"{head}_probs"]
            for code in HEADS[head]:  # headings too, so that every row has the same columns
                flat[f"p_{head}_{code}"] = probs.get(code)
    return flat


def _labelled(piece) -> bool:
    """A sentence with something to label (headings and empty or punctuation-only pieces get no labels)."""
    return piece.kind == "sentence" and has_words(piece.text)


def has_words(text: str) -> bool:
    """Whether a piece has anything to label: a letter, digit or CJK character (not only punctuation/space)."""
    return any(ch.isalnum() for ch in text)


def _check_text(text, what: str = "tag") -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, (bytes, bytearray)):
        raise TypeError(f"{what}() takes the report as a str, not bytes: decode it first "
                        "(xhnlp.reading.decode(data) detects UTF-8/GB18030/UTF-16) or use xhnlp.reading.read_file(path)")
    raise TypeError(f"{what}() takes the report text as a str, not {type(text).__name__}")


def _check_sentences(sentences, what: str) -> list[str]:
    if isinstance(sentences, (str, bytes, bytearray)):
        raise TypeError(f"{what}() takes a list of sentences, not one {type(sentences).__name__}: "
                        f"pass [sentence] (or use tag(text) to segment a whole report)")
    try:
        items = list(sentences)
    except TypeError:
        raise TypeError(f"{what}() takes a list of sentences (str), not {type(sentences).__name__}") from None
    for i, s in enumerate(items):
        if not isinstance(s, str):
            raise TypeError(f"{what}(): sentence {i} is a {type(s).__name__}, not a str")
    return items


class Tagger:
    """Tags headings and sentences of Chinese government work reports with policy area and commitment type.

    >>> tagger = Tagger.load()                # the shipped default model
    >>> doc = tagger.tag(open("report.txt").read())
    >>> doc.to_dataframe()

    Pieces without a letter, digit or CJK character (empty or punctuation-only "sentences") get no
    labels: ``area``/``type`` and their scores are None, as for headings; ``predict_proba`` gives them
    rows of NaN and ``predict`` None.
    """

    def __init__(self, model, batch_size: int = 256):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, not {batch_size!r}")
        self.model = model
        self.batch_size = batch_size
        self.heads = model.heads
        self.smoothing = {h: float(w) for h, w in (getattr(model, "smoothing", None) or {}).items() if w}

    @classmethod
    def load(cls, model: str | None = None, quantize: bool = False, backend: str = "auto", device: str | None = None,
             threads: int | None = None, batch_size: int = 256) -> "Tagger":
        """``model``: None (the shipped default), a shipped name (``bert``, ``baseline``) or a model directory.

        ``quantize``: int8 dynamic quantisation of a BERT model's Linear layers (CPU, PyTorch).
        ``backend``: a BERT's inference engine — ``"auto"`` (ONNX Runtime on the CPU when installed,
        else PyTorch), ``"onnx"`` or ``"torch"``; ``eval/bench.py`` measures speed and label agreement
        of each. ``device``: ``"cpu"`` (default), ``"cuda"`` or ``"auto"``; ``threads``: CPU threads
        for the encoder. The baseline has nothing to quantise or place and ignores these.
        ``batch_size``: pieces per model call (results do not depend on it)."""
        return cls(models.load(model, quantize=quantize, backend=backend, device=device, threads=threads),
                   batch_size=batch_size)

    # --- scikit-learn style -------------------------------------------------------------------
    def predict_proba(self, sentences: list[str], sections=None, parts=None) -> dict[str, np.ndarray]:
        """{'area': (n, 8), 'type': (n, 6)} class probabilities, columns in ``tagger.heads`` order
        (rows of NaN for sentences with nothing to label). ``sections``: the heading path of each
        sentence; ``parts``: its report part (``review``, ``plan``, ``government``, ``other``)."""
        sentences = _check_sentences(sentences, "predict_proba")
        if sections is not None:
            sections = [tuple(s) for s in _check_sections(sections, len(sentences))]
        if parts is not None:
            parts = _check_parts(parts, len(sentences))
        keep = [i for i, s in enumerate(sentences) if has_words(s)]
        out = {h: np.full((len(sentences), len(c)), np.nan, dtype=np.float32) for h, c in self.heads.items()}
        if keep:
            probs = self._raw_proba([sentences[i] for i in keep], None if sections is None else [sections[i] for i in keep],
                                    None if parts is None else [parts[i] for i in keep])
            if self.smoothing and sections is not None:
                probs = _smooth(probs, [sections[i] for i in keep], self.smoothing)
            for h in out:
                out[h][keep] = probs[h]
        return out

    def predict(self, sentences: list[str], sections=None, parts=None) -> dict[str, list[str | None]]:
        """{'area': [...], 'type': [...]} label codes, one per sentence (None: nothing to label)."""
        probs = self.predict_proba(sentences, sections, parts)
        return {h: [None if np.isnan(row).any() else self.heads[h][int(row.argmax())] for row in p]
                for h, p in probs.items()}

    def _raw_proba(self, texts, sections, parts=None):
        """The model's probabilities before any section smoothing (which the pipeline does per document)."""
        extra = {"parts": parts} if getattr(self.model, "uses_parts", False) else {}
        if hasattr(self.model, "smoothing"):  # a model that smooths by itself per call: the pipeline does it
            extra["smooth"] = False
        return self.model.predict_proba(texts, sections, **extra)

    # --- rich results ---------------------------------------------------------------------------
    def _pieces(self, pieces: list[Piece], parts: list[str | None], doc: str | None, first_index: int,
                probs=None) -> list[TaggedPiece]:
        """TaggedPieces of a batch; ``probs`` (rows for the batch's labelled sentences) or the model's."""
        if probs is None:
            probs = self._batch_proba(pieces, parts)
        out, k = [], 0
        for i, (p, part) in enumerate(zip(pieces, parts)):
            t = TaggedPiece(doc, first_index + i, p.kind, p.text, p.start, p.end, p.section, part)
            if _labelled(p):
                for head in ("area", "type"):
                    row = probs[head][k]
                    best = int(row.argmax())
                    setattr(t, head, self.heads[head][best])
                    setattr(t, f"{head}_score", float(row[best]))
                    setattr(t, f"{head}_probs", {c: float(x) for c, x in zip(self.heads[head], row)})
                t.strength = strength(p.text)
                t.targets = extract_targets(p.text)
                k += 1
            out.append(t)
        return out

    def _batch_proba(self, pieces, parts):
        idx = [i for i, p in enumerate(pieces) if _labelled(p)]
        if not idx:
            return {}
        return self._raw_proba([pieces[i].text for i in idx], [pieces[i].section for i in idx],
                               [parts[i] for i in idx])

    @staticmethod
    def _batches(text: str, batch_size: int):
        """(pieces, parts) of ``text``, ``batch_size`` pieces at a time (parts: :func:`xhnlp.parts.iter_parts`)."""
        n = sum(1 for p in iter_pieces(text) if p.kind == "sentence")  # the closing is looked for at the end
        pieces, for_parts = tee(iter_pieces(text))  # one segmentation for both, consumed in step
        parts = iter_parts(for_parts, n)
        while batch := list(islice(pieces, batch_size)):
            yield batch, list(islice(parts, len(batch)))

    def iter_tag(self, text: str, doc: str | None = None, batch_size: int | None = None) -> Iterator[TaggedPiece]:
        """Tag a document lazily, ``batch_size`` pieces at a time: memory stays bounded on huge inputs.

        With a model that smooths by section, the document is read twice: once for the probabilities of
        every sentence (a few floats each), then for the rows, so that a section's mean never depends on
        where a batch ends."""
        text = _check_text(text, "iter_tag")
        size = self.batch_size if batch_size is None else batch_size
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"batch_size must be a positive integer, not {size!r}")
        if not self.smoothing:
            index = 0
            for batch, parts in self._batches(text, size):
                yield from self._pieces(batch, parts, doc, index)
                index += len(batch)
            return
        chunks, sections = [], []
        for batch, parts in self._batches(text, size):
            chunk = self._batch_proba(batch, parts)
            if chunk:
                chunks.append(chunk)
                sections += [p.section for p in batch if _labelled(p)]
        probs = _smooth({h: np.concatenate([c[h] for c in chunks]) for h in self.heads}, sections,
                        self.smoothing) if chunks else {}
        index = k = 0
        for batch, parts in self._batches(text, size):
            n = sum(1 for p in batch if _labelled(p))
            yield from self._pieces(batch, parts, doc, index, {h: p[k:k + n] for h, p in probs.items()})
            index += len(batch)
            k += n

    def tag(self, text: str, doc: str | None = None) -> TaggedDocument:
        """Segment ``text`` into headings and sentences and tag every sentence."""
        return TaggedDocument(self.iter_tag(_check_text(text), doc))

    def pipe(self, texts: Iterable, batch_size: int | None = None) -> Iterator[TaggedDocument]:
        """Tag a stream of documents (spaCy's ``nlp.pipe``): each item a text or a ``(text, doc_id)``
        pair; yields one :class:`TaggedDocument` per input, in order."""
        for item in texts:
            text, doc = item if isinstance(item, tuple) else (item, None)
            yield TaggedDocument(self.iter_tag(_check_text(text, "pipe"), doc, batch_size))

    def tag_sentences(self, sentences: Iterable[str], doc: str | None = None, sections=None,
                      parts=None) -> TaggedDocument:
        """Tag sentences as given (no segmentation); offsets index the sentences joined without separator.
        ``sections``/``parts``: optional heading path and report part of each sentence (context for
        models that use them)."""
        sentences = _check_sentences(sentences, "tag_sentences")
        n = len(sentences)
        sections = [()] * n if sections is None else [tuple(s) for s in _check_sections(sections, n)]
        parts = [None] * n if parts is None else _check_parts(parts, n)
        pieces, pos = [], 0
        for s, sec in zip(sentences, sections):
            pieces.append(Piece("sentence", s, pos, pos + len(s), sec))
            pos += len(s)
        keep = [i for i, p in enumerate(pieces) if has_words(p.text)]
        probs = self.predict_proba([pieces[i].text for i in keep], [pieces[i].section for i in keep],
                                   [parts[i] for i in keep]) if keep else {}
        return TaggedDocument(self._pieces(pieces, parts, doc, 0, probs))


def _check_parts(parts, n: int) -> list:
    if isinstance(parts, str) or len(parts) != n or any(p is not None and p not in PARTS for p in parts):
        raise ValueError(f"parts must be a list of {n} report parts, each one of {', '.join(PARTS)} or None")
    return list(parts)


def _check_sections(sections, n: int) -> list:
    if isinstance(sections, (str, bytes)) or len(sections) != n:
        raise ValueError(f"sections must be a list of {n} heading paths (one tuple of str per sentence)")
    return list(sections)


def _smooth(probs: dict[str, np.ndarray], sections, weights: dict[str, float]) -> dict[str, np.ndarray]:
    from .models.bert import smooth_by_section

    return {h: smooth_by_section(p, sections, weights.get(h, 0.0)) for h, p in probs.items()}
