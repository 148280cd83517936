//! Articles: one item per story (with the GSI1 feed keys) plus one link item per ticker, all
//! written in one transaction together with the tickers' hourly aggregates, so a story is
//! counted exactly once however many times and from however many sources it arrives.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Months, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{RECORD, RETENTION_DAYS, VERSION, aggregates, decode, encode, keys};
use crate::model::SentimentModel;
use crate::store::{Condition, Cursor, Item, Key, Query, SkRange, Store, StoreError, WriteOp};
use crate::{Article, ArticleId, SourceKind, Ticker, retry};

/// How many times a credit update is retried when another writer got there first.
const MAX_CREDIT_ATTEMPTS: usize = 8;
/// How many monthly feed partitions a feed read walks back through.
const FEED_MONTHS: u32 = (RETENTION_DAYS / 30 + 1) as u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordOutcome {
    /// A story we had not seen: stored and counted.
    Inserted,
    /// A story we had, newly credited to another source (or to more tickers).
    Credited,
    /// Nothing new.
    Duplicate,
}

fn expiry(article: &Article) -> i64 {
    (article.published_at + Duration::days(RETENTION_DAYS)).timestamp()
}

fn article_key(id: &ArticleId) -> Key {
    Key::new(keys::article_pk(id), keys::ARTICLE_SK)
}

fn article_item(article: &Article, version: i64) -> Result<Item, StoreError> {
    Ok(Item::new(article_key(&article.id))
        .with_gsi1(keys::feed_pk(article.published_at), keys::feed_sk(article.published_at, &article.id))
        .with_expiry(expiry(article))
        .with_attr(RECORD, encode(article)?)
        .with_attr(VERSION, version))
}

fn link_item(article: &Article, ticker: &Ticker, version: i64) -> Result<Item, StoreError> {
    let key = Key::new(keys::ticker_pk(ticker), keys::ticker_article_sk(article.published_at, &article.id));
    Ok(Item::new(key)
        .with_expiry(expiry(article))
        .with_attr(RECORD, encode(article)?)
        .with_attr(VERSION, version))
}

/// The writes that replace a stored article read at `version`: the article at `version + 1`,
/// conditioned on nobody having changed it since (at index 0), and its ticker links.
fn replace_ops(article: &Article, version: i64) -> Result<Vec<WriteOp>, StoreError> {
    let next = version + 1;
    let mut ops = vec![WriteOp::Put {
        item: article_item(article, next)?,
        condition: Condition::Equals(VERSION.into(), Value::from(version)),
    }];
    for ticker in &article.tickers {
        ops.push(WriteOp::Put { item: link_item(article, ticker, next)?, condition: Condition::Always });
    }
    Ok(ops)
}

/// Stores a scored article, or credits an existing one with the new sources and tickers.
/// Idempotent: recording the same article again returns `Duplicate` and changes nothing.
/// Bounded: losing `MAX_CREDIT_ATTEMPTS` races in a row is reported, never retried forever.
pub async fn record(store: &dyn Store, article: &Article) -> Result<RecordOutcome, StoreError> {
    record_with(store, article, &[]).await
}

/// Where an insert puts the article in its transaction: a failed condition there means an
/// article with this id exists.
pub const ARTICLE_OP: usize = 0;

/// Where [`insert_with`] puts the headline registry's update in its transaction.
pub const IDENTITY_OP: usize = 1;

/// A new article's transaction: the article if absent, then `extra`, then its ticker links
/// and hourly aggregates.
fn insert_ops(article: &Article, extra: &[WriteOp]) -> Result<Vec<WriteOp>, StoreError> {
    let mut ops = vec![WriteOp::Put { item: article_item(article, 1)?, condition: Condition::NotExists }];
    ops.extend(extra.iter().cloned());
    for ticker in &article.tickers {
        ops.push(WriteOp::Put { item: link_item(article, ticker, 1)?, condition: Condition::Always });
        ops.push(WriteOp::Update(aggregates::count_article(ticker, article)));
    }
    Ok(ops)
}

/// Inserts a new article in one transaction with `identity` (the headline registry's
/// conditional update, at index [`IDENTITY_OP`]) and `claims` (puts naming the story's vendor
/// items). A failed condition comes back as `ConditionFailed` at [`ARTICLE_OP`] (the id is
/// taken) or [`IDENTITY_OP`] (the registry changed), for the caller to look again.
pub async fn insert_with(
    store: &dyn Store,
    article: &Article,
    claims: &[WriteOp],
    identity: &WriteOp,
) -> Result<(), StoreError> {
    let extra: Vec<WriteOp> = std::iter::once(identity.clone()).chain(claims.iter().cloned()).collect();
    let ops = insert_ops(article, &extra)?;
    retry::transient(|| store.transact(ops.clone())).await
}

