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

/// The credential a request carries, if any (not yet checked against the store): a Bearer
/// token in `Authorization`, else `X-User-ID`. An `Authorization` header of another scheme is
/// not ours to read: behind CloudFront it holds the SigV4 signature of origin access control
/// (`AWS4-HMAC-SHA256 Credential=…`), and the viewer's token then travels in `X-User-ID`.
pub fn presented_token(headers: &HeaderMap) -> Option<&str> {
    let bearer =
        headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|value| {
            let (scheme, rest) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        });
    bearer.or_else(|| headers.get(USER_ID_HEADER).and_then(|v| v.to_str().ok()).map(str::trim))
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
    fn bearer_wins_and_other_schemes_leave_the_token_to_x_user_id() {
        let mut headers = HeaderMap::new();
        assert_eq!(presented_token(&headers), None);
        headers.insert(USER_ID_HEADER, HeaderValue::from_static(" legacy "));
        assert_eq!(presented_token(&headers), Some("legacy"));
        headers.insert("authorization", HeaderValue::from_static("Bearer  abc "));
        assert_eq!(presented_token(&headers), Some("abc"));
        headers.insert("authorization", HeaderValue::from_static("bearer abc"));
        assert_eq!(presented_token(&headers), Some("abc"));
        // Another scheme is not ours: behind CloudFront it is the origin-access signature,
        // and the viewer's token is the one in X-User-ID.
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIA/20261130/us-east-1/lambda/aws4_request",
            ),
        );
        assert_eq!(presented_token(&headers), Some("legacy"));
        headers.remove(USER_ID_HEADER);
        assert_eq!(presented_token(&headers), None);
        headers.insert("authorization", HeaderValue::from_static("Basic"));
        assert_eq!(presented_token(&headers), None);
    }
}
