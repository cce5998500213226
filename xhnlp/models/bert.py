"""The BERT tagger: one encoder, two classification heads (area, type), mean-pooled.

A model directory is Hugging Face's ``save_pretrained`` form: ``config.json`` (BERT settings plus
``area_labels``, ``type_labels``, ``max_seq_length``, ``context``, ``fusion``, ``section_smoothing``),
``model.safetensors``, the tokenizer files, ``README.md`` (model card), and optionally ``lexical/`` —
a baseline model whose probabilities are mixed with the BERT's (weights in ``config.fusion``, tuned
on validation data). ``section_smoothing`` (per head, tuned likewise) mixes in the mean probabilities
of the sentences under the same heading: sentences of one section mostly share an area. Sentences
longer than the window are split into overlapping windows whose logits are averaged.

Speed (CPU): by default (``backend="auto"``) the forward pass (encoder, pooling, heads) is exported at
load time, in memory, to ONNX and run by ONNX Runtime, which runs a whole batch in one call without
holding Python's lock (so the lexical model's thread overlaps it): 1.3-1.4x the CLI throughput of
eager PyTorch for the shipped model on 2 cores, same logits to ~1e-6 (``tests/test_bert_speed.py``
checks it; ``eval/bench.py`` measures speed and label agreement). ``backend="torch"`` keeps PyTorch
(always used on a GPU and for training). ``quantize=True`` quantises the PyTorch encoder's Linear
layers to int8 instead. The thread count is set at load from ``threads=`` or ``$XHNLP_THREADS``
when given (see :func:`configure_threads`).
"""
from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from pathlib import Path

import numpy as np
import torch
from torch import nn
from transformers import AutoTokenizer, BertConfig, BertModel, BertPreTrainedModel
from transformers.utils import logging as hf_logging

from ..labels import AREA_CODES, TYPE_CODES
from ..segment import normalize
from . import ModelError, check_head_sizes, read_config
from .baseline import BaselineModel

hf_logging.disable_progress_bar()  # no per-shard progress bars when loading a model


# --- threads ------------------------------------------------------------------------------------
def cpu_has_bf16() -> bool:
    """Whether bf16 autocast pays on this CPU: it needs AVX512-BF16 or AMX (on AVX2-only CPUs it is ~20x
    slower than fp32)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op thread count from ``threads`` or ``$XHNLP_THREADS`` when given (else keep
    torch's choice) and return it. On a busy machine fewer threads than cores is much faster."""
    env = os.environ.get("XHNLP_THREADS", "").strip()
    if threads is None and env:
        try:
            threads = int(env)
        except ValueError:
            raise ModelError(f"XHNLP_THREADS must be a whole number, not {env!r}") from None
    if threads is not None and torch.get_num_threads() != max(1, int(threads)):
        torch.set_num_threads(max(1, int(threads)))
    return torch.get_num_threads()


def quantize_encoder(model: "BertForPolicyTagging") -> "BertForPolicyTagging":
    """int8 dynamic quantisation of the encoder's ``nn.Linear`` layers, in place (CPU only).

    The two small classification heads stay float32: they cost nothing and keep the scores exact
    up to the encoder's rounding. ``torch.ao.quantization`` is deprecated in favour of torchao; its
    warnings are silenced here while it still works.
    """
    if next(model.parameters()).device.type != "cpu":
        raise ModelError("quantize=True is for CPU inference; on a GPU use the float model")
    engines = torch.backends.quantized.supported_engines
    if torch.backends.quantized.engine not in engines or torch.backends.quantized.engine == "none":
        torch.backends.quantized.engine = next(e for e in ("x86", "fbgemm", "qnnpack") if e in engines)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")
        model.bert = torch.ao.quantization.quantize_dynamic(model.bert.eval(), {nn.Linear}, dtype=torch.qint8)
    model.quantized = True
    return model


BACKENDS = ("auto", "torch", "onnx")


