//! Test support: a fresh table on the local DynamoDB-compatible server that the test script
//! starts (moto). `scripts/test` exports `SENTIMENT_TEST_DYNAMODB` (the server's endpoint) and
//! `SENTIMENT_TEST_REQUIRE_DYNAMODB=1`; run outside it, DynamoDB tests print a loud message
//! and pass without testing anything, unless the requirement is set.

use std::sync::Arc;

use domain::Clock;
use domain::table::schema::TABLE;

use crate::DynamoStore;

pub const ENDPOINT_VARIABLE: &str = "SENTIMENT_TEST_DYNAMODB";
pub const REQUIRE_VARIABLE: &str = "SENTIMENT_TEST_REQUIRE_DYNAMODB";

/// The local server's endpoint, or `None` (after saying so loudly) when there is none and
/// none is required.
pub fn endpoint(test: &str) -> Option<String> {
    match std::env::var(ENDPOINT_VARIABLE) {
        Ok(endpoint) if !endpoint.is_empty() => Some(endpoint),
        _ if std::env::var(REQUIRE_VARIABLE).is_ok_and(|v| v == "1") => {
            panic!("{test}: {REQUIRE_VARIABLE}=1 but {ENDPOINT_VARIABLE} is not set")
        }
        _ => {
            eprintln!(
                "\n*** SKIPPED {test}: no DynamoDB server. Run ./scripts/test (it starts moto), or set \
                 {ENDPOINT_VARIABLE}=http://127.0.0.1:PORT ***\n"
            );
            None
        }
    }
}

/// A unique table name for one test.
pub fn table_name(prefix: &str) -> String {
    let mut bytes = [0u8; 6];
    let _ = getrandom::fill(&mut bytes);
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{suffix}")
}

/// A store on a new, empty table created from the schema.
pub async fn fresh_store(test: &str, clock: Arc<dyn Clock>) -> Option<DynamoStore> {
    let endpoint = endpoint(test)?;
    let config = crate::local_config(&endpoint).await;
    let table = table_name("test");
    let store = DynamoStore::new(&config, &table, clock).expect("local config has a region");
    crate::table::ensure(store.client(), &table, &TABLE).await.expect("create a test table");
    Some(store)
}
