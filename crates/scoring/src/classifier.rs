//! What every sentiment model here provides (class probabilities for a batch of texts), and
//! the scorer built on it: headline and summary combined, and explanations by occlusion.

use domain::{Sentiment, SentimentLabel};

/// Class order of every probability triple in this crate.
pub const LABELS: [SentimentLabel; 3] =
    [SentimentLabel::Negative, SentimentLabel::Neutral, SentimentLabel::Positive];

/// P(negative), P(neutral), P(positive).
pub type Probabilities = [f32; 3];

/// Weight of the headline when a summary is scored with it. Headlines are what the encoder
/// was mostly trained on, and a long summary should not drown them.
pub const HEADLINE_WEIGHT: f32 = 2.0 / 3.0;

/// Most words an explanation removes one at a time: one batched pass per word, so the cost
/// of explaining stays bounded whatever the text's length.
pub const MAX_OCCLUDED_WORDS: usize = 40;

/// Most headline words an article's stored explanation tries. Explaining runs at ingestion
/// for every new story, so it is held to about one extra pass per content word of a headline.
pub const MAX_EXPLAINED_HEADLINE_WORDS: usize = 16;

/// Words an article's stored explanation keeps.
pub const STORED_EXPLANATION_WORDS: usize = 5;

/// Smallest effect worth showing a reader: a 0.01 move of a score in [-1, 1].
const MIN_STORED_EFFECT: f64 = 0.01;

/// Function words whose removal says nothing about why a headline scored as it did; never
/// negations ("no", "not", "without"), which can turn a score around.
const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into", "is", "it",
    "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "will", "with",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// The fine-tuned MiniLM encoder.
    Encoder,
    /// The logistic regression over hashed n-grams compiled into the binary.
    Linear,
}

impl ModelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Encoder => "encoder",
            Self::Linear => "linear",
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sentiment model {0:?}: expected encoder or linear")]
pub struct UnknownModel(pub String);

impl std::str::FromStr for ModelKind {
    type Err = UnknownModel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "encoder" => Ok(Self::Encoder),
            "linear" => Ok(Self::Linear),
            _ => Err(UnknownModel(s.to_owned())),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClassifierError {
    #[error("inference failed: {0}")]
    Inference(String),
}

pub trait Classifier: Send + Sync {
    fn kind(&self) -> ModelKind;
    /// Stored with every score, so a re-score can tell which articles an older model scored.
    fn version(&self) -> &str;
    /// Probabilities for each text, in input order.
    fn probabilities(&self, texts: &[&str]) -> Result<Vec<Probabilities>, ClassifierError>;
}

/// A word and how much it moved the score: the score with the word minus the score without it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WordEffect {
    pub word: String,
    pub effect: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Explanation {
    pub sentiment: Sentiment,
    /// Largest effects first; words with no effect are left out.
    pub words: Vec<WordEffect>,
    /// Words beyond [`MAX_OCCLUDED_WORDS`] that were not tried.
    pub words_not_tried: usize,
}

/// An article's probabilities: ⅔·headline + ⅓·summary, the headline alone without a summary.
pub(crate) fn mix(headline: &Probabilities, summary: Option<&Probabilities>) -> Probabilities {
    match summary {
        Some(s) => std::array::from_fn(|i| HEADLINE_WEIGHT * headline[i] + (1.0 - HEADLINE_WEIGHT) * s[i]),
        None => *headline,
    }
}

/// `words` joined by spaces, without the one at `skip`: the text occlusion scores.
fn without_word(words: &[&str], skip: usize) -> String {
    let kept: Vec<&str> = words.iter().enumerate().filter(|&(i, _)| i != skip).map(|(_, w)| *w).collect();
    kept.join(" ")
}

/// The label, signed score and confidence for class probabilities in [`LABELS`] order.
pub fn sentiment(p: Probabilities) -> Sentiment {
    let p = p.map(|x| if x.is_finite() { f64::from(x.max(0.0)) } else { 0.0 });
    let sum: f64 = p.iter().sum();
    if sum <= 0.0 {
        return Sentiment { label: SentimentLabel::Neutral, score: 0.0, confidence: 0.0 };
    }
    let [negative, _, positive] = p.map(|x| x / sum);
    // Neutral takes the rounding remainder so the domain's sum check is exact.
    Sentiment::from_probabilities(positive, negative, (1.0 - positive - negative).max(0.0))
        .unwrap_or(Sentiment { label: SentimentLabel::Neutral, score: 0.0, confidence: 0.0 })
}

fn signed(p: &Probabilities) -> f64 {
    f64::from(p[2]) - f64::from(p[0])
}

/// The product's view of a model: one text, a headline with its summary, or an explanation.
pub struct Scorer {
    classifier: Box<dyn Classifier>,
}

impl Scorer {
    pub fn new(classifier: Box<dyn Classifier>) -> Self {
        Self { classifier }
    }

