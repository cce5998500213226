"""Command line: ``xhnlp tag PATH... [-o OUT.jsonl|.csv|.parquet]`` and ``xhnlp targets PATH... -o targets.csv``.

With ``-o``, results are written per document into ``OUT.parts/`` (see :mod:`xhnlp.jobstore`) and
assembled into OUT at the end; re-running the same command after an interruption tags only the
documents that are missing and gives the same output as one uninterrupted run.

Document ids (the ``doc`` column) are paths relative to the deepest directory that holds every
input (a directory argument itself, or a file's folder), with ``/`` separators: the same whatever
the working directory and whether the paths were given absolute or relative.

Every failure a user can meet is one line on stderr and a non-zero exit: 2 when nothing could be
done (bad arguments, output path, model), 1 when some files failed or writing stopped.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import sys
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path

from . import __version__
from .jobstore import JobError, JobStore, check_output_path
from .models import ModelError
from .output import FORMATS, format_of, open_writer
from .reading import SUFFIXES, ReadError, find_files, read_file

ASSEMBLY_ROWS = 4096  # rows held at once while the parts are assembled into the output
UNWRAP = {"auto": None, "on": True, "off": False}  # --unwrap: hard-wrap repair (xhnlp.unwrap)


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


def doc_root(paths) -> Path:
    """The deepest directory holding every input: what document ids are relative to."""
    dirs = [str(p.resolve() if p.is_dir() else p.resolve().parent) for p in map(Path, paths)]
    return Path(os.path.commonpath(dirs)) if dirs else Path.cwd()


def doc_id(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:  # a symlink that leads outside the root
        return path.resolve().as_posix()


def _print_table(rows, width=40):
    out = sys.stdout
    out.write(f"{'#':>4}  {'kind':<8} {'area':<11} {'p':>4} {'type':<12} {'p':>4} {'strength':<8} {'tgt':>3}  text\n")
    for r in rows:
        text = r["text"].strip().replace("\n", " ")
        text = text if len(text) <= width else text[:width - 1] + "…"
        if r["area"] is None:
            out.write(f"{r['index']:>4}  {r['kind']:<8} {'':<11} {'':>4} {'':<12} {'':>4} {'':<8} {'':>3}  {text}\n")
        else:
            out.write(f"{r['index']:>4}  {r['kind']:<8} {r['area']:<11} {r['area_score']:4.2f} {r['type']:<12} "
                      f"{r['type_score']:4.2f} {r['strength']:<8} {len(r['targets']):>3}  {text}\n")


TARGET_COLUMNS = ("doc", "index", "sentence", "area", "type", "strength", "indicator", "comparator", "value",
                  "value_max", "value_text", "unit", "approx", "start", "end")


def _target_rows(rows):
    """One row per quantified target; ``start``/``end`` in document offsets."""
    for r in rows:
        for t in r.get("targets") or []:
            yield {"doc": r["doc"], "index": r["index"], "sentence": r["text"].strip(), "area": r["area"],
                   "type": r["type"], "strength": r["strength"], "indicator": t["indicator"],
                   "comparator": t["comparator"], "value": t["value"], "value_max": t["value_max"],
                   "value_text": t["value_text"], "unit": t["unit"], "approx": t["approx"],
                   "start": r["start"] + t["start"], "end": r["start"] + t["end"]}


def _print_targets(rows):
    print("\t".join(TARGET_COLUMNS[:2] + TARGET_COLUMNS[6:13]))
    for r in rows:
        print("\t".join("" if r[k] is None else str(r[k]) for k in TARGET_COLUMNS[:2] + TARGET_COLUMNS[6:13]))


def _convert(batch, fmt, command):
    from .tagger import flat_row

    if command == "targets":
        return list(_target_rows(batch))
    return batch if fmt == ".jsonl" else [flat_row(r) for r in batch]


def _columns(command, fmt):
    """The output's columns, so that an output without rows still has its header."""
    if command == "targets":
        return list(TARGET_COLUMNS)
    if fmt == ".jsonl":
        return None
    from .tagger import TABLE_COLUMNS

    return list(TABLE_COLUMNS)


