//! `SENTIMENT_EVENTS=webhook=URL`: one `POST` per event, its wire form as the JSON body, with
//! a timeout per attempt and retries on what may pass a second time (connection errors,
//! timeouts, 408, 429, 5xx). A webhook URL often carries a token in its path or query, so
//! neither logs nor errors ever show more of it than its host.

use std::time::Duration;

use async_trait::async_trait;
use domain::event::{Event, EventSink, PublishReport};
use reqwest::{StatusCode, Url};

#[derive(Clone)]
pub struct WebhookConfig {
    pub url: Url,
    /// Per attempt, connection included.
    pub timeout: Duration,
    /// Attempts per event, the first included.
    pub attempts: u32,
    /// Events in flight at once.
    pub concurrency: usize,
}

impl WebhookConfig {
    pub fn new(url: Url) -> Self {
        Self { url, timeout: Duration::from_secs(5), attempts: 3, concurrency: 4 }
    }

    /// What may be shown of the URL: scheme, host and port.
    pub fn redacted(&self) -> String {
        redact(&self.url)
    }
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.redacted())
            .field("timeout", &self.timeout)
            .field("attempts", &self.attempts)
            .finish()
    }
}

pub fn redact(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{}://{host}:{port}/…", url.scheme()),
        (Some(host), None) => format!("{}://{host}/…", url.scheme()),
        _ => format!("{}://…", url.scheme()),
    }
}

/// A webhook URL from `SENTIMENT_EVENTS`: absolute `http` or `https` with a host. The error
/// never repeats the URL.
pub fn parse_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("the webhook URL does not parse ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("the webhook URL must be http:// or https:// with a host".into());
    }
    Ok(url)
}

pub struct WebhookSink {
    config: WebhookConfig,
    client: reqwest::Client,
}

#[derive(Debug)]
enum Failure {
    /// Worth another attempt.
    Transient(String),
    Permanent(String),
}

impl WebhookSink {
    pub fn new(config: WebhookConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            // A redirect could carry the body somewhere the operator did not name.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("sentiment-analyzer/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the webhook's HTTP client: {}", e.without_url()))?;
        Ok(Self { config, client })
    }

    async fn attempt(&self, event: &Event, body: &[u8]) -> Result<(), Failure> {
        let response = self
            .client
            .post(self.config.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Event-Id", &event.id)
            .header("X-Event-Type", event.kind().as_str())
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| {
                let kind = if e.is_timeout() { "timed out" } else { "request failed" };
                Failure::Transient(format!("{kind}: {}", e.without_url()))
            })?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else if status.is_server_error()
            || status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::REQUEST_TIMEOUT
        {
            Err(Failure::Transient(format!("answered {status}")))
        } else {
            Err(Failure::Permanent(format!("answered {status}")))
        }
    }

    async fn send(&self, event: &Event) -> Result<(), String> {
        let body = serde_json::to_vec(&event.to_wire()).map_err(|e| e.to_string())?;
        let mut attempt = 0;
        loop {
            match self.attempt(event, &body).await {
                Ok(()) => return Ok(()),
                Err(Failure::Transient(why)) if attempt + 1 < self.config.attempts.max(1) => {
                    tracing::debug!(event = %event.id, attempt, %why, "webhook attempt failed; retrying");
                    tokio::time::sleep(crate::backoff(attempt)).await;
                    attempt += 1;
                }
                Err(Failure::Transient(why) | Failure::Permanent(why)) => {
                    return Err(format!(
                        "{} {} to {} after {} attempt(s): {why}",
                        event.kind(),
                        event.id,
                        self.config.redacted(),
                        attempt + 1
                    ));
                }
            }
        }
    }
}

#[async_trait]
impl EventSink for WebhookSink {
    fn name(&self) -> &'static str {
        "webhook"
    }

    async fn publish(&self, events: &[Event]) -> PublishReport {
        let mut outcomes: Vec<Result<(), String>> = Vec::with_capacity(events.len());
        for group in events.chunks(self.config.concurrency.max(1)) {
            outcomes.extend(futures::future::join_all(group.iter().map(|event| self.send(event))).await);
        }
        let mut report = PublishReport::default();
        for outcome in outcomes {
            match outcome {
                Ok(()) => report.published += 1,
                Err(error) => report.fail(1, error),
            }
        }
        report
    }
}
