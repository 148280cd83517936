"""Golden files for the Rust port's tests.

    python tools/train-encoder/golden.py --model-dir crates/scoring/model/encoder --data-dir crates/scoring/data

golden/tokens.jsonl  one object a line: {"text", "normalised", "input_ids", "attention_mask"}
                     input_ids come from the Hugging Face tokenizer (transformers BertTokenizerFast
                     over the shipped tokenizer.json) applied to `normalised`, truncated to
                     max_seq_length, no padding. Checked against wordpiece_ref.py (the plain spec).
golden/logits.jsonl  {"text", "normalised", "input_ids", "variant", "logits", "probs", "label"} for each of
                     the fp16 and int8 files, computed one text at a time (no padding) with infer.py's f32
                     maths over the dequantised weights.
"""

import argparse
import json
import os
import random
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from common import LABELS, load_datasets  # noqa: E402
from export import write_checksums  # noqa: E402
from infer import ExportedModel  # noqa: E402
from textprep import normalise  # noqa: E402
from wordpiece_ref import WordPiece  # noqa: E402

LONG = (
    "Northwind Industries said on Tuesday that net sales for the January-September period rose 12.4% to "
    "EUR 1,234.5 million, while operating profit excluding one-off items increased to EUR 98.7 million from "
    "EUR 76.1 million, helped by strong demand in North America and price increases in Europe. "
)

EDGE_CASES = [
    "",
    "   ",
    "\n\t\r",
    "Acme Corp shares rose 5% after it beat estimates.",
    "ACME CORP SHARES ROSE 5% AFTER IT BEAT ESTIMATES!!!",
    "$AAPL $TSLA $BRK.B up premarket 🚀🚀🚀",
    "$5 billion deal; US$3.2bn; C$ 10m; €12bn; £300m; ¥1.5 trillion; 5$ ",
    "Check https://t.co/AbC123xyz and www.example.com/path?q=1 for details",
    "Visit HTTPS://EXAMPLE.COM/Path now",
    "@Reuters: Fed holds rates steady. cc @jack_smith",
    "Email ir@northwind.example for the report",
    "#earnings #stocks $SPY down 2% #bearish",
    "Nestlé, Société Générale and Škoda report in Zürich; Ørsted and Hennes & Mauritz in København",
    "Crème brûlée maker’s “record” quarter — shares +12 %…",
    "Café e\u0301 combining accent vs é precomposed",
    "東京証券取引所 Tokyo Stock Exchange 上场 shares",
    "Акции Газпрома упали на 3% — Gazprom shares fell",
    "Η μετοχή ανέβηκε 4%; Arabic: ارتفعت الأسهم; Hindi: शेयर बढ़े",
    "Fullwidth: ＡＣＭＥ ２０２４ ｒｏｓｅ ５％",
    "Zero\u200bwidth space and\u00a0no-break\u2009thin\u202fspaces",
    "Line one\nLine two\r\nLine three\u2028separator\u0085next",
    "Control\x00chars\x07here\x1bnow\x7fand\x9fthere",
    "Emoji only: 😀😃📈📉💰🔥👍🏽👨‍👩‍👧 ✅ ❌ ⭐ ➡️ ⬆️ 1️⃣",
    "📈",
    "Numbers: 1,234.56 -3.5% +2.1pp 0.5x 10-K 8-K Q3'24 FY2025/26 3/4 ½ ² 1e6",
    "Dates 2024-03-15, 15.3.2024, 03/15/24 and times 09:30 ET",
    "Punctuation!?;:,.()[]{}<>\"'`~^*_=+-|\\/&%$#@",
    "It's the company's best year; they've beaten (again) the analysts' view.",
    "Guillemets «rekord» and „Zitat“ and 'single' quotes",
    "Tabs\tbetween\twords",
    "a" * 150,
    "supercalifragilisticexpialidociousmegacorporationholdingsincorporated reports",
    "X" * 99 + " and " + "Y" * 101,
    "Pneumonoultramicroscopicsilicovolcanoconiosis-linked claims hit insurer",
    "unaffable antidisestablishmentarianism hyperinflationary stagflationary",
    "MiXeD CaSe TiCkErS like NvDa and aMzN",
    "S&P 500, Dow Jones, Nasdaq-100, FTSE-100 and DAX40 close",
    "C++ and C# developers; AT&T; P&G; 3M; H&M; L'Oréal",
    "Price target raised to $1,050 from $900 (+16.7%)",
    "«Ne pas» – en dash – em dash — hyphen - minus − sign",
    "RT @user: $GME to the moon!!! https://t.co/x 💎🙌",
    "wwwhat about a word starting with www or httpfoo? not links",
    "Links glued:see(https://a.b/c)and http:// alone",
    "email@host.com @ alone @@double @_under",
    "$ alone, $$ double, $1, $a lower-case cashtag, #1 ranked, # alone",
    LONG * 6,
    " ".join(["word"] * 300),
    ("Shares rose. " * 80).strip(),
]


