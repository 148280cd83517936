//! Turning hourly buckets into the sentiment a person reads: a recency-weighted mean score
//! (recent hours count more), a label, and plain counts by label over the window.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;

use crate::{SentimentLabel, SourceKind};

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
    /// Articles each source reported, and the sum of their scores (an article reported by
    /// both sources counts in both).
    pub tiingo: SourceCount,
    pub finnhub: SourceCount,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourceCount {
    pub articles: i64,
    pub score_sum: i64,
}

impl HourlyBucket {
    pub fn source(&self, source: SourceKind) -> SourceCount {
        match source {
            SourceKind::Tiingo => self.tiingo,
            SourceKind::Finnhub => self.finnhub,
        }
    }
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
            tiingo: SourceCount::default(),
            finnhub: SourceCount::default(),
        };
        let one = SourceCount { articles: 1, score_sum: bucket.score_sum };
        if article.is_credited_to(SourceKind::Tiingo) {
            bucket.tiingo = one;
        }
        if article.is_credited_to(SourceKind::Finnhub) {
            bucket.finnhub = one;
        }
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
    /// The window's articles' recency weights summed: the score is their weighted scores
    /// over this ([`drivers`] divides by it for each article's share).
    #[serde(skip)]
    pub weight: f64,
}

/// Summarises buckets with exponential decay: a bucket `half_life` older than `now` weighs
/// half as much as one from this hour.
pub fn summarize(buckets: &[HourlyBucket], now: DateTime<Utc>, half_life: Duration) -> Summary {
    let half_life_hours = half_life_hours(half_life);
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
        let weight = recency_weight(bucket.hour, now, half_life_hours);
        weighted_sum += weight * bucket.score_sum as f64 / SCORE_SCALE;
        weighted_count += weight * articles as f64;
        last_updated = last_updated.max(bucket.updated_at);
    }
    let score = (weighted_count > 0.0).then(|| (weighted_sum / weighted_count).clamp(-1.0, 1.0));
    Summary { score, label: score.map(label_for), counts, last_updated, weight: weighted_count }
}

/// The weight of a bucket that starts at `hour`: 1 for this hour, halving every half-life.
fn recency_weight(hour: DateTime<Utc>, now: DateTime<Utc>, half_life_hours: f64) -> f64 {
    let age_hours = ((now - hour).num_seconds() as f64 / 3600.0).max(0.0);
    0.5_f64.powf(age_hours / half_life_hours)
}

/// An article and how much of a ticker's current score it makes up.
#[derive(Clone, Debug, PartialEq)]
pub struct Driver<'a> {
    pub article: &'a crate::Article,
    /// The article's score times its recency weight, over the window's total weight: summed
    /// over every article of the window, the shares are the score [`summarize`] gives.
    pub share: f64,
}

/// The start of the hour `at` falls in: the hourly bucket an article published then counts in.
pub fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::hours(1)).unwrap_or(at)
}

fn half_life_hours(half_life: Duration) -> f64 {
    (half_life.num_seconds() as f64 / 3600.0).max(1.0 / 60.0)
}

