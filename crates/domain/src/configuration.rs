//! Users' watchlists ("configurations"): a name, weighted tickers and a timeframe.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Ticker;

pub const MAX_CONFIG_NAME_CHARS: usize = 50;
/// The most tickers any configuration can hold, whatever the configured per-user limit: it
/// bounds the item size and the transaction that creates it (one watch counter per ticker).
pub const MAX_TICKERS_PER_CONFIG: usize = 90;
pub const MAX_TIMEFRAME_DAYS: u16 = 365;
pub const DEFAULT_TIMEFRAME_DAYS: u16 = 7;

/// A display name for a configuration: 1 to 50 printable characters, trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConfigName(String);

/// What is wrong with a configuration; each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("name must be 1 to {MAX_CONFIG_NAME_CHARS} printable characters after trimming")]
    BadName,
    #[error("tickers must hold at least one ticker")]
    NoTickers,
    #[error("tickers may hold at most {MAX_TICKERS_PER_CONFIG} tickers")]
    TooManyTickers,
    #[error("tickers lists {0} more than once")]
    DuplicateTicker(Ticker),
    #[error("the weight of {0} must be a finite number greater than 0")]
    BadWeight(Ticker),
    #[error("timeframe_days must be a whole number from 1 to {MAX_TIMEFRAME_DAYS}")]
    BadTimeframe,
    #[error("configuration id must be 1 to 64 characters of letters, digits, '-' or '_'")]
    BadId,
}

impl ConfigError {
    /// The request field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            Self::BadName => "name",
            Self::NoTickers | Self::TooManyTickers | Self::DuplicateTicker(_) | Self::BadWeight(_) => {
                "tickers"
            }
            Self::BadTimeframe => "timeframe_days",
            Self::BadId => "config_id",
        }
    }
}

impl ConfigName {
    pub fn parse(input: &str) -> Result<Self, ConfigError> {
        let trimmed = input.trim();
        let len = trimmed.chars().count();
        if len == 0 || len > MAX_CONFIG_NAME_CHARS || trimmed.chars().any(char::is_control) {
            return Err(ConfigError::BadName);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ConfigName {
    type Error = ConfigError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ConfigName> for String {
    fn from(value: ConfigName) -> Self {
        value.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConfigurationId(String);

impl ConfigurationId {
    pub fn generate() -> Result<Self, crate::session::SessionError> {
        crate::session::random_uuid().map(Self)
    }

    pub fn parse(input: &str) -> Result<Self, ConfigError> {
        let ok = !input.is_empty()
            && input.len() <= 64
            && input.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok { Ok(Self(input.to_owned())) } else { Err(ConfigError::BadId) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ConfigurationId {
    type Error = ConfigError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ConfigurationId> for String {
    fn from(value: ConfigurationId) -> Self {
        value.0
    }
}

/// A ticker and how much it counts in the configuration's weighted score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightedTicker {
    pub symbol: Ticker,
    pub weight: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Configuration {
    pub id: ConfigurationId,
    pub name: ConfigName,
    /// In the order the user gave them; no symbol twice.
    pub tickers: Vec<WeightedTicker>,
    pub timeframe_days: u16,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Configuration {
    /// Checks tickers (1 to the hard maximum, no duplicates, weights finite and positive) and
    /// the timeframe. Per-user limits are the caller's to apply.
    pub fn validate_tickers(tickers: &[WeightedTicker]) -> Result<(), ConfigError> {
        if tickers.is_empty() {
            return Err(ConfigError::NoTickers);
        }
        if tickers.len() > MAX_TICKERS_PER_CONFIG {
            return Err(ConfigError::TooManyTickers);
        }
        let mut seen = BTreeSet::new();
        for t in tickers {
            if !seen.insert(&t.symbol) {
                return Err(ConfigError::DuplicateTicker(t.symbol.clone()));
            }
            if !(t.weight.is_finite() && t.weight > 0.0) {
                return Err(ConfigError::BadWeight(t.symbol.clone()));
            }
        }
        Ok(())
    }

    pub fn validate_timeframe(days: i64) -> Result<u16, ConfigError> {
        match u16::try_from(days) {
            Ok(d) if (1..=MAX_TIMEFRAME_DAYS).contains(&d) => Ok(d),
            _ => Err(ConfigError::BadTimeframe),
        }
    }

    pub fn symbols(&self) -> BTreeSet<Ticker> {
        self.tickers.iter().map(|t| t.symbol.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(symbol: &str, weight: f64) -> WeightedTicker {
        WeightedTicker { symbol: Ticker::parse(symbol).unwrap(), weight }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(ConfigName::parse("  Tech  ").unwrap().as_str(), "Tech");
        assert!(ConfigName::parse("   ").is_err());
        assert!(ConfigName::parse("a\u{0}b").is_err());
        assert!(ConfigName::parse(&"x".repeat(50)).is_ok());
        assert!(ConfigName::parse(&"é".repeat(51)).is_err());
    }

    #[test]
    fn tickers_are_checked_for_count_duplicates_and_weights() {
        assert_eq!(Configuration::validate_tickers(&[]), Err(ConfigError::NoTickers));
        assert!(Configuration::validate_tickers(&[t("AAPL", 1.0), t("BRK.B", 0.5)]).is_ok());
        assert_eq!(
            Configuration::validate_tickers(&[t("AAPL", 1.0), t("AAPL", 2.0)]),
            Err(ConfigError::DuplicateTicker(Ticker::parse("AAPL").unwrap()))
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let err = Configuration::validate_tickers(&[t("MSFT", bad)]).unwrap_err();
            assert_eq!(err.field(), "tickers");
            assert!(err.to_string().contains("MSFT"), "{err}");
        }
        let many: Vec<_> = (0..=MAX_TICKERS_PER_CONFIG)
            .map(|i| {
                t(&format!("{}{}", (b'A' + (i / 26) as u8) as char, (b'A' + (i % 26) as u8) as char), 1.0)
            })
            .collect();
        assert_eq!(Configuration::validate_tickers(&many), Err(ConfigError::TooManyTickers));
    }

    #[test]
    fn timeframes_run_from_one_day_to_a_year() {
        assert_eq!(Configuration::validate_timeframe(1), Ok(1));
        assert_eq!(Configuration::validate_timeframe(365), Ok(365));
        for bad in [0, 366, -7, 70_000] {
            assert_eq!(Configuration::validate_timeframe(bad), Err(ConfigError::BadTimeframe));
        }
    }
}
