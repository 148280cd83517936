//! The model itself: class log-priors, per-token class log-likelihoods, a temperature.

use std::collections::{BTreeMap, HashMap};

use domain::{Sentiment, SentimentLabel};
use serde::{Deserialize, Serialize};

use crate::tokenize::tokens;

/// Order of the per-class arrays everywhere.
pub const CLASSES: [SentimentLabel; 3] =
    [SentimentLabel::Positive, SentimentLabel::Negative, SentimentLabel::Neutral];

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model JSON is invalid: {0}")]
    Json(#[from] serde_json::Error),
    #[error("model is inconsistent: {0}")]
    Inconsistent(&'static str),
}

#[derive(Clone, Debug, PartialEq)]
pub struct NaiveBayes {
    version: String,
    temperature: f64,
    log_priors: [f64; 3],
    vocab: HashMap<String, [f64; 3]>,
}

/// The file layout: sorted vocabulary so the file is byte-for-byte reproducible.
#[derive(Serialize, Deserialize)]
struct ModelFile {
    version: String,
    classes: [SentimentLabel; 3],
    temperature: f64,
    log_priors: [f64; 3],
    vocab: BTreeMap<String, [f64; 3]>,
}

impl NaiveBayes {
    pub(crate) fn new(
        version: String,
        temperature: f64,
        log_priors: [f64; 3],
        vocab: HashMap<String, [f64; 3]>,
    ) -> Self {
        Self { version, temperature, log_priors, vocab }
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn temperature(&self) -> f64 {
        self.temperature
    }

    pub fn vocabulary_size(&self) -> usize {
        self.vocab.len()
    }

    pub(crate) fn with_temperature(mut self, temperature: f64) -> Self {
        self.temperature = temperature;
        self
    }

    pub fn from_json(json: &str) -> Result<Self, ModelError> {
        let file: ModelFile = serde_json::from_str(json)?;
        if file.classes != CLASSES {
            return Err(ModelError::Inconsistent("classes must be positive, negative, neutral"));
        }
        if !(file.temperature.is_finite() && file.temperature > 0.0) {
            return Err(ModelError::Inconsistent("temperature must be positive"));
        }
        let finite = |v: &[f64; 3]| v.iter().all(|x| x.is_finite() && *x <= 0.0);
        if !finite(&file.log_priors) || !file.vocab.values().all(finite) {
            return Err(ModelError::Inconsistent("log-probabilities must be finite and at most 0"));
        }
        Ok(Self::new(file.version, file.temperature, file.log_priors, file.vocab.into_iter().collect()))
    }

    pub fn to_json(&self) -> String {
        // Six decimals keep the file small and stable; the loss is far below model noise.
        let round = |v: &[f64; 3]| v.map(|x| (x * 1e6).round() / 1e6);
        let file = ModelFile {
            version: self.version.clone(),
            classes: CLASSES,
            temperature: self.temperature,
            log_priors: round(&self.log_priors),
            vocab: self.vocab.iter().map(|(k, v)| (k.clone(), round(v))).collect(),
        };
        let mut json = serde_json::to_string(&file).unwrap_or_default();
        json.push('\n');
        json
    }

    /// Class probabilities in `CLASSES` order.
    pub fn probabilities(&self, text: &str) -> [f64; 3] {
        let mut logits = self.log_priors;
        for token in tokens(text) {
            if let Some(ll) = self.vocab.get(&token) {
                for (logit, l) in logits.iter_mut().zip(ll) {
                    *logit += l;
                }
            }
        }
        let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let exp = logits.map(|l| ((l - max) / self.temperature).exp());
        let sum: f64 = exp.iter().sum();
        exp.map(|e| e / sum)
    }

    pub fn predict(&self, text: &str) -> Sentiment {
        let [positive, negative, neutral] = self.probabilities(text);
        // Softmax output is finite, non-negative and sums to 1 up to rounding; renormalising
        // keeps the domain's check exact.
        Sentiment::from_probabilities(positive, negative, 1.0 - positive - negative)
            .or_else(|_| Sentiment::from_probabilities(positive, negative, neutral))
            .unwrap_or(Sentiment { label: SentimentLabel::Neutral, score: 0.0, confidence: 0.0 })
    }
}
