//! What the two vendor clients share: timeouts, bounded retries of transient failures, no
//! redirects, and reading a body without trusting its size, its status code or its echo of
//! our credentials.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::source::SourceError;
use secrecy::{ExposeSecret, SecretString};

use crate::guard::Guard;

#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Whole-request budget per attempt (connect, send, read the body).
    pub timeout: Duration,
    /// Extra attempts after a transient failure (5xx, network, timeout); never after 4xx.
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
            // The vendors do not redirect API calls. Following one would hand our key header
            // to whatever host the redirect names, so a redirect is an error instead.
            .redirect(reqwest::redirect::Policy::none())
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

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends a request built by `build`, retrying transient failures with linear backoff. Every
/// attempt first reserves quota (`reserve`); when a retry cannot, the last answer stands.
/// Nothing is sent after `stop_at`, and an attempt still running then is abandoned.
async fn send<R, F>(
    config: &HttpConfig,
    key: &str,
    stop_at: Option<Instant>,
    reserve: R,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<Response, SourceError>
where
    R: Fn() -> F,
    F: Future<Output = Result<(), SourceError>>,
{
    let mut attempt = 0;
    // The previous attempt's answer, which stands when no further attempt can be made.
    let mut last: Option<Result<Response, SourceError>> = None;
    loop {
        if stop_at.is_some_and(|at| Instant::now() >= at) {
            return last.unwrap_or(Err(SourceError::OutOfTime));
        }
        if let Err(refused) = reserve().await {
            return last.unwrap_or(Err(refused));
        }
        let once = send_once(config, key, build());
        let result = match stop_at {
            Some(at) => tokio::time::timeout_at(at.into(), once).await.unwrap_or(Err(SourceError::OutOfTime)),
            None => once.await,
        };
        let transient = match &result {
            Ok(response) => response.status >= 500,
            Err(SourceError::Network(_) | SourceError::Timeout { .. }) => true,
            Err(_) => false,
        };
        if !transient || attempt >= config.retries {
            return result;
        }
        attempt += 1;
        last = Some(result);
        let backoff = config.retry_backoff * attempt;
        if !backoff.is_zero() {
            tokio::time::sleep(backoff).await;
        }
    }
}

fn transport_error(config: &HttpConfig, error: reqwest::Error) -> SourceError {
    if error.is_timeout() {
        return SourceError::Timeout { after: config.timeout };
    }
    // reqwest's text names the URL; ours never carry credentials (they go in headers), but
    // strip it anyway so the message stays about what went wrong, with its causes.
    let error = error.without_url();
    SourceError::Network(domain::error_report::cause_chain(&error))
}

async fn send_once(
    config: &HttpConfig,
    key: &str,
    request: reqwest::RequestBuilder,
) -> Result<Response, SourceError> {
    let (client, request) = request.build_split();
    let request = request.map_err(|e| transport_error(config, e))?;
    // Traced under the vendor's host name, so the service map shows each vendor once. The
    // subsegment ends when the body has been read; an attempt that fails or is cut off before
    // then reports itself as a fault when it is dropped.
    let mut segment = xray::start(request.url().host_str().unwrap_or("vendor"), xray::Namespace::Remote);
    if let Some(segment) = &mut segment {
        segment.request(request.method().as_str(), request.url().as_str());
    }
    let mut response = client.execute(request).await.map_err(|e| transport_error(config, e))?;
    let status = response.status().as_u16();
    let answered = |segment: Option<xray::Subsegment>| {
        if let Some(segment) = segment {
            segment.finish(Some(status));
        }
    };
    if (300..400).contains(&status) {
        answered(segment);
        return Err(SourceError::Upstream {
            status,
            message: "unexpected redirect; vendor API calls are never redirected, so it was not followed"
                .into(),
        });
    }
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(config, e))? {
        if body.len() + chunk.len() > config.max_body_bytes {
            answered(segment);
            return Err(SourceError::Malformed(format!(
                "response larger than {} bytes",
                config.max_body_bytes
            )));
        }
        body.extend_from_slice(&chunk);
    }
    redact(&mut body, key);
    answered(segment);
    Ok(Response { status, headers, body })
}

