//! CloudWatch Embedded Metric Format (EMF): metrics as one JSON log line each, which
//! CloudWatch Logs turns into metrics. A Lambda writes the line to stdout and is done, with no
//! PutMetricData call on the request path.
//!
//! A [`MetricSet`] is one line: a namespace, a timestamp, dimensions (name and value) and
//! metrics (name, value or values, [`Unit`]), plus optional properties that ride along
//! unextracted (a request id, a run id). Every metric in a set shares its dimensions, so
//! per-source counts are one set, and one line, per source:
//!
//! ```
//! use emf::names::{NAMESPACE, dimension, metric};
//! use emf::{MetricSet, Unit};
//!
//! let mut out = Vec::new();
//! for (source, fetched) in [("tiingo", 40), ("finnhub", 25)] {
//!     MetricSet::new(NAMESPACE, 1_767_225_600_000)
//!         .dimension(dimension::ENVIRONMENT, "prod")
//!         .dimension(dimension::SOURCE, source)
//!         .metric(metric::ARTICLES_FETCHED, fetched, Unit::Count)
//!         .write_to(&mut out)?;
//! }
//! assert_eq!(String::from_utf8(out).unwrap().lines().count(), 2);
//! # Ok::<(), emf::EmfError>(())
//! ```
//!
//! The line for the first set:
//!
//! ```json
//! {"_aws":{"Timestamp":1767225600000,"CloudWatchMetrics":[{"Namespace":"SentimentAnalyzer",
//!  "Dimensions":[["Environment","Source"]],"Metrics":[{"Name":"ArticlesFetched","Unit":"Count"}]}]},
//!  "Environment":"prod","Source":"tiingo","ArticlesFetched":40}
//! ```
//!
//! The dimension set is every dimension, in the order they were added;
//! [`MetricSet::rollup`] adds further sets over some of them (each set is a separate
//! CloudWatch metric, and billed as one). Members are written in a fixed order (`_aws`,
//! dimensions, metrics, properties, each as added), so a line is reproducible byte for byte.
//!
//! The timestamp is the caller's (milliseconds since the Unix epoch): this crate never reads
//! the clock, so the service's injected clock decides it and tests can pin it.
//!
//! [`MetricSet::to_line`] checks the set against the specification
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>)
//! and returns an [`EmfError`] for any breach, never panicking:
//! - at most [`MAX_METRICS`] (100) metrics, and at least one;
//! - at most [`MAX_DIMENSIONS`] (30) dimensions in a dimension set;
//! - namespace and metric names 1 to 1,024 characters, dimension names 1 to 250, dimension
//!   values at most 1,024 (and, as CloudWatch's `Dimension` requires, not empty);
//! - metric values finite (JSON has no NaN or infinity), an array of values non-empty and at
//!   most [`MAX_VALUES`] (100) long;
//! - one name per root member: a dimension, metric or property name used twice, or named
//!   `_aws`, is an error rather than a silently overwritten value;
//! - a timestamp not before 1970, and a line of at most [`MAX_LINE_BYTES`] (1 MiB, the
//!   CloudWatch Logs event limit).
//!
//! Not supported, for want of a use: `StorageResolution` (every metric is standard, 60 s,
//! resolution) and several directives (namespaces) in one line.
//!
//! [`names`] holds the namespace and the metric and dimension names the service's alarms and
//! dashboard read.

mod error;
pub mod names;
mod unit;

use std::io::Write;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

pub use error::{EmfError, Member};
pub use unit::Unit;

/// Metric definitions in one directive.
pub const MAX_METRICS: usize = 100;
/// Dimension keys in one dimension set.
pub const MAX_DIMENSIONS: usize = 30;
/// Values in one metric's array.
pub const MAX_VALUES: usize = 100;
/// Bytes in one line (a CloudWatch Logs event).
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

const MAX_NAMESPACE_CHARS: usize = 1024;
const MAX_DIMENSION_NAME_CHARS: usize = 250;
const MAX_DIMENSION_VALUE_CHARS: usize = 1024;
const MAX_METRIC_NAME_CHARS: usize = 1024;
const METADATA: &str = "_aws";

/// A metric's value: one number, or several (EMF's array form, which CloudWatch treats as
/// that many samples of the metric at the line's timestamp).
#[derive(Clone, Debug, PartialEq)]
pub enum MetricValue {
    One(f64),
    Many(Vec<f64>),
}

impl From<f64> for MetricValue {
    fn from(value: f64) -> Self {
        MetricValue::One(value)
    }
}

impl From<Vec<f64>> for MetricValue {
    fn from(values: Vec<f64>) -> Self {
        MetricValue::Many(values)
    }
}

impl From<&[f64]> for MetricValue {
    fn from(values: &[f64]) -> Self {
        MetricValue::Many(values.to_vec())
    }
}

// Counts: exact below 2^53, far beyond any count this service makes.
macro_rules! count_into_value {
    ($($t:ty),*) => {$(
        impl From<$t> for MetricValue {
            fn from(value: $t) -> Self {
                MetricValue::One(value as f64)
            }
        }
    )*};
}
count_into_value!(u32, u64, usize, i32, i64);

