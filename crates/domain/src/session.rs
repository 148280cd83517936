//! Anonymous sessions. A session is an unguessable bearer token (256 random bits) that the
//! store knows only by its SHA-256 hash; it names a user, and everything a user owns is keyed
//! by the user id, never by the token, so extending or replacing a session keeps the data.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a session lives unless extended.
pub const DEFAULT_SESSION_TTL: Duration = Duration::days(30);

const TOKEN_BYTES: usize = 32;
/// Base64url of 32 bytes, without padding.
const TOKEN_CHARS: usize = 43;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the system's random number generator failed: {0}")]
    Random(String),
}

/// Fills `buf` from the operating system's generator.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), SessionError> {
    getrandom::fill(buf).map_err(|e| SessionError::Random(e.to_string()))
}

/// A random (version 4) UUID in its usual text form: the shape of user and configuration ids.
pub fn random_uuid() -> Result<String, SessionError> {
    let mut b = [0u8; 16];
    random_bytes(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]))
}

fn is_uuid(input: &str) -> bool {
    input.len() == 36
        && input.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// A user's id: public (it appears in responses), never proof of identity.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(String);

impl UserId {
    pub fn generate() -> Result<Self, SessionError> {
        random_uuid().map(Self)
    }

    pub fn parse(input: &str) -> Option<Self> {
        is_uuid(input).then(|| Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserId {
    type Error = &'static str;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or("a user id is a lower-case UUID")
    }
}

impl From<UserId> for String {
    fn from(value: UserId) -> Self {
        value.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The bearer secret. Shown once, in the response that creates it; never logged, never
/// stored, never in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    pub fn generate() -> Result<Self, SessionError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        random_bytes(&mut bytes)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Accepts only the shape this service issues (43 base64url characters); anything else
    /// cannot be a token and is refused without a store read.
    pub fn parse(input: &str) -> Option<Self> {
        let ok = input.len() == TOKEN_CHARS
            && input.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(input.to_owned()))
    }

    /// The secret itself, for the one response that hands it out.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the store keeps instead of the token.
    pub fn hash(&self) -> TokenHash {
        let digest = Sha256::digest(self.0.as_bytes());
        TokenHash(digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

/// SHA-256 of a token, hex: the session's key in the store.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A prefix is enough to correlate log lines and too little to look an item up.
        write!(f, "TokenHash({}…)", &self.0[..8.min(self.0.len())])
    }
}

/// A live session, as its bearer is told about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A user: who owns configurations, and until when (the latest expiry of their sessions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    /// IANA time zone name the user chose, validated by the API.
    pub timezone: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// Configurations currently owned (kept exact in the same transactions that add and
    /// remove them, so a limit holds under concurrent requests).
    pub configurations: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_never_printed() {
        let a = SessionToken::generate().unwrap();
        let b = SessionToken::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert_eq!(SessionToken::parse(a.expose()), Some(a.clone()));
        assert_eq!(format!("{a:?}"), "SessionToken([redacted])");
        assert!(!format!("{:?}", a.hash()).contains(&a.hash().as_str()[8..]));
        assert_eq!(a.hash().as_str().len(), 64);
    }

    #[test]
    fn token_shape_is_checked_before_any_lookup() {
        for bad in ["", "short", &"a".repeat(42), &"a".repeat(44), &format!("{}=", "a".repeat(42))] {
            assert!(SessionToken::parse(bad).is_none(), "{bad:?}");
        }
        let uuid = UserId::generate().unwrap();
        assert!(SessionToken::parse(uuid.as_str()).is_none(), "a user id is not a token");
    }

    #[test]
    fn user_ids_are_version_4_uuids() {
        let id = UserId::generate().unwrap();
        assert!(UserId::parse(id.as_str()).is_some());
        assert_eq!(&id.as_str()[14..15], "4");
        assert!(UserId::parse("0123456789abcdef0123456789abcdef").is_none());
        assert!(UserId::parse("AAAAAAAA-0000-4000-8000-000000000000").is_none());
    }

    #[test]
    fn a_known_token_hashes_to_its_sha256() {
        let token = SessionToken::parse(&"A".repeat(43)).unwrap();
        // printf 'A%.0s' $(seq 1 43) | sha256sum
        assert_eq!(token.hash().as_str(), "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a");
    }
}
