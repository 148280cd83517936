//! The commands.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use api::AppState;
use ingestion::Pipeline;
use serde_json::json;

use startup::{Settings, StoreSettings};

use crate::cli::{Command, EvalArgs, IngestArgs, RescoreArgs, ScoreArgs, TrainArgs};
use crate::setup::{self, BoxError};

pub async fn run(command: Command, settings: Settings) -> Result<ExitCode, BoxError> {
    match command {
        Command::Serve(_) => serve(settings).await,
        Command::Ingest(args) => ingest(args, settings).await,
        Command::Score(args) => score(args, &settings),
        Command::Eval(args) => eval(args, &settings),
        Command::Train(args) => train(args),
        Command::CreateTable(_) => create_table(settings).await,
        Command::Rescore(args) => rescore(args, settings).await,
    }
}

async fn serve(settings: Settings) -> Result<ExitCode, BoxError> {
    let clock = setup::clock();
    let store = startup::parts::store(&settings, clock.clone()).await?;
    let pipeline = startup::parts::pipeline(&settings, store.clone(), clock.clone()).await?;
    let mut state = AppState::new(store, clock, pipeline.default_watchlist().clone());
    state.accounts = settings.accounts.clone();
    state.rate_limits = settings.rate_limits;
    state.trusted_proxies = settings.trusted_proxies.clone();
    state.cors = settings.cors.clone();
    state.quotas = settings.quotas.clone();
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.addr))?;
    let addr = listener.local_addr()?;

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let ingest_loop =
        tokio::spawn(ingest_forever(pipeline, settings.ingest_every.max(Duration::from_secs(1)), stopped));

    let server = api::server::ServerConfig::default().within_fd_limit(setup::raise_fd_limit());
    tracing::debug!(max_connections = server.max_connections, "connection limits");
    tracing::info!("listening on http://{addr}");
    // The API, and the dashboard's files at `/` beside it.
    let app = api::router_with_site(state, web::router());
    api::server::serve(listener, app, server, setup::shutdown_signal()).await?;

    tracing::info!("shutting down");
    let _ = stop.send(true);
    // A run in progress stops between articles; each article's write is atomic.
    let _ = ingest_loop.await;
    tracing::info!("stopped cleanly");
    Ok(ExitCode::SUCCESS)
}

/// Runs the pipeline now and then every `every`, until told to stop.
async fn ingest_forever(pipeline: Pipeline, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = ticks.tick() => {}
        }
        tokio::select! {
            _ = stop.changed() => return,
            result = pipeline.run_once() => {
                if let Err(error) = result {
                    tracing::error!(error = %setup::cause_chain(&error), "ingestion run failed");
                }
            }
        }
    }
}

async fn ingest(args: IngestArgs, settings: Settings) -> Result<ExitCode, BoxError> {
    let pipeline = startup::parts::ingestion(&settings, setup::clock()).await?;
    if args.once {
        let summary = pipeline.run_once().await?;
        print_line(&serde_json::to_string_pretty(&summary)?)?;
        return Ok(if summary.failed() { ExitCode::FAILURE } else { ExitCode::SUCCESS });
    }
    let mut ticks = tokio::time::interval(settings.ingest_every.max(Duration::from_secs(1)));
    let shutdown = setup::shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return Ok(ExitCode::SUCCESS),
            _ = ticks.tick() => {
                let summary = pipeline.run_once().await?;
                print_line(&serde_json::to_string(&summary)?)?;
            }
        }
    }
}

/// Re-scores the stored articles with the configured model, printing progress to stderr
/// and the summary as JSON on stdout.
async fn rescore(args: RescoreArgs, settings: Settings) -> Result<ExitCode, BoxError> {
    let clock = setup::clock();
    let store = startup::parts::store(&settings, clock.clone()).await?;
    let model = startup::parts::model(&settings)?;
    eprintln!(
        "re-scoring stored articles with {}{}",
        model.version(),
        if args.all { " (all of them)" } else { "" }
    );
    let started = std::time::Instant::now();
    let done = domain::table::articles::rescore(&*store, &*model, clock.now(), args.all, |d| {
        if d.examined % 100 == 0 {
            eprintln!("  {} examined, {} re-scored, {:.0?}", d.examined, d.rescored, started.elapsed());
        }
    })
    .await?;
    print_line(&serde_json::to_string_pretty(&done)?)?;
    Ok(ExitCode::SUCCESS)
}

