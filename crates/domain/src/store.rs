//! The store port: one table of items addressed by partition key (PK) and sort key (SK),
//! one secondary index (GSI1) and a TTL attribute, i.e. the subset of DynamoDB this service
//! relies on. The embedded adapter and the DynamoDB adapter both implement it and both must
//! pass the `store-conformance` suite.
//!
//! Semantics every adapter honours:
//! - An item whose `expires_at` is at or before the store clock's `now` is absent: reads,
//!   queries and conditions do not see it (DynamoDB deletes late, so adapters filter).
//! - `transact` applies all operations or none. A failed condition cancels the whole batch
//!   and reports the index of the first failing operation.
//! - `update` is atomic: concurrent `add`s to one counter never lose an increment.

use async_trait::async_trait;
use serde_json::{Map, Value};

/// Attributes other than the keys, as JSON (numbers, strings, booleans, lists, maps).
pub type Attrs = Map<String, Value>;

/// DynamoDB's limit on operations in one transaction.
pub const MAX_TRANSACTION_OPS: usize = 100;
/// DynamoDB's limit on the size of one item (names and values).
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// DynamoDB's limit on the total size of one transaction's items.
pub const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;
/// Attribute names the table itself uses; items may not carry them as data.
pub const RESERVED_ATTRIBUTES: [&str; 5] = ["PK", "SK", "GSI1PK", "GSI1SK", "expires_at"];
/// Largest page a query may ask for.
pub const MAX_QUERY_LIMIT: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }
}

/// Keys of the one secondary index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gsi1Key {
    pub pk: String,
    pub sk: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub key: Key,
    pub gsi1: Option<Gsi1Key>,
    /// Unix seconds after which the item no longer exists.
    pub expires_at: Option<i64>,
    pub attrs: Attrs,
}

impl Item {
    pub fn new(key: Key) -> Self {
        Self { key, gsi1: None, expires_at: None, attrs: Attrs::new() }
    }

    pub fn with_attr(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.attrs.insert(name.to_owned(), value.into());
        self
    }

    pub fn with_gsi1(mut self, pk: impl Into<String>, sk: impl Into<String>) -> Self {
        self.gsi1 = Some(Gsi1Key { pk: pk.into(), sk: sk.into() });
        self
    }

    pub fn with_expiry(mut self, expires_at: i64) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// An integer attribute; absent reads as 0, the way counters start. Any other value is
    /// `Corrupt`: a counter that silently read as 0 would reset a quota or a breaker.
    pub fn counter(&self, name: &str) -> Result<i64, StoreError> {
        match self.attrs.get(name) {
            None => Ok(0),
            Some(value) => value.as_i64().ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "attribute {name} of a {} item is not an integer",
                    key_kind(&self.key.pk)
                ))
            }),
        }
    }

    pub fn str_attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).and_then(Value::as_str)
    }
}

/// What must hold of the current item for a write to go ahead.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    Always,
    NotExists,
    Exists,
    /// The item exists and the attribute equals the value (optimistic concurrency).
    Equals(String, Value),
    /// The integer attribute, absent counting as 0, is at most the bound (counters, quotas).
    AtMost(String, i64),
}

/// An atomic read-modify-write of one item; creates the item when it is absent.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    pub key: Key,
    /// Integer deltas, applied atomically (absent counts as 0).
    pub add: Vec<(String, i64)>,
    /// Attributes to overwrite.
    pub set: Vec<(String, Value)>,
    /// Attributes to write only if the item does not have them yet.
    pub set_if_absent: Vec<(String, Value)>,
    /// Replaces the TTL when given.
    pub expires_at: Option<i64>,
    pub condition: Condition,
}

impl Update {
    pub fn new(key: Key) -> Self {
        Self {
            key,
            add: Vec::new(),
            set: Vec::new(),
            set_if_absent: Vec::new(),
            expires_at: None,
            condition: Condition::Always,
        }
    }

    pub fn add(mut self, name: &str, delta: i64) -> Self {
        self.add.push((name.to_owned(), delta));
        self
    }

    pub fn set(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.set.push((name.to_owned(), value.into()));
        self
    }

    pub fn set_if_absent(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.set_if_absent.push((name.to_owned(), value.into()));
        self
    }

    pub fn expires_at(mut self, at: i64) -> Self {
        self.expires_at = Some(at);
        self
    }

