//! Handlers. Each parses its input, asks the domain's table functions, and shapes JSON.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use domain::table::{aggregates, articles, configurations, runs};
use domain::{Article, Ticker};
use serde_json::{Value, json};

use crate::params::{self, window_label};
use crate::{ApiError, AppState};

/// Sentiment and articles change at most every ingestion run; let CloudFront absorb reads.
const CACHE_CONTROL: &str = "public, max-age=60";

fn cached(body: Value) -> Response {
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    response
}

type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

fn query(params: Params) -> Result<HashMap<String, String>, ApiError> {
    // The rejection's own text quotes the input; say what is wrong without echoing it.
    params.map(|Query(p)| p).map_err(|_| {
        ApiError::bad_request(
            "invalid_parameter",
            "query string is malformed (it must be UTF-8 key=value pairs)",
        )
    })
}

pub async fn health(State(state): State<AppState>) -> Response {
    let store = state.store.health().await;
    let last = match &store {
        Ok(()) => runs::latest(&*state.store).await.ok().flatten(),
        Err(_) => None,
    };
    let last_ingestion = last.map(|run| {
        json!({
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "status": run.status,
            "new": run.new,
            "errors": run.errors,
        })
    });
    let mut response = match store {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({
                "status": "ok",
                "store": "ok",
                "version": env!("CARGO_PKG_VERSION"),
                "last_ingestion": last_ingestion,
            })),
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "health check: store unusable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "store": "unavailable", "version": env!("CARGO_PKG_VERSION") })),
            )
                .into_response()
        }
    };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A ticker is known if it is on the default watchlist, watched by a configuration, or has
/// stored history. Anything else is a 404 rather than an empty answer that looks like news.
async fn known(state: &AppState, ticker: &Ticker) -> Result<(), ApiError> {
    if state.default_watchlist.contains(ticker)
        || configurations::is_watched(&*state.store, ticker).await?
        || aggregates::has_history(&*state.store, ticker).await?
    {
        return Ok(());
    }
    Err(ApiError::NotFound(format!("no sentiment data for {ticker}: it is not watched and has no news")))
}

pub async fn ticker_sentiment(
    State(state): State<AppState>,
    symbol: Result<Path<String>, axum::extract::rejection::PathRejection>,
    params: Params,
) -> Result<Response, ApiError> {
    let params = query(params)?;
    let Path(symbol) = symbol
        .map_err(|_| ApiError::bad_request("invalid_ticker", "ticker in the path is not valid UTF-8 text"))?;
    let ticker = params::ticker(&symbol)?;
    let hours = params::window_hours(&params)?;
    known(&state, &ticker).await?;
    let now = state.clock.now();
    let buckets = aggregates::load_window(&*state.store, &ticker, now - Duration::hours(hours), now).await?;
    let view = crate::views::ticker_view(&state, ticker.clone(), &buckets, now);
    Ok(cached(json!({
        "ticker": ticker,
        "window": window_label(hours),
        "status": view.status,
        "score": view.score,
        "label": view.label,
        "confidence": view.confidence,
        "counts": view.counts,
        "sources": view.sources,
        "last_updated": view.last_updated,
        "as_of": now,
    })))
}

pub async fn articles(State(state): State<AppState>, params: Params) -> Result<Response, ApiError> {
    let params = query(params)?;
    let limit = params::limit(&params)?;
    let cursor = params::cursor(&params)?;
    let page = match params.get("ticker") {
        Some(raw) => {
            let ticker = params::ticker(raw)?;
            known(&state, &ticker).await?;
            articles::for_ticker(&*state.store, &ticker, limit, cursor).await?
        }
        None => articles::feed(&*state.store, state.clock.now(), limit, cursor).await?,
    };
    Ok(cached(json!({
        "articles": page.articles.iter().map(article_json).collect::<Vec<_>>(),
        "next_cursor": page.next.map(|c| c.0),
    })))
}

fn article_json(a: &Article) -> Value {
    json!({
        "id": a.id,
        "title": a.title,
        "summary": a.summary,
        "url": a.url,
        "published_at": a.published_at,
        "tickers": a.tickers,
        "sources": a.credits.iter().map(|c| json!({
            "source": c.source, "publisher": c.publisher, "url": c.url,
        })).collect::<Vec<_>>(),
        "sentiment": {
            "label": a.sentiment.label,
            "score": (a.sentiment.score * 1e4).round() / 1e4,
            "confidence": (a.sentiment.confidence * 1e4).round() / 1e4,
            "model": a.model_version,
        },
    })
}

/// NYSE session now: public, and cached for a minute like other market data.
pub async fn market_status(State(state): State<AppState>) -> Response {
    let status = domain::market::status_at(state.clock.now());
    let mut response = Json(status).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    response
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route".into())
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// A handler panicked: answer like any other internal error, and keep serving.
pub fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::Panicked.into_response()
}
