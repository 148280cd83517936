//! Rate limiting of every API request but `/health`, by action (see `rate_limit::Action`):
//! counters in the store so the limit holds across Lambda containers.
//!
//! Who is counted: a request with a well-formed session token is counted against its session;
//! any other request, and every session creation, against its client address. The address is
//! the connection's peer (the Function URL's `sourceIp` in Lambda), or the first
//! `X-Forwarded-For` hop when the peer is a trusted proxy (`SENTIMENT_TRUSTED_PROXIES`; in AWS,
//! CloudFront).
//!
//! Every limited response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
//! `X-RateLimit-Reset` (seconds); a refusal is 429 with `Retry-After`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::session::SessionToken;
use rate_limit::{Action, ActionLimiter, Decision};

use crate::ApiError;
use crate::auth::presented_token;

/// Proxies whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TrustedProxies {
    /// Believe no one: the peer address is the client.
    #[default]
    None,
    /// Every peer is a proxy (a Function URL reachable only through CloudFront).
    All,
    /// Peers within these networks (address, prefix length).
    Networks(Vec<(IpAddr, u8)>),
}

impl TrustedProxies {
    /// `*`, or a comma-separated list of addresses and CIDR networks.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw == "*" {
            return Ok(Self::All);
        }
        let mut networks = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (addr, prefix) = match part.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (part, None),
            };
            let bad = || format!("{:?} is not an IP address or CIDR network", domain::text::preview(part));
            let addr: IpAddr = addr.parse().map_err(|_| bad())?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            };
            networks.push((addr, prefix));
        }
        Ok(if networks.is_empty() { Self::None } else { Self::Networks(networks) })
    }

    fn trusts(&self, peer: IpAddr) -> bool {
        match self {
            Self::None => false,
            Self::All => true,
            Self::Networks(networks) => networks.iter().any(|&(net, prefix)| within(peer, net, prefix)),
        }
    }
}

fn within(addr: IpAddr, net: IpAddr, prefix: u8) -> bool {
    let (a, n, bits) = match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u128::from(u32::from(a)), u128::from(u32::from(n)), 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), 128),
        _ => return false,
    };
    let shift = bits - u32::from(prefix);
    shift >= bits || (a >> shift) == (n >> shift)
}

#[derive(Clone)]
pub struct RateLimiting {
    pub limiter: Arc<ActionLimiter>,
    pub trusted_proxies: TrustedProxies,
}

pub fn classify(method: &Method, path: &str) -> Option<Action> {
    if path == "/health" {
        return None;
    }
    if path == "/api/v2/auth/anonymous" && method == Method::POST {
        return Some(Action::AnonymousSession);
    }
    let config_path = path == "/api/v2/configurations" || path.starts_with("/api/v2/configurations/");
    let writes = matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
    if config_path && writes {
        return Some(Action::ConfigWrite);
    }
    if method == Method::GET || method == Method::HEAD {
        return Some(Action::Read);
    }
    Some(Action::Default)
}

fn client_address(headers: &HeaderMap, peer: Option<IpAddr>, trusted: &TrustedProxies) -> Option<IpAddr> {
    match peer {
        Some(peer) if trusted.trusts(peer) => headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|hop| hop.trim().parse().ok())
            .or(Some(peer)),
        other => other,
    }
}

/// The counter a request is charged to.
pub fn client_key(
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    trusted: &TrustedProxies,
    action: Action,
) -> String {
    if action != Action::AnonymousSession
        && let Some(token) = presented_token(headers).and_then(SessionToken::parse)
    {
        // Half the hash: plenty to tell sessions apart, not the item key of the session.
        return format!("s:{}", &token.hash().as_str()[..32]);
    }
    match client_address(headers, peer, trusted) {
        Some(ip) => format!("ip:{ip}"),
        None => "ip:unknown".to_owned(),
    }
}

fn set_header(response: &mut Response, name: &'static str, value: u64) {
    if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
        response.headers_mut().insert(name, value);
    }
}

fn seconds(d: Duration) -> u64 {
    d.as_secs().max(1)
}

pub async fn check(State(limiting): State<RateLimiting>, request: Request, next: Next) -> Response {
    let Some(action) = classify(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let client = client_key(request.headers(), peer, &limiting.trusted_proxies, action);
    match limiting.limiter.check(action, &client).await {
        Ok(Decision::Allowed { limit, remaining, reset_after }) => {
            let mut response = next.run(request).await;
            set_header(&mut response, "x-ratelimit-limit", u64::from(limit));
            set_header(&mut response, "x-ratelimit-remaining", u64::from(remaining));
            set_header(&mut response, "x-ratelimit-reset", seconds(reset_after));
            response
        }
        Ok(Decision::Limited { limit, retry_after }) => {
            let mut response = ApiError::RateLimited { retry_after }.into_response();
            set_header(&mut response, "x-ratelimit-limit", u64::from(limit));
            set_header(&mut response, "x-ratelimit-remaining", 0);
            set_header(&mut response, "x-ratelimit-reset", seconds(retry_after));
            response
        }
        Err(error) if action.fails_open() => {
            tracing::warn!(%action, error = %error, "rate limit state unavailable; request let through");
            next.run(request).await
        }
        Err(error) => {
            tracing::error!(%action, error = %error, "rate limit state unavailable; request refused");
            ApiError::Unavailable(domain::store::StoreError::Unavailable("rate limit state".into()))
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_parse_and_match() {
        assert_eq!(TrustedProxies::parse("").unwrap(), TrustedProxies::None);
        assert_eq!(TrustedProxies::parse("*").unwrap(), TrustedProxies::All);
        let t = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7, ::1").unwrap();
        assert!(t.trusts("10.200.3.4".parse().unwrap()));
        assert!(!t.trusts("11.0.0.1".parse().unwrap()));
        assert!(t.trusts("192.168.1.7".parse().unwrap()));
        assert!(!t.trusts("192.168.1.8".parse().unwrap()));
        assert!(t.trusts("::1".parse().unwrap()));
        assert!(TrustedProxies::parse("0.0.0.0/0").unwrap().trusts("8.8.8.8".parse().unwrap()));
        for bad in ["10.0.0.0/33", "nope", "1.2.3.4/x"] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_peer() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9, 10.0.0.2"));
        let peer = Some("10.0.0.2".parse().unwrap());
        let key = |t: &TrustedProxies| client_key(&headers, peer, t, Action::Read);
        assert_eq!(key(&TrustedProxies::None), "ip:10.0.0.2");
        assert_eq!(key(&TrustedProxies::parse("10.0.0.0/8").unwrap()), "ip:203.0.113.9");
        assert_eq!(key(&TrustedProxies::parse("172.16.0.0/12").unwrap()), "ip:10.0.0.2");
    }

    #[test]
    fn actions_by_route() {
        assert_eq!(classify(&Method::GET, "/health"), None);
        assert_eq!(classify(&Method::POST, "/api/v2/auth/anonymous"), Some(Action::AnonymousSession));
        assert_eq!(classify(&Method::POST, "/api/v2/configurations"), Some(Action::ConfigWrite));
        assert_eq!(classify(&Method::DELETE, "/api/v2/configurations/x"), Some(Action::ConfigWrite));
        assert_eq!(classify(&Method::GET, "/api/v2/configurations/x"), Some(Action::Read));
        assert_eq!(classify(&Method::POST, "/api/v2/auth/extend"), Some(Action::Default));
    }
}
