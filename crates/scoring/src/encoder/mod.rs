//! The fine-tuned MiniLM encoder (6 layers, 384 wide), run on the CPU with candle.
//!
//! Its files live in one directory (`model/encoder` in this crate): `config.json`,
//! `labels.json`, `vocab.txt`, `model.int8.safetensors` and `SHA256SUMS`. Every file read is
//! checked against `SHA256SUMS` first, so a truncated copy or a stale Lambda layer fails at
//! start-up with the file's name rather than scoring with the wrong weights.

mod bert;
mod gelu;
mod textprep;
mod weights;
mod wordpiece;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

pub use textprep::normalise;
pub use wordpiece::{VocabError, WordPiece, words};

use crate::classifier::{Classifier, ClassifierError, LABELS, ModelKind, Probabilities};
use bert::{Bert, Dims};
use weights::Weights;

/// The weights file this build reads.
pub const WEIGHTS_FILE: &str = "model.int8.safetensors";
const CHECKSUMS_FILE: &str = "SHA256SUMS";
/// Texts per forward pass: long enough to amortise per-call overhead, short enough that
/// padding to the longest text in a length-sorted batch wastes little.
const BATCH: usize = 32;

/// The directory of a source checkout's encoder, for `cargo run` and tests.
pub const CHECKOUT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/model/encoder");

#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} does not list {file}")]
    NotListed { path: PathBuf, file: String },
    #[error(
        "{path} has SHA-256 {actual}, but SHA256SUMS says {expected}: the file is damaged or from another model"
    )]
    Checksum { path: PathBuf, expected: String, actual: String },
    #[error("{path} is invalid: {why}")]
    Config { path: PathBuf, why: String },
    #[error("tensor {name}: {why}")]
    Weights { name: String, why: String },
    #[error("vocabulary: {0}")]
    Vocab(#[from] VocabError),
    #[error("tensor maths failed: {0}")]
    Candle(#[from] candle_core::Error),
}

#[derive(Deserialize)]
struct Config {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    max_seq_length: usize,
    layer_norm_eps: f64,
    hidden_act: String,
    pooling: String,
    #[serde(default)]
    preprocessing: Preprocessing,
}

#[derive(Deserialize)]
struct Preprocessing {
    normalise: bool,
}

impl Default for Preprocessing {
    fn default() -> Self {
        Self { normalise: true }
    }
}

#[derive(Deserialize)]
struct LabelsFile {
    labels: Vec<String>,
}

/// Where the encoder may be when no directory is configured, in the order searched: beside
/// the executable (`<exe dir>/model/encoder`, how the Lambda zip carries it), then this
/// crate's source checkout.
pub fn default_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(exe_dir) = std::env::current_exe().ok().and_then(|p| p.parent().map(Path::to_path_buf)) {
        dirs.push(exe_dir.join("model").join("encoder"));
    }
    dirs.push(PathBuf::from(CHECKOUT_DIR));
    dirs
}

/// The first of `dirs` that holds encoder weights.
pub fn find_dir(dirs: &[PathBuf]) -> Option<PathBuf> {
    dirs.iter().find(|d| d.join(WEIGHTS_FILE).is_file()).cloned()
}

fn read(path: &Path) -> Result<Vec<u8>, EncoderError> {
    std::fs::read(path).map_err(|source| EncoderError::Io { path: path.to_owned(), source })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `SHA256SUMS` file as file name → lower-case hex digest.
fn checksums(dir: &Path) -> Result<HashMap<String, String>, EncoderError> {
    let path = dir.join(CHECKSUMS_FILE);
    let text = String::from_utf8(read(&path)?)
        .map_err(|_| EncoderError::Config { path: path.clone(), why: "not UTF-8".into() })?;
    let mut sums = HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (digest, name) = line
            .split_once(char::is_whitespace)
            .map(|(d, n)| (d.trim(), n.trim().trim_start_matches('*')))
            .filter(|(d, _)| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| EncoderError::Config { path: path.clone(), why: format!("bad line {line:?}") })?;
        sums.insert(name.to_owned(), digest.to_ascii_lowercase());
    }
    Ok(sums)
}

/// Reads `name` from `dir` and checks it against its listed SHA-256; returns the bytes and
/// the digest.
fn read_checked(
    dir: &Path,
    sums: &HashMap<String, String>,
    name: &str,
) -> Result<(Vec<u8>, String), EncoderError> {
    let path = dir.join(name);
    let expected = sums
        .get(name)
        .ok_or_else(|| EncoderError::NotListed { path: dir.join(CHECKSUMS_FILE), file: name.to_owned() })?;
    let bytes = read(&path)?;
    let actual = hex(&Sha256::digest(&bytes));
    if &actual != expected {
        return Err(EncoderError::Checksum { path, expected: expected.clone(), actual });
    }
    Ok((bytes, actual))
}

