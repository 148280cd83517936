//! Sessions and configurations: `/api/v2/auth/*` and `/api/v2/configurations*`.

use std::str::FromStr;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use domain::Ticker;
use domain::configuration::{ConfigError, ConfigName, Configuration, ConfigurationId, WeightedTicker};
use domain::table::configurations::{self, CreateError};
use domain::table::users::{self, SessionStoreError};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Authenticated;
use crate::body::{Fields, JsonObject};
use crate::{ApiError, AppState};

/// Per-user limits and session lifetime.
#[derive(Clone, Debug)]
pub struct AccountLimits {
    pub session_ttl: chrono::Duration,
    pub max_configurations: usize,
    pub max_tickers: usize,
}

impl Default for AccountLimits {
    fn default() -> Self {
        Self { session_ttl: domain::session::DEFAULT_SESSION_TTL, max_configurations: 5, max_tickers: 10 }
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Session answers hold a secret or describe one: never cached anywhere.
fn private(status: StatusCode, body: impl Serialize) -> Response {
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Serialize, ToSchema)]
pub struct NewSessionResponse {
    pub user_id: String,
    pub token: String,
    pub auth_type: &'static str,
    pub created_at: String,
    pub session_expires_at: String,
}

#[utoipa::path(post, path = "/api/v2/auth/anonymous", tag = "sessions", request_body(content = Option<crate::openapi::CreateSession>, description = "absent, {} or a timezone"),
    responses((status = 201, body = NewSessionResponse), (status = 422, body = crate::ErrorBody), (status = 429, body = crate::ErrorBody)))]
pub async fn create_anonymous(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let fields = Fields(body);
    let timezone = match fields.string("timezone")? {
        None => None,
        Some(name) => match chrono_tz::Tz::from_str(name) {
            Ok(zone) => Some(zone.name().to_owned()),
            Err(_) => {
                return Err(ApiError::invalid(
                    "timezone",
                    format!(
                        "timezone {:?} is not an IANA time zone name such as Europe/Paris",
                        domain::text::preview(name)
                    ),
                ));
            }
        },
    };
    let created =
        users::create_session(&*state.store, state.clock.now(), state.accounts.session_ttl, timezone)
            .await
            .map_err(|e| match e {
            SessionStoreError::Store(e) => ApiError::from(e),
            SessionStoreError::Random(e) => {
                ApiError::Internal(domain::store::StoreError::Unavailable(e.to_string()))
            }
        })?;
    Ok(private(
        StatusCode::CREATED,
        NewSessionResponse {
            user_id: created.session.user_id.to_string(),
            token: created.token.expose().to_owned(),
            auth_type: "anonymous",
            created_at: rfc3339(created.session.created_at),
            session_expires_at: rfc3339(created.session.expires_at),
        },
    ))
}

#[derive(Serialize, ToSchema)]
pub struct SessionResponse {
    pub user_id: String,
    pub auth_type: &'static str,
    pub created_at: String,
    pub session_expires_at: String,
    pub timezone: Option<String>,
    pub configurations: usize,
    pub limits: LimitsResponse,
}

#[derive(Serialize, ToSchema)]
pub struct LimitsResponse {
    pub max_configurations: usize,
    pub max_tickers_per_configuration: usize,
}

#[utoipa::path(get, path = "/api/v2/auth/session", tag = "sessions", security(("bearer" = []), ("x_user_id" = [])),
    responses((status = 200, body = SessionResponse), (status = 401, body = crate::ErrorBody)))]
pub async fn session(State(state): State<AppState>, auth: Authenticated) -> Result<Response, ApiError> {
    let user = users::user(&*state.store, &auth.session.user_id).await?;
    let count = configurations::list(&*state.store, &auth.session.user_id).await?.len();
    Ok(private(
        StatusCode::OK,
        SessionResponse {
            user_id: auth.session.user_id.to_string(),
            auth_type: "anonymous",
            created_at: rfc3339(auth.session.created_at),
            session_expires_at: rfc3339(auth.session.expires_at),
            timezone: user.and_then(|u| u.timezone),
            configurations: count,
            limits: LimitsResponse {
                max_configurations: state.accounts.max_configurations,
                max_tickers_per_configuration: state.accounts.max_tickers,
            },
        },
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ExtendResponse {
    pub user_id: String,
    pub session_expires_at: String,
}

#[utoipa::path(post, path = "/api/v2/auth/extend", tag = "sessions", security(("bearer" = []), ("x_user_id" = [])),
    responses((status = 200, body = ExtendResponse), (status = 401, body = crate::ErrorBody)))]
pub async fn extend(State(state): State<AppState>, auth: Authenticated) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let extended = users::extend(&*state.store, &auth.token, &auth.session, now, state.accounts.session_ttl)
        .await?
        .ok_or(ApiError::Unauthorized("the session token is invalid, revoked or expired"))?;
    Ok(private(
        StatusCode::OK,
        ExtendResponse {
            user_id: extended.user_id.to_string(),
            session_expires_at: rfc3339(extended.expires_at),
        },
    ))
}

