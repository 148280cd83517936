//! Text to hashed features for the linear model.
//!
//! The text is first normalised as the encoder's is (`encoder::normalise`: links, @mentions
//! and emoji removed), then split into words, and the words that name rather than describe are
//! masked: cashtags, ticker-like capitals and runs of capitalised words that the training text
//! never uses in lower case (company and person names) all become `<co>`; numbers become
//! `<pct>`, `<num>`, `<year>` or `<qtr>`. So the model learns "shares of <co> rose <pct>", not that one company's tweets were bullish. Words inside a negation's scope (after
//! not, no, never, without, …, until punctuation or "but") are marked, and direction words
//! ("rose", "cut", "beats", "misses") add a shared up/down feature, flipped when negated.
//!
//! Features: word unigrams (negation-marked), bigrams and skip-bigrams of the masked words,
//! character 3–5-grams of each word, and the direction features. Each is hashed (FNV-1a, then
//! a multiplicative mix) into one of `2^bits` buckets; nothing here depends on hash-map order.

use std::borrow::Cow;

use crate::encoder::normalise;

/// Stands for a cashtag between masking and word splitting (a private-use character, which
/// the normalisation keeps and no text uses).
const CASHTAG: char = '\u{E000}';

/// What tickers and company names become: one placeholder for both, so "$AAPL rose" in a
/// tweet and "Apple rose" in a news sentence teach the same thing.
pub const ENTITY: &str = "<co>";

/// All-capital words that are vocabulary, not tickers.
const ACRONYMS: [&str; 40] = [
    "ceo", "cfo", "coo", "ipo", "eps", "ebit", "ebitda", "fda", "sec", "etf", "gdp", "ai", "ev", "us", "usa",
    "uk", "eu", "ecb", "fed", "fomc", "cpi", "ppi", "opec", "m&a", "r&d", "q&a", "ftc", "doj", "eur", "usd",
    "gbp", "yoy", "qoq", "ytd", "ath", "buy", "sell", "hold", "up", "down",
];

/// Words that end a company name and belong to it ("Acme Holdings Inc").
const NAME_SUFFIXES: [&str; 22] = [
    "inc",
    "corp",
    "corporation",
    "co",
    "ltd",
    "limited",
    "plc",
    "ag",
    "sa",
    "se",
    "nv",
    "oyj",
    "abp",
    "llc",
    "lp",
    "group",
    "holdings",
    "holding",
    "company",
    "bank",
    "technologies",
    "industries",
];

const NEGATIONS: [&str; 10] =
    ["not", "no", "never", "without", "cannot", "nor", "none", "neither", "nothing", "lack"];

/// Words that close a negation's scope (besides punctuation).
const SCOPE_ENDS: [&str; 4] = ["but", "however", "although", "though"];

/// How text becomes features; stored in the model file, so a model is always read with the
/// featurisation it was trained with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeatureConfig {
    /// Buckets are `2^bits`.
    pub bits: u8,
    /// Weight of each character n-gram relative to a word feature.
    pub char_weight: f32,
    /// Character n-gram lengths, inclusive.
    pub char_min: u8,
    pub char_max: u8,
}

/// One masked, lower-cased word and whether a negation governs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub text: String,
    pub negated: bool,
}

/// Words the training text uses in lower case, as sorted 32-bit hashes: a capitalised word
/// whose lower-case form is not here is taken for a name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lexicon(Vec<u32>);

impl Lexicon {
    pub fn from_sorted(hashes: Vec<u32>) -> Option<Self> {
        hashes.windows(2).all(|w| w[0] < w[1]).then_some(Self(hashes))
    }

    /// Lower-case words used in at least `min_texts` of `texts`.
    pub fn learn<'a>(texts: impl IntoIterator<Item = &'a str>, min_texts: u32) -> Self {
        let mut seen: Vec<u32> = Vec::new();
        for text in texts {
            let mut in_text: Vec<u32> = raw_tokens(&normalise(&mask_cashtags(text)))
                .into_iter()
                .filter(|t| t.chars().all(|c| c.is_lowercase() || c == '\'' || c == '-'))
                .filter(|t| t.chars().any(char::is_alphabetic))
                .map(|t| hash32(&t))
                .collect();
            in_text.sort_unstable();
            in_text.dedup();
            seen.extend(in_text);
        }
        seen.sort_unstable();
        let mut words = Vec::new();
        let mut i = 0;
        while i < seen.len() {
            let j = seen[i..].iter().position(|h| *h != seen[i]).map_or(seen.len(), |k| i + k);
            if (j - i) as u32 >= min_texts {
                words.push(seen[i]);
            }
            i = j;
        }
        Self(words)
    }

    pub fn contains(&self, lower: &str) -> bool {
        self.0.binary_search(&hash32(lower)).is_ok()
    }

    pub fn hashes(&self) -> &[u32] {
        &self.0
    }
}

fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn hash32(word: &str) -> u32 {
    let h = fnv1a(FNV_OFFSET, word.as_bytes());
    (h ^ (h >> 32)) as u32
}

/// Cashtags (`$AAPL`, `$brk.b`) become [`CASHTAG`]; a `$` before a digit stays (an amount).
fn mask_cashtags(text: &str) -> Cow<'_, str> {
    if !text.contains('$') {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i] == '$'
            && (i == 0 || !chars[i - 1].is_alphanumeric())
            && chars.get(i + 1).is_some_and(char::is_ascii_alphabetic);
        if starts {
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
            {
                i += 1;
            }
            // "$AAPL." at the end of a sentence: the dot was punctuation.
            if chars[i - 1] == '.' {
                i -= 1;
            }
            out.push(' ');
            out.push(CASHTAG);
            out.push(' ');
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    Cow::Owned(out)
}

/// Splits into words (letters and digits, joined by `.`, `,`, `'`, `&` or `-` between two of
/// them, a trailing `%` kept) and single punctuation characters.
fn raw_tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().map(|c| if c == '’' { '\'' } else { c }).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == CASHTAG {
            let start = i;
            i += 1;
            while i < chars.len() {
                let d = chars[i];
                let joins = matches!(d, '.' | ',' | '\'' | '&' | '-')
                    && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
                    && chars[i - 1].is_alphanumeric()
                    // "1,000" joins; "profit,sales" does not.
                    && (d != ',' || (chars[i - 1].is_ascii_digit() && chars[i + 1].is_ascii_digit()));
                if d.is_alphanumeric() || joins {
                    i += 1;
                } else {
                    break;
                }
            }
            if chars.get(i) == Some(&'%') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

fn is_punctuation(token: &str) -> bool {
    token.chars().all(|c| !c.is_alphanumeric() && c != CASHTAG)
}

fn number_class(token: &str, next: Option<&str>) -> &'static str {
    let lower = token.to_lowercase();
    if token.ends_with('%') || matches!(next, Some("percent" | "pct" | "per" | "%")) {
        return "<pct>";
    }
    let digits: String = lower.chars().filter(char::is_ascii_digit).collect();
    if lower.len() == 2 && (lower.starts_with('q') || lower.ends_with('q')) {
        return "<qtr>";
    }
    if lower.len() == 4 && digits.len() == 4 && (lower.starts_with("19") || lower.starts_with("20")) {
        return "<year>";
    }
    "<num>"
}

/// The masked words of a text, in order, with punctuation kept as words of its own (it ends
/// negation scopes and separates names).
pub fn words(text: &str, lexicon: &Lexicon) -> Vec<Word> {
    let tokens = raw_tokens(&normalise(&mask_cashtags(text)));
    let mut out: Vec<Word> = Vec::with_capacity(tokens.len());
    let mut negated = false;
    for (i, token) in tokens.iter().enumerate() {
        let lower = token.to_lowercase();
        let text: String = if token.starts_with(CASHTAG) {
            ENTITY.to_owned()
        } else if token.chars().any(|c| c.is_ascii_digit()) {
            let next = tokens.get(i + 1).map(|t| t.to_lowercase());
            number_class(token, next.as_deref()).to_owned()
        } else if is_punctuation(token) {
            lower
        } else {
            let (mut letters, mut capitals, mut capitalised) = (0usize, 0usize, false);
            for c in token.chars().filter(|c| c.is_alphabetic()) {
                capitalised |= letters == 0 && c.is_uppercase();
                letters += 1;
                capitals += usize::from(c.is_uppercase());
            }
            let all_caps = letters >= 2 && capitals == letters;
            let last_is_name = out.last().is_some_and(|w| w.text == ENTITY);
            if all_caps && letters <= 5 && !ACRONYMS.contains(&lower.as_str()) && !lexicon.contains(&lower) {
                ENTITY.to_owned()
            } else if capitalised && last_is_name && NAME_SUFFIXES.contains(&lower.as_str()) {
                continue;
            } else if capitalised && !all_caps && !lexicon.contains(&lower) {
                ENTITY.to_owned()
            } else {
                lower
            }
        };
        // A run of name parts is one name.
        if text == ENTITY && out.last().is_some_and(|w| w.text == text) {
            continue;
        }
        let ends_scope = (is_punctuation(&text) && !matches!(text.as_str(), "%" | "$" | "&"))
            || SCOPE_ENDS.contains(&text.as_str());
        if ends_scope {
            negated = false;
            out.push(Word { text, negated: false });
            continue;
        }
        let negation = NEGATIONS.contains(&text.as_str()) || text.ends_with("n't");
        out.push(Word { text, negated: negated && !negation });
        if negation {
            negated = true;
        }
    }
    out
}