def onnx_available() -> bool:
    """Whether ONNX Runtime and the ``onnx`` package (needed by torch's exporter) are importable."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))


class _Logits(nn.Module):
    """Forward pass for export: encoder, mean pooling and both heads; returns (area, type) logits."""

    def __init__(self, model: "BertForPolicyTagging"):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        hidden = self.model.bert(input_ids=input_ids, attention_mask=attention_mask,
                                 token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.model.area_head(pooled), self.model.type_head(pooled)


class OnnxForward:
    """The model's inference forward pass exported to ONNX (in memory, nothing written to disk) and run
    by ONNX Runtime on the CPU. Called with numpy int64 arrays, returns numpy logits per head.

    The graph is traced from the float model's weights at load: a model directory stays safetensors
    and JSON, and the graph is always the one of the weights in it."""

    INPUTS = ("input_ids", "attention_mask", "token_type_ids")

    def __init__(self, model: "BertForPolicyTagging"):
        import io

        import onnxruntime as ort

        if getattr(model, "quantized", False):
            raise ModelError("backend='onnx' runs the float model: leave out quantize=True")
        ids = torch.full((2, 8), 5, dtype=torch.long)
        att = torch.ones_like(ids)
        att[1, 5:] = 0  # trace with padding: the masked attention path is the general one
        buf = io.BytesIO()
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer notices
            torch.onnx.export(_Logits(model).eval(), (ids, att, torch.zeros_like(ids)), buf,
                              input_names=list(self.INPUTS), output_names=["area_logits", "type_logits"],
                              dynamic_axes={k: {0: "batch", 1: "length"} for k in self.INPUTS},
                              opset_version=17, dynamo=False)
        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()  # as configure_threads left it
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # idle threads sleep instead of spinning: the lexical model and the I/O need the cores too
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(buf.getvalue(), options, providers=["CPUExecutionProvider"])

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray):
        area, type_ = self.session.run(None, dict(zip(self.INPUTS, (input_ids, attention_mask, token_type_ids))))
        return {"area_logits": area, "type_logits": type_}


class BertForPolicyTagging(BertPreTrainedModel):
    """BERT encoder + mean pooling + two linear heads. Extra config: ``area_labels``, ``type_labels``."""

    def __init__(self, config: BertConfig):
        super().__init__(config)
        config.area_labels = list(getattr(config, "area_labels", None) or AREA_CODES)
        config.type_labels = list(getattr(config, "type_labels", None) or TYPE_CODES)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.area_head = nn.Linear(config.hidden_size, len(config.area_labels))
        self.type_head = nn.Linear(config.hidden_size, len(config.type_labels))
        self.post_init()

    def forward(self, input_ids, attention_mask, token_type_ids=None, area_labels=None, type_labels=None,
                area_weight=None, type_weight=None):
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = self.dropout((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0))
        out = {"area_logits": self.area_head(pooled), "type_logits": self.type_head(pooled)}
        if area_labels is not None and type_labels is not None:
            ce = nn.functional.cross_entropy
            out["loss"] = (ce(out["area_logits"], area_labels, weight=area_weight)
                           + ce(out["type_logits"], type_labels, weight=type_weight))
        return out


def smooth_by_section(probs: np.ndarray, sections, weight: float) -> np.ndarray:
    """Mix each sentence's probabilities with the mean of its section's (sentences under the same
    headings): ``(1 - weight) * p + weight * mean``. Sentences without a section stay as they are."""
    if not weight or sections is None:
        return probs
    groups: dict[tuple, list[int]] = {}
    for i, sec in enumerate(sections):
        if sec:
            groups.setdefault(tuple(sec), []).append(i)
    out = probs.copy()
    for idx in groups.values():
        if len(idx) > 1:
            out[idx] = (1 - weight) * probs[idx] + weight * probs[idx].mean(axis=0)
    return out


def _softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


class BertTagger:
    """Inference wrapper: tokenisation with windows, length-sorted batches, optional fusion with a baseline."""

    model_type = "bert-tagger"

    def __init__(self, model: BertForPolicyTagging, tokenizer, lexical: BaselineModel | None = None,
                 batch_size: int = 32, stride: int | None = None, backend: str = "torch"):
        self.model = model.eval()
        self.onnx: OnnxForward | None = None
        self.tokenizer = tokenizer
        self.lexical = lexical
        self.config = model.config
        self.heads = {"area": tuple(self.config.area_labels), "type": tuple(self.config.type_labels)}
        self.max_length = int(getattr(self.config, "max_seq_length", 128))
        self.context = getattr(self.config, "context", "none")
        self.fusion = dict(getattr(self.config, "fusion", None) or {"area": 0.0, "type": 0.0})
        self.smoothing = dict(getattr(self.config, "section_smoothing", None) or {"area": 0.0, "type": 0.0})
        self.batch_size = batch_size
        self.stride = stride or self.max_length // 4
        self.use_backend(backend)

    @property
    def uses_parts(self) -> bool:
        """Whether predict_proba reads the ``parts`` argument (its lexical part was trained with them)."""
        return bool(self.lexical is not None and self.lexical.parts)

    @property
    def backend(self) -> str:
        return "onnx" if self.onnx is not None else "torch"

    def use_backend(self, backend: str = "auto") -> "BertTagger":
        """Run inference with ``"onnx"`` (ONNX Runtime, CPU), ``"torch"``, or ``"auto"``: ONNX Runtime
        when the model is a float model on the CPU and onnxruntime is installed, else PyTorch. The ONNX
        graph is a snapshot of the weights: call this again after changing them."""
        if backend not in BACKENDS:
            raise ModelError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        self.onnx = None
        on_cpu = next(self.model.parameters()).device.type == "cpu"
        if backend == "onnx" and not on_cpu:
            raise ModelError("the onnx backend runs on the CPU; on a GPU use backend='torch'")
        if backend == "onnx" and not onnx_available():
            raise ModelError("the onnx backend needs onnxruntime and onnx: pip install onnxruntime onnx")
        if backend == "torch" or (backend == "auto" and not (on_cpu and not self.quantized and onnx_available())):
            return self
        try:
            self.onnx = OnnxForward(self.model)
        except ModelError:
            raise
        except Exception as e:  # an architecture the exporter cannot trace: PyTorch still runs it
            if backend == "onnx":
                raise ModelError(f"ONNX export failed ({type(e).__name__}: {e}); use backend='torch'") from e
            warnings.warn(f"ONNX export failed ({type(e).__name__}: {e}); running the model with PyTorch")
        return self

    # --- encoding -------------------------------------------------------------------------------
    def encode(self, texts, sections=None):
        """Token id windows for each text: returns (windows, owner) where owner[i] is the text index."""
        sections = sections if sections is not None else [()] * len(texts)
        tok = self.tokenizer
        sentences = [normalize(t) for t in texts]
        heads = [normalize(s[-1]) if self.context == "heading" and s else "" for s in sections]
        ids_only = dict(add_special_tokens=False, return_attention_mask=False, return_token_type_ids=False)
        sent_ids = tok(sentences, **ids_only)["input_ids"]
        head_ids = tok(heads, **ids_only)["input_ids"] if any(heads) else [[] for _ in texts]
        windows, owner = [], []
        for i, (ids, hid) in enumerate(zip(sent_ids, head_ids)):
            hid = hid[: self.max_length // 4]
            room = self.max_length - 2 - (len(hid) + 1 if hid else 0)
            starts = [0]
            if len(ids) > room:  # overlapping windows; the last one ends at the sentence's end
                starts = list(range(0, len(ids) - room, max(1, room - self.stride))) + [len(ids) - room]
            for s in starts:
                chunk = ids[s:s + room]
                if hid:
                    windows.append(([tok.cls_token_id] + hid + [tok.sep_token_id] + chunk + [tok.sep_token_id],
                                    len(hid) + 2))
                else:
                    windows.append(([tok.cls_token_id] + chunk + [tok.sep_token_id], len(chunk) + 2))
                owner.append(i)
        return windows, np.array(owner, dtype=np.int64)

    @staticmethod
    def collate(windows, pad_id: int, device="cpu"):
        """Pad a list of (ids, first_segment_length) to a batch of tensors (built in numpy, no per-row
        copies); ``device=None`` returns the numpy arrays."""
        lengths = np.fromiter((len(ids) for ids, _ in windows), dtype=np.int64, count=len(windows))
        first = np.fromiter((f for _, f in windows), dtype=np.int64, count=len(windows))
        positions = np.arange(lengths.max())[None, :]
        mask = positions < lengths[:, None]
        input_ids = np.full(mask.shape, pad_id, dtype=np.int64)
        input_ids[mask] = np.fromiter(chain.from_iterable(ids for ids, _ in windows), dtype=np.int64,
                                      count=int(lengths.sum()))  # row-major: the rows' ids in order
        types = (mask & (positions >= first[:, None])).astype(np.int64)
        arrays = (input_ids, mask.astype(np.int64), types)
        return arrays if device is None else tuple(torch.from_numpy(a).to(device) for a in arrays)

    @torch.inference_mode()
    def logits(self, texts, sections=None) -> dict[str, np.ndarray]:
        """Per-text logits of both heads, averaged over each text's windows."""
        windows, owner = self.encode(texts, sections)
        device = None if self.onnx is not None else next(self.model.parameters()).device
        forward = self.onnx or self._torch_logits
        lengths = np.fromiter((len(ids) for ids, _ in windows), dtype=np.int64, count=len(windows))
        order = np.argsort(lengths, kind="stable")  # similar lengths together: little padding
        sums = {h: np.zeros((len(texts), len(v)), dtype=np.float32) for h, v in self.heads.items()}
        for b in range(0, len(order), self.batch_size):
            idx = order[b:b + self.batch_size]
            out = forward(*self.collate([windows[k] for k in idx.tolist()], self.tokenizer.pad_token_id, device))
            for h in self.heads:
                np.add.at(sums[h], owner[idx], out[f"{h}_logits"])
        counts = np.bincount(owner, minlength=len(texts)).clip(min=1)[:, None]
        return {h: s / counts for h, s in sums.items()}

    def _torch_logits(self, input_ids, attention_mask, token_type_ids) -> dict[str, np.ndarray]:
        out = self.model(input_ids, attention_mask, token_type_ids)
        return {f"{h}_logits": out[f"{h}_logits"].float().cpu().numpy() for h in self.heads}

    def predict_proba(self, texts, sections=None, smooth: bool = True, parts=None) -> dict[str, np.ndarray]:
        """{'area': (n, 8), 'type': (n, 6)} probabilities (BERT, mixed with the lexical model if present),
        then smoothed by section over the texts of this call unless ``smooth=False`` (the pipeline
        smooths over a whole document itself)."""
        if len(texts) == 0:
            return {h: np.zeros((0, len(v)), dtype=np.float32) for h, v in self.heads.items()}
        fuse = self.lexical is not None and any(self.fusion.values())
        with ThreadPoolExecutor(1) as pool:  # the lexical model (Python) runs beside torch's encoder
            lexical = pool.submit(self.lexical.predict_proba, texts, sections, parts) if fuse else None
            probs = {h: _softmax(x) for h, x in self.logits(texts, sections).items()}
        if lexical is not None:
            lex = lexical.result()
            probs = {h: (1 - self.fusion[h]) * p + self.fusion[h] * lex[h] for h, p in probs.items()}
        if smooth:
            probs = {h: smooth_by_section(p, sections, self.smoothing.get(h, 0.0)) for h, p in probs.items()}
        return {h: p.astype(np.float32) for h, p in probs.items()}

    def predict(self, texts, sections=None, parts=None) -> dict[str, list[str]]:
        probs = self.predict_proba(texts, sections, parts=parts)
        return {h: [self.heads[h][i] for i in p.argmax(axis=1)] for h, p in probs.items()}

    # --- persistence ----------------------------------------------------------------------------
    @property
    def quantized(self) -> bool:
        return bool(getattr(self.model, "quantized", False))

    def to(self, device) -> "BertTagger":
        """Move the encoder to ``device`` (``"cuda"``, ``"cpu"``, ``"auto"``: a GPU when there is one)."""
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if self.quantized and torch.device(device).type != "cpu":
            raise ModelError("a quantised model runs on the CPU only")
        if torch.device(device).type != "cpu":
            self.onnx = None  # ONNX Runtime here is the CPU path; on a GPU PyTorch runs the model
        self.model.to(device)
        return self

    def save_pretrained(self, path) -> None:
        if self.quantized:
            raise ModelError("a quantised model is not saved; save the float model and pass quantize=True on load")
        path = Path(path)
        self.config.fusion = self.fusion
        self.config.section_smoothing = self.smoothing
        self.config.xhnlp_model_type = self.model_type
        self.model.save_pretrained(path)  # config.json + model.safetensors
        self.tokenizer.save_pretrained(path)
        if self.lexical is not None:
            self.lexical.save_pretrained(path / "lexical")

    @classmethod
    def from_pretrained(cls, path, quantize: bool = False, threads: int | None = None, device=None,
                        backend: str = "auto", **kwargs) -> "BertTagger":
        """Load a model directory. ``quantize``: int8 dynamic quantisation of the encoder (CPU, PyTorch);
        ``threads``: torch and ONNX Runtime threads (see :func:`configure_threads`); ``device``:
        ``"cpu"`` (default), ``"cuda"`` or ``"auto"``; ``backend``: ``"auto"`` (ONNX Runtime on the CPU
        when installed and not quantised), ``"onnx"`` or ``"torch"`` (see :meth:`use_backend`); other
        keyword arguments go to the constructor (``batch_size``, ``stride``)."""
        path = Path(path)
        config = read_config(path, ("model.safetensors",))
        if not any((path / f).exists() for f in ("tokenizer.json", "vocab.txt")):
            raise ModelError(f"model directory {path} is missing its tokenizer (tokenizer.json or vocab.txt)")
        for key in ("area_labels", "type_labels"):
            if key not in config:
                raise ModelError(f"{path / 'config.json'} has no {key}: not an xhnlp BERT tagger")
        check_head_sizes(path, {"area": config["area_labels"], "type": config["type_labels"]},
                         {"area": "area_head.weight", "type": "type_head.weight"})
        model = BertForPolicyTagging.from_pretrained(path, use_safetensors=True)
        tokenizer = AutoTokenizer.from_pretrained(path)
        lexical = BaselineModel.from_pretrained(path / "lexical") if (path / "lexical").is_dir() else None
        if any((config.get("fusion") or {}).values()) and lexical is None:
            raise ModelError(f"model directory {path} is missing lexical/ (its config mixes in a lexical model)")
        configure_threads(threads)
        if quantize:
            quantize_encoder(model)
        tagger = cls(model, tokenizer, lexical, **kwargs)
        if device not in (None, "cpu"):
            tagger.to(device)
        return tagger.use_backend(backend)
