//! Operational routes, and the responses to unknown routes and methods.
//!
//! | route | response |
//! |---|---|
//! | `GET /healthz` | 200 while the process serves HTTP; never reads the store |
//! | `GET /readyz` | 200 when the store replies to a peek, 503 otherwise |
//! | `GET /metrics` | Prometheus text format |

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kauth::core::{RateKey, Subject, Tier};
use kauth::Now;
use serde::Serialize;

use super::error::ApiError;
use super::state::AppState;

/// Workspace of the key `/readyz` peeks at. The key counts a `user` subject
/// on the login tier, which real login checks (counting IP addresses) never
/// use, and a peek writes nothing anyway.
const READINESS_WORKSPACE: &str = "kauth-readiness";

#[derive(Serialize)]
struct StatusBody {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    backend: Option<&'static str>,
}

/// `GET /healthz`: liveness. Answers without touching the store, so a
/// store outage does not get the process restarted.
pub async fn healthz() -> Json<impl Serialize> {
    Json(StatusBody {
        status: "ok",
        backend: None,
    })
}

/// `GET /readyz`: readiness, a login-tier peek at a reserved key. The
/// limiter and the session store share one Redis pool, so one reply
/// covers both.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<impl Serialize>, ApiError> {
    let key = RateKey::new(Tier::Login, READINESS_WORKSPACE, &Subject::User("readyz"))
        .map_err(|_| ApiError::store_failed())?;
    let policy = state.policies.get(Tier::Login);

    let result = state.stores.limiter.peek(&key, &policy, 1, Now::StoreClock).await;
    state.observe("ready", result)?;

    Ok(Json(StatusBody {
        status: "ready",
        backend: Some(state.stores.limiter.backend()),
    }))
}

/// `GET /metrics`: every metric in the Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let text = state.metrics.render(state.stores.limiter.backend());
    let content_type = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}

/// Any path no route matches.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such route; docs/http-api.md lists the routes")
}

/// A route that exists, with a method it does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}
