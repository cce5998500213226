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

from ..data import DATA_DIR, read_jsonl, standoff_row, write_jsonl
from ..labels import validate_area, validate_type
from ..parts import PARTS, assign_parts, classify_heading
from ..reading import read_file
from ..segment import segment

MAX_BATCH = 350


def sentence_rows(path: Path) -> tuple[str, list[dict]]:
    """(text, rows) of every sentence of a report: id, section, text, start, end."""
    text = read_file(path).text
    pieces = segment(text)
    rows = []
    for p, part in zip(pieces, assign_parts(pieces)):
        if p.kind != "sentence" or not p.content:
            continue
        s = p.content_start
        rows.append({"id": f"{path.stem}:{s}", "section": list(p.section), "text": p.content,
                     "start": s, "end": s + len(p.content), "part": part})
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


LEVELS = {"gov": "national", "provincial": "provincial", "municipal": "municipal", "county": "county",
          "district": "county", "xuhui": "county"}


def level_of(doc_id: str) -> str:
    """Administrative level from a corpus file name (``county_…``, ``district_…`` count as county level)."""
    return LEVELS.get(doc_id.split("_", 1)[0], "other")


def read_labels(labels_dir: Path) -> dict[str, dict[str, dict[str, tuple[str, str]]]]:
    """``{annotator round: {batch: {id: (area, type)}}}`` from ``BATCH.<round>.jsonl`` files."""
    out: dict = {}
    for f in sorted(labels_dir.glob("*.jsonl")):
        batch, who = f.name[:-len(".jsonl")].rsplit(".", 1)
        rows = read_jsonl(f)
        for r in rows:
            validate_area(r["area"])
            validate_type(r["type"])
        out.setdefault(who, {})[batch] = {r["id"]: (r["area"], r["type"]) for r in rows}
    return out


def previous_gold(data_dir: Path) -> dict[str, tuple[str, str]]:
    """The gold of earlier rounds keyed by sentence id: corpus stand-off rows and the sample report."""
    out = {}
    for r in read_jsonl(data_dir / "corpus_gold.jsonl"):
        out[f"{r['doc'][:-len('.txt')]}:{r['start']}"] = (r["area"], r["type"])
    for r in read_jsonl(data_dir / "xuhui_2025.jsonl"):
        out[f"xuhui_2025_main_tasks:{r['index']}"] = (r["area"], r["type"])
    return out


def kappa_table(pairs: list[tuple[str, str, tuple, tuple]]) -> dict:
    """Cohen's kappa and accuracy per head, overall and per level and part, for (level, part, a, b) rows."""
    from sklearn.metrics import cohen_kappa_score

    def stats(rows):
        out = {"n": len(rows)}
        for h, name in enumerate(("area", "type")):
            a = [r[2][h] for r in rows]
            b = [r[3][h] for r in rows]
            out[f"{name}_kappa"] = round(float(cohen_kappa_score(a, b)), 3) if len(set(a + b)) > 1 else 1.0
            out[f"{name}_agree"] = round(sum(x == y for x, y in zip(a, b)) / max(1, len(rows)), 3)
        return out

    table = {"all": stats(pairs)}
    for key, idx in (("level", 0), ("part", 1)):
        for value in sorted({r[idx] for r in pairs}):
            table[f"{key}={value}"] = stats([r for r in pairs if r[idx] == value])
    return table


def sample_rows(data_dir: Path) -> list[dict]:
    """The sample report's gold rows in the batch form (ids ``xuhui_2025_main_tasks:<index>``)."""
    return [{"id": f"xuhui_2025_main_tasks:{r['index']}", "section": r["section"], "text": r["text"],
             "part": _sample_part(r)} for r in read_jsonl(data_dir / "xuhui_2025.jsonl")]


def _sample_part(row: dict) -> str:
    """The part of a sample-report row: from its top-level heading (the sample is all plan)."""
    return (classify_heading(row["section"][0]) if row["section"] else None) or "plan"


def all_sentences(corpus: Path, data_dir: Path) -> dict[str, dict]:
    rows = {}
    for f in sorted(corpus.glob("*.txt")):
        for r in sentence_rows(f)[1]:
            rows[r["id"]] = r
    for r in sample_rows(data_dir):
        rows[r["id"]] = r
    return rows