#[utoipa::path(post, path = "/api/v2/auth/signout", tag = "sessions", security(("bearer" = []), ("x_user_id" = [])),
    responses((status = 204, description = "signed out"), (status = 401, body = crate::ErrorBody)))]
pub async fn sign_out(State(state): State<AppState>, auth: Authenticated) -> Result<Response, ApiError> {
    users::sign_out(&*state.store, &auth.token, &auth.session, state.clock.now()).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Serialize, ToSchema)]
pub struct TickerResponse {
    #[schema(value_type = String)]
    pub symbol: Ticker,
    pub weight: f64,
}

#[derive(Serialize, ToSchema)]
pub struct ConfigurationResponse {
    pub config_id: String,
    pub name: String,
    pub tickers: Vec<TickerResponse>,
    pub timeframe_days: u16,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Configuration> for ConfigurationResponse {
    fn from(c: &Configuration) -> Self {
        Self {
            config_id: c.id.as_str().to_owned(),
            name: c.name.as_str().to_owned(),
            tickers: c
                .tickers
                .iter()
                .map(|t| TickerResponse { symbol: t.symbol.clone(), weight: t.weight })
                .collect(),
            timeframe_days: c.timeframe_days,
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ConfigurationList {
    pub configurations: Vec<ConfigurationResponse>,
    pub max_allowed: usize,
}

fn config_error(error: ConfigError) -> ApiError {
    ApiError::invalid(error.field(), error.to_string())
}

/// `tickers`: plain symbols and `{"symbol", "weight"}` objects, mixed freely.
fn parse_tickers(items: &[Value], max: usize) -> Result<Vec<WeightedTicker>, ApiError> {
    let mut tickers = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let (symbol, weight) = match item {
            Value::String(s) => (s.as_str(), 1.0),
            Value::Object(o) => {
                let symbol = o.get("symbol").and_then(Value::as_str).ok_or_else(|| {
                    ApiError::invalid("tickers", format!("tickers[{i}] needs a string symbol"))
                })?;
                let weight = match o.get("weight") {
                    None | Some(Value::Null) => 1.0,
                    Some(w) => w.as_f64().ok_or_else(|| {
                        ApiError::invalid("tickers", format!("the weight of tickers[{i}] must be a number"))
                    })?,
                };
                (symbol, weight)
            }
            _ => {
                return Err(ApiError::invalid(
                    "tickers",
                    format!("tickers[{i}] must be a symbol or an object with symbol and weight"),
                ));
            }
        };
        // Symbols are accepted in any case; surrounding spaces are not part of a symbol.
        let symbol = Ticker::parse(&symbol.to_ascii_uppercase()).map_err(|e| {
            ApiError::invalid("tickers", format!("tickers[{i}] {:?}: {e}", domain::text::preview(symbol)))
        })?;
        tickers.push(WeightedTicker { symbol, weight });
    }
    Configuration::validate_tickers(&tickers).map_err(config_error)?;
    if tickers.len() > max {
        return Err(ApiError::conflict(
            "ticker_limit",
            format!("a configuration may hold at most {max} tickers; this one has {}", tickers.len()),
        ));
    }
    Ok(tickers)
}

fn parse_name(fields: &Fields) -> Result<Option<ConfigName>, ApiError> {
    fields.string("name")?.map(|n| ConfigName::parse(n).map_err(config_error)).transpose()
}

fn parse_timeframe(fields: &Fields) -> Result<Option<u16>, ApiError> {
    fields
        .integer("timeframe_days")?
        .map(|d| Configuration::validate_timeframe(d).map_err(config_error))
        .transpose()
}

#[utoipa::path(post, path = "/api/v2/configurations", tag = "configurations", security(("bearer" = []), ("x_user_id" = [])), request_body = crate::openapi::CreateConfiguration,
    responses((status = 201, body = ConfigurationResponse), (status = 400, body = crate::ErrorBody), (status = 401, body = crate::ErrorBody), (status = 409, body = crate::ErrorBody), (status = 413, body = crate::ErrorBody), (status = 415, body = crate::ErrorBody), (status = 422, body = crate::ErrorBody)))]
pub async fn create_configuration(
    State(state): State<AppState>,
    auth: Authenticated,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let fields = Fields(body);
    let name = parse_name(&fields)?.ok_or_else(|| ApiError::invalid("name", "name is required"))?;
    let tickers =
        fields.array("tickers")?.ok_or_else(|| ApiError::invalid("tickers", "tickers is required"))?;
    let tickers = parse_tickers(tickers, state.accounts.max_tickers)?;
    let timeframe_days = parse_timeframe(&fields)?.unwrap_or(domain::configuration::DEFAULT_TIMEFRAME_DAYS);
    let now = state.clock.now();
    let now = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let id = ConfigurationId::generate()
        .map_err(|e| ApiError::Internal(domain::store::StoreError::Unavailable(e.to_string())))?;
    let config = Configuration { id, name, tickers, timeframe_days, created_at: now, updated_at: now };
    let max = state.accounts.max_configurations;
    match configurations::create(&*state.store, &auth.session.user_id, &config, max).await {
        Ok(()) => Ok(private(StatusCode::CREATED, ConfigurationResponse::from(&config))),
        Err(CreateError::LimitReached(max)) => Err(ApiError::conflict(
            "configuration_limit",
            format!("a user may have at most {max} configurations; delete one first"),
        )),
        Err(CreateError::IdTaken) => {
            Err(ApiError::conflict("conflict", "the configuration id is taken; retry"))
        }
        Err(CreateError::Store(e)) => Err(e.into()),
    }
}

#[utoipa::path(get, path = "/api/v2/configurations", tag = "configurations", security(("bearer" = []), ("x_user_id" = [])),
    responses((status = 200, body = ConfigurationList), (status = 401, body = crate::ErrorBody)))]
