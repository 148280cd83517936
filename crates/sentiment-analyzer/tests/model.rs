//! The sentiment models through the real binary: `eval`, `score --explain`, model choice.

mod support;

use serde_json::Value;
use support::{command, run, text};

const FIXTURE: &str = "sentence\tlabel
Acme beats quarterly estimates and raises its full-year outlook\tpositive
Shares of Acme plunge after a profit warning\tnegative
Acme will hold its annual general meeting on Tuesday\tneutral
Acme cuts guidance as demand weakens\tnegative
";

fn fixture() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.tsv");
    std::fs::write(&path, FIXTURE).unwrap();
    let path = path.display().to_string();
    (dir, path)
}

fn eval_json(args: &[&str]) -> Value {
    let out = run(command(args));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "one JSON object: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn eval_json_reports_metrics_for_each_model() {
    let (_dir, path) = fixture();
    for model in ["encoder", "linear"] {
        let report = eval_json(&["eval", &path, "--model", model, "--json"]);
        assert_eq!(report["model"], model, "{report}");
        assert_eq!(report["examples"], 4);
        let confusion = report["confusion"].as_array().unwrap();
        let total: u64 =
            confusion.iter().flat_map(|r| r.as_array().unwrap()).map(|n| n.as_u64().unwrap()).sum();
        assert_eq!(total, 4);
        let support: Vec<u64> =
            report["classes"].as_array().unwrap().iter().map(|c| c["support"].as_u64().unwrap()).collect();
        assert_eq!(support, vec![2, 1, 1], "negative, neutral, positive");
        let accuracy = report["accuracy"].as_f64().unwrap();
        let diagonal: u64 = (0..3).map(|i| confusion[i][i].as_u64().unwrap()).sum();
        assert!((accuracy - diagonal as f64 / 4.0).abs() < 1e-12, "{report}");
        assert!(report["micros_per_text"].as_f64().unwrap() > 0.0);
    }
    // These four are clear-cut; the encoder gets them all.
    let encoder = eval_json(&["eval", &path, "--model", "encoder", "--json"]);
    assert_eq!(encoder["accuracy"], 1.0, "{encoder}");
    assert!(encoder["version"].as_str().unwrap().starts_with("minilm-l6-finetuned-int8-"));
}

#[test]
fn eval_reads_twitter_csv_labels_and_prints_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tweets.csv");
    std::fs::write(&path, "text,label\n\"Acme shares plunge, guidance cut\",0\nAcme beats estimates,1\nAcme to present at conference,2\n").unwrap();
    let out = run(command(&["eval", &path.display().to_string(), "--model", "linear"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for needle in ["accuracy", "macro-F1", "confusion", "µs per text", "examples 3"] {
        assert!(stdout.contains(needle), "{needle} missing from:\n{stdout}");
    }
}

#[test]
fn eval_refuses_bad_files_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.tsv");
    std::fs::write(&path, "sentence\tlabel\nfine\tpositive\nodd\tbullish\n").unwrap();
    let out = run(command(&["eval", &path.display().to_string(), "--model", "linear"]));
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 3") && stderr.contains("bullish"), "{stderr}");
    let missing = run(command(&["eval", "/nonexistent/file.tsv", "--model", "linear"]));
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("/nonexistent/file.tsv"));
}