/// What replaces a credential found in a response body.
pub const REDACTED: &[u8] = b"[redacted]";

/// Removes every occurrence of `secret` from `body`. Vendors echo the key in some error
/// bodies (`{"detail": "Invalid token abc..."}`); everything we log, return or store about a
/// response is built from its body, so cleaning the body here cleans all of it.
pub(crate) fn redact(body: &mut Vec<u8>, secret: &str) {
    let secret = secret.as_bytes();
    if secret.is_empty() || body.len() < secret.len() {
        return;
    }
    let finder = memchr::memmem::Finder::new(secret);
    if finder.find(body).is_none() {
        return;
    }
    let mut out = Vec::with_capacity(body.len());
    let mut rest = &body[..];
    while let Some(at) = finder.find(rest) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(REDACTED);
        rest = &rest[at + secret.len()..];
    }
    out.extend_from_slice(rest);
    *body = out;
}

/// A short, printable excerpt of a body for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    let mut out: String = trimmed.chars().filter(|c| !c.is_control()).take(200).collect();
    if trimmed.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// One vendor's endpoint: client, settings, base URL and key. `Debug` never shows the key,
/// the key only ever travels in the header the vendor names, and it is cut out of every body.
pub(crate) struct Vendor {
    client: reqwest::Client,
    config: HttpConfig,
    base_url: String,
    key: SecretString,
    /// Header name and how the key is written into it.
    auth: (&'static str, fn(&str) -> String),
    /// The breaker and quota every call goes through; none for tests of the bare client.
    guard: Option<Arc<Guard>>,
}

impl std::fmt::Debug for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vendor").field("base_url", &self.base_url).field("key", &self.key).finish()
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
            guard: None,
        })
    }

    pub(crate) fn guarded(mut self, guard: Guard) -> Self {
        self.guard = Some(Arc::new(guard));
        self
    }

    pub(crate) fn guard(&self) -> Option<&Guard> {
        self.guard.as_deref()
    }

    /// One logical call: GET `path` with the query and the key header, retrying transient
    /// failures, then `parse` the answer. With a guard, the breaker must allow the call,
    /// each attempt must reserve quota (naming `symbols`, for per-symbol allowances), and the
    /// parsed outcome is reported back to both.
    pub(crate) async fn call<T>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        symbols: &[&str],
        stop_at: Option<Instant>,
        parse: impl FnOnce(Response) -> Result<T, SourceError>,
    ) -> Result<T, SourceError> {
        if stop_at.is_some_and(|at| Instant::now() >= at) {
            return Err(SourceError::OutOfTime);
        }
        let url = format!("{}{path}", self.base_url);
        let (header, render) = self.auth;
        let key = self.key.expose_secret();
        let build = || self.client.get(&url).header(header, render(key)).query(query);
        let Some(guard) = self.guard.as_deref() else {
            return send(&self.config, key, stop_at, || async { Ok(()) }, build).await.and_then(parse);
        };
        let permit = guard.admit().await?;
        let result = send(&self.config, key, stop_at, || guard.reserve(symbols), build).await.and_then(parse);
        guard.settle(permit, &result).await;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_removes_every_copy_of_the_key() {
        let mut body = br#"{"detail":"Invalid token sk-1. Token sk-1 is not valid"}"#.to_vec();
        redact(&mut body, "sk-1");
        assert_eq!(body, br#"{"detail":"Invalid token [redacted]. Token [redacted] is not valid"}"#);
        let mut clean = b"nothing to see".to_vec();
        redact(&mut clean, "sk-1");
        assert_eq!(clean, b"nothing to see");
    }
}
