//! What every entry point does before it serves: read the settings (one type, one set of
//! `SENTIMENT_*` variable names, each default defined once, for the CLI and both Lambdas)
//! and build the parts they name: the store, the news sources, the pipeline.

#[cfg(feature = "fault-injection")]
pub mod fault;
pub mod logging;
pub mod parts;
pub mod secrets;
pub mod settings;

pub use settings::{Host, Settings, SettingsError, SourceChoice, StoreSettings};
