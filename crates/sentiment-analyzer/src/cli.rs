//! Command-line flags. Each flag overrides the environment variable of the same setting
//! (`startup::settings::VARIABLES` lists them, with their defaults); `Settings` reads both,
//! so the CLI and the Lambdas share names, defaults and validation. API keys are read from the
//! environment only, so they never show in `ps`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use startup::settings;

#[derive(Parser, Debug)]
#[command(name = "sentiment-analyzer", version, about = "Per-ticker sentiment from financial news")]
pub struct Cli {
    /// Log line format: text or json [env: SENTIMENT_LOG_FORMAT] [default: text].
    #[arg(long, global = true)]
    pub log_format: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API and the dashboard, ingesting at start and then on an interval.
    Serve(ServeArgs),
    /// Run the ingestion pipeline and print a JSON summary per run.
    Ingest(IngestArgs),
    /// Score texts and print one JSON object per text.
    Score(ScoreArgs),
    /// Measure a model on a labelled file: accuracy, macro-F1, per-class precision and
    /// recall, confusion matrix, time per text.
    Eval(EvalArgs),
    /// Retrain the linear model from the vendored data and write it where the build reads it.
    Train(TrainArgs),
    /// Create the DynamoDB table from the schema (or check an existing one against it).
    CreateTable(StoreArgs),
    /// Re-score stored articles after a model change: each article another model version
    /// scored gets the current model's score and explanation, and its tickers' aggregates move
    /// by the difference. Prints a JSON summary; safe to stop and run again.
    Rescore(RescoreArgs),
}

#[derive(Args, Debug)]
pub struct RescoreArgs {
    /// Re-score every article, also those the current model version already scored.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Args, Debug, Clone, Default)]
pub struct StoreArgs {
    /// embedded or dynamodb [env: SENTIMENT_STORE] [default: embedded].
    #[arg(long)]
    pub store: Option<String>,
    /// Embedded store directory [env: SENTIMENT_DATA_DIR] [default: ./data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// DynamoDB table [env: SENTIMENT_TABLE] [default: sentiment-analyzer-local].
    #[arg(long)]
    pub table: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct PipelineArgs {
    /// sample or live [env: SENTIMENT_SOURCE] [default: live if a key is set, else sample].
    #[arg(long)]
    pub source: Option<String>,
    /// Tickers always ingested [env: SENTIMENT_WATCHLIST] [default: AAPL,MSFT,NVDA,AMZN,GOOGL,META,TSLA,JPM].
    #[arg(long)]
    pub watchlist: Option<String>,
    /// How far back each run asks [env: SENTIMENT_LOOKBACK] [default: 30d sample, 2d live].
    #[arg(long)]
    pub lookback: Option<String>,
    /// Tiingo API base URL [env: TIINGO_BASE_URL].
    #[arg(long)]
    pub tiingo_base_url: Option<String>,
    /// Finnhub API base URL [env: FINNHUB_BASE_URL].
    #[arg(long)]
    pub finnhub_base_url: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ModelArgs {
    /// encoder or linear [env: SENTIMENT_MODEL] [default: encoder if its weights are found, else linear].
    #[arg(long)]
    pub model: Option<String>,
    /// Directory of the encoder's files [env: SENTIMENT_MODEL_DIR] [default: <exe dir>/model/encoder, else the checkout's].
    #[arg(long)]
    pub model_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on [env: SENTIMENT_ADDR] [default: 127.0.0.1:8080].
    #[arg(long)]
    pub addr: Option<String>,
    /// Time between ingestion runs [env: SENTIMENT_INGEST_EVERY] [default: 15m].
    #[arg(long, alias = "ingest-every")]
    pub every: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Run once and exit (otherwise repeat every --every until interrupted).
    #[arg(long)]
    pub once: bool,
    /// Time between runs without --once [env: SENTIMENT_INGEST_EVERY] [default: 15m].
    #[arg(long)]
    pub every: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// Texts to score; `-` reads one text per line from standard input.
    #[arg(required = true)]
    pub texts: Vec<String>,
    /// Also list the words that moved each score most (each word is removed in turn and the
    /// text re-scored, so this costs one extra pass per word, for up to 40 words).
    #[arg(long)]
    pub explain: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// A TSV `sentence<TAB>label` with a header (positive, negative, neutral) or a CSV
    /// `text,label` with twitter-financial-news labels (0 negative, 1 positive, 2 neutral).
    pub file: PathBuf,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Where to write the model [default: the source checkout's crates/scoring/model/linear-v1.bin].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also measure the trained model on this labelled file (TSV or CSV, as `eval` reads).
    #[arg(long)]
    pub eval: Option<PathBuf>,
}

/// The flags given on the command line, by the variable they override.
#[derive(Debug, Default)]
pub struct Overrides(Vec<(&'static str, String)>);

impl Overrides {
    fn set(&mut self, variable: settings::Variable, value: Option<impl ToString>) {
        if let Some(value) = value {
            self.0.push((variable.name, value.to_string()));
        }
    }

    pub fn with_store(mut self, args: &StoreArgs) -> Self {
        self.set(settings::STORE, args.store.as_ref());
        self.set(settings::DATA_DIR, args.data_dir.as_ref().map(|d| d.display()));
        self.set(settings::TABLE, args.table.as_ref());
        self
    }

    pub fn with_pipeline(mut self, args: &PipelineArgs) -> Self {
        self.set(settings::SOURCE, args.source.as_ref());
        self.set(settings::WATCHLIST, args.watchlist.as_ref());
        self.set(settings::LOOKBACK, args.lookback.as_ref());
        self.set(settings::TIINGO_BASE_URL, args.tiingo_base_url.as_ref());
        self.set(settings::FINNHUB_BASE_URL, args.finnhub_base_url.as_ref());
        self
    }

    pub fn with_model(mut self, args: &ModelArgs) -> Self {
        self.set(settings::MODEL, args.model.as_ref());
        self.set(settings::MODEL_DIR, args.model_dir.as_ref().map(|d| d.display()));
        self
    }

    pub fn with(mut self, variable: settings::Variable, value: Option<&String>) -> Self {
        self.set(variable, value);
        self
    }

    /// The settings: a flag wins over its variable, a variable over the default.
    pub fn settings(&self) -> Result<startup::Settings, startup::SettingsError> {
        startup::Settings::from_lookup(startup::Host::Cli, |name| {
            self.0
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .or_else(|| std::env::var(name).ok())
        })
    }
}
