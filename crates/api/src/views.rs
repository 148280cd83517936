//! Sentiment views: over a user's configuration (private) and over any tickers (public,
//! cacheable). Every number is defined in `docs/sentiment.md`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, DurationRound, Utc};
use domain::aggregate::{self, HourlyBucket, LabelCounts, Point, SourceSummary};
use domain::table::aggregates;
use domain::{SentimentLabel, SourceKind, Ticker};
use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::{PathId, owned};
use crate::auth::Authenticated;
use crate::params::{self, window_label};
use crate::routes::{Params, query, round};
use crate::{ApiError, AppState};

/// Public views: tickers per request.
pub const MAX_PUBLIC_TICKERS: usize = 20;
/// Trend series: tickers per request.
pub const MAX_TREND_TICKERS: usize = 10;
pub const MAX_HISTORY_DAYS: i64 = 90;

fn with_cache(body: impl Serialize, cache: &'static str) -> Response {
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

const PUBLIC: &str = "public, max-age=60";
const PRIVATE: &str = "no-store";

#[derive(Serialize, ToSchema)]
pub struct Sources {
    pub tiingo: SourceView,
    pub finnhub: SourceView,
}

#[derive(Serialize, ToSchema)]
pub struct SourceView {
    pub score: Option<f64>,
    #[schema(value_type = Option<String>)]
    pub label: Option<SentimentLabel>,
    pub articles: i64,
}

impl From<SourceSummary> for SourceView {
    fn from(s: SourceSummary) -> Self {
        Self { score: s.score.map(round), label: s.label, articles: s.articles }
    }
}

/// A ticker's current sentiment over a window.
#[derive(Serialize, ToSchema)]
pub struct TickerView {
    #[schema(value_type = String)]
    pub ticker: Ticker,
    /// `ok`, or `no_data` when the window holds no article.
    pub status: &'static str,
    pub score: Option<f64>,
    #[schema(value_type = Option<String>)]
    pub label: Option<SentimentLabel>,
    pub confidence: Option<f64>,
    #[schema(value_type = crate::openapi::LabelCountsSchema)]
    pub counts: LabelCounts,
    pub sources: Sources,
    pub last_updated: Option<DateTime<Utc>>,
}

/// `summary` is `aggregate::summarize` of `buckets`, which the caller may need too.
pub(crate) fn ticker_view(
    state: &AppState,
    ticker: Ticker,
    summary: &aggregate::Summary,
    buckets: &[HourlyBucket],
    now: DateTime<Utc>,
) -> TickerView {
    let source = |s| SourceView::from(aggregate::summarize_source(buckets, s, now, state.half_life));
    TickerView {
        ticker,
        status: if summary.counts.total > 0 { "ok" } else { "no_data" },
        score: summary.score.map(round),
        label: summary.label,
        confidence: aggregate::confidence(&summary.counts, summary.label).map(round),
        counts: summary.counts,
        sources: Sources { tiingo: source(SourceKind::Tiingo), finnhub: source(SourceKind::Finnhub) },
        last_updated: summary.last_updated,
    }
}

pub(crate) async fn current(
    state: &AppState,
    ticker: &Ticker,
    hours: i64,
    now: DateTime<Utc>,
) -> Result<TickerView, ApiError> {
    let buckets = aggregates::load_window(&*state.store, ticker, now - Duration::hours(hours), now).await?;
    let summary = aggregate::summarize(&buckets, now, state.half_life);
    Ok(ticker_view(state, ticker.clone(), &summary, &buckets, now))
}

#[derive(Serialize, ToSchema)]
pub struct WeightedTickerView {
    pub weight: f64,
    #[serde(flatten)]
    pub view: TickerView,
}

#[derive(Serialize, ToSchema)]
pub struct ConfigurationSentiment {
    pub config_id: String,
    pub name: String,
    pub window: String,
    pub as_of: DateTime<Utc>,
    /// The weight-averaged score of the tickers that have data; `null` when none has.
    pub score: Option<f64>,
    #[schema(value_type = Option<String>)]
    pub label: Option<SentimentLabel>,
    pub tickers: Vec<WeightedTickerView>,
}

/// `GET /api/v2/configurations/{id}/sentiment`: each ticker over the configuration's
/// timeframe, and the configuration's weighted score.
#[utoipa::path(get, path = "/api/v2/configurations/{config_id}/sentiment", tag = "configurations", security(("bearer" = []), ("x_user_id" = [])), params(("config_id" = String, Path)),
    responses((status = 200, body = ConfigurationSentiment), (status = 401, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
pub async fn configuration_sentiment(
    State(state): State<AppState>,
    auth: Authenticated,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let config = owned(&state, &auth, &id).await?;
    let now = state.clock.now();
    let hours = i64::from(config.timeframe_days) * 24;
    let views =
        futures::future::try_join_all(config.tickers.iter().map(|t| current(&state, &t.symbol, hours, now)))
            .await?;
    let tickers: Vec<WeightedTickerView> = config
        .tickers
        .iter()
        .zip(views)
        .map(|(t, view)| WeightedTickerView { weight: t.weight, view })
        .collect();
    let score =
        aggregate::weighted_score(&tickers.iter().map(|t| (t.weight, t.view.score)).collect::<Vec<_>>());
    Ok(with_cache(
        ConfigurationSentiment {
            config_id: config.id.as_str().to_owned(),
            name: config.name.as_str().to_owned(),
            window: window_label(hours),
            as_of: now,
            score: score.map(round),
            label: score.map(aggregate::label_for),
            tickers,
        },
        PRIVATE,
    ))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Interval {
    Hour,
    SixHours,
    Day,
}

impl Interval {
    fn parse(raw: Option<&String>, allowed: &[Interval]) -> Result<Self, ApiError> {
        let Some(raw) = raw else { return Ok(Self::Hour) };
        allowed.iter().copied().find(|i| i.label() == raw.as_str()).ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|i| i.label()).collect();
            ApiError::bad_request(
                "invalid_parameter",
                format!("interval must be one of {}", names.join(", ")),
            )
        })
    }

    fn label(self) -> &'static str {
        match self {
            Self::Hour => "1h",
            Self::SixHours => "6h",
            Self::Day => "1d",
        }
    }

    fn length(self) -> Duration {
        match self {
            Self::Hour => Duration::hours(1),
            Self::SixHours => Duration::hours(6),
            Self::Day => Duration::days(1),
        }
    }
}

