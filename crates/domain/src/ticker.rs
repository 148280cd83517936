//! Stock ticker symbols, valid by construction.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Letters in the base symbol: US listings use one to five.
pub const MAX_BASE_LETTERS: usize = 5;
/// Letters in a share-class suffix (`BRK.B`, `BF.B`, `HEI.A`).
pub const MAX_CLASS_LETTERS: usize = 2;

/// What is ingested when nobody has configured anything, and what the sample corpus covers.
pub const DEFAULT_WATCHLIST: &str = "AAPL,MSFT,NVDA,AMZN,GOOGL,META,TSLA,JPM";

/// Parses a comma-separated list such as `DEFAULT_WATCHLIST`; spaces around entries and
/// blank entries are ignored, and the first bad entry is named in the error.
pub fn parse_ticker_list(raw: &str) -> Result<std::collections::BTreeSet<Ticker>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| Ticker::parse(t).map_err(|e| format!("{:?}: {e}", crate::text::preview(t))))
        .collect()
}

/// An upper-case ticker symbol such as `AAPL` or `BRK.B`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ticker(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TickerError {
    #[error("ticker is empty")]
    Empty,
    #[error(
        "ticker must be 1 to {MAX_BASE_LETTERS} letters, optionally followed by a class suffix \
         such as .B (1 to {MAX_CLASS_LETTERS} letters)"
    )]
    Invalid,
}

impl Ticker {
    /// Parses a symbol exactly as given, except that letters are upper-cased (Tiingo sends
    /// `nvda`, people type `aapl`). Anything else, white space included, is refused: `AAPL%20`
    /// in a URL is not `AAPL`. Lists trim their entries before parsing them.
    pub fn parse(input: &str) -> Result<Self, TickerError> {
        if input.is_empty() {
            return Err(TickerError::Empty);
        }
        let (base, class) = match input.split_once('.') {
            Some((base, class)) => (base, Some(class)),
            None => (input, None),
        };
        let letters =
            |s: &str, max: usize| (1..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic());
        if !letters(base, MAX_BASE_LETTERS) || class.is_some_and(|c| !letters(c, MAX_CLASS_LETTERS)) {
            return Err(TickerError::Invalid);
        }
        Ok(Self(input.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ticker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Ticker {
    type Error = TickerError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Ticker> for String {
    fn from(value: Ticker) -> Self {
        value.0
    }
}

impl std::str::FromStr for Ticker {
    type Err = TickerError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case() {
        assert_eq!(Ticker::parse("nvda").unwrap().as_str(), "NVDA");
        assert_eq!(Ticker::parse("brk.b").unwrap().as_str(), "BRK.B");
        assert_eq!(Ticker::parse("A").unwrap().as_str(), "A");
        assert_eq!(Ticker::parse("GOOGL").unwrap().as_str(), "GOOGL");
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(Ticker::parse(""), Err(TickerError::Empty));
        for bad in [
            "   ",
            "ABCDEF",
            "1ABC",
            "AA PL",
            "AAPL;DROP",
            "ÄPL",
            "BRK.",
            ".B",
            "BRK.BCD",
            "BRK-B",
            "A.B.C",
            // Padding is not ignored: these arrive URL-decoded from `AAPL%20` and `AAPL%0a`.
            "AAPL ",
            " AAPL",
            "AAPL\n",
            "AAPL\t",
            "AAPL\0",
        ] {
            assert_eq!(Ticker::parse(bad), Err(TickerError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn lists_trim_entries_and_name_the_bad_one() {
        let list = parse_ticker_list(" aapl, ,MSFT,aapl").unwrap();
        assert_eq!(list.iter().map(Ticker::as_str).collect::<Vec<_>>(), ["AAPL", "MSFT"]);
        assert_eq!(parse_ticker_list(DEFAULT_WATCHLIST).unwrap().len(), 8);
        let err = parse_ticker_list("AAPL,$$$").unwrap_err();
        assert!(err.starts_with("\"$$$\""), "{err}");
        let long = format!("AAPL,{}", "X".repeat(10_000));
        assert!(parse_ticker_list(&long).unwrap_err().len() < 200, "a bad entry is quoted short");
    }

    #[test]
    fn deserialises_only_valid_symbols() {
        let ok: Ticker = serde_json::from_str("\"msft\"").unwrap();
        assert_eq!(ok.as_str(), "MSFT");
        assert!(serde_json::from_str::<Ticker>("\"$$$\"").is_err());
        assert!(serde_json::from_str::<Ticker>("\" MSFT\"").is_err());
    }
}
