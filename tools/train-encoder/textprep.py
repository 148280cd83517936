"""Text normalisation applied before tokenisation, at training and at inference time.

The Rust port must apply exactly the same steps, in this order. Every rule works on Unicode
scalar values (Rust `char`), needs no regex engine and has no locale dependence.

1. Control characters -> space. Every char in Unicode general category Cc (U+0000..U+001F,
   U+007F..U+009F) becomes U+0020. (This also turns tabs and newlines into spaces.)
2. Links are removed. A link starts at `http://`, `https://` or `www.` (ASCII, matched
   case-insensitively) where the preceding char is not one of [A-Za-z0-9_] (or the link is
   at the start), and runs up to, not including, the next whitespace char (rule 6's set) or the end.
3. @mentions are removed. `@` followed by one or more of [A-Za-z0-9_], where the char before
   `@` is not one of [A-Za-z0-9_] (or `@` is the first char): the `@` and that run are removed.
   (So e-mail addresses stay.)
4. Cashtag and hashtag signs are dropped: a `$` or `#` immediately followed by an ASCII letter
   is removed, the word is kept (`$AAPL` -> `AAPL`, `#earnings` -> `earnings`; `$5` stays).
5. Emoji and pictographs are removed: chars in U+1F000..U+1FAFF, U+2600..U+27BF,
   U+2B00..U+2BFF, U+FE00..U+FE0F, U+200D and U+20E3.
6. Whitespace is collapsed: runs of chars for which Rust's `char::is_whitespace` is true
   (U+0009..U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
   U+205F, U+3000) become one U+0020, and the result is trimmed at both ends.

Nothing else is changed: case, accents and punctuation are left to the BERT tokenizer
(lower-casing, accent stripping and punctuation splitting happen there).
"""

WHITESPACE = frozenset(
    [chr(c) for c in range(0x09, 0x0E)]
    + ["\u0020", "\u0085", "\u00a0", "\u1680"]
    + [chr(c) for c in range(0x2000, 0x200B)]
    + ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
)

EMOJI_RANGES = (
    (0x1F000, 0x1FAFF),
    (0x2600, 0x27BF),
    (0x2B00, 0x2BFF),
    (0xFE00, 0xFE0F),
    (0x200D, 0x200D),
    (0x20E3, 0x20E3),
)

LINK_PREFIXES = ("http://", "https://", "www.")


def _is_control(ch: str) -> bool:
    c = ord(ch)
    return c <= 0x1F or 0x7F <= c <= 0x9F


def _is_emoji(ch: str) -> bool:
    c = ord(ch)
    return any(lo <= c <= hi for lo, hi in EMOJI_RANGES)


def _is_word_ascii(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z") or ("0" <= ch <= "9") or ch == "_"


def _is_ascii_letter(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def normalise(text: str) -> str:
    # 1. control characters -> space
    chars = [" " if _is_control(ch) else ch for ch in text]
    s = "".join(chars)

    # 2. links
    out = []
    i, n = 0, len(s)
    while i < n:
        prev_ok = i == 0 or not _is_word_ascii(s[i - 1])
        if prev_ok and s[i] in "hHwW":
            low = s[i : i + 8].lower()
            if any(low.startswith(p) for p in LINK_PREFIXES):
                while i < n and s[i] not in WHITESPACE:
                    i += 1
                continue
        out.append(s[i])
        i += 1
    s = "".join(out)

    # 3. @mentions
    out = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch == "@" and (i == 0 or not _is_word_ascii(s[i - 1])) and i + 1 < n and _is_word_ascii(s[i + 1]):
            i += 1
            while i < n and _is_word_ascii(s[i]):
                i += 1
            continue
        out.append(ch)
        i += 1
    s = "".join(out)

    # 4. cashtag / hashtag signs
    out = []
    for i, ch in enumerate(s):
        if ch in "$#" and i + 1 < len(s) and _is_ascii_letter(s[i + 1]):
            continue
        out.append(ch)
    s = "".join(out)

    # 5. emoji
    s = "".join(ch for ch in s if not _is_emoji(ch))

    # 6. whitespace
    words, cur = [], []
    for ch in s:
        if ch in WHITESPACE:
            if cur:
                words.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    return " ".join(words)


def identity(text: str) -> str:
    """Used only for the 'no normalisation' ablation."""
    return text


if __name__ == "__main__":
    import sys

    for line in sys.stdin:
        print(normalise(line.rstrip("\n")))
