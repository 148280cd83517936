//! Training the linear model: multinomial logistic regression by AdaGrad over the hashed
//! features, on the vendored MIT tweets and the project's written news sentences only.
//!
//! Bit-for-bit reproducible: one thread, examples in file order, shuffled each epoch by a
//! seeded SplitMix64, no hash-map iteration, and the weights quantised the same way every
//! time. The validation splits choose the hyper-parameters and are never trained on, so the
//! numbers on them are held out from training (though not from model selection).

use std::io::Read;
use std::path::{Path, PathBuf};

use domain::SentimentLabel;

use crate::classifier::LABELS;
use crate::features::{FeatureConfig, Lexicon, features};
use crate::linear::{Linear, softmax};

/// Where the build reads the linear model from, in a source checkout.
pub const SHIPPED_MODEL_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/model/linear-v1.bin");

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("bad CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("row {row}: label must be 0, 1 or 2, got {label:?}")]
    Label { row: usize, label: String },
    #[error("{0}")]
    Tsv(String),
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

fn data_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data"))
}

/// The vendored twitter-financial-news split (`train` or `valid`).
pub fn vendored(split: &str) -> Result<Vec<Example>, TrainError> {
    read_csv_file(&data_dir().join(format!("twitter-financial-news/sent_{split}.csv")))
}

/// The project's written news sentences (`train` or `valid`).
pub fn news(split: &str) -> Result<Vec<Example>, TrainError> {
    let path = data_dir().join(format!("news-sentences/{split}.tsv"));
    let text =
        std::fs::read_to_string(&path).map_err(|source| TrainError::Io { path: path.clone(), source })?;
    crate::eval::read_tsv(&path, &text).map_err(|e| TrainError::Tsv(e.to_string()))
}

/// Everything training chooses; [`SHIPPED`] is the chosen set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyper {
    pub features: FeatureConfig,
    pub epochs: usize,
    /// AdaGrad's step size.
    pub learning_rate: f32,
    /// L2 penalty, applied to the weights an example touches.
    pub l2: f32,
    /// Class weights are (n / (3 · n_class))^power: 0 none, 1 balanced.
    pub class_weight_power: f32,
    /// Each news sentence is seen this many times per epoch (the tweets once).
    pub news_copies: usize,
    /// A lower-case word must appear in this many training texts to be vocabulary (a
    /// capitalised word not in the vocabulary is masked as a name).
    pub lexicon_min_texts: u32,
    pub seed: u64,
}

/// 2^18 = 262,144 buckets: the training text yields about 150,000 distinct features (most of
/// them character n-grams), so collisions stay rare, and at three i16 weights per bucket the
/// file is 1.5 MB.
pub const SHIPPED: Hyper = Hyper {
    features: FeatureConfig { bits: 18, char_weight: 0.5, char_min: 3, char_max: 5 },
    epochs: 8,
    learning_rate: 0.1,
    l2: 1e-5,
    class_weight_power: 0.5,
    news_copies: 2,
    lexicon_min_texts: 2,
    seed: 13,
};

/// SplitMix64: small, seeded, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

fn class_index(label: SentimentLabel) -> usize {
    LABELS.iter().position(|c| *c == label).unwrap_or(1)
}

/// The training texts in a fixed order: the tweets, then the news sentences.
pub fn training_set() -> Result<(Vec<Example>, Vec<Example>), TrainError> {
    Ok((vendored("train")?, news("train")?))
}

/// Fits the model. `progress(epoch, epochs)` is called after each epoch.
pub fn fit(
    tweets: &[Example],
    news: &[Example],
    hyper: &Hyper,
    progress: &mut dyn FnMut(usize, usize),
) -> Linear {
    let all: Vec<&Example> = tweets.iter().chain(news).collect();
    let lexicon = Lexicon::learn(all.iter().map(|(t, _)| t.as_str()), hyper.lexicon_min_texts);
    let encoded: Vec<(Vec<(u32, f32)>, usize)> =
        all.iter().map(|(t, l)| (features(t, &lexicon, &hyper.features), class_index(*l))).collect();
    let mut order: Vec<usize> = (0..tweets.len()).collect();
    for _ in 0..hyper.news_copies {
        order.extend(tweets.len()..all.len());
    }
    let mut counts = [0f32; 3];
    for &i in &order {
        counts[encoded[i].1] += 1.0;
    }
    let n: f32 = counts.iter().sum();
    let class_weight =
        counts.map(|c| if c > 0.0 { (n / (3.0 * c)).powf(hyper.class_weight_power) } else { 0.0 });

    let size = 3usize << hyper.features.bits;
    let mut w = vec![0f32; size];
    let mut g2 = vec![0f32; size];
    let mut bias = [0f32; 3];
    let mut bias_g2 = [0f32; 3];
    let mut rng = Rng(hyper.seed);
    const EPS: f32 = 1e-6;
    for epoch in 0..hyper.epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            let (x, y) = &encoded[i];
            let mut logits = bias;
            for &(b, v) in x {
                let at = b as usize * 3;
                for (logit, wc) in logits.iter_mut().zip(&w[at..at + 3]) {
                    *logit += wc * v;
                }
            }
            let p = softmax(logits);
            let cw = class_weight[*y];
            let g: [f32; 3] = std::array::from_fn(|c| cw * (p[c] - if c == *y { 1.0 } else { 0.0 }));
            for ((bc, sq), gc) in bias.iter_mut().zip(&mut bias_g2).zip(g) {
                *sq += gc * gc;
                *bc -= hyper.learning_rate * gc / (sq.sqrt() + EPS);
            }
            for &(b, v) in x {
                let at = b as usize * 3;
                for ((wc, sq), gc) in w[at..at + 3].iter_mut().zip(&mut g2[at..at + 3]).zip(g) {
                    let grad = gc * v + hyper.l2 * *wc;
                    *sq += grad * grad;
                    *wc -= hyper.learning_rate * grad / (sq.sqrt() + EPS);
                }
            }
        }
        progress(epoch + 1, hyper.epochs);
    }
    Linear::quantise(hyper.features, bias, lexicon, &w)
}

/// The shipped model, trained on the two training splits with [`SHIPPED`].
pub fn train_shipped(progress: &mut dyn FnMut(usize, usize)) -> Result<Linear, TrainError> {
    let (tweets, news) = training_set()?;
    Ok(fit(&tweets, &news, &SHIPPED, progress))
}

#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    pub examples: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub log_loss: f64,
}

pub fn evaluate(model: &Linear, examples: &[Example]) -> Metrics {
    let mut confusion = [[0_u32; 3]; 3]; // [truth][predicted]
    let mut loss = 0f64;
    for (text, label) in examples {
        let p = model.probabilities(text);
        let truth = class_index(*label);
        let predicted = class_index(crate::classifier::sentiment(p).label);
        confusion[truth][predicted] += 1;
        loss -= f64::from(p[truth].max(1e-12)).ln();
    }
    let correct: u32 = (0..3).map(|c| confusion[c][c]).sum();
    let f1 = |c: usize| {
        let tp = f64::from(confusion[c][c]);
        let predicted: f64 = (0..3).map(|t| f64::from(confusion[t][c])).sum();
        let actual: f64 = confusion[c].iter().map(|n| f64::from(*n)).sum();
        if tp == 0.0 { 0.0 } else { 2.0 * tp / (predicted + actual) }
    };
    let n = examples.len().max(1) as f64;
    Metrics {
        examples: examples.len(),
        accuracy: f64::from(correct) / n,
        macro_f1: (f1(0) + f1(1) + f1(2)) / 3.0,
        log_loss: loss / n,
    }
}
