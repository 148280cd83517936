//! One CloudWatch EMF line per API request, on stdout: `ApiRequests`, `Api5xx`, `Api429` and
//! `ApiLatencyMs` under `[Environment, Route]`, rolled up to `[Environment]`, which the
//! runbook's API alarms (p95 latency, 5xx rate, 429 rate) and the dashboard read. `Route` is
//! the route's template (`/api/v2/tickers/{symbol}/sentiment`), never the raw path, so the
//! number of metrics stays fixed whatever clients send; requests no route matches are
//! `unmatched`. The status, its class and the request id ride along as properties for Logs
//! Insights.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use domain::Clock;
use emf::names::{NAMESPACE, dimension, metric};
use emf::{MetricSet, Unit};

/// What a line needs besides the request: the environment's name, the clock, where lines go.
#[derive(Clone)]
pub struct ApiMetrics {
    pub environment: String,
    pub clock: Arc<dyn Clock>,
    pub sink: Arc<dyn Fn(&str) + Send + Sync>,
}

impl ApiMetrics {
    /// Lines to stdout, where Lambda hands them to CloudWatch Logs.
    pub fn stdout(environment: &str, clock: Arc<dyn Clock>) -> Self {
        let sink = Arc::new(|line: &str| {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
        });
        Self { environment: environment.into(), clock, sink }
    }

    /// The line for one request.
    pub fn line(
        &self,
        route: &str,
        status: u16,
        latency_ms: f64,
        request_id: Option<&str>,
    ) -> Option<String> {
        let mut set = MetricSet::new(NAMESPACE, self.clock.now().timestamp_millis())
            .dimension(dimension::ENVIRONMENT, self.environment.as_str())
            .dimension(dimension::ROUTE, route)
            .rollup([dimension::ENVIRONMENT])
            .metric(metric::API_REQUESTS, 1, Unit::Count)
            .metric(metric::API_5XX, u32::from(status >= 500), Unit::Count)
            .metric(metric::API_429, u32::from(status == 429), Unit::Count)
            .metric(metric::API_LATENCY_MS, latency_ms, Unit::Milliseconds)
            .property("status", status)
            .property("status_class", format!("{}xx", status / 100));
        if let Some(id) = request_id {
            set = set.property("request_id", id);
        }
        match set.to_line() {
            Ok(line) => Some(line),
            Err(error) => {
                tracing::warn!(%error, "API metric line not written");
                None
            }
        }
    }
}

/// The middleware: times the request through everything inside it (rate limiting included)
/// and writes its line once the response is ready.
pub async fn record(State(metrics): State<ApiMetrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let response = next.run(request).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let request_id = response.headers().get(api::request_id::HEADER).and_then(|v| v.to_str().ok());
    if let Some(line) = metrics.line(&route, response.status().as_u16(), latency_ms, request_id) {
        (metrics.sink)(&line);
    }
    response
}
