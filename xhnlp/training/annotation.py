"""Annotation batches and their collection into stand-off gold.

A batch is one report (or a contiguous part of a long one) as JSONL rows
``{"id", "section", "text"}`` in document order, the format of ``shared/annotation``.
Batches hold corpus text, so they are written outside the repository; what comes back
(``{"id", "area", "type"}`` per line) is joined with the corpus into stand-off rows.
A sentence id is ``"<doc stem>:<start>"`` with ``start`` the source offset of its content.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from ..data import read_jsonl, standoff_row, write_jsonl
from ..reading import read_file
from ..segment import segment

MAX_BATCH = 350


def sentence_rows(path: Path) -> tuple[str, list[dict]]:
    """(text, rows) of every sentence of a report: id, section, text, start, end."""
    text = read_file(path).text
    rows = []
    for p in segment(text):
        if p.kind != "sentence" or not p.content:
            continue
        s = p.content_start
        rows.append({"id": f"{path.stem}:{s}", "section": list(p.section), "text": p.content,
                     "start": s, "end": s + len(p.content)})
    return text, rows


def make_batches(corpus: Path, out: Path, max_batch: int = MAX_BATCH) -> list[dict]:
    """Write one batch file per report or contiguous part; return the batch index."""
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for f in sorted(corpus.glob("*.txt")):
        _, rows = sentence_rows(f)
        k = math.ceil(len(rows) / max_batch)
        size = math.ceil(len(rows) / k)
        for i in range(k):
            part = rows[i * size:(i + 1) * size]
            batch = f"{f.stem}.{i + 1}" if k > 1 else f.stem
            write_jsonl(out / f"{batch}.jsonl", ({"id": r["id"], "section": r["section"], "text": r["text"]}
                                                 for r in part))
            index.append({"batch": batch, "doc": f.name, "n": len(part)})
    write_jsonl(out / "index.jsonl", index)
    return index


def collect(corpus: Path, labels: list[Path], batch_of: dict[str, str] | None = None) -> list[dict]:
    """Stand-off rows for label files ``{"id", "area", "type"}``; ids are checked against the corpus."""
    docs: dict[str, tuple[str, dict[int, dict]]] = {}
    out = []
    for path in labels:
        for lab in read_jsonl(path):
            stem, start = lab["id"].rsplit(":", 1)
            if stem not in docs:
                text, rows = sentence_rows(corpus / f"{stem}.txt")
                docs[stem] = (text, {r["start"]: r for r in rows})
            text, rows = docs[stem]
            r = rows[int(start)]
            out.append(standoff_row(f"{stem}.txt", text, r["start"], r["end"], area=lab["area"], type=lab["type"]))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("batches", help="write annotation batches (outside the repository)")
    b.add_argument("--corpus", type=Path, required=True)
    b.add_argument("-o", "--out", type=Path, required=True)
    b.add_argument("--max-batch", type=int, default=MAX_BATCH)
    args = ap.parse_args(argv)
    if args.cmd == "batches":
        index = make_batches(args.corpus, args.out, args.max_batch)
        print(f"{len(index)} batches, {sum(b['n'] for b in index)} sentences -> {args.out}")


if __name__ == "__main__":
    main()
