//! Handlers. Each parses its input, asks the domain's table functions, and shapes JSON.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::aggregate;
use domain::table::{aggregates, articles, configurations, runs};
use domain::{Article, SentimentLabel, Ticker};
use serde::Serialize;
use utoipa::ToSchema;

use crate::ErrorBody;
use crate::params::{self, window_label};
use crate::views::TickerView;
use crate::{ApiError, AppState};

/// Sentiment and articles change at most every ingestion run; let CloudFront absorb reads.
const CACHE_CONTROL: &str = "public, max-age=60";

fn cached(body: impl Serialize) -> Response {
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    response
}

pub(crate) type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

pub(crate) fn query(params: Params) -> Result<HashMap<String, String>, ApiError> {
    // The rejection's own text quotes the input; say what is wrong without echoing it.
    params.map(|Query(p)| p).map_err(|_| {
        ApiError::bad_request(
            "invalid_parameter",
            "query string is malformed (it must be UTF-8 key=value pairs)",
        )
    })
}

#[derive(Serialize, ToSchema)]
pub struct LastIngestion {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// The run's status, from its sources' statuses.
    #[schema(value_type = String)]
    pub status: domain::run::SourceStatus,
    pub new: usize,
    pub errors: usize,
    /// Set when the run stopped early (its time budget) and left work for the next run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut_short: Option<String>,
    /// Per source: fetched, new, duplicates, malformed, throttled, errors, status, and the
    /// breaker and quota as the run left them. The same type the `ingest` command prints and
    /// the ingestion Lambda returns.
    #[schema(value_type = Object)]
    pub sources: std::collections::BTreeMap<domain::SourceKind, domain::run::SourceSummary>,
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// `ok` or `unavailable`: whether the store can be read and written.
    pub store: &'static str,
    pub version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_ingestion: Option<LastIngestion>,
}

/// Liveness and store health, with the latest ingestion run.
#[utoipa::path(get, path = "/health", tag = "service",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(state): State<AppState>) -> Response {
    let store = state.store.health().await;
    let last = match &store {
        Ok(()) => runs::latest(&*state.store).await.ok().flatten(),
        Err(_) => None,
    };
    let last_ingestion = last.map(|run| LastIngestion {
        started_at: run.started_at,
        finished_at: run.finished_at,
        status: run.status,
        new: run.new,
        errors: run.errors,
        cut_short: run.cut_short,
        sources: run.sources,
    });
    let (status, body) = match store {
        Ok(()) => (
            StatusCode::OK,
            Health { status: "ok", store: "ok", version: env!("CARGO_PKG_VERSION"), last_ingestion },
        ),
        Err(error) => {
            tracing::error!(%error, "health check: store unusable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Health {
                    status: "unavailable",
                    store: "unavailable",
                    version: env!("CARGO_PKG_VERSION"),
                    last_ingestion: None,
                },
            )
        }
    };
    let mut response = (status, Json(body)).into_response();
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

/// A ticker's current sentiment over a window.
#[utoipa::path(get, path = "/api/v2/tickers/{symbol}/sentiment", tag = "public",
    params(("symbol" = String, Path, description = "ticker such as AAPL or BRK.B"),
           ("window" = Option<String>, Query, description = "1h..90d, default 7d")),
    responses((status = 200, body = TickerSentiment), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
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
    let start = now - chrono::Duration::hours(hours);
    // The window's aggregates and its newest articles (for the drivers), concurrently.
    let (buckets, recent) = tokio::try_join!(
        async { aggregates::load_window(&*state.store, &ticker, start, now).await.map_err(ApiError::from) },
        window_articles(&state, &ticker, start),
    )?;
    let summary = aggregate::summarize(&buckets, now, state.half_life);
    let view = crate::views::ticker_view(&state, ticker.clone(), &summary, &buckets, now);
    let (drivers, phrases) = aggregate::drivers(&summary, &recent, now, state.half_life, MAX_DRIVERS);
    let drivers = drivers
        .into_iter()
        .map(|d| Driver { share: round(d.share), article: article_view(d.article) })
        .collect();
    let phrases = phrases.iter().map(WordEffectView::from).collect();
    Ok(cached(TickerSentiment { window: window_label(hours), as_of: now, view, drivers, phrases }))
}

/// Articles and phrases a ticker's sentiment names as what moved it.
const MAX_DRIVERS: usize = 3;
/// Newest articles of the window read to find them: the newest weigh most, and this bounds
/// the read.
const MAX_DRIVER_CANDIDATES: usize = 50;

async fn window_articles(
    state: &AppState,
    ticker: &Ticker,
    start: DateTime<Utc>,
) -> Result<Vec<Article>, ApiError> {
    let page = articles::for_ticker(&*state.store, ticker, MAX_DRIVER_CANDIDATES, None).await?;
    Ok(page.articles.into_iter().filter(|a| a.published_at >= start).collect())
}

#[derive(Serialize, ToSchema)]
pub struct TickerSentiment {
    pub window: String,
    pub as_of: DateTime<Utc>,
    #[serde(flatten)]
    pub view: TickerView,
    /// What moved the score: the window's articles that push it hardest towards where it
    /// stands (of its newest 50), largest share first.
    pub drivers: Vec<Driver>,
    /// The headline words that push the score most, each word's effects weighted like the
    /// articles it is in.
    pub phrases: Vec<WordEffectView>,
}

