//! When a ticker's sentiment counts as having shifted (`docs/sentiment.md`, "Shifts"): a pure
//! rule over the state last announced and the score now. The store keeps that state per
//! ticker (`table::events`); this module only decides.
//!
//! A shift is a change of the *held* label (the label with hysteresis: leaving a label takes a
//! score `hysteresis` past the boundary) or a move of more than `threshold` from the score
//! last announced. At most one shift per ticker is announced per `min_interval`.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::{LABEL_THRESHOLD, label_for};
use crate::event::{MovingArticle, ShiftReason, TickerScore};
use crate::{Article, SentimentLabel};

/// Articles a shift names, at most.
pub const MAX_MOVING_ARTICLES: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShiftRule {
    /// A move of more than this from the last announced score is a shift (0 < t <= 2).
    pub threshold: f64,
    /// How far past a label boundary a score must go to leave the held label (0 <= h < 0.15).
    pub hysteresis: f64,
    /// At most one shift per ticker per this much time.
    pub min_interval: Duration,
    /// The window the score is computed over (the API's default, 7 days).
    pub window: Duration,
}

impl Default for ShiftRule {
    fn default() -> Self {
        Self { threshold: 0.3, hysteresis: 0.05, min_interval: Duration::hours(6), window: Duration::days(7) }
    }
}

/// What the store keeps per ticker: the state last announced (or first seen, before any shift).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShiftState {
    /// The reference a shift is measured against; its label is the held label.
    pub last: TickerScore,
    pub last_shift_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// No state yet: the current score becomes the reference; nothing is announced.
    Baseline(ShiftState),
    /// No shift.
    Hold,
    /// A shift, but one was announced for this ticker less than `min_interval` ago; the
    /// reference stays, so the shift is announced once the interval has passed if it holds.
    RateLimited,
    /// A shift: announce it and make `next` the reference.
    Shift { next: ShiftState, reasons: Vec<ShiftReason> },
}

/// Scores are compared as the API shows them, to 4 decimals, so boundaries are exact.
pub fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

impl ShiftRule {
    /// The label the rule holds for `score` when it held `held` before: `held` while the
    /// score stays inside `held`'s range widened by the hysteresis, else the plain label.
    pub fn held_label(&self, score: f64, held: SentimentLabel) -> SentimentLabel {
        // The widened bounds rounded like the scores: 0.15 - 0.05 is 0.09999999999999999 in
        // binary, which would keep a score of exactly 0.10 positive against the documented rule.
        let (narrow, wide) =
            (round4(LABEL_THRESHOLD - self.hysteresis), round4(LABEL_THRESHOLD + self.hysteresis));
        let keeps = match held {
            SentimentLabel::Positive => score > narrow,
            SentimentLabel::Negative => score < -narrow,
            SentimentLabel::Neutral => score.abs() <= wide,
        };
        if keeps { held } else { label_for(score) }
    }

    /// The decision for a ticker whose score over the window is `current` (already rounded,
    /// with its plain label) at `current.at`.
    pub fn decide(&self, state: Option<&ShiftState>, current: &TickerScore) -> Decision {
        let Some(state) = state else {
            return Decision::Baseline(ShiftState { last: current.clone(), last_shift_at: None });
        };
        let previous = &state.last;
        let label = self.held_label(current.score, previous.label);
        let mut reasons = Vec::new();
        if label != previous.label {
            reasons.push(ShiftReason::Label);
        }
        if round4((current.score - previous.score).abs()) > self.threshold {
            reasons.push(ShiftReason::Threshold);
        }
        if reasons.is_empty() {
            return Decision::Hold;
        }
        if state.last_shift_at.is_some_and(|at| current.at - at < self.min_interval) {
            return Decision::RateLimited;
        }
        Decision::Shift {
            next: ShiftState {
                last: TickerScore { label, ..current.clone() },
                last_shift_at: Some(current.at),
            },
            reasons,
        }
    }
}

