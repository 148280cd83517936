//! The shipped model is reproducible from the vendored data and does its job.

use domain::SentimentLabel;
use domain::model::SentimentModel;
use scoring::train;

#[test]
fn shipped_model_is_exactly_what_training_produces() {
    let retrained = train::train_shipped().expect("vendored data trains");
    assert!(
        retrained.to_json() == scoring::SHIPPED_MODEL_JSON,
        "model/naive-bayes-v1.json is stale: run `cargo run --release -p sentiment-analyzer -- train`"
    );
}

#[test]
fn held_out_quality_beats_the_majority_baseline_clearly() {
    let train_set = train::vendored("train").expect("train split");
    let valid = train::vendored("valid").expect("valid split");
    let model = train::calibrate(train::fit(&train_set), &valid);
    let metrics = train::evaluate(&model, &valid);
    let majority =
        valid.iter().filter(|(_, l)| *l == SentimentLabel::Neutral).count() as f64 / valid.len() as f64;
    assert!(metrics.accuracy > majority + 0.10, "accuracy {} vs majority {majority}", metrics.accuracy);
    assert!(metrics.macro_f1 > 0.65, "macro-F1 {}", metrics.macro_f1);
}

#[test]
fn obvious_headlines_get_obvious_labels() {
    let model = scoring::shipped();
    let cases = [
        (
            "Shares plunge after company slashes guidance and misses earnings estimates",
            SentimentLabel::Negative,
        ),
        ("Stock falls as regulators open fraud probe into accounting", SentimentLabel::Negative),
        ("Shares surge after record quarterly profit beats estimates", SentimentLabel::Positive),
        ("Analyst upgrades stock to buy, raises price target", SentimentLabel::Positive),
        ("Company to present at investor conference on Tuesday", SentimentLabel::Neutral),
    ];
    for (text, expected) in cases {
        let s = model.score(text);
        assert_eq!(s.label, expected, "{text}: {s:?}");
    }
}

#[test]
fn scores_are_well_formed_for_any_text() {
    let model = scoring::shipped();
    let long = "gain ".repeat(10_000);
    for text in ["", "   ", "🚀🚀🚀", "\u{0}\u{1}", long.as_str(), "NOT not no never n't"] {
        let s = model.score(text);
        assert!((-1.0..=1.0).contains(&s.score), "{text:?}: {s:?}");
        assert!((0.0..=1.0).contains(&s.confidence), "{text:?}: {s:?}");
        assert!(s.confidence >= 1.0 / 3.0 - 1e-9, "the winning class has at least a third");
    }
    assert_eq!(model.version(), "nb-v1");
}

#[test]
fn bad_model_files_are_rejected() {
    assert!(scoring::NaiveBayes::from_json("{}").is_err());
    let wrong_classes =
        scoring::SHIPPED_MODEL_JSON.replacen("\"positive\",\"negative\"", "\"negative\",\"positive\"", 1);
    assert!(scoring::NaiveBayes::from_json(&wrong_classes).is_err());
}
