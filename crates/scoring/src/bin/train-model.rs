//! Rebuilds `model/naive-bayes-v1.json` from the vendored data and reports its quality.
//! Usage: `cargo run -p scoring --release --bin train-model [-- --eval-tsv PATH]`, where the
//! optional TSV (`sentence<TAB>label` with positive|negative|neutral) is an extra test set.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use domain::SentimentLabel;
use scoring::train::{self, Example};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("train-model: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let eval_tsv = match args.as_slice() {
        [] => None,
        [flag, path] if flag == "--eval-tsv" => Some(PathBuf::from(path)),
        _ => return Err("usage: train-model [--eval-tsv PATH]".into()),
    };

    let train_set = train::vendored("train")?;
    let valid_set = train::vendored("valid")?;
    let held_out = train::calibrate(train::fit(&train_set), &valid_set);
    let m = train::evaluate(&held_out, &valid_set);
    println!(
        "train-only model on valid ({} rows): accuracy {:.3}, macro-F1 {:.3}, log-loss {:.3}, temperature {}",
        m.examples,
        m.accuracy,
        m.macro_f1,
        m.log_loss,
        held_out.temperature()
    );

    let shipped = train::train_shipped()?;
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("model/naive-bayes-v1.json");
    std::fs::write(&out, shipped.to_json())?;
    println!("wrote {} ({} features)", out.display(), shipped.vocabulary_size());

    if let Some(path) = eval_tsv {
        let set = read_tsv(&path)?;
        let m = train::evaluate(&shipped, &set);
        let neutral = set.iter().filter(|(_, l)| *l == SentimentLabel::Neutral).count() as f64
            / set.len().max(1) as f64;
        println!(
            "shipped model on {} ({} rows): accuracy {:.3}, macro-F1 {:.3}, log-loss {:.3} (always-neutral accuracy {:.3})",
            path.display(),
            m.examples,
            m.accuracy,
            m.macro_f1,
            m.log_loss,
            neutral
        );
    }
    Ok(())
}

fn read_tsv(path: &Path) -> Result<Vec<Example>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)?;
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let Some((sentence, label)) = line.rsplit_once('\t') else { continue };
        let label = match label.trim() {
            "positive" => SentimentLabel::Positive,
            "negative" => SentimentLabel::Negative,
            "neutral" => SentimentLabel::Neutral,
            _ => continue,
        };
        out.push((sentence.to_owned(), label));
    }
    Ok(out)
}
