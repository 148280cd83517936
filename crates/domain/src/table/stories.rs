//! Which story is which, decided once for every writer.
//!
//! - Within a source, the vendor's own id names a story: a claim item
//!   `CLAIM#<source>#<vendor id>` points at the article it became.
//! - Across sources, the same normalised headline published within [`SAME_STORY_WITHIN`] is
//!   the same story. A headline registry item `HEADLINE#<hash>` lists the stories filed under
//!   that headline (publication time and id) with a version number; a new story is inserted
//!   in one transaction with the registry's conditional update, so two writers meeting the
//!   same headline at once cannot both create it, and "Apple shares rise" on two different
//!   days stays two stories.
//! - Ids are stable: the first story under a headline keeps the id earlier versions gave it
//!   (the hash of the headline), and an article stored before the registry existed is found
//!   under that id and adopted, so nothing needs migrating. Later stories under the same
//!   headline get the hash of the headline and their publication time.
//!
//! A story already stored is recognised from its claims, or its headline, before it is
//! scored: scoring is the caller's closure and runs only for stories that are new.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::VERSION;
use super::articles::{self, ARTICLE_OP, IDENTITY_OP, RecordOutcome};
use crate::article::MAX_TICKERS_PER_ARTICLE;
use crate::model::Scored;
use crate::store::{Condition, Item, Key, Store, StoreError, Update, WriteOp};
use crate::{Article, ArticleId, RawArticle, SourceKind, normalize_title};

/// Reports of one headline this close in publication time are one story.
pub const SAME_STORY_WITHIN: Duration = Duration::hours(48);
/// Attempts at resolving a story while other writers change its headline's registry.
const MAX_ATTEMPTS: usize = 8;
const STORIES: &str = "stories";
const ARTICLE: &str = "article";

/// What recording a story did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub id: ArticleId,
    pub outcome: RecordOutcome,
    /// Whether the story had to be scored (it was new).
    pub scored: bool,
}

fn claim_key(source: SourceKind, item_id: &str) -> Key {
    Key::new(format!("CLAIM#{source}#{item_id}"), "CLAIM")
}

