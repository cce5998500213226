"""Train a BERT WordPiece vocabulary on the pretraining corpus and save it as a BertTokenizerFast.

    python -m xhnlp.training.train_tokenizer runs/pretrain/corpus.txt -o runs/pretrain/tokenizer --sample ../shared/seed/xuhui_2025_main_tasks.txt

Each CJK character is its own token (BERT's Chinese handling); digits and Latin get WordPieces.
Prints the vocabulary size and the [UNK] rate on the sample text.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from tokenizers import BertWordPieceTokenizer
from transformers import BertTokenizer

from ..segment import normalize, sentences


def unk_rate(tokenizer, texts) -> tuple[float, int]:
    ids = [i for t in texts for i in tokenizer(t, add_special_tokens=False)["input_ids"]]
    return sum(i == tokenizer.unk_token_id for i in ids) / max(1, len(ids)), len(ids)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="+")
    ap.add_argument("-o", "--output", default="runs/pretrain/tokenizer")
    ap.add_argument("--vocab-size", type=int, default=12000)
    ap.add_argument("--min-frequency", type=int, default=3)
    ap.add_argument("--sample", help="a report to measure the [UNK] rate on")
    args = ap.parse_args(argv)

    wp = BertWordPieceTokenizer(clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=True)
    wp.train(args.corpus, vocab_size=args.vocab_size, min_frequency=args.min_frequency, limit_alphabet=20000,
             special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], wordpieces_prefix="##")
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    tok = BertTokenizer(vocab=wp.get_vocab(), do_lower_case=True, tokenize_chinese_chars=True, strip_accents=False)
    tok.save_pretrained(str(out))
    print(f"vocabulary: {tok.vocab_size} entries -> {out}")
    if args.sample:
        text = Path(args.sample).read_text(encoding="utf-8")
        rate, n = unk_rate(tok, [normalize(s) for s in sentences(text)])
        print(f"[UNK] rate on {args.sample}: {rate:.4%} of {n} tokens")


if __name__ == "__main__":
    main()
