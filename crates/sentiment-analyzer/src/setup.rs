//! Process-level set-up for the CLI: logging, panics, signals, open-file limit, the clock.

use std::sync::Arc;

pub use domain::error_report::cause_chain;
use domain::{Clock, SystemClock};
use startup::settings::LogFormat;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub fn init_tracing(format: LogFormat) {
    startup::logging::init(format, startup::Host::Cli);
}

/// Reports a panic as one error log line instead of Rust's default message. Panics inside the
/// store are caught and become errors with advice; this keeps their trace readable too.
pub fn report_panics_as_errors() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        tracing::error!(%location, "internal fault: {payload}");
    }));
}

/// Raises the soft limit on open files to the hard limit (connections are files) and returns
/// the limit in force.
pub fn raise_fd_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(error) => {
            tracing::warn!(%error, "cannot raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    }
}

pub fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
