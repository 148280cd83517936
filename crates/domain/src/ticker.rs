//! Stock ticker symbols, valid by construction.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest symbol we accept; real US symbols are at most 5 letters plus a class suffix.
pub const MAX_TICKER_LEN: usize = 10;

/// What is ingested when nobody has configured anything, and what the sample corpus covers.
pub const DEFAULT_WATCHLIST: &str = "AAPL,MSFT,NVDA,AMZN,GOOGL,META,TSLA,JPM";

/// Parses a comma-separated list such as `DEFAULT_WATCHLIST`; blanks are ignored, and the
/// first bad entry is named in the error.
pub fn parse_ticker_list(raw: &str) -> Result<std::collections::BTreeSet<Ticker>, String> {
    raw.split(',')
        .filter(|t| !t.trim().is_empty())
        .map(|t| Ticker::parse(t).map_err(|e| format!("{:?}: {e}", t.trim())))
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
    #[error("ticker is longer than {MAX_TICKER_LEN} characters")]
    TooLong,
    #[error("ticker must start with a letter and contain only letters, digits, '.' or '-'")]
    InvalidCharacters,
}

impl Ticker {
    /// Parses user or upstream input: surrounding white space is ignored and letters are
    /// upper-cased (Tiingo sends `nvda`, people type `aapl`).
    pub fn parse(input: &str) -> Result<Self, TickerError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(TickerError::Empty);
        }
        if trimmed.chars().count() > MAX_TICKER_LEN {
            return Err(TickerError::TooLong);
        }
        let mut chars = trimmed.chars();
        let first_is_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !first_is_letter || !rest_ok {
            return Err(TickerError::InvalidCharacters);
        }
        Ok(Self(trimmed.to_ascii_uppercase()))
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
    fn normalises_case_and_whitespace() {
        assert_eq!(Ticker::parse(" nvda ").unwrap().as_str(), "NVDA");
        assert_eq!(Ticker::parse("brk.b").unwrap().as_str(), "BRK.B");
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(Ticker::parse(""), Err(TickerError::Empty));
        assert_eq!(Ticker::parse("   "), Err(TickerError::Empty));
        assert_eq!(Ticker::parse("ABCDEFGHIJK"), Err(TickerError::TooLong));
        assert_eq!(Ticker::parse("1ABC"), Err(TickerError::InvalidCharacters));
        assert_eq!(Ticker::parse("AA PL"), Err(TickerError::InvalidCharacters));
        assert_eq!(Ticker::parse("AAPL;DROP"), Err(TickerError::InvalidCharacters));
        assert_eq!(Ticker::parse("ÄPL"), Err(TickerError::InvalidCharacters));
    }

    #[test]
    fn lists_parse_and_name_the_bad_entry() {
        let list = parse_ticker_list(" aapl, ,MSFT,aapl").unwrap();
        assert_eq!(list.iter().map(Ticker::as_str).collect::<Vec<_>>(), ["AAPL", "MSFT"]);
        assert_eq!(parse_ticker_list(DEFAULT_WATCHLIST).unwrap().len(), 8);
        let err = parse_ticker_list("AAPL,$$$").unwrap_err();
        assert!(err.starts_with("\"$$$\""), "{err}");
    }

    #[test]
    fn deserialises_only_valid_symbols() {
        let ok: Ticker = serde_json::from_str("\"msft\"").unwrap();
        assert_eq!(ok.as_str(), "MSFT");
        assert!(serde_json::from_str::<Ticker>("\"$$$\"").is_err());
    }
}
