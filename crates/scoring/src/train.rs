//! Training and evaluation on labelled CSV (`text,label`; 0 negative, 1 positive, 2 neutral).

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use domain::SentimentLabel;

use crate::naive_bayes::{CLASSES, NaiveBayes};
use crate::tokenize::tokens;

pub const MODEL_VERSION: &str = "nb-v1";
/// Where the build reads the linear model from, in a source checkout.
pub const SHIPPED_MODEL_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/model/naive-bayes-v1.json");
/// Additive smoothing.
pub const ALPHA: f64 = 0.5;
/// Tokens seen fewer times than this in training are dropped.
pub const MIN_COUNT: u32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("bad CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("row {row}: label must be 0, 1 or 2, got {label:?}")]
    Label { row: usize, label: String },
}

pub type Example = (String, SentimentLabel);

pub fn read_csv(reader: impl Read) -> Result<Vec<Example>, TrainError> {
    let mut out = Vec::new();
    for (row, record) in csv::Reader::from_reader(reader).records().enumerate() {
        let record = record?;
        let label = match record.get(1).map(str::trim) {
            Some("0") => SentimentLabel::Negative,
            Some("1") => SentimentLabel::Positive,
            Some("2") => SentimentLabel::Neutral,
            other => return Err(TrainError::Label { row: row + 2, label: other.unwrap_or("").to_owned() }),
        };
        out.push((record.get(0).unwrap_or("").to_owned(), label));
    }
    Ok(out)
}

pub fn read_csv_file(path: &Path) -> Result<Vec<Example>, TrainError> {
    let file =
        std::fs::File::open(path).map_err(|source| TrainError::Io { path: path.to_owned(), source })?;
    read_csv(file)
}

/// The vendored training data, by split name (`train` or `valid`).
pub fn vendored(split: &str) -> Result<Vec<Example>, TrainError> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("data/twitter-financial-news/sent_{split}.csv"));
    read_csv_file(&path)
}

fn class_index(label: SentimentLabel) -> usize {
    CLASSES.iter().position(|c| *c == label).unwrap_or(2)
}

pub fn fit(examples: &[Example]) -> NaiveBayes {
    let mut docs = [0_f64; 3];
    let mut counts: HashMap<String, [u32; 3]> = HashMap::new();
    for (text, label) in examples {
        let class = class_index(*label);
        docs[class] += 1.0;
        for token in tokens(text) {
            counts.entry(token).or_default()[class] += 1;
        }
    }
    counts.retain(|_, c| c.iter().sum::<u32>() >= MIN_COUNT);
    let vocab_size = counts.len() as f64;
    let mut totals = [0_f64; 3];
    for c in counts.values() {
        for (total, n) in totals.iter_mut().zip(c) {
            *total += f64::from(*n);
        }
    }
    let n_docs: f64 = docs.iter().sum::<f64>().max(1.0);
    let log_priors = docs.map(|d| ((d + 1.0) / (n_docs + 3.0)).ln());
    let vocab = counts
        .into_iter()
        .map(|(token, c)| {
            let mut ll = [0.0; 3];
            for class in 0..3 {
                ll[class] = ((f64::from(c[class]) + ALPHA) / (totals[class] + ALPHA * vocab_size)).ln();
            }
            (token, ll)
        })
        .collect();
    NaiveBayes::new(MODEL_VERSION.to_owned(), 1.0, log_priors, vocab)
}

/// Mean negative log-likelihood of the true labels.
pub fn log_loss(model: &NaiveBayes, examples: &[Example]) -> f64 {
    let total: f64 = examples
        .iter()
        .map(|(text, label)| -model.probabilities(text)[class_index(*label)].max(1e-12).ln())
        .sum();
    total / examples.len().max(1) as f64
}

/// The temperature, on a fixed grid, that minimises log loss on `held_out`.
pub fn calibrate(model: NaiveBayes, held_out: &[Example]) -> NaiveBayes {
    let grid = (2..=60).map(|i| f64::from(i) * 0.25);
    let mut best = (f64::INFINITY, 1.0);
    for t in grid {
        let candidate = model.clone().with_temperature(t);
        let loss = log_loss(&candidate, held_out);
        if loss < best.0 {
            best = (loss, t);
        }
    }
    model.with_temperature(best.1)
}

#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    pub examples: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub log_loss: f64,
}

pub fn evaluate(model: &NaiveBayes, examples: &[Example]) -> Metrics {
    let mut confusion = [[0_u32; 3]; 3]; // [truth][predicted]
    for (text, label) in examples {
        let predicted = class_index(model.predict(text).label);
        confusion[class_index(*label)][predicted] += 1;
    }
    let correct: u32 = (0..3).map(|c| confusion[c][c]).sum();
    let f1 = |c: usize| {
        let tp = f64::from(confusion[c][c]);
        let predicted: f64 = (0..3).map(|t| f64::from(confusion[t][c])).sum();
        let actual: f64 = confusion[c].iter().map(|n| f64::from(*n)).sum();
        if tp == 0.0 { 0.0 } else { 2.0 * tp / (predicted + actual) }
    };
    Metrics {
        examples: examples.len(),
        accuracy: f64::from(correct) / examples.len().max(1) as f64,
        macro_f1: (f1(0) + f1(1) + f1(2)) / 3.0,
        log_loss: log_loss(model, examples),
    }
}

/// The shipped model: temperature fitted on the validation split with a train-only model,
/// then the counts refitted on train and validation together.
pub fn train_shipped() -> Result<NaiveBayes, TrainError> {
    let train = vendored("train")?;
    let valid = vendored("valid")?;
    let temperature = calibrate(fit(&train), &valid).temperature();
    let all: Vec<Example> = train.into_iter().chain(valid).collect();
    Ok(fit(&all).with_temperature(temperature))
}
