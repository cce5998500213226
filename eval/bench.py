"""Speed benchmark: how fast does xhnlp tag an archive of reports on this machine's CPU?

    python eval/bench.py                       # shipped BERT, 200 documents
    python eval/bench.py --docs 20 --model /path/to/bert_dir --corpus ../shared/corpus

Builds an archive of ``--docs`` documents in a temporary directory (the sample report
``examples/xuhui_2025_main_tasks.txt`` plus, with ``--corpus``, the reports found there, repeated
as needed) and prints one table:

* ``cli onnx`` / ``cli torch`` / ``cli int8`` / ``cli baseline``: ``xhnlp tag DIR -o out.jsonl`` as a
  subprocess (the default: ONNX Runtime; ``--backend torch``: eager PyTorch; ``--quantize``: PyTorch
  int8; ``--model baseline``: the TF-IDF model). sent/s counts reading, segmenting, tagging and
  writing, without model load; wall is the whole command (Python start-up and model load included);
  peak RSS is that subprocess's.
* ``in-process, one report``: ``Tagger.tag`` on one report of 200 sentences (the first 200 sentences
  of the first report that has as many; the sample report when none has), each tagger's first call
  after load (load s: the first load pays the imports).
* ``cli, constant model (floor)``: the same CLI run in-process with a model that returns constant
  probabilities: what reading, segmenting, target extraction and writing cost without any model.
* ``naive loop``: the usual first attempt with ``transformers`` — tokenise one sentence, run the
  model, next sentence (no batching, no length sorting; truncated at the window), on
  ``--naive-sentences`` sentences. Every other row is compared with it (× naive).
* ``naive loop, whole model``: the same, through the shipped model's own ``predict_proba`` (encoder
  and lexical part) one sentence per call — what the model costs without batching.

Then the share of that report's sentences that get the same labels from ONNX Runtime and from int8 as
from eager PyTorch float, and whether each is recommended (≥ 99 % on both heads and ≥ 1.1× faster
through the CLI).

On a machine shared with other jobs, compare with ``--threads 1``: torch threads that wait for busy
cores can make everything several times slower (the naive loop most).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from xhnlp import Tagger, models
from xhnlp.reading import ReadError, find_files, read_file
from xhnlp.segment import iter_pieces
from xhnlp.segment import sentences as split_sentences

ROOT = Path(__file__).resolve().parent.parent

SAMPLE = ROOT / "examples" / "xuhui_2025_main_tasks.txt"
SUMMARY = re.compile(r"(\d+) document\(s\) read, (\d+) sentences tagged.*model load ([\d.]+)s, total ([\d.]+)s")
AGREEMENT_NEEDED = 0.99
SPEEDUP_NEEDED = 1.1


def rate(r: dict) -> float:
    return r["sentences"] / r["seconds"]


def report_texts(corpus: str | None, limit: int) -> list[str]:
    """The sample report, then up to ``limit - 1`` readable reports from ``corpus``."""
    texts = [SAMPLE.read_text(encoding="utf-8")]
    for path in find_files([corpus]) if corpus else []:
        if len(texts) >= limit:
            break
        try:
            texts.append(read_file(path).text)
        except ReadError as e:
            print(f"skipped {e}", file=sys.stderr)
    return texts


def one_report(texts: list[str], n: int = 200) -> str:
    """The start of the first report with ``n`` sentences, cut after the n-th; else the first text."""
    for text in texts:
        ends = [p.end for p in iter_pieces(text) if p.kind == "sentence"]
        if len(ends) >= n:
            return text[:ends[n - 1]]
    return texts[0]


def build_archive(texts: list[str], n: int, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"doc_{i:05d}.txt").write_text(texts[i % len(texts)], encoding="utf-8")
    return folder


def run_cli(archive: Path, out: Path, model: str, *options: str) -> dict:
    """``xhnlp tag archive -o out`` in a subprocess: its numbers, wall time and peak RSS."""
    cmd = [sys.executable, "-m", "xhnlp.cli", "tag", str(archive), "-o", str(out), "--model", model, "-q", *options]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryFile(mode="w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=out.parent)
        if hasattr(os, "wait4"):  # the rusage of this one child: its own peak RSS
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            rss_mib = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
        else:
            proc.wait()
            rss_mib = float("nan")
        wall = time.perf_counter() - t0
        err.seek(0)
        log = err.read()
    match = SUMMARY.search(log)
    if proc.returncode != 0 or not match:
        sys.exit(f"error: {' '.join(cmd)} failed (exit {proc.returncode}):\n{log[-2000:]}")
    _, n_sent, load_s, total_s = match.groups()
    n_sent, load_s, total_s = int(n_sent), float(load_s), float(total_s)
    return {"sentences": n_sent, "seconds": total_s - load_s, "wall": wall, "load": load_s, "rss": rss_mib}


class ConstantModel:
    """Stands in for a model in the floor row: uniform probabilities, no work."""

    heads = {"area": ("economy", "general"), "type": ("none", "measure")}

    def predict_proba(self, texts, sections=None):
        import numpy as np

        return {h: np.full((len(texts), 2), 0.5, dtype=np.float32) for h in self.heads}


def cli_floor(archive: Path, out: Path) -> dict:
    """``xhnlp tag archive -o out`` in this process with :class:`ConstantModel` in place of the model."""
    import contextlib
    import io
    from unittest import mock

    from xhnlp import cli

    log = io.StringIO()
    with mock.patch.object(models, "load", lambda *a, **k: ConstantModel()), contextlib.redirect_stderr(log):
        t0 = time.perf_counter()
        code = cli.main(["tag", str(archive), "-o", str(out), "-q"])
        seconds = time.perf_counter() - t0
    match = SUMMARY.search(log.getvalue())
    if code != 0 or not match:
        sys.exit(f"error: the floor run failed (exit {code}):\n{log.getvalue()[-2000:]}")
    return {"sentences": int(match.group(2)), "seconds": seconds}


def naive_loop(tagger: Tagger, texts: list[str]) -> dict:
    """One sentence at a time through the tokenizer and the PyTorch model, as a first attempt would."""
    bert, tok = tagger.model.model, tagger.model.tokenizer  # BertForPolicyTagging (float) and its tokenizer
    with torch.no_grad():  # warm-up: the first call pays one-off costs
        warm = tok("预热。", return_tensors="pt")
        bert(warm["input_ids"], warm["attention_mask"])
    t0 = time.perf_counter()
    with torch.no_grad():
        for text in texts:
            enc = tok(text, truncation=True, max_length=tagger.model.max_length, return_tensors="pt")
            out = bert(enc["input_ids"], enc["attention_mask"], enc.get("token_type_ids"))
            torch.softmax(out["area_logits"], -1), torch.softmax(out["type_logits"], -1)
    return {"sentences": len(texts), "seconds": time.perf_counter() - t0}


def naive_whole_model(tagger: Tagger, texts: list[str]) -> dict:
    """``Tagger.predict_proba`` on one sentence per call: the whole model (fusion included), unbatched."""
    tagger.predict_proba(["预热。"])
    t0 = time.perf_counter()
    for text in texts:
        tagger.predict_proba([text])
    return {"sentences": len(texts), "seconds": time.perf_counter() - t0}


def in_process(model: str, text: str, settings: dict[str, dict]) -> tuple[list, dict, dict]:
    """Load one tagger per setting, then time each one's first ``tag(text)``: all loads come first so
    that no row pays the process's one-off costs (lazy imports) for the others. Returns the rows, the
    taggers and each one's tagged sentences."""
    taggers, loads = {}, {}
    for name, options in settings.items():
        t0 = time.perf_counter()
        taggers[name] = Tagger.load(model, **options)
        loads[name] = time.perf_counter() - t0
    rows, tagged = [], {}
    for name, tagger in taggers.items():
        t0 = time.perf_counter()
        tagged[name] = tagger.tag(text).sentences
        rows.append((f"in-process {name}, one report",
                     {"sentences": len(tagged[name]), "seconds": time.perf_counter() - t0, "load": loads[name]}))
    return rows, taggers, tagged


