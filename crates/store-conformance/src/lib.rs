//! The conformance suite for the store port. Every adapter runs it through
//! `conformance_suite!(make_harness)`, where `make_harness` is an async fn returning a fresh
//! `Harness` (an empty store whose TTL clock is the harness's `FakeClock`), or `None` when the
//! adapter's server is not available (the factory says so loudly).
//!
//! The cases assert what the rest of the system relies on: conditional writes, all-or-nothing
//! transactions, atomic counters under concurrency, range queries by prefix and time, TTL
//! filtering on read, and pagination.

pub mod cases;
pub mod model;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use domain::FakeClock;
use domain::store::Store;

pub struct Harness {
    pub store: Arc<dyn Store>,
    pub clock: Arc<FakeClock>,
}

/// The instant every harness clock starts at.
pub fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).single().unwrap_or_default()
}

pub fn fake_clock() -> Arc<FakeClock> {
    Arc::new(FakeClock::at(start_time()))
}

#[macro_export]
macro_rules! conformance_suite {
    ($factory:path) => {
        $crate::conformance_suite!(@cases $factory;
            conditional_put_writes_once,
            equals_condition_guards_versions,
            transaction_is_all_or_nothing,
            transaction_rejects_bad_shapes,
            delete_honours_conditions,
            counter_is_atomic_under_concurrency,
            at_most_condition_caps_a_counter,
            update_sets_and_keeps_attributes,
            attributes_round_trip,
            prefix_query_stays_in_prefix_and_partition,
            time_range_query_is_inclusive_and_ordered,
            expired_items_are_invisible,
            expired_items_count_as_absent_for_conditions,
            pagination_visits_every_item_once,
            foreign_and_garbage_cursors_are_rejected,
            gsi1_queries_follow_writes,
            bad_queries_are_rejected,
            updates_of_expired_items_start_fresh,
            reserved_conflicting_and_oversized_writes_are_rejected,
            random_values_round_trip,
            racing_conditional_puts_have_one_winner,
            a_window_at_its_limit_is_never_exceeded
        );
        $crate::conformance_suite!(@model $factory; random_operations_match_a_model);
    };
    (@model $factory:path; $case:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $case() {
            let Some(harness) = $factory(stringify!($case)).await else { return };
            $crate::model::$case(&harness).await;
        }
    };
    (@cases $factory:path; $($case:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let Some(harness) = $factory(stringify!($case)).await else { return };
                $crate::cases::$case(&harness).await;
            }
        )+
    };
}
