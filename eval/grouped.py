"""Evaluation by document groups: grouped k-fold over every gold document, one region's years in one fold.

    python eval/grouped.py --corpus ../shared/corpus --systems tfidf,tfidf-parts --out eval/results/grouped
    python eval/grouped.py --corpus ../shared/corpus --systems tfidf-parts --curve 10,20,40,all --out eval/results/curve
    python eval/grouped.py --corpus ../shared/corpus --systems bert,bert-fused --init xhnlp/pretrained/encoder --epochs 2

Groups are regions (``provincial_hebei_2021`` … ``_2026`` are one group; the sample report is its
own), split with scikit-learn's ``GroupKFold``: a test report never shares a region with a training
report. Every sentence is predicted by a model that never saw its region. Scores pool the
out-of-fold predictions: macro-F1 and per-class tables per head, the same per report part (review /
plan / government / other) and per level, and the share of review-part sentences typed ``none``.
``--curve`` trains on the first N training documents of each fold (in a seeded random order).
Writes OUT/report.json and prints the tables.
"""
from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import classification_report, f1_score
from sklearn.model_selection import GroupKFold

from xhnlp.data import load_gold
from xhnlp.labels import HEADS
from xhnlp.models.baseline import BaselineModel
from xhnlp.parts import PARTS
from xhnlp.training.annotation import level_of


def region(doc: str) -> str:
    return re.sub(r"_\d{4}(?:_main_tasks)?$", "", doc.rsplit(".", 1)[0])


def tfidf_system(parts, C: float = 2.0, min_df: int = 2):
    def train(rows):
        model = BaselineModel(context="heading", C=C, min_df=min_df, parts=parts).fit(
            [r["text"] for r in rows], [r["area"] for r in rows], [r["type"] for r in rows],
            [tuple(r.get("section") or ()) for r in rows], [r.get("part") for r in rows])
        name = {False: "tfidf", True: "tfidf-parts", "conjoin": "tfidf-conjoin"}[parts]
        return {name: lambda test: model.predict(
            [r["text"] for r in test], [tuple(r.get("section") or ()) for r in test], [r.get("part") for r in test])}
    return train


def bert_system(init: str, epochs: int, parts: bool, seed: int = 0):
    from xhnlp.training.finetune import fine_tune, split_validation, with_lexical

    def train(rows):
        tr, va = split_validation(rows, 0.1, seed)
        model, _ = fine_tune(tr, va, init, epochs=epochs, seed=seed, log=lambda s: None)
        fused = with_lexical(model, tr, va, C=2.0, min_df=2, parts=parts)

        def predictor(m, use_parts):
            return lambda test: m.predict([r["text"] for r in test], [tuple(r.get("section") or ()) for r in test],
                                          **({"parts": [r.get("part") for r in test]} if use_parts else {}))
        suffix = {False: "", True: "-parts", "conjoin": "-conjoin"}[parts]
        return {"bert": predictor(model, False), "bert-fused" + suffix: predictor(fused, True)}
    return train


def scores(rows, pred) -> dict:
    out = {}
    for h, codes in HEADS.items():
        gold = [r[h] for r in rows]
        out[f"{h}_macro_f1"] = round(f1_score(gold, pred[h], labels=list(codes), average="macro", zero_division=0), 4)
        out[f"{h}_accuracy"] = round(float(np.mean([g == p for g, p in zip(gold, pred[h])])), 4)
    out["n"] = len(rows)
    return out


