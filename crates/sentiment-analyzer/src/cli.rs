//! Command-line flags. Every flag can also be set through the environment variable named in
//! its help; API keys are read from the environment only, so they never show in `ps`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(name = "sentiment-analyzer", version, about = "Per-ticker sentiment from financial news")]
pub struct Cli {
    /// Log line format.
    #[arg(long, env = "SENTIMENT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API on an embedded store, ingesting at start and then on an interval.
    Serve(ServeArgs),
    /// Run the ingestion pipeline and print a JSON summary per run.
    Ingest(IngestArgs),
    /// Score texts and print one JSON object per text.
    Score(ScoreArgs),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SourceChoice {
    /// The bundled offline corpus.
    Sample,
    /// Tiingo and Finnhub, with TIINGO_API_KEY / FINNHUB_API_KEY.
    Live,
}

#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// Directory holding the embedded store (created if missing).
    #[arg(long, env = "SENTIMENT_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct PipelineArgs {
    /// News source; defaults to live when an API key is set, else sample.
    #[arg(long, env = "SENTIMENT_SOURCE", value_enum)]
    pub source: Option<SourceChoice>,
    /// Tickers always ingested, besides those in users' configurations.
    #[arg(long, env = "SENTIMENT_WATCHLIST", default_value = domain::ticker::DEFAULT_WATCHLIST)]
    pub watchlist: String,
    /// How far back each run asks for news [default: 30d for sample, 2d for live].
    #[arg(long, env = "SENTIMENT_LOOKBACK")]
    pub lookback: Option<humantime::Duration>,
    /// Tiingo API base URL (for proxies and tests).
    #[arg(long, env = "TIINGO_BASE_URL", default_value = sources::tiingo::DEFAULT_BASE_URL)]
    pub tiingo_base_url: String,
    /// Finnhub API base URL (for proxies and tests).
    #[arg(long, env = "FINNHUB_BASE_URL", default_value = sources::finnhub::DEFAULT_BASE_URL)]
    pub finnhub_base_url: String,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SENTIMENT_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// Time between ingestion runs.
    #[arg(long, env = "SENTIMENT_INGEST_EVERY", default_value = "15m")]
    pub ingest_every: humantime::Duration,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Run once and exit (otherwise repeat every --every until interrupted).
    #[arg(long, env = "SENTIMENT_INGEST_ONCE")]
    pub once: bool,
    /// Time between runs without --once.
    #[arg(long, env = "SENTIMENT_INGEST_EVERY", default_value = "15m")]
    pub every: humantime::Duration,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// Texts to score; `-` reads one text per line from standard input.
    #[arg(required = true)]
    pub texts: Vec<String>,
}
