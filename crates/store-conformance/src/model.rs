//! A model-based case: random operations applied to the store and to a plain ordered map
//! must give the same answers. A tiny xorshift generator keeps runs reproducible by seed.

use std::collections::BTreeMap;

use domain::store::{Condition, Item, Key, Order, Query, SkRange, StoreError, Update};

use crate::Harness;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len())]
    }
}

const PKS: [&str; 2] = ["A", "B"];
const SKS: [&str; 9] = ["a", "a#1", "a#2", "ab", "b", "b#1", "ba", "c", "c#9"];
const PREFIXES: [&str; 5] = ["a", "a#", "b", "c#", "z"];

type Model = BTreeMap<(String, String), (i64, bool)>; // (counter, expired)

fn live(model: &Model, pk: &str, sk: &str) -> Option<i64> {
    model.get(&(pk.to_owned(), sk.to_owned())).filter(|(_, expired)| !expired).map(|(n, _)| *n)
}

pub async fn random_operations_match_a_model(h: &Harness) {
    for seed in [0x9E37_79B9_7F4A_7C15_u64, 42, 7_777_777, 0xDEAD_BEEF] {
        run(h, seed).await;
    }
}

async fn run(h: &Harness, seed: u64) {
    let s = &*h.store;
    let now = crate::start_time().timestamp();
    let mut rng = Rng(seed);
    let mut model: Model = BTreeMap::new();
    let ns = format!("{seed:x}/");
    for step in 0..400 {
        let pk = format!("{ns}{}", rng.pick(&PKS));
        let sk = rng.pick(&SKS).to_owned();
        let key = Key::new(pk.clone(), sk.clone());
        let exists = live(&model, &pk, &sk).is_some();
        let context = format!("seed {seed} step {step} on {pk}/{sk}");
        match rng.below(6) {
            0 => {
                let (condition, allowed) = match rng.below(3) {
                    0 => (Condition::Always, true),
                    1 => (Condition::NotExists, !exists),
                    _ => (Condition::Exists, exists),
                };
                let value = rng.below(100) as i64;
                let expired = rng.below(5) == 0;
                let mut item = Item::new(key).with_attr("n", value);
                if expired {
                    item = item.with_expiry(now - 1);
                }
                let result = s.put(item, condition).await;
                if allowed {
                    assert_eq!(result, Ok(()), "{context}");
                    model.insert((pk, sk), (value, expired));
                } else {
                    assert_eq!(result, Err(StoreError::ConditionFailed { index: 0 }), "{context}");
                }
            }
            1 | 2 => {
                let delta = rng.below(10) as i64 - 3;
                let item = s.update(Update::new(key).add("n", delta)).await.expect(&context);
                let next = live(&model, &pk, &sk).unwrap_or(0) + delta;
                assert_eq!(item.counter("n").unwrap(), next, "{context}");
                model.insert((pk, sk), (next, false));
            }
            3 => {
                let insist = rng.below(2) == 0;
                let result = s.delete(key, if insist { Condition::Exists } else { Condition::Always }).await;
                if insist && !exists {
                    assert_eq!(result, Err(StoreError::ConditionFailed { index: 0 }), "{context}");
                } else {
                    assert_eq!(result, Ok(()), "{context}");
                    model.remove(&(pk, sk));
                }
            }
            4 => {
                let got = s.get(&key).await.expect(&context).map(|i| i.counter("n").unwrap());
                assert_eq!(got, live(&model, &pk, &sk), "{context}");
            }
            _ => check_query(h, &model, &pk, &mut rng, &context).await,
        }
    }
}

async fn check_query(h: &Harness, model: &Model, pk: &str, rng: &mut Rng, context: &str) {
    let range = match rng.below(3) {
        0 => SkRange::All,
        1 => SkRange::Prefix(rng.pick(&PREFIXES).to_owned()),
        _ => {
            let (a, b) = (rng.pick(&SKS), rng.pick(&SKS));
            SkRange::Between(a.min(b).to_owned(), a.max(b).to_owned())
        }
    };
    let order = if rng.below(2) == 0 { Order::Ascending } else { Order::Descending };
    let limit = 1 + rng.below(4);
    let mut query = Query::partition(pk).sk(range.clone()).limit(limit);
    query.order = order;

    let mut expected: Vec<(String, i64)> = model
        .iter()
        .filter(|((p, sk), (_, expired))| {
            p == pk
                && !expired
                && match &range {
                    SkRange::All => true,
                    SkRange::Prefix(prefix) => sk.starts_with(prefix.as_str()),
                    SkRange::Between(from, to) => sk >= from && sk <= to,
                }
        })
        .map(|((_, sk), (n, _))| (sk.clone(), *n))
        .collect();
    if order == Order::Descending {
        expected.reverse();
    }

    let mut got = Vec::new();
    for _ in 0..100 {
        let page = h.store.query(&query).await.expect(context);
        assert!(page.items.len() <= limit, "{context}");
        got.extend(page.items.iter().map(|i| (i.key.sk.clone(), i.counter("n").unwrap())));
        match page.next {
            Some(next) => query.cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(got, expected, "{context}: query {range:?} {order:?} limit {limit}");
}
