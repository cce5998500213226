"""Fine-tune a BERT checkpoint on the annotated sentences: one encoder, two heads (area, type).

    python -m xhnlp.training.finetune --init xhnlp/pretrained/encoder --corpus ../shared/corpus -o xhnlp/pretrained/bert

``--init`` is any BERT checkpoint: a local directory (ours, or a downloaded ``bert-base-chinese``)
or a hub name such as ``hfl/chinese-roberta-wwm-ext`` (needs the hub). ``--random-init`` keeps the
checkpoint's architecture and tokenizer but starts from random weights (the no-pretraining control).
Early stopping on a validation split (by document when there are several), class-weighted losses,
seedable. ``--fuse`` also trains the TF-IDF baseline on the same training split and mixes its
probabilities in, with per-head weights tuned on the validation split; it is saved in ``lexical/``.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score
from transformers import AutoConfig, AutoTokenizer

from ..data import load_silver
from ..labels import AREA_CODES, TYPE_CODES
from ..models import ModelError
from ..models.baseline import BaselineModel
from ..models.bert import BertForPolicyTagging, BertTagger, cpu_has_bf16, smooth_by_section
from . import script
from .cards import metrics_from, split_of, write_card
from .train_baseline import training_rows

HEAD_LABELS = {"area": AREA_CODES, "type": TYPE_CODES}


def set_seed(seed: int):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def class_weights(labels, codes) -> torch.Tensor:
    """Inverse square-root frequency weights, mean 1 over the classes present."""
    counts = Counter(labels)
    w = np.array([1.0 / np.sqrt(counts[c]) if counts[c] else 0.0 for c in codes])
    return torch.tensor(w / w[w > 0].mean(), dtype=torch.float32)


def macro_f1(rows, predicted: dict[str, list[str]]) -> dict[str, float]:
    return {h: f1_score([r[h] for r in rows], predicted[h], labels=list(HEAD_LABELS[h]), average="macro",
                        zero_division=0) for h in HEAD_LABELS}


def split_validation(rows, frac: float, seed: int):
    """Hold out whole documents when there are at least 4, else a random share of sentences."""
    docs = sorted({r.get("doc", "") for r in rows})
    rng = random.Random(seed)
    if len(docs) >= 4:
        rng.shuffle(docs)
        n_val = max(1, round(frac * len(docs)))
        val_docs = set(docs[:n_val])
        return [r for r in rows if r.get("doc", "") not in val_docs], [r for r in rows if r.get("doc", "") in val_docs]
    idx = list(range(len(rows)))
    rng.shuffle(idx)
    n_val = max(1, int(frac * len(rows)))
    return [rows[i] for i in idx[n_val:]], [rows[i] for i in idx[:n_val]]


def load_init(init: str, random_init: bool, context: str, max_length: int, dropout: float):
    offline = not Path(init).is_dir() and os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    try:  # HF_HUB_OFFLINE=1: a hub name is looked up in the local cache only, never on the network
        tokenizer = AutoTokenizer.from_pretrained(init, local_files_only=offline)
    except OSError as e:
        where = "a directory without a tokenizer" if Path(init).is_dir() else \
            "not a local directory, and the model hub could not be reached or has no such model"
        raise ModelError(f"cannot load the checkpoint {init!r}: {where} ({str(e).splitlines()[0][:160]})") from None
    extra = dict(area_labels=list(AREA_CODES), type_labels=list(TYPE_CODES), context=context,
                 max_seq_length=max_length, xhnlp_model_type="bert-tagger", hidden_dropout_prob=dropout)
    config = AutoConfig.from_pretrained(init)
    for key, value in extra.items():  # set one by one: from_pretrained drops keys it does not know
        setattr(config, key, value)
    if random_init:
        model = BertForPolicyTagging(config)
    else:
        model = BertForPolicyTagging.from_pretrained(init, config=config)
    return model, tokenizer


def fine_tune(train_rows, val_rows, init: str, *, random_init=False, context="none", heading_dropout=0.3,
              epochs=10, lr=2e-4, batch_size=32, max_length=128, patience=3, seed=0, fuse=False, dropout=0.1,
              lexical_context="heading", lexical_extra=(), lexical_structural=False, lexical_options=None,
              smoothing=True, log=print) -> tuple[BertTagger, dict]:
    """Train on ``train_rows`` (dicts with text, area, type, optional section), early-stop on ``val_rows``.

    With ``fuse``, a TF-IDF model (``lexical_context``: its input; ``lexical_options``: more
    :class:`BaselineModel` settings) is trained on ``train_rows`` plus ``lexical_extra`` (e.g. silver
    rows, too many for the BERT on a CPU) and mixed in; ``smoothing`` also tunes section smoothing.
    """
    lexical_extra = list(lexical_extra)
    set_seed(seed)
    model, tokenizer = load_init(init, random_init, context, max_length, dropout)
    tagger = BertTagger(model, tokenizer)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device)
    bf16 = device == "cuda" or cpu_has_bf16()  # autocast; weights and optimizer stay fp32
    weights = {h: class_weights([r[h] for r in train_rows], HEAD_LABELS[h]).to(device) for h in HEAD_LABELS}
    targets = {h: torch.tensor([HEAD_LABELS[h].index(r[h]) for r in train_rows]) for h in HEAD_LABELS}
    sections = [tuple(r.get("section") or ()) for r in train_rows]
    texts = [r["text"] for r in train_rows]
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * ((len(train_rows) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / (0.06 * steps + 1)) * max(0.0, 1 - s / steps))
    val_sections = [tuple(r.get("section") or ()) for r in val_rows]
    best, best_state, bad, history = -1.0, None, 0, []
    rng = np.random.default_rng(seed)
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(train_rows))
        total = 0.0
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            secs = [sections[i] if rng.random() >= heading_dropout else () for i in idx]
            windows, owner = tagger.encode([texts[i] for i in idx], secs)
            first = np.unique(owner, return_index=True)[1]  # training: the first window of each sentence
            ids, att, typ = tagger.collate([windows[k] for k in first], tokenizer.pad_token_id, device)
            with torch.autocast(device, dtype=torch.bfloat16, enabled=bf16):
                out = model(ids, att, typ, targets["area"][idx].to(device), targets["type"][idx].to(device),
                            weights["area"], weights["type"])
            out["loss"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            total += out["loss"].item() * len(idx)
        model.eval()
        f1 = macro_f1(val_rows, tagger.predict([r["text"] for r in val_rows], val_sections))
        score = (f1["area"] + f1["type"]) / 2
        history.append({"epoch": epoch + 1, "loss": total / len(train_rows), **{f"val_{h}_f1": v for h, v in f1.items()},
                        "minutes": round((time.time() - t0) / 60, 2)})
        log(json.dumps(history[-1]))
        if score > best:
            best, best_state, bad = score, copy.deepcopy(model.state_dict()), 0
        else:
            bad += 1
            if bad >= patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    info = {"history": history, "best_val_macro_f1": best, "train_sentences": len(train_rows),
            "val_sentences": len(val_rows), "device": device}
    if fuse:
        tagger = with_lexical(tagger, train_rows, val_rows, lexical_extra, lexical_context, lexical_structural,
                              smoothing, **(lexical_options or {}))
        info["fusion"], info["section_smoothing"] = tagger.fusion, tagger.smoothing
        log(f"fusion weights (share of the lexical model): {tagger.fusion}; section smoothing: {tagger.smoothing}")
    return tagger, info


def with_lexical(tagger: BertTagger, train_rows, val_rows, extra=(), context="heading", structural=False,
                 smoothing: bool = True, **options) -> BertTagger:
    """A copy of ``tagger`` (same BERT) that mixes in a TF-IDF model trained on ``train_rows`` + ``extra``,
    with per-head weights (its share, 0 to 1 by 0.1) chosen for macro-F1 on ``val_rows``; with
    ``smoothing``, per-head section smoothing weights chosen likewise. ``options`` go to
    :class:`BaselineModel` (``words``, ``min_df``, ``C``)."""
    rows = list(train_rows) + list(extra)
    lexical = BaselineModel(context=context, structural=structural, **options).fit(
        [r["text"] for r in rows], [r["area"] for r in rows], [r["type"] for r in rows],
        [tuple(r.get("section") or ()) for r in rows], [r.get("part") for r in rows])
    plain = copy.copy(tagger)
    plain.lexical, plain.smoothing = None, {}
    val_texts, val_sections = [r["text"] for r in val_rows], [tuple(r.get("section") or ()) for r in val_rows]
    bert_p = plain.predict_proba(val_texts, val_sections)
    lex_p = lexical.predict_proba(val_texts, val_sections, [r.get("part") for r in val_rows])
    grid = np.round(np.arange(0, 1.01, 0.1), 2)

    def f1(h, probs):
        codes = HEAD_LABELS[h]
        return f1_score([r[h] for r in val_rows], [codes[i] for i in probs.argmax(1)], labels=list(codes),
                        average="macro", zero_division=0)

    fusion, smooth = {}, {}
    for h in HEAD_LABELS:
        scores = {w: f1(h, (1 - w) * bert_p[h] + w * lex_p[h]) for w in grid}
        fusion[h] = float(max(scores, key=lambda w: (scores[w], -abs(w - 0.5))))
        mixed = (1 - fusion[h]) * bert_p[h] + fusion[h] * lex_p[h]
        # at most half the section's mean: beyond that whole sections flip to one label
        scores = {w: f1(h, smooth_by_section(mixed, val_sections, w)) for w in (grid[:6] if smoothing else [0.0])}
        smooth[h] = float(max(scores, key=lambda w: (round(scores[w], 4), -w)))
    fused = copy.copy(tagger)
    fused.lexical, fused.fusion, fused.smoothing = lexical, fusion, smooth
    return fused


def add_lexical_arguments(ap: argparse.ArgumentParser) -> None:
    """Command-line settings of the fused TF-IDF part and of section smoothing (see :func:`lexical_options`)."""
    ap.add_argument("--lexical-chars-only", action="store_true",
                    help="TF-IDF part: no jieba word features (faster, less memory)")
    ap.add_argument("--lexical-min-df", type=int, default=1,
                    help="TF-IDF part: drop features seen in fewer training sentences (smaller model)")
    ap.add_argument("--lexical-C", type=float, default=4.0, help="TF-IDF part: inverse regularisation")
    ap.add_argument("--lexical-parts", choices=("none", "feature", "conjoin"), default="conjoin",
                    help="TF-IDF part: the report part (review / plan / government / other) as a feature, or "
                         "conjoined with every feature (default)")
    ap.add_argument("--no-smoothing", action="store_true", help="no section smoothing")


def lexical_options(args) -> dict:
    """:class:`BaselineModel` settings from :func:`add_lexical_arguments`'s flags."""
    return {"words": not args.lexical_chars_only, "min_df": args.lexical_min_df, "C": args.lexical_C,
            "parts": {"none": False, "feature": True, "conjoin": "conjoin"}[args.lexical_parts]}