/// What moved a ticker's score (`summary`, of the window `articles` are in): the articles whose
/// shares push it hardest towards where it stands, largest first, at most `top`; and the
/// headline words whose effects, weighted like their articles, push it most. Empty when the
/// window holds nothing or the score is exactly 0.
pub fn drivers<'a>(
    summary: &Summary,
    articles: &'a [crate::Article],
    now: DateTime<Utc>,
    half_life: Duration,
    top: usize,
) -> (Vec<Driver<'a>>, Vec<crate::WordEffect>) {
    let Some(score) = summary.score else { return (Vec::new(), Vec::new()) };
    if summary.weight <= 0.0 || score == 0.0 {
        return (Vec::new(), Vec::new());
    }
    let direction = score.signum();
    let half_life_hours = half_life_hours(half_life);
    let weight =
        |a: &crate::Article| recency_weight(hour_of(a.published_at), now, half_life_hours) / summary.weight;
    let mut drivers: Vec<Driver<'a>> = articles
        .iter()
        .map(|article| Driver { article, share: weight(article) * article.sentiment.score })
        .filter(|d| d.share * direction > 0.0)
        .collect();
    drivers.sort_by(|a, b| (b.share * direction).total_cmp(&(a.share * direction)));
    drivers.truncate(top);

    let mut words: Vec<crate::WordEffect> = Vec::new();
    for article in articles {
        let w = weight(article);
        for effect in article.explanation.iter().flat_map(|e| &e.words) {
            let word = effect.word.to_lowercase();
            match words.iter_mut().find(|e| e.word == word) {
                Some(seen) => seen.effect += w * effect.effect,
                None => words.push(crate::WordEffect { word, effect: w * effect.effect }),
            }
        }
    }
    words.retain(|e| e.effect * direction > 0.0);
    words.sort_by(|a, b| (b.effect * direction).total_cmp(&(a.effect * direction)).then(a.word.cmp(&b.word)));
    words.truncate(top);
    (drivers, words)
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

/// How far to trust a score, in [0, 1]: `volume x agreement`, where volume is `n / (n + 5)`
/// for `n` articles (one article 0.17, five 0.5, twenty 0.8) and agreement is the share of the
/// articles whose own label is the label of the score. `None` without articles.
pub fn confidence(counts: &LabelCounts, label: Option<SentimentLabel>) -> Option<f64> {
    let label = label?;
    if counts.total <= 0 {
        return None;
    }
    let n = counts.total as f64;
    let agreeing = match label {
        SentimentLabel::Positive => counts.positive,
        SentimentLabel::Negative => counts.negative,
        SentimentLabel::Neutral => counts.neutral,
    } as f64;
    Some((n / (n + VOLUME_HALF)) * (agreeing / n))
}

/// The article count at which volume contributes half to confidence.
pub const VOLUME_HALF: f64 = 5.0;

/// One source's view of a window: the recency-weighted mean of the scores of the articles it
/// reported (the same weighting as [`summarize`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceSummary {
    pub score: Option<f64>,
    pub label: Option<SentimentLabel>,
    pub articles: i64,
}

pub fn summarize_source(
    buckets: &[HourlyBucket],
    source: SourceKind,
    now: DateTime<Utc>,
    half_life: Duration,
) -> SourceSummary {
    let half_life_hours = half_life_hours(half_life);
    let (mut weighted_sum, mut weighted_count, mut articles) = (0.0_f64, 0.0_f64, 0);
    for bucket in buckets {
        let count = bucket.source(source);
        if count.articles <= 0 {
            continue;
        }
        articles += count.articles;
        let weight = recency_weight(bucket.hour, now, half_life_hours);
        weighted_sum += weight * count.score_sum as f64 / SCORE_SCALE;
        weighted_count += weight * count.articles as f64;
    }
    let score = (weighted_count > 0.0).then(|| (weighted_sum / weighted_count).clamp(-1.0, 1.0));
    SourceSummary { score, label: score.map(label_for), articles }
}

/// A point of a history: the plain (unweighted) mean score of the articles in `[start,
/// start + interval)`, `None` when there were none.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    pub start: DateTime<Utc>,
    pub score: Option<f64>,
    pub label: Option<SentimentLabel>,
    pub counts: LabelCounts,
}

