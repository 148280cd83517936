//! The bundled corpus: shape, spread, freshness and cross-source duplicates.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use domain::source::{FetchRequest, NewsSource};
use domain::{ArticleId, FakeClock, SourceKind};
use sources::sample::{self, SampleSource};

#[tokio::test]
async fn corpus_is_recent_wide_and_overlapping() {
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
    let clock = Arc::new(FakeClock::at(now));
    let request = FetchRequest::new(sample::tickers(), now - Duration::days(60), now);
    let mut by_source: HashMap<SourceKind, Vec<domain::RawArticle>> = HashMap::new();
    for source in SampleSource::both(clock.clone()) {
        let fetched = source.fetch(&request).await.unwrap();
        assert!(fetched.rejected.is_empty(), "{:?}", fetched.rejected);
        by_source.insert(source.kind(), fetched.articles);
    }
    let all: Vec<_> = by_source.values().flatten().collect();
    assert_eq!(all.len(), 594, "344 Tiingo and 250 Finnhub items");

    let tickers: BTreeSet<_> = all.iter().flat_map(|a| a.tickers.iter().cloned()).collect();
    for t in sample::tickers() {
        assert!(tickers.contains(&t), "{t} missing");
    }
    let newest = all.iter().map(|a| a.published_at).max().unwrap();
    let oldest = all.iter().map(|a| a.published_at).min().unwrap();
    assert!(now - newest <= Duration::minutes(10), "newest item is recent: {newest}");
    assert!(newest - oldest >= Duration::days(14), "spread over at least 14 days");

    let ids = |kind| by_source[&kind].iter().map(|a| a.id()).collect::<BTreeSet<ArticleId>>();
    let shared = ids(SourceKind::Tiingo).intersection(&ids(SourceKind::Finnhub)).count();
    assert_eq!(shared, 90, "stories both vendors report");
}

#[tokio::test]
async fn corpus_is_filtered_by_ticker_and_time() {
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
    let clock = Arc::new(FakeClock::at(now));
    let aapl = domain::Ticker::parse("AAPL").unwrap();
    let request = FetchRequest::new(vec![aapl.clone()], now - Duration::days(2), now);
    let source = SampleSource::new(SourceKind::Finnhub, clock);
    let fetched = source.fetch(&request).await.unwrap();
    assert!(!fetched.articles.is_empty());
    for a in &fetched.articles {
        assert!(a.tickers.contains(&aapl));
        assert!(a.published_at >= request.since);
    }
}
