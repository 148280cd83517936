//! News articles: what a source hands us (`RawArticle`) and what we keep (`Article`).

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Explanation, Sentiment, Ticker};

/// The upstream an article came through. The bundled sample corpus speaks the same wire
/// formats, so its items are credited to the vendor whose format they use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Tiingo,
    Finnhub,
}

impl SourceKind {
    pub const ALL: [SourceKind; 2] = [SourceKind::Tiingo, SourceKind::Finnhub];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tiingo => "tiingo",
            Self::Finnhub => "finnhub",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An article as normalised from one upstream item, before de-duplication and scoring.
#[derive(Clone, Debug, PartialEq)]
pub struct RawArticle {
    pub source: SourceKind,
    /// The upstream's own id, as text (both vendors use 64-bit integers today).
    pub source_item_id: String,
    pub title: String,
    pub summary: Option<String>,
    pub url: String,
    /// Who published it (a domain for Tiingo, a name for Finnhub).
    pub publisher: String,
    pub published_at: DateTime<Utc>,
    /// When the vendor picked it up (Tiingo's `crawlDate`), where it says.
    pub crawled_at: Option<DateTime<Utc>>,
    pub tickers: BTreeSet<Ticker>,
}

impl RawArticle {
    pub fn id(&self) -> ArticleId {
        ArticleId::for_title(&self.title)
    }

    pub fn credit(&self) -> SourceCredit {
        SourceCredit {
            source: self.source,
            item_id: self.source_item_id.clone(),
            url: self.url.clone(),
            publisher: self.publisher.clone(),
        }
    }
}

/// Identifies a story independently of which upstream reported it: the same headline from
/// Tiingo and Finnhub is one article.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ArticleId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("article id must be 32 lower-case hex characters")]
pub struct InvalidArticleId;

impl ArticleId {
    /// 128 bits of SHA-256 over the normalised headline: stable across processes and
    /// vendors, which a per-process hash is not.
    pub fn for_title(title: &str) -> Self {
        let digest = Sha256::digest(normalize_title(title).as_bytes());
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Self(hex)
    }

    pub fn parse(input: &str) -> Result<Self, InvalidArticleId> {
        let ok = input.len() == 32 && input.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok { Ok(Self(input.to_owned())) } else { Err(InvalidArticleId) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArticleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ArticleId {
    type Error = InvalidArticleId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ArticleId> for String {
    fn from(value: ArticleId) -> Self {
        value.0
    }
}

/// Lower-cases, keeps letters and digits, and folds every run of anything else into one
/// space, so "Apple beats estimates!" and "APPLE beats  estimates" are the same story.
pub fn normalize_title(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for word in title.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// One upstream's report of a story.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCredit {
    pub source: SourceKind,
    pub item_id: String,
    pub url: String,
    pub publisher: String,
}

/// A de-duplicated, scored story as stored and served.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub id: ArticleId,
    pub title: String,
    pub summary: Option<String>,
    pub url: String,
    pub published_at: DateTime<Utc>,
    pub tickers: BTreeSet<Ticker>,
    pub credits: Vec<SourceCredit>,
    pub sentiment: Sentiment,
    pub model_version: String,
    /// The words that moved the score; absent for articles scored before explanations were
    /// stored, and for models that cannot explain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
    pub ingested_at: DateTime<Utc>,
}

/// Most tickers one article is filed under: each costs two writes in the article's
/// transaction, which must stay well inside the store's limit of operations per transaction.
pub const MAX_TICKERS_PER_ARTICLE: usize = 20;

/// What folding a report into a known story changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merge {
    pub new_credit: bool,
    pub new_tickers: BTreeSet<Ticker>,
}

impl Merge {
    pub fn changed(&self) -> bool {
        self.new_credit || !self.new_tickers.is_empty()
    }
}

impl Article {
    pub fn is_credited_to(&self, source: SourceKind) -> bool {
        self.credits.iter().any(|c| c.source == source)
    }

    /// Folds another report of this story in. The one rule for it, whoever meets the story
    /// again (a second source, the same source under another symbol, a later run): the
    /// source is credited once, and the story is filed under the report's tickers too, up to
    /// `MAX_TICKERS_PER_ARTICLE`.
    pub fn merge_report(&mut self, credit: &SourceCredit, tickers: &BTreeSet<Ticker>) -> Merge {
        let mut merge = Merge::default();
        if !self.is_credited_to(credit.source) {
            self.credits.push(credit.clone());
            merge.new_credit = true;
        }
        for ticker in tickers {
            if self.tickers.len() >= MAX_TICKERS_PER_ARTICLE {
                break;
            }
            if self.tickers.insert(ticker.clone()) {
                merge.new_tickers.insert(ticker.clone());
            }
        }
        merge
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_story_different_punctuation_is_one_id() {
        let a = ArticleId::for_title("Apple beats estimates; shares rise 3%!");
        let b = ArticleId::for_title("  APPLE beats estimates -- shares rise 3% ");
        assert_eq!(a, b);
        assert_ne!(a, ArticleId::for_title("Apple misses estimates; shares fall 3%"));
    }

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let id = ArticleId::for_title("x");
        assert_eq!(ArticleId::parse(id.as_str()).unwrap(), id);
        assert!(ArticleId::parse("not-an-id").is_err());
        assert!(ArticleId::parse(&"A".repeat(32)).is_err());
    }

    #[test]
    fn merging_credits_once_and_caps_tickers() {
        let ticker = |t: &str| Ticker::parse(t).unwrap();
        let credit =
            |source| SourceCredit { source, item_id: "1".into(), url: "u".into(), publisher: "p".into() };
        let mut article = Article {
            id: ArticleId::for_title("x"),
            title: "x".into(),
            summary: None,
            url: "u".into(),
            published_at: DateTime::<Utc>::UNIX_EPOCH,
            tickers: [ticker("AAPL")].into(),
            credits: vec![credit(SourceKind::Tiingo)],
            sentiment: Sentiment { label: crate::SentimentLabel::Neutral, score: 0.0, confidence: 1.0 },
            model_version: "m".into(),
            explanation: None,
            ingested_at: DateTime::<Utc>::UNIX_EPOCH,
        };
        let same = article.merge_report(&credit(SourceKind::Tiingo), &[ticker("AAPL")].into());
        assert!(!same.changed());
        let other_symbol = article.merge_report(&credit(SourceKind::Tiingo), &[ticker("MSFT")].into());
        assert_eq!(other_symbol, Merge { new_credit: false, new_tickers: [ticker("MSFT")].into() });
        let second_source = article.merge_report(&credit(SourceKind::Finnhub), &[ticker("AAPL")].into());
        assert_eq!(second_source, Merge { new_credit: true, new_tickers: BTreeSet::new() });
        let many: BTreeSet<Ticker> = (b'A'..=b'Z').map(|c| ticker(&format!("{}X", c as char))).collect();
        article.merge_report(&credit(SourceKind::Finnhub), &many);
        assert_eq!(article.tickers.len(), MAX_TICKERS_PER_ARTICLE);
    }

    #[test]
    fn normalises_unicode_words() {
        assert_eq!(normalize_title("Nestlé’s  CEO: \"growth\"…"), "nestlé s ceo growth");
    }
}