/// Creates the DynamoDB table from the schema in code, or checks an existing one.
async fn create_table(settings: Settings) -> Result<ExitCode, BoxError> {
    let StoreSettings::DynamoDb { table } = &settings.store else {
        return Err(
            "create-table prepares a DynamoDB table; the embedded store needs none (use --store dynamodb)"
                .into(),
        );
    };
    let config = store_dynamodb::sdk_config().await;
    if config.region().is_none() {
        return Err(store_dynamodb::ConnectError::NoRegion.into());
    }
    let client = aws_sdk_dynamodb::Client::new(&config);
    match store_dynamodb::table::ensure(&client, table, &domain::table::schema::TABLE).await? {
        store_dynamodb::table::Outcome::Created => {
            println!("created table {table} (keys PK/SK, index GSI1, TTL on expires_at)")
        }
        store_dynamodb::table::Outcome::AlreadyMatches => {
            println!("table {table} already exists with the same schema")
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a line to standard output; a reader that went away is not an error.
fn print_line(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{line}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Scores each text as it is read and writes one JSON line per text. A line of standard input
/// that is not UTF-8 is reported by number and skipped; the rest are scored. A reader that
/// goes away (`| head -1`) ends the command quietly.
fn score(args: ScoreArgs, settings: &Settings) -> Result<ExitCode, BoxError> {
    let model = startup::parts::scorer(settings)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut bad_lines = 0_usize;
    let round = |x: f64| (x * 1e4).round() / 1e4;
    let mut emit = |text: &str| -> std::io::Result<()> {
        let explained = if args.explain {
            model.explain(text, EXPLAINED_WORDS).map(|e| (e.sentiment, Some(e.words)))
        } else {
            model.score_article(text, None).map(|s| (s, None))
        };
        let (s, words) = explained.map_err(std::io::Error::other)?;
        let mut line = json!({
            "text": text,
            "label": s.label,
            "score": round(s.score),
            "confidence": round(s.confidence),
            "model": model.version(),
        });
        if let Some(words) = words {
            line["explanation"] = words
                .iter()
                .map(|w| json!({ "word": w.word, "effect": round(w.effect) }))
                .collect::<Vec<_>>()
                .into();
        }
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")
    };
    let result = (|| -> std::io::Result<()> {
        for text in &args.texts {
            if text != "-" {
                emit(text)?;
                continue;
            }
            for (index, line) in std::io::stdin().lock().split(b'\n').enumerate() {
                let line = line?;
                match std::str::from_utf8(&line) {
                    Ok(text) => {
                        let text = text.trim_end_matches('\r');
                        if !text.trim().is_empty() {
                            emit(text)?;
                        }
                    }
                    Err(_) => {
                        bad_lines += 1;
                        eprintln!("error: line {} of standard input is not valid UTF-8; skipped", index + 1);
                    }
                }
            }
        }
        Ok(())
    })()
    .and_then(|()| out.flush());
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(e.into()),
        Ok(()) => {}
    }
    Ok(if bad_lines > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Words listed by `score --explain`.
const EXPLAINED_WORDS: usize = 5;

/// Scores a labelled file and prints the metrics.
fn eval(args: EvalArgs, settings: &Settings) -> Result<ExitCode, BoxError> {
    let examples = scoring::eval::read_labelled(&args.file)?;
    let model = startup::parts::scorer(settings)?;
    let report = scoring::eval::evaluate(&model, &examples)?;
    let text = if args.json { serde_json::to_string(&report)? } else { report.to_text() };
    print_line(text.trim_end())?;
    Ok(ExitCode::SUCCESS)
}

/// Retrains the linear model, reporting each step (and a progress bar over the epochs) on
/// standard error, and prints where it wrote the model and its held-out scores.
fn train(args: TrainArgs) -> Result<ExitCode, BoxError> {
    use scoring::train;
    let out = args.out.unwrap_or_else(|| std::path::PathBuf::from(train::SHIPPED_MODEL_PATH));
    let step = |n: usize, what: &str| eprintln!("[{n}/4] {what}");
    step(1, "reading the vendored tweets and news sentences (train and valid splits)");
    let (tweets, news) = train::training_set()?;
    let tweets_valid = train::vendored("valid")?;
    let news_valid = train::news("valid")?;
    step(2, &format!("training on {} tweets and {} news sentences", tweets.len(), news.len()));
    let mut bar = crate::progress::Bar::new("epoch");
    let model = train::fit(&tweets, &news, &train::SHIPPED, &mut |done, total| bar.set(done, total));
    bar.finish();
    let bytes = model.to_bytes();
    std::fs::write(&out, &bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    step(3, "measuring on the validation splits (held out from training, used to choose its settings)");
    let mut lines = vec![format!(
        "wrote {} ({} bytes, {}, {} of {} buckets used)",
        out.display(),
        bytes.len(),
        model.version(),
        model.used_buckets(),
        1usize << model.config().bits
    )];
    for (name, set) in [("twitter valid", &tweets_valid), ("news valid", &news_valid)] {
        let m = train::evaluate(&model, set);
        lines.push(format!(
            "{name} ({} rows): accuracy {:.4}, macro-F1 {:.4}, log-loss {:.4}",
            m.examples, m.accuracy, m.macro_f1, m.log_loss
        ));
    }
    print_line(&lines.join("\n"))?;
    if let Some(path) = args.eval {
        step(4, &format!("measuring on {}", path.display()));
        let examples = scoring::eval::read_labelled(&path)?;
        let scorer = scoring::Scorer::new(Box::new(std::sync::Arc::new(model)));
        let report = scoring::eval::evaluate(&scorer, &examples)?;
        print_line(report.to_text().trim_end())?;
    } else {
        step(4, "done (pass --eval FILE to measure on a labelled file)");
    }
    Ok(ExitCode::SUCCESS)
}
