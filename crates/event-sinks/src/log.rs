//! `SENTIMENT_EVENTS=log`: one JSON line per event (its wire form) on stderr, with the logs,
//! or any writer. Not stdout: `ingest --once` prints its summary there for scripts to read.

use std::io::Write;
use std::sync::Mutex;

use async_trait::async_trait;
use domain::event::{Event, EventSink, PublishReport};

pub struct LogSink {
    out: Mutex<Box<dyn Write + Send>>,
}

impl LogSink {
    pub fn stderr() -> Self {
        Self::to(Box::new(std::io::stderr()))
    }

    pub fn to(out: Box<dyn Write + Send>) -> Self {
        Self { out: Mutex::new(out) }
    }
}

#[async_trait]
impl EventSink for LogSink {
    fn name(&self) -> &'static str {
        "log"
    }

    async fn publish(&self, events: &[Event]) -> PublishReport {
        let mut report = PublishReport::default();
        let mut out = self.out.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for event in events {
            let written = serde_json::to_string(&event.to_wire())
                .map_err(|e| e.to_string())
                .and_then(|line| writeln!(out, "{line}").map_err(|e| e.to_string()));
            match written {
                Ok(()) => report.published += 1,
                Err(error) => report.fail(1, format!("event {}: {error}", event.id)),
            }
        }
        if let Err(error) = out.flush() {
            tracing::warn!(%error, "cannot flush the event log");
        }
        report
    }
}
