//! `sentiment-analyzer`: the whole service on one machine. `serve` runs the API on an
//! embedded (or DynamoDB) store and ingests on a schedule; `ingest` runs the pipeline;
//! `score` scores text; `eval` measures a model; `train` rebuilds the linear model;
//! `rescore` re-scores stored articles after a model change; `create-table` prepares a
//! DynamoDB table.

mod cli;
mod commands;
mod progress;
mod setup;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Command, Overrides};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let overrides = Overrides::default().with(startup::settings::LOG_FORMAT, cli.log_format.as_ref());
    let overrides = match &cli.command {
        Command::Serve(args) => overrides
            .with_store(&args.store)
            .with_pipeline(&args.pipeline)
            .with_model(&args.model)
            .with(startup::settings::ADDR, args.addr.as_ref())
            .with(startup::settings::INGEST_EVERY, args.every.as_ref()),
        Command::Ingest(args) => overrides
            .with_store(&args.store)
            .with_pipeline(&args.pipeline)
            .with_model(&args.model)
            .with(startup::settings::INGEST_EVERY, args.every.as_ref()),
        Command::CreateTable(args) => {
            // create-table is for DynamoDB whatever the default store is.
            let store = args.store.clone().or_else(|| Some("dynamodb".into()));
            overrides.with_store(&cli::StoreArgs { store, ..args.clone() })
        }
        Command::Rescore(args) => overrides.with_store(&args.store).with_model(&args.model),
        Command::Score(args) => overrides.with_model(&args.model),
        Command::Eval(args) => overrides.with_model(&args.model),
        Command::Train(_) => overrides,
    };
    let settings = match overrides.settings() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    setup::init_tracing(settings.log_format);
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
    match runtime.block_on(commands::run(cli.command, settings)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", setup::cause_chain(&*error));
            ExitCode::FAILURE
        }
    }
}
