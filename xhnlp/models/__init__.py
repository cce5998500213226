"""Model directories: shipped models, loading by name or path, and the checks on a directory.

Every model directory holds ``config.json`` whose ``xhnlp_model_type`` names the class that
reads it, weights as ``model.safetensors`` and other data as JSON — never pickle — so that
opening a model someone sent you cannot run their code.
"""
from __future__ import annotations

import json
from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "pretrained"  # data only: weights apart from code
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


def safetensors_header(file: Path) -> dict:
    """The header of a safetensors file, after checking that the file holds every byte it declares.

    Raises ModelError naming the file when it is truncated, padded or not safetensors at all."""
    size = file.stat().st_size
    with open(file, "rb") as f:
        head = f.read(8)
        n = int.from_bytes(head, "little") if len(head) == 8 else -1
        if n < 2 or 8 + n > size:
            raise ModelError(f"{file} is truncated or not a safetensors file ({size} bytes)")
        try:
            header = json.loads(f.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ModelError(f"{file} has a corrupt safetensors header") from None
    ends = [t["data_offsets"][1] for k, t in header.items() if k != "__metadata__" and isinstance(t, dict)
            and "data_offsets" in t]
    if not isinstance(header, dict) or 8 + n + max(ends, default=0) != size:
        raise ModelError(f"{file} is truncated or corrupt: its header declares {8 + n + max(ends, default=0)} "
                         f"bytes, the file has {size}")
    return header


SMALL_JSON = 1 << 20  # config and tokenizer files; a vocabulary is checked where it is read


def read_json(file: Path):
    """A model directory's JSON file, or a ModelError naming it."""
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelError(f"{file} is not valid JSON ({e})") from None


def validate_dir(path: Path) -> None:
    """Check a model directory's data files before anything reads them: every JSON file parses, every
    safetensors file is whole. Raises ModelError naming the first bad file."""
    for file in sorted(path.rglob("*")):
        if file.suffix == ".json" and file.stat().st_size <= SMALL_JSON:  # big ones: parsed once, by their loader
            read_json(file)
        elif file.suffix == ".safetensors":
            safetensors_header(file)


def check_head_sizes(path: Path, labels: dict[str, list], tensors: dict[str, str]) -> None:
    """Check that the weights of each head have one row per label of the config (``tensors`` maps a head
    to the name of its weight tensor in ``path/model.safetensors``)."""
    header = safetensors_header(path / "model.safetensors")
    for head, name in tensors.items():
        shape = header.get(name, {}).get("shape")
        if shape is None:
            raise ModelError(f"{path / 'model.safetensors'} has no tensor {name!r} for the {head} head")
        if shape[0] != len(labels[head]):
            raise ModelError(f"{path / 'config.json'} lists {len(labels[head])} {head} labels but "
                             f"{path / 'model.safetensors'} has weights for {shape[0]}")


def fingerprint(model: str | Path | None = None) -> str:
    """A hash of every file of a model directory (names and contents): it changes whenever the model
    is retrained or edited in place."""
    import hashlib

    path = resolve(model)
    h = hashlib.sha256()
    for file in sorted(f for f in path.rglob("*") if f.is_file() and "__pycache__" not in f.parts):
        h.update(str(file.relative_to(path).as_posix()).encode() + b"\0")
        with open(file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        h.update(b"\0")
    return h.hexdigest()[:16]


def load(model: str | Path | None = None, **options):
    """Load a tagging model (an object with ``predict_proba``) from a name or directory.

    ``options`` go to a BERT model's ``from_pretrained`` (``quantize``, ``backend``, ``threads``, ``device``,
    ``batch_size``); the TF-IDF baseline has nothing to quantise or place and ignores them. Every failure
    is a ModelError with a one-line message naming the file."""
    path = resolve(model)
    config = read_config(path, ())
    validate_dir(path)
    try:
        return _load(path, config, options)
    except ModelError:
        raise
    except Exception as e:  # anything a damaged directory can still raise from a library
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise ModelError(f"cannot load the model in {path}: {type(e).__name__}: {first}") from None


def _load(path: Path, config: dict, options: dict):
    kind = config.get("xhnlp_model_type")
    if kind == "tfidf-logreg":
        from .baseline import BaselineModel
        return BaselineModel.from_pretrained(path)
    if kind == "bert-tagger" or config.get("model_type") == "bert" and "area_labels" in config:
        from .bert import BertTagger
        return BertTagger.from_pretrained(path, **options)
    raise ModelError(f"{path / 'config.json'} does not describe an xhnlp tagging model "
                     f"(xhnlp_model_type={kind!r}; expected 'tfidf-logreg' or 'bert-tagger')")
