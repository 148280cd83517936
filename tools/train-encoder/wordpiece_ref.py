"""A plain re-implementation of the BERT uncased tokenizer, as a spec for the Rust port.

golden.py checks it against the Hugging Face fast tokenizer on every golden text. Steps, on
the text that textprep.normalise() returned:

1. Clean: drop U+0000, U+FFFD and every char of Unicode category C* (Cc, Cf, Cn, Co, Cs)
   except \\t \\n \\r; map \\t \\n \\r, U+0020 and category Zs to U+0020.
2. CJK: put a space before and after every char in the CJK ideograph blocks listed below.
3. Strip accents: Unicode NFD, then drop category Mn (combining marks).
4. Lower-case (Unicode full lower-casing, Python str.lower / Rust str::to_lowercase).
5. Pre-tokenise: split on U+0020 runs; then every punctuation char is a token of its own.
   Punctuation = any ASCII char in !"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ or Unicode category P*.
6. WordPiece each word: longer than 100 chars -> [UNK]; else greedy longest match from the
   left, continuation pieces prefixed "##"; if some position has no match the whole word is
   [UNK].
7. [CLS] + ids + [SEP], truncated so the total is at most max_len (drop word pieces from the
   end, keep [SEP]). attention_mask is all 1; token_type_ids all 0.
"""

import unicodedata

CJK = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
       (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
ASCII_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _is_punct(ch):
    return ch in ASCII_PUNCT or unicodedata.category(ch).startswith("P")


class WordPiece:
    def __init__(self, vocab_path, max_len):
        with open(vocab_path, encoding="utf-8") as f:
            self.vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
        self.max_len = max_len
        self.unk, self.cls, self.sep = self.vocab["[UNK]"], self.vocab["[CLS]"], self.vocab["[SEP]"]

    def normalise(self, text):
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD:
                continue
            cat = unicodedata.category(ch)
            if ch in "\t\n\r" or ch == " " or cat == "Zs":
                out.append(" ")
                continue
            if cat.startswith("C"):
                continue
            if any(lo <= cp <= hi for lo, hi in CJK):
                out.append(f" {ch} ")
                continue
            out.append(ch)
        s = unicodedata.normalize("NFD", "".join(out))
        s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn")
        return s.lower()

    def words(self, text):
        words = []
        for chunk in self.normalise(text).split(" "):
            cur = ""
            for ch in chunk:
                if _is_punct(ch):
                    if cur:
                        words.append(cur)
                        cur = ""
                    words.append(ch)
                else:
                    cur += ch
            if cur:
                words.append(cur)
        return words

    def word_ids(self, word):
        if len(word) > 100:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.unk]
            ids.append(found)
            start = end
        return ids

    def encode(self, text):
        ids = []
        for w in self.words(text):
            ids.extend(self.word_ids(w))
        ids = ids[: self.max_len - 2]
        return [self.cls] + ids + [self.sep]
