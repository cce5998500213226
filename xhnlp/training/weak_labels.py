"""Evaluate the labelling functions of xhnlp.weak and write silver labels for the corpus.

    python -m xhnlp.training.weak_labels --corpus ../shared/corpus --evaluate --silver xhnlp/annotations/corpus_silver.jsonl

--evaluate  scores every LF (coverage, accuracy) and the combined labels against the gold data
            (the sample report + the stand-off corpus gold), prints a table and writes
            eval/results/weak_labels.json. It also measures the type order (the guideline's
            none→target→project→institution→measure→principle against a precision-aware order)
            and the area weights (each area LF's accuracy); xhnlp/weak stores the chosen ones.
--silver    writes silver labels as stand-off rows (doc, doc_sha256, start, end, sha256, area,
            type; never the text) for every corpus sentence that is not gold, stands in a
            coming-year task section or the government self-building section, and gets both
            heads labelled. "Not gold": its span does not overlap a gold span and its normalised
            text is not the text of a gold sentence (so "各位代表！" and other stock lines that
            recur across reports never appear in both). "In scope": it has a section, and the
            top heading does not match 回顾|成就|过去|总结|十四五|十五五|十三五|今后五年.

The corpus gold rows carry no section; it is recovered by segmenting each document and taking
the sentence whose content starts at the row's ``start``. All scores are measured on the data
the LFs were written against, so they are optimistic for unseen reports; the
``area_weighted_loo_doc`` line measures the weights leaving each document out.
"""
from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

from .. import weak
from ..data import load_gold, standoff_row, write_jsonl
from ..labels import AREA_CODES, TYPE_CODES
from ..reading import read_file
from ..segment import normalize, segment

RESULTS = Path("eval") / "results" / "weak_labels.json"  # relative to the repository root
# top headings of the parts that are not the coming year's work: reviews and five-year-plan parts
SKIP_TOP = re.compile(r"回顾|成就|过去|总结|十四五|十五五|十三五|今后五年")


def sentence_spans(text: str):
    """(start, end, section, content) of each sentence: offsets of its content, whitespace excluded."""
    for p in segment(text):
        if p.kind != "sentence" or not p.content:
            continue
        yield p.content_start, p.content_start + len(p.content), p.section, p.content


def gold_rows(corpus_dir) -> list[dict]:
    """Gold rows with their section path as a tuple (``load_gold`` recovers it for corpus rows)."""
    rows = load_gold(corpus_dir)
    for row in rows:
        row["section"] = tuple(row.get("section") or ())
    return rows


# --------------------------------------------------------------------------------------------
# evaluation


def _score(pred: list, gold: list) -> dict:
    n = len(gold)
    voted = [(p, g) for p, g in zip(pred, gold) if p is not None]
    correct = sum(p == g for p, g in voted)
    return {"n": n, "votes": len(voted), "coverage": round(len(voted) / n, 4) if n else 0.0,
            "accuracy": round(correct / len(voted), 4) if voted else None,
            "correct_over_all": round(correct / n, 4) if n else 0.0}


def _macro_f1(pred: list, gold: list, labels) -> float:
    f1s = []
    for lab in labels:
        tp = sum(p == lab and g == lab for p, g in zip(pred, gold))
        fp = sum(p == lab and g != lab for p, g in zip(pred, gold))
        fn = sum(p != lab and g == lab for p, g in zip(pred, gold))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return round(sum(f1s) / len(f1s), 4)


def precision_order(type_votes: list[dict], gold: list[str]) -> tuple[tuple[str, ...], dict]:
    """Types ordered by the precision of 'some LF of this type voted' (ties: the guideline order)."""
    prec = {}
    for t in TYPE_CODES:
        hits = [g for votes, g in zip(type_votes, gold) if t in votes.values()]
        prec[t] = round(sum(g == t for g in hits) / len(hits), 4) if hits else 0.0
    order = tuple(sorted(TYPE_CODES, key=lambda t: (-prec[t], TYPE_CODES.index(t))))
    return order, prec


