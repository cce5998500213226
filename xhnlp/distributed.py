"""Tagging beyond one process: Hugging Face ``datasets`` and Ray Data.

* :func:`tag_dataset` — ``datasets.Dataset.map(batched=True, num_proc=…)`` on one machine's cores.
* :func:`tag_ray_dataset` — ``ray.data.Dataset.map_batches`` with :class:`RayTagger`, a callable
  class that loads the model in each actor (on a GPU when the actor has one): one machine or a cluster.

Both take a dataset of **documents** (``level="document"``: a text column, optionally an id column;
the result has one row per heading or sentence, the columns of :func:`xhnlp.tagger.flat_row`) or of
**sentences** (``level="sentence"``: the input rows with ``area``, ``area_score``, ``type``,
``type_score``, ``strength``, ``n_targets`` and ``targets`` added). ``probabilities=True`` adds one
``p_area_*`` / ``p_type_*`` column per class. The model travels as its name or path only and is
loaded once per worker process, on first use; a path must exist on every worker.

``datasets`` and ``ray`` are optional: ``pip install datasets`` / ``pip install "ray[data]"``.
"""
from __future__ import annotations

import hashlib
import os

from . import models
from .labels import HEADS
from .tagger import Tagger, flat_row

PIECE_COLUMNS = {"doc": "string", "index": "int64", "kind": "string", "section": "string", "text": "string",
                 "start": "int64", "end": "int64"}
LABEL_COLUMNS = {"area": "string", "area_score": "float64", "type": "string", "type_score": "float64",
                 "strength": "string", "n_targets": "int64", "targets": "string"}
LEVELS = ("document", "sentence")


def _require(module: str, install: str):
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(f"this needs the optional package {module!r}: {install}") from None