def report(rows, pred) -> dict:
    result = {"all": scores(rows, pred)}
    for h, codes in HEADS.items():
        result[f"{h}_per_class"] = {c: {k: round(v, 4) for k, v in d.items()} for c, d in classification_report(
            [r[h] for r in rows], pred[h], labels=list(codes), output_dict=True, zero_division=0).items()
            if c in codes}
    for key, of in (("part", lambda r: r.get("part") or "other"), ("level", lambda r: level_of(r["doc"]))):
        for value in sorted({of(r) for r in rows}):
            idx = [i for i, r in enumerate(rows) if of(r) == value]
            result[f"{key}={value}"] = scores([rows[i] for i in idx], {h: [pred[h][i] for i in idx] for h in HEADS})
    review = [i for i, r in enumerate(rows) if r.get("part") == "review"]
    if review:
        result["review_typed_none"] = round(sum(pred["type"][i] == "none" for i in review) / len(review), 4)
        result["review_gold_none"] = round(sum(rows[i]["type"] == "none" for i in review) / len(review), 4)
    return result


def run(rows, make, k: int, seed: int, sizes=None, log=print) -> dict:
    groups = [region(r["doc"]) for r in rows]
    splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    sizes = sizes or ["all"]
    preds: dict = {}
    t0 = time.time()
    for fold, (tr_idx, te_idx) in enumerate(splitter.split(rows, groups=groups)):
        train_rows = [rows[i] for i in tr_idx]
        test = [rows[i] for i in te_idx]
        docs = sorted({r["doc"] for r in train_rows})
        np.random.default_rng(seed + fold).shuffle(docs)
        for size in sizes:
            keep = set(docs if size == "all" else docs[:int(size)])
            systems = make([r for r in train_rows if r["doc"] in keep])
            for name, predict in systems.items():
                key = name if size == "all" else f"{name}@{size}docs"
                p = predict(test)
                slot = preds.setdefault(key, {"idx": [], **{h: [] for h in HEADS}})
                slot["idx"] += list(te_idx)
                for h in HEADS:
                    slot[h] += list(p[h])
        log(f"fold {fold + 1}/{k}: {len(test)} test sentences from {len({r['doc'] for r in test})} documents "
            f"({time.time() - t0:.0f}s)")
    out = {}
    for key, slot in preds.items():
        order = np.argsort(slot["idx"])
        ordered = [rows[slot["idx"][i]] for i in order]
        out[key] = report(ordered, {h: [slot[h][i] for i in order] for h in HEADS})
    return out


def print_table(results: dict) -> None:
    cols = ["all"] + [f"part={p}" for p in PARTS]
    print(f"{'system':<28}" + "".join(f"{c:>22}" for c in cols) + f"{'review→none':>13}")
    for name, r in results.items():
        cells = "".join(f"{r[c]['area_macro_f1']:>10.3f} / {r[c]['type_macro_f1']:.3f}  " if c in r else f"{'-':>22}"
                        for c in cols)
        print(f"{name:<28}{cells}{r.get('review_typed_none', float('nan')):>13.3f}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--systems", default="tfidf,tfidf-parts",
                    help="comma list of tfidf, tfidf-parts, bert (scores bert and bert-fused), bert-parts")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--curve", help="comma list of training-document counts (e.g. 10,20,40,all)")
    ap.add_argument("--init", default="xhnlp/pretrained/encoder")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, help="torch threads for the BERT systems")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    rows = load_gold(args.corpus)
    print(f"{len(rows)} gold sentences, {len({r['doc'] for r in rows})} documents, "
          f"{len({region(r['doc']) for r in rows})} regions")
    results: dict = {}
    for name in args.systems.split(","):
        make = {"tfidf": lambda: tfidf_system(False), "tfidf-parts": lambda: tfidf_system(True),
                "tfidf-conjoin": lambda: tfidf_system("conjoin"),
                "bert": lambda: bert_system(args.init, args.epochs, False),
                "bert-parts": lambda: bert_system(args.init, args.epochs, True),
                "bert-conjoin": lambda: bert_system(args.init, args.epochs, "conjoin")}[name]()
        results.update(run(rows, make, args.folds, args.seed, args.curve.split(",") if args.curve else None))
        print_table(results)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "report.json").write_text(json.dumps({"command": "python eval/grouped.py " + " ".join(
            argv if argv is not None else __import__("sys").argv[1:]), "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
