//! Text to features: lower-cased words, links dropped, cashtags and numbers folded into
//! placeholder tokens (they name companies and amounts, not moods), a `not_` mark on the word
//! after a negation, and adjacent-word bigrams.

const NEGATIONS: [&str; 6] = ["not", "no", "never", "without", "cannot", "nor"];

pub fn tokens(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut negate_next = false;
    for raw in text.split_whitespace() {
        let lower = raw.to_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.") {
            continue;
        }
        if lower.starts_with('$') && lower[1..].chars().next().is_some_and(|c| c.is_alphabetic()) {
            words.push("<ticker>".into());
            negate_next = false;
            continue;
        }
        for piece in
            lower.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '%')).filter(|p| !p.is_empty())
        {
            let piece = piece.trim_matches('\'');
            if piece.is_empty() {
                continue;
            }
            let word = if piece.chars().any(|c| c.is_ascii_digit()) {
                if piece.ends_with('%') { "<pct>".to_owned() } else { "<num>".to_owned() }
            } else {
                piece.replace('%', "")
            };
            if word.is_empty() {
                continue;
            }
            let negation = NEGATIONS.contains(&word.as_str()) || word.ends_with("n't");
            words.push(if negate_next { format!("not_{word}") } else { word });
            negate_next = negation;
        }
    }
    let mut out = Vec::with_capacity(words.len() * 2);
    for pair in words.windows(2) {
        out.push(format!("{} {}", pair[0], pair[1]));
    }
    out.extend(words);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_links_tickers_and_numbers() {
        let t = tokens("$AAPL up 5% to $190 https://t.co/x, not bad");
        assert!(t.contains(&"<ticker>".to_owned()));
        assert!(t.contains(&"<pct>".to_owned()));
        assert!(t.contains(&"not_bad".to_owned()));
        assert!(t.contains(&"up <pct>".to_owned()));
        assert!(!t.iter().any(|w| w.contains("t.co") || w.contains("https")));
    }

    #[test]
    fn empty_and_symbol_only_text_has_no_tokens() {
        assert!(tokens("").is_empty());
        assert!(tokens("  -- !!! ").is_empty());
    }
}
