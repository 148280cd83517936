//! Financial-headline sentiment: a multinomial naive Bayes over word unigrams and bigrams,
//! trained on the vendored Twitter Financial News set, with a softmax temperature fitted on
//! its validation split so that `confidence` means something.
//!
//! The trained model ships inside the binary (`model/naive-bayes-v1.json`); `train-model`
//! rebuilds it, and a test checks the shipped file is exactly what training produces.

mod naive_bayes;
mod tokenize;
pub mod train;

use std::sync::{Arc, OnceLock};

use domain::Sentiment;
use domain::model::SentimentModel;

pub use naive_bayes::{ModelError, NaiveBayes};
pub use tokenize::tokens;

/// The shipped model, as JSON.
pub const SHIPPED_MODEL_JSON: &str = include_str!("../model/naive-bayes-v1.json");

/// The shipped model, parsed once per process and shared by every caller.
pub fn shipped() -> Arc<NaiveBayes> {
    static MODEL: OnceLock<Arc<NaiveBayes>> = OnceLock::new();
    Arc::clone(MODEL.get_or_init(|| {
        // The file is checked by this crate's tests; failing here means a broken build.
        let model = NaiveBayes::from_json(SHIPPED_MODEL_JSON)
            .unwrap_or_else(|e| panic!("shipped model is invalid: {e}"));
        Arc::new(model)
    }))
}

impl SentimentModel for NaiveBayes {
    fn version(&self) -> &str {
        self.version()
    }

    fn score(&self, text: &str) -> Sentiment {
        self.predict(text)
    }
}
