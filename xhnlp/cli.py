"""Command line: ``xhnlp tag PATH... [-o OUT.jsonl|.csv|.parquet]`` and ``xhnlp targets PATH... -o targets.csv``.

With ``-o``, results are written per document into ``OUT.parts/`` (each part atomically) and
assembled into OUT at the end; re-running the same command after an interruption tags only the
documents that are missing and gives the same output as one uninterrupted run.
"""
from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import shutil
import sys
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path

from . import __version__
from .models import ModelError
from .output import FORMATS, format_of, open_writer
from .reading import ReadError, find_files, read_file


def _part_name(path: Path) -> str:
    st = path.stat()
    key = f"{path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}"
    return hashlib.sha1(key.encode()).hexdigest()[:20] + ".jsonl"


ASSEMBLY_ROWS = 4096  # rows held at once while the parts are assembled into the output


def _atomic_jsonl(path: Path, rows) -> int:
    tmp = path.with_suffix(".tmp")
    n = 0
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return n


@lru_cache(maxsize=None)
def _malloc_trim():
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def _trim_heap() -> None:
    """Give freed heap memory back to the system (glibc only). The encoder's batches differ in shape
    from one document to the next; without this, glibc keeps the freed blocks and a long run's
    peak memory creeps up by ~10 MB a document."""
    if trim := _malloc_trim():
        trim(0)


def _progress(items, enabled: bool, desc: str):
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="doc", file=sys.stderr)


def _print_table(rows, width=48):
    out = sys.stdout
    out.write(f"{'#':>4}  {'kind':<8} {'area':<11} {'type':<12} {'score':>5}  text\n")
    for r in rows:
        text = r["text"].strip().replace("\n", " ")
        text = text if len(text) <= width else text[:width - 1] + "…"
        if r["kind"] == "heading":
            out.write(f"{r['index']:>4}  {'heading':<8} {'':<11} {'':<12} {'':>5}  {text}\n")
        else:
            score = min(r["area_score"], r["type_score"])
            out.write(f"{r['index']:>4}  {'sentence':<8} {r['area']:<11} {r['type']:<12} {score:5.2f}  {text}\n")


def _target_rows(rows):
    for r in rows:
        for t in r.get("targets") or []:
            yield {"doc": r["doc"], "index": r["index"], "sentence": r["text"].strip(), "area": r["area"],
                   "type": r["type"], "strength": r["strength"], "indicator": t["indicator"],
                   "comparator": t["comparator"], "value": t["value"], "value_text": t["value_text"],
                   "unit": t["unit"], "start": r["start"] + t["start"], "end": r["start"] + t["end"]}


