//! Why a metric set cannot be written: a rule of the specification it breaks (found when the
//! line is built, never by panicking), or the writer failing.

use std::fmt;

/// A member of the document whose name or value has a length rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member {
    Namespace,
    DimensionName,
    DimensionValue,
    MetricName,
    PropertyName,
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Member::Namespace => "namespace",
            Member::DimensionName => "dimension name",
            Member::DimensionValue => "dimension value",
            Member::MetricName => "metric name",
            Member::PropertyName => "property name",
        })
    }
}

#[derive(Debug)]
#[non_exhaustive]
pub enum EmfError {
    /// A set without metrics would be a log line CloudWatch extracts nothing from.
    NoMetrics,
    /// More than 100 MetricDefinitions in the directive.
    TooManyMetrics {
        count: usize,
    },
    /// More than 30 dimension keys in one dimension set.
    TooManyDimensions {
        count: usize,
    },
    /// An empty name (or dimension value). `name` is the dimension's name for an empty value,
    /// else empty.
    Empty {
        member: Member,
        name: String,
    },
    /// A name or value longer than the specification allows, in characters. `name` is the
    /// member's name (for a dimension value, its dimension's name; for the namespace, empty).
    TooLong {
        member: Member,
        name: String,
        chars: usize,
        max: usize,
    },
    /// Two root members with one name (a dimension, metric or property, or the reserved `_aws`):
    /// one would overwrite the other.
    DuplicateName {
        name: String,
    },
    /// A metric value JSON cannot carry: NaN or an infinity.
    NotFinite {
        metric: String,
    },
    /// A metric with an empty array of values.
    NoValues {
        metric: String,
    },
    /// More than 100 values in one metric's array.
    TooManyValues {
        metric: String,
        count: usize,
    },
    /// A rollup names a dimension the set does not have.
    UnknownDimension {
        name: String,
    },
    /// The same dimension set twice (in any order): CloudWatch would count every value twice.
    DuplicateDimensionSet {
        names: Vec<String>,
    },
    /// The timestamp is before 1970.
    NegativeTimestamp {
        timestamp_ms: i64,
    },
    /// The line is larger than a CloudWatch Logs event may be.
    TooLarge {
        bytes: usize,
        max: usize,
    },
    Io(std::io::Error),
}

impl fmt::Display for EmfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmfError::NoMetrics => write!(f, "a metric set needs at least one metric"),
            EmfError::TooManyMetrics { count } => {
                write!(f, "{count} metrics in one set; EMF allows at most {}", crate::MAX_METRICS)
            }
            EmfError::TooManyDimensions { count } => write!(
                f,
                "{count} dimensions in one dimension set; EMF allows at most {}",
                crate::MAX_DIMENSIONS
            ),
            EmfError::Empty { member, name } if name.is_empty() => write!(f, "empty {member}"),
            EmfError::Empty { member, name } => write!(f, "empty {member} of {name:?}"),
            EmfError::TooLong { member, name, chars, max } if name.is_empty() => {
                write!(f, "{member} of {chars} characters; at most {max}")
            }
            EmfError::TooLong { member, name, chars, max } => {
                write!(f, "{member} of {name:?} has {chars} characters; at most {max}")
            }
            EmfError::DuplicateName { name } => {
                write!(f, "{name:?} is used twice (dimension, metric and property names share the line)")
            }
            EmfError::NotFinite { metric } => {
                write!(f, "metric {metric:?} is NaN or infinite, which JSON cannot carry")
            }
            EmfError::NoValues { metric } => write!(f, "metric {metric:?} has no values"),
            EmfError::TooManyValues { metric, count } => {
                write!(f, "metric {metric:?} has {count} values; EMF allows at most {}", crate::MAX_VALUES)
            }
            EmfError::UnknownDimension { name } => {
                write!(f, "rollup names {name:?}, which is not a dimension of this set")
            }
            EmfError::DuplicateDimensionSet { names } => {
                write!(f, "dimension set {names:?} is listed twice")
            }
            EmfError::NegativeTimestamp { timestamp_ms } => {
                write!(f, "timestamp {timestamp_ms} ms is before 1970")
            }
            EmfError::TooLarge { bytes, max } => {
                write!(f, "the line is {bytes} bytes; a CloudWatch Logs event is at most {max}")
            }
            EmfError::Io(_) => write!(f, "cannot write the metric line"),
        }
    }
}

impl std::error::Error for EmfError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EmfError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for EmfError {
    fn from(e: std::io::Error) -> Self {
        EmfError::Io(e)
    }
}
