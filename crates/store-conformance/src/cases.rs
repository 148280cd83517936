//! The cases themselves. Each takes a fresh, empty harness.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Duration;
use domain::store::{
    Condition, Cursor, Item, Key, MAX_TRANSACTION_OPS, Query, SkRange, Store, StoreError, Update, WriteOp,
};
use serde_json::{Value, json};

use crate::Harness;

fn item(pk: &str, sk: &str) -> Item {
    Item::new(Key::new(pk, sk))
}

async fn all_pages(store: &dyn Store, mut query: Query) -> Vec<Item> {
    let mut out = Vec::new();
    for _ in 0..1000 {
        let page = store.query(&query).await.expect("query");
        assert!(page.items.len() <= query.limit, "page larger than limit");
        out.extend(page.items);
        match page.next {
            Some(next) => query.cursor = Some(next),
            None => return out,
        }
    }
    panic!("pagination did not terminate");
}

fn sks(items: &[Item]) -> Vec<String> {
    items.iter().map(|i| i.key.sk.clone()).collect()
}

pub async fn conditional_put_writes_once(h: &Harness) {
    let s = &*h.store;
    s.put(item("P", "a").with_attr("v", 1), Condition::NotExists).await.expect("first put");
    let second = s.put(item("P", "a").with_attr("v", 2), Condition::NotExists).await;
    assert_eq!(second, Err(StoreError::ConditionFailed { index: 0 }));
    let got = s.get(&Key::new("P", "a")).await.expect("get").expect("present");
    assert_eq!(got.attrs["v"], json!(1), "a failed conditional put must not change the item");

    let missing = s.put(item("P", "b"), Condition::Exists).await;
    assert_eq!(missing, Err(StoreError::ConditionFailed { index: 0 }));
    assert_eq!(s.get(&Key::new("P", "b")).await.expect("get"), None);

    s.put(item("P", "a").with_attr("v", 3), Condition::Exists).await.expect("overwrite");
    s.put(item("P", "a").with_attr("v", 4), Condition::Always).await.expect("blind overwrite");
    let got = s.get(&Key::new("P", "a")).await.expect("get").expect("present");
    assert_eq!(got.attrs["v"], json!(4));
}

pub async fn equals_condition_guards_versions(h: &Harness) {
    let s = &*h.store;
    s.put(item("V", "x").with_attr("version", 1), Condition::NotExists).await.expect("put");
    let guard = |v: i64| Condition::Equals("version".into(), json!(v));
    s.put(item("V", "x").with_attr("version", 2), guard(1)).await.expect("v1 -> v2");
    // A writer still holding version 1 loses.
    let stale = s.put(item("V", "x").with_attr("version", 2), guard(1)).await;
    assert_eq!(stale, Err(StoreError::ConditionFailed { index: 0 }));
    // Equals on an absent item fails.
    let absent = s.put(item("V", "y").with_attr("version", 1), guard(0)).await;
    assert_eq!(absent, Err(StoreError::ConditionFailed { index: 0 }));
}

pub async fn transaction_is_all_or_nothing(h: &Harness) {
    let s = &*h.store;
    s.put(item("T", "taken"), Condition::Always).await.expect("seed");
    let ops = vec![
        WriteOp::Put { item: item("T", "one"), condition: Condition::NotExists },
        WriteOp::Update(Update::new(Key::new("T", "counter")).add("n", 5)),
        WriteOp::Put { item: item("T", "taken").with_attr("x", 1), condition: Condition::NotExists },
    ];
    assert_eq!(s.transact(ops).await, Err(StoreError::ConditionFailed { index: 2 }));
    assert_eq!(s.get(&Key::new("T", "one")).await.expect("get"), None, "first op must roll back");
    assert_eq!(s.get(&Key::new("T", "counter")).await.expect("get"), None, "update must roll back");
    let taken = s.get(&Key::new("T", "taken")).await.expect("get").expect("present");
    assert!(!taken.attrs.contains_key("x"));

    let ops = vec![
        WriteOp::Put { item: item("T", "one"), condition: Condition::NotExists },
        WriteOp::Update(Update::new(Key::new("T", "counter")).add("n", 5)),
        WriteOp::Delete { key: Key::new("T", "taken"), condition: Condition::Exists },
    ];
    s.transact(ops).await.expect("all succeed");
    assert!(s.get(&Key::new("T", "one")).await.expect("get").is_some());
    assert_eq!(
        s.get(&Key::new("T", "counter")).await.expect("get").expect("present").counter("n").unwrap(),
        5
    );
    assert_eq!(s.get(&Key::new("T", "taken")).await.expect("get"), None);
}