def hf_tokenizers(model_dir, max_len):
    from transformers import BertTokenizerFast

    fast = BertTokenizerFast(tokenizer_file=str(Path(model_dir) / "tokenizer.json"), do_lower_case=True)
    ref = WordPiece(Path(model_dir) / "vocab.txt", max_len)
    return fast, ref


def collect_texts(data_dir, n_total, seed=7):
    rng = random.Random(seed)
    data = load_datasets(data_dir)
    texts = list(EDGE_CASES)
    tw = [t for t, _ in data["twitter_valid"]]
    nv = [t for t, _ in data.get("news_valid", [])]
    texts += rng.sample(tw, min(len(tw), (n_total - len(texts)) // 2))
    texts += rng.sample(nv, min(len(nv), n_total - len(texts)))
    return texts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--n-tokens", type=int, default=200)
    ap.add_argument("--n-logits", type=int, default=50)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    model_dir = Path(a.model_dir)
    cfg = json.loads((model_dir / "config.json").read_text())
    max_len = cfg["max_seq_length"]
    fast, ref = hf_tokenizers(model_dir, max_len)
    out = model_dir / "golden"
    out.mkdir(exist_ok=True)

    texts = collect_texts(a.data_dir, a.n_tokens)
    mismatches = 0
    models = {v: ExportedModel(model_dir, v) for v in ("fp16", "int8")}
    with open(out / "tokens.jsonl", "w", encoding="utf-8") as f:
        for t in texts:
            n = normalise(t)
            enc = fast(n, truncation=True, max_length=max_len)
            ref_ids = ref.encode(n)
            ours = models["int8"].encoder.ids([t])[0]
            assert ours == enc["input_ids"], (t, ours, enc["input_ids"])
            if ref_ids != enc["input_ids"]:
                mismatches += 1
                print("wordpiece_ref.py and the HF tokenizer differ on", repr(t[:60]))
            rec = {"text": t, "normalised": n, "input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"tokens.jsonl: {len(texts)} texts, wordpiece_ref.py mismatches: {mismatches}")

    # logits: a spread of edge cases, tweets and news sentences
    sel = EDGE_CASES[:12] + [EDGE_CASES[-3]] + texts[len(EDGE_CASES) : len(EDGE_CASES) + 19]
    sel += texts[-(a.n_logits - len(sel)) :]
    with open(out / "logits.jsonl", "w", encoding="utf-8") as f:
        for variant, m in models.items():
            for t in sel:
                ids = m.encoder.ids([t])[0]
                x = torch.tensor([ids])
                logits = m.forward(x, torch.ones_like(x))[0]
                probs = torch.softmax(logits, -1)
                rec = {
                    "variant": variant,
                    "text": t,
                    "normalised": normalise(t),
                    "input_ids": ids,
                    "logits": [round(float(v), 6) for v in logits],
                    "probs": [round(float(v), 6) for v in probs],
                    "label": LABELS[int(probs.argmax())],
                }
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            # batched (padded) must agree with one-at-a-time to well within 1e-3
            batched = m.logits(sel, batch_size=16)
            single = torch.stack([m.forward(torch.tensor([i]), torch.ones(1, len(i), dtype=torch.long))[0]
                                  for i in m.encoder.ids(sel)])
            print(f"{variant}: max |batched - single| logit diff = {float((batched - single).abs().max()):.2e}")
    print(f"logits.jsonl: {len(sel)} texts x 2 variants")
    write_checksums(model_dir)
    print("SHA256SUMS rewritten (model files + golden files)")


if __name__ == "__main__":
    main()
