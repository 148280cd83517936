"""Evaluate saved fp32 checkpoints (train.py --save-fp32 1), alone or weight-averaged.

    python tools/train-encoder/evaluate.py --data-dir crates/scoring/data --ckpt runs/a/fp32.pt \
        [--ckpt runs/b/fp32.pt ...] [--max-len 128] [--eval-tsv X] [--errors out.tsv]

Several --ckpt are averaged parameter by parameter (a "model soup") before evaluation.
--errors writes the misclassified twitter_valid / news_valid rows for error analysis
(never use it on the phrasebank file).
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from common import (  # noqa: E402
    LABELS,
    Classifier,
    Encoder,
    base_model_dir,
    format_metrics,
    load_bert,
    load_datasets,
    metrics,
    predict_logits,
    read_tsv,
    write_json,
)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--ckpt", action="append", required=True)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--pooling", default="mean")
    ap.add_argument("--normalise", type=int, default=1)
    ap.add_argument("--eval-tsv", action="append", default=[])
    ap.add_argument("--errors", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    base = base_model_dir()
    states = [torch.load(p, map_location="cpu") for p in a.ckpt]
    avg = {k: (sum(s[k].float() for s in states) / len(states)) if states[0][k].is_floating_point() else states[0][k]
           for k in states[0]}
    model = Classifier(load_bert(base), pooling=a.pooling)
    model.load_state_dict(avg)
    model.eval()
    enc = Encoder(base / "tokenizer.json", a.max_len, normalise_text=bool(a.normalise))
    data = load_datasets(a.data_dir)
    sets = {"twitter_valid": data["twitter_valid"], "news_valid": data["news_valid"]}
    for p in a.eval_tsv:
        sets[Path(p).parent.name] = read_tsv(p)
    res = {}
    err_rows = []
    for name, rows in sets.items():
        logits = predict_logits(lambda x, m: model(x, m), enc, [t for t, _ in rows])
        probs = torch.softmax(logits, -1)
        pred = logits.argmax(-1).tolist()
        res[name] = metrics([y for _, y in rows], pred)
        print(format_metrics(name, res[name]), flush=True)
        if name in ("twitter_valid", "news_valid"):
            for (t, y), p, pr in zip(rows, pred, probs):
                if p != y:
                    err_rows.append((name, LABELS[y], LABELS[p], f"{float(pr[p]):.2f}", t.replace("\n", " ")))
    if a.errors:
        with open(a.errors, "w", encoding="utf-8") as f:
            f.write("set\tgold\tpred\tp_pred\ttext\n")
            for r in err_rows:
                f.write("\t".join(r) + "\n")
    if a.json:
        write_json(a.json, {"ckpt": a.ckpt, "max_len": a.max_len, "results": res})


if __name__ == "__main__":
    main()
