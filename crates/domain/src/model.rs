//! The sentiment model port: any honest text classifier can stand behind it.

use crate::Sentiment;

pub trait SentimentModel: Send + Sync {
    /// A short identifier stored with every score, so re-scoring can be traced to a model.
    fn version(&self) -> &str;
    fn score(&self, text: &str) -> Sentiment;

    /// An article's headline with its summary, if it has one. Models that score the two
    /// separately override this; the default scores them as one text.
    fn score_article(&self, headline: &str, summary: Option<&str>) -> Sentiment {
        match summary.map(str::trim).filter(|s| !s.is_empty()) {
            Some(summary) => self.score(&format!("{}. {}", headline.trim(), summary)),
            None => self.score(headline.trim()),
        }
    }
}