/// The intervals covering the `span` up to now, the last one holding now: (first start, count).
fn intervals(now: DateTime<Utc>, interval: Interval, span: Duration) -> (DateTime<Utc>, usize) {
    let step = interval.length();
    let last = now.duration_trunc(step).unwrap_or(now);
    let count = (span.num_seconds() / step.num_seconds()).max(1);
    (last - step * (count as i32 - 1), count as usize)
}

#[derive(Serialize, ToSchema)]
pub struct PointView {
    pub start: DateTime<Utc>,
    pub score: Option<f64>,
    #[schema(value_type = Option<String>)]
    pub label: Option<SentimentLabel>,
    #[schema(value_type = crate::openapi::LabelCountsSchema)]
    pub counts: LabelCounts,
    pub articles: i64,
}

impl From<Point> for PointView {
    fn from(p: Point) -> Self {
        Self {
            start: p.start,
            score: p.score.map(round),
            label: p.label,
            articles: p.counts.total,
            counts: p.counts,
        }
    }
}

async fn points(
    state: &AppState,
    ticker: &Ticker,
    now: DateTime<Utc>,
    interval: Interval,
    span: Duration,
) -> Result<Vec<PointView>, ApiError> {
    let (first, count) = intervals(now, interval, span);
    let buckets = aggregates::load(&*state.store, ticker, first, now).await?;
    Ok(aggregate::series(&buckets, first, interval.length(), count)
        .into_iter()
        .map(PointView::from)
        .collect())
}

#[derive(Serialize, ToSchema)]
pub struct History {
    pub config_id: String,
    #[schema(value_type = String)]
    pub ticker: Ticker,
    pub days: i64,
    pub interval: &'static str,
    pub as_of: DateTime<Utc>,
    pub buckets: Vec<PointView>,
}

