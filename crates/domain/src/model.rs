//! The sentiment model port: any honest text classifier can stand behind it.

use crate::{Explanation, Sentiment};

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

    /// [`Self::score_article`] with the words of the headline that moved the score. Models
    /// that cannot explain keep this default, which explains nothing.
    fn score_explained(&self, headline: &str, summary: Option<&str>) -> Scored {
        Scored {
            sentiment: self.score_article(headline, summary),
            explanation: None,
            model_version: self.version().to_owned(),
        }
    }
}

/// What scoring an article stores with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    pub sentiment: Sentiment,
    pub explanation: Option<Explanation>,
    pub model_version: String,
}