/// The articles published after `since` that pushed hardest in the direction of `change`
/// (largest `score` for a rise, most negative for a fall), newest first among equals; at most
/// `MAX_MOVING_ARTICLES`. Articles that pushed the other way are not named.
pub fn moving_articles(articles: &[Article], since: DateTime<Utc>, change: f64) -> Vec<MovingArticle> {
    let direction = if change >= 0.0 { 1.0 } else { -1.0 };
    let mut pushing: Vec<&Article> =
        articles.iter().filter(|a| a.published_at > since && direction * a.sentiment.score > 0.0).collect();
    pushing.sort_by(|a, b| {
        (direction * b.sentiment.score)
            .total_cmp(&(direction * a.sentiment.score))
            .then(b.published_at.cmp(&a.published_at))
            .then(a.id.cmp(&b.id))
    });
    pushing
        .into_iter()
        .take(MAX_MOVING_ARTICLES)
        .map(|a| MovingArticle {
            id: a.id.clone(),
            title: a.title.clone(),
            url: a.url.clone(),
            published_at: a.published_at,
            score: round4(a.sentiment.score),
            label: a.sentiment.label,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! Hand-computed cases of `docs/sentiment.md`, "Shifts", with the default rule:
    //! threshold 0.3, hysteresis 0.05 (so positive is held above 0.10, negative below -0.10,
    //! neutral within ±0.20), one shift per 6 hours.

    use chrono::TimeZone;

    use super::*;
    use SentimentLabel::{Negative, Neutral, Positive};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
    }

    #[test]
    fn held_labels_at_their_exact_bounds() {
        let rule = ShiftRule::default();
        // "Held above 0.10": 0.10 itself is not above it.
        assert_eq!(rule.held_label(0.1, Positive), Neutral);
        assert_eq!(rule.held_label(0.1001, Positive), Positive);
        assert_eq!(rule.held_label(-0.1, Negative), Neutral);
        // "Within ±0.20": 0.20 stays neutral, 0.2001 does not.
        assert_eq!(rule.held_label(0.2, Neutral), Neutral);
        assert_eq!(rule.held_label(0.2001, Neutral), Positive);
        let narrow = ShiftRule { hysteresis: 0.02, ..rule };
        assert_eq!(narrow.held_label(0.17, Neutral), Neutral);
        assert_eq!(narrow.held_label(-0.13, Negative), Neutral);
    }

    fn score(score: f64, label: SentimentLabel, hours: i64) -> TickerScore {
        TickerScore { score, label, articles: 10, at: t0() + Duration::hours(hours) }
    }

    fn now(s: f64, hours: i64) -> TickerScore {
        score(s, label_for(s), hours)
    }

    fn held(s: f64, label: SentimentLabel) -> ShiftState {
        ShiftState { last: score(s, label, 0), last_shift_at: None }
    }

    fn decide(state: &ShiftState, s: f64) -> Decision {
        ShiftRule::default().decide(Some(state), &now(s, 1))
    }

    fn shift(state: &ShiftState, s: f64) -> (SentimentLabel, Vec<ShiftReason>) {
        match decide(state, s) {
            Decision::Shift { next, reasons } => {
                assert_eq!(next.last.score, s);
                assert_eq!(next.last_shift_at, Some(t0() + Duration::hours(1)));
                (next.last.label, reasons)
            }
            other => panic!("{s}: expected a shift, got {other:?}"),
        }
    }

    #[test]
    fn the_first_score_is_a_baseline_not_a_shift() {
        let current = now(0.42, 0);
        assert_eq!(
            ShiftRule::default().decide(None, &current),
            Decision::Baseline(ShiftState { last: current, last_shift_at: None })
        );
    }

    #[test]
    fn a_label_is_left_only_past_the_hysteresis() {
        // Positive 0.40 -> 0.12: plainly neutral (<= 0.15) but above 0.10, so still held
        // positive; the change is 0.28, not over 0.3: nothing to say.
        assert_eq!(decide(&held(0.40, Positive), 0.12), Decision::Hold);
        // Positive 0.20 -> 0.08: below 0.10, neutral; change 0.12: a label shift only.
        assert_eq!(shift(&held(0.20, Positive), 0.08), (Neutral, vec![ShiftReason::Label]));
        // Positive 0.40 -> 0.08: neutral, and a change of 0.32: both reasons.
        assert_eq!(
            shift(&held(0.40, Positive), 0.08),
            (Neutral, vec![ShiftReason::Label, ShiftReason::Threshold])
        );
        // Neutral 0.05 -> 0.18: plainly positive but within 0.20, still neutral.
        assert_eq!(decide(&held(0.05, Neutral), 0.18), Decision::Hold);
        // Neutral 0.05 -> 0.21: positive.
        assert_eq!(shift(&held(0.05, Neutral), 0.21), (Positive, vec![ShiftReason::Label]));
        // Neutral -0.05 -> -0.22: negative.
        assert_eq!(shift(&held(-0.05, Neutral), -0.22), (Negative, vec![ShiftReason::Label]));
        // Negative -0.20 -> 0.12: outside negative's -0.10, plainly neutral; change 0.32.
        assert_eq!(
            shift(&held(-0.20, Negative), 0.12),
            (Neutral, vec![ShiftReason::Label, ShiftReason::Threshold])
        );
        // Positive 0.60 -> -0.30: straight to negative.
        assert_eq!(
            shift(&held(0.60, Positive), -0.30),
            (Negative, vec![ShiftReason::Label, ShiftReason::Threshold])
        );
    }

    #[test]
    fn a_large_move_within_a_label_is_a_shift_and_the_threshold_is_strict() {
        // Positive 0.30 -> 0.65: same label, change 0.35.
        assert_eq!(shift(&held(0.30, Positive), 0.65), (Positive, vec![ShiftReason::Threshold]));
        // Exactly 0.3 is not more than 0.3 (0.45 - 0.15 is 0.30000000000000004 in floats;
        // rounded to 4 decimals it is 0.3).
        assert_eq!(decide(&held(0.45, Positive), 0.75), Decision::Hold);
        // Neutral 0.15 -> 0.45: a change of exactly 0.3 again, so the reason is the label alone.
        assert_eq!(shift(&held(0.15, Neutral), 0.45), (Positive, vec![ShiftReason::Label]));
    }

    #[test]
    fn scores_hovering_at_a_boundary_do_not_flap() {
        // Held positive at 0.20; the score then wobbles around the 0.15 boundary.
        let state = held(0.20, Positive);
        for s in [0.16, 0.14, 0.16, 0.11, 0.14, 0.19] {
            assert_eq!(decide(&state, s), Decision::Hold, "{s}");
        }
        // Held neutral at 0.14 after a fall: wobbling back up to 0.19 stays neutral.
        let state = held(0.14, Neutral);
        for s in [0.16, 0.19, 0.12, 0.20] {
            assert_eq!(decide(&state, s), Decision::Hold, "{s}");
        }
    }

    #[test]
    fn one_shift_per_ticker_per_interval() {
        let rule = ShiftRule::default();
        let state = ShiftState { last: score(0.40, Positive, 0), last_shift_at: Some(t0()) };
        // 2 hours after the last shift, a fall to -0.30 waits.
        assert_eq!(rule.decide(Some(&state), &now(-0.30, 2)), Decision::RateLimited);
        // 6 hours after it (the interval, inclusive), it is announced.
        assert!(matches!(rule.decide(Some(&state), &now(-0.30, 6)), Decision::Shift { .. }));
        // A smaller interval lets it through sooner.
        let quick = ShiftRule { min_interval: Duration::hours(1), ..rule };
        assert!(matches!(quick.decide(Some(&state), &now(-0.30, 2)), Decision::Shift { .. }));
    }

    #[test]
    fn the_articles_named_are_those_that_pushed_hardest_the_way_it_moved() {
        use crate::{ArticleId, Sentiment};
        let article = |title: &str, s: f64, hours: i64| Article {
            id: ArticleId::for_title(title),
            title: title.into(),
            summary: None,
            url: format!("https://example.test/{title}"),
            published_at: t0() + Duration::hours(hours),
            tickers: Default::default(),
            credits: Vec::new(),
            sentiment: Sentiment { label: label_for(s), score: s, confidence: 0.9 },
            model_version: "test".into(),
            explanation: None,
            ingested_at: t0(),
        };
        let articles = vec![
            article("old and very negative", -0.9, -1),
            article("mildly negative", -0.2, 1),
            article("positive", 0.5, 2),
            article("very negative", -0.8, 3),
            article("negative", -0.6, 4),
            article("also negative", -0.6, 5),
        ];
        let named: Vec<String> =
            moving_articles(&articles, t0(), -0.5).into_iter().map(|a| a.title).collect();
        // Published after t0 and negative, most negative first, newer first at equal scores.
        assert_eq!(named, ["very negative", "also negative", "negative"]);
        let rising: Vec<String> =
            moving_articles(&articles, t0(), 0.5).into_iter().map(|a| a.title).collect();
        assert_eq!(rising, ["positive"]);
    }
}
