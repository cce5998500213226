"""Train the TF-IDF + logistic-regression baseline and save it as a model directory.

    python -m xhnlp.training.train_baseline --corpus ../shared/corpus -o xhnlp/pretrained/baseline

Trains on the annotated sample report, plus the stand-off corpus annotations when ``--corpus``
is given, plus any extra JSONL files (``--extra``: rows with text, area, type).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..data import load_gold, read_labelled
from ..models.baseline import BaselineModel
from . import script
from .cards import metrics_from, split_of, write_card


def training_rows(corpus=None, extra=()) -> list[dict]:
    """The shipped gold (the sample, plus the corpus annotations when ``corpus`` is given) and your own
    labelled JSONL files (:func:`xhnlp.data.read_labelled`)."""
    rows = load_gold(corpus)
    for path in extra:
        rows += read_labelled(path)
    return rows


@script
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", help="corpus directory the stand-off annotations point into (../shared/corpus)")
    ap.add_argument("--extra", nargs="*", default=[], help="more annotated JSONL files (text, area, type)")
    ap.add_argument("--C", type=float, default=2.0)
    ap.add_argument("--min-df", type=int, default=2, help="keep features seen in at least this many sentences")
    ap.add_argument("--context", choices=("none", "heading"), default="heading")
    ap.add_argument("--parts", choices=("none", "feature", "conjoin"), default="conjoin",
                    help="the report part as a feature, or conjoined with every feature (default)")
    ap.add_argument("--evaluation", help="an eval/grouped.py report.json for the model card")
    ap.add_argument("--evaluation-system", default="tfidf-conjoin", help="the system of that report this model is")
    ap.add_argument("-o", "--output", default="xhnlp/pretrained/baseline")
    args = ap.parse_args(argv)
    rows = training_rows(args.corpus, args.extra)
    parts = {"none": False, "feature": True, "conjoin": "conjoin"}[args.parts]
    model = BaselineModel(C=args.C, context=args.context, min_df=args.min_df, parts=parts)
    model.fit([r["text"] for r in rows], [r["area"] for r in rows], [r["type"] for r in rows],
              [tuple(r.get("section") or ()) for r in rows], [r.get("part") for r in rows])
    model.save_pretrained(args.output)
    metrics = metrics_from(args.evaluation, args.evaluation_system)
    write_card(Path(args.output), Path(args.output).name,
               "TF-IDF + logistic regression tagger: policy **area** (8 classes) and **commitment type** (6 classes) "
               "of sentences from Chinese government work reports, per the xhnlp label specification (LABELS.md).", {
                   "Model": f"Character 1–3-grams (digits folded) and jieba words of the NFKC-normalised sentence, "
                            f"the nearest heading's words (context `{args.context}`), the report part "
                            f"(`{args.parts}`: conjoined = every feature also in a copy per part, so a look back "
                            f"learns its own weights); sublinear TF-IDF, features in >= {args.min_df} sentences; "
                            f"one L2 logistic regression per head (C={args.C}, balanced class weights). "
                            "Weights in `model.safetensors`, vocabulary in `vocab.json`: no pickle.",
                   "Training data": f"{len(rows)} sentences from {len({r.get('doc') for r in rows})} documents: "
                                    "the sample report and the stand-off gold of the corpus reports "
                                    "(`xhnlp/annotations/`), plus your `--extra` files.",
                   "Training": f"`python -m xhnlp.training.train_baseline {' '.join(argv or sys.argv[1:])}`",
                   "Evaluation": ("Grouped 5-fold by region (a region's reports never on both sides), pooled "
                                  "out-of-fold predictions, every sentence of every part: "
                                  + ", ".join(f"{k} {v}" for k, v in metrics.items()) + ". Details: docs/RESULTS.md.")
                   if metrics else "See docs/RESULTS.md.",
                   "Intended use and limits": "Research on Chinese government work reports; labels follow one "
                   "guideline. Low `area_score`/`type_score` deserve a look."}, metrics, split_of(args.evaluation))
    print(f"trained on {len(rows)} sentences -> {args.output}")


if __name__ == "__main__":
    main()
