"""Pretrain a small Chinese BERT (masked LM, whole-word masking on jieba words) from scratch.

    python -m xhnlp.training.pretrain runs/pretrain/corpus.txt --tokenizer runs/pretrain/tokenizer \
        -o runs/pretrain_small/model --layers 2 --hidden 128 --heads 2 --max-steps 6000 --minutes 45

Checkpoints every ``--save-every`` minutes to OUT/checkpoint (resume with ``--resume``), logs to
OUT/log.jsonl, and writes the final encoder (``save_pretrained`` form, safetensors) to OUT/final
with its held-out MLM loss and accuracy in OUT/final/pretrain_metrics.json. Uses a GPU when
there is one. The MLM head is computed at masked positions only; bf16 autocast on a GPU.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer, BertConfig, BertForMaskedLM

from ..models.bert import cpu_has_bf16


def load_sequences(corpus: list[str], tokenizer, max_len: int, seed: int, whole_word: bool = True):
    """Pack sentences into sequences of at most ``max_len`` tokens (incl. [CLS]/[SEP]), cut at sentence ends.

    Returns a list of (input_ids, word_ids) arrays; with ``whole_word`` the sentences are segmented
    with jieba and word ids are unique within a sequence (else every id is 0: token masking ignores them).
    """
    import jieba

    jieba.setLogLevel(60)
    lines = [line.strip() for text in corpus for line in open(text, encoding="utf-8") if line.strip()]
    random.Random(seed).shuffle(lines)
    budget = max_len - 2
    seqs, ids, words, next_word = [], [], [], 0

    def flush():
        nonlocal ids, words, next_word
        if ids:
            seqs.append((np.array([tokenizer.cls_token_id] + ids + [tokenizer.sep_token_id], dtype=np.int32),
                         np.array([-1] + words + [-1], dtype=np.int32)))
        ids, words, next_word = [], [], 0

    for start in range(0, len(lines), 2000):
        if whole_word:
            enc = tokenizer([jieba.lcut(s) for s in lines[start:start + 2000]], is_split_into_words=True,
                            add_special_tokens=False)
        else:
            enc = tokenizer(lines[start:start + 2000], add_special_tokens=False)
        for n, sent_ids in enumerate(enc["input_ids"]):
            word_ids = enc.word_ids(n) if whole_word else [0] * len(sent_ids)
            wids = [w + next_word for w in word_ids]
            if len(ids) + len(sent_ids) > budget:
                flush()
                wids = list(word_ids)
            while len(sent_ids) > budget:  # a sentence longer than a sequence: cut it
                ids, words = sent_ids[:budget], wids[:budget]
                flush()
                sent_ids, wids = sent_ids[budget:], wids[budget:]
            ids += sent_ids
            words += wids
            next_word = (max(words) + 1) if words else 0
    flush()
    return seqs


def mask_batch(batch, tokenizer, rng: np.random.Generator, prob=0.15, whole_word=True):
    """Pad a batch and mask ``prob`` of each sequence's tokens, whole jieba words at a time or (``whole_word=False``)
    token by token; returns input_ids, attention_mask, labels (-100 = not masked)."""
    length = max(len(ids) for ids, _ in batch)
    input_ids = np.full((len(batch), length), tokenizer.pad_token_id, dtype=np.int64)
    labels = np.full((len(batch), length), -100, dtype=np.int64)
    attention = np.zeros((len(batch), length), dtype=np.int64)
    vocab = len(tokenizer)
    for b, (ids, words) in enumerate(batch):
        input_ids[b, :len(ids)] = ids
        attention[b, :len(ids)] = 1
        if not whole_word:  # each token its own unit
            words = np.where(words >= 0, np.arange(len(words)), -1)
        unique = np.unique(words[words >= 0])
        rng.shuffle(unique)
        target = max(1, int(round(prob * (len(ids) - 2))))
        chosen, count = [], 0
        for w in unique:
            if count >= target:
                break
            chosen.append(w)
            count += int((words == w).sum())
        pos = np.flatnonzero(np.isin(words, chosen))
        labels[b, pos] = ids[pos]
        roll = rng.random(len(pos))
        input_ids[b, pos[roll < 0.8]] = tokenizer.mask_token_id
        rand = pos[(roll >= 0.8) & (roll < 0.9)]
        input_ids[b, rand] = rng.integers(5, vocab, len(rand))
    return torch.from_numpy(input_ids), torch.from_numpy(attention), torch.from_numpy(labels)


def mlm_loss(model, input_ids, attention, labels):
    """Loss and number of correct predictions, computing the MLM head at masked positions only."""
    hidden = model.bert(input_ids=input_ids, attention_mask=attention).last_hidden_state
    where = labels != -100
    logits = model.cls(hidden[where]).float()
    target = labels[where]
    return torch.nn.functional.cross_entropy(logits, target), (logits.argmax(-1) == target).sum().item(), target.numel()


@torch.no_grad()
def evaluate(model, seqs, tokenizer, batch_size, device, autocast, whole_word=False):
    """Held-out MLM loss with a fixed seed: per masked token, and per character of the masked tokens."""
    model.eval()
    rng = np.random.default_rng(1234)
    chars = np.array([max(1, len(t.removeprefix("##"))) if not t.startswith("[") else 1
                      for t, _ in sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])])
    total, correct, n, n_chars = 0.0, 0, 0, 0
    for i in range(0, len(seqs), batch_size):
        ids, att, lab = (t.to(device) for t in mask_batch(seqs[i:i + batch_size], tokenizer, rng, whole_word=whole_word))
        with autocast():
            loss, c, m = mlm_loss(model, ids, att, lab)
        total += loss.item() * m
        correct += c
        n += m
        n_chars += int(chars[lab[lab != -100].cpu().numpy()].sum())
    model.train()
    return {"loss": total / max(n, 1), "loss_per_char": total / max(n_chars, 1), "accuracy": correct / max(n, 1),
            "perplexity": math.exp(total / max(n, 1))}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="+", help="text files, one sentence per line (training/build_corpus.py)")
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("-o", "--output", default="runs/pretrain/model")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--max-len", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--max-steps", type=int, default=3000)
    ap.add_argument("--minutes", type=float, default=None, help="stop (and save) after this much wall time")
    ap.add_argument("--save-every", type=float, default=10.0, help="minutes between checkpoints")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--masking", choices=["word", "token"], default="token",
                    help="mask whole jieba words or single tokens (default token)")
    ap.add_argument("--eval-file", help="held-out text (one sentence a line, e.g. reports left out of the corpus)")
    ap.add_argument("--eval-every", type=int, default=250, help="steps between held-out evaluations")
    ap.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=None,
                    help="bf16 autocast (default: on with a GPU or a CPU with AVX512-BF16/AMX, else off)")
    args = ap.parse_args(argv)

    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    bf16 = (device == "cuda" or cpu_has_bf16()) if args.bf16 is None else args.bf16
    autocast = lambda: torch.autocast(device, dtype=torch.bfloat16, enabled=bf16)  # noqa: E731
    out = Path(args.output)
    ckpt = out / "checkpoint"
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)

    t0 = time.time()
    whole_word = args.masking == "word"
    seqs = load_sequences(args.corpus, tokenizer, args.max_len, args.seed, whole_word)
    if args.eval_file:
        dev, train = load_sequences([args.eval_file], tokenizer, args.max_len, args.seed, False), seqs
    else:
        n_dev = max(64, len(seqs) // 100)
        dev, train = seqs[:n_dev], seqs[n_dev:]
    n_tokens = sum(len(s) for s, _ in train)
    print(f"{len(train)} training sequences ({n_tokens} tokens), {len(dev)} held out; prepared in {time.time() - t0:.0f}s",
          flush=True)

    if args.resume and (ckpt / "config.json").exists():
        model = BertForMaskedLM.from_pretrained(ckpt)
    else:
        config = BertConfig(vocab_size=len(tokenizer), hidden_size=args.hidden, num_hidden_layers=args.layers,
                            num_attention_heads=args.heads, intermediate_size=4 * args.hidden,
                            max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id)
        model = BertForMaskedLM(config)
    model.to(device).train()
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    schedule = lambda s: min((s + 1) / args.warmup, max(0.0, (args.max_steps - s) / max(1, args.max_steps - args.warmup)))  # noqa: E731
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
    step, elapsed_before = 0, 0.0
    if args.resume and (ckpt / "trainer_state.pt").exists():
        state = torch.load(ckpt / "trainer_state.pt", weights_only=False)  # our own checkpoint, never shipped
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        step, elapsed_before = state["step"], state["elapsed"]
        print(f"resumed at step {step}", flush=True)

    def save(path: Path, with_state: bool):
        model.save_pretrained(path)
        tokenizer.save_pretrained(path)
        if with_state:
            torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "step": step, "tokens": total_tokens,
                        "elapsed": elapsed_before + time.time() - start}, path / "trainer_state.pt")

    per_epoch = math.ceil(len(train) / args.batch_size)
    start = last_save = time.time()
    log = open(out / "log.jsonl", "a")
    tokens_seen, window_loss, window_n, window_t = 0, 0.0, 0, time.time()
    total_tokens = state["tokens"] if args.resume and (ckpt / "trainer_state.pt").exists() and "tokens" in state else 0
    print(f"bf16 autocast: {bf16}, masking: {args.masking}, threads: {torch.get_num_threads()}", flush=True)
    while step < args.max_steps:
        epoch, pos = divmod(step, per_epoch)
        order = np.random.default_rng(args.seed + epoch).permutation(len(train))
        rng = np.random.default_rng(args.seed * 1_000_003 + step)
        batch = [train[i] for i in order[pos * args.batch_size:(pos + 1) * args.batch_size]]
        ids, att, lab = (t.to(device) for t in mask_batch(batch, tokenizer, rng, whole_word=whole_word))
        with autocast():
            loss, _, _ = mlm_loss(model, ids, att, lab)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        tokens_seen += int(att.sum())
        total_tokens += int(att.sum())
        window_loss += loss.item()
        window_n += 1
        if step % 50 == 0 or step == args.max_steps:
            rate = tokens_seen / (time.time() - window_t)
            rec = {"step": step, "loss": window_loss / window_n, "lr": sched.get_last_lr()[0], "tokens_per_s": round(rate),
                   "minutes": round((elapsed_before + time.time() - start) / 60, 2), "epoch": round(step / per_epoch, 2)}
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
            log.flush()
            tokens_seen, window_loss, window_n, window_t = 0, 0.0, 0, time.time()
        minutes = (elapsed_before + time.time() - start) / 60
        if step % args.eval_every == 0:
            rec = {"eval": True, "step": step, "tokens": total_tokens, "minutes": round(minutes, 2),
                   **{k: round(v, 4) for k, v in evaluate(model, dev, tokenizer, args.batch_size, device, autocast).items()}}
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
            log.flush()
        if time.time() - last_save > args.save_every * 60:
            save(ckpt, True)
            last_save = time.time()
        if args.minutes and minutes >= args.minutes:
            print(f"time budget reached at step {step}", flush=True)
            break
    save(ckpt, True)
    metrics = evaluate(model, dev, tokenizer, args.batch_size, device, autocast)
    metrics.update(step=step, max_steps=args.max_steps, minutes=round((elapsed_before + time.time() - start) / 60, 1),
                   train_tokens=n_tokens, train_sequences=len(train), device=device,
                   command="python " + " ".join([os.path.relpath(__file__)] + (argv or __import__("sys").argv[1:])))
    save(out / "final", False)
    (out / "final" / "pretrain_metrics.json").write_text(json.dumps(metrics, indent=2))
    print(json.dumps(metrics), flush=True)


if __name__ == "__main__":
    main()
