//! Measuring a model on a labelled file: accuracy, macro-F1, per-class precision and recall,
//! the confusion matrix and the time per text.

use std::path::{Path, PathBuf};
use std::time::Instant;

use domain::SentimentLabel;
use serde::Serialize;

use crate::classifier::{ClassifierError, LABELS, Scorer, sentiment};
use crate::train::{self, Example, TrainError};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Csv { path: PathBuf, source: TrainError },
    #[error("{path} line {line}: {why}")]
    Tsv { path: PathBuf, line: usize, why: String },
    #[error("{path} has no labelled rows")]
    Empty { path: PathBuf },
    #[error(transparent)]
    Model(#[from] ClassifierError),
}

fn parse_label(s: &str) -> Option<SentimentLabel> {
    match s.trim().to_ascii_lowercase().as_str() {
        "positive" => Some(SentimentLabel::Positive),
        "negative" => Some(SentimentLabel::Negative),
        "neutral" => Some(SentimentLabel::Neutral),
        _ => None,
    }
}

/// `sentence<TAB>label` with a header line and labels positive | negative | neutral.
pub fn read_tsv(path: &Path, text: &str) -> Result<Vec<Example>, EvalError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let bad = |why: String| EvalError::Tsv { path: path.to_owned(), line: i + 1, why };
        let Some((sentence, label)) = line.rsplit_once('\t') else {
            return Err(bad("expected sentence<TAB>label".into()));
        };
        match parse_label(label) {
            Some(label) => out.push((sentence.to_owned(), label)),
            // The header names its columns.
            None if i == 0 => continue,
            None => return Err(bad(format!("label must be positive, negative or neutral, got {label:?}"))),
        }
    }
    Ok(out)
}

/// A TSV (`sentence<TAB>label`) or a twitter-financial-news CSV (`text,label`, 0 = negative,
/// 1 = positive, 2 = neutral), told apart by the extension, or else by a tab in the header.
pub fn read_labelled(path: &Path) -> Result<Vec<Example>, EvalError> {
    let bytes = std::fs::read(path).map_err(|source| EvalError::Io { path: path.to_owned(), source })?;
    let text = String::from_utf8_lossy(&bytes);
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let is_tsv = match extension.as_deref() {
        Some("tsv") => true,
        Some("csv") => false,
        _ => text.lines().next().is_some_and(|l| l.contains('\t')),
    };
    let examples = if is_tsv {
        read_tsv(path, &text)?
    } else {
        train::read_csv(text.as_bytes()).map_err(|source| EvalError::Csv { path: path.to_owned(), source })?
    };
    if examples.is_empty() {
        return Err(EvalError::Empty { path: path.to_owned() });
    }
    Ok(examples)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassReport {
    pub label: SentimentLabel,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub model: String,
    pub version: String,
    pub examples: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub classes: Vec<ClassReport>,
    /// Class order of `confusion`'s rows (truth) and columns (prediction).
    pub labels: [SentimentLabel; 3],
    pub confusion: [[usize; 3]; 3],
    /// Wall time of scoring the whole file (batched as the model batches), per text.
    pub micros_per_text: f64,
}

fn index(label: SentimentLabel) -> usize {
    LABELS.iter().position(|l| *l == label).unwrap_or(1)
}

/// Metrics of predictions against truth, both in the same order.
pub fn report(
    scorer: &Scorer,
    truth: &[SentimentLabel],
    predicted: &[SentimentLabel],
    micros_per_text: f64,
) -> Report {
    let mut confusion = [[0usize; 3]; 3];
    for (t, p) in truth.iter().zip(predicted) {
        confusion[index(*t)][index(*p)] += 1;
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let classes: Vec<ClassReport> = (0..3)
        .map(|c| {
            let tp = confusion[c][c];
            let predicted: usize = (0..3).map(|t| confusion[t][c]).sum();
            let support: usize = confusion[c].iter().sum();
            let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
            let f1 =
                if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
            ClassReport { label: LABELS[c], precision, recall, f1, support }
        })
        .collect();
    let correct: usize = (0..3).map(|c| confusion[c][c]).sum();
    Report {
        model: scorer.kind().to_string(),
        version: scorer.version().to_owned(),
        examples: truth.len(),
        accuracy: ratio(correct, truth.len()),
        macro_f1: classes.iter().map(|c| c.f1).sum::<f64>() / 3.0,
        classes,
        labels: LABELS,
        confusion,
        micros_per_text,
    }
}

/// Scores every example and measures the model against their labels.
pub fn evaluate(scorer: &Scorer, examples: &[Example]) -> Result<Report, EvalError> {
    let texts: Vec<&str> = examples.iter().map(|(t, _)| t.as_str()).collect();
    let started = Instant::now();
    let probabilities = scorer.probabilities(&texts)?;
    let elapsed = started.elapsed();
    let predicted: Vec<SentimentLabel> = probabilities.into_iter().map(|p| sentiment(p).label).collect();
    let truth: Vec<SentimentLabel> = examples.iter().map(|(_, l)| *l).collect();
    let micros = elapsed.as_secs_f64() * 1e6 / examples.len().max(1) as f64;
    Ok(report(scorer, &truth, &predicted, micros))
}

impl Report {
    /// The report for a terminal.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "model {} ({})\nexamples {}\naccuracy {:.4}\nmacro-F1 {:.4}\n\nclass      precision  recall  f1      support\n",
            self.model, self.version, self.examples, self.accuracy, self.macro_f1
        );
        for c in &self.classes {
            s += &format!(
                "{:<10} {:<10.4} {:<7.4} {:<7.4} {}\n",
                c.label.as_str(),
                c.precision,
                c.recall,
                c.f1,
                c.support
            );
        }
        s += "\nconfusion (rows: true, columns: predicted)\n";
        s += &format!("{:<10} {:>9} {:>9} {:>9}\n", "", "negative", "neutral", "positive");
        for (label, row) in self.labels.iter().zip(&self.confusion) {
            s += &format!("{:<10} {:>9} {:>9} {:>9}\n", label.as_str(), row[0], row[1], row[2]);
        }
        s += &format!("\n{:.1} µs per text\n", self.micros_per_text);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tsv_with_header_and_refuses_unknown_labels() {
        let p = Path::new("x.tsv");
        let rows = read_tsv(p, "sentence\tlabel\nProfit rose.\tpositive\n\nSales fell.\tNEGATIVE\n").unwrap();
        assert_eq!(
            rows,
            vec![
                ("Profit rose.".to_owned(), SentimentLabel::Positive),
                ("Sales fell.".to_owned(), SentimentLabel::Negative)
            ]
        );
        let err = read_tsv(p, "sentence\tlabel\nx\tbullish\n").unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(read_tsv(p, "sentence\tlabel\nno tab here\n").is_err());
    }
}
