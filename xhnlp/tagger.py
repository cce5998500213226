"""The tagging API: ``Tagger.load()`` then ``tagger.tag(text)`` or ``tagger.tag_sentences(list)``."""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Iterable, Iterator

import numpy as np

from . import models
from .labels import HEADS
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
        """A pandas DataFrame, one row per piece; ``section`` joined with `` > ``, probabilities as columns."""
        import pandas as pd

        return pd.DataFrame([flat_row(p) for p in self])

    @property
    def sentences(self) -> list[TaggedPiece]:
        return [p for p in self if p.kind == "sentence"]


def flat_row(row: "TaggedPiece | dict", probabilities: bool = True) -> dict:
    """A flat dict of a piece for tables (CSV, Parquet, DataFrame): section joined with `` > ``,
    targets as a count and a ``indicator|comparator|value|unit; …`` string, probabilities as columns."""
    d = row.to_dict() if isinstance(row, TaggedPiece) else row
    flat = {k: d[k] for k in ("doc", "index", "kind")}
    flat["section"] = " > ".join(d["section"])
    flat.update({k: d[k] for k in ("text", "start", "end", "area", "area_score", "type", "type_score", "strength")})
    flat["n_targets"] = len(d["targets"])
    flat["targets"] = "; ".join(f"{t['indicator']}|{t['comparator']}|{t['value_text']}|{t['unit']}" for t in d["targets"])
    if probabilities:
        for head in ("area", "type"):
            probs = d[f"{head}_probs"]
            for code in HEADS[head]:  # headings too, so that every row has the same columns
                flat[f"p_{head}_{code}"] = probs.get(code)
    return flat


class Tagger:
    """Tags headings and sentences of Chinese government work reports with policy area and commitment type.

    >>> tagger = Tagger.load()                # the shipped default model
    >>> doc = tagger.tag(open("report.txt").read())
    >>> doc.to_dataframe()
    """

    def __init__(self, model, batch_size: int = 256):
        self.model = model
        self.batch_size = batch_size
        self.heads = model.heads

    @classmethod
    def load(cls, model: str | None = None, quantize: bool = False, backend: str = "auto", **kwargs) -> "Tagger":
        """``model``: None (the shipped default), a shipped name (``bert``, ``baseline``) or a model directory.

        ``quantize``: int8 dynamic quantisation of a BERT model's Linear layers (CPU, PyTorch).
        ``backend``: a BERT's inference engine — ``"auto"`` (ONNX Runtime on the CPU when installed,
        else PyTorch), ``"onnx"`` or ``"torch"``; ``eval/bench.py`` measures speed and label agreement
        of each. The baseline ignores both. ``kwargs`` go to the Tagger (``batch_size``)."""
        return cls(models.load(model, quantize=quantize, backend=backend), **kwargs)

    # --- scikit-learn style -------------------------------------------------------------------
    def predict_proba(self, sentences: list[str], sections=None) -> dict[str, np.ndarray]:
        """{'area': (n, 8), 'type': (n, 6)} class probabilities, columns in ``tagger.heads`` order."""
        return self.model.predict_proba(list(sentences), sections)

    def predict(self, sentences: list[str], sections=None) -> dict[str, list[str]]:
        """{'area': [...], 'type': [...]} label codes, one per sentence."""
        probs = self.predict_proba(sentences, sections)
        return {h: [self.heads[h][i] for i in p.argmax(axis=1)] for h, p in probs.items()}

    # --- rich results ---------------------------------------------------------------------------
    def _label(self, pieces: list[Piece], doc: str | None, first_index: int) -> list[TaggedPiece]:
        sent = [p for p in pieces if p.kind == "sentence"]
        probs = self.model.predict_proba([p.text for p in sent], [p.section for p in sent]) if sent else {}
        out, k = [], 0
        for i, p in enumerate(pieces):
            t = TaggedPiece(doc, first_index + i, p.kind, p.text, p.start, p.end, p.section)
            if p.kind == "sentence":
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

    def iter_tag(self, text: str, doc: str | None = None, batch_size: int | None = None) -> Iterator[TaggedPiece]:
        """Tag a document lazily, ``batch_size`` pieces at a time: memory stays bounded on huge inputs."""
        pieces = iter_pieces(text)
        index = 0
        while batch := list(islice(pieces, batch_size or self.batch_size)):
            yield from self._label(batch, doc, index)
            index += len(batch)

    def tag(self, text: str, doc: str | None = None) -> TaggedDocument:
        """Segment ``text`` into headings and sentences and tag every sentence."""
        return TaggedDocument(self.iter_tag(text, doc))

    def tag_sentences(self, sentences: Iterable[str], doc: str | None = None) -> TaggedDocument:
        """Tag sentences as given (no segmentation); offsets index the sentences joined without separator."""
        pieces, pos = [], 0
        for s in sentences:
            pieces.append(Piece("sentence", s, pos, pos + len(s)))
            pos += len(s)
        out = TaggedDocument()
        for i in range(0, len(pieces), self.batch_size):
            out.extend(self._label(pieces[i:i + self.batch_size], doc, i))
        return out