fn headline_hash(title: &str) -> String {
    let digest = Sha256::digest(normalize_title(title).as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn headline_key(title: &str) -> Key {
    Key::new(format!("HEADLINE#{}", headline_hash(title)), "HEADLINE")
}

/// The id of a later story under an already used headline.
fn later_story_id(title: &str, published_at: DateTime<Utc>) -> ArticleId {
    let digest =
        Sha256::digest(format!("{}\n{}", normalize_title(title), published_at.timestamp()).as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    ArticleId::parse(&hex).unwrap_or_else(|_| ArticleId::for_title(title))
}

/// The article a vendor item already became, if any.
pub async fn claimed(
    store: &dyn Store,
    source: SourceKind,
    item_id: &str,
) -> Result<Option<ArticleId>, StoreError> {
    let key = claim_key(source, item_id);
    let Some(item) = crate::retry::transient(|| store.get(&key)).await? else { return Ok(None) };
    Ok(item.str_attr(ARTICLE).and_then(|id| ArticleId::parse(id).ok()))
}

/// Headline registry entries: (published at, id).
fn entries(item: &Item) -> Vec<(DateTime<Utc>, ArticleId)> {
    item.attrs
        .get(STORIES)
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|entry| {
                    let at = Utc.timestamp_opt(entry.get(0)?.as_i64()?, 0).single()?;
                    let id = ArticleId::parse(entry.get(1)?.as_str()?).ok()?;
                    Some((at, id))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Records one story: `reports` are the raw items this run grouped as one story (the first
/// is its primary report), `score` scores it and runs only when the story is new.
pub async fn record(
    store: &dyn Store,
    reports: &[RawArticle],
    now: DateTime<Utc>,
    score: impl Fn(&RawArticle) -> Scored,
) -> Result<Recorded, StoreError> {
    let Some(primary) = reports.first() else {
        return Err(StoreError::InvalidRequest("a story needs at least one report".into()));
    };
    // Claims: the vendor items this story is, so a later run knows them without a headline.
    let mut known: Option<ArticleId> = None;
    let mut missing_claims = Vec::new();
    for report in reports {
        match claimed(store, report.source, &report.source_item_id).await? {
            Some(id) => known = known.or(Some(id)),
            None => missing_claims.push(report),
        }
    }
    let claims_for = |id: &ArticleId| -> Vec<WriteOp> {
        missing_claims
            .iter()
            .map(|r| WriteOp::Put {
                item: Item::new(claim_key(r.source, &r.source_item_id))
                    .with_attr(ARTICLE, id.as_str())
                    .with_expiry((r.published_at + Duration::days(super::RETENTION_DAYS)).timestamp()),
                condition: Condition::Always,
            })
            .collect()
    };

    for _ in 0..MAX_ATTEMPTS {
        // A known story, by claim or by headline: credit it, never score it again.
        let (registry, target) = match &known {
            Some(id) => (None, Some(id.clone())),
            None => {
                let key = headline_key(&primary.title);
                let item = crate::retry::transient(|| store.get(&key)).await?;
                let mut list = item.as_ref().map(entries).unwrap_or_default();
                if item.is_none() {
                    // Stored before the registry existed: adopt it under its old id.
                    if let Some(old) = articles::get(store, &ArticleId::for_title(&primary.title)).await? {
                        list.push((old.published_at, old.id));
                    }
                }
                let near = list
                    .iter()
                    .filter(|(at, _)| (*at - primary.published_at).abs() <= SAME_STORY_WITHIN)
                    .min_by_key(|(at, _)| (*at - primary.published_at).abs())
                    .map(|(_, id)| id.clone());
                (Some((item, list)), near)
            }
        };
        if let Some(id) = target {
            if let Some(mut existing) = articles::get(store, &id).await? {
                for report in reports {
                    existing.merge_report(&report.credit(), &report.tickers);
                }
                let outcome = articles::record_with(store, &existing, &claims_for(&id)).await?;
                return Ok(Recorded { id, outcome, scored: false });
            }
            // The article expired under its claim: store the story afresh.
            known = None;
            if registry.is_none() {
                continue;
            }
        }
        let Some((item, list)) = registry else { continue };

        let id = if list.iter().any(|(_, id)| *id == ArticleId::for_title(&primary.title)) {
            later_story_id(&primary.title, primary.published_at)
        } else {
            ArticleId::for_title(&primary.title)
        };
        let mut article = new_article(id.clone(), primary, now, &score);
        for report in &reports[1..] {
            article.merge_report(&report.credit(), &report.tickers);
        }
        let horizon = now - Duration::days(super::RETENTION_DAYS);
        let mut kept: Vec<(DateTime<Utc>, ArticleId)> =
            list.into_iter().filter(|(at, _)| *at > horizon).collect();
        kept.push((primary.published_at, id.clone()));
        // The registry lives as long as the newest story it lists.
        let newest = kept.iter().map(|(at, _)| *at).max().unwrap_or(primary.published_at);
        let stories: Vec<Value> = kept
            .iter()
            .map(|(at, id)| Value::from(vec![Value::from(at.timestamp()), Value::from(id.as_str())]))
            .collect();
        let version = item.as_ref().map_or(Ok(0), |i| i.counter(VERSION))?;
        let identity = WriteOp::Update(
            Update::new(headline_key(&primary.title))
                .set(STORIES, Value::from(stories))
                .set(VERSION, version + 1)
                .expires_at((newest + Duration::days(super::RETENTION_DAYS)).timestamp())
                .when(match item {
                    Some(_) => Condition::Equals(VERSION.into(), Value::from(version)),
                    None => Condition::NotExists,
                }),
        );
        match articles::insert_with(store, &article, &claims_for(&id), &identity).await {
            Ok(()) => return Ok(Recorded { id, outcome: RecordOutcome::Inserted, scored: true }),
            // Another writer filed a story under this headline (or took this id) first: look
            // again; it may be this story, or another one of the same headline.
            Err(StoreError::ConditionFailed { index: ARTICLE_OP | IDENTITY_OP }) => continue,
            Err(other) => return Err(other),
        }
    }
    Err(StoreError::Unavailable(format!(
        "the headline of story {} kept changing under concurrent writers",
        primary.source_item_id
    )))
}

fn new_article(
    id: ArticleId,
    raw: &RawArticle,
    now: DateTime<Utc>,
    score: &impl Fn(&RawArticle) -> Scored,
) -> Article {
    let Scored { sentiment, explanation, model_version } = score(raw);
    Article {
        id,
        title: raw.title.clone(),
        summary: raw.summary.clone(),
        url: raw.url.clone(),
        published_at: raw.published_at,
        // The cap every report is held to (a market-wide item can name dozens of symbols).
        tickers: raw.tickers.iter().take(MAX_TICKERS_PER_ARTICLE).cloned().collect(),
        credits: vec![raw.credit()],
        sentiment,
        model_version,
        explanation,
        ingested_at: now,
    }
}
