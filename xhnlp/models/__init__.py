"""Model directories: shipped models, loading by name or path, and the checks on a directory.

Every model directory holds ``config.json`` whose ``xhnlp_model_type`` names the class that
reads it, weights as ``model.safetensors`` and other data as JSON — never pickle — so that
opening a model someone sent you cannot run their code.
"""
from __future__ import annotations

import json
from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent
SHIPPED = {"bert": SHIPPED_DIR / "bert", "baseline": SHIPPED_DIR / "baseline", "encoder": SHIPPED_DIR / "encoder"}
DEFAULT_ORDER = ("bert", "baseline")


class ModelError(Exception):
    """A model name or directory that cannot be loaded; the message says what is missing."""


def default_model_name() -> str:
    for name in DEFAULT_ORDER:
        if (SHIPPED[name] / "config.json").exists():
            return name
    raise ModelError(f"no shipped model found in {SHIPPED_DIR}; pass a model directory")


def resolve(model: str | Path | None) -> Path:
    """The directory of a shipped model name (``bert``, ``baseline``), a path, or the default (None)."""
    if model is None:
        model = default_model_name()
    if isinstance(model, str) and model in SHIPPED:
        return SHIPPED[model]
    path = Path(model)
    if not path.is_dir():
        raise ModelError(f"model {str(model)!r} is neither a shipped model ({', '.join(SHIPPED)}) nor a directory")
    return path


def read_config(path: Path, required: tuple[str, ...]) -> dict:
    """``config.json`` of a model directory, after checking that ``required`` files are all there."""
    missing = [name for name in ("config.json", *required) if not (path / name).exists()]
    if missing:
        raise ModelError(f"model directory {path} is missing {', '.join(missing)}")
    try:
        return json.loads((path / "config.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ModelError(f"{path / 'config.json'} is not valid JSON ({e})") from None


def load(model: str | Path | None = None, **options):
    """Load a tagging model (an object with ``predict_proba``) from a name or directory.

    ``options`` go to a BERT model's ``from_pretrained`` (``quantize``, ``backend``, ``threads``, ``device``,
    ``batch_size``); the TF-IDF baseline has nothing to quantise or place and ignores them."""
    path = resolve(model)
    config = read_config(path, ())
    kind = config.get("xhnlp_model_type")
    if kind == "tfidf-logreg":
        from .baseline import BaselineModel
        return BaselineModel.from_pretrained(path)
    if kind == "bert-tagger" or config.get("model_type") == "bert" and "area_labels" in config:
        from .bert import BertTagger
        return BertTagger.from_pretrained(path, **options)
    raise ModelError(f"{path / 'config.json'} does not describe an xhnlp tagging model "
                     f"(xhnlp_model_type={kind!r}; expected 'tfidf-logreg' or 'bert-tagger')")
