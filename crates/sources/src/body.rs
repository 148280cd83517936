//! Reading a vendor's JSON without materialising it: an array of news items is walked one
//! element at a time, so a body of two million empty objects costs a counter, not gigabytes;
//! anything else is read only for the error fields the vendors use.

use std::fmt;

use domain::RawArticle;
use domain::source::{Fetched, SourceError};
use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny, SeqAccess, Visitor};
use serde_json::Value;

use crate::http::excerpt;

/// The top level of a response body.
pub(crate) enum Shape {
    /// A JSON array, not yet read.
    Array,
    /// A JSON object; only the fields vendors report errors in are kept.
    Object(ErrorFields),
    /// Not JSON (plain text, HTML, empty).
    Text,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorFields {
    /// Tiingo (Django style).
    pub detail: Option<Value>,
    /// Finnhub.
    pub error: Option<Value>,
}

impl ErrorFields {
    fn text(value: &Option<Value>) -> Option<String> {
        value.as_ref().map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    pub fn detail(&self) -> Option<String> {
        Self::text(&self.detail)
    }

    pub fn error(&self) -> Option<String> {
        Self::text(&self.error)
    }
}

pub(crate) fn shape(body: &[u8]) -> Shape {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => Shape::Array,
        Some(b'{') => match serde_json::from_slice::<ErrorFields>(body) {
            Ok(fields) => Shape::Object(fields),
            Err(_) => Shape::Text,
        },
        _ => Shape::Text,
    }
}

/// Walks a JSON array body, normalising each element with `normalize` into `fetched`.
/// At most `max_items` elements are looked at; the rest are skipped unread and reported as a
/// stop. A body that breaks off part-way keeps what came before and reports the break.
pub(crate) fn each_item<T: serde::de::DeserializeOwned>(
    vendor: &str,
    body: &[u8],
    max_items: usize,
    normalize: impl Fn(T) -> Result<RawArticle, String>,
) -> Fetched {
    let mut walk = Walk {
        vendor,
        max_items,
        normalize,
        fetched: Fetched::default(),
        seen: 0,
        skipped: 0,
        marker: std::marker::PhantomData,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let outcome = (&mut walk).deserialize(&mut deserializer).and_then(|()| deserializer.end());
    let Walk { mut fetched, seen, skipped, .. } = walk;
    if skipped > 0 {
        fetched.stops.push(format!(
            "{vendor}: the response held {} items; only the first {max_items} were read",
            seen + skipped
        ));
    }
    if let Err(error) = outcome {
        fetched.partial_errors.push(SourceError::Malformed(format!(
            "{vendor} response is not valid JSON after {seen} items ({error}): {}",
            excerpt(&body[body.len().saturating_sub(80)..])
        )));
    }
    fetched
}

struct Walk<'v, T, F> {
    vendor: &'v str,
    max_items: usize,
    normalize: F,
    fetched: Fetched,
    seen: usize,
    skipped: usize,
    marker: std::marker::PhantomData<fn() -> T>,
}

impl<T, F> Walk<'_, T, F>
where
    T: serde::de::DeserializeOwned,
    F: Fn(T) -> Result<RawArticle, String>,
{
    fn take(&mut self, element: Value) {
        let vendor = self.vendor;
        match T::deserialize(element) {
            Ok(item) => match (self.normalize)(item) {
                Ok(article) => self.fetched.articles.push(article),
                Err(reason) => self.fetched.rejected.add(|| reason),
            },
            Err(e) => self.fetched.rejected.add(|| format!("{vendor} item does not parse: {e}")),
        }
    }
}

impl<'de, T, F> DeserializeSeed<'de> for &mut Walk<'_, T, F>
where
    T: serde::de::DeserializeOwned,
    F: Fn(T) -> Result<RawArticle, String>,
{
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T, F> Visitor<'de> for &mut Walk<'_, T, F>
where
    T: serde::de::DeserializeOwned,
    F: Fn(T) -> Result<RawArticle, String>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array of news items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while self.seen < self.max_items {
            let Some(element) = seq.next_element::<Value>()? else { return Ok(()) };
            self.seen += 1;
            self.take(element);
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {
            self.skipped += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Item {
        id: i64,
    }

    fn normalize(item: Item) -> Result<RawArticle, String> {
        Err(format!("item {} is only a test", item.id))
    }

    #[test]
    fn two_million_empty_objects_cost_a_count() {
        let body = format!("[{}{{}}]", "{},".repeat(1_999_999));
        let fetched = each_item("test", body.as_bytes(), 1000, normalize);
        assert_eq!(fetched.rejected.count, 1000);
        assert_eq!(fetched.rejected.samples.len(), domain::source::Tally::MAX_SAMPLES);
        assert_eq!(fetched.stops.len(), 1, "{:?}", fetched.stops);
        assert!(fetched.stops[0].contains("2000000 items"), "{:?}", fetched.stops);
        assert!(fetched.partial_errors.is_empty());
    }

    #[test]
    fn a_truncated_body_keeps_what_came_before() {
        let fetched = each_item("test", br#"[{"id": 1}, {"id": 2}, {"id""#, 10, normalize);
        assert_eq!(fetched.rejected.count, 2);
        assert_eq!(fetched.partial_errors.len(), 1);
        assert!(fetched.partial_errors[0].to_string().contains("after 2 items"));
    }

    #[test]
    fn shapes_are_told_apart() {
        assert!(matches!(shape(b"  [1]"), Shape::Array));
        assert!(
            matches!(shape(br#"{"detail": "x"}"#), Shape::Object(f) if f.detail().as_deref() == Some("x"))
        );
        assert!(matches!(shape(b"You have run over"), Shape::Text));
        assert!(matches!(shape(b""), Shape::Text));
    }
}
