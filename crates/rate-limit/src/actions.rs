//! The API's limits by kind of request, as one setting:
//! `SENTIMENT_RATE_LIMITS="anonymous_session=10/1h,config_write=30/1h,read=300/1m,default=100/1m"`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use domain::Clock;
use domain::store::Store;

use crate::{Decision, Policy, RateLimitError, RateLimiter};

/// What a request does, for rate limiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// `POST /api/v2/auth/anonymous`: creating sessions (by client address only).
    AnonymousSession,
    /// Creating, changing and deleting configurations.
    ConfigWrite,
    /// Reading anything.
    Read,
    /// Everything else (extending and ending sessions, ...).
    Default,
}

impl Action {
    pub const ALL: [Action; 4] = [Self::AnonymousSession, Self::ConfigWrite, Self::Read, Self::Default];

    pub fn name(self) -> &'static str {
        match self {
            Self::AnonymousSession => "anonymous_session",
            Self::ConfigWrite => "config_write",
            Self::Read => "read",
            Self::Default => "default",
        }
    }

    /// When the store cannot be reached: reads are let through (the data they read is public or
    /// the session check still guards it), writes that create state are refused with 503, since
    /// they are what a flood would abuse and they need the store anyway.
    pub fn fails_open(self) -> bool {
        matches!(self, Self::Read | Self::Default)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    pub anonymous_session: Policy,
    pub config_write: Policy,
    pub read: Policy,
    pub default: Policy,
}

const fn per(limit: u32, secs: u64) -> Policy {
    Policy { limit, window: Duration::from_secs(secs) }
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            anonymous_session: per(10, 3600),
            config_write: per(30, 3600),
            read: per(300, 60),
            default: per(100, 60),
        }
    }
}

impl RateLimits {
    pub fn policy(&self, action: Action) -> Policy {
        match action {
            Action::AnonymousSession => self.anonymous_session,
            Action::ConfigWrite => self.config_write,
            Action::Read => self.read,
            Action::Default => self.default,
        }
    }

    /// Parses `action=LIMIT/WINDOW,...` (windows `s`, `m`, `h`, `d`, optionally with a count:
    /// `90s`, `15m`). Actions not named keep their defaults.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut limits = Self::default();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) =
                part.split_once('=').ok_or_else(|| format!("{part:?} is not action=limit/window"))?;
            let (name, value) = (name.trim(), value.trim());
            let policy = parse_policy(value).map_err(|e| format!("{name}: {e}"))?;
            let slot = match name {
                "anonymous_session" => &mut limits.anonymous_session,
                "config_write" => &mut limits.config_write,
                "read" => &mut limits.read,
                "default" => &mut limits.default,
                other => {
                    return Err(format!(
                        "unknown action {:?}; the actions are anonymous_session, config_write, read and default",
                        domain::text::preview(other)
                    ));
                }
            };
            *slot = policy;
        }
        Ok(limits)
    }
}

fn parse_policy(value: &str) -> Result<Policy, String> {
    let bad = || format!("{:?} is not limit/window such as 100/1m", domain::text::preview(value));
    let (limit, window) = value.split_once('/').ok_or_else(bad)?;
    let limit: u32 = limit.trim().parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
    let window = window.trim();
    let split = window.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (count, unit) = window.split_at(split);
    let count: u64 =
        if count.is_empty() { 1 } else { count.parse().ok().filter(|n| *n > 0).ok_or_else(bad)? };
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    let secs = count.checked_mul(unit_secs).filter(|s| *s <= 31 * 86_400).ok_or_else(bad)?;
    Ok(Policy { limit, window: Duration::from_secs(secs) })
}

/// One limiter per action, sharing the store.
pub struct ActionLimiter {
    limits: RateLimits,
    limiters: Vec<(Action, RateLimiter)>,
}

impl ActionLimiter {
    /// A policy without a limit or a window (which `parse` never produces) falls back to the
    /// action's default.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, limits: RateLimits) -> Self {
        let defaults = RateLimits::default();
        let limiters = Action::ALL
            .iter()
            .filter_map(|&action| {
                RateLimiter::new(store.clone(), clock.clone(), action.name(), limits.policy(action))
                    .or_else(|_| {
                        RateLimiter::new(store.clone(), clock.clone(), action.name(), defaults.policy(action))
                    })
                    .ok()
                    .map(|limiter| (action, limiter))
            })
            .collect();
        Self { limits, limiters }
    }

    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    pub async fn check(&self, action: Action, client: &str) -> Result<Decision, RateLimitError> {
        match self.limiters.iter().find(|(a, _)| *a == action) {
            Some((_, limiter)) => limiter.check(client).await,
            None => Err(RateLimitError::InvalidPolicy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naming_some_actions_keeps_the_defaults_of_the_rest() {
        let limits = RateLimits::parse("read=1000/1m, config_write=5/15m").unwrap();
        assert_eq!(limits.read, per(1000, 60));
        assert_eq!(limits.config_write, per(5, 900));
        assert_eq!(limits.anonymous_session, RateLimits::default().anonymous_session);
        assert_eq!(limits.default, per(100, 60));
        assert_eq!(RateLimits::parse("").unwrap(), RateLimits::default());
        assert_eq!(
            RateLimits::parse("anonymous_session=10/1h,config_write=30/1h,read=300/1m,default=100/1m")
                .unwrap(),
            RateLimits::default()
        );
        assert_eq!(RateLimits::parse("default=7/d").unwrap().default, per(7, 86_400));
    }

    #[test]
    fn malformed_values_are_refused_with_the_reason() {
        for (bad, says) in [
            ("read", "action=limit/window"),
            ("reads=1/1m", "unknown action"),
            ("read=0/1m", "read:"),
            ("read=-1/1m", "read:"),
            ("read=10/1w", "read:"),
            ("read=10/0m", "read:"),
            ("read=10", "read:"),
            ("read=ten/1m", "read:"),
            ("read=10/99999999999999999999d", "read:"),
        ] {
            let error = RateLimits::parse(bad).unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }
}