/// [`record`], writing `claims` (idempotent puts naming the story's vendor items) in the same
/// transaction as the article or its credit.
pub async fn record_with(
    store: &dyn Store,
    article: &Article,
    claims: &[WriteOp],
) -> Result<RecordOutcome, StoreError> {
    let mut try_insert = true;
    for _ in 0..MAX_CREDIT_ATTEMPTS {
        if try_insert {
            let ops = insert_ops(article, claims)?;
            match retry::transient(|| store.transact(ops.clone())).await {
                Ok(()) => return Ok(RecordOutcome::Inserted),
                Err(StoreError::ConditionFailed { index: ARTICLE_OP }) => {}
                Err(other) => return Err(other),
            }
        }
        let key = article_key(&article.id);
        let Some(item) = retry::transient(|| store.get(&key)).await? else {
            // Expired or deleted between our write and this read: store it afresh.
            try_insert = true;
            continue;
        };
        try_insert = false;
        let version = item.counter(VERSION)?;
        let mut merged: Article = decode(&item)?;
        let before = merged.clone();
        let mut new_tickers = BTreeSet::new();
        let mut new_credit = false;
        for credit in &article.credits {
            let merge = merged.merge_report(credit, &article.tickers);
            new_credit |= merge.new_credit;
            new_tickers.extend(merge.new_tickers);
        }
        if !new_credit && new_tickers.is_empty() {
            if !claims.is_empty() {
                retry::transient(|| store.transact(claims.to_vec())).await?;
            }
            return Ok(RecordOutcome::Duplicate);
        }

        let mut ops = replace_ops(&merged, version)?;
        ops.extend(claims.iter().cloned());
        let new_sources: Vec<SourceKind> = SourceKind::ALL
            .into_iter()
            .filter(|s| merged.is_credited_to(*s) && !before.is_credited_to(*s))
            .collect();
        for ticker in &merged.tickers {
            if new_tickers.contains(ticker) {
                ops.push(WriteOp::Update(aggregates::count_article(ticker, &merged)));
            } else if !new_sources.is_empty() {
                ops.push(WriteOp::Update(aggregates::count_new_sources(ticker, &merged, &new_sources)));
            }
        }
        match retry::transient(|| store.transact(ops.clone())).await {
            Ok(()) => return Ok(RecordOutcome::Credited),
            Err(StoreError::ConditionFailed { index: 0 }) => continue,
            Err(other) => return Err(other),
        }
    }
    Err(StoreError::Unavailable(format!("article {} kept changing under concurrent writers", article.id)))
}

/// What a re-score did, per article of the feed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Rescored {
    /// Articles read from the feed.
    pub examined: usize,
    /// Scored again and written, with their tickers' aggregates moved by the difference.
    pub rescored: usize,
    /// Already scored by this model version (and not forced).
    pub current: usize,
    /// Gone or expiring: the article or its hour's aggregate is no longer stored.
    pub expired: usize,
}

/// Re-scores every stored article (newest first, over the retention window) that another
/// model version scored, or all of them with `force`. Each article is rewritten in one
/// transaction with its ticker links and the difference to its tickers' hourly aggregates,
/// conditioned on the version it was read at, so aggregates stay exact under concurrent
/// ingestion (a lost race reads the article again). Stopping half-way leaves every article
/// either old or new, never counted twice; running again finishes the job. `progress` is
/// called after each article.
pub async fn rescore(
    store: &dyn Store,
    model: &dyn SentimentModel,
    now: DateTime<Utc>,
    force: bool,
    mut progress: impl FnMut(&Rescored),
) -> Result<Rescored, StoreError> {
    let mut done = Rescored::default();
    let mut cursor = None;
    loop {
        let page = feed(store, now, 100, cursor).await?;
        for listed in &page.articles {
            done.examined += 1;
            rescore_one(store, model, &listed.id, force, &mut done).await?;
            progress(&done);
        }
        match page.next {
            Some(next) if !page.articles.is_empty() => cursor = Some(next),
            _ => return Ok(done),
        }
    }
}

