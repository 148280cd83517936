//! `sentiment-analyzer`: the whole service on one machine. `serve` runs the API on an
//! embedded store and ingests on a schedule; `ingest` runs the pipeline; `score` scores text.

mod cli;
mod commands;
mod setup;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    setup::init_tracing(cli.log_format);
    setup::report_panics_as_errors();
    // Store operations run on blocking threads; they are few and fast, so a small pool bounds
    // memory under load instead of growing to hundreds of threads.
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().enable_all().max_blocking_threads(32).build() {
            Ok(runtime) => runtime,
            Err(e) => {
                eprintln!("error: cannot start the async runtime: {e}");
                return ExitCode::FAILURE;
            }
        };
    match runtime.block_on(commands::run(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", setup::cause_chain(&*error));
            ExitCode::FAILURE
        }
    }
}