#[derive(Clone, Debug, PartialEq)]
struct Metric {
    name: String,
    value: MetricValue,
    unit: Unit,
}

/// One EMF line: metrics that share a namespace, a timestamp and dimensions.
///
/// The builder methods never fail; [`to_line`](Self::to_line) (and so
/// [`write_to`](Self::write_to) and [`emit`](Self::emit)) checks the whole set.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSet {
    namespace: String,
    timestamp_ms: i64,
    dimensions: Vec<(String, String)>,
    rollups: Vec<Vec<String>>,
    metrics: Vec<Metric>,
    properties: Vec<(String, serde_json::Value)>,
}

impl MetricSet {
    /// `timestamp_ms`: milliseconds since the Unix epoch, from the caller's clock.
    pub fn new(namespace: impl Into<String>, timestamp_ms: i64) -> Self {
        Self {
            namespace: namespace.into(),
            timestamp_ms,
            dimensions: Vec::new(),
            rollups: Vec::new(),
            metrics: Vec::new(),
            properties: Vec::new(),
        }
    }

    /// A dimension of every metric in the set.
    pub fn dimension(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.dimensions.push((name.into(), value.into()));
        self
    }

    /// Also publishes every metric under these dimensions only (a subset of the set's, in
    /// any order; empty for the metric without dimensions), e.g. `[Environment]` beside
    /// `[Environment, Route]` so an alarm can read the total across routes.
    pub fn rollup<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rollups.push(names.into_iter().map(Into::into).collect());
        self
    }

    /// A metric: a number (`12`, `0.25`) or numbers (`vec![…]`), and its unit.
    pub fn metric(mut self, name: impl Into<String>, value: impl Into<MetricValue>, unit: Unit) -> Self {
        self.metrics.push(Metric { name: name.into(), value: value.into(), unit });
        self
    }

    /// A member of the line that is not a metric or dimension: searchable in CloudWatch Logs
    /// Insights, never turned into a metric.
    pub fn property(mut self, name: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.properties.push((name.into(), value.into()));
        self
    }

    /// The set as one line of JSON, without the line break.
    pub fn to_line(&self) -> Result<String, EmfError> {
        let dimension_sets = self.check()?;
        let line = serde_json::to_string(&Document { set: self, dimension_sets: &dimension_sets })
            // Unreachable for a checked set (string keys, finite numbers), but not a panic.
            .map_err(|e| EmfError::Io(e.into()))?;
        if line.len() > MAX_LINE_BYTES {
            return Err(EmfError::TooLarge { bytes: line.len(), max: MAX_LINE_BYTES });
        }
        Ok(line)
    }

    /// Writes the line and a line break in one `write_all`, so lines from concurrent writers
    /// to a shared stdout do not interleave.
    pub fn write_to<W: Write + ?Sized>(&self, w: &mut W) -> Result<(), EmfError> {
        let mut line = self.to_line()?;
        line.push('\n');
        w.write_all(line.as_bytes())?;
        Ok(())
    }

    /// Writes the line to stdout, where a Lambda's CloudWatch Logs picks it up.
    pub fn emit(&self) -> Result<(), EmfError> {
        self.write_to(&mut std::io::stdout().lock())
    }

    /// Checks every rule and returns the dimension sets to write: all dimensions, then the
    /// rollups.
    fn check(&self) -> Result<Vec<Vec<&str>>, EmfError> {
        if self.timestamp_ms < 0 {
            return Err(EmfError::NegativeTimestamp { timestamp_ms: self.timestamp_ms });
        }
        length(Member::Namespace, "", &self.namespace, MAX_NAMESPACE_CHARS)?;
        if self.metrics.is_empty() {
            return Err(EmfError::NoMetrics);
        }
        if self.metrics.len() > MAX_METRICS {
            return Err(EmfError::TooManyMetrics { count: self.metrics.len() });
        }

        for (name, value) in &self.dimensions {
            length(Member::DimensionName, "", name, MAX_DIMENSION_NAME_CHARS)?;
            length(Member::DimensionValue, name, value, MAX_DIMENSION_VALUE_CHARS)?;
        }
        for metric in &self.metrics {
            length(Member::MetricName, "", &metric.name, MAX_METRIC_NAME_CHARS)?;
            check_value(&metric.name, &metric.value)?;
        }
        if self.properties.iter().any(|(name, _)| name.is_empty()) {
            return Err(EmfError::Empty { member: Member::PropertyName, name: String::new() });
        }
        // Every one of them is a member of the root node, beside `_aws`.
        let mut names = std::collections::HashSet::from([METADATA]);
        let root_members = (self.dimensions.iter().map(|(name, _)| name))
            .chain(self.metrics.iter().map(|metric| &metric.name))
            .chain(self.properties.iter().map(|(name, _)| name));
        for name in root_members {
            if !names.insert(name.as_str()) {
                return Err(EmfError::DuplicateName { name: name.clone() });
            }
        }

        let all: Vec<&str> = self.dimensions.iter().map(|(name, _)| name.as_str()).collect();
        let mut sets = vec![all];
        for rollup in &self.rollups {
            let mut set = Vec::with_capacity(rollup.len());
            for name in rollup {
                if !sets[0].contains(&name.as_str()) {
                    return Err(EmfError::UnknownDimension { name: name.clone() });
                }
                if set.contains(&name.as_str()) {
                    return Err(EmfError::DuplicateName { name: name.clone() });
                }
                set.push(name.as_str());
            }
            sets.push(set);
        }
        let mut seen = std::collections::HashSet::new();
        for set in &sets {
            if set.len() > MAX_DIMENSIONS {
                return Err(EmfError::TooManyDimensions { count: set.len() });
            }
            // CloudWatch identifies a metric by its dimensions regardless of order.
            let mut key = set.clone();
            key.sort_unstable();
            if !seen.insert(key) {
                return Err(EmfError::DuplicateDimensionSet {
                    names: set.iter().map(|&n| n.to_owned()).collect(),
                });
            }
        }
        Ok(sets)
    }
}

