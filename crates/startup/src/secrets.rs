//! Vendor API keys from AWS Secrets Manager (`TIINGO_SECRET_ARN`, `FINNHUB_SECRET_ARN`), read
//! once, when the news sources are built: in a Lambda that is the init phase, so a rotated
//! key reaches the next container.
//!
//! The secret's string is the key itself (what docs/deploy.md puts), or a JSON object whose
//! first non-empty string field among [`KEY_FIELDS`] (`api_key`, `apiKey`, `key`) is the key.
//! The key goes straight into a [`SecretString`]; errors name the variable and the secret's
//! name from its ARN, never its value.

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

/// The fields of a JSON secret that may hold the key, in the order they are looked for.
pub const KEY_FIELDS: [&str; 3] = ["api_key", "apiKey", "key"];

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{variable}: cannot read the secret {secret}: {kind}")]
    Read { variable: &'static str, secret: String, kind: String },
    #[error("{variable}: the secret {secret} is empty or not text; put the API key as its secret string")]
    Empty { variable: &'static str, secret: String },
    #[error(
        "{variable}: the secret {secret} is a JSON object without a non-empty string field api_key, apiKey or key"
    )]
    NoKeyField { variable: &'static str, secret: String },
    #[error(
        "{variable}: the secret {secret} starts like JSON but is not valid JSON (line {line}, column {column}); put the key itself, or a JSON object with api_key"
    )]
    NotJson { variable: &'static str, secret: String, line: usize, column: usize },
}

/// Reads keys from Secrets Manager. The client is built on first use, so a process whose
/// keys all come from the environment never loads an AWS configuration.
#[derive(Debug)]
pub struct Secrets {
    config: Option<aws_config::SdkConfig>,
    client: OnceCell<Client>,
}

impl Secrets {
    /// The AWS SDK's standard configuration, as for the DynamoDB store: region and
    /// credentials as usual, `AWS_ENDPOINT_URL_SECRETSMANAGER` for a local server.
    pub fn standard() -> Self {
        Self { config: None, client: OnceCell::new() }
    }

    /// An explicit SDK configuration (tests point it at a local server).
    pub fn with_config(config: aws_config::SdkConfig) -> Self {
        Self { config: Some(config), client: OnceCell::new() }
    }

    async fn client(&self) -> &Client {
        self.client
            .get_or_init(|| async {
                match &self.config {
                    Some(config) => Client::new(config),
                    None => Client::new(&store_dynamodb::sdk_config().await),
                }
            })
            .await
    }

    /// The API key in the secret `secret_id` (an ARN, normally), which `variable` named.
    pub async fn api_key(
        &self,
        variable: &'static str,
        secret_id: &str,
    ) -> Result<SecretString, SecretError> {
        let secret = || secret_name(secret_id);
        let output = self
            .client()
            .await
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
            .map_err(|e| SecretError::Read { variable, secret: secret(), kind: error_kind(&e) })?;
        // Into a SecretString at once; a binary-only secret has no string and is "empty".
        let raw = SecretString::from(output.secret_string.unwrap_or_default());
        key_in(&raw).map_err(|problem| match problem {
            Problem::Empty => SecretError::Empty { variable, secret: secret() },
            Problem::NoKeyField => SecretError::NoKeyField { variable, secret: secret() },
            Problem::NotJson { line, column } => {
                SecretError::NotJson { variable, secret: secret(), line, column }
            }
        })
    }
}

/// The secret's name for messages: what follows `:secret:` in its ARN
/// (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX`). Anything else is not echoed:
/// a value put in the wrong variable could be the key itself.
fn secret_name(secret_id: &str) -> String {
    match secret_id.split_once(":secret:") {
        Some((prefix, name)) if prefix.starts_with("arn:") && !name.is_empty() => name.to_owned(),
        _ => "(not named by a Secrets Manager ARN)".to_owned(),
    }
}

/// What an SDK error was, without anything the response carried: a service error's code
/// (`ResourceNotFoundException`, `AccessDeniedException`), or why no answer came. A response
/// that could not be read is not described further, since its body may be the secret.
fn error_kind<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    error: &SdkError<E, R>,
) -> String {
    match error {
        SdkError::ServiceError(e) => e.err().code().unwrap_or("unrecognised service error").to_owned(),
        SdkError::ResponseError(_) => "unreadable response".to_owned(),
        // Nothing was received: the request could not be built or sent, or timed out.
        _ => {
            let mut text = error.to_string();
            let mut cause = std::error::Error::source(error);
            while let Some(e) = cause {
                text.push_str(": ");
                text.push_str(&e.to_string());
                cause = e.source();
            }
            text
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Problem {
    Empty,
    NoKeyField,
    NotJson { line: usize, column: usize },
}

/// The key in a secret's string: the trimmed string, or, for a JSON object, its first
/// non-empty string field among [`KEY_FIELDS`].
fn key_in(raw: &SecretString) -> Result<SecretString, Problem> {
    let text = raw.expose_secret().trim();
    if text.is_empty() {
        return Err(Problem::Empty);
    }
    if !text.starts_with('{') {
        return Ok(SecretString::from(text));
    }
    // Only the error's position is kept: serde_json's messages can quote the input.
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| Problem::NotJson { line: e.line(), column: e.column() })?;
    KEY_FIELDS
        .iter()
        .filter_map(|field| object.get(*field)?.as_str().map(str::trim))
        .find(|key| !key.is_empty())
        .map(SecretString::from)
        .ok_or(Problem::NoKeyField)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(raw: &str) -> Result<String, Problem> {
        key_in(&SecretString::from(raw)).map(|k| k.expose_secret().to_owned())
    }

    #[test]
    fn a_plain_string_or_a_json_field_is_the_key() {
        assert_eq!(key(" k-plain-123\n"), Ok("k-plain-123".into()));
        assert_eq!(key(r#"{"api_key": "k-1"}"#), Ok("k-1".into()));
        assert_eq!(key(r#"{"apiKey": "k-2", "note": "rotated"}"#), Ok("k-2".into()));
        assert_eq!(key(r#"{"key": " k-3 "}"#), Ok("k-3".into()));
        // The first usable field in KEY_FIELDS order wins; empty or non-string ones are skipped.
        assert_eq!(key(r#"{"key": "k-late", "api_key": "k-first"}"#), Ok("k-first".into()));
        assert_eq!(key(r#"{"api_key": "", "apiKey": 7, "key": "k-4"}"#), Ok("k-4".into()));
    }

    #[test]
    fn empty_fieldless_and_broken_secrets_are_told_apart() {
        assert_eq!(key(""), Err(Problem::Empty));
        assert_eq!(key(" \n\t"), Err(Problem::Empty));
        assert_eq!(key(r#"{"token": "k-5"}"#), Err(Problem::NoKeyField));
        assert_eq!(key(r#"{"api_key": "  "}"#), Err(Problem::NoKeyField));
        assert_eq!(key(r#"{"api_key": "k-6""#), Err(Problem::NotJson { line: 1, column: 17 }));
    }

    #[test]
    fn only_an_arn_is_echoed() {
        assert_eq!(
            secret_name("arn:aws:secretsmanager:us-east-1:123456789012:secret:sa/prod/tiingo-api-key-AbCdEf"),
            "sa/prod/tiingo-api-key-AbCdEf"
        );
        assert!(!secret_name("k-pasted-into-the-wrong-variable").contains("k-pasted"));
        assert!(!secret_name("tiingo:secret:k-123").contains("k-123"));
    }
}
