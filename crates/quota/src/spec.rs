//! `SENTIMENT_QUOTAS`: `tiingo=50/1h;1000/1d;500 symbols/1mo,finnhub=60/1m;30/1s`.
//!
//! Sources are separated by `,`, a source's limits by `;`. A limit is `<max>/<count><unit>`
//! with units `s`, `m`, `h`, `d`, `mo`; `<max> symbols/<window>` limits distinct symbols
//! rather than calls. A source named in the value gets exactly the limits given; a source not
//! named keeps its defaults (the vendors' free tiers).

use std::str::FromStr;

use domain::SourceKind;

use crate::{Limit, Resource, Unit, Window};

/// Every source's limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quotas {
    pub tiingo: Vec<Limit>,
    pub finnhub: Vec<Limit>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QuotasError(String);

impl Default for Quotas {
    /// The free tiers: Tiingo 50 calls an hour, 1,000 a day, 500 distinct symbols a month;
    /// Finnhub 60 calls a minute and 30 a second.
    fn default() -> Self {
        Self {
            tiingo: vec![
                Limit::calls(50, Window::new(1, Unit::Hour)),
                Limit::calls(1_000, Window::new(1, Unit::Day)),
                Limit::symbols(500, Window::new(1, Unit::Month)),
            ],
            finnhub: vec![
                Limit::calls(60, Window::new(1, Unit::Minute)),
                Limit::calls(30, Window::new(1, Unit::Second)),
            ],
        }
    }
}

impl Quotas {
    pub fn for_source(&self, source: SourceKind) -> &[Limit] {
        match source {
            SourceKind::Tiingo => &self.tiingo,
            SourceKind::Finnhub => &self.finnhub,
        }
    }

    /// The value in the syntax it is parsed from.
    pub fn render(&self) -> String {
        let one = |limits: &[Limit]| {
            limits
                .iter()
                .map(|l| match l.resource {
                    Resource::Calls => format!("{}/{}", l.max, l.window.label()),
                    Resource::Symbols => format!("{} symbols/{}", l.max, l.window.label()),
                })
                .collect::<Vec<_>>()
                .join(";")
        };
        format!("tiingo={},finnhub={}", one(&self.tiingo), one(&self.finnhub))
    }
}

impl FromStr for Quotas {
    type Err = QuotasError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let mut quotas = Quotas::default();
        let mut named = Vec::new();
        for part in input.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, limits) = part
                .split_once('=')
                .ok_or_else(|| QuotasError(format!("`{part}` is not <source>=<limits>")))?;
            let source = match name.trim().to_ascii_lowercase().as_str() {
                "tiingo" => SourceKind::Tiingo,
                "finnhub" => SourceKind::Finnhub,
                other => return Err(QuotasError(format!("unknown source `{other}` (tiingo or finnhub)"))),
            };
            if named.contains(&source) {
                return Err(QuotasError(format!("{source} is named twice")));
            }
            named.push(source);
            let parsed = parse_limits(limits).map_err(|e| QuotasError(format!("{source}: {e}")))?;
            match source {
                SourceKind::Tiingo => quotas.tiingo = parsed,
                SourceKind::Finnhub => quotas.finnhub = parsed,
            }
        }
        Ok(quotas)
    }
}

fn parse_limits(input: &str) -> Result<Vec<Limit>, String> {
    let mut limits: Vec<Limit> = Vec::new();
    for text in input.split(';').map(str::trim).filter(|t| !t.is_empty()) {
        let limit = parse_limit(text)?;
        if limits.iter().any(|l| l.window == limit.window && l.resource == limit.resource) {
            return Err(format!("two limits for the same window in `{input}`"));
        }
        limits.push(limit);
    }
    if limits.is_empty() {
        return Err("needs at least one limit, like 50/1h".into());
    }
    Ok(limits)
}

fn parse_limit(text: &str) -> Result<Limit, String> {
    let bad = || format!("`{text}` is not a limit like 50/1h, 30/1s or 500 symbols/1mo");
    let (max, window) = text.split_once('/').ok_or_else(bad)?;
    let max = max.trim();
    let (max, resource) = match max.strip_suffix("symbols") {
        Some(number) => (number.trim(), Resource::Symbols),
        None => (max, Resource::Calls),
    };
    let max: u32 = max.parse().map_err(|_| bad())?;
    if max == 0 {
        return Err(format!("`{text}`: a limit of 0 would never allow a call"));
    }
    let window = window.trim();
    let split = window.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (count, unit) = window.split_at(split);
    let count: u32 = if count.is_empty() { 1 } else { count.parse().map_err(|_| bad())? };
    let unit = match unit {
        "s" => Unit::Second,
        "m" => Unit::Minute,
        "h" => Unit::Hour,
        "d" => Unit::Day,
        "mo" => Unit::Month,
        _ => return Err(bad()),
    };
    if count == 0 {
        return Err(format!("`{text}`: a window cannot be 0 long"));
    }
    Ok(Limit { max, window: Window::new(count, unit), resource })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let q: Quotas = "tiingo=50/1h;1000/1d,finnhub=60/1m;30/1s".parse().unwrap();
        assert_eq!(
            q.tiingo,
            vec![Limit::calls(50, Window::new(1, Unit::Hour)), Limit::calls(1000, Window::new(1, Unit::Day))]
        );
        assert_eq!(
            q.finnhub,
            vec![
                Limit::calls(60, Window::new(1, Unit::Minute)),
                Limit::calls(30, Window::new(1, Unit::Second))
            ]
        );
    }

    #[test]
    fn naming_one_source_keeps_the_others_defaults() {
        let q: Quotas = "finnhub=5/1m".parse().unwrap();
        assert_eq!(q.tiingo, Quotas::default().tiingo);
        assert_eq!(q.finnhub, vec![Limit::calls(5, Window::new(1, Unit::Minute))]);
        let q: Quotas = " tiingo = 10/15m ; 200 symbols/1mo ".parse().unwrap();
        assert_eq!(
            q.tiingo,
            vec![
                Limit::calls(10, Window::new(15, Unit::Minute)),
                Limit::symbols(200, Window::new(1, Unit::Month))
            ]
        );
        assert_eq!("".parse::<Quotas>().unwrap(), Quotas::default());
    }

    #[test]
    fn rendering_round_trips() {
        let q = Quotas::default();
        assert_eq!(q.render().parse::<Quotas>().unwrap(), q);
    }

    #[test]
    fn malformed_values_say_what_is_wrong() {
        for (input, needle) in [
            ("tiingo", "not <source>=<limits>"),
            ("reuters=5/1h", "unknown source `reuters`"),
            ("tiingo=5/1h,tiingo=6/1h", "named twice"),
            ("tiingo=", "at least one limit"),
            ("tiingo=five/1h", "`five/1h` is not a limit"),
            ("tiingo=5/1w", "`5/1w` is not a limit"),
            ("tiingo=5", "`5` is not a limit"),
            ("tiingo=0/1h", "limit of 0"),
            ("tiingo=5/0h", "cannot be 0 long"),
            ("finnhub=5/1m;6/1m", "two limits for the same window"),
        ] {
            let error = input.parse::<Quotas>().unwrap_err().to_string();
            assert!(error.contains(needle), "{input}: {error}");
        }
    }
}