fn length(member: Member, owner: &str, text: &str, max: usize) -> Result<(), EmfError> {
    // The specification's limits are JSON Schema lengths: characters, not bytes.
    let chars = text.chars().count();
    let name = || if member == Member::DimensionValue { owner.to_owned() } else { short(text) };
    if chars == 0 {
        Err(EmfError::Empty { member, name: name() })
    } else if chars > max {
        let name = if member == Member::Namespace { String::new() } else { name() };
        Err(EmfError::TooLong { member, name, chars, max })
    } else {
        Ok(())
    }
}

/// A name short enough for an error message.
fn short(text: &str) -> String {
    const KEEP: usize = 64;
    if text.chars().count() <= KEEP {
        text.to_owned()
    } else {
        text.chars().take(KEEP).chain(['…']).collect()
    }
}

fn check_value(metric: &str, value: &MetricValue) -> Result<(), EmfError> {
    let values = match value {
        MetricValue::One(v) => std::slice::from_ref(v),
        MetricValue::Many(vs) if vs.is_empty() => {
            return Err(EmfError::NoValues { metric: metric.to_owned() });
        }
        MetricValue::Many(vs) if vs.len() > MAX_VALUES => {
            return Err(EmfError::TooManyValues { metric: metric.to_owned(), count: vs.len() });
        }
        MetricValue::Many(vs) => vs.as_slice(),
    };
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(EmfError::NotFinite { metric: metric.to_owned() })
    }
}

/// The root node: `_aws`, then the target members in a fixed order.
struct Document<'a> {
    set: &'a MetricSet,
    dimension_sets: &'a [Vec<&'a str>],
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let set = self.set;
        let mut root = serializer.serialize_map(None)?;
        root.serialize_entry(
            METADATA,
            &Metadata {
                timestamp: set.timestamp_ms,
                cloud_watch_metrics: [Directive {
                    namespace: &set.namespace,
                    dimensions: self.dimension_sets,
                    metrics: set.metrics.iter().map(|m| Definition { name: &m.name, unit: m.unit }).collect(),
                }],
            },
        )?;
        for (name, value) in &set.dimensions {
            root.serialize_entry(name, value)?;
        }
        for metric in &set.metrics {
            root.serialize_entry(&metric.name, &metric.value)?;
        }
        for (name, value) in &set.properties {
            root.serialize_entry(name, value)?;
        }
        root.end()
    }
}

#[derive(Serialize)]
struct Metadata<'a> {
    #[serde(rename = "Timestamp")]
    timestamp: i64,
    #[serde(rename = "CloudWatchMetrics")]
    cloud_watch_metrics: [Directive<'a>; 1],
}

#[derive(Serialize)]
struct Directive<'a> {
    #[serde(rename = "Namespace")]
    namespace: &'a str,
    #[serde(rename = "Dimensions")]
    dimensions: &'a [Vec<&'a str>],
    #[serde(rename = "Metrics")]
    metrics: Vec<Definition<'a>>,
}

#[derive(Serialize)]
struct Definition<'a> {
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "Unit")]
    unit: Unit,
}

impl Serialize for MetricValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            MetricValue::One(v) => number(*v, serializer),
            MetricValue::Many(vs) => {
                let mut seq = serializer.serialize_seq(Some(vs.len()))?;
                for v in vs {
                    seq.serialize_element(&Number(*v))?;
                }
                seq.end()
            }
        }
    }
}

struct Number(f64);

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        number(self.0, serializer)
    }
}

/// Whole numbers as integers (`12`, not `12.0`): counts read as counts in the log.
fn number<S: Serializer>(v: f64, serializer: S) -> Result<S::Ok, S::Error> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if v.fract() == 0.0 && v.abs() <= EXACT {
        serializer.serialize_i64(v as i64)
    } else {
        serializer.serialize_f64(v)
    }
}
