//! Turning hourly buckets into the sentiment a person reads: a recency-weighted mean score
//! (recent hours count more), a label, and plain counts by label over the window.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::SentimentLabel;

/// Scores are summed as integers (score x 1e6) so every store adds them exactly.
pub const SCORE_SCALE: f64 = 1_000_000.0;
/// A mean score above this is positive, below its negation negative.
pub const LABEL_THRESHOLD: f64 = 0.15;

#[derive(Clone, Debug, PartialEq)]
pub struct HourlyBucket {
    pub hour: DateTime<Utc>,
    pub positive: i64,
    pub negative: i64,
    pub neutral: i64,
    /// Sum of article scores x SCORE_SCALE.
    pub score_sum: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

impl HourlyBucket {
    /// One article as a bucket of its own, at its publication time.
    pub fn of_article(article: &crate::Article) -> Self {
        let mut bucket = Self {
            hour: article.published_at,
            positive: 0,
            negative: 0,
            neutral: 0,
            score_sum: (article.sentiment.score * SCORE_SCALE).round() as i64,
            updated_at: Some(article.ingested_at),
        };
        match article.sentiment.label {
            SentimentLabel::Positive => bucket.positive = 1,
            SentimentLabel::Negative => bucket.negative = 1,
            SentimentLabel::Neutral => bucket.neutral = 1,
        }
        bucket
    }

    pub fn articles(&self) -> i64 {
        self.positive + self.negative + self.neutral
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LabelCounts {
    pub positive: i64,
    pub negative: i64,
    pub neutral: i64,
    pub total: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// None when the window holds no article.
    pub score: Option<f64>,
    pub label: Option<SentimentLabel>,
    pub counts: LabelCounts,
    /// When the newest contributing bucket was last written.
    pub last_updated: Option<DateTime<Utc>>,
}

/// Summarises buckets with exponential decay: a bucket `half_life` older than `now` weighs
/// half as much as one from this hour.
pub fn summarize(buckets: &[HourlyBucket], now: DateTime<Utc>, half_life: Duration) -> Summary {
    let half_life_hours = (half_life.num_seconds() as f64 / 3600.0).max(1.0 / 60.0);
    let mut counts = LabelCounts::default();
    let (mut weighted_sum, mut weighted_count) = (0.0_f64, 0.0_f64);
    let mut last_updated: Option<DateTime<Utc>> = None;
    for bucket in buckets {
        let articles = bucket.articles();
        if articles <= 0 {
            continue;
        }
        counts.positive += bucket.positive;
        counts.negative += bucket.negative;
        counts.neutral += bucket.neutral;
        counts.total += articles;
        let age_hours = ((now - bucket.hour).num_seconds() as f64 / 3600.0).max(0.0);
        let weight = 0.5_f64.powf(age_hours / half_life_hours);
        weighted_sum += weight * bucket.score_sum as f64 / SCORE_SCALE;
        weighted_count += weight * articles as f64;
        last_updated = last_updated.max(bucket.updated_at);
    }
    let score = (weighted_count > 0.0).then(|| (weighted_sum / weighted_count).clamp(-1.0, 1.0));
    Summary { score, label: score.map(label_for), counts, last_updated }
}

pub fn label_for(score: f64) -> SentimentLabel {
    if score > LABEL_THRESHOLD {
        SentimentLabel::Positive
    } else if score < -LABEL_THRESHOLD {
        SentimentLabel::Negative
    } else {
        SentimentLabel::Neutral
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn bucket(hours_ago: i64, positive: i64, negative: i64, neutral: i64, mean: f64) -> HourlyBucket {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let n = positive + negative + neutral;
        HourlyBucket {
            hour: now - Duration::hours(hours_ago),
            positive,
            negative,
            neutral,
            score_sum: (mean * n as f64 * SCORE_SCALE) as i64,
            updated_at: Some(now - Duration::hours(hours_ago)),
        }
    }

    #[test]
    fn empty_window_has_no_score() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let s = summarize(&[], now, Duration::hours(24));
        assert_eq!(s.score, None);
        assert_eq!(s.label, None);
        assert_eq!(s.counts.total, 0);
    }

    #[test]
    fn recent_news_outweighs_old_news() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        // Old strongly negative day, fresh mildly positive hour: the fresh news wins.
        let buckets = [bucket(96, 0, 4, 0, -0.8), bucket(0, 2, 0, 0, 0.6)];
        let s = summarize(&buckets, now, Duration::hours(24));
        let score = s.score.unwrap();
        assert!(score > 0.3, "score {score}");
        assert_eq!(s.label, Some(SentimentLabel::Positive));
        assert_eq!(s.counts, LabelCounts { positive: 2, negative: 4, neutral: 0, total: 6 });
        assert_eq!(s.last_updated, Some(now));
    }

    #[test]
    fn equal_ages_give_the_plain_mean() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let s = summarize(&[bucket(0, 1, 1, 0, 0.1)], now, Duration::hours(24));
        assert!((s.score.unwrap() - 0.1).abs() < 1e-9);
        assert_eq!(s.label, Some(SentimentLabel::Neutral));
    }
}
