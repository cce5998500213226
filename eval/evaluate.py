"""Cross-validated evaluation by document: macro-F1, per-class tables, confusion matrices, JSON report.

    python eval/evaluate.py --corpus ../shared/corpus --systems baseline --folds loro
    python eval/evaluate.py --corpus ../shared/corpus --systems baseline,bert,bert-random,bert-heading,bert-fused \
        --init xhnlp/pretrained/encoder --folds 4

Every document's sentences are predicted by a model that never saw that document (group k-fold,
or ``loro`` = leave one report out). Scores pool all out-of-fold predictions. Writes
OUT/report.json, OUT/<system>_<head>_confusion.png and prints the tables.
Systems: baseline, baseline-heading, baseline-heading-struct (+ target-extractor features), and
each with +silver; bert (which also
scores bert-fused and, with --silver, bert-fused+silver), bert-random, bert-heading. ``+silver`` adds
xhnlp/annotations/corpus_silver.jsonl rows of the training documents (never of the test documents).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import classification_report, confusion_matrix, f1_score

from xhnlp.data import load_gold, load_silver
from xhnlp.labels import AREAS, HEADS, TYPES
from xhnlp.models.baseline import BaselineModel
from xhnlp.training.finetune import add_lexical_arguments, fine_tune, lexical_options, split_validation, with_lexical


def folds_by_document(rows, k: str | int, seed: int = 0):
    """Test-document sets: one per document (``loro``: scikit-learn's ``LeaveOneGroupOut``) or ``k``
    groups of documents (``GroupKFold``, shuffled with ``seed``)."""
    from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

    docs = sorted({r["doc"] for r in rows})
    splitter = LeaveOneGroupOut() if k == "loro" else GroupKFold(n_splits=int(k), shuffle=True, random_state=seed)
    return [{docs[i] for i in test} for _, test in splitter.split(docs, groups=docs)]


def make_system(name: str, init: str | None, epochs: int, seed: int, structural: bool = False,
                lexical_options: dict | None = None, smoothing: bool = True):
    """A function (train_rows, silver_rows) -> {system name: predict(test_rows) -> {'area': [...], 'type': [...]}}.

    ``+silver`` systems add the silver rows to the TF-IDF model's training data. ``bert`` also yields
    ``bert-fused`` (mixed with a TF-IDF model with heading context, weights tuned on the validation
    documents) and, given silver rows, ``bert-fused+silver`` (the same with silver rows in the TF-IDF
    part only: the BERT trains on gold) — all from one fine-tuning.
    """
    base = name.replace("+silver", "")

    def predictor(model):
        return lambda test: model.predict([r["text"] for r in test], [tuple(r.get("section") or ()) for r in test])

    def train(rows, silver=()):
        if base.startswith("baseline"):
            rows = rows + list(silver)
            model = BaselineModel(context="heading" if "heading" in base else "none", structural="struct" in base,
                                  **(lexical_options or {}))
            model.fit([r["text"] for r in rows], [r["area"] for r in rows], [r["type"] for r in rows],
                      [tuple(r.get("section") or ()) for r in rows])
            return {name: predictor(model)}
        tr, va = split_validation(rows, 0.12, seed)
        model, _ = fine_tune(tr, va, init, random_init=base == "bert-random",
                             context="heading" if base == "bert-heading" else "none",
                             epochs=epochs, seed=seed, log=lambda s: None)
        systems = {name: predictor(model)}
        if name == "bert":
            options = dict(structural=structural, smoothing=smoothing, **(lexical_options or {}))
            systems["bert-fused"] = predictor(with_lexical(model, tr, va, **options))
            if silver:
                systems["bert-fused+silver"] = predictor(with_lexical(model, tr, va, silver, **options))
        return systems

    return train


def plot_confusion(matrix, labels, title, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1 + 0.7 * len(labels), 0.8 + 0.6 * len(labels)))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, int(matrix[i, j]), ha="center", va="center",
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black", fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def score(name, rows, pred, codes, minutes, plots: Path | None) -> dict:
    """Macro-F1, accuracy, per-class report, confusion matrix (and its PNG) of out-of-fold predictions."""
    per_doc = {}
    for d in sorted({r["doc"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["doc"] == d]
        per_doc[d] = {h: round(f1_score([rows[i][h] for i in idx], [pred[h][i] for i in idx], labels=codes[h],
                                        average="macro", zero_division=0), 4) for h in HEADS}
    result = {"minutes": minutes, "per_document_macro_f1": per_doc}
    for h in HEADS:
        gold = [r[h] for r in rows]
        result[f"{h}_macro_f1"] = round(f1_score(gold, pred[h], labels=codes[h], average="macro", zero_division=0), 4)
        result[f"{h}_accuracy"] = round(float(np.mean([g == p for g, p in zip(gold, pred[h])])), 4)
        result[f"{h}_per_class"] = classification_report(gold, pred[h], labels=codes[h], output_dict=True,
                                                         zero_division=0)
        matrix = confusion_matrix(gold, pred[h], labels=codes[h])
        result[f"{h}_confusion"] = matrix.tolist()
        if plots is not None:
            plot_confusion(matrix, codes[h], f"{name}: {h} (out-of-fold)", plots / f"{name}_{h}_confusion.png")
        print(f"\n== {name} / {h}: macro-F1 {result[f'{h}_macro_f1']:.3f}  accuracy {result[f'{h}_accuracy']:.3f}")
        print(classification_report(gold, pred[h], labels=codes[h], digits=3, zero_division=0))
    print(f"{name}: area macro-F1 {result['area_macro_f1']:.3f}, type macro-F1 {result['type_macro_f1']:.3f} "
          f"({minutes} min)", flush=True)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", help="corpus directory for the stand-off gold (without it: the sample report only)")
    ap.add_argument("--systems", default="baseline")
    ap.add_argument("--folds", default="loro", help="'loro' (leave one report out) or a number of document groups")
    ap.add_argument("--init", help="BERT checkpoint for the bert* systems")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="eval/results")
    ap.add_argument("--only-fold", type=int, help="evaluate on this one fold only (a quick comparison)")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--lexical-structural", action="store_true",
                    help="target-extractor features in the TF-IDF part of bert-fused")
    add_lexical_arguments(ap)  # settings of every TF-IDF model, and section smoothing for bert-fused
    args = ap.parse_args(argv)

    rows = load_gold(args.corpus)
    wants_silver = "silver" in args.systems or "bert" in args.systems.split(",")
    silver = load_silver(args.corpus) if args.corpus and wants_silver else []
    if len(rows) and len({r["doc"] for r in rows}) < 2:
        # one document: fall back to 5 interleaved parts of it
        for i, r in enumerate(rows):
            r["doc"] = f"{r['doc']}#part{i % 5}"
    folds = folds_by_document(rows, args.folds, args.seed)
    if args.only_fold is not None:  # score only the documents of that fold
        folds = [folds[args.only_fold]]
        rows = [r for r in rows if r["doc"] in folds[0]] + [r for r in rows if r["doc"] not in folds[0]]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scored = [r for r in rows if args.only_fold is None or r["doc"] in folds[0]]
    report = {"n_sentences": len(scored), "n_documents": len({r['doc'] for r in scored}),
              "folds": args.folds if args.only_fold is None else f"{args.folds}, fold {args.only_fold} only",
              "command": "python eval/evaluate.py " + " ".join(argv or sys.argv[1:]), "systems": {}}
    codes = {"area": [a.code for a in AREAS], "type": [t.code for t in TYPES]}
    for name in args.systems.split(","):
        train = make_system(name, args.init, args.epochs, args.seed, args.lexical_structural,
                            lexical_options(args), not args.no_smoothing)
        preds: dict[str, dict[str, list]] = {}
        t0 = time.time()
        for test_docs in folds:
            train_rows = [r for r in rows if r["doc"] not in test_docs]
            wants_silver = name.endswith("+silver") or name == "bert"
            extra = [s for s in silver if s["doc"] not in test_docs] if wants_silver else []
            test_idx = [i for i, r in enumerate(rows) if r["doc"] in test_docs]
            for system, predict in train(train_rows, extra).items():
                predicted = predict([rows[i] for i in test_idx])
                pred = preds.setdefault(system, {h: [None] * len(rows) for h in HEADS})
                for h in HEADS:
                    for i, p in zip(test_idx, predicted[h]):
                        pred[h][i] = p
        for system, pred in preds.items():
            pred = {h: p[:len(scored)] for h, p in pred.items()}  # the scored rows come first
            report["systems"][system] = score(system, scored, pred, codes, round((time.time() - t0) / 60, 1),
                                              None if args.no_plots else out)
    path = out / "report.json"
    if path.exists():  # keep other systems' results from earlier runs with the same folds
        old = json.loads(path.read_text())
        if old.get("folds") == report["folds"] and old.get("n_sentences") == report["n_sentences"]:
            report["systems"] = {**old["systems"], **report["systems"]}
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"\nreport: {path}")
    print(f"{'system':<22}{'area F1':>9}{'type F1':>9}")
    for name, r in report["systems"].items():
        print(f"{name:<22}{r['area_macro_f1']:>9.3f}{r['type_macro_f1']:>9.3f}")


if __name__ == "__main__":
    main()
