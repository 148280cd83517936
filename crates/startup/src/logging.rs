//! Log lines for the CLI and both Lambdas: text for people, one flat JSON object per line for
//! CloudWatch Logs Insights.
//!
//! A JSON line holds `timestamp`, `level`, `target`, `message`, the event's fields, and the
//! fields of every span the event happened in, inner spans winning. In Lambda that puts on
//! every line of an invocation:
//! - `aws_request_id`: the invocation's id (the runtime's span field `requestId`);
//! - `trace_id`: the X-Ray trace id, the `Root` of the trace header the runtime receives and
//!   exports as `_X_AMZN_TRACE_ID` (its span field `xrayTraceId`); `xray_trace_header` keeps
//!   the whole header;
//! - `request_id`: the API's own id for the request, also sent back in `x-request-id`.
//!
//! What is logged is chosen where it is logged: tokens, keys and session secrets are never
//! fields of any event or span (the API logs ids, methods and paths, never headers or bodies),
//! and `tests/lambda_logs.rs` in `lambda-dashboard` greps a whole journey's lines for them.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use crate::settings::LogFormat;

/// Installs the process's logger, writing to stderr. The level comes from
/// `AWS_LAMBDA_LOG_LEVEL` (Lambda's log-level control) or else `RUST_LOG`, default `info`.
pub fn init(format: LogFormat) {
    let directives = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .ok()
        .filter(|level| !level.is_empty())
        .map(|level| level.to_lowercase())
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info".into());
    // The Lambda runtime's invocation span carries the request and trace ids; keep it even
    // when the level asked for would drop info spans.
    let filter = EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive("lambda_runtime::layers::trace=info".parse().expect("a valid directive"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => {
            builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init();
        }
        LogFormat::Json => builder.fmt_fields(JsonFields::new()).event_format(FlatJson).init(),
    }
}

/// One JSON object per event, span fields flattened into it.
pub struct FlatJson;

impl<S, N> FormatEvent<S, N> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = Map::new();
        let metadata = event.metadata();
        line.insert(
            "timestamp".into(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true).into(),
        );
        line.insert("level".into(), metadata.level().as_str().into());
        line.insert("target".into(), metadata.target().into());
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let Some(fields) = extensions.get::<FormattedFields<N>>() else { continue };
                if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(fields) {
                    for (name, value) in fields {
                        insert_span_field(&mut line, name, value);
                    }
                }
            }
        }
        event.record(&mut Fields(&mut line));
        writeln!(writer, "{}", Value::Object(line))
    }
}

/// The Lambda runtime names its span fields in camel case; the lines use one style.
fn insert_span_field(line: &mut Map<String, Value>, name: String, value: Value) {
    match name.as_str() {
        "requestId" => {
            line.insert("aws_request_id".into(), value);
        }
        "xrayTraceId" => {
            if let Some(header) = value.as_str().and_then(xray::TraceHeader::parse) {
                line.insert("trace_id".into(), header.root.into());
            }
            line.insert("xray_trace_header".into(), value);
        }
        _ => {
            line.insert(name, value);
        }
    }
}

struct Fields<'a>(&'a mut Map<String, Value>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}").into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
}
