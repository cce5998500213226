"""The classical baseline: TF-IDF over character n-grams and jieba words, one logistic regression per head.

Saved as a directory: ``config.json`` (label maps, settings, xhnlp version), ``vocab.json``
(feature → column) and ``model.safetensors`` (idf and the two classifiers' weights).
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from .. import __version__
from ..labels import HEADS
from ..segment import normalize
from ..targets import extract_targets
from . import check_head_sizes, read_config, read_json

_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_jieba = None


def _load_jieba():
    """jieba, its dictionary read (about a second, once per process)."""
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(60)
        jieba.initialize()
        _jieba = jieba
    return _jieba


JIEBA_CHUNK = 500  # jieba's time grows faster than linearly on long runs without punctuation


def _cut(text: str) -> list[str]:
    """jieba words of ``text``, cut in chunks of at most JIEBA_CHUNK characters (a real sentence is one
    chunk; a pathological one stays linear in time)."""
    cut = _load_jieba().lcut
    if len(text) <= JIEBA_CHUNK:
        return cut(text)
    return [w for i in range(0, len(text), JIEBA_CHUNK) for w in cut(text[i:i + JIEBA_CHUNK])]


def analyze(text: str, ngram_max: int = 3, words: bool = True) -> list[str]:
    """Features of one (normalised) text: char 1..n-grams with digits folded to 0, and (``words``) jieba words."""
    folded = _DIGITS.sub("0", text)
    feats = [folded[i:i + n] for n in range(1, ngram_max + 1) for i in range(len(folded) - n + 1)]
    if words:
        feats += ["w:" + w for w in _cut(folded) if w.strip()]
    return feats


@lru_cache(maxsize=4096)  # a section's sentences share their heading
def _heading_features(head: str, words: bool) -> tuple[str, ...]:
    if words:
        return tuple("h:" + w for w in _cut(head))
    head = _DIGITS.sub("0", head)  # the heading's characters and character pairs
    return tuple("h:" + head[i:i + n] for n in (1, 2) for i in range(len(head) - n + 1))


def model_input(text: str, section=(), context: str = "none", part: str | None = None) -> str:
    """The text a model reads: the normalised sentence, with the nearest heading in front if
    ``context='heading'``, and the report part (:mod:`xhnlp.parts`) before that when given:
    ``"part\theading\nsentence"``."""
    sentence = normalize(text)
    head = normalize(section[-1]) if context == "heading" and section else ""
    if part:
        return f"{part}\t{head}\n{sentence}"
    return f"{head}\n{sentence}" if head else sentence


class BaselineModel:
    """TF-IDF + logistic regression for both heads, with scikit-learn's fit / predict / predict_proba."""

    model_type = "tfidf-logreg"

    def __init__(self, C: float = 4.0, ngram_max: int = 3, context: str = "none", structural: bool = False,
                 words: bool = True, min_df: int = 1, parts: bool | str = False):
        """``words``: jieba word features (else characters only: faster, ~70 MB less memory, no jieba);
        ``min_df``: keep features seen in at least this many training texts (smaller vocabulary);
        ``parts``: the report part (review / plan / government / other) as a feature (``True``), or also
        conjoined with every other feature (``"conjoin"``)."""
        self.C, self.ngram_max, self.context, self.structural = C, ngram_max, context, structural
        self.words, self.min_df, self.parts = words, min_df, parts
        self.heads = HEADS
        self.vectorizer: TfidfVectorizer | None = None
        self.weights: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def uses_parts(self) -> bool:
        """Whether predict_proba reads the ``parts`` argument (the model contract's optional input)."""
        return bool(self.parts)

    def _analyzer(self, text: str) -> list[str]:
        head, _, sentence = text.rpartition("\n")
        part, tab, rest = head.partition("\t")
        head = rest if tab else head
        feats = analyze(sentence, self.ngram_max, self.words)
        if tab:
            if self.parts == "conjoin":  # every feature also in a copy of its own per part (Daumé's "easy
                feats += [f"{part}|{f}" for f in feats]  # domain adaptation"): a look back learns its own weights
            feats.append("p:" + part)
        if self.structural:  # rule-based signals: a quantified target found by xhnlp.targets
            feats += [f"t:{t.comparator}" for t in extract_targets(sentence)] or ["t:none"]
        if head:
            feats += _heading_features(head, self.words)
        return feats

    def _inputs(self, texts, sections, parts=None):
        sections = sections if sections is not None else [()] * len(texts)
        parts = parts if self.parts and parts is not None else [None] * len(texts)
        return [model_input(t, s, self.context, p) for t, s, p in zip(texts, sections, parts)]

    def fit(self, texts, areas, types, sections=None, parts=None) -> "BaselineModel":
        X_text = self._inputs(texts, sections, parts)
        self.vectorizer = TfidfVectorizer(analyzer=self._analyzer, sublinear_tf=True, min_df=self.min_df)
        X = self.vectorizer.fit_transform(X_text)
        for head, y in (("area", areas), ("type", types)):
            labels = self.heads[head]
            y_idx = np.array([labels.index(v) for v in y])
            clf = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000).fit(X, y_idx)
            coef = np.zeros((len(labels), X.shape[1]), dtype=np.float32)
            bias = np.full(len(labels), -1e4, dtype=np.float32)  # classes never seen get probability ~0
            if len(clf.classes_) == 2:  # sklearn keeps one row for binary problems
                coef[clf.classes_[1]], bias[clf.classes_[1]] = clf.coef_[0], clf.intercept_[0]
                bias[clf.classes_[0]] = 0.0
            else:
                coef[clf.classes_], bias[clf.classes_] = clf.coef_, clf.intercept_
            self.weights[head] = (coef, bias)
        return self

    def predict_proba(self, texts, sections=None, parts=None) -> dict[str, np.ndarray]:
        """{'area': (n, 8), 'type': (n, 6)} probabilities, columns in ``self.heads`` order; ``parts``: the
        report part of each text (used by a model trained with ``parts=True``)."""
        if self.vectorizer is None:
            raise RuntimeError("model is not fitted")
        if len(texts) == 0:
            return {h: np.zeros((0, len(labels)), dtype=np.float32) for h, labels in self.heads.items()}
        # float32 like the weights: a float64 X would make scipy upcast (copy) the weights on every call
        X = self.vectorizer.transform(self._inputs(texts, sections, parts)).astype(np.float32)
        out = {}
        for head, (coef, bias) in self.weights.items():
            logits = np.asarray(X @ self._coef_t(head)) + bias
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            out[head] = (p / p.sum(axis=1, keepdims=True)).astype(np.float32)
        return out

    def _coef_t(self, head: str) -> np.ndarray:
        """The head's weights transposed and contiguous, made once (``coef.T`` would be copied per call)."""
        cache = self.__dict__.setdefault("_coef_t_cache", {})
        coef = self.weights[head][0]
        if head not in cache or cache[head][0] is not coef:
            cache[head] = (coef, np.ascontiguousarray(coef.T))
        return cache[head][1]

    def predict(self, texts, sections=None, parts=None) -> dict[str, list[str]]:
        probs = self.predict_proba(texts, sections, parts)
        return {h: [self.heads[h][i] for i in p.argmax(axis=1)] for h, p in probs.items()}

    def save_pretrained(self, path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        config = {"xhnlp_model_type": self.model_type, "xhnlp_version": __version__,
                  "labels": {h: list(v) for h, v in self.heads.items()},
                  "C": self.C, "ngram_max": self.ngram_max, "context": self.context, "structural": self.structural,
                  "words": self.words, "min_df": self.min_df, "parts": self.parts}
        (path / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
        vocab = {k: int(v) for k, v in self.vectorizer.vocabulary_.items()}
        (path / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        tensors = {"idf": self.vectorizer.idf_.astype(np.float32)}
        for head, (coef, bias) in self.weights.items():
            tensors[f"{head}.coef"], tensors[f"{head}.bias"] = coef, bias
        save_file(tensors, str(path / "model.safetensors"))

    @classmethod
    def from_pretrained(cls, path) -> "BaselineModel":
        path = Path(path)
        config = read_config(path, ("vocab.json", "model.safetensors"))
        check_head_sizes(path, config["labels"], {h: f"{h}.coef" for h in config["labels"]})
        self = cls(C=config["C"], ngram_max=config["ngram_max"], context=config.get("context", "none"),
                   structural=config.get("structural", False), words=config.get("words", True),
                   min_df=config.get("min_df", 1), parts=config.get("parts", False))
        self.heads = {h: tuple(v) for h, v in config["labels"].items()}
        vocab = read_json(path / "vocab.json")
        tensors = load_file(str(path / "model.safetensors"))
        self.vectorizer = TfidfVectorizer(analyzer=self._analyzer, sublinear_tf=True, vocabulary=vocab)
        self.vectorizer.idf_ = tensors["idf"].astype(np.float64)
        self.weights = {h: (tensors[f"{h}.coef"], tensors[f"{h}.bias"]) for h in self.heads}
        if self.words:
            _load_jieba()  # at load time, not on the first sentence
        return self
