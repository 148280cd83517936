//! The Rust encoder against the golden files the Python exporter wrote: tokens must match
//! exactly, logits to 1e-3; and a damaged or missing model must fail with a clear error.

use std::path::{Path, PathBuf};

use scoring::encoder::{self, CHECKOUT_DIR, WEIGHTS_FILE, WordPiece, normalise};
use scoring::{Classifier, Encoder, EncoderError, ModelKind, SelectError};
use serde::Deserialize;

fn dir() -> &'static Path {
    Path::new(CHECKOUT_DIR)
}

fn jsonl<T: for<'de> Deserialize<'de>>(name: &str) -> Vec<T> {
    let text = std::fs::read_to_string(dir().join("golden").join(name)).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[derive(Deserialize)]
struct GoldenTokens {
    text: String,
    normalised: String,
    input_ids: Vec<u32>,
}

#[derive(Deserialize)]
struct GoldenLogits {
    variant: String,
    text: String,
    input_ids: Vec<u32>,
    logits: Vec<f32>,
}

#[test]
fn tokenisation_matches_the_training_tokenizer_on_every_golden_text() {
    let vocab = std::fs::read_to_string(dir().join("vocab.txt")).unwrap();
    let wp = WordPiece::new(&vocab, 128).unwrap();
    let golden: Vec<GoldenTokens> = jsonl("tokens.jsonl");
    assert_eq!(golden.len(), 200);
    let mut wrong = Vec::new();
    for g in &golden {
        let normalised = normalise(&g.text);
        let ids = wp.encode(&normalised);
        if normalised != g.normalised || ids != g.input_ids {
            wrong.push(format!(
                "{:?}\n  normalised {normalised:?} want {:?}\n  ids {ids:?}\n  want {:?}",
                g.text, g.normalised, g.input_ids
            ));
        }
    }
    assert!(wrong.is_empty(), "{} of {} differ:\n{}", wrong.len(), golden.len(), wrong.join("\n"));
}

#[test]
fn logits_match_the_reference_forward_pass_alone_and_batched() {
    let model = Encoder::load(dir()).unwrap();
    let golden: Vec<GoldenLogits> =
        jsonl("logits.jsonl").into_iter().filter(|g: &GoldenLogits| g.variant == "int8").collect();
    assert_eq!(golden.len(), 50);
    let ids: Vec<Vec<u32>> = golden.iter().map(|g| model.token_ids(&g.text)).collect();
    for (g, ids) in golden.iter().zip(&ids) {
        assert_eq!(ids, &g.input_ids, "{:?}", g.text);
    }
    // One padded batch of all fifty, then a few one at a time.
    let batched = model.logits_for_ids(&ids).unwrap();
    let mut worst = 0f32;
    for (g, got) in golden.iter().zip(&batched) {
        for (a, b) in got.iter().zip(&g.logits) {
            worst = worst.max((a - b).abs());
        }
    }
    assert!(worst < 1e-3, "largest logit difference {worst}");
    for (g, ids) in golden.iter().zip(&ids).take(3) {
        let alone = model.logits_for_ids(std::slice::from_ref(ids)).unwrap();
        for (a, b) in alone[0].iter().zip(&g.logits) {
            assert!((a - b).abs() < 1e-3, "{:?}: {:?} vs {:?}", g.text, alone[0], g.logits);
        }
    }
    assert!(model.version().starts_with("minilm-l6-finetuned-int8-"));
}

/// A copy of the shipped model directory that a test may damage.
fn copy_model() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["config.json", "labels.json", "vocab.txt", WEIGHTS_FILE, "SHA256SUMS"] {
        std::fs::copy(dir().join(name), tmp.path().join(name)).unwrap();
    }
    tmp
}

#[test]
fn damaged_weights_are_refused_with_the_file_named() {
    let tmp = copy_model();
    let path = tmp.path().join(WEIGHTS_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let err = Encoder::load(tmp.path()).err().expect("damaged weights must not load");
    assert!(matches!(err, EncoderError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains(WEIGHTS_FILE), "{err}");

    // The same for an encoder found by default: damage is an error, not a silent fallback.
    let err = scoring::select(None, Some(tmp.path())).err().expect("must fail");
    assert!(matches!(err, SelectError::Encoder { .. }), "{err}");
}

#[test]
fn a_file_missing_from_the_checksums_is_refused() {
    let tmp = copy_model();
    let sums = std::fs::read_to_string(tmp.path().join("SHA256SUMS")).unwrap();
    let without: String =
        sums.lines().filter(|l| !l.ends_with("vocab.txt")).map(|l| format!("{l}\n")).collect();
    std::fs::write(tmp.path().join("SHA256SUMS"), without).unwrap();
    let err = Encoder::load(tmp.path()).err().expect("must fail").to_string();
    assert!(err.contains("does not list vocab.txt"), "{err}");
}

#[test]
fn missing_weights_fall_back_unless_the_encoder_is_required() {
    let empty = tempfile::tempdir().unwrap();
    let chosen = scoring::select(None, Some(empty.path())).unwrap();
    assert_eq!(chosen.scorer.kind(), ModelKind::Linear);
    assert!(chosen.reason.contains("no encoder weights"), "{}", chosen.reason);

    let err = scoring::select(Some(ModelKind::Encoder), Some(empty.path())).err().expect("must fail");
    assert!(err.to_string().contains(&empty.path().display().to_string()), "{err}");
    assert!(err.to_string().contains("SENTIMENT_MODEL=encoder"), "{err}");
}

#[test]
fn the_checkout_is_one_of_the_default_places() {
    let dirs = encoder::default_dirs();
    assert_eq!(dirs.last(), Some(&PathBuf::from(CHECKOUT_DIR)));
    assert!(encoder::find_dir(&dirs).is_some());
}

#[test]
fn the_encoder_scores_clear_headlines_and_explains_them() {
    let chosen = scoring::select(Some(ModelKind::Encoder), None).unwrap();
    let scorer = chosen.scorer;
    let up = scorer.score_article("Acme beats estimates and raises its full-year guidance", None).unwrap();
    assert_eq!(up.label, domain::SentimentLabel::Positive);
    let down = scorer.score_article("Acme shares plunge after profit warning", None).unwrap();
    assert_eq!(down.label, domain::SentimentLabel::Negative);
    let e = scorer.explain("Acme shares plunge after profit warning", 3).unwrap();
    assert!(!e.words.is_empty() && e.words.len() <= 3);
    assert!(e.words.iter().any(|w| w.word == "plunge" || w.word == "warning"), "{:?}", e.words);
}
