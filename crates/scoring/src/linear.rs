//! The linear model: multinomial logistic regression over hashed features
//! ([`crate::features`]), with its weights in a compact binary file compiled into the binary.
//!
//! File layout, little-endian: the magic `SALINv1\0`; `bits` (u8), `char_min` (u8),
//! `char_max` (u8), one zero byte; `char_weight` (f32); `scale` (f32); three class biases
//! (f32, [`LABELS`] order); the lexicon's length (u32) and its sorted hashes (u32 each); then
//! `3 · 2^bits` weights as i16, bucket-major (the three class weights of bucket 0, then
//! bucket 1, …), each multiplied by `scale` when read.

use sha2::{Digest, Sha256};

#[cfg(doc)]
use crate::classifier::LABELS;
use crate::classifier::{Classifier, ClassifierError, ModelKind, Probabilities};
use crate::features::{FeatureConfig, Lexicon, features};

const MAGIC: &[u8; 8] = b"SALINv1\0";
/// Prefix of the version string stored with every score.
pub const VERSION_PREFIX: &str = "linear-ngram-v1-";

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("not a linear model file (bad magic)")]
    Magic,
    #[error("linear model file is truncated")]
    Truncated,
    #[error("linear model file is inconsistent: {0}")]
    Inconsistent(&'static str),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    version: String,
    config: FeatureConfig,
    scale: f32,
    bias: [f32; 3],
    lexicon: Lexicon,
    /// `3 · 2^bits`, bucket-major.
    weights: Vec<i16>,
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], ModelError> {
        let (head, rest) = self.0.split_first_chunk::<N>().ok_or(ModelError::Truncated)?;
        self.0 = rest;
        Ok(*head)
    }
    fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.take::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        Ok(f32::from_le_bytes(self.take()?))
    }
}

impl Linear {
    /// Quantises trained weights (`3 · 2^bits`, bucket-major) to i16 with one scale.
    pub(crate) fn quantise(config: FeatureConfig, bias: [f32; 3], lexicon: Lexicon, weights: &[f32]) -> Self {
        let max = weights.iter().fold(0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { max / f32::from(i16::MAX) } else { 1.0 };
        let weights = weights.iter().map(|w| (w / scale).round() as i16).collect();
        let mut model = Self { version: String::new(), config, scale, bias, lexicon, weights };
        model.version = version_of(&model.to_bytes());
        model
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let mut r = Reader(bytes);
        if &r.take::<8>()? != MAGIC {
            return Err(ModelError::Magic);
        }
        let bits = r.u8()?;
        let char_min = r.u8()?;
        let char_max = r.u8()?;
        r.u8()?;
        if !(8..=24).contains(&bits) {
            return Err(ModelError::Inconsistent("hash bits must be 8 to 24"));
        }
        if !(1..=8).contains(&char_min) || char_max > 8 {
            return Err(ModelError::Inconsistent("character n-gram lengths must be 1 to 8"));
        }
        let char_weight = r.f32()?;
        let scale = r.f32()?;
        let bias = [r.f32()?, r.f32()?, r.f32()?];
        if !(char_weight.is_finite()
            && scale.is_finite()
            && scale > 0.0
            && bias.iter().all(|b| b.is_finite()))
        {
            return Err(ModelError::Inconsistent("scale, biases and weights must be finite"));
        }
        let n = r.u32()? as usize;
        let lexicon_bytes = n.checked_mul(4).ok_or(ModelError::Truncated)?;
        if r.0.len() < lexicon_bytes {
            return Err(ModelError::Truncated);
        }
        let hashes = (0..n).map(|_| r.u32()).collect::<Result<Vec<u32>, _>>()?;
        let lexicon =
            Lexicon::from_sorted(hashes).ok_or(ModelError::Inconsistent("lexicon must be sorted"))?;
        let count = 3usize << bits;
        if r.0.len() != count * 2 {
            return Err(if r.0.len() < count * 2 {
                ModelError::Truncated
            } else {
                ModelError::Inconsistent("trailing bytes after the weights")
            });
        }
        let weights = r.0.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
        let config = FeatureConfig { bits, char_weight, char_min, char_max };
        Ok(Self { version: version_of(bytes), config, scale, bias, lexicon, weights })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + 4 * self.lexicon.hashes().len() + 2 * self.weights.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[self.config.bits, self.config.char_min, self.config.char_max, 0]);
        out.extend_from_slice(&self.config.char_weight.to_le_bytes());
        out.extend_from_slice(&self.scale.to_le_bytes());
        for b in self.bias {
            out.extend_from_slice(&b.to_le_bytes());
        }
        out.extend_from_slice(&(self.lexicon.hashes().len() as u32).to_le_bytes());
        for h in self.lexicon.hashes() {
            out.extend_from_slice(&h.to_le_bytes());
        }
        for w in &self.weights {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// Buckets with a non-zero weight for some class.
    pub fn used_buckets(&self) -> usize {
        self.weights.chunks_exact(3).filter(|w| w.iter().any(|x| *x != 0)).count()
    }

    /// Class scores before the softmax, in [`LABELS`] order.
    pub fn logits(&self, text: &str) -> [f32; 3] {
        let mut sums = [0f32; 3];
        for (bucket, value) in features(text, &self.lexicon, &self.config) {
            let i = bucket as usize * 3;
            for (s, w) in sums.iter_mut().zip(&self.weights[i..i + 3]) {
                *s += f32::from(*w) * value;
            }
        }
        std::array::from_fn(|c| self.bias[c] + self.scale * sums[c])
    }

    /// Class probabilities in [`LABELS`] order.
    pub fn probabilities(&self, text: &str) -> Probabilities {
        softmax(self.logits(text))
    }
}

pub(crate) fn softmax(logits: [f32; 3]) -> [f32; 3] {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp = logits.map(|l| (l - max).exp());
    let sum: f32 = exp.iter().sum();
    exp.map(|e| e / sum)
}

fn version_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{VERSION_PREFIX}{hex}")
}

impl Classifier for std::sync::Arc<Linear> {
    fn kind(&self) -> ModelKind {
        ModelKind::Linear
    }

    fn version(&self) -> &str {
        Linear::version(self)
    }

    fn probabilities(&self, texts: &[&str]) -> Result<Vec<Probabilities>, ClassifierError> {
        Ok(texts.iter().map(|t| Linear::probabilities(self, t)).collect())
    }
}

impl domain::model::SentimentModel for Linear {
    fn version(&self) -> &str {
        Linear::version(self)
    }

    fn score(&self, text: &str) -> domain::Sentiment {
        crate::classifier::sentiment(self.probabilities(text))
    }

    /// Mixed as the [`crate::Scorer`] mixes them, so both paths give one answer.
    fn score_article(&self, headline: &str, summary: Option<&str>) -> domain::Sentiment {
        let summary = summary.map(str::trim).filter(|s| !s.is_empty()).map(|s| self.probabilities(s));
        crate::classifier::sentiment(crate::classifier::mix(&self.probabilities(headline), summary.as_ref()))
    }
}