/// +1 for a word saying "up", -1 for "down", 0 otherwise. Exact forms, so "upon" is not "up".
/// A `match` (compiled to a search by length and bytes): this runs once per word.
pub fn direction(word: &str) -> i8 {
    match word {
        "rise" | "rises" | "rose" | "risen" | "rising" | "gain" | "gains" | "gained" | "jump" | "jumps"
        | "jumped" | "surge" | "surges" | "surged" | "soar" | "soars" | "soared" | "climb" | "climbs"
        | "climbed" | "beat" | "beats" | "raise" | "raises" | "raised" | "boost" | "boosts" | "boosted"
        | "increase" | "increases" | "increased" | "grow" | "grows" | "grew" | "growth" | "improve"
        | "improves" | "improved" | "record" | "upgrade" | "upgrades" | "upgraded" | "outperform"
        | "rally" | "rallies" | "rallied" | "rebound" | "rebounds" | "higher" | "up" | "exceed"
        | "exceeds" | "exceeded" | "tops" | "topped" | "strong" | "stronger" | "win" | "wins" | "won"
        | "lifts" | "lifted" => 1,
        "fall" | "falls" | "fell" | "fallen" | "falling" | "drop" | "drops" | "dropped" | "decline"
        | "declines" | "declined" | "plunge" | "plunges" | "plunged" | "slump" | "slumps" | "slumped"
        | "slide" | "slides" | "slid" | "tumble" | "tumbles" | "tumbled" | "sink" | "sinks" | "sank"
        | "cut" | "cuts" | "miss" | "misses" | "missed" | "lower" | "lowers" | "lowered" | "down"
        | "decrease" | "decreases" | "decreased" | "weak" | "weaker" | "loss" | "losses" | "warn"
        | "warns" | "warning" | "downgrade" | "downgrades" | "downgraded" | "underperform" | "shrink"
        | "shrinks" | "shrank" | "reduce" | "reduces" | "reduced" | "worse" | "worst" | "disappoint"
        | "disappoints" | "disappointing" | "slow" | "slows" | "slowed" | "lost" => -1,
        _ => 0,
    }
}

/// Feature kinds, hashed in first so that a word and a bigram never share a hash by design.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Kind {
    Word = 1,
    Bigram = 2,
    SkipBigram = 3,
    Chars = 4,
    Direction = 5,
    DirectionFigure = 6,
}

struct Hasher {
    mask: u32,
    shift: u32,
}

impl Hasher {
    fn new(bits: u8) -> Self {
        Self { mask: (1u32 << bits) - 1, shift: 64 - u32::from(bits) }
    }