def agreement(a: list, b: list) -> dict[str, float]:
    """Share of sentences with the same labels in two taggers' results for the same text."""
    same = {h: sum(getattr(x, h) == getattr(y, h) for x, y in zip(a, b)) / len(a) for h in ("area", "type")}
    same["both"] = sum(x.area == y.area and x.type == y.type for x, y in zip(a, b)) / len(a)
    same["n"] = len(a)
    return same


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=200, help="documents in the archive (default 200)")
    ap.add_argument("--corpus", help="a directory of more reports (.txt, .docx, .html) to build the archive from")
    ap.add_argument("--model", default="bert", help="a BERT tagger: shipped name or directory (default: bert)")
    ap.add_argument("--naive-sentences", type=int, default=200, help="sentences for the naive loop (default 200)")
    ap.add_argument("--threads", type=int, help="torch threads everywhere (sets XHNLP_THREADS); default: xhnlp's")
    args = ap.parse_args(argv)
    if args.threads:
        os.environ["XHNLP_THREADS"] = str(args.threads)  # the CLI subprocesses inherit it

    try:
        kind = models.read_config(models.resolve(args.model), ()).get("xhnlp_model_type")
    except models.ModelError as e:
        hint = "; the shipped bert is not there yet: pass --model DIR" if args.model == "bert" else ""
        sys.exit(f"error: {e}{hint}")
    if kind == "tfidf-logreg":
        sys.exit("error: --model must be a BERT tagger (the baseline is benchmarked anyway)")
    model = str(models.resolve(args.model))

    texts = report_texts(args.corpus, args.docs)
    naive_texts = [s for t in texts for s in split_sentences(t)][: args.naive_sentences]
    print(f"xhnlp bench: model {model}, {args.docs} documents from {len(texts)} report text(s); "
          f"torch {torch.__version__}, {os.cpu_count()} CPUs, torch threads "
          f"{os.environ.get('XHNLP_THREADS') or torch.get_num_threads()}")

    rows = []
    with tempfile.TemporaryDirectory(prefix="xhnlp-bench-") as tmp:
        archive = build_archive(texts, args.docs, Path(tmp) / "archive")
        for name, m, options in (("cli onnx (default)", model, ()),
                                 ("cli torch (--backend torch)", model, ("--backend", "torch")),
                                 ("cli int8 (--quantize)", model, ("--quantize",)),
                                 ("cli baseline (TF-IDF)", "baseline", ())):
            print(f"  running {name} ...", file=sys.stderr, flush=True)
            rows.append((name, run_cli(archive, Path(tmp) / f"out_{len(rows)}.jsonl", m, *options)))
        rows.append(("cli, constant model (floor)", cli_floor(archive, Path(tmp) / "out_floor.jsonl")))

    print("  running in-process and naive ...", file=sys.stderr, flush=True)
    report = one_report(texts)
    settings = {"onnx": {}, "torch": {"backend": "torch"}, "int8": {"quantize": True}}
    timed, taggers, tagged = in_process(model, report, settings)
    rows += timed
    naive = naive_loop(taggers["torch"], naive_texts)
    rows.append(("naive loop (1 sentence/call)", naive))
    rows.append(("naive loop, whole model", naive_whole_model(taggers["onnx"], naive_texts)))

    naive_rate = rate(naive)
    print(f"\n{'setup':<30} {'sentences':>9} {'tag s':>7} {'sent/s':>8} {'x naive':>8} {'load s':>7} "
          f"{'wall s':>7} {'peak RSS MiB':>12}")
    for name, r in rows:
        load = f"{r['load']:7.2f}" if "load" in r else f"{'-':>7}"
        wall = f"{r['wall']:7.1f}" if "wall" in r else f"{'-':>7}"
        rss = f"{r['rss']:12.0f}" if "rss" in r else f"{'-':>12}"
        print(f"{name:<30} {r['sentences']:>9} {r['seconds']:7.2f} {rate(r):8.1f} {rate(r) / naive_rate:7.1f}x "
              f"{load} {wall} {rss}")
    print("tag s: without model load (CLI: reading+segmenting+tagging+writing); wall: the whole command")
    whole = rate(rows[-1][1])
    print("against the whole model one sentence per call: " + ", ".join(
        f"{name} {rate(r) / whole:.1f}x" for name, r in rows[:3]))

    named = dict(rows)
    print(f"10x the naive loop would be {10 * naive_rate:.0f} sentences/s; the TF-IDF baseline alone reaches "
          f"{rate(named['cli baseline (TF-IDF)']) / naive_rate:.1f}x, the CLI without a model "
          f"{rate(named['cli, constant model (floor)']) / naive_rate:.1f}x")
    for name, row in (("onnx", "cli onnx (default)"), ("int8", "cli int8 (--quantize)")):
        same = agreement(tagged["torch"], tagged[name])
        speedup = rate(named[row]) / rate(named["cli torch (--backend torch)"])
        ok = min(same["area"], same["type"]) >= AGREEMENT_NEEDED and speedup >= SPEEDUP_NEEDED
        print(f"\n{name} vs torch float on the one report ({same['n']} sentences): area {same['area']:.1%}, "
              f"type {same['type']:.1%}, both {same['both']:.1%} the same; CLI speed-up {speedup:.2f}x")
        print(f"verdict: {name} {'RECOMMENDED' if ok else 'NOT recommended'} (needs agreement >= "
              f"{AGREEMENT_NEEDED:.0%} on both heads and a CLI speed-up >= {SPEEDUP_NEEDED}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