pub async fn list_configurations(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Response, ApiError> {
    let configs = configurations::list(&*state.store, &auth.session.user_id).await?;
    Ok(private(
        StatusCode::OK,
        ConfigurationList {
            configurations: configs.iter().map(ConfigurationResponse::from).collect(),
            max_allowed: state.accounts.max_configurations,
        },
    ))
}

/// The `{config_id}` path segment; one that is not UTF-8 is a 404 like any unknown id.
pub struct PathId(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(Self(id)),
            Err(_) => Err(ApiError::NotFound("no such configuration".into())),
        }
    }
}

fn config_id(raw: &str) -> Result<ConfigurationId, ApiError> {
    // Any id that is not well formed cannot exist: a 404 like any other unknown id.
    ConfigurationId::parse(raw).map_err(|_| ApiError::NotFound("no such configuration".into()))
}

/// The caller's configuration, or 404 (also for another user's: its existence is not told).
pub(crate) async fn owned(
    state: &AppState,
    auth: &Authenticated,
    raw_id: &str,
) -> Result<Configuration, ApiError> {
    let id = config_id(raw_id)?;
    configurations::get(&*state.store, &auth.session.user_id, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such configuration".into()))
}

#[utoipa::path(get, path = "/api/v2/configurations/{config_id}", tag = "configurations", security(("bearer" = []), ("x_user_id" = [])), params(("config_id" = String, Path)),
    responses((status = 200, body = ConfigurationResponse), (status = 401, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
pub async fn get_configuration(
    State(state): State<AppState>,
    auth: Authenticated,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let config = owned(&state, &auth, &id).await?;
    Ok(private(StatusCode::OK, ConfigurationResponse::from(&config)))
}

#[utoipa::path(patch, path = "/api/v2/configurations/{config_id}", tag = "configurations", security(("bearer" = []), ("x_user_id" = [])), params(("config_id" = String, Path)), request_body = crate::openapi::UpdateConfiguration,
    responses((status = 200, body = ConfigurationResponse), (status = 400, body = crate::ErrorBody), (status = 401, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody), (status = 409, body = crate::ErrorBody), (status = 422, body = crate::ErrorBody)))]
pub async fn update_configuration(
    State(state): State<AppState>,
    auth: Authenticated,
    PathId(id): PathId,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let fields = Fields(body);
    // Validate the whole body before reading anything.
    let name = parse_name(&fields)?;
    let tickers =
        fields.array("tickers")?.map(|t| parse_tickers(t, state.accounts.max_tickers)).transpose()?;
    let timeframe_days = parse_timeframe(&fields)?;
    let old = owned(&state, &auth, &id).await?;
    let now = state.clock.now();
    let mut new = old.clone();
    if let Some(name) = name {
        new.name = name;
    }
    if let Some(tickers) = tickers {
        new.tickers = tickers;
    }
    if let Some(days) = timeframe_days {
        new.timeframe_days = days;
    }
    new.updated_at = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now).max(old.updated_at);
    if new == old {
        return Ok(private(StatusCode::OK, ConfigurationResponse::from(&old)));
    }
    if configurations::replace(&*state.store, &auth.session.user_id, &old, &new).await? {
        Ok(private(StatusCode::OK, ConfigurationResponse::from(&new)))
    } else {
        Err(ApiError::conflict(
            "conflict",
            "the configuration changed or was deleted while this update was made; read it again",
        ))
    }
}

#[utoipa::path(delete, path = "/api/v2/configurations/{config_id}", tag = "configurations", security(("bearer" = []), ("x_user_id" = [])), params(("config_id" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 401, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)))]
pub async fn delete_configuration(
    State(state): State<AppState>,
    auth: Authenticated,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let id = config_id(&id)?;
    if configurations::delete(&*state.store, &auth.session.user_id, &id).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::NotFound("no such configuration".into()))
    }
}