pub async fn transaction_rejects_bad_shapes(h: &Harness) {
    let s = &*h.store;
    let invalid = |r: Result<(), StoreError>| matches!(r, Err(StoreError::InvalidRequest(_)));
    assert!(invalid(s.transact(vec![]).await), "empty transaction");
    let dup = vec![
        WriteOp::Put { item: item("D", "a"), condition: Condition::Always },
        WriteOp::Update(Update::new(Key::new("D", "a")).add("n", 1)),
    ];
    assert!(invalid(s.transact(dup).await), "same key twice");
    let too_many: Vec<WriteOp> = (0..=MAX_TRANSACTION_OPS)
        .map(|i| WriteOp::Put { item: item("D", &format!("k{i:03}")), condition: Condition::Always })
        .collect();
    assert!(invalid(s.transact(too_many).await), "over the operation limit");
    assert!(invalid(s.put(item("", "a"), Condition::Always).await), "empty pk");
    assert!(invalid(s.put(item("D", ""), Condition::Always).await), "empty sk");
    let page = s.query(&Query::partition("D")).await.expect("query");
    assert!(page.items.is_empty(), "rejected transactions must write nothing");
}

pub async fn delete_honours_conditions(h: &Harness) {
    let s = &*h.store;
    s.put(item("X", "a").with_attr("version", 1), Condition::Always).await.expect("put");
    let wrong = s.delete(Key::new("X", "a"), Condition::Equals("version".into(), json!(2))).await;
    assert_eq!(wrong, Err(StoreError::ConditionFailed { index: 0 }));
    assert!(s.get(&Key::new("X", "a")).await.expect("get").is_some());
    s.delete(Key::new("X", "a"), Condition::Equals("version".into(), json!(1))).await.expect("delete");
    assert_eq!(s.get(&Key::new("X", "a")).await.expect("get"), None);
    // Deleting what is not there is fine unless the caller insists it exists.
    s.delete(Key::new("X", "a"), Condition::Always).await.expect("idempotent delete");
    let absent = s.delete(Key::new("X", "a"), Condition::Exists).await;
    assert_eq!(absent, Err(StoreError::ConditionFailed { index: 0 }));
}

pub async fn counter_is_atomic_under_concurrency(h: &Harness) {
    const WRITERS: i64 = 40;
    let tasks: Vec<_> = (0..WRITERS)
        .map(|_| {
            let store = Arc::clone(&h.store);
            tokio::spawn(async move {
                store
                    .update(Update::new(Key::new("C", "hits")).add("n", 1).add("twice", 2))
                    .await
                    .map(|i| i.counter("n").unwrap())
            })
        })
        .collect();
    let mut seen = BTreeSet::new();
    for task in futures::future::join_all(tasks).await {
        let value = task.expect("task").expect("update");
        assert!(seen.insert(value), "two updates saw the same counter value {value}");
    }
    assert_eq!(seen, (1..=WRITERS).collect(), "each update returns the value it produced");
    let item = h.store.get(&Key::new("C", "hits")).await.expect("get").expect("present");
    assert_eq!(item.counter("n").unwrap(), WRITERS);
    assert_eq!(item.counter("twice").unwrap(), 2 * WRITERS);
}

