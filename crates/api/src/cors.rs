//! Which browser origins may call the API: an allow-list (`SENTIMENT_CORS_ORIGINS`), `*` for
//! any, or nothing (the default: same-origin pages only, like the bundled dashboard). Tokens
//! travel in headers, never cookies, so no credentials mode is needed.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AllowedOrigins {
    #[default]
    None,
    Any,
    List(Vec<HeaderValue>),
}

impl AllowedOrigins {
    /// `*`, or comma-separated origins such as `https://app.example.com` (scheme, host and
    /// optional port; no path).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw == "*" {
            return Ok(Self::Any);
        }
        let mut origins = Vec::new();
        for origin in raw.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let bad = || {
                format!("{:?} is not an origin like https://app.example.com", domain::text::preview(origin))
            };
            let rest =
                origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")).ok_or_else(bad)?;
            if rest.is_empty() || rest.contains('/') || rest.contains(char::is_whitespace) {
                return Err(bad());
            }
            origins.push(HeaderValue::from_str(origin).map_err(|_| bad())?);
        }
        Ok(if origins.is_empty() { Self::None } else { Self::List(origins) })
    }

    pub fn layer(&self) -> CorsLayer {
        let origin = match self {
            Self::None => AllowOrigin::list(Vec::<HeaderValue>::new()),
            Self::Any => AllowOrigin::any(),
            Self::List(list) => AllowOrigin::list(list.clone()),
        };
        CorsLayer::new()
            .allow_origin(origin)
            .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("x-user-id"),
                HeaderName::from_static("x-amz-content-sha256"),
            ])
            .expose_headers([
                HeaderName::from_static("x-request-id"),
                HeaderName::from_static("x-ratelimit-limit"),
                HeaderName::from_static("x-ratelimit-remaining"),
                HeaderName::from_static("x-ratelimit-reset"),
                header::RETRY_AFTER,
            ])
            .max_age(Duration::from_secs(600))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse() {
        assert_eq!(AllowedOrigins::parse("").unwrap(), AllowedOrigins::None);
        assert_eq!(AllowedOrigins::parse(" * ").unwrap(), AllowedOrigins::Any);
        let list = AllowedOrigins::parse("https://a.example.com, http://localhost:8080").unwrap();
        assert_eq!(
            list,
            AllowedOrigins::List(vec![
                HeaderValue::from_static("https://a.example.com"),
                HeaderValue::from_static("http://localhost:8080")
            ])
        );
        for bad in ["a.example.com", "https://a.example.com/path", "ftp://x", "https://"] {
            assert!(AllowedOrigins::parse(bad).is_err(), "{bad}");
        }
    }
}
