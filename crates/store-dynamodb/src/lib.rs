//! The store port on DynamoDB: one on-demand table (`sentiment-analyzer-{env}` in AWS) shared
//! by every Lambda container, so sessions, quotas, breakers and rate limits hold across them.
//!
//! Each port operation is one DynamoDB call: `get` → `GetItem`, `query` → `Query` (on the
//! table or GSI1), `put` → `PutItem`, `delete` → `DeleteItem`, `update` → `UpdateItem` with
//! `ADD`, `SET`, `if_not_exists` and `ALL_NEW`, `transact` → `TransactWriteItems`. The one
//! exception is an update that meets an expired item DynamoDB has not yet deleted: the stale
//! item is deleted (conditionally) and the update tried again, so it starts fresh as the
//! port promises.
//!
//! Consistency: every read of the table is strongly consistent (sessions, counters, the
//! article credit path and breakers read before they write); GSI1 reads are eventually
//! consistent, as DynamoDB only offers for indexes.
//!
//! Retries: the SDK's standard retry mode, 4 attempts with exponential backoff and jitter,
//! retries throttling, 5xx and transient network errors. A failed condition is an answer and
//! is never retried. `TransactionConflict` surfaces as `StoreError::Conflict` for the caller
//! to retry; each `TransactWriteItems` carries a `ClientRequestToken`, so the SDK's retry of a
//! request that did apply never applies its `ADD`s twice.

mod codec;
mod cursor;
mod errors;
mod expr;
pub mod table;
mod trace;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    Update as DynamoUpdate,
};
use domain::Clock;
use domain::store::{
    self, Condition, IndexName, Item, Key, Order, Page, Query, SkRange, Store, StoreError, Update, WriteOp,
    key_kind,
};
use domain::table::schema::{GSI1, TABLE};

use crate::codec::Record;
use crate::expr::{Expr, Write};

/// How many times an update clears a stale (expired, undeleted) item and tries again.
const STALE_RETRIES: usize = 3;

/// DynamoDB calls made, by operation: how the performance report counts round trips.
#[derive(Debug, Default)]
pub struct Calls {
    pub get_item: AtomicU64,
    pub query: AtomicU64,
    pub put_item: AtomicU64,
    pub delete_item: AtomicU64,
    pub update_item: AtomicU64,
    pub transact_write_items: AtomicU64,
}

impl Calls {
    pub fn total(&self) -> u64 {
        [
            &self.get_item,
            &self.query,
            &self.put_item,
            &self.delete_item,
            &self.update_item,
            &self.transact_write_items,
        ]
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .sum()
    }

    fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "no AWS region is configured: set AWS_REGION (any region name will do for a local DynamoDB server)"
    )]
    NoRegion,
}

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: Arc<str>,
    clock: Arc<dyn Clock>,
    calls: Arc<Calls>,
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoStore").field("table", &self.table).finish_non_exhaustive()
    }
}

/// The SDK configuration every client of this program shares: region, credentials and
/// endpoint from the standard chain (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`, ...), standard
/// retries, and timeouts short enough for a request path.
pub async fn sdk_config() -> aws_config::SdkConfig {
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(4))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(3))
                .operation_timeout(Duration::from_secs(10))
                .build(),
        )
        .load()
        .await
}

