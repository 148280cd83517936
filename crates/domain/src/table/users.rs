//! Sessions and users.
//!
//! - `SESSION#<sha256(token)>` / `SESSION`: `user_id`, `created_at`; the TTL attribute is the
//!   session's expiry, so an expired session is absent to every read at once and deleted by
//!   DynamoDB later. Revoking deletes it.
//! - `USER#<user_id>` / `PROFILE`: `created_at`, `timezone`, `active_until` (the latest
//!   expiry of the user's sessions, in seconds; deliberately *not* the TTL attribute) and the
//!   `configs` counter that the per-user limit is checked against.
//! - `EXPIRING#<day>` / `USER#<user_id>`: the users whose data may expire on that day.
//!
//! A TTL deletion runs no code, so a user's configurations cannot simply expire with their
//! session: the watch counters that tell ingestion what to fetch would never come down.
//! Instead [`sweep_expired`] (run by every ingestion run) walks the `EXPIRING#` days up to
//! today and, for each user whose `active_until` has passed, deletes each configuration
//! together with its watch decrements in one transaction, then the profile. Every step is
//! conditional, so two sweeps at once, or a sweep racing an extension, do no harm.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::Value;

use super::configurations;
use crate::retry;
use crate::session::{Session, SessionError, SessionToken, User, UserId};
use crate::store::{Condition, Item, Key, Query, SkRange, Store, StoreError, Update, WriteOp};

const PROFILE_SK: &str = "PROFILE";
const SESSION_SK: &str = "SESSION";
const ACTIVE_UNTIL: &str = "active_until";
pub(crate) const CONFIGS: &str = "configs";
/// How far back the first sweep of a table looks for expiring users.
const FIRST_SWEEP_DAYS: i64 = 40;

fn session_key(token: &SessionToken) -> Key {
    Key::new(format!("SESSION#{}", token.hash().as_str()), SESSION_SK)
}

pub(crate) fn user_pk(user: &UserId) -> String {
    format!("USER#{user}")
}

pub(crate) fn profile_key(user: &UserId) -> Key {
    Key::new(user_pk(user), PROFILE_SK)
}

fn expiring_key(day: NaiveDate, user: &UserId) -> Key {
    Key::new(format!("EXPIRING#{day}"), format!("USER#{user}"))
}

fn sweep_key() -> Key {
    Key::new("SWEEP", "STATE")
}

fn time_attr(at: DateTime<Utc>) -> Value {
    Value::from(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn parse_time(item: &Item, name: &str) -> Result<DateTime<Utc>, StoreError> {
    item.str_attr(name)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            StoreError::Corrupt(format!("{} item has no valid {name}", crate::store::key_kind(&item.key.pk)))
        })
}

