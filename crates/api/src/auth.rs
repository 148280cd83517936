//! Who is calling: a live session token in `Authorization: Bearer <token>` or, for existing
//! dashboard clients, `X-User-ID: <token>`. A user id is never proof of identity: only a token
//! whose hash names a live session is.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use domain::session::{Session, SessionToken};
use domain::table::users;

use crate::{ApiError, AppState};

pub const USER_ID_HEADER: &str = "x-user-id";

/// The credential a request carries, if any (not yet checked against the store).
pub fn presented_token(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, rest) = value.trim().split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim());
    }
    headers.get(USER_ID_HEADER).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// A request made with a live session.
pub struct Authenticated {
    pub token: SessionToken,
    pub session: Session,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(presented) = presented_token(&parts.headers) else {
            return Err(ApiError::Unauthorized(
                "authentication required: send Authorization: Bearer <token> from POST /api/v2/auth/anonymous",
            ));
        };
        let invalid = ApiError::Unauthorized("the session token is invalid, revoked or expired");
        // A malformed value (a user id, say) cannot be a token: refused without a store read.
        let token = SessionToken::parse(presented).ok_or(invalid)?;
        match users::authenticate(&*state.store, &token).await? {
            Some(session) => Ok(Self { token, session }),
            None => Err(ApiError::Unauthorized("the session token is invalid, revoked or expired")),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn bearer_wins_over_the_legacy_header_and_schemes_are_checked() {
        let mut headers = HeaderMap::new();
        assert_eq!(presented_token(&headers), None);
        headers.insert(USER_ID_HEADER, HeaderValue::from_static(" legacy "));
        assert_eq!(presented_token(&headers), Some("legacy"));
        headers.insert("authorization", HeaderValue::from_static("Bearer  abc "));
        assert_eq!(presented_token(&headers), Some("abc"));
        headers.insert("authorization", HeaderValue::from_static("bearer abc"));
        assert_eq!(presented_token(&headers), Some("abc"));
        headers.insert("authorization", HeaderValue::from_static("Basic abc"));
        assert_eq!(presented_token(&headers), None);
    }
}
