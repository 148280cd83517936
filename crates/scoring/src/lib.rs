//! Financial-headline sentiment. Two models stand behind one [`Scorer`]:
//! - the **encoder**, all-MiniLM-L6-v2 fine-tuned on the vendored tweets and news sentences
//!   (`tools/train-encoder`), run with candle from checksummed int8 weights in `model/encoder`;
//! - the **linear** model, multinomial logistic regression over hashed word and character
//!   n-grams with tickers and names masked, compiled into the binary (`model/linear-v1.bin`),
//!   which `train` rebuilds byte for byte.
//!
//! [`select`] picks one at start-up: the encoder when its weights are found, unless told.

mod classifier;
pub mod encoder;
pub mod eval;
pub mod features;
mod linear;
pub mod train;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

pub use classifier::{
    Classifier, ClassifierError, Explanation, HEADLINE_WEIGHT, LABELS, MAX_OCCLUDED_WORDS, ModelKind,
    Probabilities, Scorer, UnknownModel, WordEffect, sentiment,
};
pub use encoder::{Encoder, EncoderError};
pub use linear::{Linear, ModelError, VERSION_PREFIX};

/// The shipped linear model's file, compiled in.
pub const SHIPPED_MODEL_BYTES: &[u8] = include_bytes!("../model/linear-v1.bin");

/// The shipped linear model, parsed once per process and shared by every caller.
pub fn shipped() -> Arc<Linear> {
    static MODEL: OnceLock<Arc<Linear>> = OnceLock::new();
    Arc::clone(MODEL.get_or_init(|| {
        // The file is checked by this crate's tests; failing here means a broken build.
        let model = Linear::from_bytes(SHIPPED_MODEL_BYTES)
            .unwrap_or_else(|e| panic!("shipped model is invalid: {e}"));
        Arc::new(model)
    }))
}

#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    #[error("SENTIMENT_MODEL=encoder, but no encoder weights were found (looked in {})", list(.searched))]
    EncoderNotFound { searched: Vec<PathBuf> },
    #[error("the encoder in {dir} cannot be loaded: {source}")]
    Encoder { dir: PathBuf, source: EncoderError },
}

fn list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// The chosen model and one line saying which it is and why, for the start-up log.
pub struct Selected {
    pub scorer: Scorer,
    pub reason: String,
}

/// Picks the model. `requested` is `SENTIMENT_MODEL` (none: the encoder when found, else the
/// linear model); `dir` is `SENTIMENT_MODEL_DIR` (none: [`encoder::default_dirs`]). Asking for
/// the encoder when it is absent is an error; so is a damaged encoder, whether asked for or
/// found by default, because silently scoring with the weaker model would go unnoticed.
pub fn select(requested: Option<ModelKind>, dir: Option<&Path>) -> Result<Selected, SelectError> {
    let searched: Vec<PathBuf> = match dir {
        Some(d) => vec![d.to_owned()],
        None => encoder::default_dirs(),
    };
    let linear = || Scorer::new(Box::new(shipped()));
    if requested == Some(ModelKind::Linear) {
        let scorer = linear();
        let reason = format!("sentiment model: linear {} (SENTIMENT_MODEL=linear)", scorer.version());
        return Ok(Selected { scorer, reason });
    }
    let Some(found) = encoder::find_dir(&searched) else {
        if requested == Some(ModelKind::Encoder) {
            return Err(SelectError::EncoderNotFound { searched });
        }
        let scorer = linear();
        let reason = format!(
            "sentiment model: linear {} (no encoder weights in {})",
            scorer.version(),
            list(&searched)
        );
        return Ok(Selected { scorer, reason });
    };
    let encoder =
        Encoder::load(&found).map_err(|source| SelectError::Encoder { dir: found.clone(), source })?;
    let scorer = Scorer::new(Box::new(encoder));
    let reason = format!("sentiment model: encoder {} from {}", scorer.version(), found.display());
    Ok(Selected { scorer, reason })
}