fn json<T: for<'de> Deserialize<'de>>(dir: &Path, name: &str, bytes: &[u8]) -> Result<T, EncoderError> {
    serde_json::from_slice(bytes)
        .map_err(|e| EncoderError::Config { path: dir.join(name), why: e.to_string() })
}

pub struct Encoder {
    bert: Bert,
    tokenizer: WordPiece,
    normalise: bool,
    version: String,
}

impl Encoder {
    /// Loads and verifies the encoder in `dir`.
    pub fn load(dir: &Path) -> Result<Self, EncoderError> {
        let sums = checksums(dir)?;
        let (config, _) = read_checked(dir, &sums, "config.json")?;
        let config: Config = json(dir, "config.json", &config)?;
        let (labels, _) = read_checked(dir, &sums, "labels.json")?;
        let labels: LabelsFile = json(dir, "labels.json", &labels)?;
        let config_error = |why: String| EncoderError::Config { path: dir.join("config.json"), why };
        if labels.labels != LABELS.map(|l| l.as_str()) {
            return Err(EncoderError::Config {
                path: dir.join("labels.json"),
                why: format!("labels {:?}, expected {:?}", labels.labels, LABELS.map(|l| l.as_str())),
            });
        }
        if config.hidden_act != "gelu" || config.pooling != "mean" {
            return Err(config_error(format!(
                "this port runs gelu (erf) with mean pooling, not {} with {} pooling",
                config.hidden_act, config.pooling
            )));
        }
        if config.num_attention_heads == 0 || !config.hidden_size.is_multiple_of(config.num_attention_heads) {
            return Err(config_error("hidden_size must be a multiple of num_attention_heads".into()));
        }
        if config.max_seq_length < 2 || config.max_seq_length > config.max_position_embeddings {
            return Err(config_error("max_seq_length must be in 2..=max_position_embeddings".into()));
        }
        let (vocab, _) = read_checked(dir, &sums, "vocab.txt")?;
        let vocab = String::from_utf8(vocab)
            .map_err(|_| EncoderError::Config { path: dir.join("vocab.txt"), why: "not UTF-8".into() })?;
        let tokenizer = WordPiece::new(&vocab, config.max_seq_length)?;
        if tokenizer.vocab_size() != config.vocab_size {
            return Err(config_error(format!(
                "vocab_size {} but vocab.txt has {} tokens",
                config.vocab_size,
                tokenizer.vocab_size()
            )));
        }
        let (bytes, digest) = read_checked(dir, &sums, WEIGHTS_FILE)?;
        let dims = Dims {
            vocab: config.vocab_size,
            hidden: config.hidden_size,
            layers: config.num_hidden_layers,
            heads: config.num_attention_heads,
            intermediate: config.intermediate_size,
            max_positions: config.max_position_embeddings,
            classes: LABELS.len(),
            eps: config.layer_norm_eps as f32,
        };
        let bert = Bert::load(&Weights::parse(&bytes)?, dims)?;
        Ok(Self {
            bert,
            tokenizer,
            normalise: config.preprocessing.normalise,
            version: format!("minilm-l6-finetuned-int8-{}", &digest[..12]),
        })
    }

    /// Token ids of a text as the model sees it (normalised, WordPiece, `[CLS]`…`[SEP]`).
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        if self.normalise { self.tokenizer.encode(&normalise(text)) } else { self.tokenizer.encode(text) }
    }

    /// Raw logits in [`LABELS`] order for already tokenised texts, batched as given.
    pub fn logits_for_ids(&self, batch: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, EncoderError> {
        Ok(self.bert.logits(batch)?)
    }

    pub fn hidden_size(&self) -> usize {
        self.bert.dims().hidden
    }
}

fn softmax(logits: &[f32]) -> Probabilities {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut out = [0f32; 3];
    for (o, l) in out.iter_mut().zip(logits) {
        *o = (l - max).exp();
    }
    let sum: f32 = out.iter().sum();
    out.map(|e| e / sum)
}

impl Classifier for Encoder {
    fn kind(&self) -> ModelKind {
        ModelKind::Encoder
    }

    fn version(&self) -> &str {
        &self.version
    }

    fn probabilities(&self, texts: &[&str]) -> Result<Vec<Probabilities>, ClassifierError> {
        let ids: Vec<Vec<u32>> = texts.iter().map(|t| self.token_ids(t)).collect();
        // Sorting by length keeps each batch's padding small; results go back in input order.
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let mut out = vec![[0f32; 3]; ids.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| ids[i].clone()).collect();
            let logits = self.bert.logits(&batch).map_err(|e| ClassifierError::Inference(e.to_string()))?;
            for (&i, row) in chunk.iter().zip(&logits) {
                out[i] = softmax(row);
            }
        }
        Ok(out)
    }
}