impl DynamoStore {
    /// Builds the client once (per process, or per Lambda container in its init phase).
    pub fn new(
        config: &aws_config::SdkConfig,
        table: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConnectError> {
        if config.region().is_none() {
            return Err(ConnectError::NoRegion);
        }
        Ok(Self {
            client: Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(config)
                    .interceptor(trace::Tracing { table: table.into() })
                    .build(),
            ),
            table: table.into(),
            clock,
            calls: Arc::new(Calls::default()),
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn calls(&self) -> &Calls {
        &self.calls
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    fn put_request(&self, item: &Item, condition: &Condition, now: i64) -> (Record, Option<String>, Expr) {
        let mut expr = Expr::default();
        let text = expr::condition(&mut expr, condition, now, Write::PutOrDelete);
        (codec::to_record(item), text, expr)
    }

    async fn update_once(&self, update: &Update, now: i64) -> Result<Item, Failed> {
        let mut expr = Expr::default();
        let condition = expr::condition(&mut expr, &update.condition, now, Write::Update);
        let changes = expr::update(&mut expr, update);
        Calls::count(&self.calls.update_item);
        let result = self
            .client
            .update_item()
            .table_name(&*self.table)
            .set_key(Some(codec::key_record(&update.key)))
            .set_update_expression(changes)
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let kind = key_kind(&update.key.pk);
        match result {
            Ok(output) => match output.attributes() {
                Some(record) => codec::from_record(record).map_err(Failed::Store),
                None => Err(Failed::Store(StoreError::Corrupt(format!(
                    "UpdateItem on a {kind} item returned nothing"
                )))),
            },
            Err(error) => {
                let old = match error.as_service_error() {
                    Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(e)) => {
                        e.item().cloned()
                    }
                    _ => None,
                };
                match errors::classify("UpdateItem", kind, error) {
                    StoreError::ConditionFailed { .. } => {
                        Err(self.stale_or_failed(&update.key, old.as_ref(), now, 0))
                    }
                    other => Err(Failed::Store(other)),
                }
            }
        }
    }

    /// After a failed condition: a stale item (expired, not yet deleted) to clear and retry,
    /// or a real condition failure.
    fn stale_or_failed(&self, key: &Key, old: Option<&Record>, now: i64, index: usize) -> Failed {
        match old.map(codec::expiry) {
            Some(Ok(Some(at))) if at <= now => Failed::Stale(vec![(key.clone(), at)]),
            Some(Err(e)) => Failed::Store(e),
            _ => Failed::Store(StoreError::ConditionFailed { index }),
        }
    }

    /// Deletes expired items that DynamoDB has not removed yet, only if still as seen.
    async fn clear_stale(&self, stale: &[(Key, i64)]) -> Result<(), StoreError> {
        for (key, expired_at) in stale {
            let mut expr = Expr::default();
            let exp = expr.name(TABLE.ttl_attribute);
            let at = expr.value(AttributeValue::N(expired_at.to_string()));
            Calls::count(&self.calls.delete_item);
            let result = self
                .client
                .delete_item()
                .table_name(&*self.table)
                .set_key(Some(codec::key_record(key)))
                .condition_expression(format!("{exp} = {at}"))
                .set_expression_attribute_names(expr.names())
                .set_expression_attribute_values(expr.values())
                .send()
                .await;
            match result.map_err(|e| errors::classify("DeleteItem", key_kind(&key.pk), e)) {
                // Someone else cleared or rewrote it first: either way it is no longer stale.
                Ok(_) | Err(StoreError::ConditionFailed { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    fn transact_item(&self, op: &WriteOp, now: i64) -> Result<TransactWriteItem, StoreError> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| StoreError::InvalidRequest(e.to_string());
        let all_old = ReturnValuesOnConditionCheckFailure::AllOld;
        Ok(match op {
            WriteOp::Put { item, condition } => {
                let (record, text, expr) = self.put_request(item, condition, now);
                let put = Put::builder()
                    .table_name(&*self.table)
                    .set_item(Some(record))
                    .set_condition_expression(text)
                    .set_expression_attribute_names(expr.names())
                    .set_expression_attribute_values(expr.values())
                    .return_values_on_condition_check_failure(all_old)
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().put(put).build()
            }
            WriteOp::Update(update) => {
                let mut expr = Expr::default();
                let condition = expr::condition(&mut expr, &update.condition, now, Write::Update);
                // An update with nothing to change still needs an expression in a transaction.
                let changes = expr::update(&mut expr, update).unwrap_or_else(|| {
                    let pk = expr.name(TABLE.partition_key);
                    format!("SET {pk} = {pk}")
                });
                let dynamo = DynamoUpdate::builder()
                    .table_name(&*self.table)
                    .set_key(Some(codec::key_record(&update.key)))
                    .update_expression(changes)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(expr.names())
                    .set_expression_attribute_values(expr.values())
                    .return_values_on_condition_check_failure(all_old)
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().update(dynamo).build()
            }
            WriteOp::Delete { key, condition } => {
                let mut expr = Expr::default();
                let text = expr::condition(&mut expr, condition, now, Write::PutOrDelete);
                let delete = Delete::builder()
                    .table_name(&*self.table)
                    .set_key(Some(codec::key_record(key)))
                    .set_condition_expression(text)
                    .set_expression_attribute_names(expr.names())
                    .set_expression_attribute_values(expr.values())
                    .return_values_on_condition_check_failure(all_old)
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().delete(delete).build()
            }
        })
    }

    async fn transact_once(&self, ops: &[WriteOp], now: i64) -> Result<(), Failed> {
        let items = ops
            .iter()
            .map(|op| self.transact_item(op, now))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Failed::Store)?;
        Calls::count(&self.calls.transact_write_items);
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(request_token())
            .send()
            .await;
        let kind = ops.first().map_or("", |op| key_kind(&op.key().pk));
        let error = match result {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        let reasons: Option<Vec<(Option<String>, Option<Record>)>> = match error.as_service_error() {
            Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e)) => {
                Some(e.cancellation_reasons().iter().map(|r| (r.code().map(str::to_owned), r.item().cloned())).collect())
            }
            _ => None,
        };
        let Some(reasons) = reasons else {
            return Err(Failed::Store(errors::classify("TransactWriteItems", kind, error)));
        };
        let mut stale = Vec::new();
        let mut failed_at = None;
        for (index, (code, old)) in reasons.iter().enumerate() {
            match code.as_deref() {
                None | Some("None") => {}
                Some("ConditionalCheckFailed") => {
                    // Only an update can be stopped by a stale item: a put replaces it and a
                    // delete's condition already treats it as absent.
                    let is_update = matches!(ops[index], WriteOp::Update(_));
                    match self.stale_or_failed(ops[index].key(), old.as_ref(), now, index) {
                        Failed::Stale(keys) if is_update => stale.extend(keys),
                        _ => {
                            failed_at.get_or_insert(index);
                        }
                    }
                }
                Some(other) => {
                    let op_kind = key_kind(&ops[index].key().pk);
                    return Err(Failed::Store(errors::by_code("TransactWriteItems", op_kind, other, "")));
                }
            }
        }
        match failed_at {
            Some(index) => Err(Failed::Store(StoreError::ConditionFailed { index })),
            None if !stale.is_empty() => Err(Failed::Stale(stale)),
            None => Err(Failed::Store(errors::classify("TransactWriteItems", kind, error))),
        }
    }
}

/// Why one attempt did not apply.
enum Failed {
    /// Expired items DynamoDB has not deleted yet stood in the way: clear them and retry.
    Stale(Vec<(Key, i64)>),
    Store(StoreError),
}

/// A token making a `TransactWriteItems` idempotent for ten minutes.
fn request_token() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        bytes.copy_from_slice(&nanos.as_nanos().to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        store::validate_key(key)?;
        Calls::count(&self.calls.get_item);
        let output = self
            .client
            .get_item()
            .table_name(&*self.table)
            .set_key(Some(codec::key_record(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| errors::classify("GetItem", key_kind(&key.pk), e))?;
        let Some(record) = output.item() else { return Ok(None) };
        let item = codec::from_record(record)?;
        Ok(store::is_live(&item, self.now()).then_some(item))
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        store::validate_query(query)?;
        if let SkRange::Between(from, to) = &query.sk
            && from > to
        {
            // DynamoDB rejects a reversed range; the port answers it with nothing.
            return Ok(Page::default());
        }
        let start = query.cursor.as_ref().map(|c| cursor::decode(query, c)).transpose()?;
        let (pk_name, sk_name) = cursor::key_names(query.index);
        let mut expr = Expr::default();
        let pk = expr.name(pk_name);
        let pk_value = expr.value(AttributeValue::S(query.pk.clone()));
        let mut key_condition = format!("{pk} = {pk_value}");
        match &query.sk {
            SkRange::All => {}
            SkRange::Prefix(prefix) => {
                let sk = expr.name(sk_name);
                let p = expr.value(AttributeValue::S(prefix.clone()));
                key_condition.push_str(&format!(" AND begins_with({sk}, {p})"));
            }
            SkRange::Between(from, to) => {
                let sk = expr.name(sk_name);
                let (a, b) =
                    (expr.value(AttributeValue::S(from.clone())), expr.value(AttributeValue::S(to.clone())));
                key_condition.push_str(&format!(" AND {sk} BETWEEN {a} AND {b}"));
            }
        }
        // Expired items are filtered after the page is read, as the port allows.
        let exp = expr.name(TABLE.ttl_attribute);
        let now = expr::now(&mut expr, self.now());
        let filter = format!("attribute_not_exists({exp}) OR {exp} > {now}");
        let mut request = self
            .client
            .query()
            .table_name(&*self.table)
            .key_condition_expression(key_condition)
            .filter_expression(filter)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .scan_index_forward(query.order == Order::Ascending)
            .limit(i32::try_from(query.limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start);
        request = match query.index {
            IndexName::Primary => request.consistent_read(true),
            IndexName::Gsi1 => request.index_name(GSI1.name),
        };
        Calls::count(&self.calls.query);
        let output = request.send().await.map_err(|e| errors::classify("Query", key_kind(&query.pk), e))?;
        let items = output.items().iter().map(codec::from_record).collect::<Result<Vec<_>, _>>()?;
        let next = output.last_evaluated_key().map(|last| cursor::encode(query, last)).transpose()?;
        Ok(Page { items, next })
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        store::validate_transaction(&ops)?;
        for attempt in 0..=STALE_RETRIES {
            match self.transact_once(&ops, self.now()).await {
                Ok(()) => return Ok(()),
                Err(Failed::Stale(stale)) if attempt < STALE_RETRIES => self.clear_stale(&stale).await?,
                Err(Failed::Stale(_)) => break,
                Err(Failed::Store(error)) => return Err(error),
            }
        }
        Err(StoreError::Conflict("expired items kept reappearing under a transaction".into()))
    }

    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        store::validate_key(&update.key)?;
        store::validate_update(&update)?;
        for attempt in 0..=STALE_RETRIES {
            match self.update_once(&update, self.now()).await {
                Ok(item) => return Ok(item),
                Err(Failed::Stale(stale)) if attempt < STALE_RETRIES => self.clear_stale(&stale).await?,
                Err(Failed::Stale(_)) => break,
                Err(Failed::Store(error)) => return Err(error),
            }
        }
        Err(StoreError::Conflict(format!(
            "a {} item kept expiring under an update",
            key_kind(&update.key.pk)
        )))
    }

    async fn health(&self) -> Result<(), StoreError> {
        self.get(&Key::new("HEALTH", "HEALTH")).await.map(|_| ())
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        store::validate_key(&item.key)?;
        store::validate_item(&item)?;
        let (record, text, expr) = self.put_request(&item, &condition, self.now());
        Calls::count(&self.calls.put_item);
        self.client
            .put_item()
            .table_name(&*self.table)
            .set_item(Some(record))
            .set_condition_expression(text)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| errors::classify("PutItem", key_kind(&item.key.pk), e))
    }

    async fn delete(&self, key: Key, condition: Condition) -> Result<(), StoreError> {
        store::validate_key(&key)?;
        let mut expr = Expr::default();
        let text = expr::condition(&mut expr, &condition, self.now(), Write::PutOrDelete);
        Calls::count(&self.calls.delete_item);
        self.client
            .delete_item()
            .table_name(&*self.table)
            .set_key(Some(codec::key_record(&key)))
            .set_condition_expression(text)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| errors::classify("DeleteItem", key_kind(&key.pk), e))
    }
}

#[cfg(test)]
mod tests;

/// An SDK configuration for a DynamoDB-compatible server on this machine (moto, DynamoDB
/// Local): its endpoint, a fixed region and dummy credentials.
pub async fn local_config(endpoint: &str) -> aws_config::SdkConfig {
    use aws_sdk_dynamodb::config::{Credentials, Region};
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "local"))
        .load()
        .await
}

#[cfg(any(test, feature = "test-support"))]
pub mod testing;