def evaluate(rows: list[dict]) -> dict:
    area_gold = [r["area"] for r in rows]
    type_gold = [r["type"] for r in rows]
    source = ["sample" if "start" not in r else "corpus" for r in rows]
    area_votes = [weak.area_votes(r["text"], r["section"]) for r in rows]
    type_votes = [weak.type_votes(r["text"], r["section"]) for r in rows]

    lfs = {}
    for name in weak.AREA_LFS:
        lfs[name] = {"head": "area", **_score([v[name] for v in area_votes], area_gold)}
    for name in weak.TYPE_LFS:
        lfs[name] = {"head": "type", **_score([v[name] for v in type_votes], type_gold)}

    measured_weights = {n: lfs[n]["accuracy"] or 0.0 for n in weak.AREA_LFS}
    p_order, type_precision = precision_order(type_votes, type_gold)

    def combined(head, pred, gold, labels):
        full = [p if p is not None else "∅" for p in pred]
        out = {"head": head, **_score(pred, gold), "macro_f1_all": _macro_f1(full, gold, labels)}
        for src in ("sample", "corpus"):
            idx = [i for i, s in enumerate(source) if s == src]
            out[src] = _score([pred[i] for i in idx], [gold[i] for i in idx])
        return out

    # weights measured on the other documents only (leave one document out): how much the weights overfit
    docs = [r["doc"] for r in rows]
    loo_weights = {}
    for doc in set(docs):
        idx = [j for j, d in enumerate(docs) if d != doc]
        loo_weights[doc] = {n: _score([area_votes[j][n] for j in idx], [area_gold[j] for j in idx])["accuracy"] or 0.0
                            for n in weak.AREA_LFS}
    loo_pred = [weak.combine(v, loo_weights[d]) for v, d in zip(area_votes, docs)]

    variants = {
        "area_weighted_loo_doc": combined("area", loo_pred, area_gold, AREA_CODES),
        "area_weighted_stored": combined("area", [weak.combine(v, weak.AREA_WEIGHTS) for v in area_votes],
                                         area_gold, AREA_CODES),
        "area_weighted_measured": combined("area", [weak.combine(v, measured_weights) for v in area_votes],
                                           area_gold, AREA_CODES),
        "area_unweighted": combined("area", [weak.combine(v, {}) for v in area_votes], area_gold, AREA_CODES),
        "type_guideline_order": combined("type", [weak.combine(v, weak.GUIDELINE_ORDER) for v in type_votes],
                                         type_gold, TYPE_CODES),
        "type_precision_order": combined("type", [weak.combine(v, p_order) for v in type_votes],
                                         type_gold, TYPE_CODES),
        "type_stored_order": combined("type", [weak.combine(v, weak.TYPE_ORDER) for v in type_votes],
                                      type_gold, TYPE_CODES),
    }
    both = [(weak.combine(a, weak.AREA_WEIGHTS), weak.combine(t, weak.TYPE_ORDER)) for a, t in zip(area_votes, type_votes)]
    labelled = [(p, (r["area"], r["type"])) for p, r in zip(both, rows) if None not in p]
    return {
        "n_gold": len(rows), "n_sample": source.count("sample"), "n_corpus": source.count("corpus"),
        "lfs": lfs, "combined": variants,
        "both_heads": {"coverage": round(len(labelled) / len(rows), 4),
                       "accuracy_both": round(sum(p == g for p, g in labelled) / len(labelled), 4) if labelled else None,
                       "area_accuracy": round(sum(p[0] == g[0] for p, g in labelled) / len(labelled), 4) if labelled else None,
                       "type_accuracy": round(sum(p[1] == g[1] for p, g in labelled) / len(labelled), 4) if labelled else None},
        "type_order": {"guideline": list(weak.GUIDELINE_ORDER), "precision_aware": list(p_order),
                       "type_precision": type_precision, "stored": list(weak.TYPE_ORDER)},
        "area_weights": {"stored": weak.AREA_WEIGHTS, "measured": measured_weights},
    }


