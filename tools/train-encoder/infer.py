"""Reference inference from the exported files, written the way the Rust port will do it.

It reads `model.<variant>.safetensors` (fp16, or int8 with per-row scales), dequantises every
tensor to f32 and runs a plain BERT forward pass in f32 with no dependency on `transformers`,
so the golden files and the exported-variant metrics come from the same maths as the port.

    python infer.py --model-dir crates/scoring/model/encoder --variant int8 "Acme beats estimates"
"""

import argparse
import json
import math
from pathlib import Path

import torch
from safetensors.torch import load_file

from common import LABELS, Encoder, predict_logits

HEAD_W = "classifier.weight"
HEAD_B = "classifier.bias"


def load_weights(path):
    """All tensors as f32; `<name>.q` (i8) + `<name>.scale` (f32, one per row) -> <name>."""
    raw = load_file(str(path))
    out = {}
    for name, t in raw.items():
        if name.endswith(".scale"):
            continue
        if name.endswith(".q"):
            base = name[: -len(".q")]
            scale = raw[base + ".scale"]
            out[base] = t.to(torch.float32) * scale.to(torch.float32).unsqueeze(1)
        else:
            out[name] = t.to(torch.float32)
    return out


def _layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def _gelu(x):  # exact (erf) GELU, as in BERT's "gelu"
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


class ExportedModel:
    def __init__(self, model_dir, variant="int8"):
        model_dir = Path(model_dir)
        self.cfg = json.loads((model_dir / "config.json").read_text())
        self.w = load_weights(model_dir / f"model.{variant}.safetensors")
        self.labels = json.loads((model_dir / "labels.json").read_text())["labels"]
        assert self.labels == LABELS
        prep = self.cfg.get("preprocessing", {})
        self.encoder = Encoder(
            model_dir / "tokenizer.json", self.cfg["max_seq_length"], normalise_text=prep.get("normalise", True)
        )

    @torch.no_grad()
    def forward(self, ids, mask):
        w, cfg = self.w, self.cfg
        eps = cfg["layer_norm_eps"]
        nh = cfg["num_attention_heads"]
        bsz, n = ids.shape
        hd = cfg["hidden_size"] // nh
        pos = torch.arange(n)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][pos].unsqueeze(0)
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        # additive mask: 0 for real tokens, large negative for padding (keys only)
        add = (1.0 - mask.to(torch.float32))[:, None, None, :] * -1e9
        for i in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}."

            def lin(t, name):
                return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            def heads(t):
                return t.view(bsz, n, nh, hd).transpose(1, 2)

            q = heads(lin(x, "attention.self.query"))
            k = heads(lin(x, "attention.self.key"))
            v = heads(lin(x, "attention.self.value"))
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + add, dim=-1)
            ctx = (att @ v).transpose(1, 2).reshape(bsz, n, nh * hd)
            x = _layer_norm(
                lin(ctx, "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                eps,
            )
            h = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                lin(h, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps
            )
        m = mask.unsqueeze(-1).to(torch.float32)
        if cfg["pooling"] == "cls":
            pooled = x[:, 0]
        else:
            pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return pooled @ w[HEAD_W].T + w[HEAD_B]

    def logits(self, texts, batch_size=64):
        return predict_logits(self.forward, self.encoder, texts, batch_size)

    def probs(self, texts, batch_size=64):
        return torch.softmax(self.logits(texts, batch_size), dim=-1)


def combine_headline_summary(model, headline, summary, headline_weight=2.0 / 3.0):
    """Proposed article score: p = w*p(headline) + (1-w)*p(summary); headline alone if no summary."""
    if not summary or not summary.strip():
        return model.probs([headline])[0]
    p = model.probs([headline, summary])
    return headline_weight * p[0] + (1.0 - headline_weight) * p[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--variant", default="int8", choices=["fp16", "int8"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("texts", nargs="+")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    m = ExportedModel(a.model_dir, a.variant)
    for t, p in zip(a.texts, m.probs(a.texts)):
        best = LABELS[int(p.argmax())]
        print(f"{best:<8} " + " ".join(f"{l}={float(v):.3f}" for l, v in zip(LABELS, p)) + f"  {t}")


if __name__ == "__main__":
    main()
