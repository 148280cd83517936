//! Users' watchlists ("configurations") and the anonymous sessions that own them.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Ticker;

pub const MAX_CONFIG_NAME_CHARS: usize = 64;
pub const MAX_TICKERS_PER_CONFIG: usize = 20;

/// A display name for a configuration: 1 to 64 printable characters, trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConfigName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration name must be 1 to {MAX_CONFIG_NAME_CHARS} printable characters")]
    BadName,
    #[error("a configuration holds 1 to {MAX_TICKERS_PER_CONFIG} tickers")]
    BadTickerCount,
    #[error("configuration id must be 1 to 64 characters of letters, digits, '-' or '_'")]
    BadId,
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

/// The key under which a session's data is stored: a hash of its bearer token, so a table
/// dump never reveals a usable token.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionKey(String);

impl SessionKey {
    pub fn from_hash_hex(hash: String) -> Self {
        Self(hash)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only a prefix: enough to correlate logs, not enough to matter.
        let prefix: String = self.0.chars().take(8).collect();
        write!(f, "SessionKey({prefix}…)")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    pub id: ConfigurationId,
    pub name: ConfigName,
    pub tickers: BTreeSet<Ticker>,
}

impl Configuration {
    pub fn new(
        id: ConfigurationId,
        name: ConfigName,
        tickers: BTreeSet<Ticker>,
    ) -> Result<Self, ConfigError> {
        if tickers.is_empty() || tickers.len() > MAX_TICKERS_PER_CONFIG {
            return Err(ConfigError::BadTickerCount);
        }
        Ok(Self { id, name, tickers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(ConfigName::parse("  Tech  ").unwrap().as_str(), "Tech");
        assert!(ConfigName::parse("").is_err());
        assert!(ConfigName::parse("a\u{0}b").is_err());
        assert!(ConfigName::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn configurations_need_one_to_twenty_tickers() {
        let id = ConfigurationId::parse("c1").unwrap();
        let name = ConfigName::parse("n").unwrap();
        assert!(Configuration::new(id.clone(), name.clone(), BTreeSet::new()).is_err());
        let many: BTreeSet<Ticker> =
            (b'A'..=b'U').map(|c| Ticker::parse(&format!("T{}", c as char)).unwrap()).collect();
        assert!(Configuration::new(id, name, many).is_err());
    }

    #[test]
    fn session_keys_do_not_leak_in_debug() {
        let key = SessionKey::from_hash_hex("0123456789abcdef0123456789abcdef".into());
        assert_eq!(format!("{key:?}"), "SessionKey(01234567…)");
    }
}
