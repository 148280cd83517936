//! The sentiment model port: any honest text classifier can stand behind it.

use crate::Sentiment;

pub trait SentimentModel: Send + Sync {
    /// A short identifier stored with every score, so re-scoring can be traced to a model.
    fn version(&self) -> &str;
    fn score(&self, text: &str) -> Sentiment;
}
