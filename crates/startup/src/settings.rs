//! The service's configuration. Every setting has one variable name, read from the
//! environment (or, for the CLI, from a flag that overrides it), one default, and one parser
//! that fails fast with a message naming the variable. `VARIABLES` lists them all; the README
//! documents each (a test checks it).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use domain::Ticker;
use domain::ticker::{DEFAULT_WATCHLIST, parse_ticker_list};
use secrecy::SecretString;

/// Who is starting: defaults differ where the runtime does (a Lambda has a shared table,
/// read-only code and JSON logs; a developer's machine has a data directory and a terminal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    Cli,
    Lambda,
}

/// One configuration variable: its name, the CLI flag that overrides it (if any), what it
/// defaults to, and what it is for.
#[derive(Clone, Copy, Debug)]
pub struct Variable {
    pub name: &'static str,
    pub flag: Option<&'static str>,
    pub default: &'static str,
    pub help: &'static str,
}

pub const STORE: Variable = Variable {
    name: "SENTIMENT_STORE",
    flag: Some("--store"),
    default: "embedded (CLI), dynamodb (Lambda)",
    help: "embedded (a redb file in SENTIMENT_DATA_DIR) or dynamodb (SENTIMENT_TABLE; endpoint, region and credentials from the AWS SDK's standard configuration)",
};
pub const DATA_DIR: Variable = Variable {
    name: "SENTIMENT_DATA_DIR",
    flag: Some("--data-dir"),
    default: "./data (CLI), /tmp/sentiment-analyzer (Lambda)",
    help: "directory of the embedded store, created if missing",
};
pub const TABLE: Variable = Variable {
    name: "SENTIMENT_TABLE",
    flag: Some("--table"),
    default: "sentiment-analyzer-local",
    help: "DynamoDB table (Terraform sets sentiment-analyzer-{env})",
};
pub const WATCHLIST: Variable = Variable {
    name: "SENTIMENT_WATCHLIST",
    flag: Some("--watchlist"),
    default: DEFAULT_WATCHLIST,
    help: "tickers always ingested, besides those in users' configurations",
};
pub const ENVIRONMENT: Variable = Variable {
    name: "SENTIMENT_ENVIRONMENT",
    flag: None,
    default: "local",
    help: "environment name on metrics and logs (preprod, prod)",
};
pub const LOG_FORMAT: Variable = Variable {
    name: "SENTIMENT_LOG_FORMAT",
    flag: Some("--log-format"),
    default: "text (CLI), json (Lambda)",
    help: "text or json; the level comes from RUST_LOG",
};
pub const ADDR: Variable = Variable {
    name: "SENTIMENT_ADDR",
    flag: Some("--addr"),
    default: "127.0.0.1:8080",
    help: "address `serve` listens on (:0 picks a free port; the log line names it)",
};
pub const INGEST_EVERY: Variable = Variable {
    name: "SENTIMENT_INGEST_EVERY",
    flag: Some("--every"),
    default: "15m",
    help: "time between ingestion runs of `serve` and of `ingest` without --once",
};
pub const SOURCE: Variable = Variable {
    name: "SENTIMENT_SOURCE",
    flag: Some("--source"),
    default: "live if a vendor key or secret is set, else sample (CLI); live (Lambda)",
    help: "sample (the bundled corpus) or live (Tiingo and Finnhub)",
};
pub const LOOKBACK: Variable = Variable {
    name: "SENTIMENT_LOOKBACK",
    flag: Some("--lookback"),
    default: "30d (sample), 2d (live)",
    help: "how far back each run asks for news",
};
pub const SESSION_TTL: Variable = Variable {
    name: "SENTIMENT_SESSION_TTL",
    flag: None,
    default: "30d",
    help: "lifetime of an anonymous session; extending it slides it by this much (1m to 365d)",
};
pub const MAX_CONFIGS: Variable = Variable {
    name: "SENTIMENT_MAX_CONFIGS",
    flag: None,
    default: "5",
    help: "configurations (watchlists) per user (1 to 100)",
};
pub const MAX_TICKERS: Variable = Variable {
    name: "SENTIMENT_MAX_TICKERS",
    flag: None,
    default: "10",
    help: "tickers per configuration (1 to 90)",
};
pub const RATE_LIMITS: Variable = Variable {
    name: "SENTIMENT_RATE_LIMITS",
    flag: None,
    default: "anonymous_session=10/1h,config_write=30/1h,read=300/1m,default=100/1m",
    help: "API rate limits per action as action=limit/window (s, m, h, d); actions not named keep their defaults",
};
pub const TRUSTED_PROXIES: Variable = Variable {
    name: "SENTIMENT_TRUSTED_PROXIES",
    flag: None,
    default: "none",
    help: "peers whose X-Forwarded-For first hop is the client address: * or IPs and CIDR networks, comma-separated",
};
pub const CORS_ORIGINS: Variable = Variable {
    name: "SENTIMENT_CORS_ORIGINS",
    flag: None,
    default: "none",
    help: "browser origins allowed to call the API: * or origins like https://app.example.com, comma-separated",
};
pub const TIINGO_KEY: Variable = Variable {
    name: "TIINGO_API_KEY",
    flag: None,
    default: "none",
    help: "Tiingo API key (environment only, never a flag)",
};
pub const FINNHUB_KEY: Variable = Variable {
    name: "FINNHUB_API_KEY",
    flag: None,
    default: "none",
    help: "Finnhub API key (environment only, never a flag)",
};
pub const TIINGO_SECRET_ARN: Variable = Variable {
    name: "TIINGO_SECRET_ARN",
    flag: None,
    default: "none",
    help: "Secrets Manager secret holding the Tiingo key (Lambda; read once per container)",
};
pub const FINNHUB_SECRET_ARN: Variable = Variable {
    name: "FINNHUB_SECRET_ARN",
    flag: None,
    default: "none",
    help: "Secrets Manager secret holding the Finnhub key (Lambda; read once per container)",
};
pub const TIINGO_BASE_URL: Variable = Variable {
    name: "TIINGO_BASE_URL",
    flag: Some("--tiingo-base-url"),
    default: sources::tiingo::DEFAULT_BASE_URL,
    help: "Tiingo API base URL (for proxies and tests)",
};
pub const FINNHUB_BASE_URL: Variable = Variable {
    name: "FINNHUB_BASE_URL",
    flag: Some("--finnhub-base-url"),
    default: sources::finnhub::DEFAULT_BASE_URL,
    help: "Finnhub API base URL (for proxies and tests)",
};
pub const MODEL: Variable = Variable {
    name: "SENTIMENT_MODEL",
    flag: Some("--model"),
    default: "encoder if its weights are found, else linear",
    help: "sentiment model: encoder (fine-tuned MiniLM; start-up fails if its weights are missing) or linear (word counts, compiled in, microseconds per headline)",
};
pub const MODEL_DIR: Variable = Variable {
    name: "SENTIMENT_MODEL_DIR",
    flag: Some("--model-dir"),
    default: "<executable's dir>/model/encoder, else the source checkout's crates/scoring/model/encoder",
    help: "directory of the encoder's files (config.json, vocab.txt, model.int8.safetensors, SHA256SUMS)",
};

