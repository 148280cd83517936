//! Would mixing the two models help? Scores each file with both, then reports accuracy /
//! macro-F1 of `p = (1 − w)·encoder + w·linear` for several w. The two validation splits
//! choose w; any further files (for example phrasebank-dev) are measured only. Run:
//! `cargo run --release -p scoring --example ensemble -- [FILE ...]` (about a minute).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use scoring::encoder::CHECKOUT_DIR;
use scoring::{Classifier, ClassifierError, Encoder, ModelKind, Probabilities, Scorer, eval};

/// Both models' probabilities, computed once per text; `probabilities` mixes them.
struct Mixed {
    both: Arc<HashMap<String, (Probabilities, Probabilities)>>,
    linear_weight: f32,
}

impl Classifier for Mixed {
    fn kind(&self) -> ModelKind {
        ModelKind::Encoder
    }

    fn version(&self) -> &str {
        "encoder+linear"
    }

    fn probabilities(&self, texts: &[&str]) -> Result<Vec<Probabilities>, ClassifierError> {
        let w = self.linear_weight;
        texts
            .iter()
            .map(|t| {
                let (e, l) = self.both.get(*t).ok_or(ClassifierError::Inference("unseen text".into()))?;
                Ok(std::array::from_fn(|c| (1.0 - w) * e[c] + w * l[c]))
            })
            .collect()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let mut files =
        vec![data.join("twitter-financial-news/sent_valid.csv"), data.join("news-sentences/valid.tsv")];
    files.extend(std::env::args().skip(1).map(Into::into));
    let encoder = Encoder::load(Path::new(CHECKOUT_DIR))?;
    let linear = scoring::shipped();
    let weights = [0.0f32, 0.1, 0.2, 0.3, 0.4, 0.5];
    println!("file | {}", weights.map(|w| format!("w {w}")).join(" | "));
    for file in &files {
        let examples = eval::read_labelled(file)?;
        let texts: Vec<&str> = examples.iter().map(|(t, _)| t.as_str()).collect();
        let e = encoder.probabilities(&texts)?;
        let l = linear.probabilities(&texts)?;
        let both: Arc<HashMap<String, _>> = Arc::new(
            texts.iter().zip(e.into_iter().zip(l)).map(|(t, pair)| ((*t).to_owned(), pair)).collect(),
        );
        let mut row = Vec::new();
        for linear_weight in weights {
            let scorer = Scorer::new(Box::new(Mixed { both: Arc::clone(&both), linear_weight }));
            let report = eval::evaluate(&scorer, &examples)?;
            row.push(format!("{:.4} / {:.4}", report.accuracy, report.macro_f1));
        }
        println!("{} | {}", file.display(), row.join(" | "));
    }
    Ok(())
}