def output_columns(level: str = "document", probabilities: bool = False) -> dict[str, str]:
    """Name → Arrow type name of the columns the tagging adds (all of them for documents)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    cols = {**(PIECE_COLUMNS if level == "document" else {}), **LABEL_COLUMNS}
    if probabilities:
        cols.update({f"p_{head}_{code}": "float64" for head in ("area", "type") for code in HEADS[head]})
    return cols


# --- one tagger per worker process -----------------------------------------------------------------
_TAGGERS: dict[tuple, Tagger] = {}


def _is_bert(model) -> bool:
    return models.read_config(models.resolve(model), ()).get("xhnlp_model_type") != "tfidf-logreg"


def worker_tagger(model=None, quantize: bool = False, threads: int | None = None, device: str | None = None,
                  workers: int = 1, batch_size: int = 256) -> Tagger:
    """This process's tagger for these settings, loaded on first call. With ``workers`` processes on
    one machine and no ``threads``, a BERT gets an equal share of the CPUs."""
    key = (None if model is None else str(model), quantize, threads, device, workers, batch_size)
    if key not in _TAGGERS:
        options = {}
        if _is_bert(model):  # torch options; the TF-IDF baseline has none
            if threads is None and workers > 1:
                threads = max(1, (os.cpu_count() or 1) // workers)
            options = {"quantize": quantize and device in (None, "cpu"), "threads": threads, "device": device}
        _TAGGERS[key] = Tagger(models.load(model, **options), batch_size=batch_size)
    return _TAGGERS[key]


def _tag_columns(tagger: Tagger, texts, docs, level: str, probabilities: bool) -> dict[str, list]:
    """Column lists: one row per piece of each document, or one per sentence."""
    names = output_columns(level, probabilities)
    texts = ["" if t is None else str(t) for t in texts]
    if level == "sentence":
        rows = [flat_row(p, probabilities) for p in tagger.tag_sentences(texts)]
    else:
        rows = [flat_row(p, probabilities) for text, doc in zip(texts, docs) for p in tagger.iter_tag(text, doc)]
    return {name: [r[name] for r in rows] for name in names}


def _model_stamp(model) -> list:
    """Names, sizes and times of the model's files: part of the ``datasets`` cache fingerprint, so that
    a model retrained in place is not answered from the cache."""
    path = models.resolve(model)
    files = sorted(f for f in [*path.iterdir(), *(path / "lexical").glob("*")] if f.is_file())
    return [(str(f.relative_to(path)), f.stat().st_size, f.stat().st_mtime_ns) for f in files]


# --- Hugging Face datasets ----------------------------------------------------------------------------
def _map_batch(batch, indices, *, model, settings, level, text_column, id_column, probabilities, stamp):
    tagger = worker_tagger(model, **settings)
    if level == "document":
        docs = [str(x) for x in batch[id_column]] if id_column else [str(i) for i in indices]
    else:
        docs = None
    return _tag_columns(tagger, batch[text_column], docs, level, probabilities)


def tag_dataset(ds, model=None, *, level: str = "document", text_column: str = "text", id_column: str | None = None,
                num_proc: int | None = None, batch_size: int | None = None, probabilities: bool = False,
                quantize: bool = False, threads: int | None = None, **map_kwargs):
    """Tag a ``datasets.Dataset`` of documents or sentences with ``ds.map(batched=True, num_proc=…)``.

    Documents: the result has one row per piece; ``doc`` is ``id_column``'s value, else the row number.
    ``num_proc`` worker processes each load the model once (a BERT then uses its share of the cores
    unless ``threads`` says otherwise). ``batch_size``: documents (default 8) or sentences (default
    256) per call. Other keyword arguments go to ``ds.map`` (``desc``, ``cache_file_name``, ...).

    >>> ds = datasets.Dataset.from_dict({"id": ["a", "b"], "text": [report_a, report_b]})
    >>> pieces = tag_dataset(ds, "bert", id_column="id", num_proc=4)
    """
    datasets = _require("datasets", "pip install datasets")
    cols = output_columns(level, probabilities)
    missing = [c for c in (text_column, id_column) if c and c not in ds.column_names]
    if missing:
        raise ValueError(f"dataset has no column {missing[0]!r} (columns: {ds.column_names})")
    new = datasets.Features({name: datasets.Value(kind) for name, kind in cols.items()})
    if level == "document":
        features, remove = new, ds.column_names
    else:
        clash = [c for c in cols if c in ds.column_names]
        if clash:
            raise ValueError(f"the dataset already has column(s) {clash}; rename them first")
        features, remove = datasets.Features({**ds.features, **new}), None
    settings = {"quantize": quantize, "threads": threads, "workers": num_proc or 1}
    return ds.map(_map_batch, batched=True, with_indices=True, num_proc=num_proc,
                  batch_size=batch_size or (8 if level == "document" else 256), remove_columns=remove,
                  features=features,
                  fn_kwargs={"model": None if model is None else str(model), "settings": settings, "level": level,
                             "text_column": text_column, "id_column": id_column, "probabilities": probabilities,
                             "stamp": _model_stamp(model)},
                  **map_kwargs)


# --- Ray Data -----------------------------------------------------------------------------------------
class RayTagger:
    """A Ray Data callable class: loads the model once in ``__init__`` (on the actor's GPU if Ray gave it
    one), then tags ``pyarrow.Table`` batches. Used by :func:`tag_ray_dataset`; usable directly in
    ``ds.map_batches(RayTagger, fn_constructor_kwargs={...}, batch_format="pyarrow")``."""

    def __init__(self, model=None, level: str = "document", text_column: str = "text", id_column: str | None = None,
                 probabilities: bool = False, quantize: bool = False, threads: int | None = None,
                 batch_size: int = 256):
        import ray

        device = "cuda" if ray.get_gpu_ids() else None
        self.tagger = worker_tagger(model, quantize=quantize, threads=threads, device=device, batch_size=batch_size)
        self.level, self.text_column, self.id_column, self.probabilities = level, text_column, id_column, probabilities
        self.columns = output_columns(level, probabilities)

    def __call__(self, batch):
        import pyarrow as pa

        texts = batch.column(self.text_column).to_pylist()
        docs = None
        if self.level == "document":  # without an id column, a document is named by a hash of its text
            docs = ([str(x) for x in batch.column(self.id_column).to_pylist()] if self.id_column else
                    ["sha1:" + hashlib.sha1((t or "").encode("utf-8")).hexdigest()[:16] for t in texts])
        values = _tag_columns(self.tagger, texts, docs, self.level, self.probabilities)
        arrays = {name: pa.array(values[name], type=getattr(pa, kind)()) for name, kind in self.columns.items()}
        if self.level == "document":
            return pa.table(arrays)
        for name, array in arrays.items():
            batch = batch.append_column(name, array)
        return batch


def tag_ray_dataset(ds, model=None, *, level: str = "document", text_column: str = "text",
                    id_column: str | None = None, batch_size: int | None = None, workers: int | None = None,
                    num_gpus: float | None = None, num_cpus: float | None = None, probabilities: bool = False,
                    quantize: bool = False, threads: int | None = None):
    """Tag a ``ray.data.Dataset`` of documents or sentences (lazily, like every Ray Data transform).

    ``workers``: a fixed pool of that many actors (default: Ray's autoscaling pool). ``num_gpus``: GPUs
    per actor; by default 1 when the model is a BERT and the connected cluster has GPUs (call
    ``ray.init()`` first), else 0. ``num_cpus`` per actor: Ray sets ``OMP_NUM_THREADS`` to it, and a
    BERT uses that many threads. ``batch_size``: documents (default 8) or sentences (default 256) per call.

    >>> ds = ray.data.read_parquet("s3://bucket/reports/")        # columns: id, text
    >>> tag_ray_dataset(ds, "bert", id_column="id").write_parquet("s3://bucket/tagged/")
    """
    _require("ray", 'pip install "ray[data]"')
    import ray.data  # a plain ``ray`` install lacks it

    output_columns(level, probabilities)  # checks level
    models.resolve(model)  # fails early on a wrong name; a path must also exist on the workers
    if num_gpus is None:
        has_gpus = ray.is_initialized() and ray.cluster_resources().get("GPU", 0) >= 1
        num_gpus = 1 if has_gpus and _is_bert(model) else 0
    options = {"num_gpus": num_gpus} if num_gpus else {}
    if num_cpus is not None:
        options["num_cpus"] = num_cpus
    if workers:
        options["compute"] = ray.data.ActorPoolStrategy(size=workers)
    return ds.map_batches(
        RayTagger, batch_size=batch_size or (8 if level == "document" else 256), batch_format="pyarrow",
        fn_constructor_kwargs={"model": None if model is None else str(model), "level": level,
                               "text_column": text_column, "id_column": id_column, "probabilities": probabilities,
                               "quantize": quantize and not num_gpus, "threads": threads},
        **options)