pub const QUOTAS: Variable = Variable {
    name: "SENTIMENT_QUOTAS",
    flag: None,
    default: "tiingo=50/1h;1000/1d;500 symbols/1mo,finnhub=60/1m;30/1s",
    help: "upstream quotas, shared by every run and container: <source>=<max>/<window>;... with windows like 30s, 1m, 1h, 1d, 1mo; `<max> symbols/<window>` counts distinct symbols; a source not named keeps its defaults",
};
pub const CIRCUIT_BREAKER: Variable = Variable {
    name: "SENTIMENT_CIRCUIT_BREAKER",
    flag: None,
    default: "failure_threshold=5,open_for=60s,half_open_probes=1",
    help: "per-source circuit breaker: consecutive failed calls that open it, how long it stays open, probe calls allowed when half-open",
};
pub const EVENTS: Variable = Variable {
    name: "SENTIMENT_EVENTS",
    flag: None,
    default: "log (CLI), eventbridge (Lambda)",
    help: "where ingestion runs announce events (docs/events.md): log (one JSON line per event on stderr, with the logs), webhook=URL (POST per event, retried, 5s timeout), eventbridge (the bus SENTIMENT_EVENT_BUS) or none",
};
pub const EVENT_BUS: Variable = Variable {
    name: "SENTIMENT_EVENT_BUS",
    flag: None,
    default: "sentiment-analyzer-local (CLI); required in Lambda",
    help: "EventBridge bus of SENTIMENT_EVENTS=eventbridge (Terraform sets sentiment-analyzer-{env}); endpoint, region and credentials from the AWS SDK's standard configuration",
};
pub const SHIFTS: Variable = Variable {
    name: "SENTIMENT_SHIFTS",
    flag: None,
    default: "threshold=0.3,hysteresis=0.05,min_interval=6h,window=7d",
    help: "when a ticker's sentiment counts as shifted (docs/sentiment.md): a move of more than threshold, or a label change past the boundary by hysteresis; at most one shift per ticker per min_interval; scores over window. Keys not named keep their defaults",
};

