//! Query parameters, parsed into domain types at the edge with messages that say what is
//! accepted.

use std::collections::HashMap;

use domain::Ticker;
use domain::store::Cursor;

use crate::ApiError;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
pub const DEFAULT_WINDOW_HOURS: i64 = 7 * 24;
pub const MAX_WINDOW_HOURS: i64 = 90 * 24;

pub fn ticker(raw: &str) -> Result<Ticker, ApiError> {
    Ticker::parse(raw).map_err(|e| {
        ApiError::bad_request(
            "invalid_ticker",
            format!("invalid ticker {:?}: {e}", domain::text::preview(raw)),
        )
    })
}

pub fn limit(params: &HashMap<String, String>) -> Result<usize, ApiError> {
    match params.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(raw) => raw.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_parameter",
                format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
            )
        }),
    }
}

pub fn cursor(params: &HashMap<String, String>) -> Result<Option<Cursor>, ApiError> {
    match params.get("cursor").map(String::as_str) {
        None => Ok(None),
        Some(raw) if raw.is_empty() || raw.len() > 2048 => {
            Err(ApiError::bad_request("invalid_cursor", "cursor is invalid or expired"))
        }
        Some(raw) => Ok(Some(Cursor(raw.to_owned()))),
    }
}

/// A window like `24h` or `7d`, in hours; at most 90 days.
pub fn window_hours(params: &HashMap<String, String>) -> Result<i64, ApiError> {
    let Some(raw) = params.get("window") else { return Ok(DEFAULT_WINDOW_HOURS) };
    let invalid =
        || ApiError::bad_request("invalid_parameter", "window must look like 24h or 7d, at most 90d");
    let digits = |s: &str| -> Result<i64, ApiError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        s.parse().map_err(|_| invalid())
    };
    let hours = if let Some(n) = raw.strip_suffix('h') {
        digits(n)?
    } else if let Some(n) = raw.strip_suffix('d') {
        digits(n)?.checked_mul(24).ok_or_else(invalid)?
    } else {
        return Err(invalid());
    };
    if (1..=MAX_WINDOW_HOURS).contains(&hours) { Ok(hours) } else { Err(invalid()) }
}

pub fn window_label(hours: i64) -> String {
    if hours % 24 == 0 { format!("{}d", hours / 24) } else { format!("{hours}h") }
}