#[test]
fn score_explain_names_the_words_that_moved_the_score() {
    let out = run(command(&["score", "--explain", "Acme shares plunge after profit warning"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(line["label"], "negative", "{line}");
    let words = line["explanation"].as_array().unwrap();
    assert!(!words.is_empty() && words.len() <= 5, "{line}");
    assert!(words.iter().any(|w| w["word"] == "plunge" || w["word"] == "warning"), "{line}");
    // Removing a word that made the headline negative raises the score.
    assert!(words[0]["effect"].as_f64().unwrap() < 0.0, "{line}");
}

#[test]
fn a_required_encoder_that_is_missing_stops_start_up() {
    let empty = tempfile::tempdir().unwrap();
    let out = run(command(&["score", "x"])
        .env("SENTIMENT_MODEL", "encoder")
        .env("SENTIMENT_MODEL_DIR", empty.path()));
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no encoder weights"), "{stderr}");

    // Without SENTIMENT_MODEL the linear model takes over, and says so.
    let out = run(command(&["score", "Record profit"]).env("SENTIMENT_MODEL_DIR", empty.path()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("sentiment model: linear"), "{}", text(&out.stderr));
    let line: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert!(line["model"].as_str().unwrap().starts_with("linear-ngram-v1-"), "{line}");
}

#[test]
fn train_writes_the_shipped_model_byte_for_byte_and_reports_progress() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("linear.bin");
    let out = run(command(&["train", "--out", &out_path.display().to_string()]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read(&out_path).unwrap();
    let shipped =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../scoring/model/linear-v1.bin")).unwrap();
    assert!(written == shipped, "train wrote different bytes from the shipped model");
    // Standard error is a pipe here, so progress comes as plain lines, one per epoch.
    let stderr = text(&out.stderr);
    assert!(stderr.contains("epoch 1/") && !stderr.contains('\r'), "{stderr}");
    let stdout = text(&out.stdout);
    for needle in
        ["twitter valid (2388 rows): accuracy", "news valid (437 rows): accuracy", "linear-ngram-v1-"]
    {
        assert!(stdout.contains(needle), "{needle} missing from:\n{stdout}");
    }
}

/// After a model change, `rescore` gives every stored article the new model's score and
/// explanation, moves the aggregates by the difference (the ticker views then equal a store
/// ingested with the new model from the start), and a second run has nothing to do.
#[test]
fn rescore_moves_stored_articles_to_the_new_model_exactly() {
    let ingest = |dir: &std::path::Path, model: &str| {
        let dir = dir.to_str().unwrap();
        let args = [
            "ingest",
            "--once",
            "--data-dir",
            dir,
            "--source",
            "sample",
            "--lookback",
            "2d",
            "--model",
            model,
        ];
        let out = run(command(&args));
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let rescore = |dir: &std::path::Path| {
        let out = run(command(&["rescore", "--data-dir", dir.to_str().unwrap(), "--model", "encoder"]));
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let (old, fresh) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let stored = ingest(old.path(), "linear")["new"].as_u64().unwrap();
    assert!(stored > 5, "the sample's last two days hold some stories");
    ingest(fresh.path(), "encoder");

    let done = rescore(old.path());
    assert_eq!(done["examined"], stored, "{done}");
    assert_eq!(done["rescored"], stored, "{done}");
    let again = rescore(old.path());
    assert_eq!((again["rescored"].as_u64(), again["current"].as_u64()), (Some(0), Some(stored)), "{again}");

    // Same articles and the same per-ticker views as the store the encoder filled. The two
    // stores were filled seconds apart (the sample is dated from now), so recency weights may
    // differ in the last digits; counts may not.
    let views = |dir: &std::path::Path| {
        let server =
            support::Server::start(dir, &["--source", "sample", "--lookback", "2d", "--model", "encoder"]);
        let (status, articles) = server.get("/api/v2/articles?limit=100");
        assert_eq!(status, 200);
        let mut tickers = Vec::new();
        for t in ["AAPL", "MSFT", "NVDA", "TSLA"] {
            let (status, view) = server.get(&format!("/api/v2/tickers/{t}/sentiment?window=7d"));
            assert_eq!(status, 200, "{view}");
            tickers.push(view);
        }
        (articles, tickers)
    };
    let (old_articles, old_tickers) = views(old.path());
    let (fresh_articles, fresh_tickers) = views(fresh.path());
    let sentiments = |page: &Value| -> Vec<(Value, Value, Value)> {
        page["articles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["id"].clone(), a["sentiment"].clone(), a["explanation"].clone()))
            .collect()
    };
    assert_eq!(sentiments(&old_articles), sentiments(&fresh_articles));
    assert!(
        old_articles["articles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| !a["explanation"]["words"].as_array().unwrap().is_empty()),
        "the encoder explains what it scores: {old_articles}"
    );
    for (old, fresh) in old_tickers.iter().zip(&fresh_tickers) {
        assert_eq!(old["counts"], fresh["counts"], "{old} vs {fresh}");
        for source in ["tiingo", "finnhub"] {
            assert_eq!(old["sources"][source]["articles"], fresh["sources"][source]["articles"]);
        }
        let (a, b) = (old["score"].as_f64(), fresh["score"].as_f64());
        assert_eq!(a.is_some(), b.is_some());
        assert!((a.unwrap_or(0.0) - b.unwrap_or(0.0)).abs() < 1e-3, "{old} vs {fresh}");
    }
    assert!(old_tickers.iter().any(|t| !t["drivers"].as_array().unwrap().is_empty()), "{old_tickers:?}");
}