    pub fn when(mut self, condition: Condition) -> Self {
        self.condition = condition;
        self
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum WriteOp {
    Put { item: Item, condition: Condition },
    Update(Update),
    Delete { key: Key, condition: Condition },
}

impl WriteOp {
    pub fn key(&self) -> &Key {
        match self {
            Self::Put { item, .. } => &item.key,
            Self::Update(update) => &update.key,
            Self::Delete { key, .. } => key,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexName {
    Primary,
    Gsi1,
}

/// Which sort keys a query covers, compared as byte strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkRange {
    All,
    Prefix(String),
    /// Inclusive at both ends.
    Between(String, String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

/// An opaque position in a query's results, handed back to continue it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(pub String);

#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub index: IndexName,
    pub pk: String,
    pub sk: SkRange,
    pub order: Order,
    /// At most this many items per page (1..=MAX_QUERY_LIMIT).
    pub limit: usize,
    pub cursor: Option<Cursor>,
}

impl Query {
    pub fn partition(pk: impl Into<String>) -> Self {
        Self {
            index: IndexName::Primary,
            pk: pk.into(),
            sk: SkRange::All,
            order: Order::Ascending,
            limit: 100,
            cursor: None,
        }
    }

    pub fn gsi1(pk: impl Into<String>) -> Self {
        Self { index: IndexName::Gsi1, ..Self::partition(pk) }
    }

    pub fn sk(mut self, range: SkRange) -> Self {
        self.sk = range;
        self
    }

    pub fn newest_first(mut self) -> Self {
        self.order = Order::Descending;
        self
    }

    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }
}

/// One page of results. A page may hold fewer than `limit` items and still have a `next`
/// (expired items are filtered after the page is read, as in DynamoDB).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    pub next: Option<Cursor>,
}

/// What kind of item a partition key names (the text before its first `#`), for messages that
/// must not carry keys: some hold a hash of a session token.
pub fn key_kind(pk: &str) -> &str {
    pk.split('#').next().unwrap_or("")
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    #[error("condition failed on operation {index}")]
    ConditionFailed { index: usize },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("invalid or foreign pagination cursor")]
    InvalidCursor,
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store data is corrupt: {0}")]
    Corrupt(String),
    /// Another transaction touched the same items at the same time (DynamoDB's
    /// `TransactionConflict`); retrying after a short, jittered wait usually succeeds.
    #[error("conflicting concurrent transaction: {0}")]
    Conflict(String),
    /// The store refused the request for capacity (throttling); retry after a wait.
    #[error("store throttled the request: {0}")]
    Throttled(String),
}

impl StoreError {
    /// Whether the same request may succeed if tried again shortly.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Conflict(_) | Self::Throttled(_))
    }
}

#[async_trait]
pub trait Store: Send + Sync {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;

    async fn query(&self, query: &Query) -> Result<Page, StoreError>;

    /// All or nothing, at most `MAX_TRANSACTION_OPS` operations on distinct keys.
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError>;

    /// Atomic update; returns the item as it is afterwards.
    async fn update(&self, update: Update) -> Result<Item, StoreError>;

    /// A cheap round trip proving the store can be read.
    async fn health(&self) -> Result<(), StoreError>;

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        self.transact(vec![WriteOp::Put { item, condition }]).await
    }

    async fn delete(&self, key: Key, condition: Condition) -> Result<(), StoreError> {
        self.transact(vec![WriteOp::Delete { key, condition }]).await
    }
}

