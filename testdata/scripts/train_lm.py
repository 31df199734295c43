#!/usr/bin/python3
"""Train lm_tiny: a small Llama-style causal LM over bytes, for fidelity numbers on a decoder.

The random-weight decoders of export_models.py exercise graph structure, but perplexity
before/after a rewrite only means something on a model that has learnt its data. This
script trains the same Llama module export_models.py exports (SwiGLU FFN, RMSNorm pre-LN,
rotary positions, grouped-query attention) on the calibration split of
shared/data/calibration-sentences.txt (lines 1..3000), then writes

    lm_tiny.onnx               inputs input_ids, attention_mask (int64 [batch, sequence]),
                               output logits [batch, sequence, 258]
    lm_tiny_calibration.npz    256 rows of calibration sentences (lines 1..256)
    lm_tiny_evaluation.npz     256 rows of held-out sentences (lines 3001..3256)

Tokens: the UTF-8 bytes of a sentence (0..255) after BOS = 256; rows are right-padded
with PAD = 257 to 128 tokens (attention_mask 0 there). The perplexity of a row is taken
over next-token predictions whose target is a real (non-padding) token.

Run with Debian's interpreter (torch 1.13, onnx 1.12), from the repository root:

    /usr/bin/python3 testdata/scripts/train_lm.py [path/to/calibration-sentences.txt]

Training is seeded but CPU float math makes runs differ in the last bits; the committed
files are what one run produced, and lm_tiny.json beside them records its numbers.
"""

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import export_models as em  # noqa: E402  (the module definitions and the exporter)

BOS, PAD, VOCAB, SEQ = 256, 257, 258, 128
CONFIG = dict(vocab_size=VOCAB, hidden_size=128, intermediate_size=352, num_hidden_layers=4,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=SEQ,
              rms_norm_eps=1e-6, rope_theta=10000.0)
STEPS, BATCH, LR = 1500, 32, 3e-3


def encode(lines):
    ids = np.full((len(lines), SEQ), PAD, dtype=np.int64)
    mask = np.zeros((len(lines), SEQ), dtype=np.int64)
    for i, line in enumerate(lines):
        row = [BOS] + list(line.encode("utf-8"))[:SEQ - 1]
        ids[i, :len(row)] = row
        mask[i, :len(row)] = 1
    return ids, mask


def loss_of(model, ids, mask):
    """Mean next-token cross-entropy over targets that are real tokens."""
    logits = model(ids, mask)[0]
    target = ids[:, 1:].clone()
    target[mask[:, 1:] == 0] = -100
    return F.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), target.reshape(-1), ignore_index=-100)


def perplexity(model, ids, mask):
    with torch.no_grad():
        total, count = 0.0, 0
        for s in range(0, len(ids), 64):
            i, m = torch.from_numpy(ids[s:s + 64]), torch.from_numpy(mask[s:s + 64])
            n = int(m[:, 1:].sum())
            total += float(loss_of(model, i, m)) * n
            count += n
        return math.exp(total / count)


def main():
    repo = Path(__file__).resolve().parents[2]
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else repo.parent / "shared/data/calibration-sentences.txt"
    lines = corpus.read_text(encoding="utf-8").splitlines()
    calibration, evaluation = lines[:3000], lines[3000:4000]
    train_ids, train_mask = encode(calibration)
    eval_ids, eval_mask = encode(evaluation)

    torch.manual_seed(7)
    model = em.LlamaForCausalLM(CONFIG)
    em.init_hf(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, total_steps=STEPS, pct_start=0.05)
    rng = np.random.default_rng(7)
    start = time.time()
    model.train()
    for step in range(1, STEPS + 1):
        rows = rng.choice(len(train_ids), BATCH, replace=False)
        loss = loss_of(model, torch.from_numpy(train_ids[rows]), torch.from_numpy(train_mask[rows]))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % 100 == 0:
            print(f"step {step}: loss {float(loss):.3f} ({time.time() - start:.0f} s)", flush=True)
    model.eval()
    ppl_train = perplexity(model, train_ids[:1000], train_mask[:1000])
    ppl_eval = perplexity(model, eval_ids, eval_mask)
    print(f"perplexity per byte: calibration {ppl_train:.3f}, held-out {ppl_eval:.3f}")

    # Models and data go where export_models.py puts its models.
    em.OUT.mkdir(parents=True, exist_ok=True)
    sample = (torch.from_numpy(eval_ids[:2]), torch.from_numpy(eval_mask[:2]))
    info = em.export("lm_tiny.onnx", em.LlamaNoCache(model), sample, ["input_ids", "attention_mask"], ["logits"],
                     {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                      "logits": {0: "batch", 1: "sequence"}},
                     cases=[(torch.from_numpy(eval_ids[2:5, :40]), torch.from_numpy(eval_mask[2:5, :40]))])
    np.savez_compressed(em.OUT / "lm_tiny_calibration.npz", input_ids=train_ids[:256], attention_mask=train_mask[:256])
    np.savez_compressed(em.OUT / "lm_tiny_evaluation.npz", input_ids=eval_ids[:256], attention_mask=eval_mask[:256])
    facts = {
        "generator": "testdata/scripts/train_lm.py", "config": CONFIG,
        "tokens": {"bytes": "0..255 (UTF-8)", "bos": BOS, "pad": PAD, "row_length": SEQ, "padding": "right"},
        "training": {"data": "calibration-sentences.txt lines 1..3000", "steps": STEPS, "batch": BATCH,
                     "optimizer": "AdamW, one-cycle lr", "max_lr": LR, "seconds": round(time.time() - start)},
        "perplexity_per_byte": {"calibration_lines_1_1000": round(ppl_train, 4),
                                "held_out_lines_3001_4000": round(ppl_eval, 4),
                                "held_out_rows_of_lm_tiny_evaluation_npz":
                                    round(perplexity(model, eval_ids[:256], eval_mask[:256]), 4)},
        "torch_parameters": em.torch_param_count(model), **info,
    }
    (em.OUT / "lm_tiny.json").write_text(json.dumps(facts, indent=1) + "\n")


if __name__ == "__main__":
    main()
