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

/// A call being timed. [`finish`](Subsegment::finish) sends it. Dropped unfinished (the call
/// was cancelled: a deadline passed, its future was dropped), it is sent as a fault, since the
/// slow calls that get cut off are the ones worth seeing.
#[derive(Debug)]
pub struct Subsegment {
    trace_id: String,
    parent_id: String,
    id: String,
    name: String,
    namespace: Namespace,
    start_time: f64,
    aws: Map<String, Value>,
    http: Map<String, Value>,
    throttled: bool,
    sent: bool,
}

impl Subsegment {
    /// Starts timing a call named `name` under `header`'s trace, or `None` when the header
    /// names no parent segment (X-Ray refuses a subsegment sent on its own without one).
    pub fn start(header: &TraceHeader, name: &str, namespace: Namespace) -> Option<Self> {
        Some(Self {
            trace_id: header.root.clone(),
            parent_id: header.parent.clone()?,
            id: segment_id(),
            name: name.chars().take(200).collect(),
            namespace,
            start_time: epoch_seconds(),
            aws: Map::new(),
            http: Map::new(),
            throttled: false,
            sent: false,
        })
    }

    /// An AWS call's details: `operation`, `table_name`, `region`, `request_id`, `retries`.
    pub fn aws(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.aws.insert(key.into(), value.into());
        self
    }

    /// The HTTP request: method and URL. The query and any `user:password@` are cut off,
    /// whatever they hold.
    pub fn request(&mut self, method: &str, url: &str) -> &mut Self {
        let url = url.split(['?', '#']).next().unwrap_or_default();
        let url = match url.split_once("://") {
            Some((scheme, rest)) => {
                let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
                let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
                format!("{scheme}://{host}{path}")
            }
            None => url.to_owned(),
        };
        self.http.insert("request".into(), json!({ "method": method, "url": url }));
        self
    }

    /// Marks the call throttled whatever its status (DynamoDB throttles with a 400).
    pub fn throttled(&mut self) -> &mut Self {
        self.throttled = true;
        self
    }

    /// Ends the call with its HTTP status (`None` when no answer came) and sends it: 4xx is an
    /// error, 429 also a throttle, 5xx or no answer a fault, as X-Ray classifies them.
    pub fn finish(mut self, status: Option<u16>) {
        self.send(status);
    }

    fn send(&mut self, status: Option<u16>) {
        if std::mem::replace(&mut self.sent, true) {
            return;
        }
        let end_time = epoch_seconds().max(self.start_time);
        let mut document = Map::new();
        document.insert("type".into(), "subsegment".into());
        document.insert("id".into(), self.id.clone().into());
        document.insert("trace_id".into(), self.trace_id.clone().into());
        document.insert("parent_id".into(), self.parent_id.clone().into());
        document.insert("name".into(), self.name.clone().into());
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
        let mut http = std::mem::take(&mut self.http);
        if let Some(status) = status {
            http.insert("response".into(), json!({ "status": status }));
        }
        let (error, throttle, fault) = match status {
            Some(429) => (true, true, false),
            Some(400..=499) => (true, self.throttled, false),
            Some(500..) => (false, self.throttled, true),
            Some(_) => (false, false, false),
            // No answer at all (a timeout, a refused connection, a cancelled call) is a fault.
            None => (false, false, true),
        };
        document.insert("error".into(), error.into());
        document.insert("throttle".into(), throttle.into());
        document.insert("fault".into(), fault.into());
        if !self.aws.is_empty() {
            document.insert("aws".into(), std::mem::take(&mut self.aws).into());
        }
        if !http.is_empty() {
            document.insert("http".into(), http.into());
        }
        crate::emit(&datagram(&Value::Object(document)));
    }
}

impl Drop for Subsegment {
    fn drop(&mut self) {
        self.send(None);
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
