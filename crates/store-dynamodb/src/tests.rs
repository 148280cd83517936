//! The DynamoDB adapter against the shared conformance suite, on a local server (moto), each
//! case on a fresh table.

use std::sync::Arc;

use store_conformance::{Harness, conformance_suite, fake_clock};

async fn dynamodb(test: &str) -> Option<Harness> {
    let clock = fake_clock();
    let store = crate::testing::fresh_store(test, clock.clone()).await?;
    Some(Harness { store: Arc::new(store), clock })
}

conformance_suite!(dynamodb);
