//! `GET /api/v2/events`: the recent events the ingestion runs announced (`docs/events.md`),
//! newest first, for the dashboard's "what changed" feed. Events are kept in the store for
//! `domain::table::events::EVENT_RETENTION_DAYS`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::table::events;
use serde::Serialize;
use utoipa::ToSchema;

use crate::routes::{Params, query};
use crate::{ApiError, AppState, ErrorBody, params};

#[derive(Serialize, ToSchema)]
pub struct EventView {
    /// Stable per fact: the same event published twice has the same id.
    pub id: String,
    /// `IngestionCompleted`, `SentimentShifted`, `SourceDegraded` or `SourceRecovered`:
    /// the EventBridge `detail-type`.
    #[serde(rename = "type")]
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    /// The event's `detail`, exactly as published (versioned by `schema_version`).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct EventPage {
    pub events: Vec<EventView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Recent events, newest first.
#[utoipa::path(get, path = "/api/v2/events", tag = "public",
    params(("limit" = Option<usize>, Query, description = "1..100, default 20"),
           ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")),
    responses((status = 200, body = EventPage), (status = 400, body = ErrorBody)))]
pub async fn recent(State(state): State<AppState>, params: Params) -> Result<Response, ApiError> {
    let params = query(params)?;
    let limit = params::limit(&params)?;
    let cursor = params::cursor(&params)?;
    let page = events::recent(&*state.store, limit, cursor).await?;
    for unreadable in &page.unreadable {
        tracing::warn!(error = %unreadable, "an event in the log was left out of /api/v2/events");
    }
    let body = EventPage {
        events: page
            .events
            .iter()
            .map(|e| EventView {
                id: e.id.clone(),
                kind: e.kind().as_str().to_owned(),
                occurred_at: e.occurred_at,
                detail: e.detail(),
            })
            .collect(),
        next_cursor: page.next.map(|c| c.0),
    };
    let mut response = Json(body).into_response();
    // New events arrive once per ingestion run at most.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    Ok(response)
}
