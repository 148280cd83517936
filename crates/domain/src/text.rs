//! Text that crosses a trust boundary: upstream headlines on their way in, user input quoted
//! back in an error message on its way out.

/// How many characters of someone's input an error message quotes.
pub const PREVIEW_CHARS: usize = 32;
/// How many bytes those characters may take once quoted with `{:?}`, which writes a control or
/// unassigned character as up to ten (`\u{10fffd}`).
pub const PREVIEW_QUOTED_BYTES: usize = 96;

/// At most `PREVIEW_CHARS` characters of `input`, and fewer if quoting them with `{:?}` would
/// take more than `PREVIEW_QUOTED_BYTES`, with `…` when cut, so an error about a 60 KB path is
/// not itself 60 KB, nor a few hundred bytes of escapes.
pub fn preview(input: &str) -> String {
    let mut out = String::new();
    let mut quoted = 0;
    for (taken, c) in input.chars().enumerate() {
        // `char::escape_debug` escapes at least what `str`'s `Debug` does.
        quoted += c.escape_debug().map(char::len_utf8).sum::<usize>();
        if taken == PREVIEW_CHARS || quoted > PREVIEW_QUOTED_BYTES {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out
}

/// Characters that reorder or hide text when displayed: the Unicode bidirectional controls
/// (U+202A-U+202E, U+2066-U+2069, LRM, RLM, ALM) plus zero-width and BOM characters.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
}

/// Cleans text from an upstream for display: control characters become spaces, bidi and
/// invisible format characters are removed, runs of white space collapse to one space, and
/// the result is cut to `max_chars`. `None` when nothing printable is left.
pub fn clean_display_text(text: &str, max_chars: usize) -> Option<String> {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    let mut pending_space = false;
    let mut count = 0;
    for c in text.chars() {
        if is_invisible_format(c) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if count >= max_chars {
            break;
        }
        if pending_space {
            if count + 1 >= max_chars {
                break;
            }
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        out.push(c);
        count += 1;
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_short() {
        assert_eq!(preview("AAPL"), "AAPL");
        let long = "x".repeat(60_000);
        let p = preview(&long);
        assert_eq!(p.chars().count(), PREVIEW_CHARS + 1);
        assert!(p.ends_with('…'));
        assert_eq!(preview(&"x".repeat(PREVIEW_CHARS)), "x".repeat(PREVIEW_CHARS), "not cut");
        // Characters that quoting escapes count by their escaped length.
        for hostile in ["\u{0}", "\u{85}", "\u{e0001}", "\u{10fffd}", "\u{202e}"] {
            let p = preview(&hostile.repeat(PREVIEW_CHARS + 1));
            let quoted = format!("{p:?}");
            assert!(quoted.len() <= PREVIEW_QUOTED_BYTES + 2 + '…'.len_utf8(), "{quoted}");
            assert!(p.ends_with('…'), "{quoted}");
        }
    }

    #[test]
    fn strips_controls_and_bidi_overrides() {
        let hostile = "Apple\u{0} beats\u{7} \u{202E}setamitse\u{202C} on\n\tiPhone\u{200B} demand";
        assert_eq!(
            clean_display_text(hostile, 500).as_deref(),
            Some("Apple beats setamitse on iPhone demand")
        );
        assert_eq!(clean_display_text("\u{0}\u{202E} \n", 500), None);
        assert_eq!(clean_display_text("  Nestlé’s  “CEO” 📈 ", 500).as_deref(), Some("Nestlé’s “CEO” 📈"));
    }

    #[test]
    fn cuts_to_a_character_budget() {
        assert_eq!(clean_display_text("abc def", 5).as_deref(), Some("abc d"));
        assert_eq!(clean_display_text("abc def", 4).as_deref(), Some("abc"));
        assert_eq!(clean_display_text("ééééé", 3).as_deref(), Some("ééé"));
    }
}