/// `GET /api/v2/configurations/{id}/sentiment/{ticker}/history?days=7&interval=1h|1d`.
#[utoipa::path(get, path = "/api/v2/configurations/{config_id}/sentiment/{ticker}/history", tag = "configurations", security(("bearer" = []), ("x_user_id" = [])),
    params(("config_id" = String, Path), ("ticker" = String, Path), ("days" = Option<i64>, Query, description = "1..90, default 7"), ("interval" = Option<String>, Query, description = "1h (default) or 1d")),
    responses((status = 200, body = History), (status = 400, body = crate::ErrorBody), (status = 401, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    auth: Authenticated,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
    params: Params,
) -> Result<Response, ApiError> {
    let Path((id, symbol)) = path.map_err(|_| ApiError::NotFound("no such configuration".into()))?;
    let params = query(params)?;
    let config = owned(&state, &auth, &id).await?;
    let ticker = params::ticker(&symbol.to_ascii_uppercase())?;
    if !config.tickers.iter().any(|t| t.symbol == ticker) {
        return Err(ApiError::NotFound(format!("{ticker} is not in this configuration")));
    }
    let days = match params.get("days") {
        None => 7,
        Some(raw) => {
            raw.parse::<i64>().ok().filter(|d| (1..=MAX_HISTORY_DAYS).contains(d)).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_parameter",
                    format!("days must be a whole number from 1 to {MAX_HISTORY_DAYS}"),
                )
            })?
        }
    };
    let interval = Interval::parse(params.get("interval"), &[Interval::Hour, Interval::Day])?;
    let now = state.clock.now();
    let buckets = points(&state, &ticker, now, interval, Duration::days(days)).await?;
    Ok(with_cache(
        History {
            config_id: config.id.as_str().to_owned(),
            ticker,
            days,
            interval: interval.label(),
            as_of: now,
            buckets,
        },
        PRIVATE,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Cell {
    pub column: &'static str,
    pub score: Option<f64>,
    #[schema(value_type = Option<String>)]
    pub label: Option<SentimentLabel>,
    pub articles: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Row {
    #[schema(value_type = String)]
    pub ticker: Ticker,
    pub cells: Vec<Cell>,
}

#[derive(Serialize, ToSchema)]
pub struct Heatmap {
    pub config_id: String,
    pub view: &'static str,
    pub columns: Vec<&'static str>,
    pub as_of: DateTime<Utc>,
    pub rows: Vec<Row>,
}

const PERIODS: [(&str, i64); 3] = [("24h", 24), ("7d", 24 * 7), ("30d", 24 * 30)];

/// `GET /api/v2/configurations/{id}/heatmap?view=sources|periods`: tickers by source over the
/// configuration's timeframe, or tickers by period (24h, 7d, 30d).
#[utoipa::path(get, path = "/api/v2/configurations/{config_id}/heatmap", tag = "configurations", security(("bearer" = []), ("x_user_id" = [])),
    params(("config_id" = String, Path), ("view" = Option<String>, Query, description = "sources (default) or periods")),
    responses((status = 200, body = Heatmap), (status = 400, body = crate::ErrorBody), (status = 401, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
pub async fn heatmap(
    State(state): State<AppState>,
    auth: Authenticated,
    PathId(id): PathId,
    params: Params,
) -> Result<Response, ApiError> {
    let params = query(params)?;
    let config = owned(&state, &auth, &id).await?;
    let by_periods = match params.get("view").map(String::as_str) {
        None | Some("sources") => false,
        Some("periods") => true,
        Some(_) => return Err(ApiError::bad_request("invalid_parameter", "view must be sources or periods")),
    };
    let now = state.clock.now();
    let longest = if by_periods { 24 * 30 } else { i64::from(config.timeframe_days) * 24 };
    let rows = futures::future::try_join_all(config.tickers.iter().map(|t| {
        let state = &state;
        async move {
            let buckets =
                aggregates::load_window(&*state.store, &t.symbol, now - Duration::hours(longest), now)
                    .await?;
            let cells = if by_periods {
                PERIODS
                    .iter()
                    .map(|&(column, hours)| {
                        let start = now - Duration::hours(hours);
                        let within: Vec<HourlyBucket> =
                            buckets.iter().filter(|b| b.hour >= start).cloned().collect();
                        let s = aggregate::summarize(&within, now, state.half_life);
                        Cell { column, score: s.score.map(round), label: s.label, articles: s.counts.total }
                    })
                    .collect()
            } else {
                SourceKind::ALL
                    .iter()
                    .map(|&source| {
                        let s = aggregate::summarize_source(&buckets, source, now, state.half_life);
                        Cell {
                            column: source.as_str(),
                            score: s.score.map(round),
                            label: s.label,
                            articles: s.articles,
                        }
                    })
                    .collect()
            };
            Ok::<_, ApiError>(Row { ticker: t.symbol.clone(), cells })
        }
    }))
    .await?;
    let columns = if by_periods {
        PERIODS.iter().map(|p| p.0).collect()
    } else {
        SourceKind::ALL.iter().map(|s| s.as_str()).collect()
    };
    Ok(with_cache(
        Heatmap {
            config_id: config.id.as_str().to_owned(),
            view: if by_periods { "periods" } else { "sources" },
            columns,
            as_of: now,
            rows,
        },
        PRIVATE,
    ))
}

fn tickers_param(params: &HashMap<String, String>, max: usize) -> Result<Vec<Ticker>, ApiError> {
    let raw = params.get("tickers").ok_or_else(|| {
        ApiError::bad_request("invalid_parameter", "tickers is required, e.g. tickers=AAPL,MSFT")
    })?;
    let mut tickers: Vec<Ticker> = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let ticker = params::ticker(&part.to_ascii_uppercase())?;
        if !tickers.contains(&ticker) {
            tickers.push(ticker);
        }
    }
    if tickers.is_empty() || tickers.len() > max {
        return Err(ApiError::bad_request(
            "invalid_parameter",
            format!("tickers must name 1 to {max} tickers"),
        ));
    }
    Ok(tickers)
}

#[derive(Serialize, ToSchema)]
pub struct PublicSentiment {
    pub window: String,
    pub as_of: DateTime<Utc>,
    pub tickers: Vec<TickerView>,
}

/// `GET /api/v2/sentiment?tickers=AAPL,MSFT&window=7d`: public and cacheable.
#[utoipa::path(get, path = "/api/v2/sentiment", tag = "public",
    params(("tickers" = String, Query, description = "1 to 20 comma-separated tickers"), ("window" = Option<String>, Query, description = "1h..90d, default 7d")),
    responses((status = 200, body = PublicSentiment), (status = 400, body = crate::ErrorBody)))]
pub async fn public_sentiment(State(state): State<AppState>, params: Params) -> Result<Response, ApiError> {
    let params = query(params)?;
    let tickers = tickers_param(&params, MAX_PUBLIC_TICKERS)?;
    let hours = params::window_hours(&params)?;
    let now = state.clock.now();
    let views = futures::future::try_join_all(tickers.iter().map(|t| current(&state, t, hours, now))).await?;
    Ok(with_cache(PublicSentiment { window: window_label(hours), as_of: now, tickers: views }, PUBLIC))
}

#[derive(Serialize, ToSchema)]
pub struct Series {
    #[schema(value_type = String)]
    pub ticker: Ticker,
    pub points: Vec<PointView>,
}

#[derive(Serialize, ToSchema)]
pub struct Trends {
    pub interval: &'static str,
    pub range: &'static str,
    pub as_of: DateTime<Utc>,
    pub series: Vec<Series>,
}

/// `GET /api/v2/trends?tickers=...&interval=1h|6h|1d&range=24h|7d|30d`: public and cacheable.
#[utoipa::path(get, path = "/api/v2/trends", tag = "public",
    params(("tickers" = String, Query, description = "1 to 10 comma-separated tickers"), ("interval" = Option<String>, Query, description = "1h (default), 6h or 1d"), ("range" = Option<String>, Query, description = "24h, 7d (default) or 30d")),
    responses((status = 200, body = Trends), (status = 400, body = crate::ErrorBody)))]
pub async fn trends(State(state): State<AppState>, params: Params) -> Result<Response, ApiError> {
    let params = query(params)?;
    let tickers = tickers_param(&params, MAX_TREND_TICKERS)?;
    let interval =
        Interval::parse(params.get("interval"), &[Interval::Hour, Interval::SixHours, Interval::Day])?;
    let (range, hours) = match params.get("range").map(String::as_str) {
        None | Some("7d") => ("7d", 24 * 7),
        Some("24h") => ("24h", 24),
        Some("30d") => ("30d", 24 * 30),
        Some(_) => {
            return Err(ApiError::bad_request("invalid_parameter", "range must be one of 24h, 7d, 30d"));
        }
    };
    let now = state.clock.now();
    let series = futures::future::try_join_all(tickers.into_iter().map(|ticker| {
        let state = &state;
        async move {
            let points = points(state, &ticker, now, interval, Duration::hours(hours)).await?;
            Ok::<_, ApiError>(Series { ticker, points })
        }
    }))
    .await?;
    Ok(with_cache(Trends { interval: interval.label(), range, as_of: now, series }, PUBLIC))
}