/// Groups hourly buckets into `count` consecutive intervals starting at `first`; every
/// interval is present, empty ones with no score.
pub fn series(
    buckets: &[HourlyBucket],
    first: DateTime<Utc>,
    interval: Duration,
    count: usize,
) -> Vec<Point> {
    let mut points: Vec<(LabelCounts, i64)> = vec![(LabelCounts::default(), 0); count];
    let step = interval.num_seconds().max(1);
    for bucket in buckets {
        let offset = (bucket.hour - first).num_seconds();
        if offset < 0 {
            continue;
        }
        let Some((counts, sum)) = usize::try_from(offset / step).ok().and_then(|i| points.get_mut(i)) else {
            continue;
        };
        counts.positive += bucket.positive;
        counts.negative += bucket.negative;
        counts.neutral += bucket.neutral;
        counts.total += bucket.articles();
        *sum += bucket.score_sum;
    }
    points
        .into_iter()
        .enumerate()
        .map(|(i, (counts, sum))| {
            let score =
                (counts.total > 0).then(|| (sum as f64 / SCORE_SCALE / counts.total as f64).clamp(-1.0, 1.0));
            Point { start: first + interval * i as i32, score, label: score.map(label_for), counts }
        })
        .collect()
}

/// A watchlist's score: the weight-averaged score of its tickers that have one.
/// `None` when none has.
pub fn weighted_score(scores: &[(f64, Option<f64>)]) -> Option<f64> {
    let (mut sum, mut weights) = (0.0, 0.0);
    for &(weight, score) in scores {
        if let Some(score) = score {
            sum += weight * score;
            weights += weight;
        }
    }
    (weights > 0.0).then(|| sum / weights)
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
            tiingo: SourceCount::default(),
            finnhub: SourceCount::default(),
        }
    }

    fn article(hours_ago: i64, score: f64, words: &[(&str, f64)]) -> crate::Article {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let title = format!("story {hours_ago} {score}");
        let label = if score > 0.0 { SentimentLabel::Positive } else { SentimentLabel::Negative };
        crate::Article {
            id: crate::ArticleId::for_title(&title),
            title,
            summary: None,
            url: "https://example.com/".into(),
            published_at: now - Duration::hours(hours_ago) + Duration::minutes(10),
            tickers: Default::default(),
            credits: Vec::new(),
            sentiment: crate::Sentiment { label, score, confidence: 0.9 },
            model_version: "test".into(),
            explanation: Some(crate::Explanation {
                words: words
                    .iter()
                    .map(|(w, e)| crate::WordEffect { word: (*w).into(), effect: *e })
                    .collect(),
            }),
            ingested_at: now,
        }
    }

    #[test]
    fn drivers_are_the_articles_and_words_that_make_up_the_score() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        // Half-life 24 h. This hour: +0.8 and -0.2 (weight 1 each); 24 h ago: +0.6 (weight 1/2).
        // Total weight 2.5; score (0.8 - 0.2 + 0.3) / 2.5 = 0.36.
        let articles = vec![
            article(0, 0.8, &[("beats", 0.5), ("Record", 0.2)]),
            article(0, -0.2, &[("probe", -0.3)]),
            article(24, 0.6, &[("record", 0.4)]),
        ];
        let buckets: Vec<HourlyBucket> = articles
            .iter()
            .map(|a| HourlyBucket { hour: hour_of(a.published_at), ..HourlyBucket::of_article(a) })
            .collect();
        let score = summarize(&buckets, now, Duration::hours(24)).score.unwrap();
        assert!((score - 0.36).abs() < 1e-9);
        let summary = summarize(&buckets, now, Duration::hours(24));
        assert!((summary.weight - 2.5).abs() < 1e-9);
        let (found, words) = drivers(&summary, &articles, now, Duration::hours(24), 5);
        let shares: Vec<f64> = found.iter().map(|d| d.share).collect();
        // The negative article pulls against the score and is not a driver.
        assert_eq!(shares.len(), 2);
        assert!((shares[0] - 0.8 / 2.5).abs() < 1e-9 && (shares[1] - 0.3 / 2.5).abs() < 1e-9);
        // "record" twice: 0.2 * 1/2.5 + 0.4 * 0.5/2.5 = 0.16; "beats" 0.5/2.5 = 0.2.
        assert_eq!(words.iter().map(|w| w.word.as_str()).collect::<Vec<_>>(), ["beats", "record"]);
        assert!((words[0].effect - 0.2).abs() < 1e-9 && (words[1].effect - 0.16).abs() < 1e-9);
        let empty = summarize(&[], now, Duration::hours(24));
        assert_eq!(drivers(&empty, &articles, now, Duration::hours(24), 5), (Vec::new(), Vec::new()));
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

    #[test]
    fn confidence_is_volume_times_agreement() {
        let counts = |positive, negative, neutral| LabelCounts {
            positive,
            negative,
            neutral,
            total: positive + negative + neutral,
        };
        // 4 of 5 positive: volume 5 / 10 = 0.5, agreement 4 / 5 = 0.8.
        let c = confidence(&counts(4, 1, 0), Some(SentimentLabel::Positive)).unwrap();
        assert!((c - 0.4).abs() < 1e-12, "{c}");
        // One article agreeing with itself: 1 / 6.
        let c = confidence(&counts(0, 1, 0), Some(SentimentLabel::Negative)).unwrap();
        assert!((c - 1.0 / 6.0).abs() < 1e-12, "{c}");
        // 20 articles, 10 neutral, label neutral: 20 / 25 x 10 / 20 = 0.4.
        let c = confidence(&counts(5, 5, 10), Some(SentimentLabel::Neutral)).unwrap();
        assert!((c - 0.4).abs() < 1e-12, "{c}");
        assert_eq!(confidence(&counts(0, 0, 0), None), None);
    }

    #[test]
    fn each_source_is_weighted_like_the_whole() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let mut fresh = bucket(0, 1, 0, 0, 0.6);
        fresh.tiingo = SourceCount { articles: 1, score_sum: 600_000 };
        let mut day_old = bucket(24, 0, 1, 0, -0.4);
        day_old.tiingo = SourceCount { articles: 1, score_sum: -400_000 };
        day_old.finnhub = SourceCount { articles: 1, score_sum: -400_000 };
        let buckets = [day_old, fresh];
        // Tiingo: weights 1 and 0.5 -> (0.6 - 0.2) / 1.5 = 0.2667.
        let t = summarize_source(&buckets, SourceKind::Tiingo, now, Duration::hours(24));
        assert!((t.score.unwrap() - 0.4 / 1.5).abs() < 1e-9, "{t:?}");
        assert_eq!((t.articles, t.label), (2, Some(SentimentLabel::Positive)));
        let f = summarize_source(&buckets, SourceKind::Finnhub, now, Duration::hours(24));
        assert_eq!((f.score, f.articles, f.label), (Some(-0.4), 1, Some(SentimentLabel::Negative)));
    }

    #[test]
    fn series_keeps_empty_intervals_and_means_per_interval() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        // Hours 14 and 13 ago fall in the 6-hour interval [18 h ago, 12 h ago); nothing in
        // [12 h, 6 h ago); 1 h ago in the last.
        let buckets = [bucket(14, 1, 0, 0, 0.5), bucket(13, 0, 0, 2, 0.2), bucket(1, 0, 1, 0, -0.9)];
        let points = series(&buckets, now - Duration::hours(18), Duration::hours(6), 3);
        assert_eq!(points.len(), 3);
        // (0.5 + 2 x 0.2) / 3 = 0.3.
        assert!((points[0].score.unwrap() - 0.3).abs() < 1e-9, "{:?}", points[0]);
        assert_eq!(points[0].counts.total, 3);
        assert_eq!((points[1].score, points[1].counts.total), (None, 0));
        assert_eq!(points[1].start, now - Duration::hours(12));
        assert_eq!(points[2].score, Some(-0.9));
    }

    #[test]
    fn a_watchlist_score_weighs_tickers_with_data() {
        assert_eq!(weighted_score(&[]), None);
        assert_eq!(weighted_score(&[(1.0, None)]), None);
        // (2 x 0.5 + 1 x -0.4) / 3 = 0.2; the ticker without data does not dilute it.
        let s = weighted_score(&[(2.0, Some(0.5)), (1.0, Some(-0.4)), (5.0, None)]).unwrap();
        assert!((s - 0.2).abs() < 1e-12, "{s}");
    }
}