    fn bucket(&self, kind: Kind, parts: &[&[u8]]) -> u32 {
        let mut h = fnv1a(FNV_OFFSET, &[kind as u8]);
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                h = fnv1a(h, &[0x1f]);
            }
            h = fnv1a(h, p);
        }
        // FNV's low bits mix poorly; take the top bits of a multiplicative mix.
        ((h ^ (h >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as u32 & self.mask
    }
}

/// The hashed features of a text as (bucket, value), sorted by bucket with repeats summed,
/// scaled to unit length so that long and short texts weigh alike.
pub fn features(text: &str, lexicon: &Lexicon, config: &FeatureConfig) -> Vec<(u32, f32)> {
    let words = words(text, lexicon);
    let hasher = Hasher::new(config.bits);
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(words.len() * 16);
    let content: Vec<&Word> = words.iter().filter(|w| !is_punctuation(&w.text) || w.text == "%").collect();
    // One buffer for every word's "<word>" characters.
    let mut padded: Vec<char> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if is_punctuation(&w.text) {
            continue;
        }
        let marker: &[u8] = if w.negated { b"!" } else { b"" };
        out.push((hasher.bucket(Kind::Word, &[marker, w.text.as_bytes()]), 1.0));
        let d = direction(&w.text);
        if d != 0 {
            let d = if w.negated { -d } else { d };
            let sign: &[u8] = if d > 0 { b"+" } else { b"-" };
            out.push((hasher.bucket(Kind::Direction, &[sign]), 1.0));
            // "rose 5%", "cut 1,200 jobs": a direction with a figure close after it.
            let figure = words[i + 1..]
                .iter()
                .take(4)
                .take_while(|n| !is_punctuation(&n.text) || n.text == "%" || n.text == "$")
                .any(|n| n.text == "<pct>" || n.text == "<num>");
            if figure {
                out.push((hasher.bucket(Kind::DirectionFigure, &[sign]), 1.0));
            }
        }
        if config.char_weight > 0.0 && !w.text.starts_with('<') {
            padded.clear();
            padded.push('<');
            padded.extend(w.text.chars());
            padded.push('>');
            let mut buf = [0u8; 4 * 8];
            for n in usize::from(config.char_min)..=usize::from(config.char_max) {
                for window in padded.windows(n) {
                    let mut len = 0;
                    for c in window {
                        len += c.encode_utf8(&mut buf[len..]).len();
                    }
                    out.push((hasher.bucket(Kind::Chars, &[&buf[..len]]), config.char_weight));
                }
            }
        }
    }
    for pair in content.windows(2) {
        out.push((hasher.bucket(Kind::Bigram, &[pair[0].text.as_bytes(), pair[1].text.as_bytes()]), 1.0));
    }
    for triple in content.windows(3) {
        out.push((
            hasher.bucket(Kind::SkipBigram, &[triple[0].text.as_bytes(), triple[2].text.as_bytes()]),
            1.0,
        ));
    }
    out.sort_unstable_by_key(|(b, _)| *b);
    // Repeats summed in place: `kept` entries are merged, the rest are still to read.
    let mut kept = 0usize;
    for i in 0..out.len() {
        let (b, v) = out[i];
        match kept.checked_sub(1).map(|k| &mut out[k]) {
            Some((last, total)) if *last == b => *total += v,
            _ => {
                out[kept] = (b, v);
                kept += 1;
            }
        }
    }
    out.truncate(kept);
    let mut merged = out;
    let norm = merged.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, v) in &mut merged {
            *v /= norm;
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        Lexicon::learn(
            [
                "shares rose after the results",
                "profit beats estimates and guidance",
                "not cut jobs, sales fell",
            ],
            1,
        )
    }

    fn texts(text: &str) -> Vec<String> {
        words(text, &lexicon())
            .into_iter()
            .map(|w| if w.negated { format!("!{}", w.text) } else { w.text })
            .collect()
    }

    #[test]
    fn masks_tickers_names_and_figures() {
        assert_eq!(
            texts("$AAPL: Shares of Acme Widgets Inc rose 5.2% in Q3 2024 https://t.co/x @bob 🚀"),
            ["<co>", ":", "shares", "of", "<co>", "rose", "<pct>", "in", "<qtr>", "<year>"]
        );
        assert_eq!(texts("XYZ beats estimates"), ["<co>", "beats", "estimates"]);
        assert_eq!(texts("CEO sold $5,000,000"), ["ceo", "sold", "$", "<num>"]);
        // A capitalised word the training text uses in lower case is a word, not a name.
        assert_eq!(texts("Profit Beats Estimates"), ["profit", "beats", "estimates"]);
    }

    #[test]
    fn negation_lasts_until_punctuation_or_but() {
        assert_eq!(
            texts("Acme did not cut guidance, sales fell"),
            ["<co>", "did", "not", "!cut", "!guidance", ",", "sales", "fell"]
        );
        assert_eq!(texts("no growth but profit rose"), ["no", "!growth", "but", "profit", "rose"]);
        assert_eq!(texts("doesn't beat"), ["doesn't", "!beat"]);
    }

    #[test]
    fn negated_direction_words_flip() {
        let config = FeatureConfig { bits: 20, char_weight: 0.0, char_min: 3, char_max: 5 };
        let hasher = Hasher::new(config.bits);
        let up = hasher.bucket(Kind::Direction, &[b"+"]);
        let down = hasher.bucket(Kind::Direction, &[b"-"]);
        let has = |text: &str, b: u32| features(text, &lexicon(), &config).iter().any(|(x, _)| *x == b);
        assert!(has("profit rose", up) && !has("profit rose", down));
        assert!(has("profit did not rise", down) && !has("profit did not rise", up));
    }

    #[test]
    fn features_are_unit_length_and_sorted() {
        let config = FeatureConfig { bits: 18, char_weight: 0.5, char_min: 3, char_max: 5 };
        let f = features("Acme shares rose 5% after profit beats estimates", &lexicon(), &config);
        assert!(f.windows(2).all(|w| w[0].0 < w[1].0));
        let norm: f32 = f.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(features("", &lexicon(), &config).is_empty());
        assert!(features(" -- !!! 🚀", &lexicon(), &config).is_empty());
    }
}