pub async fn at_most_condition_caps_a_counter(h: &Harness) {
    // Ten concurrent callers race for five slots: exactly five win.
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = Arc::clone(&h.store);
            tokio::spawn(async move {
                store
                    .update(
                        Update::new(Key::new("Q", "slots"))
                            .add("used", 1)
                            .when(Condition::AtMost("used".into(), 4)),
                    )
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for task in futures::future::join_all(tasks).await {
        match task.expect("task") {
            Ok(_) => won += 1,
            Err(StoreError::ConditionFailed { index: 0 }) => {}
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    assert_eq!(won, 5);
    let item = h.store.get(&Key::new("Q", "slots")).await.expect("get").expect("present");
    assert_eq!(item.counter("used").unwrap(), 5);
}

pub async fn update_sets_and_keeps_attributes(h: &Harness) {
    let s = &*h.store;
    let key = Key::new("U", "a");
    let first = s
        .update(Update::new(key.clone()).add("n", 2).set("name", "first").set_if_absent("created", "t0"))
        .await
        .expect("create");
    assert_eq!(first.counter("n").unwrap(), 2);
    let second = s
        .update(Update::new(key.clone()).add("n", -1).set("name", "second").set_if_absent("created", "t1"))
        .await
        .expect("update");
    assert_eq!(second.counter("n").unwrap(), 1);
    assert_eq!(second.str_attr("name"), Some("second"));
    assert_eq!(second.str_attr("created"), Some("t0"), "set_if_absent keeps the first value");
    assert_eq!(s.get(&key).await.expect("get"), Some(second));

    let not_a_number = s.update(Update::new(key.clone()).add("name", 1)).await;
    assert!(matches!(not_a_number, Err(StoreError::InvalidRequest(_))), "{not_a_number:?}");
    let guarded = s.update(Update::new(Key::new("U", "new")).add("n", 1).when(Condition::Exists)).await;
    assert_eq!(guarded, Err(StoreError::ConditionFailed { index: 0 }));
}

pub async fn attributes_round_trip(h: &Harness) {
    let s = &*h.store;
    let attrs = json!({
        "text": "Nestlé’s “quotes” and emoji 📈",
        "int": -42,
        "big": 9_007_199_254_740_993_i64,
        "float": 0.125,
        "flag": true,
        "list": [1, "two", {"three": 3}],
        "map": {"nested": {"deep": [true, false]}},
    });
    let Value::Object(map) = attrs else { unreachable!() };
    let mut original =
        item("R", "sk#with#hashes").with_gsi1("G", "g1").with_expiry(h.clock.now_secs() + 3600);
    original.attrs = map;
    s.put(original.clone(), Condition::Always).await.expect("put");
    assert_eq!(s.get(&original.key).await.expect("get"), Some(original));
}

pub async fn prefix_query_stays_in_prefix_and_partition(h: &Harness) {
    let s = &*h.store;
    for (pk, sk) in [
        ("TICKER#AAPL", "ART#2026-11-01"),
        ("TICKER#AAPL", "ART#2026-11-02"),
        ("TICKER#AAPL", "ART#2026-11-03"),
        ("TICKER#AAPL", "AR"),
        ("TICKER#AAPL", "HOUR#2026-11-01T00"),
        ("TICKER#AAPLX", "ART#2026-11-04"),
        ("TICKER#AAP", "ART#2026-11-05"),
    ] {
        s.put(item(pk, sk), Condition::Always).await.expect("seed");
    }
    let query = Query::partition("TICKER#AAPL").sk(SkRange::Prefix("ART#".into())).limit(10);
    let asc = s.query(&query).await.expect("asc");
    assert_eq!(sks(&asc.items), ["ART#2026-11-01", "ART#2026-11-02", "ART#2026-11-03"]);
    let desc = s.query(&query.clone().newest_first()).await.expect("desc");
    assert_eq!(sks(&desc.items), ["ART#2026-11-03", "ART#2026-11-02", "ART#2026-11-01"]);
    let whole = s.query(&Query::partition("TICKER#AAPL").limit(10)).await.expect("all");
    assert_eq!(whole.items.len(), 5, "a partition holds only its own items");
    let whole_desc =
        s.query(&Query::partition("TICKER#AAPL").newest_first().limit(10)).await.expect("all desc");
    assert_eq!(sks(&whole_desc.items).first().map(String::as_str), Some("HOUR#2026-11-01T00"));
}

pub async fn time_range_query_is_inclusive_and_ordered(h: &Harness) {
    let s = &*h.store;
    let start = crate::start_time();
    for hour in 0..48 {
        let at = start - Duration::hours(hour);
        let sk = format!("HOUR#{}", at.format("%Y-%m-%dT%H"));
        s.put(item("TICKER#MSFT", &sk).with_attr("h", hour), Condition::Always).await.expect("seed");
    }
    let from = format!("HOUR#{}", (start - Duration::hours(23)).format("%Y-%m-%dT%H"));
    let to = format!("HOUR#{}", start.format("%Y-%m-%dT%H"));
    let query = Query::partition("TICKER#MSFT").sk(SkRange::Between(from.clone(), to.clone())).limit(100);
    let got = s.query(&query).await.expect("query");
    assert_eq!(got.items.len(), 24, "both ends are included");
    assert_eq!(got.items.first().map(|i| i.key.sk.clone()), Some(from));
    assert_eq!(got.items.last().map(|i| i.key.sk.clone()), Some(to));
    let keys = sks(&got.items);
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

pub async fn expired_items_are_invisible(h: &Harness) {
    let s = &*h.store;
    let now = h.clock.now_secs();
    s.put(item("E", "short").with_expiry(now + 10), Condition::Always).await.expect("put");
    s.put(item("E", "long").with_expiry(now + 1000), Condition::Always).await.expect("put");
    s.put(item("E", "forever"), Condition::Always).await.expect("put");
    s.put(item("E", "past").with_expiry(now - 1).with_gsi1("EG", "1"), Condition::Always).await.expect("put");
    assert!(s.get(&Key::new("E", "short")).await.expect("get").is_some());
    assert_eq!(s.get(&Key::new("E", "past")).await.expect("get"), None, "already expired on write");
    assert!(s.query(&Query::gsi1("EG")).await.expect("gsi").items.is_empty());

    h.clock.advance(Duration::seconds(10));
    assert_eq!(s.get(&Key::new("E", "short")).await.expect("get"), None, "expires_at == now is expired");
    let left = all_pages(s, Query::partition("E").limit(1)).await;
    assert_eq!(sks(&left), ["forever", "long"]);
}

pub async fn expired_items_count_as_absent_for_conditions(h: &Harness) {
    let s = &*h.store;
    let now = h.clock.now_secs();
    s.put(item("W", "window").with_attr("n", 99).with_expiry(now + 5), Condition::NotExists)
        .await
        .expect("put");
    h.clock.advance(Duration::seconds(6));
    s.put(item("W", "window").with_attr("n", 1), Condition::NotExists)
        .await
        .expect("expired counts as absent");
    let item = s.get(&Key::new("W", "window")).await.expect("get").expect("present");
    assert_eq!(item.counter("n").unwrap(), 1);
    assert_eq!(item.expires_at, None);
}

pub async fn pagination_visits_every_item_once(h: &Harness) {
    let s = &*h.store;
    let now = h.clock.now_secs();
    for i in 0..25 {
        // Every fifth item is expired: pages may come back short, but nothing is skipped.
        let mut it = item("PG", &format!("k{i:02}"));
        if i % 5 == 0 {
            it = it.with_expiry(now - 1);
        }
        s.put(it, Condition::Always).await.expect("seed");
    }
    let expected: Vec<String> = (0..25).filter(|i| i % 5 != 0).map(|i| format!("k{i:02}")).collect();
    for limit in [1, 3, 7, 20, 25, 100] {
        let asc = all_pages(s, Query::partition("PG").limit(limit)).await;
        assert_eq!(sks(&asc), expected, "ascending, limit {limit}");
        let desc = all_pages(s, Query::partition("PG").newest_first().limit(limit)).await;
        let mut reversed = expected.clone();
        reversed.reverse();
        assert_eq!(sks(&desc), reversed, "descending, limit {limit}");
    }
    let prefixed = all_pages(s, Query::partition("PG").sk(SkRange::Prefix("k1".into())).limit(4)).await;
    assert_eq!(sks(&prefixed), ["k11", "k12", "k13", "k14", "k16", "k17", "k18", "k19"]);
}

pub async fn foreign_and_garbage_cursors_are_rejected(h: &Harness) {
    let s = &*h.store;
    for i in 0..4 {
        s.put(item("A", &format!("k{i}")), Condition::Always).await.expect("seed");
        s.put(item("B", &format!("k{i}")), Condition::Always).await.expect("seed");
    }
    let page = s.query(&Query::partition("A").limit(2)).await.expect("page");
    let cursor = page.next.expect("more pages");
    let foreign = s.query(&Query::partition("B").limit(2).after(Some(cursor.clone()))).await;
    assert_eq!(foreign, Err(StoreError::InvalidCursor), "cursor from another partition");
    let other_index = s.query(&Query::gsi1("A").limit(2).after(Some(cursor))).await;
    assert_eq!(other_index, Err(StoreError::InvalidCursor), "cursor from another index");
    for garbage in ["", "!!!", "bm90IGpzb24", "eyJpIjoicCJ9"] {
        let got = s.query(&Query::partition("A").after(Some(Cursor(garbage.into())))).await;
        assert_eq!(got, Err(StoreError::InvalidCursor), "garbage cursor {garbage:?}");
    }
}

pub async fn gsi1_queries_follow_writes(h: &Harness) {
    let s = &*h.store;
    for (i, day) in ["2026-11-03", "2026-11-01", "2026-11-02", "2026-11-02"].iter().enumerate() {
        let it = item(&format!("ARTICLE#{i}"), "ARTICLE").with_gsi1("FEED#2026-11", format!("{day}#{i}"));
        s.put(it, Condition::Always).await.expect("seed");
    }
    s.put(item("ARTICLE#x", "ARTICLE").with_gsi1("FEED#2026-10", "2026-10-31#x"), Condition::Always)
        .await
        .expect("seed");
    let newest = all_pages(s, Query::gsi1("FEED#2026-11").newest_first().limit(2)).await;
    let pks: Vec<_> = newest.iter().map(|i| i.key.pk.as_str()).collect();
    assert_eq!(pks, ["ARTICLE#0", "ARTICLE#3", "ARTICLE#2", "ARTICLE#1"]);

    // Moving an item to another index key moves it in the index; deleting removes it.
    s.put(item("ARTICLE#0", "ARTICLE").with_gsi1("FEED#2026-10", "2026-10-01#0"), Condition::Exists)
        .await
        .expect("move");
    s.delete(Key::new("ARTICLE#1", "ARTICLE"), Condition::Always).await.expect("delete");
    let november = all_pages(s, Query::gsi1("FEED#2026-11").limit(10)).await;
    let pks: Vec<_> = november.iter().map(|i| i.key.pk.as_str()).collect();
    assert_eq!(pks, ["ARTICLE#2", "ARTICLE#3"]);
    let october = all_pages(s, Query::gsi1("FEED#2026-10").limit(10)).await;
    assert_eq!(october.len(), 2);

    // Distinct items may share a GSI1SK; Between on that value returns all of them.
    for pk in ["SAME#1", "SAME#2"] {
        s.put(item(pk, "S").with_gsi1("SAMEG", "same"), Condition::Always).await.expect("seed");
    }
    s.put(item("SAME#3", "S").with_gsi1("SAMEG", "samf"), Condition::Always).await.expect("seed");
    let between = s
        .query(&Query::gsi1("SAMEG").sk(SkRange::Between("same".into(), "same".into())))
        .await
        .expect("between");
    assert_eq!(between.items.len(), 2, "Between covers every entry of an equal GSI1SK");
}

pub async fn bad_queries_are_rejected(h: &Harness) {
    let s = &*h.store;
    let invalid =
        |r: Result<domain::store::Page, StoreError>| matches!(r, Err(StoreError::InvalidRequest(_)));
    assert!(invalid(s.query(&Query::partition("P").limit(0)).await));
    assert!(invalid(s.query(&Query::partition("P").limit(domain::store::MAX_QUERY_LIMIT + 1)).await));
    assert!(invalid(s.query(&Query::partition("")).await));
    // A reversed range is simply empty.
    let empty =
        s.query(&Query::partition("P").sk(SkRange::Between("b".into(), "a".into()))).await.expect("query");
    assert!(empty.items.is_empty());
}

/// Seconds on the harness clock.
trait NowSecs {
    fn now_secs(&self) -> i64;
}

impl NowSecs for domain::FakeClock {
    fn now_secs(&self) -> i64 {
        use domain::Clock;
        self.now().timestamp()
    }
}

/// Polls a GSI1 query until `ready` holds: index reads are eventually consistent in
/// DynamoDB, so a case that writes and then reads the index must allow for the lag.
async fn eventually_gsi(store: &dyn Store, query: Query, ready: impl Fn(&[Item]) -> bool) -> Vec<Item> {
    let mut items = Vec::new();
    for _ in 0..50 {
        items = all_pages(store, query.clone()).await;
        if ready(&items) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    items
}

pub async fn updates_of_expired_items_start_fresh(h: &Harness) {
    let s = &*h.store;
    let now = h.clock.now_secs();
    let stale = || {
        item("F", "counter")
            .with_attr("n", 99)
            .with_attr("old", "left over")
            .with_attr("created", "then")
            .with_gsi1("FG", "stale")
            .with_expiry(now + 5)
    };
    s.put(stale(), Condition::Always).await.expect("seed");
    // Expired, but (as DynamoDB does for days) not deleted yet.
    h.clock.advance(Duration::seconds(6));
    let fresh = s
        .update(Update::new(Key::new("F", "counter")).add("n", 1).set_if_absent("created", "now"))
        .await
        .expect("an update of an expired item starts from nothing");
    assert_eq!(fresh.counter("n").unwrap(), 1, "not 99 + 1");
    assert_eq!(fresh.str_attr("created"), Some("now"));
    assert!(!fresh.attrs.contains_key("old"), "no attribute of the expired item survives: {fresh:?}");
    assert_eq!(fresh.gsi1, None);
    assert_eq!(fresh.expires_at, None);
    let index = eventually_gsi(s, Query::gsi1("FG"), |items| items.is_empty()).await;
    assert!(index.is_empty(), "the expired item's index entry is gone");

    // The same inside a transaction, and a condition that needs the item absent.
    let later = h.clock.now_secs();
    s.put(stale().with_expiry(later + 5), Condition::Always).await.expect("seed again");
    h.clock.advance(Duration::seconds(6));
    let ops = vec![
        WriteOp::Update(Update::new(Key::new("F", "counter")).add("n", 5).when(Condition::NotExists)),
        WriteOp::Put { item: item("F", "other"), condition: Condition::NotExists },
    ];
    s.transact(ops).await.expect("expired items count as absent in transactions");
    let got = s.get(&Key::new("F", "counter")).await.expect("get").expect("present");
    assert_eq!(got.counter("n").unwrap(), 5);
    assert!(!got.attrs.contains_key("old"));
}

pub async fn reserved_conflicting_and_oversized_writes_are_rejected(h: &Harness) {
    let s = &*h.store;
    let invalid = |r: &Result<(), StoreError>| matches!(r, Err(StoreError::InvalidRequest(_)));
    for name in domain::store::RESERVED_ATTRIBUTES {
        let put = s.put(item("Z", "a").with_attr(name, "x"), Condition::Always).await;
        assert!(invalid(&put), "attribute {name} in a put: {put:?}");
        let update = s.update(Update::new(Key::new("Z", "a")).set(name, "x")).await.map(|_| ());
        assert!(invalid(&update), "attribute {name} in an update: {update:?}");
    }
    let twice = s.update(Update::new(Key::new("Z", "a")).add("n", 1).set("n", 5)).await.map(|_| ());
    assert!(invalid(&twice), "one attribute both added to and set: {twice:?}");
    let big = "x".repeat(domain::store::MAX_ITEM_BYTES);
    let huge = s.put(item("Z", "big").with_attr("text", big.clone()), Condition::Always).await;
    assert!(invalid(&huge), "an item over 400 KB: {huge:?}");
    let chunk = "y".repeat(300 * 1024);
    let ops: Vec<WriteOp> = (0..15)
        .map(|i| WriteOp::Put {
            item: item("Z", &format!("c{i}")).with_attr("text", chunk.clone()),
            condition: Condition::Always,
        })
        .collect();
    assert!(invalid(&s.transact(ops).await), "a transaction over 4 MB");
    assert!(s.query(&Query::partition("Z")).await.expect("query").items.is_empty(), "nothing was written");
}

/// A tiny seeded generator, so the values below are the same on every run.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn value(&mut self, depth: u32) -> Value {
        let choice = self.next() % if depth > 2 { 6 } else { 8 };
        match choice {
            0 => Value::Null,
            1 => Value::Bool(self.next().is_multiple_of(2)),
            2 => Value::from(self.next() as i64),
            3 => Value::from([i64::MIN, i64::MAX, 0, -1, 1 << 53, (1 << 53) + 1][(self.next() % 6) as usize]),
            // Floats with a fractional part (a DynamoDB number with none reads back as an integer).
            4 => Value::from((self.next() % 2_000_000) as f64 / 1024.0 - 976.5625 + 1.0 / 3.0),
            5 => {
                let alphabet = ["a", "Ž", "📈", " ", "\"", "\\", "é", "0", "#", "\u{202e}"];
                let len = (self.next() % 12) as usize;
                Value::from((0..len).map(|_| alphabet[(self.next() % 10) as usize]).collect::<String>())
            }
            6 => Value::Array((0..self.next() % 4).map(|_| self.value(depth + 1)).collect()),
            _ => Value::Object(
                (0..self.next() % 4).map(|i| (format!("k{i}"), self.value(depth + 1))).collect(),
            ),
        }
    }
}

pub async fn random_values_round_trip(h: &Harness) {
    let s = &*h.store;
    let mut rng = Seeded(0x005E_ED0F_F00D);
    for i in 0..60 {
        let mut original = item("RV", &format!("{i:03}"));
        for a in 0..(1 + rng.next() % 5) {
            original.attrs.insert(format!("a{a}"), rng.value(0));
        }
        s.put(original.clone(), Condition::Always).await.expect("put");
        let got = s.get(&original.key).await.expect("get").expect("present");
        assert_eq!(got, original, "value {i} changed on the way through the store");
    }
}

pub async fn racing_conditional_puts_have_one_winner(h: &Harness) {
    const RACERS: usize = 32;
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let store = Arc::clone(&h.store);
            tokio::spawn(async move {
                store.put(item("RACE", "x").with_attr("winner", i as i64), Condition::NotExists).await
            })
        })
        .collect();
    let mut winners = 0;
    for task in futures::future::join_all(tasks).await {
        match task.expect("task") {
            Ok(()) => winners += 1,
            Err(StoreError::ConditionFailed { index: 0 }) => {}
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    assert_eq!(winners, 1, "exactly one conditional put wins");
}

pub async fn a_window_at_its_limit_is_never_exceeded(h: &Harness) {
    const RACERS: usize = 32;
    const LIMIT: i64 = 10;
    let tasks: Vec<_> = (0..RACERS)
        .map(|_| {
            let store = Arc::clone(&h.store);
            tokio::spawn(async move {
                let charge = WriteOp::Update(
                    Update::new(Key::new("QUOTA#x", "MINUTE"))
                        .add("used", 1)
                        .when(Condition::AtMost("used".into(), LIMIT - 1)),
                );
                let other = WriteOp::Update(
                    Update::new(Key::new("QUOTA#x", "DAY"))
                        .add("used", 1)
                        .when(Condition::AtMost("used".into(), 99)),
                );
                store.transact(vec![charge, other]).await
            })
        })
        .collect();
    let mut granted = 0;
    for task in futures::future::join_all(tasks).await {
        match task.expect("task") {
            Ok(()) => granted += 1,
            Err(StoreError::ConditionFailed { index: 0 }) => {}
            // DynamoDB may cancel racing transactions; a caller retries those, never over-grants.
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    let minute = h.store.get(&Key::new("QUOTA#x", "MINUTE")).await.expect("get").expect("present");
    let day = h.store.get(&Key::new("QUOTA#x", "DAY")).await.expect("get").expect("present");
    assert!(granted <= LIMIT, "granted {granted} of a limit of {LIMIT}");
    assert_eq!(minute.counter("used").unwrap(), granted, "every grant charged once");
    assert_eq!(day.counter("used").unwrap(), granted, "both windows charged together");
}