#[derive(Serialize, ToSchema)]
pub struct Driver {
    /// How much of the score this article makes up: its score times its recency weight over
    /// the window's total weight (the shares of all the window's articles sum to the score).
    pub share: f64,
    #[serde(flatten)]
    pub article: ArticleView,
}

#[derive(Serialize, ToSchema)]
pub struct WordEffectView {
    pub word: String,
    /// How far the word moved the score: the score with it minus the score without it.
    pub effect: f64,
}

impl From<&domain::WordEffect> for WordEffectView {
    fn from(w: &domain::WordEffect) -> Self {
        Self { word: w.word.clone(), effect: round(w.effect) }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ArticleExplanation {
    /// The headline words that moved the article's score most, largest effect first.
    pub words: Vec<WordEffectView>,
}

#[derive(Serialize, ToSchema)]
pub struct ArticlePage {
    pub articles: Vec<ArticleView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ArticleView {
    #[schema(value_type = String)]
    pub id: domain::ArticleId,
    pub title: String,
    pub summary: Option<String>,
    pub url: String,
    pub published_at: DateTime<Utc>,
    #[schema(value_type = Vec<String>)]
    pub tickers: std::collections::BTreeSet<Ticker>,
    pub sources: Vec<SourceRef>,
    pub sentiment: ArticleSentiment,
    /// Why the article scored as it did; `null` for articles scored before explanations
    /// were stored.
    pub explanation: Option<ArticleExplanation>,
}

#[derive(Serialize, ToSchema)]
pub struct SourceRef {
    #[schema(value_type = String)]
    pub source: domain::SourceKind,
    pub publisher: String,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ArticleSentiment {
    #[schema(value_type = String)]
    pub label: SentimentLabel,
    pub score: f64,
    pub confidence: f64,
    /// The model and version that scored the article.
    pub model: String,
}

/// Articles newest first, for one ticker or all.
#[utoipa::path(get, path = "/api/v2/articles", tag = "public",
    params(("ticker" = Option<String>, Query, description = "only this ticker's articles"),
           ("sentiment" = Option<String>, Query, description = "only positive, negative or neutral articles"),
           ("limit" = Option<usize>, Query, description = "1..100, default 20"),
           ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")),
    responses((status = 200, body = ArticlePage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn articles(State(state): State<AppState>, params: Params) -> Result<Response, ApiError> {
    let params = query(params)?;
    let limit = params::limit(&params)?;
    let mut cursor = params::cursor(&params)?;
    let label = match params.get("sentiment").map(String::as_str) {
        None => None,
        Some("positive") => Some(SentimentLabel::Positive),
        Some("negative") => Some(SentimentLabel::Negative),
        Some("neutral") => Some(SentimentLabel::Neutral),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                "sentiment must be positive, negative or neutral",
            ));
        }
    };
    let ticker = match params.get("ticker") {
        Some(raw) => {
            let ticker = params::ticker(raw)?;
            known(&state, &ticker).await?;
            Some(ticker)
        }
        None => None,
    };
    // Unfiltered: one page of the store. Filtered by label: store pages are read, each asking
    // for what is still missing, until the page is full, the list ends or MAX_FILTER_PAGES
    // pages were read (the cursor then continues where this stopped).
    let mut found = Vec::with_capacity(limit);
    let mut reads = 0;
    let next = loop {
        let wanted = limit - found.len();
        let page = match &ticker {
            Some(ticker) => articles::for_ticker(&*state.store, ticker, wanted, cursor.take()).await?,
            None => articles::feed(&*state.store, state.clock.now(), wanted, cursor.take()).await?,
        };
        reads += 1;
        found.extend(page.articles.into_iter().filter(|a| label.is_none_or(|l| a.sentiment.label == l)));
        match page.next {
            Some(next) if found.len() < limit && reads < MAX_FILTER_PAGES => cursor = Some(next),
            other => break other,
        }
    };
    Ok(cached(ArticlePage {
        articles: found.iter().map(article_view).collect(),
        next_cursor: next.map(|c| c.0),
    }))
}

/// Store pages one filtered article request reads at most.
const MAX_FILTER_PAGES: usize = 10;

pub(crate) fn round(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn article_view(a: &Article) -> ArticleView {
    ArticleView {
        id: a.id.clone(),
        title: a.title.clone(),
        summary: a.summary.clone(),
        url: a.url.clone(),
        published_at: a.published_at,
        tickers: a.tickers.clone(),
        sources: a
            .credits
            .iter()
            .map(|c| SourceRef { source: c.source, publisher: c.publisher.clone(), url: c.url.clone() })
            .collect(),
        sentiment: ArticleSentiment {
            label: a.sentiment.label,
            score: round(a.sentiment.score),
            confidence: round(a.sentiment.confidence),
            model: a.model_version.clone(),
        },
        explanation: a
            .explanation
            .as_ref()
            .map(|e| ArticleExplanation { words: e.words.iter().map(WordEffectView::from).collect() }),
    }
}

/// NYSE session now: public, and cached for a minute like other market data.
#[utoipa::path(get, path = "/api/v2/market/status", tag = "public",
    responses((status = 200, body = crate::openapi::MarketStatusSchema)))]
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
