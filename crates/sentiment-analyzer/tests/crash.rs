//! A real `ingest` killed in the middle of its writes (a fault-injecting store aborts the
//! process at its Nth write), then run again, stores every story exactly once with exact
//! aggregates: the same totals as one uninterrupted run.

mod support;

use std::path::Path;
use std::sync::Arc;

use chrono::{Duration, Utc};
use domain::SystemClock;
use domain::store::Store;
use domain::table::{aggregates, articles};
use store_embedded::EmbeddedStore;
use support::{command, run, text};

fn ingest(dir: &Path, abort_after: Option<usize>) -> std::process::Output {
    let mut cmd = command(&[
        "ingest",
        "--once",
        "--data-dir",
        dir.to_str().unwrap(),
        "--source",
        "sample",
        "--model",
        "linear",
    ]);
    if let Some(n) = abort_after {
        cmd.env("SENTIMENT_FAULT_ABORT_AFTER_WRITES", n.to_string());
    }
    run(cmd)
}

/// Stories stored, and per sample ticker the articles its hourly aggregates count.
async fn totals(dir: &Path) -> (usize, Vec<(String, i64)>) {
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(dir, Arc::new(SystemClock)).unwrap());
    let now = Utc::now();
    let mut stories = 0;
    let mut cursor = None;
    loop {
        let page = articles::feed(&*store, now + Duration::hours(1), 100, cursor).await.unwrap();
        stories += page.articles.len();
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut per_ticker = Vec::new();
    for ticker in sources::sample::tickers() {
        let buckets = aggregates::load(&*store, &ticker, now - Duration::days(60), now + Duration::hours(1))
            .await
            .unwrap();
        per_ticker.push((ticker.to_string(), buckets.iter().map(|b| b.articles()).sum()));
    }
    (stories, per_ticker)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_mid_write_and_run_again_stores_each_story_once() {
    let clean = tempfile::tempdir().unwrap();
    let out = ingest(clean.path(), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let expected = totals(clean.path()).await;
    assert!(expected.0 > 300, "{expected:?}");

    // Killed early, in the middle, and late in its writes (several in flight at once); each
    // story is at least one write.
    let stories = expected.0;
    for abort_after in [3, stories / 2, stories - 5] {
        let dir = tempfile::tempdir().unwrap();
        let killed = ingest(dir.path(), Some(abort_after));
        assert!(!killed.status.success(), "the fault fired at write {abort_after}");
        assert!(text(&killed.stderr).contains("fault injection: aborting"), "{}", text(&killed.stderr));
        let partial = totals(dir.path()).await;
        assert!(partial.0 < expected.0, "killed at write {abort_after} but everything was stored");

        let resumed = ingest(dir.path(), None);
        assert!(resumed.status.success(), "{}", text(&resumed.stderr));
        assert_eq!(totals(dir.path()).await, expected, "killed at write {abort_after}, then resumed");
        let again = ingest(dir.path(), None);
        let summary: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
        assert_eq!(summary["new"], 0, "{summary}");
    }
}