async fn rescore_one(
    store: &dyn Store,
    model: &dyn SentimentModel,
    id: &ArticleId,
    force: bool,
    done: &mut Rescored,
) -> Result<(), StoreError> {
    let key = article_key(id);
    for _ in 0..MAX_CREDIT_ATTEMPTS {
        let Some(item) = retry::transient(|| store.get(&key)).await? else {
            done.expired += 1;
            return Ok(());
        };
        let version = item.counter(VERSION)?;
        let before: Article = decode(&item)?;
        if !force && before.model_version == model.version() {
            done.current += 1;
            return Ok(());
        }
        let scored = model.score_explained(&before.title, before.summary.as_deref());
        let after = Article {
            sentiment: scored.sentiment,
            explanation: scored.explanation,
            model_version: scored.model_version,
            ..before.clone()
        };
        let mut ops = replace_ops(&after, version)?;
        ops.extend(
            after
                .tickers
                .iter()
                .map(|ticker| WriteOp::Update(aggregates::rescore_article(ticker, &before, &after))),
        );
        match retry::transient(|| store.transact(ops.clone())).await {
            Ok(()) => {
                done.rescored += 1;
                return Ok(());
            }
            // Credited or re-scored by another writer since the read: read it again.
            Err(StoreError::ConditionFailed { index: 0 }) => continue,
            // An hour's aggregate has expired: the article is on its way out too.
            Err(StoreError::ConditionFailed { .. }) => {
                done.expired += 1;
                return Ok(());
            }
            Err(other) => return Err(other),
        }
    }
    Err(StoreError::Unavailable(format!("article {id} kept changing under concurrent writers")))
}

pub async fn get(store: &dyn Store, id: &ArticleId) -> Result<Option<Article>, StoreError> {
    store.get(&article_key(id)).await?.map(|item| decode(&item)).transpose()
}

#[derive(Clone, Debug, PartialEq)]
pub struct ArticlePage {
    pub articles: Vec<Article>,
    pub next: Option<Cursor>,
}

/// A ticker's articles, newest first.
pub async fn for_ticker(
    store: &dyn Store,
    ticker: &Ticker,
    limit: usize,
    cursor: Option<Cursor>,
) -> Result<ArticlePage, StoreError> {
    let query = Query::partition(keys::ticker_pk(ticker))
        .sk(SkRange::Prefix(keys::TICKER_ARTICLE_PREFIX.into()))
        .newest_first()
        .limit(limit)
        .after(cursor);
    let page = store.query(&query).await?;
    let articles = page.items.iter().map(decode).collect::<Result<_, _>>()?;
    Ok(ArticlePage { articles, next: page.next })
}

/// Position in the all-tickers feed: which monthly partition, and where inside it.
#[derive(Serialize, Deserialize)]
struct FeedCursor {
    month: String,
    inner: Option<String>,
}

/// All articles, newest first, walking the monthly GSI1 partitions back from `now`.
pub async fn feed(
    store: &dyn Store,
    now: DateTime<Utc>,
    limit: usize,
    cursor: Option<Cursor>,
) -> Result<ArticlePage, StoreError> {
    let months: Vec<DateTime<Utc>> =
        (0..=FEED_MONTHS).filter_map(|back| now.checked_sub_months(Months::new(back))).collect();
    let (mut month_index, mut inner) = match cursor {
        None => (0, None),
        Some(Cursor(text)) => {
            let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| StoreError::InvalidCursor)?;
            let parsed: FeedCursor = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
            let index = months
                .iter()
                .position(|m| keys::feed_pk(*m) == parsed.month)
                .ok_or(StoreError::InvalidCursor)?;
            (index, parsed.inner.map(Cursor))
        }
    };

    let mut articles: Vec<Article> = Vec::with_capacity(limit);
    while month_index < months.len() && articles.len() < limit {
        let month_pk = keys::feed_pk(months[month_index]);
        let query =
            Query::gsi1(month_pk.clone()).newest_first().limit(limit - articles.len()).after(inner.take());
        let page = store.query(&query).await?;
        for item in &page.items {
            articles.push(decode(item)?);
        }
        match page.next {
            Some(next) => inner = Some(next),
            None => month_index += 1,
        }
        if articles.len() >= limit {
            break;
        }
    }
    let next = (month_index < months.len()).then(|| {
        let cursor = FeedCursor { month: keys::feed_pk(months[month_index]), inner: inner.map(|c| c.0) };
        Cursor(URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).unwrap_or_default()))
    });
    Ok(ArticlePage { articles, next })
}
