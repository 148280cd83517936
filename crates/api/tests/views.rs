//! Sentiment views through the real router, on three articles with hand-computed answers
//! (the formulas are in docs/sentiment.md).
//!
//! Now is 2026-11-30 12:00 UTC; half-life 24 h. AAPL has:
//! - A1 11:30 today, +0.6 positive, Tiingo            (hour 11:00: age 1 h, weight 0.5^(1/24) = 0.97153)
//! - A2 2026-11-29 12:30, -0.4 negative, both sources  (hour 12:00: age 24 h, weight 0.5)
//! - A3 2026-11-20 12:00, -0.8 negative, Finnhub       (age 240 h, weight 0.5^10 = 0.00098)
//!
//! 7-day score: (0.97153 x 0.6 - 0.5 x 0.4) / 1.47153 = 0.2602, positive; confidence
//! 2 / (2 + 5) x 1/2 = 0.1429. 30-day score with A3: 0.2595. Tiingo (A1, A2) 0.2602;
//! Finnhub over 7 days (A2) -0.4, over 30 days (A2, A3) -0.4008. MSFT has nothing.

use std::collections::BTreeSet;
use std::sync::Arc;

use api::{AppState, router};
use axum::body::Body;
use axum::http::Request;
use chrono::{DateTime, TimeZone, Utc};
use domain::table::articles;
use domain::{Article, ArticleId, FakeClock, Sentiment, SentimentLabel, SourceCredit, SourceKind, Ticker};
use serde_json::{Value, json};
use store_embedded::EmbeddedStore;
use tower::ServiceExt;

fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap()
}

fn article(
    title: &str,
    published_at: DateTime<Utc>,
    score: f64,
    label: SentimentLabel,
    sources: &[SourceKind],
) -> Article {
    Article {
        id: ArticleId::for_title(title),
        title: title.into(),
        summary: None,
        url: "https://example.test/a".into(),
        published_at,
        tickers: [Ticker::parse("AAPL").unwrap()].into_iter().collect(),
        credits: sources
            .iter()
            .map(|&source| SourceCredit {
                source,
                item_id: title.into(),
                url: "https://example.test/a".into(),
                publisher: "example.test".into(),
            })
            .collect(),
        sentiment: Sentiment { label, score, confidence: 0.9 },
        model_version: "test".into(),
        explanation: None,
        ingested_at: published_at,
    }
}

struct World {
    app: axum::Router,
}

async fn world() -> World {
    let clock = Arc::new(FakeClock::at(at(30, 12, 0)));
    let store = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    use SentimentLabel::*;
    use SourceKind::*;
    for a in [
        article("A1", at(30, 11, 30), 0.6, Positive, &[Tiingo]),
        article("A2", at(29, 12, 30), -0.4, Negative, &[Tiingo, Finnhub]),
        article("A3", at(20, 12, 0), -0.8, Negative, &[Finnhub]),
    ] {
        articles::record(&*store, &a).await.unwrap();
    }
    World { app: router(AppState::new(store, clock, BTreeSet::new())) }
}

