//! BERT-uncased WordPiece tokenisation, written from the steps in
//! `tools/train-encoder/wordpiece_ref.py`; the golden file `golden/tokens.jsonl` pins it to the
//! tokenizer the model was trained with.

use std::collections::HashMap;

use unicode_general_category::{GeneralCategory, get_general_category};
use unicode_normalization::UnicodeNormalization;

const UNK: &str = "[UNK]";
const CLS: &str = "[CLS]";
const SEP: &str = "[SEP]";
/// Words longer than this (in chars) become one `[UNK]`, as in BERT.
const MAX_WORD_CHARS: usize = 100;

const CJK_RANGES: [(u32, u32); 8] = [
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
];

#[derive(Debug, thiserror::Error)]
pub enum VocabError {
    #[error("vocabulary is missing the special token {0}")]
    MissingSpecial(&'static str),
    #[error("vocabulary lists {0:?} twice")]
    Duplicate(String),
    #[error("vocabulary has more entries than token ids can hold")]
    TooLarge,
}

pub struct WordPiece {
    vocab: HashMap<String, u32>,
    unk: u32,
    cls: u32,
    sep: u32,
    max_len: usize,
}

fn is_cjk(c: char) -> bool {
    let c = u32::from(c);
    CJK_RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

fn is_punctuation(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    matches!(
        get_general_category(c),
        GeneralCategory::ConnectorPunctuation
            | GeneralCategory::DashPunctuation
            | GeneralCategory::OpenPunctuation
            | GeneralCategory::ClosePunctuation
            | GeneralCategory::InitialPunctuation
            | GeneralCategory::FinalPunctuation
            | GeneralCategory::OtherPunctuation
    )
}

fn is_other_category(c: char) -> bool {
    matches!(
        get_general_category(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::Unassigned
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
    )
}

/// Clean, space out CJK ideographs, strip accents (NFD without non-spacing marks), lower-case.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\0' || c == '\u{FFFD}' {
            continue;
        }
        if matches!(c, '\t' | '\n' | '\r' | ' ') || get_general_category(c) == GeneralCategory::SpaceSeparator
        {
            out.push(' ');
        } else if is_other_category(c) {
            continue;
        } else if is_cjk(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    let stripped: String =
        out.nfd().filter(|&c| get_general_category(c) != GeneralCategory::NonspacingMark).collect();
    stripped.to_lowercase()
}

/// Splits cleaned text into words: on spaces, with every punctuation char a word of its own.
pub fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for chunk in clean(text).split(' ') {
        let mut current = String::new();
        for c in chunk.chars() {
            if is_punctuation(c) {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
                words.push(c.to_string());
            } else {
                current.push(c);
            }
        }
        if !current.is_empty() {
            words.push(current);
        }
    }
    words
}

impl WordPiece {
    /// `vocab` is `vocab.txt`: one token per line, its line number is its id.
    pub fn new(vocab: &str, max_len: usize) -> Result<Self, VocabError> {
        let mut map = HashMap::new();
        for (id, token) in vocab.lines().enumerate() {
            let id = u32::try_from(id).map_err(|_| VocabError::TooLarge)?;
            if map.insert(token.to_owned(), id).is_some() {
                return Err(VocabError::Duplicate(token.to_owned()));
            }
        }
        let special = |name: &'static str| map.get(name).copied().ok_or(VocabError::MissingSpecial(name));
        let (unk, cls, sep) = (special(UNK)?, special(CLS)?, special(SEP)?);
        Ok(Self { vocab: map, unk, cls, sep, max_len: max_len.max(2) })
    }

    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// Greedy longest-match-first pieces of one word; a word with an unmatched position is
    /// one `[UNK]`.
    fn word_ids(&self, word: &str, out: &mut Vec<u32>) {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > MAX_WORD_CHARS {
            out.push(self.unk);
            return;
        }
        let before = out.len();
        let mut piece = String::new();
        let mut start = 0;
        while start < chars.len() {
            let mut found = None;
            let mut end = chars.len();
            while start < end {
                piece.clear();
                if start > 0 {
                    piece.push_str("##");
                }
                piece.extend(&chars[start..end]);
                if let Some(&id) = self.vocab.get(&piece) {
                    found = Some(id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => {
                    out.push(id);
                    start = end;
                }
                None => {
                    out.truncate(before);
                    out.push(self.unk);
                    return;
                }
            }
        }
    }

    /// `[CLS]` + word pieces + `[SEP]`, at most `max_len` ids. The text should already be
    /// normalised with [`super::textprep::normalise`].
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut ids = vec![self.cls];
        for word in words(text) {
            self.word_ids(&word, &mut ids);
            if ids.len() >= self.max_len - 1 {
                break;
            }
        }
        ids.truncate(self.max_len - 1);
        ids.push(self.sep);
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> WordPiece {
        let vocab =
            ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "acme", "beat", "##s", "estimate", ",", "cafe"].join("\n");
        WordPiece::new(&vocab, 8).unwrap()
    }

    #[test]
    fn splits_words_into_pieces_and_unknowns() {
        let wp = tiny();
        assert_eq!(wp.encode("Acme beats, estimates"), vec![2, 4, 5, 6, 8, 7, 6, 3]);
        assert_eq!(wp.encode("Café zzz"), vec![2, 9, 1, 3]);
        assert_eq!(wp.encode(""), vec![2, 3]);
    }

    #[test]
    fn truncates_keeping_the_separator() {
        let wp = tiny();
        let ids = wp.encode("acme acme acme acme acme acme acme acme acme");
        assert_eq!(ids.len(), 8);
        assert_eq!(ids.last(), Some(&3));
    }

    #[test]
    fn refuses_a_vocabulary_without_special_tokens() {
        assert!(matches!(WordPiece::new("a\nb", 8), Err(VocabError::MissingSpecial(_))));
    }
}
