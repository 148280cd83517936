//! Request bodies: JSON only, within the size limit, syntax errors told apart from bad values.
//!
//! - not `application/json` (or `+json`) while a body is present → 415
//! - over the body limit → 413
//! - not JSON (syntax, truncated, not UTF-8) → 400 `malformed_json`
//! - JSON, but not an object → 422 naming the body
//!
//! Values are then checked field by field by the handler, so each 422 names its field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde_json::{Map, Value};

use crate::ApiError;

/// A JSON object body; an absent or empty body is an empty object.
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .map(|v| v == "application/json" || (v.starts_with("application/") && v.ends_with("+json")));
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge { limit: crate::guard::Limits::default().max_body_bytes }
            } else {
                ApiError::bad_request("malformed_body", "the request body could not be read")
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Map::new()));
        }
        if json_type == Some(false) {
            return Err(ApiError::UnsupportedMediaType);
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(ApiError::invalid("body", "the request body must be a JSON object")),
            Err(error) => Err(ApiError::bad_request(
                "malformed_json",
                format!(
                    "the request body is not valid JSON (line {}, column {})",
                    error.line(),
                    error.column()
                ),
            )),
        }
    }
}

/// Typed access to the fields of a JSON object, each error naming its field.
pub struct Fields(pub Map<String, Value>);

impl Fields {
    fn present(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn string(&self, name: &'static str) -> Result<Option<&str>, ApiError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::invalid(name, format!("{name} must be a string"))),
        }
    }

    pub fn integer(&self, name: &'static str) -> Result<Option<i64>, ApiError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Some(i)),
                // 7.0 is a whole number too.
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => Ok(Some(f as i64)),
                    _ => Err(ApiError::invalid(name, format!("{name} must be a whole number"))),
                },
            },
            Some(_) => Err(ApiError::invalid(name, format!("{name} must be a whole number"))),
        }
    }

    pub fn array(&self, name: &'static str) -> Result<Option<&Vec<Value>>, ApiError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(ApiError::invalid(name, format!("{name} must be an array"))),
        }
    }
}
