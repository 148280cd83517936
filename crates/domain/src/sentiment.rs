//! A scored piece of text: label, signed score and the model's confidence.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SentimentLabel {
    Positive,
    Negative,
    Neutral,
}

impl SentimentLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Positive => "positive",
            Self::Negative => "negative",
            Self::Neutral => "neutral",
        }
    }
}

/// `score` is in [-1, 1] (negative to positive); `confidence` in [0, 1].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    pub label: SentimentLabel,
    pub score: f64,
    pub confidence: f64,
}

/// Why a model scored a text as it did: the words that moved the score most, largest effect
/// first. A word's `effect` is the score with the word minus the score without it, so a
/// positive effect pushed the score up.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub words: Vec<WordEffect>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WordEffect {
    pub word: String,
    pub effect: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("probabilities must be finite, non-negative and sum to 1 (got {positive}, {negative}, {neutral})")]
pub struct InvalidProbabilities {
    pub positive: f64,
    pub negative: f64,
    pub neutral: f64,
}

impl Sentiment {
    /// Builds a sentiment from class probabilities: the label is the most likely class, the
    /// score is P(positive) - P(negative) and the confidence is the winning probability.
    pub fn from_probabilities(
        positive: f64,
        negative: f64,
        neutral: f64,
    ) -> Result<Self, InvalidProbabilities> {
        let all = [positive, negative, neutral];
        let sum: f64 = all.iter().sum();
        if all.iter().any(|p| !p.is_finite() || *p < 0.0) || (sum - 1.0).abs() > 1e-6 {
            return Err(InvalidProbabilities { positive, negative, neutral });
        }
        let (label, confidence) = if positive >= negative && positive >= neutral {
            (SentimentLabel::Positive, positive)
        } else if negative >= neutral {
            (SentimentLabel::Negative, negative)
        } else {
            (SentimentLabel::Neutral, neutral)
        };
        Ok(Self { label, score: (positive - negative).clamp(-1.0, 1.0), confidence })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_score_and_confidence_follow_probabilities() {
        let s = Sentiment::from_probabilities(0.7, 0.1, 0.2).unwrap();
        assert_eq!(s.label, SentimentLabel::Positive);
        assert!((s.score - 0.6).abs() < 1e-9);
        assert!((s.confidence - 0.7).abs() < 1e-9);

        let s = Sentiment::from_probabilities(0.1, 0.3, 0.6).unwrap();
        assert_eq!(s.label, SentimentLabel::Neutral);
        assert!((s.score + 0.2).abs() < 1e-9);
    }

    #[test]
    fn rejects_impossible_probabilities() {
        assert!(Sentiment::from_probabilities(0.5, 0.5, 0.5).is_err());
        assert!(Sentiment::from_probabilities(f64::NAN, 0.5, 0.5).is_err());
        assert!(Sentiment::from_probabilities(-0.1, 0.6, 0.5).is_err());
    }
}