    pub fn kind(&self) -> ModelKind {
        self.classifier.kind()
    }

    pub fn version(&self) -> &str {
        self.classifier.version()
    }

    pub fn probabilities(&self, texts: &[&str]) -> Result<Vec<Probabilities>, ClassifierError> {
        self.classifier.probabilities(texts)
    }

    /// Headline and summary are scored separately and mixed,
    /// p = ⅔·p(headline) + ⅓·p(summary); the headline alone when there is no summary.
    pub fn article_probabilities(
        &self,
        headline: &str,
        summary: Option<&str>,
    ) -> Result<Probabilities, ClassifierError> {
        let summary = summary.map(str::trim).filter(|s| !s.is_empty());
        let texts: Vec<&str> = std::iter::once(headline).chain(summary).collect();
        let p = self.classifier.probabilities(&texts)?;
        Ok(match p.as_slice() {
            [h, s] => mix(h, Some(s)),
            [h] => *h,
            _ => return Err(ClassifierError::Inference("wrong number of results".into())),
        })
    }

    pub fn score_article(&self, headline: &str, summary: Option<&str>) -> Result<Sentiment, ClassifierError> {
        self.article_probabilities(headline, summary).map(sentiment)
    }

    /// Occlusion: each of the first [`MAX_OCCLUDED_WORDS`] whitespace-separated words is
    /// removed in turn, and its effect is how far the score falls without it. Returns at most
    /// `top` words.
    pub fn explain(&self, text: &str, top: usize) -> Result<Explanation, ClassifierError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let tried = words.len().min(MAX_OCCLUDED_WORDS);
        let variants: Vec<String> = (0..tried).map(|skip| without_word(&words, skip)).collect();
        let mut texts: Vec<&str> = vec![text];
        texts.extend(variants.iter().map(String::as_str));
        let p = self.classifier.probabilities(&texts)?;
        let Some((full, without)) = p.split_first() else {
            return Err(ClassifierError::Inference("no result".into()));
        };
        let base = signed(full);
        let mut effects: Vec<WordEffect> = words
            .iter()
            .zip(without)
            .map(|(w, p)| WordEffect { word: (*w).to_owned(), effect: base - signed(p) })
            .filter(|e| e.effect.abs() >= 0.005)
            .collect();
        effects.sort_by(|a, b| b.effect.abs().total_cmp(&a.effect.abs()));
        effects.truncate(top);
        Ok(Explanation { sentiment: sentiment(*full), words: effects, words_not_tried: words.len() - tried })
    }

