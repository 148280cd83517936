//! Sentiment Analyzer's domain: the types every other crate speaks, the ports adapters
//! implement (store, news source, clock, sentiment model), the single-table key design, and
//! the aggregation that turns scored articles into per-ticker sentiment.
//!
//! Nothing here knows about AWS, HTTP or files; adapters live in their own crates.

pub mod aggregate;
pub mod article;
pub mod clock;
pub mod configuration;
pub mod error_report;
pub mod event;
pub mod market;
pub mod model;
pub mod retry;
pub mod run;
pub mod sentiment;
pub mod session;
pub mod shift;
pub mod source;
pub mod store;
pub mod table;
pub mod text;
pub mod ticker;

pub use article::{Article, ArticleId, RawArticle, SourceCredit, SourceKind, normalize_title};
pub use clock::{Clock, FakeClock, SystemClock};
pub use sentiment::{Explanation, Sentiment, SentimentLabel, WordEffect};
pub use ticker::Ticker;
