//! Builds the dashboard API for Lambda: settings from the environment (the same `SENTIMENT_*`
//! variables as the CLI; the store defaults to DynamoDB here), clients built once per
//! container, then the same router the local server uses, with one EMF metric line per
//! request ([`metrics`]).

pub mod metrics;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;

use domain::{Clock, SystemClock};
use startup::Settings;

pub use startup::parts::StartupError;

pub async fn app(settings: &Settings) -> Result<axum::Router, StartupError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = startup::parts::store(settings, clock.clone()).await?;
    let metrics = metrics::ApiMetrics::stdout(&settings.environment, clock.clone());
    let mut state = api::AppState::new(store, clock, settings.watchlist.clone());
    state.accounts = settings.accounts.clone();
    state.rate_limits = settings.rate_limits;
    state.trusted_proxies = settings.trusted_proxies.clone();
    state.cors = settings.cors.clone();
    state.quotas = settings.quotas.clone();
    Ok(api::router(state)
        .layer(axum::middleware::from_fn(source_ip))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::record)))
}

/// The Function URL's `requestContext.http.sourceIp` is the client address the rate limits
/// count (or CloudFront's, whose `X-Forwarded-For` is then believed when trusted).
async fn source_ip(mut request: Request, next: Next) -> Response {
    let ip = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            context.http.source_ip.as_deref().and_then(|ip| ip.parse::<IpAddr>().ok())
        }
        _ => None,
    };
    if let Some(ip) = ip {
        request.extensions_mut().insert(ConnectInfo(SocketAddr::new(ip, 0)));
    }
    next.run(request).await
}