    /// An article's sentiment (as [`Self::article_probabilities`]) and the headline words that
    /// moved it, in one batch: headline, summary, and the headline without each of its first
    /// [`MAX_EXPLAINED_HEADLINE_WORDS`] content words. A word's effect is measured on the
    /// article's mixed score, so it is the word's weight in what is stored and shown.
    pub fn score_explained(
        &self,
        headline: &str,
        summary: Option<&str>,
    ) -> Result<(Sentiment, domain::Explanation), ClassifierError> {
        let summary = summary.map(str::trim).filter(|s| !s.is_empty());
        let words: Vec<&str> = headline.split_whitespace().collect();
        let tried: Vec<usize> = (0..words.len())
            .filter(|&i| is_content_word(words[i]))
            .take(MAX_EXPLAINED_HEADLINE_WORDS)
            .collect();
        let variants: Vec<String> = tried.iter().map(|&skip| without_word(&words, skip)).collect();
        let mut texts: Vec<&str> = vec![headline];
        texts.extend(summary);
        texts.extend(variants.iter().map(String::as_str));
        let p = self.classifier.probabilities(&texts)?;
        if p.len() != texts.len() {
            return Err(ClassifierError::Inference("wrong number of results".into()));
        }
        let (headline_p, summary_p, without) = match summary {
            Some(_) => (p[0], Some(p[1]), &p[2..]),
            None => (p[0], None, &p[1..]),
        };
        let full = mix(&headline_p, summary_p.as_ref());
        let base = signed(&full);
        let mut effects: Vec<domain::WordEffect> = tried
            .iter()
            .zip(without)
            .map(|(&i, p)| domain::WordEffect {
                word: display_word(words[i]),
                effect: round4(base - signed(&mix(p, summary_p.as_ref()))),
            })
            .filter(|e| e.effect.abs() >= MIN_STORED_EFFECT && !e.word.is_empty())
            .collect();
        effects.sort_by(|a, b| b.effect.abs().total_cmp(&a.effect.abs()));
        effects.truncate(STORED_EXPLANATION_WORDS);
        Ok((sentiment(full), domain::Explanation { words: effects }))
    }
}

/// The word as a reader saw it, without the punctuation it was written against.
fn display_word(word: &str) -> String {
    word.trim_matches(|c: char| !c.is_alphanumeric() && c != '%' && c != '$').to_owned()
}

