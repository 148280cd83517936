use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::TraceHeader;

/// What a subsegment calls: an AWS service (drawn as that service on the map) or any other
/// HTTP endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Namespace {
    Aws,
    Remote,
}

/// A call being timed. [`finish`](Subsegment::finish) sends it; dropping it unfinished sends
/// nothing.
#[derive(Clone, Debug)]
pub struct Subsegment {
    trace_id: String,
    parent_id: Option<String>,
    id: String,
    name: String,
    namespace: Namespace,
    start_time: f64,
    aws: Map<String, Value>,
    http: Map<String, Value>,
}

impl Subsegment {
    /// Starts timing a call named `name` under `header`'s trace.
    pub fn start(header: &TraceHeader, name: &str, namespace: Namespace) -> Self {
        Self {
            trace_id: header.root.clone(),
            parent_id: header.parent.clone(),
            id: segment_id(),
            name: name.chars().take(200).collect(),
            namespace,
            start_time: epoch_seconds(),
            aws: Map::new(),
            http: Map::new(),
        }
    }

    /// An AWS call's details: `operation`, `table_name`, `region`, `request_id`, `retries`.
    pub fn aws(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.aws.insert(key.into(), value.into());
        self
    }

    /// The HTTP request: method and URL. The query is cut off, whatever it holds.
    pub fn request(&mut self, method: &str, url: &str) -> &mut Self {
        let url = url.split(['?', '#']).next().unwrap_or_default();
        self.http.insert("request".into(), json!({ "method": method, "url": url }));
        self
    }

    /// Ends the call with its HTTP status (`None` when no answer came) and sends it: 4xx is an
    /// error, 429 also a throttle, 5xx or no answer a fault, as X-Ray classifies them.
    pub fn finish(mut self, status: Option<u16>) {
        let end_time = epoch_seconds().max(self.start_time);
        let mut document = Map::new();
        document.insert("type".into(), "subsegment".into());
        document.insert("id".into(), self.id.into());
        document.insert("trace_id".into(), self.trace_id.into());
        if let Some(parent) = self.parent_id {
            document.insert("parent_id".into(), parent.into());
        }
        document.insert("name".into(), self.name.into());
        document.insert(
            "namespace".into(),
            match self.namespace {
                Namespace::Aws => "aws",
                Namespace::Remote => "remote",
            }
            .into(),
        );
        document.insert("start_time".into(), self.start_time.into());
        document.insert("end_time".into(), end_time.into());
        if let Some(status) = status {
            self.http.insert("response".into(), json!({ "status": status }));
        }
        let (error, throttle, fault) = match status {
            Some(429) => (true, true, false),
            Some(400..=499) => (true, false, false),
            Some(500..) => (false, false, true),
            Some(_) => (false, false, false),
            // No answer at all (a timeout, a refused connection) is a fault too.
            None => (false, false, true),
        };
        document.insert("error".into(), error.into());
        document.insert("throttle".into(), throttle.into());
        document.insert("fault".into(), fault.into());
        if !self.aws.is_empty() {
            document.insert("aws".into(), self.aws.into());
        }
        if !self.http.is_empty() {
            document.insert("http".into(), self.http.into());
        }
        crate::emit(&datagram(&Value::Object(document)));
    }
}

/// The daemon's wire format: a header line, then the document.
pub(crate) fn datagram(document: &Value) -> Vec<u8> {
    let mut out = br#"{"format": "json", "version": 1}"#.to_vec();
    out.push(b'\n');
    out.extend_from_slice(document.to_string().as_bytes());
    out
}

fn epoch_seconds() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or_default()
}

/// 16 hex digits, as X-Ray wants segment ids.
fn segment_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
        bytes = (nanos as u64).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
