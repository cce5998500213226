"""Train the TF-IDF + logistic-regression baseline and save it as a model directory.

    python -m xhnlp.training.train_baseline --corpus ../shared/corpus -o xhnlp/pretrained/baseline

Trains on the annotated sample report, plus the stand-off corpus annotations when ``--corpus``
is given, plus any extra JSONL files (``--extra``: rows with text, area, type).
"""
from __future__ import annotations

import argparse

from ..data import load_gold, read_labelled
from ..models.baseline import BaselineModel
from . import script


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
    ap.add_argument("--C", type=float, default=4.0)
    ap.add_argument("--context", choices=("none", "heading"), default="none")
    ap.add_argument("-o", "--output", default="xhnlp/pretrained/baseline")
    args = ap.parse_args(argv)
    rows = training_rows(args.corpus, args.extra)
    model = BaselineModel(C=args.C, context=args.context)
    model.fit([r["text"] for r in rows], [r["area"] for r in rows], [r["type"] for r in rows],
              [tuple(r.get("section") or ()) for r in rows])
    model.save_pretrained(args.output)
    print(f"trained on {len(rows)} sentences -> {args.output}")


if __name__ == "__main__":
    main()