fn is_content_word(word: &str) -> bool {
    let bare = display_word(word).to_lowercase();
    !bare.is_empty() && !FUNCTION_WORDS.contains(&bare.as_str())
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

impl domain::model::SentimentModel for Scorer {
    fn version(&self) -> &str {
        self.classifier.version()
    }

    fn score(&self, text: &str) -> Sentiment {
        self.score_article(text, None).unwrap_or_else(|e| unknown(self.version(), &e))
    }

    fn score_article(&self, headline: &str, summary: Option<&str>) -> Sentiment {
        Scorer::score_article(self, headline, summary).unwrap_or_else(|e| unknown(self.version(), &e))
    }

    fn score_explained(&self, headline: &str, summary: Option<&str>) -> domain::model::Scored {
        let (sentiment, explanation) = match Scorer::score_explained(self, headline, summary) {
            Ok((sentiment, explanation)) => (sentiment, Some(explanation)),
            Err(e) => (unknown(self.version(), &e), None),
        };
        domain::model::Scored { sentiment, explanation, model_version: self.version().to_owned() }
    }
}

/// A model that failed on one text says so in the log and gives no opinion (zero confidence)
/// rather than stopping the batch it is in.
fn unknown(version: &str, error: &ClassifierError) -> Sentiment {
    tracing::error!(model = version, error = %error, "sentiment model failed; scored as neutral with zero confidence");
    Sentiment { label: SentimentLabel::Neutral, score: 0.0, confidence: 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Positive exactly when the text mentions "up", negative when it mentions "down".
    struct Words;

    impl Classifier for Words {
        fn kind(&self) -> ModelKind {
            ModelKind::Linear
        }
        fn version(&self) -> &str {
            "words"
        }
        fn probabilities(&self, texts: &[&str]) -> Result<Vec<Probabilities>, ClassifierError> {
            Ok(texts
                .iter()
                .map(|t| match (t.contains("up"), t.contains("down")) {
                    (true, false) => [0.1, 0.1, 0.8],
                    (false, true) => [0.8, 0.1, 0.1],
                    _ => [0.1, 0.8, 0.1],
                })
                .collect())
        }
    }

    #[test]
    fn headline_outweighs_summary() {
        let scorer = Scorer::new(Box::new(Words));
        let p = scorer.article_probabilities("shares up", Some("shares down")).unwrap();
        assert!((p[2] - (0.8 * 2.0 / 3.0 + 0.1 / 3.0)).abs() < 1e-6);
        let s = scorer.score_article("shares up", Some("shares down")).unwrap();
        assert_eq!(s.label, SentimentLabel::Positive);
        assert_eq!(scorer.article_probabilities("shares up", Some("  ")).unwrap(), [0.1, 0.1, 0.8]);
    }

    #[test]
    fn explanation_names_the_word_that_moved_the_score() {
        let scorer = Scorer::new(Box::new(Words));
        let e = scorer.explain("Acme shares up today", 3).unwrap();
        assert_eq!(e.words.len(), 1);
        assert_eq!(e.words[0].word, "up");
        assert!((e.words[0].effect - 0.7).abs() < 1e-6);
        assert_eq!(e.words_not_tried, 0);
    }

    #[test]
    fn an_article_is_explained_by_its_headline_words_on_the_mixed_score() {
        let scorer = Scorer::new(Box::new(Words));
        let (s, e) = scorer.score_explained("Acme shares up, the analysts say", Some("shares down")).unwrap();
        assert_eq!(s, scorer.score_article("Acme shares up, the analysts say", Some("shares down")).unwrap());
        // Without "up," the headline is neutral: the mixed score falls by 2/3 of 0.7.
        assert_eq!(e.words, vec![domain::WordEffect { word: "up".into(), effect: round4(0.7 * 2.0 / 3.0) }]);
        let (_, none) = scorer.score_explained("Acme shares flat", None).unwrap();
        assert!(none.words.is_empty());
    }

    #[test]
    fn an_article_explanation_tries_content_words_only_and_at_bounded_cost() {
        struct Counting(std::sync::atomic::AtomicUsize);
        impl Classifier for Counting {
            fn kind(&self) -> ModelKind {
                ModelKind::Linear
            }
            fn version(&self) -> &str {
                "counting"
            }
            fn probabilities(&self, texts: &[&str]) -> Result<Vec<Probabilities>, ClassifierError> {
                self.0.fetch_add(texts.len(), std::sync::atomic::Ordering::SeqCst);
                Ok(vec![[0.2, 0.6, 0.2]; texts.len()])
            }
        }
        let counting = std::sync::Arc::new(Counting(std::sync::atomic::AtomicUsize::new(0)));
        struct Shared(std::sync::Arc<Counting>);
        impl Classifier for Shared {
            fn kind(&self) -> ModelKind {
                ModelKind::Linear
            }
            fn version(&self) -> &str {
                "counting"
            }
            fn probabilities(&self, texts: &[&str]) -> Result<Vec<Probabilities>, ClassifierError> {
                self.0.probabilities(texts)
            }
        }
        let scorer = Scorer::new(Box::new(Shared(counting.clone())));
        // Three content words ("Acme", "market", "rallies") and five function words: the
        // headline and 3 variants.
        scorer.score_explained("The Acme of the market rallies in it", None).unwrap();
        assert_eq!(counting.0.load(std::sync::atomic::Ordering::SeqCst), 4);
        let long = vec!["word"; MAX_EXPLAINED_HEADLINE_WORDS + 10].join(" ");
        scorer.score_explained(&long, Some("summary")).unwrap();
        assert_eq!(
            counting.0.load(std::sync::atomic::Ordering::SeqCst),
            4 + 2 + MAX_EXPLAINED_HEADLINE_WORDS
        );
    }

    #[test]
    fn long_texts_are_explained_at_bounded_cost() {
        let scorer = Scorer::new(Box::new(Words));
        let text = vec!["word"; MAX_OCCLUDED_WORDS + 5].join(" ");
        assert_eq!(scorer.explain(&text, 3).unwrap().words_not_tried, 5);
    }

    #[test]
    fn parses_model_names() {
        assert_eq!("Encoder".parse::<ModelKind>(), Ok(ModelKind::Encoder));
        assert_eq!("linear".parse::<ModelKind>(), Ok(ModelKind::Linear));
        assert!("bert".parse::<ModelKind>().is_err());
    }
}