/// Every variable the service reads.
pub const VARIABLES: &[Variable] = &[
    STORE,
    QUOTAS,
    CIRCUIT_BREAKER,
    DATA_DIR,
    TABLE,
    WATCHLIST,
    ENVIRONMENT,
    LOG_FORMAT,
    ADDR,
    INGEST_EVERY,
    SOURCE,
    LOOKBACK,
    SESSION_TTL,
    MAX_CONFIGS,
    MAX_TICKERS,
    RATE_LIMITS,
    TRUSTED_PROXIES,
    CORS_ORIGINS,
    TIINGO_KEY,
    FINNHUB_KEY,
    TIINGO_SECRET_ARN,
    FINNHUB_SECRET_ARN,
    TIINGO_BASE_URL,
    FINNHUB_BASE_URL,
    MODEL,
    MODEL_DIR,
    EVENTS,
    EVENT_BUS,
    SHIFTS,
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", describe(.variable))]
pub struct SettingsError {
    pub variable: Variable,
    pub message: String,
}

impl PartialEq for Variable {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Variable {}

fn describe(variable: &Variable) -> String {
    match variable.flag {
        Some(flag) => format!("{flag} ({})", variable.name),
        None => variable.name.to_owned(),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreSettings {
    Embedded { data_dir: PathBuf },
    DynamoDb { table: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceChoice {
    Sample,
    Live,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where a vendor's key comes from.
#[derive(Debug)]
pub enum KeySource {
    Value(SecretString),
    /// A Secrets Manager secret, read once per container.
    SecretArn(String),
}

#[derive(Debug)]
pub struct Vendor {
    pub base_url: String,
    pub key: Option<KeySource>,
}

/// Which sentiment model to run, and where the encoder's files are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelSettings {
    /// None: the encoder when its weights are found, else the linear model.
    pub kind: Option<scoring::ModelKind>,
    /// None: search `scoring::encoder::default_dirs()`.
    pub dir: Option<PathBuf>,
}

/// Where events go (`SENTIMENT_EVENTS`).
#[derive(Clone, Debug)]
pub enum EventSinkChoice {
    None,
    Log,
    Webhook(event_sinks::WebhookConfig),
    EventBridge,
}

#[derive(Clone, Debug)]
pub struct EventSettings {
    pub sink: EventSinkChoice,
    /// `SENTIMENT_EVENT_BUS` as set: the CLI falls back to [`EventSettings::LOCAL_BUS`]; the
    /// ingestion Lambda refuses to start without it (Terraform sets it).
    pub bus: Option<String>,
    pub rule: domain::shift::ShiftRule,
}

/// A bus name (1 to 256 of letters, digits, `.`, `-`, `_`, `/`) or a bus ARN.
fn event_bus(raw: &str) -> Result<String, String> {
    let name_ok = |name: &str| {
        (1..=256).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/'))
    };
    let ok = match raw.strip_prefix("arn:") {
        Some(arn) => arn.split_once(":event-bus/").is_some_and(|(_, name)| name_ok(name)),
        None => name_ok(raw),
    };
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(format!("{:?} is not an EventBridge bus name or ARN", domain::text::preview(raw)))
    }
}

impl EventSettings {
    pub const LOCAL_BUS: &'static str = "sentiment-analyzer-local";
}

fn event_sink(raw: &str) -> Result<EventSinkChoice, String> {
    match raw.split_once('=') {
        None if raw == "log" => Ok(EventSinkChoice::Log),
        None if raw == "eventbridge" => Ok(EventSinkChoice::EventBridge),
        None if raw == "none" => Ok(EventSinkChoice::None),
        Some(("webhook", url)) => event_sinks::webhook::parse_url(url.trim())
            .map(|url| EventSinkChoice::Webhook(event_sinks::WebhookConfig::new(url))),
        // The value may be a URL with a token in it: never repeat it.
        _ => Err("must be log, webhook=URL, eventbridge or none".into()),
    }
}

fn shift_rule(raw: &str) -> Result<domain::shift::ShiftRule, String> {
    let mut rule = domain::shift::ShiftRule::default();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(format!("{:?} is not key=value", domain::text::preview(part)));
        };
        let number = |max: f64| {
            value.trim().parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0 && *x <= max).ok_or_else(
                || format!("{key} must be a number from 0 to {max}, got {:?}", domain::text::preview(value)),
            )
        };
        let period = || {
            duration(value.trim())
                .ok()
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .filter(|d| *d <= chrono::Duration::days(90))
                .ok_or_else(|| {
                    format!(
                        "{key} must be a duration from 1s to 90d like 6h, got {:?}",
                        domain::text::preview(value)
                    )
                })
        };
        match key.trim() {
            "threshold" => {
                rule.threshold = number(2.0)?;
                if rule.threshold == 0.0 {
                    return Err("threshold must be more than 0".into());
                }
            }
            "hysteresis" => rule.hysteresis = number(0.14)?,
            "min_interval" => rule.min_interval = period()?,
            "window" => {
                rule.window = period()?;
                // Scores come from hourly aggregates: a window is a whole number of hours.
                if rule.window < chrono::Duration::hours(1) || rule.window.num_seconds() % 3600 != 0 {
                    return Err(format!(
                        "window must be whole hours from 1h to 90d (scores are kept per hour), got {:?}",
                        domain::text::preview(value)
                    ));
                }
            }
            other => {
                return Err(format!(
                    "unknown key {:?}; the keys are threshold, hysteresis, min_interval and window",
                    domain::text::preview(other)
                ));
            }
        }
    }
    Ok(rule)
}

#[derive(Debug)]
pub struct Settings {
    pub host: Host,
    pub store: StoreSettings,
    pub watchlist: BTreeSet<Ticker>,
    pub environment: String,
    pub log_format: LogFormat,
    pub addr: SocketAddr,
    pub ingest_every: Duration,
    pub source: SourceChoice,
    pub lookback: chrono::Duration,
    pub accounts: api::AccountLimits,
    pub rate_limits: api::RateLimits,
    pub trusted_proxies: api::TrustedProxies,
    pub cors: api::cors::AllowedOrigins,
    pub tiingo: Vendor,
    pub finnhub: Vendor,
    pub model: ModelSettings,
    pub quotas: quota::Quotas,
    pub breaker: circuit_breaker::BreakerConfig,
    pub events: EventSettings,
}

/// Reads variables through `get`, trimming values and treating empty ones as unset.
struct Reader<F> {
    get: F,
}

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    fn raw(&self, variable: Variable) -> Option<String> {
        (self.get)(variable.name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    fn parse<T>(
        &self,
        variable: Variable,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, SettingsError> {
        self.raw(variable)
            .map(|raw| parse(&raw).map_err(|message| SettingsError { variable, message }))
            .transpose()
    }
}

fn duration(raw: &str) -> Result<Duration, String> {
    let parsed = humantime::parse_duration(raw)
        .map_err(|e| format!("{raw:?} is not a duration like 15m or 2d ({e})"))?;
    if parsed.is_zero() { Err("must be longer than zero".into()) } else { Ok(parsed) }
}

impl Settings {
    pub fn from_env(host: Host) -> Result<Self, SettingsError> {
        Self::from_lookup(host, |name| std::env::var(name).ok())
    }

    pub fn from_lookup(host: Host, get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let r = Reader { get };
        let store_kind = r
            .parse(STORE, |raw| match raw {
                "embedded" => Ok(false),
                "dynamodb" => Ok(true),
                other => Err(format!("must be embedded or dynamodb, got {:?}", domain::text::preview(other))),
            })?
            .unwrap_or(host == Host::Lambda);
        let store = if store_kind {
            StoreSettings::DynamoDb { table: r.raw(TABLE).unwrap_or_else(|| TABLE.default.to_owned()) }
        } else {
            let default = match host {
                Host::Cli => "./data",
                Host::Lambda => "/tmp/sentiment-analyzer",
            };
            StoreSettings::Embedded {
                data_dir: PathBuf::from(r.raw(DATA_DIR).unwrap_or_else(|| default.to_owned())),
            }
        };
        let watchlist = r
            .parse(WATCHLIST, parse_ticker_list)?
            .unwrap_or_else(|| parse_ticker_list(DEFAULT_WATCHLIST).unwrap_or_default());
        let log_format = r
            .parse(LOG_FORMAT, |raw| match raw {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                other => Err(format!("must be text or json, got {:?}", domain::text::preview(other))),
            })?
            .unwrap_or(match host {
                Host::Cli => LogFormat::Text,
                Host::Lambda => LogFormat::Json,
            });
        let addr = r
            .parse(ADDR, |raw| {
                raw.parse::<SocketAddr>().map_err(|_| {
                    format!("{:?} is not an address like 127.0.0.1:8080", domain::text::preview(raw))
                })
            })?
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let ingest_every = r.parse(INGEST_EVERY, duration)?.unwrap_or(Duration::from_secs(15 * 60));

        let key = |value: Variable, arn: Variable| -> Option<KeySource> {
            r.raw(value)
                .map(|k| KeySource::Value(SecretString::from(k)))
                .or_else(|| r.raw(arn).map(KeySource::SecretArn))
        };
        let tiingo = Vendor {
            base_url: r.raw(TIINGO_BASE_URL).unwrap_or_else(|| TIINGO_BASE_URL.default.to_owned()),
            key: key(TIINGO_KEY, TIINGO_SECRET_ARN),
        };
        let finnhub = Vendor {
            base_url: r.raw(FINNHUB_BASE_URL).unwrap_or_else(|| FINNHUB_BASE_URL.default.to_owned()),
            key: key(FINNHUB_KEY, FINNHUB_SECRET_ARN),
        };
        let has_key = tiingo.key.is_some() || finnhub.key.is_some();
        let source = r
            .parse(SOURCE, |raw| match raw {
                "sample" => Ok(SourceChoice::Sample),
                "live" => Ok(SourceChoice::Live),
                other => Err(format!("must be sample or live, got {:?}", domain::text::preview(other))),
            })?
            .unwrap_or(if host == Host::Lambda || has_key {
                SourceChoice::Live
            } else {
                SourceChoice::Sample
            });
        let lookback = r
            .parse(LOOKBACK, |raw| {
                let d = duration(raw)?;
                chrono::Duration::from_std(d)
                    .ok()
                    .filter(|d| *d <= chrono::Duration::days(365))
                    .ok_or_else(|| "at most 365d".to_owned())
            })?
            .unwrap_or(match source {
                SourceChoice::Sample => chrono::Duration::days(30),
                SourceChoice::Live => chrono::Duration::days(2),
            });
        let defaults = api::AccountLimits::default();
        let count = |max: usize| {
            move |raw: &str| match raw.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(format!(
                    "must be a whole number from 1 to {max}, got {:?}",
                    domain::text::preview(raw)
                )),
            }
        };
        let accounts = api::AccountLimits {
            session_ttl: r
                .parse(SESSION_TTL, |raw| {
                    let d = duration(raw)?;
                    chrono::Duration::from_std(d)
                        .ok()
                        .filter(|d| *d >= chrono::Duration::minutes(1) && *d <= chrono::Duration::days(365))
                        .ok_or_else(|| "must be from 1m to 365d".to_owned())
                })?
                .unwrap_or(defaults.session_ttl),
            max_configurations: r.parse(MAX_CONFIGS, count(100))?.unwrap_or(defaults.max_configurations),
            max_tickers: r
                .parse(MAX_TICKERS, count(domain::configuration::MAX_TICKERS_PER_CONFIG))?
                .unwrap_or(defaults.max_tickers),
        };
        let rate_limits = r.parse(RATE_LIMITS, api::RateLimits::parse)?.unwrap_or_default();
        let trusted_proxies = r.parse(TRUSTED_PROXIES, api::TrustedProxies::parse)?.unwrap_or_default();
        let cors = r.parse(CORS_ORIGINS, api::cors::AllowedOrigins::parse)?.unwrap_or_default();
        let model = ModelSettings {
            kind: r.parse(MODEL, |raw| {
                raw.parse::<scoring::ModelKind>()
                    .map_err(|_| format!("must be encoder or linear, got {:?}", domain::text::preview(raw)))
            })?,
            dir: r.raw(MODEL_DIR).map(PathBuf::from),
        };
        let quotas = r
            .parse(QUOTAS, |raw| raw.parse::<quota::Quotas>().map_err(|e| e.to_string()))?
            .unwrap_or_default();
        let breaker = r
            .parse(CIRCUIT_BREAKER, |raw| {
                raw.parse::<circuit_breaker::BreakerConfig>().map_err(|e| e.to_string())
            })?
            .unwrap_or_default();
        let sink = r.parse(EVENTS, event_sink)?.unwrap_or(match host {
            Host::Cli => EventSinkChoice::Log,
            Host::Lambda => EventSinkChoice::EventBridge,
        });
        let bus = r.parse(EVENT_BUS, event_bus)?;
        let events = EventSettings { sink, bus, rule: r.parse(SHIFTS, shift_rule)?.unwrap_or_default() };
        Ok(Self {
            host,
            store,
            events,
            quotas,
            breaker,
            watchlist,
            environment: r.raw(ENVIRONMENT).unwrap_or_else(|| ENVIRONMENT.default.to_owned()),
            log_format,
            addr,
            ingest_every,
            source,
            lookback,
            accounts,
            rate_limits,
            trusted_proxies,
            cors,
            tiingo,
            finnhub,
            model,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(host: Host, vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::from_lookup(host, |name| map.get(name).cloned())
    }

    #[test]
    fn defaults_differ_by_host_only_where_the_runtime_does() {
        let cli = settings(Host::Cli, &[]).unwrap();
        assert_eq!(cli.store, StoreSettings::Embedded { data_dir: "./data".into() });
        assert_eq!((cli.source, cli.log_format), (SourceChoice::Sample, LogFormat::Text));
        assert_eq!(cli.lookback, chrono::Duration::days(30));
        let lambda = settings(Host::Lambda, &[("FINNHUB_SECRET_ARN", "arn:aws:secretsmanager:x")]).unwrap();
        assert_eq!(lambda.store, StoreSettings::DynamoDb { table: "sentiment-analyzer-local".into() });
        assert_eq!((lambda.source, lambda.log_format), (SourceChoice::Live, LogFormat::Json));
        assert_eq!(lambda.lookback, chrono::Duration::days(2));
        assert_eq!(cli.watchlist, lambda.watchlist);
        let embedded_lambda =
            settings(Host::Lambda, &[("SENTIMENT_STORE", "embedded"), ("SENTIMENT_SOURCE", "sample")])
                .unwrap();
        assert_eq!(
            embedded_lambda.store,
            StoreSettings::Embedded { data_dir: "/tmp/sentiment-analyzer".into() }
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (vars, named) in [
            (vec![("SENTIMENT_STORE", "postgres")], "SENTIMENT_STORE"),
            (vec![("SENTIMENT_WATCHLIST", "AAPL,$$$")], "--watchlist (SENTIMENT_WATCHLIST)"),
            (vec![("SENTIMENT_LOOKBACK", "soon")], "SENTIMENT_LOOKBACK"),
            (vec![("SENTIMENT_INGEST_EVERY", "0s")], "SENTIMENT_INGEST_EVERY"),
            (vec![("SENTIMENT_ADDR", "nowhere")], "SENTIMENT_ADDR"),
            (vec![("SENTIMENT_SOURCE", "rss")], "SENTIMENT_SOURCE"),
            (vec![("SENTIMENT_MODEL", "bert")], "--model (SENTIMENT_MODEL)"),
            (vec![("SENTIMENT_QUOTAS", "tiingo=50/1w")], "SENTIMENT_QUOTAS"),
            (vec![("SENTIMENT_CIRCUIT_BREAKER", "failure_threshold=0")], "SENTIMENT_CIRCUIT_BREAKER"),
            (vec![("SENTIMENT_EVENTS", "kafka")], "SENTIMENT_EVENTS"),
            (vec![("SENTIMENT_EVENTS", "webhook=ftp://example.test/x")], "SENTIMENT_EVENTS"),
            (vec![("SENTIMENT_EVENT_BUS", "my bus")], "SENTIMENT_EVENT_BUS"),
            (vec![("SENTIMENT_EVENT_BUS", "arn:aws:events:eu-west-1:1:rule/x")], "SENTIMENT_EVENT_BUS"),
            (vec![("SENTIMENT_SHIFTS", "threshold=0")], "SENTIMENT_SHIFTS"),
            (vec![("SENTIMENT_SHIFTS", "threshold=lots")], "SENTIMENT_SHIFTS"),
            (vec![("SENTIMENT_SHIFTS", "every=6h")], "SENTIMENT_SHIFTS"),
            (vec![("SENTIMENT_SHIFTS", "min_interval=soon")], "SENTIMENT_SHIFTS"),
            (vec![("SENTIMENT_SHIFTS", "window=30s")], "SENTIMENT_SHIFTS"),
            (vec![("SENTIMENT_SHIFTS", "window=90m")], "SENTIMENT_SHIFTS"),
        ] {
            let err = settings(Host::Cli, &vars).unwrap_err();
            assert!(err.to_string().contains(named), "{err}");
        }
    }

    #[test]
    fn events_go_to_the_log_locally_and_eventbridge_in_lambda() {
        let cli = settings(Host::Cli, &[]).unwrap();
        assert!(matches!(cli.events.sink, EventSinkChoice::Log));
        assert_eq!(cli.events.bus, None);
        assert_eq!(cli.events.rule, domain::shift::ShiftRule::default());
        let lambda = settings(
            Host::Lambda,
            &[
                ("FINNHUB_SECRET_ARN", "arn:aws:secretsmanager:x"),
                ("SENTIMENT_EVENT_BUS", "sentiment-analyzer-prod"),
            ],
        )
        .unwrap();
        assert!(matches!(lambda.events.sink, EventSinkChoice::EventBridge));
        assert_eq!(lambda.events.bus.as_deref(), Some("sentiment-analyzer-prod"));
        let arn = "arn:aws:events:eu-west-1:123456789012:event-bus/sentiment-analyzer-prod";
        assert_eq!(
            settings(Host::Cli, &[("SENTIMENT_EVENT_BUS", arn)]).unwrap().events.bus.as_deref(),
            Some(arn)
        );

        let tuned = settings(Host::Cli, &[("SENTIMENT_SHIFTS", "threshold=0.25, min_interval=1h")]).unwrap();
        let rule = tuned.events.rule;
        assert_eq!((rule.threshold, rule.hysteresis), (0.25, 0.05));
        assert_eq!((rule.min_interval, rule.window), (chrono::Duration::hours(1), chrono::Duration::days(7)));
        assert!(matches!(
            settings(Host::Cli, &[("SENTIMENT_EVENTS", "none")]).unwrap().events.sink,
            EventSinkChoice::None
        ));
    }

    #[test]
    fn a_webhook_url_is_never_shown_beyond_its_host() {
        let token = "T0KEN-b81f";
        let url = format!("https://hooks.example.test/services/{token}?sig={token}");
        let s = settings(Host::Cli, &[("SENTIMENT_EVENTS", &format!("webhook={url}"))]).unwrap();
        let EventSinkChoice::Webhook(config) = &s.events.sink else { panic!("{:?}", s.events.sink) };
        assert_eq!(config.url.as_str(), url);
        let debug = format!("{s:?}");
        assert!(debug.contains("hooks.example.test") && !debug.contains(token), "{debug}");
        let bad = format!("webhook=https//{token}");
        let error = settings(Host::Cli, &[("SENTIMENT_EVENTS", &bad)]).unwrap_err().to_string();
        assert!(!error.contains(token), "{error}");
    }

    #[test]
    fn model_choice_and_directory() {
        let default = settings(Host::Lambda, &[("FINNHUB_SECRET_ARN", "arn:aws:secretsmanager:x")]).unwrap();
        assert_eq!(default.model, ModelSettings { kind: None, dir: None });
        let chosen =
            settings(Host::Cli, &[("SENTIMENT_MODEL", "Linear"), ("SENTIMENT_MODEL_DIR", "/opt/model")])
                .unwrap();
        assert_eq!(
            chosen.model,
            ModelSettings { kind: Some(scoring::ModelKind::Linear), dir: Some("/opt/model".into()) }
        );
    }

    #[test]
    fn keys_are_secret_and_a_key_means_live() {
        let s = settings(Host::Cli, &[("TIINGO_API_KEY", " sk-123 ")]).unwrap();
        assert_eq!(s.source, SourceChoice::Live);
        assert!(!format!("{s:?}").contains("sk-123"), "Debug never shows a key");
    }

    #[test]
    fn the_readme_documents_every_variable() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
        for variable in VARIABLES {
            assert!(
                readme.contains(&format!("`{}`", variable.name)),
                "README does not document {}",
                variable.name
            );
        }
    }
}