impl World {
    async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.send("GET", path, token, None).await
    }

    async fn send(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(b) => {
                request = request.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        let response = self.app.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// A session and a configuration of AAPL (weight 2) and MSFT (weight 1) over 7 days.
    async fn watchlist(&self) -> (String, String) {
        let (_, session) = self.send("POST", "/api/v2/auth/anonymous", None, None).await;
        let token = session["token"].as_str().unwrap().to_owned();
        let body = json!({"name": "Mine", "tickers": [{"symbol": "AAPL", "weight": 2}, "MSFT"], "timeframe_days": 7});
        let (status, config) = self.send("POST", "/api/v2/configurations", Some(&token), Some(body)).await;
        assert_eq!(status, 201, "{config}");
        (token, config["config_id"].as_str().unwrap().to_owned())
    }
}

#[tokio::test]
async fn a_configurations_sentiment_weighs_its_tickers() {
    let w = world().await;
    let (token, id) = w.watchlist().await;
    let (status, body) = w.get(&format!("/api/v2/configurations/{id}/sentiment"), Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["window"], "7d");
    let aapl = &body["tickers"][0];
    assert_eq!(aapl["ticker"], "AAPL");
    assert_eq!(aapl["weight"], 2.0);
    assert_eq!(aapl["status"], "ok");
    assert_eq!(aapl["score"], 0.2602);
    assert_eq!(aapl["label"], "positive");
    assert_eq!(aapl["confidence"], 0.1429);
    assert_eq!(aapl["counts"], json!({"positive": 1, "negative": 1, "neutral": 0, "total": 2}));
    assert_eq!(aapl["sources"]["tiingo"], json!({"score": 0.2602, "label": "positive", "articles": 2}));
    assert_eq!(aapl["sources"]["finnhub"], json!({"score": -0.4, "label": "negative", "articles": 1}));
    let msft = &body["tickers"][1];
    assert_eq!((msft["status"].as_str(), &msft["score"]), (Some("no_data"), &Value::Null));
    // MSFT has no data, so it does not dilute the weighted score.
    assert_eq!(body["score"], 0.2602);
    assert_eq!(body["label"], "positive");
}

#[tokio::test]
async fn history_has_every_bucket_including_empty_ones() {
    let w = world().await;
    let (token, id) = w.watchlist().await;
    let (status, body) = w
        .get(&format!("/api/v2/configurations/{id}/sentiment/AAPL/history?days=2&interval=1d"), Some(&token))
        .await;
    assert_eq!(status, 200, "{body}");
    let buckets = body["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 2);
    assert_eq!(buckets[0]["start"], "2026-11-29T00:00:00Z");
    assert_eq!((&buckets[0]["score"], &buckets[0]["articles"]), (&json!(-0.4), &json!(1)));
    assert_eq!((&buckets[1]["score"], &buckets[1]["label"]), (&json!(0.6), &json!("positive")));

    let (_, body) =
        w.get(&format!("/api/v2/configurations/{id}/sentiment/aapl/history?days=1"), Some(&token)).await;
    let buckets = body["buckets"].as_array().unwrap();
    assert_eq!((buckets.len(), body["interval"].as_str()), (24, Some("1h")));
    assert_eq!(buckets[0]["start"], "2026-11-29T13:00:00Z");
    assert_eq!(buckets[22]["start"], "2026-11-30T11:00:00Z");
    assert_eq!(buckets[22]["score"], 0.6);
    let empty = buckets.iter().filter(|b| b["score"].is_null() && b["articles"] == 0).count();
    assert_eq!(empty, 23, "empty hours are explicit");

    for (path, status) in [
        ("sentiment/NVDA/history", 404),
        ("sentiment/AAPL/history?days=0", 400),
        ("sentiment/AAPL/history?days=91", 400),
        ("sentiment/AAPL/history?interval=6h", 400),
        ("sentiment/BAD!/history", 400),
    ] {
        let (got, body) = w.get(&format!("/api/v2/configurations/{id}/{path}"), Some(&token)).await;
        assert_eq!(got, status, "{path}: {body}");
    }
}

#[tokio::test]
async fn heatmaps_by_source_and_by_period() {
    let w = world().await;
    let (token, id) = w.watchlist().await;
    let (status, body) = w.get(&format!("/api/v2/configurations/{id}/heatmap"), Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["view"], "sources");
    assert_eq!(body["columns"], json!(["tiingo", "finnhub"]));
    assert_eq!(
        body["rows"][0],
        json!({"ticker": "AAPL", "cells": [
            {"column": "tiingo", "score": 0.2602, "label": "positive", "articles": 2},
            {"column": "finnhub", "score": -0.4, "label": "negative", "articles": 1},
        ]})
    );
    assert_eq!(
        body["rows"][1]["cells"][0],
        json!({"column": "tiingo", "score": null, "label": null, "articles": 0})
    );

    let (_, body) = w.get(&format!("/api/v2/configurations/{id}/heatmap?view=periods"), Some(&token)).await;
    assert_eq!(body["columns"], json!(["24h", "7d", "30d"]));
    let cells = &body["rows"][0]["cells"];
    assert_eq!((&cells[0]["score"], &cells[0]["articles"]), (&json!(0.2602), &json!(2)));
    assert_eq!((&cells[1]["score"], &cells[1]["articles"]), (&json!(0.2602), &json!(2)));
    assert_eq!((&cells[2]["score"], &cells[2]["articles"]), (&json!(0.2595), &json!(3)));

    let (status, _) = w.get(&format!("/api/v2/configurations/{id}/heatmap?view=cubes"), Some(&token)).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn views_of_another_users_configuration_are_404_and_need_a_session() {
    let w = world().await;
    let (_, id) = w.watchlist().await;
    let (other, _) = w.watchlist().await;
    for path in ["sentiment", "heatmap", "sentiment/AAPL/history"] {
        let (status, _) = w.get(&format!("/api/v2/configurations/{id}/{path}"), Some(&other)).await;
        assert_eq!(status, 404, "{path}");
        let (status, _) = w.get(&format!("/api/v2/configurations/{id}/{path}"), None).await;
        assert_eq!(status, 401, "{path}");
    }
}

#[tokio::test]
async fn public_sentiment_and_trends_need_no_session() {
    let w = world().await;
    let (status, body) = w.get("/api/v2/sentiment?tickers=AAPL,msft,AAPL", None).await;
    assert_eq!(status, 200, "{body}");
    let tickers = body["tickers"].as_array().unwrap();
    assert_eq!(tickers.len(), 2, "duplicates are asked once");
    assert_eq!((&tickers[0]["score"], &tickers[0]["confidence"]), (&json!(0.2602), &json!(0.1429)));
    assert_eq!(
        (tickers[1]["ticker"].as_str(), tickers[1]["status"].as_str()),
        (Some("MSFT"), Some("no_data"))
    );
    let (_, body) = w.get("/api/v2/sentiment?tickers=AAPL&window=30d", None).await;
    assert_eq!(body["tickers"][0]["score"], 0.2595);
    assert_eq!(body["tickers"][0]["sources"]["finnhub"]["score"], -0.4008);

    let (status, body) = w.get("/api/v2/trends?tickers=AAPL&interval=1d&range=7d", None).await;
    assert_eq!(status, 200, "{body}");
    let points = body["series"][0]["points"].as_array().unwrap();
    assert_eq!(points.len(), 7);
    assert_eq!(points[0]["start"], "2026-11-24T00:00:00Z");
    assert_eq!((&points[5]["score"], &points[6]["score"]), (&json!(-0.4), &json!(0.6)));
    let (_, body) = w.get("/api/v2/trends?tickers=AAPL,MSFT&interval=6h&range=24h", None).await;
    assert_eq!(body["series"][0]["points"].as_array().unwrap().len(), 4);
    assert_eq!(body["series"][1]["points"][3]["articles"], 0);

    let many = (0..21).map(|i| format!("T{}", (b'A' + i) as char)).collect::<Vec<_>>().join(",");
    for path in [
        "/api/v2/sentiment".to_owned(),
        "/api/v2/sentiment?tickers=".to_owned(),
        format!("/api/v2/sentiment?tickers={many}"),
        "/api/v2/sentiment?tickers=AAPL&window=1y".to_owned(),
        "/api/v2/sentiment?tickers=TOOLONG".to_owned(),
        "/api/v2/trends?tickers=AAPL&interval=2h".to_owned(),
        "/api/v2/trends?tickers=AAPL&range=1y".to_owned(),
    ] {
        let (status, body) = w.get(&path, None).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body["error"]["code"].is_string());
    }
}

#[tokio::test]
async fn articles_can_be_filtered_by_label_across_pages() {
    let w = world().await;
    // Newest first: A1 positive, A2 negative, A3 negative.
    let (status, body) = w.get("/api/v2/articles?ticker=AAPL&sentiment=negative&limit=1", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["articles"][0]["title"], "A2", "the positive newest article is skipped");
    let cursor = body["next_cursor"].as_str().unwrap().to_owned();
    let (_, body) = w
        .get(&format!("/api/v2/articles?ticker=AAPL&sentiment=negative&limit=1&cursor={cursor}"), None)
        .await;
    assert_eq!(body["articles"][0]["title"], "A3");
    let (_, body) = w.get("/api/v2/articles?sentiment=positive", None).await;
    let titles: Vec<&str> =
        body["articles"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["A1"]);
    let (status, _) = w.get("/api/v2/articles?sentiment=happy", None).await;
    assert_eq!(status, 400);
}
