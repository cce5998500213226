"""Prove that no sentence of the report corpus stands in the repository (apart from sentences the sample shares).

    python eval/check_no_corpus_text.py ../shared/corpus

Scans every file git tracks (text files) for any corpus sentence of at least MIN_CHARS characters,
compared after NFKC normalisation. Exit code 1 and a list of hits if any is found.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from xhnlp.reading import find_files, read_file
from xhnlp.segment import normalize, sentences

ROOT = Path(__file__).resolve().parent.parent

MIN_CHARS = 16
KEY = 16  # sentences are matched on their first KEY characters, then confirmed in full


def corpus_sentences(corpus: Path) -> dict[str, set[str]]:
    sample = normalize((ROOT / "examples" / "xuhui_2025_main_tasks.txt").read_text(encoding="utf-8"))
    by_key: dict[str, set[str]] = {}
    for path in find_files([corpus]):
        for s in sentences(read_file(path).text):
            s = normalize(s)
            if len(s) >= MIN_CHARS and s not in sample:
                by_key.setdefault(s[:KEY], set()).add(s)
    return by_key


def tracked_texts():
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, files):
        data = (ROOT / name.decode()).read_bytes() if (ROOT / name.decode()).is_file() else b""
        if b"\0" in data[:8192]:
            continue
        yield name.decode(), normalize(data.decode("utf-8", "replace")).replace("\\n", "\n")


def find_hits(corpus: Path) -> list[tuple[str, str]]:
    by_key = corpus_sentences(corpus)
    hits = []
    for name, text in tracked_texts():
        for i in range(len(text) - KEY + 1):
            cands = by_key.get(text[i:i + KEY])
            if cands:
                hits += [(name, s) for s in cands if text.startswith(s, i)]
    return hits


def main(argv=None):
    corpus = Path((argv or sys.argv[1:] or ["../shared/corpus"])[0])
    if not corpus.is_dir():
        print(f"corpus folder {corpus} not found: nothing to check")
        return 0
    hits = find_hits(corpus)
    for name, s in hits:
        print(f"{name}: {s[:40]}…")
    print(f"{len(hits)} corpus sentence(s) found in tracked files")
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
