//! The bundled offline corpus: real Tiingo and Finnhub response bodies (written for this
//! project by `tools/generate-sample-corpus.py`), parsed by the same code as live responses
//! and re-based in time so that the newest item is a few minutes old whenever it is loaded.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use domain::source::{FetchRequest, Fetched, NewsSource, SourceError};
use domain::{Clock, SourceKind, Ticker};

use crate::{finnhub, tiingo};

const TIINGO_NEWS: &str = include_str!("../sample/tiingo-news.json");
const FINNHUB_COMPANY_NEWS: [(&str, &str); 8] = [
    ("AAPL", include_str!("../sample/finnhub-company-news/AAPL.json")),
    ("AMZN", include_str!("../sample/finnhub-company-news/AMZN.json")),
    ("GOOGL", include_str!("../sample/finnhub-company-news/GOOGL.json")),
    ("JPM", include_str!("../sample/finnhub-company-news/JPM.json")),
    ("META", include_str!("../sample/finnhub-company-news/META.json")),
    ("MSFT", include_str!("../sample/finnhub-company-news/MSFT.json")),
    ("NVDA", include_str!("../sample/finnhub-company-news/NVDA.json")),
    ("TSLA", include_str!("../sample/finnhub-company-news/TSLA.json")),
];
/// How old the newest sample item is made to look.
const NEWEST_AGE: Duration = Duration::minutes(5);

/// The tickers the corpus covers.
pub fn tickers() -> Vec<Ticker> {
    FINNHUB_COMPANY_NEWS.iter().filter_map(|(t, _)| Ticker::parse(t).ok()).collect()
}

/// Both halves of the corpus, parsed once, with their original timestamps.
struct Corpus {
    tiingo: Fetched,
    finnhub: Vec<(Ticker, Fetched)>,
    newest: DateTime<Utc>,
}

/// The corpus, parsed on first use. It is compiled in, so a failure here is a build defect
/// that every fetch reports rather than a panic.
fn corpus() -> Result<&'static Corpus, SourceError> {
    static CORPUS: std::sync::OnceLock<Result<Corpus, SourceError>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(load).as_ref().map_err(Clone::clone)
}

fn load() -> Result<Corpus, SourceError> {
    let tiingo = tiingo::parse_news(200, TIINGO_NEWS.as_bytes())?;
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    let mut finnhub = Vec::new();
    for (symbol, body) in FINNHUB_COMPANY_NEWS {
        let ticker = Ticker::parse(symbol).map_err(|e| SourceError::Malformed(e.to_string()))?;
        let fetched = finnhub::parse_company_news(200, None, epoch, &ticker, body.as_bytes())?;
        finnhub.push((ticker, fetched));
    }
    let newest = tiingo
        .articles
        .iter()
        .chain(finnhub.iter().flat_map(|(_, f)| f.articles.iter()))
        .map(|a| a.published_at)
        .max()
        .unwrap_or(epoch);
    Ok(Corpus { tiingo, finnhub, newest })
}

/// Serves one vendor's half of the corpus.
pub struct SampleSource {
    kind: SourceKind,
    clock: Arc<dyn Clock>,
}

impl SampleSource {
    pub fn new(kind: SourceKind, clock: Arc<dyn Clock>) -> Self {
        Self { kind, clock }
    }

    /// One sample source per vendor format.
    pub fn both(clock: Arc<dyn Clock>) -> Vec<Arc<dyn NewsSource>> {
        SourceKind::ALL
            .iter()
            .map(|k| Arc::new(Self::new(*k, Arc::clone(&clock))) as Arc<dyn NewsSource>)
            .collect()
    }
}

#[async_trait]
impl NewsSource for SampleSource {
    fn kind(&self) -> SourceKind {
        self.kind
    }

    async fn fetch(&self, request: &FetchRequest) -> Result<Fetched, SourceError> {
        let corpus = corpus()?;
        // Whole seconds, so re-based times look like the vendors' own.
        let shift = Duration::seconds(((self.clock.now() - NEWEST_AGE) - corpus.newest).num_seconds());
        let wanted = |tickers: &std::collections::BTreeSet<Ticker>| {
            request.tickers.iter().any(|t| tickers.contains(t))
        };
        let mut out = match self.kind {
            SourceKind::Tiingo => Fetched {
                articles: corpus
                    .tiingo
                    .articles
                    .iter()
                    .filter(|a| a.tickers.is_empty() || wanted(&a.tickers))
                    .cloned()
                    .collect(),
                rejected: corpus.tiingo.rejected.clone(),
                ..Fetched::default()
            },
            SourceKind::Finnhub => {
                let mut f = Fetched::default();
                for (_, fetched) in corpus.finnhub.iter().filter(|(t, _)| request.tickers.contains(t)) {
                    f.articles.extend(fetched.articles.iter().cloned());
                    f.rejected.absorb(fetched.rejected.clone());
                }
                f
            }
        };
        for article in &mut out.articles {
            article.published_at += shift;
        }
        out.keep_window(request.since, request.until);
        Ok(out)
    }
}
