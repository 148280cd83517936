"""Inference latency in PyTorch on one thread: unbatched and batched, per exported variant.

    python tools/train-encoder/bench.py --model-dir crates/scoring/model/encoder --data-dir crates/scoring/data
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from common import collate, load_datasets  # noqa: E402
from infer import ExportedModel  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--batch", type=int, default=32)
    a = ap.parse_args()
    torch.set_num_threads(1)
    data = load_datasets(a.data_dir)
    texts = [t for t, _ in data["news_valid"]][: a.n // 2] + [t for t, _ in data["twitter_valid"]][: a.n // 2]
    res = {}
    for variant in ("fp16", "int8"):
        m = ExportedModel(a.model_dir, variant)
        ids = m.encoder.ids(texts)
        # warm-up
        for i in ids[:8]:
            x = torch.tensor([i])
            m.forward(x, torch.ones_like(x))
        t0 = time.perf_counter()
        for i in ids:
            x = torch.tensor([i])
            m.forward(x, torch.ones_like(x))
        single = (time.perf_counter() - t0) / len(ids)
        t0 = time.perf_counter()
        for s in range(0, len(ids), a.batch):
            x, mk = collate(ids[s : s + a.batch])
            m.forward(x, mk)
        batched = (time.perf_counter() - t0) / len(ids)
        t0 = time.perf_counter()
        m.encoder.ids(texts)
        tok = (time.perf_counter() - t0) / len(texts)
        mean_len = sum(len(i) for i in ids) / len(ids)
        res[variant] = {
            "unbatched_ms_per_sentence": round(single * 1e3, 2),
            f"batched{a.batch}_ms_per_sentence": round(batched * 1e3, 2),
            "normalise_and_tokenise_ms_per_sentence": round(tok * 1e3, 3),
            "mean_tokens": round(mean_len, 1),
        }
        print(variant, res[variant], flush=True)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
