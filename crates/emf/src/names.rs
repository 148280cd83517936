//! The service's metric contract: the namespace, dimension and metric names that the alarms
//! and dashboard in `infrastructure/terraform/modules/monitoring` read (its README lists which
//! code emits each, with which dimension sets). A typo here is a metric no alarm sees, so the
//! emitting code names them through these constants, never as string literals.

/// The namespace of every metric the service emits.
pub const NAMESPACE: &str = "SentimentAnalyzer";

pub mod dimension {
    /// The value of `SENTIMENT_ENVIRONMENT`; on every metric.
    pub const ENVIRONMENT: &str = "Environment";
    /// A news vendor: `tiingo` or `finnhub`.
    pub const SOURCE: &str = "Source";
    /// A quota window: minute, hour, day or month.
    pub const WINDOW: &str = "Window";
    /// A dashboard API route.
    pub const ROUTE: &str = "Route";
}

pub mod metric {
    // Ingestion, per run: `[Environment]`.
    pub const NEW_ARTICLES: &str = "NewArticles";
    pub const INGESTION_DURATION_MS: &str = "IngestionDurationMs";
    /// Events a run put on its sink (`SENTIMENT_EVENTS`), and those it could not.
    pub const EVENTS_PUBLISHED: &str = "EventsPublished";
    pub const EVENTS_FAILED: &str = "EventsFailed";
    // Ingestion, per run and source: `[Environment, Source]`.
    pub const ARTICLES_FETCHED: &str = "ArticlesFetched";
    pub const DUPLICATES_SKIPPED: &str = "DuplicatesSkipped";
    pub const SOURCE_ERRORS: &str = "SourceErrors";
    pub const CIRCUIT_OPEN: &str = "CircuitOpen";
    // Ingestion, per run, source and window: `[Environment, Source, Window]`, rolled up to
    // `[Environment, Source]`.
    pub const QUOTA_REMAINING: &str = "QuotaRemaining";
    // Dashboard API, per request: `[Environment, Route]`, rolled up to `[Environment]`.
    pub const API_REQUESTS: &str = "ApiRequests";
    pub const API_5XX: &str = "Api5xx";
    pub const API_429: &str = "Api429";
    pub const API_LATENCY_MS: &str = "ApiLatencyMs";
}