class Run:
    """One ``xhnlp tag``/``targets`` invocation: read, tag, write; counts for the summary."""

    def __init__(self, args, tagger, files, root):
        self.args, self.tagger, self.files, self.root = args, tagger, files, root
        self.failed: list[str] = []
        self.docs = self.resumed = 0
        self.kinds: Counter = Counter()

    def read(self, path: Path):
        """The document at ``path``, or None when it cannot be read (reported and counted as failed)."""
        try:
            document = read_file(path, unwrap=UNWRAP[self.args.unwrap])
        except ReadError as e:
            self.failed.append(str(e))
            print(f"error: {e}", file=sys.stderr)
            return None
        self.docs += 1
        return document

    def rows(self, document, path: Path):
        for p in self.tagger.iter_tag(document.text, doc=doc_id(path, self.root)):
            self.kinds[p.kind] += 1
            yield p.to_dict()

    def print_all(self) -> None:
        for path in self.files:
            document = self.read(path)
            if document is None:
                continue
            rows = list(self.rows(document, path))
            if self.args.command == "targets":
                _print_targets(list(_target_rows(rows)))
            else:
                print(f"\n== {doc_id(path, self.root)}")
                _print_table(rows)

    def write_all(self, store: JobStore, fmt: str) -> None:
        show = not self.args.quiet and len(self.files) > 1
        for path in _progress(self.files, show, "tagging"):
            if path.is_file() and store.has(path):
                self.resumed += 1
                self.docs += 1
                with open(store.part(path), encoding="utf-8") as f:
                    self.kinds.update(json.loads(line)["kind"] for line in f)
                continue
            document = self.read(path)
            if document is not None:
                store.write(path, self.rows(document, path))
                _trim_heap()
        self.assemble(store, fmt)

    def assemble(self, store: JobStore, fmt: str) -> None:
        out = Path(self.args.output)
        tmp = out.with_name(out.name + ".tmp")
        writer = open_writer(tmp, columns=_columns(self.args.command, fmt), fmt=fmt)
        try:
            for path in self.files:
                if not path.is_file() or not store.has(path):
                    continue
                with open(store.part(path), encoding="utf-8") as f:
                    if fmt == ".jsonl" and self.args.command == "tag":  # parts hold the output's own lines
                        writer.f.writelines(f)
                        continue
                    batch = []
                    for line in f:
                        batch.append(json.loads(line))
                        if len(batch) >= ASSEMBLY_ROWS:
                            writer.write(_convert(batch, fmt, self.args.command))
                            batch = []
                    writer.write(_convert(batch, fmt, self.args.command))
            writer.close()
            os.replace(tmp, out)
        except BaseException:
            writer.close()
            tmp.unlink(missing_ok=True)
            raise

    def summary(self, load_s: float, elapsed: float) -> str:
        s = (f"{self.docs} document(s) read, {self.kinds['sentence']} sentences tagged, {self.kinds['heading']} "
             f"headings, {len(self.failed)} file(s) failed; model load {load_s:.1f}s, total {elapsed:.1f}s")
        if self.resumed:
            s += f"; {self.resumed} document(s) taken from an earlier interrupted run of the same settings"
        if self.args.output:
            s += f"; wrote {self.args.output}"
        return s