/// Checks the shape rules every adapter enforces before touching data.
pub fn validate_transaction(ops: &[WriteOp]) -> Result<(), StoreError> {
    if ops.is_empty() {
        return Err(StoreError::InvalidRequest("a transaction needs at least one operation".into()));
    }
    if ops.len() > MAX_TRANSACTION_OPS {
        return Err(StoreError::InvalidRequest(format!(
            "a transaction holds at most {MAX_TRANSACTION_OPS} operations, got {}",
            ops.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    for op in ops {
        validate_key(op.key())?;
        total += validate_op(op)?;
        if !seen.insert(op.key()) {
            return Err(StoreError::InvalidRequest(format!(
                "a transaction may touch each item once; {}/{} appears twice",
                op.key().pk,
                op.key().sk
            )));
        }
    }
    if total > MAX_TRANSACTION_BYTES {
        return Err(StoreError::InvalidRequest(format!(
            "a transaction holds at most {MAX_TRANSACTION_BYTES} bytes of items, got about {total}"
        )));
    }
    Ok(())
}

/// Checks one operation's shape; returns the approximate size of what it writes.
pub fn validate_op(op: &WriteOp) -> Result<usize, StoreError> {
    match op {
        WriteOp::Put { item, .. } => validate_item(item),
        WriteOp::Update(update) => validate_update(update),
        WriteOp::Delete { .. } => Ok(op.key().pk.len() + op.key().sk.len()),
    }
}

fn reserved(name: &str) -> Result<(), StoreError> {
    if RESERVED_ATTRIBUTES.contains(&name) {
        return Err(StoreError::InvalidRequest(format!(
            "attribute name {name} is reserved for the table's keys"
        )));
    }
    if name.is_empty() {
        return Err(StoreError::InvalidRequest("attribute names must not be empty".into()));
    }
    Ok(())
}

/// An item's size as DynamoDB counts it, near enough: names plus values.
pub fn item_size(item: &Item) -> usize {
    fn value_size(value: &Value) -> usize {
        match value {
            Value::Null | Value::Bool(_) => 1,
            Value::Number(_) => 21,
            Value::String(s) => s.len(),
            Value::Array(items) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
            Value::Object(map) => 3 + map.iter().map(|(k, v)| 1 + k.len() + value_size(v)).sum::<usize>(),
        }
    }
    let keys = 4 + item.key.pk.len() + item.key.sk.len();
    let gsi = item.gsi1.as_ref().map_or(0, |g| 12 + g.pk.len() + g.sk.len());
    let expiry = if item.expires_at.is_some() { 31 } else { 0 };
    keys + gsi + expiry + item.attrs.iter().map(|(k, v)| k.len() + value_size(v)).sum::<usize>()
}

pub fn validate_item(item: &Item) -> Result<usize, StoreError> {
    for name in item.attrs.keys() {
        reserved(name)?;
    }
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::InvalidRequest(format!(
            "a {} item would be about {size} bytes; items hold at most {MAX_ITEM_BYTES}",
            key_kind(&item.key.pk)
        )));
    }
    Ok(size)
}

pub fn validate_update(update: &Update) -> Result<usize, StoreError> {
    let mut names = std::collections::HashSet::new();
    let mut size = update.key.pk.len() + update.key.sk.len();
    for (name, _) in &update.add {
        reserved(name)?;
        if !names.insert(name.as_str()) {
            return Err(StoreError::InvalidRequest(format!(
                "attribute {name} is changed twice in one update"
            )));
        }
        size += name.len() + 21;
    }
    for (name, value) in update.set.iter().chain(&update.set_if_absent) {
        reserved(name)?;
        if !names.insert(name.as_str()) {
            return Err(StoreError::InvalidRequest(format!(
                "attribute {name} is changed twice in one update"
            )));
        }
        size += name.len() + item_size(&Item::new(Key::new("", "")).with_attr("v", value.clone()));
    }
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::InvalidRequest(format!(
            "an update would write about {size} bytes; items hold at most {MAX_ITEM_BYTES}"
        )));
    }
    Ok(size)
}

pub fn validate_key(key: &Key) -> Result<(), StoreError> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(StoreError::InvalidRequest("PK and SK must not be empty".into()));
    }
    Ok(())
}

pub fn validate_query(query: &Query) -> Result<(), StoreError> {
    if query.pk.is_empty() {
        return Err(StoreError::InvalidRequest("a query needs a partition key".into()));
    }
    if query.limit == 0 || query.limit > MAX_QUERY_LIMIT {
        return Err(StoreError::InvalidRequest(format!(
            "query limit must be 1..={MAX_QUERY_LIMIT}, got {}",
            query.limit
        )));
    }
    Ok(())
}

/// Evaluates a condition against the visible current item (None when absent or expired).
pub fn condition_holds(condition: &Condition, current: Option<&Item>) -> bool {
    match condition {
        Condition::Always => true,
        Condition::NotExists => current.is_none(),
        Condition::Exists => current.is_some(),
        Condition::Equals(name, value) => current.and_then(|i| i.attrs.get(name)) == Some(value),
        // A non-integer never compares as at most a number (as in DynamoDB).
        Condition::AtMost(name, bound) => {
            current.map_or(Ok(0), |i| i.counter(name)).is_ok_and(|n| n <= *bound)
        }
    }
}

/// Applies an update to the visible current item, creating it when absent. Shared by
/// adapters that implement updates as read-modify-write inside a transaction.
pub fn apply_update(update: &Update, current: Option<Item>) -> Result<Item, StoreError> {
    let mut item = current.unwrap_or_else(|| Item::new(update.key.clone()));
    for (name, delta) in &update.add {
        let now = match item.attrs.get(name) {
            None => 0,
            Some(value) => value.as_i64().ok_or_else(|| {
                StoreError::InvalidRequest(format!("cannot add to non-integer attribute {name}"))
            })?,
        };
        let next = now
            .checked_add(*delta)
            .ok_or_else(|| StoreError::InvalidRequest(format!("counter {name} would overflow")))?;
        item.attrs.insert(name.clone(), Value::from(next));
    }
    for (name, value) in &update.set {
        item.attrs.insert(name.clone(), value.clone());
    }
    for (name, value) in &update.set_if_absent {
        item.attrs.entry(name.clone()).or_insert_with(|| value.clone());
    }
    if let Some(at) = update.expires_at {
        item.expires_at = Some(at);
    }
    Ok(item)
}

/// Whether an item is visible at `now_secs` under the TTL rule.
pub fn is_live(item: &Item, now_secs: i64) -> bool {
    item.expires_at.is_none_or(|at| at > now_secs)
}