def run(args) -> int:
    from .tagger import Tagger, flat_row

    if args.output:
        try:
            fmt = format_of(args.output)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    files = find_files(args.paths)
    if not files:
        print("error: no input files found (looked for " + ", ".join(sorted({".txt", ".docx", ".html"})) + ")",
              file=sys.stderr)
        return 2
    t0 = time.time()
    try:
        tagger = Tagger.load(args.model, quantize=args.quantize, backend=args.backend, batch_size=args.batch_size)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    load_s = time.time() - t0

    parts = Path(str(args.output) + ".parts") if args.output else None
    if parts is not None:
        parts.mkdir(parents=True, exist_ok=True)
        backend = getattr(tagger.model, "backend", None)
        stamp = {"xhnlp": __version__, "model": str(args.model or "default"), "command": args.command,
                 **({"quantize": True} if args.quantize else {}),  # no mixing of int8 and float parts,
                 **({"backend": backend} if backend else {})}  # nor of two backends' rounding
        manifest = parts / "manifest.json"
        if manifest.exists() and json.loads(manifest.read_text()) != stamp:
            print(f"note: {parts} was made with other settings; starting afresh", file=sys.stderr)
            shutil.rmtree(parts)
            parts.mkdir()
        manifest.write_text(json.dumps(stamp))

    failed: list[str] = []
    docs = resumed = 0
    kinds: Counter = Counter()

    def counted(rows):
        for r in rows:
            kinds[r["kind"]] += 1
            yield r

    show = not args.quiet and len(files) > 1 and parts is not None
    for path in _progress(files, show, "tagging"):
        part = parts / _part_name(path) if parts is not None and path.exists() else None
        if part is not None and part.exists():
            resumed += 1
            with open(part, encoding="utf-8") as f:
                kinds.update(json.loads(line)["kind"] for line in f)
            docs += 1
            continue
        try:
            document = read_file(path)
        except ReadError as e:
            failed.append(str(e))
            print(f"error: {e}", file=sys.stderr)
            continue
        rows = counted(p.to_dict() for p in tagger.iter_tag(document.text, doc=str(path)))
        docs += 1
        if part is not None:
            _atomic_jsonl(part, rows)
            _trim_heap()
        elif args.command == "targets":
            _print_targets(list(_target_rows(rows)))
        else:
            print(f"\n== {path}", file=sys.stdout)
            _print_table(list(rows))
    sentences, headings = kinds["sentence"], kinds["heading"]

    if parts is not None:
        tmp = Path(str(args.output) + ".tmp")
        writer = open_writer(tmp, fmt=fmt)
        try:
            for path in files:
                part = parts / _part_name(path) if path.exists() else None
                if part is None or not part.exists():
                    continue
                with open(part, encoding="utf-8") as f:
                    if fmt == ".jsonl" and args.command == "tag":  # parts hold the output's own lines
                        shutil.copyfileobj(f, writer.f)
                        continue
                    batch = []
                    for line in f:
                        batch.append(json.loads(line))
                        if len(batch) >= ASSEMBLY_ROWS:
                            writer.write(_convert(batch, fmt, args.command, flat_row))
                            batch = []
                    writer.write(_convert(batch, fmt, args.command, flat_row))
        finally:
            writer.close()
        os.replace(tmp, args.output)
        if not failed:
            shutil.rmtree(parts)
    elapsed = time.time() - t0
    summary = (f"{docs} document(s) read, {sentences} sentences tagged, {headings} headings, "
               f"{len(failed)} file(s) failed; model load {load_s:.1f}s, total {elapsed:.1f}s")
    if resumed:
        summary += f"; {resumed} document(s) taken from an earlier interrupted run"
    if args.output:
        summary += f"; wrote {args.output}"
    print(summary, file=sys.stderr)
    for reason in failed:
        print(f"  failed: {reason}", file=sys.stderr)
    return 1 if failed else 0


def _convert(batch, fmt, command, flat_row):
    if command == "targets":
        return list(_target_rows(batch))
    return batch if fmt == ".jsonl" else [flat_row(r) for r in batch]


def _print_targets(rows):
    for r in rows:
        print(f"{r['doc']}#{r['index']}\t{r['indicator']}\t{r['comparator']}\t{r['value_text']}\t{r['unit']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="xhnlp", description="Tag Chinese government work reports.")
    ap.add_argument("--version", action="version", version=f"xhnlp {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    for name, help_ in (("tag", "tag every heading and sentence"), ("targets", "list the quantified targets")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("paths", nargs="+", help="report files (.txt, .docx, .html) or directories (recursive)")
        p.add_argument("-o", "--output", help=f"output file ({', '.join(FORMATS)}); without it, print a table")
        p.add_argument("--model", help="shipped model name (bert, baseline) or a model directory; default: bert")
        p.add_argument("--batch-size", type=int, default=256)
        p.add_argument("--quantize", action="store_true",
                       help="int8 dynamic quantisation of a BERT model (CPU): faster, labels nearly the same")
        p.add_argument("--backend", choices=("auto", "onnx", "torch"), default="auto",
                       help="BERT inference engine: auto (ONNX Runtime on the CPU when installed), onnx, torch")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