def run(args) -> int:
    from .models import fingerprint, resolve
    from .tagger import Tagger

    fmt = None
    if args.output:
        try:
            fmt = format_of(args.output)
            check_output_path(Path(args.output))
        except (ValueError, JobError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    files = find_files(args.paths)
    if not files:
        print("error: no input files found (looked for " + ", ".join(SUFFIXES) + "; a folder's README is skipped)",
              file=sys.stderr)
        return 2
    root = doc_root(args.paths)
    t0 = time.time()
    try:
        tagger = Tagger.load(args.model, quantize=args.quantize, backend=args.backend, batch_size=args.batch_size)
        model_dir = resolve(args.model)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    load_s = time.time() - t0
    job = Run(args, tagger, files, root)
    if not args.output:
        job.print_all()
    else:
        stamp = {"xhnlp": __version__, "command": args.command, "model": str(args.model or "default"),
                 "model_fingerprint": fingerprint(model_dir), "quantize": bool(args.quantize),
                 "backend": getattr(tagger.model, "backend", None), "batch_size": args.batch_size,
                 "doc_ids": "relative to root", "root": str(root), "format": fmt, "unwrap": args.unwrap}
        try:
            with JobStore(Path(args.output), stamp) as store:
                if store.stale:
                    print(f"note: {store.dir} was made with other settings (model, version or options); "
                          "starting afresh", file=sys.stderr)
                job.write_all(store, fmt)
                if not job.failed:
                    store.remove()
        except JobError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        except OSError as e:
            kept = len(list(Path(str(args.output) + ".parts").glob("*.jsonl")))
            print(f"error: cannot write {e.filename or args.output}: {e.strerror or e}; {args.output} was not "
                  f"written; {kept} finished document(s) kept in {args.output}.parts, run the same command "
                  "again to resume", file=sys.stderr)
            return 1
    print(job.summary(load_s, time.time() - t0), file=sys.stderr)
    for reason in job.failed:
        print(f"  failed: {reason}", file=sys.stderr)
    return 1 if job.failed else 0


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an integer") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    return n


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage block): ``xhnlp tag: error: … (see xhnlp tag --help)``."""

    def error(self, message):
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def main(argv=None) -> int:
    ap = _Parser(prog="xhnlp", description="Tag Chinese government work reports.")
    ap.add_argument("--version", action="version", version=f"xhnlp {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    for name, help_ in (("tag", "tag every heading and sentence"), ("targets", "list the quantified targets")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("paths", nargs="+", help=f"report files or directories (searched recursively for "
                       f"{', '.join(SUFFIXES)}; README files skipped); a file given by name is read whatever its suffix")
        p.add_argument("-o", "--output", help=f"output file ({', '.join(FORMATS)}); without it, print a table")
        p.add_argument("--model", help="shipped model name (bert, baseline) or a model directory; default: bert")
        p.add_argument("--batch-size", type=positive_int, default=256, help="pieces per model call (default 256)")
        p.add_argument("--quantize", action="store_true",
                       help="int8 dynamic quantisation of a BERT model (CPU): faster, labels nearly the same")
        p.add_argument("--backend", choices=("auto", "onnx", "torch"), default="auto",
                       help="BERT inference engine: auto (ONNX Runtime on the CPU when installed), onnx, torch")
        p.add_argument("--unwrap", choices=tuple(UNWRAP), default="auto",
                       help="join hard-wrapped lines and drop running headers/footers: auto (PDFs, and text files "
                            "that look wrapped), on, off")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p = sub.add_parser("serve", help="serve the tagger over HTTP (needs the serve extra)")
    p.add_argument("--model", help="shipped model name (bert, baseline) or a model directory; default: bert")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free port)")
    p.add_argument("--max-batch", type=positive_int, default=64,
                   help="most sentences per request and per model call (default 64)")
    p.add_argument("--max-bytes", type=positive_int, default=2_000_000, help="largest request body (default 2000000)")
    p.add_argument("--max-queue", type=positive_int, default=128, help="requests waiting before 503 (default 128)")
    p.add_argument("--max-wait-ms", type=float, default=2.0, help="wait for more sentences to batch (default 2 ms)")
    p.add_argument("--api-key", help="require 'Authorization: Bearer KEY' (or set XHNLP_API_KEY)")
    args = ap.parse_args(argv)
    if args.command == "serve":
        try:
            from . import serve
        except ModuleNotFoundError as e:
            if (e.name or "").partition(".")[0] not in ("fastapi", "uvicorn", "starlette", "pydantic"):
                raise
            print('error: xhnlp serve needs the serve extra: pip install "xhnlp[serve]"', file=sys.stderr)
            return 2
        return serve.main(args)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the table piped into `head`: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
