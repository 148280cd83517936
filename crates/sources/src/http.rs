//! What the two vendor clients share: timeouts, bounded retries of transient failures, and
//! reading a body without trusting its size or its status code.

use std::time::Duration;

use domain::source::SourceError;
use secrecy::{ExposeSecret, SecretString};

#[derive(Clone, Debug)]
pub struct HttpConfig {
    pub timeout: Duration,
    /// Extra attempts after a transient failure (5xx, network); never after 4xx.
    pub retries: u32,
    pub retry_backoff: Duration,
    /// Bodies larger than this are refused rather than buffered.
    pub max_body_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            retries: 2,
            retry_backoff: Duration::from_millis(500),
            max_body_bytes: 8 * 1024 * 1024,
        }
    }
}

impl HttpConfig {
    pub(crate) fn client(&self) -> Result<reqwest::Client, SourceError> {
        reqwest::Client::builder()
            .timeout(self.timeout)
            .user_agent(concat!("sentiment-analyzer/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SourceError::Network(format!("cannot build HTTP client: {e}")))
    }
}

pub(crate) struct Response {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

/// Sends a request built by `build`, retrying transient failures with linear backoff.
pub(crate) async fn send(
    config: &HttpConfig,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<Response, SourceError> {
    let mut attempt = 0;
    loop {
        let result = send_once(config, build()).await;
        let transient = match &result {
            Ok(response) => response.status >= 500,
            Err(SourceError::Network(_)) => true,
            Err(_) => false,
        };
        if !transient || attempt >= config.retries {
            return result;
        }
        attempt += 1;
        tokio_sleep(config.retry_backoff * attempt).await;
    }
}

async fn send_once(config: &HttpConfig, request: reqwest::RequestBuilder) -> Result<Response, SourceError> {
    // reqwest's error text names the URL; ours never carry credentials (they go in headers),
    // but strip it anyway so error text stays about what went wrong.
    let mut response = request.send().await.map_err(|e| SourceError::Network(e.without_url().to_string()))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) =
        response.chunk().await.map_err(|e| SourceError::Network(e.without_url().to_string()))?
    {
        if body.len() + chunk.len() > config.max_body_bytes {
            return Err(SourceError::Malformed(format!(
                "response larger than {} bytes",
                config.max_body_bytes
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response { status, headers, body })
}

async fn tokio_sleep(duration: Duration) {
    if !duration.is_zero() {
        tokio::time::sleep(duration).await;
    }
}

/// A short, printable excerpt of a body for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    let mut out: String = trimmed.chars().take(200).collect();
    if trimmed.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// One vendor's endpoint: client, settings, base URL and key. `Debug` never shows the key,
/// and the key only ever travels in the header the vendor names.
pub(crate) struct Vendor {
    client: reqwest::Client,
    config: HttpConfig,
    base_url: String,
    key: SecretString,
    /// Header name and how the key is written into it.
    auth: (&'static str, fn(&str) -> String),
}

impl std::fmt::Debug for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vendor").field("base_url", &self.base_url).field("key", &"[redacted]").finish()
    }
}

impl Vendor {
    pub(crate) fn new(
        base_url: &str,
        key: SecretString,
        config: HttpConfig,
        auth: (&'static str, fn(&str) -> String),
    ) -> Result<Self, SourceError> {
        Ok(Self {
            client: config.client()?,
            config,
            base_url: base_url.trim_end_matches('/').to_owned(),
            key,
            auth,
        })
    }

    /// GET `path` with the query and the key header, retrying transient failures.
    pub(crate) async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Response, SourceError> {
        let url = format!("{}{path}", self.base_url);
        let (header, render) = self.auth;
        send(&self.config, || {
            self.client.get(&url).header(header, render(self.key.expose_secret())).query(query)
        })
        .await
    }
}