def quality(corpus: Path, labels_dir: Path, data_dir: Path, adjudicate_dir: Path, seed: int = 0) -> dict:
    """Agreement tables (first annotation against the second, the spot checks and the earlier gold)
    and the adjudication batches for every sentence where any two labels differ and that no earlier
    round decided (``*.done.jsonl`` in ``adjudicate_dir``: the decisions, ``{"id", "area", "type", "why"}``)."""
    import random

    sents = all_sentences(corpus, data_dir)
    labels = read_labels(labels_dir)
    first = {i: v for batch in labels.get("A", {}).values() for i, v in batch.items()}
    batch_of = {i: b for b, batch in labels.get("A", {}).items() for i in batch}
    second = {i: v for batch in labels.get("B", {}).values() for i, v in batch.items()}
    spot = {i: v for batch in labels.get("S", {}).values() for i, v in batch.items()}
    again = {i: v for batch in labels.get("R", {}).values() for i, v in batch.items()}
    old = previous_gold(data_dir)
    if "xuhui_2025_main_tasks:1" in second:  # the sample's earlier gold is its first annotation
        first.update({i: v for i, v in old.items() if i.startswith("xuhui_2025_main_tasks:")})

    def pairs(other):
        return [(level_of(i), sents[i]["part"], first[i], other[i]) for i in other if i in first]

    per_batch = {}
    for i, v in spot.items():
        b = per_batch.setdefault(batch_of[i], [0, 0, 0])
        b[0] += 1
        b[1] += v[0] == first[i][0]
        b[2] += v[1] == first[i][1]
    report = {"first_vs_second": kappa_table(pairs(second)), "first_vs_spot_check": kappa_table(pairs(spot)),
              "first_vs_reannotation": kappa_table(pairs(again)),
              "spot_check_per_batch": {b: {"n": n, "area_agree": round(a / n, 3), "type_agree": round(t / n, 3)}
                                       for b, (n, a, t) in sorted(per_batch.items())},
              "first_vs_earlier_gold": kappa_table(pairs({i: v for i, v in old.items()
                                                          if not i.startswith("xuhui")}))}
    rng = random.Random(seed)
    items = []
    done = {r["id"] for f in sorted(adjudicate_dir.glob("*.done.jsonl")) for r in read_jsonl(f)}
    for i, a in first.items():
        cands = [a] + [o[i] for o in (second, spot, again, old) if i in o]
        if len(set(cands)) > 1 and i not in done:
            areas = sorted({c[0] for c in cands})
            types = sorted({c[1] for c in cands})
            rng.shuffle(areas)
            rng.shuffle(types)
            r = sents[i]
            items.append({"id": i, "section": r["section"], "text": r["text"], "area_candidates": areas,
                          "type_candidates": types})
    adjudicate_dir.mkdir(parents=True, exist_ok=True)
    rnd = 1 + len(list(adjudicate_dir.glob("*.done.jsonl")))
    for k in range(0, len(items), 150):
        write_jsonl(adjudicate_dir / f"round{rnd}_{k // 150 + 1:02d}.jsonl", items[k:k + 150])
    report["to_adjudicate"] = len(items)
    return report


ROUND = "2026-12-r3"  # this annotation round: every sentence of the corpus, all parts