fn seconds(at: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(at, 0).single().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A session just created: the token is in here and nowhere else.
#[derive(Debug)]
pub struct NewSession {
    pub token: SessionToken,
    pub session: Session,
    pub user: User,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionStoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Random(#[from] SessionError),
}

/// Creates a user and their first session in one transaction.
pub async fn create_session(
    store: &dyn Store,
    now: DateTime<Utc>,
    ttl: Duration,
    timezone: Option<String>,
) -> Result<NewSession, SessionStoreError> {
    let token = SessionToken::generate()?;
    let user_id = UserId::generate()?;
    let created_at = now.with_nanosecond_zero();
    let expires_at = created_at + ttl;
    let session_item = Item::new(session_key(&token))
        .with_attr("user_id", user_id.as_str())
        .with_attr("created_at", time_attr(created_at))
        .with_expiry(expires_at.timestamp());
    let mut profile = Item::new(profile_key(&user_id))
        .with_attr("user_id", user_id.as_str())
        .with_attr("created_at", time_attr(created_at))
        .with_attr(ACTIVE_UNTIL, expires_at.timestamp())
        .with_attr(CONFIGS, 0);
    if let Some(zone) = &timezone {
        profile = profile.with_attr("timezone", zone.as_str());
    }
    let ops = vec![
        WriteOp::Put { item: session_item, condition: Condition::NotExists },
        WriteOp::Put { item: profile, condition: Condition::NotExists },
        WriteOp::Put {
            item: Item::new(expiring_key(expires_at.date_naive(), &user_id)),
            condition: Condition::Always,
        },
    ];
    retry::transient(|| store.transact(ops.clone())).await?;
    Ok(NewSession {
        token,
        session: Session { user_id: user_id.clone(), created_at, expires_at },
        user: User { user_id, created_at, timezone, expires_at, configurations: 0 },
    })
}

/// The live session a token names, if any. Unknown, revoked and expired tokens alike are
/// `None`: one strongly consistent read.
pub async fn authenticate(store: &dyn Store, token: &SessionToken) -> Result<Option<Session>, StoreError> {
    let key = session_key(token);
    let Some(item) = retry::transient(|| store.get(&key)).await? else {
        return Ok(None);
    };
    let user_id = item
        .str_attr("user_id")
        .and_then(UserId::parse)
        .ok_or_else(|| StoreError::Corrupt("session item has no valid user_id".into()))?;
    let expires_at = item
        .expires_at
        .map(seconds)
        .ok_or_else(|| StoreError::Corrupt("session item has no expiry".into()))?;
    Ok(Some(Session { user_id, created_at: parse_time(&item, "created_at")?, expires_at }))
}

pub async fn user(store: &dyn Store, user_id: &UserId) -> Result<Option<User>, StoreError> {
    let key = profile_key(user_id);
    let Some(item) = retry::transient(|| store.get(&key)).await? else {
        return Ok(None);
    };
    Ok(Some(User {
        user_id: user_id.clone(),
        created_at: parse_time(&item, "created_at")?,
        timezone: item.str_attr("timezone").map(str::to_owned),
        expires_at: seconds(item.counter(ACTIVE_UNTIL)?),
        configurations: item.counter(CONFIGS)?,
    }))
}

/// Slides a session's expiry to `now + ttl`, and the user's with it. `None` when the session
/// ended meanwhile.
pub async fn extend(
    store: &dyn Store,
    token: &SessionToken,
    session: &Session,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<Option<Session>, StoreError> {
    let expires_at = now.with_nanosecond_zero() + ttl;
    let ops = vec![
        WriteOp::Update(
            Update::new(session_key(token)).expires_at(expires_at.timestamp()).when(Condition::Exists),
        ),
        WriteOp::Update(
            Update::new(profile_key(&session.user_id))
                .set(ACTIVE_UNTIL, expires_at.timestamp())
                .when(Condition::Exists),
        ),
        WriteOp::Put {
            item: Item::new(expiring_key(expires_at.date_naive(), &session.user_id)),
            condition: Condition::Always,
        },
    ];
    match retry::transient(|| store.transact(ops.clone())).await {
        Ok(()) => Ok(Some(Session { expires_at, ..session.clone() })),
        Err(StoreError::ConditionFailed { .. }) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Revokes a session at once. An anonymous user has no other way back in, so their data
/// becomes due for the next sweep. Returns false when the session was already gone.
pub async fn sign_out(
    store: &dyn Store,
    token: &SessionToken,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let ops = vec![
        WriteOp::Delete { key: session_key(token), condition: Condition::Exists },
        WriteOp::Update(
            Update::new(profile_key(&session.user_id))
                .set(ACTIVE_UNTIL, now.timestamp())
                .when(Condition::Exists),
        ),
        WriteOp::Put {
            item: Item::new(expiring_key(now.date_naive(), &session.user_id)),
            condition: Condition::Always,
        },
    ];
    match retry::transient(|| store.transact(ops.clone())).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

/// What one sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub users: u64,
    pub configurations: u64,
}

/// Removes the data of every user whose sessions have all expired by `now`: their
/// configurations (with the watch counts they held), then their profile. Idempotent.
pub async fn sweep_expired(store: &dyn Store, now: DateTime<Utc>) -> Result<SweepReport, StoreError> {
    let today = now.date_naive();
    let state = store.get(&sweep_key()).await?;
    let first = match state.as_ref().and_then(|s| s.str_attr("day")).and_then(|d| d.parse::<NaiveDate>().ok())
    {
        Some(day) => day,
        None => today - Duration::days(FIRST_SWEEP_DAYS),
    };
    let mut report = SweepReport::default();
    let mut day = first;
    while day <= today {
        sweep_day(store, day, now, &mut report).await?;
        day += Duration::days(1);
    }
    // Days before today are now empty for good: a later expiry is indexed under its own day.
    if first < today {
        let update = Update::new(sweep_key()).set("day", today.to_string());
        retry::transient(|| store.update(update.clone())).await?;
    }
    Ok(report)
}

async fn sweep_day(
    store: &dyn Store,
    day: NaiveDate,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), StoreError> {
    let mut cursor = None;
    loop {
        let query = Query::partition(format!("EXPIRING#{day}"))
            .sk(SkRange::Prefix("USER#".into()))
            .limit(100)
            .after(cursor);
        let page = store.query(&query).await?;
        for entry in &page.items {
            let Some(user_id) = entry.key.sk.strip_prefix("USER#").and_then(UserId::parse) else {
                continue;
            };
            let profile = store.get(&profile_key(&user_id)).await?;
            let active_until = profile.as_ref().map(|p| p.counter(ACTIVE_UNTIL)).transpose()?;
            match active_until {
                // Still active: it is indexed again under the day it now expires.
                Some(until) if until > now.timestamp() => {
                    if seconds(until).date_naive() != day {
                        store.delete(entry.key.clone(), Condition::Always).await?;
                    }
                    continue;
                }
                Some(until) => {
                    report.configurations += configurations::delete_all(store, &user_id).await?;
                    // Only if nobody extended the session meanwhile.
                    let condition = Condition::Equals(ACTIVE_UNTIL.into(), Value::from(until));
                    match store.delete(profile_key(&user_id), condition).await {
                        Ok(()) => report.users += 1,
                        Err(StoreError::ConditionFailed { .. }) => continue,
                        Err(other) => return Err(other),
                    }
                }
                None => {}
            }
            store.delete(entry.key.clone(), Condition::Always).await?;
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

trait WholeSeconds {
    fn with_nanosecond_zero(self) -> Self;
}

impl WholeSeconds for DateTime<Utc> {
    fn with_nanosecond_zero(self) -> Self {
        seconds(self.timestamp())
    }
}