def print_report(res: dict) -> None:
    print(f"gold rows: {res['n_gold']} ({res['n_sample']} sample + {res['n_corpus']} corpus)\n")
    print(f"{'LF':28} {'head':5} {'votes':>6} {'coverage':>9} {'accuracy':>9}")
    for name, s in res["lfs"].items():
        acc = f"{s['accuracy']:.3f}" if s["accuracy"] is not None else "-"
        print(f"{name:28} {s['head']:5} {s['votes']:6d} {s['coverage']:9.3f} {acc:>9}")
    print(f"\n{'combined':28} {'coverage':>9} {'accuracy':>9} {'acc/all':>8} {'macroF1':>8} {'sample acc':>11} {'corpus acc':>11}")
    for name, s in res["combined"].items():
        print(f"{name:28} {s['coverage']:9.3f} {s['accuracy']:9.3f} {s['correct_over_all']:8.3f} {s['macro_f1_all']:8.3f}"
              f" {s['sample']['accuracy'] or 0:11.3f} {s['corpus']['accuracy'] or 0:11.3f}")
    b = res["both_heads"]
    print(f"\nboth heads labelled (silver rule): coverage {b['coverage']:.3f}, area acc {b['area_accuracy']}, "
          f"type acc {b['type_accuracy']}, both right {b['accuracy_both']}")
    o = res["type_order"]
    print(f"type order: guideline {' > '.join(o['guideline'])}; precision-aware {' > '.join(o['precision_aware'])}; "
          f"stored {' > '.join(o['stored'])}")
    print("type precision (some LF votes the type):", o["type_precision"])
    if res["area_weights"]["stored"] != res["area_weights"]["measured"]:
        print("note: AREA_WEIGHTS in xhnlp/weak differ from the measured accuracies; the measured literal:")
        print(weights_literal(res["area_weights"]["measured"]))
    best = max(("type_guideline_order", "type_precision_order"), key=lambda k: (res["combined"][k]["accuracy"],
                                                                               k == "type_guideline_order"))
    if tuple(res["type_order"]["stored"]) != tuple(res["type_order"]["guideline" if best == "type_guideline_order"
                                                                     else "precision_aware"]):
        print(f"note: TYPE_ORDER in xhnlp/weak is not the best-measuring order ({best})")


def weights_literal(weights: dict) -> str:
    lines, line = ["AREA_WEIGHTS: dict[str, float] = {"], "   "
    for name, w in weights.items():
        piece = f' "{name}": {w},'
        if len(line) + len(piece) > 118:
            lines.append(line)
            line = "   "
        line += piece
    return "\n".join(lines + [line, "}"])


# --------------------------------------------------------------------------------------------
# silver labels


def in_scope(section: tuple) -> bool:
    """Coming-year task sections and the self-building section: skip review and five-year-plan parts."""
    return bool(section) and not SKIP_TOP.search(normalize(section[0]))


def silver_rows(corpus_dir, gold: list[dict], stats: Counter | None = None):
    """Stand-off silver rows for every out-of-gold, in-scope corpus sentence with both heads labelled."""
    stats = stats if stats is not None else Counter()
    gold_spans: dict[str, list[tuple[int, int]]] = {}
    gold_texts = {normalize(r["text"]) for r in gold if r.get("text")}
    for r in gold:
        if "start" in r:
            gold_spans.setdefault(r["doc"], []).append((r["start"], r["end"]))
    for path in sorted(Path(corpus_dir).glob("*.txt")):
        text = read_file(path).text
        spans = gold_spans.get(path.name, [])
        for start, end, section, content in sentence_spans(text):
            stats["sentences"] += 1
            if any(s < end and start < e for s, e in spans) or normalize(content) in gold_texts:
                stats["gold"] += 1
                continue
            if not in_scope(section):
                stats["out_of_scope"] += 1
                continue
            area, ctype = weak.weak_label(content, section)
            if area is None or ctype is None:
                stats["unlabelled"] += 1
                continue
            stats["silver"] += 1
            yield standoff_row(path.name, text, start, end, area=area, type=ctype)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="../shared/corpus", help="report corpus directory (*.txt)")
    ap.add_argument("--evaluate", action="store_true", help="score LFs and combined labels on the gold data")
    ap.add_argument("--silver", metavar="OUT.jsonl", help="write stand-off silver labels here")
    ap.add_argument("--results", default=str(RESULTS), help="where --evaluate writes its JSON")
    args = ap.parse_args(argv)
    if not (args.evaluate or args.silver):
        ap.error("nothing to do: give --evaluate and/or --silver OUT.jsonl")
    gold = gold_rows(args.corpus)
    if args.evaluate:
        res = evaluate(gold)
        print_report(res)
        out = Path(args.results)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {out}")
    if args.silver:
        stats: Counter = Counter()
        rows = list(silver_rows(args.corpus, gold, stats))
        Path(args.silver).parent.mkdir(parents=True, exist_ok=True)
        write_jsonl(args.silver, rows)
        print(f"\nsilver: {len(rows)} rows → {args.silver}  ({dict(stats)})")
        print("  area:", dict(Counter(r["area"] for r in rows).most_common()))
        print("  type:", dict(Counter(r["type"] for r in rows).most_common()))


if __name__ == "__main__":
    main()