def build_gold(corpus: Path, labels_dir: Path, adjudicate_dir: Path, data_dir: Path = DATA_DIR,
               previous: Path | None = None, provisional: bool = False) -> dict:
    """The final gold: each sentence's first annotation where every annotation of it agrees, else the
    adjudicated decision. Writes ``corpus_gold.jsonl`` (stand-off, with part, batch, round and how the
    label was reached) and the sample report's labels into ``data_dir``; returns counts."""
    labels = read_labels(labels_dir)
    others = [{i: v for batch in labels.get(r, {}).values() for i, v in batch.items()} for r in ("B", "S", "R")]
    others.append(previous_gold(previous or data_dir))
    decided = {r["id"]: (r["area"], r["type"]) for f in sorted(adjudicate_dir.glob("*.done.jsonl"))
               for r in read_jsonl(f)}
    first = labels["A"]

    def final(i, a):
        cands = [a] + [o[i] for o in others if i in o]
        if len(set(cands)) == 1:
            return a, "double" if len(cands) > 1 else "single"
        if i not in decided and provisional:
            return a, "undecided"
        if i not in decided:
            raise ValueError(f"{i}: annotations differ ({sorted(set(cands))}) and no adjudication decided it")
        validate_area(decided[i][0])
        validate_type(decided[i][1])
        return decided[i], "adjudicated"

    rows, counts = [], {}
    for f in sorted(corpus.glob("*.txt")):
        text, sents = sentence_rows(f)
        by_id = {i: (b, v) for b, batch in first.items() for i, v in batch.items() if b.split(".")[0] == f.stem}
        for r in sents:
            batch, a = by_id[r["id"]]
            (area, type_), how = final(r["id"], a)
            rows.append(standoff_row(f.name, text, r["start"], r["end"], area=area, type=type_, part=r["part"],
                                     batch=batch, round=ROUND, annotation=how))
            c = counts.setdefault(f.stem, {"sentences": 0, **{p: 0 for p in PARTS}})
            c["sentences"] += 1
            c[r["part"]] += 1
    write_jsonl(data_dir / "corpus_gold.jsonl", rows)
    sample = read_jsonl((previous or data_dir) / "xuhui_2025.jsonl")
    for r in sample:
        i = f"xuhui_2025_main_tasks:{r['index']}"
        (r["area"], r["type"]), _ = final(i, (r["area"], r["type"]))
        r["part"] = _sample_part(r)
    write_jsonl(data_dir / "xuhui_2025.jsonl", sample)
    return {"documents": counts, "how": {h: sum(r["annotation"] == h for r in rows)
                                         for h in ("single", "double", "adjudicated", "undecided")}}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("batches", help="write annotation batches (outside the repository)")
    b.add_argument("--corpus", type=Path, required=True)
    b.add_argument("-o", "--out", type=Path, required=True)
    b.add_argument("--max-batch", type=int, default=MAX_BATCH)
    q = sub.add_parser("quality", help="agreement tables and adjudication batches")
    q.add_argument("--corpus", type=Path, required=True)
    q.add_argument("--labels", type=Path, required=True, help="folder of BATCH.A.jsonl / BATCH.B.jsonl files")
    q.add_argument("--data", type=Path, default=DATA_DIR)
    q.add_argument("--adjudicate", type=Path, required=True, help="where to write the adjudication batches")
    q.add_argument("--report", type=Path, help="write the agreement tables here (JSON, no text)")
    g = sub.add_parser("build", help="write the final gold (stand-off) from annotations and adjudications")
    g.add_argument("--corpus", type=Path, required=True)
    g.add_argument("--labels", type=Path, required=True)
    g.add_argument("--adjudicated", type=Path, required=True, help="folder of *.done.jsonl decisions")
    g.add_argument("--data", type=Path, default=DATA_DIR)
    g.add_argument("--previous", type=Path, help="folder with the earlier gold files (default: --data)")
    g.add_argument("--provisional", action="store_true", help="keep the first label where no decision exists yet")
    g.add_argument("--report", type=Path, help="write the per-document counts here (JSON)")
    args = ap.parse_args(argv)
    if args.cmd == "build":
        counts = build_gold(args.corpus, args.labels, args.adjudicated, args.data, args.previous, args.provisional)
        print(json.dumps(counts["how"]))
        if args.report:
            args.report.write_text(json.dumps(counts, indent=1) + "\n")
    if args.cmd == "quality":
        report = quality(args.corpus, args.labels, args.data, args.adjudicate)
        print(json.dumps(report, indent=1))
        if args.report:
            args.report.write_text(json.dumps(report, indent=1) + "\n")
    if args.cmd == "batches":
        index = make_batches(args.corpus, args.out, args.max_batch)
        print(f"{len(index)} batches, {sum(b['n'] for b in index)} sentences -> {args.out}")


if __name__ == "__main__":
    main()
