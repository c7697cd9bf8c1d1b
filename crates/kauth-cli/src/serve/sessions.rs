//! Session routes.
//!
//! | route | response |
//! |---|---|
//! | `POST /v1/sessions` | 201 with the token and the record |
//! | `GET /v1/sessions/current` | 200 with the record, touching it |
//! | `DELETE /v1/sessions/current` | 204 |
//! | `POST /v1/sessions/current/rotate` | 200 with a new token and the record |
//! | `GET /v1/workspaces/{workspace}/users/{user}/sessions` | 200 with the user's active sessions |
//! | `DELETE /v1/workspaces/{workspace}/users/{user}/sessions` | 200 with how many were revoked |
//!
//! The `current` routes read the token from `Authorization: Bearer`. A
//! missing, malformed, unknown, expired or revoked token gets the same 401.
//! Tokens appear in exactly two places: the body of a create or rotate
//! response, and the client's Authorization header. Records show `id`, the
//! first 8 hex digits of the token's SHA-256, and never the full hash.

use std::fmt;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kauth::core::check_workspace;
use kauth::core::session::{NewSession, SessionRecord, MAX_USER_LEN};
use kauth::{IssuedSession, Now};
use serde::Serialize;

use super::error::ApiError;
use super::input::{check_text, JsonObject, PathParams};
use super::state::AppState;

/// Hex digits of the token hash shown as a session's `id`: enough to tell a
/// user's sessions apart, far too few to look a session up by.
const ID_HEX_DIGITS: usize = 8;

/// The token of an `Authorization: Bearer` header. Its `Debug` output is
/// redacted.
pub struct BearerToken(String);

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    /// Accepts exactly one Authorization header with the scheme `Bearer`
    /// (in any case) and a non-empty token. Anything else is the one 401.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut values = parts.headers.get_all(header::AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err(ApiError::unauthorized());
        };
        let text = value.to_str().map_err(|_| ApiError::unauthorized())?;
        let (scheme, token) = text.split_once(' ').ok_or_else(ApiError::unauthorized)?;
        let token = token.trim_start_matches(' ');
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Err(ApiError::unauthorized());
        }
        Ok(BearerToken(token.to_owned()))
    }
}

/// A record's fields as JSON, without the token hash.
#[derive(Serialize)]
struct SessionBody {
    id: String,
    user: String,
    workspace: String,
    created_ms: u64,
    last_seen_ms: u64,
    expires_at_ms: u64,
    idle_timeout_ms: u64,
    ends_at_ms: u64,
    ip: Option<String>,
    user_agent: String,
}

impl SessionBody {
    fn new(record: SessionRecord) -> Self {
        let hex = record.token_hash.to_hex();
        SessionBody {
            id: hex[..ID_HEX_DIGITS].to_owned(),
            ends_at_ms: record.times.ends_at_ms(),
            user: record.user,
            workspace: record.workspace,
            created_ms: record.times.created_ms,
            last_seen_ms: record.times.last_seen_ms,
            expires_at_ms: record.times.expires_at_ms,
            idle_timeout_ms: record.times.idle_timeout_ms,
            ip: record.ip.map(|ip| ip.to_string()),
            user_agent: record.user_agent,
        }
    }
}

/// A new or rotated session: the token, shown this once, and the record.
#[derive(Serialize)]
struct IssuedBody<'a> {
    token: &'a str,
    #[serde(flatten)]
    session: SessionBody,
}

/// Builds the response carrying a new token. The token is borrowed from
/// the session, which zeroes it when dropped, rather than copied.
fn issued_response(status: StatusCode, issued: IssuedSession) -> Response {
    let body = IssuedBody {
        token: issued.token.as_str(),
        session: SessionBody::new(issued.record.clone()),
    };
    (status, Json(body)).into_response()
}

#[derive(Serialize)]
struct SessionListBody {
    sessions: Vec<SessionBody>,
}

#[derive(Serialize)]
struct RevokedBody {
    revoked: usize,
}

/// `POST /v1/sessions`: creates a session from `user`, `workspace` and the
/// optional `ip` and `user_agent`.
pub async fn create(State(state): State<AppState>, body: JsonObject) -> Result<Response, ApiError> {
    body.only(&["user", "workspace", "ip", "user_agent"])?;
    let new = NewSession {
        user: body.text("user")?,
        workspace: body.text("workspace")?,
        ip: body.optional_ip("ip")?,
        user_agent: body.free_text("user_agent")?,
    };
    new.validate().map_err(ApiError::from_session_input_error)?;

    let result = state.stores.sessions.create(new, Now::StoreClock).await;
    let issued = state.observe("create", result)?;

    Ok(issued_response(StatusCode::CREATED, issued))
}

/// `GET /v1/sessions/current`: the session of the bearer token, touched.
pub async fn current(State(state): State<AppState>, token: BearerToken) -> Result<Response, ApiError> {
    let result = state.stores.sessions.validate(&token.0, Now::StoreClock).await;
    let record = state.observe("validate", result)?.ok_or_else(ApiError::unauthorized)?;

    Ok(Json(SessionBody::new(record)).into_response())
}

/// `DELETE /v1/sessions/current`: revokes the session of the bearer token.
pub async fn revoke_current(State(state): State<AppState>, token: BearerToken) -> Result<StatusCode, ApiError> {
    let result = state.stores.sessions.revoke(&token.0, Now::StoreClock).await;
    if !state.observe("revoke", result)? {
        return Err(ApiError::unauthorized());
    }

    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/sessions/current/rotate`: replaces the bearer token with a new
/// one; the old one stops working at once.
pub async fn rotate(State(state): State<AppState>, token: BearerToken) -> Result<Response, ApiError> {
    let result = state.stores.sessions.rotate(&token.0, Now::StoreClock).await;
    let issued = state.observe("rotate", result)?.ok_or_else(ApiError::unauthorized)?;

    Ok(issued_response(StatusCode::OK, issued))
}

/// `GET /v1/workspaces/{workspace}/users/{user}/sessions`: the user's active
/// sessions, oldest first.
pub async fn list_user(
    State(state): State<AppState>,
    PathParams((workspace, user)): PathParams<(String, String)>,
) -> Result<Response, ApiError> {
    check_user_path(&workspace, &user)?;

    let result = state.stores.sessions.list(&workspace, &user, Now::StoreClock).await;
    let records = state.observe("list", result)?;

    let sessions = records.into_iter().map(SessionBody::new).collect();
    Ok(Json(SessionListBody { sessions }).into_response())
}

/// `DELETE /v1/workspaces/{workspace}/users/{user}/sessions`: revokes every
/// session of the user.
pub async fn revoke_user(
    State(state): State<AppState>,
    PathParams((workspace, user)): PathParams<(String, String)>,
) -> Result<Response, ApiError> {
    check_user_path(&workspace, &user)?;

    let result = state
        .stores
        .sessions
        .revoke_all(&workspace, &user, Now::StoreClock)
        .await;
    let revoked = state.observe("revoke_all", result)?;

    Ok(Json(RevokedBody { revoked }).into_response())
}

/// Applies the body's rules for `workspace` and `user` to path parameters.
fn check_user_path(workspace: &str, user: &str) -> Result<(), ApiError> {
    check_text("workspace", workspace)?;
    check_workspace(workspace).map_err(|error| ApiError::invalid_field("workspace", error.to_string()))?;
    check_text("user", user)?;
    if user.len() > MAX_USER_LEN {
        return Err(ApiError::invalid_field(
            "user",
            format!("user is {} bytes long, above the maximum of {MAX_USER_LEN}", user.len()),
        ));
    }
    Ok(())
}
