//! Normalisation applied before tokenisation, exactly as at training time
//! (`tools/train-encoder/textprep.py` is the spec): tweet artefacts are removed so that the
//! model scores the language, not the links, cashtags and emoji the tweets carried.

const EMOJI_RANGES: [(u32, u32); 6] = [
    (0x1F000, 0x1FAFF),
    (0x2600, 0x27BF),
    (0x2B00, 0x2BFF),
    (0xFE00, 0xFE0F),
    (0x200D, 0x200D),
    (0x20E3, 0x20E3),
];

fn is_control(c: char) -> bool {
    let c = u32::from(c);
    c <= 0x1F || (0x7F..=0x9F).contains(&c)
}

fn is_emoji(c: char) -> bool {
    let c = u32::from(c);
    EMOJI_RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

fn is_word_ascii(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A link starts here: `http://`, `https://` or `www.`, case-insensitively.
fn starts_link(chars: &[char]) -> bool {
    ["http://", "https://", "www."].iter().any(|prefix| {
        prefix.len() <= chars.len() && prefix.chars().zip(chars).all(|(p, c)| c.to_ascii_lowercase() == p)
    })
}

/// The six steps of the spec, in order: controls to spaces, links and @mentions removed,
/// `$`/`#` before a letter dropped, emoji removed, whitespace collapsed and trimmed.
pub fn normalise(text: &str) -> String {
    if is_plain(text) {
        return collapse_whitespace(text);
    }
    let chars: Vec<char> = text.chars().map(|c| if is_control(c) { ' ' } else { c }).collect();

    let mut without_links = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let at_word_start = i == 0 || !is_word_ascii(chars[i - 1]);
        if at_word_start && starts_link(&chars[i..]) {
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
            continue;
        }
        without_links.push(chars[i]);
        i += 1;
    }

    let chars = without_links;
    let mut without_mentions = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mention = c == '@'
            && (i == 0 || !is_word_ascii(chars[i - 1]))
            && chars.get(i + 1).is_some_and(|&n| is_word_ascii(n));
        if mention {
            i += 1;
            while i < chars.len() && is_word_ascii(chars[i]) {
                i += 1;
            }
            continue;
        }
        without_mentions.push(c);
        i += 1;
    }

    let chars = without_mentions;
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for (i, &c) in chars.iter().enumerate() {
        let sign = (c == '$' || c == '#') && chars.get(i + 1).is_some_and(char::is_ascii_alphabetic);
        if sign || is_emoji(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// Nothing for the first five steps to do: no control character, emoji, `@`, `$` or `#`, and
/// no `http` or `www.` anywhere (checked loosely: any such text takes the full path).
fn is_plain(text: &str) -> bool {
    let special = |c: char| is_control(c) || is_emoji(c) || matches!(c, '@' | '$' | '#');
    !text.chars().any(special)
        && !text
            .as_bytes()
            .windows(4)
            .any(|w| w.eq_ignore_ascii_case(b"http") || w.eq_ignore_ascii_case(b"www."))
}

/// The last step alone: runs of whitespace become one space, none at either end.
fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn removes_tweet_artefacts_and_keeps_the_words() {
        assert_eq!(normalise("$AAPL up 5% 🚀 https://t.co/x via @trader"), "AAPL up 5% via");
        assert_eq!(normalise("mail a@b.com #earnings $5"), "mail a@b.com earnings $5");
        assert_eq!(normalise("  tab\there\u{a0}and\nnew line  "), "tab here and new line");
        assert_eq!(normalise("xhttp://keep.me"), "xhttp://keep.me");
        assert_eq!(normalise(""), "");
        // The plain-text path (nothing but whitespace to fix) collapses alike.
        assert_eq!(normalise(" plain  text\u{a0}here\u{2003} "), "plain text here");
        assert_eq!(normalise("WWW.example.com up"), "up");
    }
}
