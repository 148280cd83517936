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
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

use crate::settings::{Host, LogFormat};

/// Installs the process's logger, writing to stderr. The level comes from `RUST_LOG`, or in
/// Lambda from `AWS_LAMBDA_LOG_LEVEL` (Lambda's log-level control) first; default `info`.
///
/// Two guards hold whatever level is asked for:
/// - nothing is logged below DEBUG: at TRACE the Lambda runtime logs each raw event (its
///   headers, session tokens included) and the AWS SDK whole requests and responses;
/// - the spans that carry the ids (the runtime's invocation span, the API's request span)
///   stay on at WARN and ERROR, so the lines that matter most keep their ids.
pub fn init(format: LogFormat, host: Host) {
    let lambda_level = match host {
        Host::Lambda => std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().and_then(|level| lambda_directive(&level)),
        Host::Cli => None,
    };
    let directives = lambda_level.or_else(|| std::env::var("RUST_LOG").ok()).unwrap_or_else(|| "info".into());
    let filter = EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive("lambda_runtime::layers::trace=info".parse().expect("a valid directive"))
        .add_directive("api::request_id=info".parse().expect("a valid directive"));
    let filter = filter.and(LevelFilter::DEBUG);
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    match format {
        LogFormat::Text => {
            let layer = layer.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
            tracing_subscriber::registry().with(layer.with_filter(filter)).init();
        }
        LogFormat::Json => {
            let layer = layer.fmt_fields(JsonFields::new()).event_format(FlatJson);
            tracing_subscriber::registry().with(layer.with_filter(filter)).init();
        }
    }
}

/// Lambda's level names (`TRACE` … `FATAL`) as a filter directive.
fn lambda_directive(level: &str) -> Option<String> {
    let level = match level.trim().to_ascii_uppercase().as_str() {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "INFO" => "info",
        "WARN" => "warn",
        "ERROR" | "FATAL" => "error",
        _ => return None,
    };
    Some(level.into())
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
        // Last, so no field of an event or span can pass for them.
        line.insert(
            "timestamp".into(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true).into(),
        );
        line.insert("level".into(), metadata.level().as_str().into());
        line.insert("target".into(), metadata.target().into());
        writeln!(writer, "{}", Value::Object(line))
    }
}

/// The Lambda runtime names its span fields in camel case; the lines use one style.
fn insert_span_field(line: &mut Map<String, Value>, name: String, value: Value) {
    match name.as_str() {
        "requestId" => {
            line.insert("aws_request_id".into(), value);
        }
        "tenantId" => {
            line.insert("tenant_id".into(), value);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_levels_become_directives() {
        assert_eq!(lambda_directive("TRACE").as_deref(), Some("trace"));
        assert_eq!(lambda_directive("warn").as_deref(), Some("warn"));
        assert_eq!(lambda_directive("FATAL").as_deref(), Some("error"));
        assert_eq!(lambda_directive("loud"), None);
    }
}