@script
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--init", required=True, help="BERT checkpoint: directory or hub name")
    ap.add_argument("--random-init", action="store_true", help="same architecture, random weights")
    ap.add_argument("--corpus", help="corpus directory for the stand-off annotations (../shared/corpus)")
    ap.add_argument("--extra", nargs="*", default=[], help="more annotated JSONL files (text, area, type)")
    ap.add_argument("--context", choices=("none", "heading"), default="none")
    ap.add_argument("--heading-dropout", type=float, default=0.3)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--patience", type=int, default=3)
    ap.add_argument("--val-frac", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fuse", action="store_true", help="mix in the TF-IDF baseline (weights tuned on validation)")
    ap.add_argument("--silver", action="store_true",
                    help="with --fuse: add the silver rows (xhnlp/annotations/corpus_silver.jsonl) to the TF-IDF part's training data")
    ap.add_argument("--structural", action="store_true", help="with --fuse: target-extractor features in the TF-IDF part")
    add_lexical_arguments(ap)
    ap.add_argument("--evaluation", help="an eval/grouped.py report.json for the model card")
    ap.add_argument("--evaluation-system", default="bert-fused-conjoin", help="the system of that report this model is")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)
    rows = training_rows(args.corpus, args.extra)
    silver = load_silver(args.corpus) if args.silver and args.corpus else []
    train, val = split_validation(rows, args.val_frac, args.seed)
    t0 = time.time()
    tagger, info = fine_tune(train, val, args.init, random_init=args.random_init, context=args.context,
                             heading_dropout=args.heading_dropout, epochs=args.epochs, lr=args.lr,
                             batch_size=args.batch_size, max_length=args.max_length, patience=args.patience,
                             seed=args.seed, fuse=args.fuse, lexical_structural=args.structural,
                             lexical_options=lexical_options(args),
                             smoothing=not args.no_smoothing,
                             lexical_extra=silver)
    out = Path(args.output)
    tagger.save_pretrained(out)
    cfg = tagger.config
    info["command"] = "python -m xhnlp.training.finetune " + " ".join(argv or sys.argv[1:])
    (out / "training_info.json").write_text(json.dumps(info, indent=2))
    metrics = metrics_from(args.evaluation, args.evaluation_system)
    n_params = sum(p.numel() for p in tagger.model.parameters()) / 1e6
    fusion = (f"a TF-IDF model (char n-grams{'' if args.lexical_chars_only else ', jieba words'}, section heading, report "
              f"part `{args.lexical_parts}`{', target-extractor features' if args.structural else ''}; C={args.lexical_C}, "
              f"features in >= {args.lexical_min_df} sentences; trained on the training split"
              f"{f' plus {len(silver)} silver rows' if silver else ''}) mixed in with per-head weights {tagger.fusion} "
              f"(its share), then section smoothing {tagger.smoothing} (share of the section's mean), both tuned on "
              "the validation documents" if args.fuse else "none")
    write_card(out, out.name,
               "Fine-tuned xhnlp BERT tagger: policy **area** (8 classes) and **commitment type** (6 classes) of "
               "sentences from Chinese government work reports, per the xhnlp label specification (LABELS.md).", {
                   "Model": f"- Encoder: `{args.init}` ({cfg.num_hidden_layers} layers, hidden {cfg.hidden_size}, "
                            f"{n_params:.1f}M parameters)"
                            f"{' — **random initialisation** (no pretraining)' if args.random_init else ''}\n"
                            "- Heads: mean-pooled encoder output → two linear heads, trained jointly with "
                            "class-weighted cross-entropy\n"
                            f"- Input: NFKC-normalised sentence, context mode `{args.context}`, window {args.max_length} "
                            "tokens (longer sentences are split into overlapping windows whose logits are averaged)\n"
                            f"- Lexical fusion: {fusion}",
                   "Training data": f"{len(train)} training sentences, {len(val)} validation sentences (early "
                                    f"stopping), from {len({r.get('doc') for r in rows})} documents: the sample report "
                                    "and the stand-off gold of the corpus reports (`xhnlp/annotations/`).",
                   "Training": f"`{info['command']}` — {(time.time() - t0) / 60:.1f} minutes on {info['device']}; "
                               f"best validation macro-F1 (mean of heads) {info['best_val_macro_f1']:.3f}.",
                   "Evaluation": ("Grouped folds by region, pooled out-of-fold predictions: "
                                  + ", ".join(f"{k} {v}" for k, v in metrics.items()) + ". Details: docs/RESULTS.md.")
                   if metrics else "See docs/RESULTS.md.",
                   "Intended use and limits": "Tagging sentences of Chinese government work reports for research. "
                   "Not validated on other genres. Low `area_score`/`type_score` deserve a look. Quantified targets "
                   "and commitment strength come from rules (`xhnlp.targets`), not from this model."}, metrics, split_of(args.evaluation))
    print(f"saved to {out}")


if __name__ == "__main__":
    main()
