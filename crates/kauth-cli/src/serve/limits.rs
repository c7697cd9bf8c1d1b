//! Rate-limit routes: check, peek and reset for each tier.
//!
//! | route | body | response |
//! |---|---|---|
//! | `POST /v1/limits/{tier}` | workspace, subject, optional cost | 200 allowed or 429 limited |
//! | `POST /v1/limits/{tier}/peek` | workspace, subject, optional cost | 200, nothing recorded |
//! | `POST /v1/limits/{tier}/reset` | workspace, subject | 204 |
//!
//! The subject field depends on the tier: `ip` for login, `user` for mfa,
//! `email` for password-reset. Responses carry the `RateLimit-Policy` and
//! `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers-11.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kauth::core::{Decision, Policy, RateKey, Subject, Tier};
use kauth::Now;
use serde::Serialize;

use super::error::ApiError;
use super::input::{JsonObject, PathParams};
use super::state::AppState;

const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// A parsed rate-limit request: which counter, and what the hit costs.
struct LimitRequest {
    tier: Tier,
    policy: Policy,
    key: RateKey,
    cost: u32,
}

/// The decision as JSON: the fields of [`Decision`], durations in
/// milliseconds.
#[derive(Serialize)]
struct DecisionBody {
    allowed: bool,
    limit: u32,
    remaining: u32,
    retry_after_ms: u64,
    reset_after_ms: u64,
}

/// `POST /v1/limits/{tier}`: counts one hit of `cost` if it fits.
pub async fn check(
    State(state): State<AppState>,
    TierParam(tier): TierParam,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let request = LimitRequest::parse(&state, tier, &body, true)?;

    let result = state
        .stores
        .limiter
        .check(&request.key, &request.policy, request.cost, Now::StoreClock)
        .await;
    let decision = state.observe("check", result)?;

    state.metrics.record_decision(request.tier, decision.allowed);
    Ok(decision_response(&request, decision, true))
}

/// `POST /v1/limits/{tier}/peek`: the decision a check would get, without
/// recording anything. Always 200 when the store replies.
pub async fn peek(
    State(state): State<AppState>,
    TierParam(tier): TierParam,
    body: JsonObject,
) -> Result<Response, ApiError> {
    let request = LimitRequest::parse(&state, tier, &body, true)?;

    let result = state
        .stores
        .limiter
        .peek(&request.key, &request.policy, request.cost, Now::StoreClock)
        .await;
    let decision = state.observe("peek", result)?;

    Ok(decision_response(&request, decision, false))
}

/// `POST /v1/limits/{tier}/reset`: deletes every hit recorded for one
/// subject.
pub async fn reset(
    State(state): State<AppState>,
    TierParam(tier): TierParam,
    body: JsonObject,
) -> Result<StatusCode, ApiError> {
    let request = LimitRequest::parse(&state, tier, &body, false)?;

    let result = state.stores.limiter.reset(&request.key).await;
    state.observe("reset", result)?;

    Ok(StatusCode::NO_CONTENT)
}

impl LimitRequest {
    /// Reads the key (and, when `with_cost`, the cost) from the body.
    fn parse(state: &AppState, tier: Tier, body: &JsonObject, with_cost: bool) -> Result<Self, ApiError> {
        let policy = state.policies.get(tier);
        let subject_field = subject_field(tier);

        let fields: &[&str] = if with_cost {
            &["workspace", subject_field, "cost"]
        } else {
            &["workspace", subject_field]
        };
        body.only(fields)?;

        let workspace = body.text("workspace")?;
        let key = match tier {
            Tier::Login => {
                let ip = body.ip("ip")?;
                RateKey::new(tier, &workspace, &Subject::ip(ip))
            }
            Tier::Mfa => {
                let user = body.text("user")?;
                RateKey::new(tier, &workspace, &Subject::User(&user))
            }
            Tier::PasswordReset => {
                let email = body.text("email")?;
                if !email.contains('@') {
                    return Err(ApiError::invalid_field("email", "email must be an address with an @"));
                }
                RateKey::new(tier, &workspace, &Subject::Email(&email))
            }
        }
        .map_err(|error| ApiError::from_key_error(error, subject_field))?;

        let cost = if with_cost {
            body.count("cost", 1, policy.limit())?
        } else {
            1
        };
        Ok(LimitRequest {
            tier,
            policy,
            key,
            cost,
        })
    }
}

/// The `{tier}` path parameter. An unknown tier is a 404, reported before
/// the body is read.
pub struct TierParam(Tier);

impl<S: Send + Sync> FromRequestParts<S> for TierParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let unknown = || ApiError::not_found("no such rate-limit tier; the tiers are login, mfa and password-reset");
        let PathParams(name) = PathParams::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| unknown())?;
        Tier::ALL
            .into_iter()
            .find(|tier| tier.as_str() == name)
            .map(TierParam)
            .ok_or_else(unknown)
    }
}

/// Returns the body field naming the subject a tier counts against.
fn subject_field(tier: Tier) -> &'static str {
    match tier {
        Tier::Login => "ip",
        Tier::Mfa => "user",
        Tier::PasswordReset => "email",
    }
}

/// Builds the response to a check (`enforce`: 429 when limited) or a peek
/// (always 200), with the rate-limit header fields.
fn decision_response(request: &LimitRequest, decision: Decision, enforce: bool) -> Response {
    let limited = enforce && !decision.allowed;
    let status = if limited {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::OK
    };
    let body = DecisionBody {
        allowed: decision.allowed,
        limit: decision.limit,
        remaining: decision.remaining,
        retry_after_ms: decision.retry_after_ms,
        reset_after_ms: decision.reset_after_ms,
    };

    let mut headers = ratelimit_headers(request.tier, &request.policy, &decision);
    if limited {
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from(ceil_seconds(decision.retry_after_ms)),
        );
    }
    (status, headers, Json(body)).into_response()
}

/// `RateLimit-Policy` and `RateLimit` as draft-ietf-httpapi-ratelimit-headers-11
/// defines them, with the tier name as the policy name:
///
/// - `RateLimit-Policy: "login";q=5;w=60`: the limit and the window in
///   seconds, rounded up.
/// - `RateLimit: "login";r=4;t=60`: `r` is the quota still available. `t`
///   is, when denied, the wait until this cost would be admitted (equal to
///   `Retry-After`); otherwise the wait until the window contains no hit at
///   all. More quota may free up earlier, as the sliding window moves, so
///   `r` and `t` together never promise more than the client may send.
pub fn ratelimit_headers(tier: Tier, policy: &Policy, decision: &Decision) -> HeaderMap {
    let window_s = ceil_seconds(policy.window_ms());
    let wait_ms = if decision.allowed {
        decision.reset_after_ms
    } else {
        decision.retry_after_ms
    };

    let policy_field = format!("\"{tier}\";q={};w={window_s}", policy.limit());
    let limit_field = format!("\"{tier}\";r={};t={}", decision.remaining, ceil_seconds(wait_ms));

    let mut headers = HeaderMap::new();
    // Tier names and integers are always valid header text.
    if let Ok(value) = HeaderValue::from_str(&policy_field) {
        headers.insert(RATELIMIT_POLICY, value);
    }
    if let Ok(value) = HeaderValue::from_str(&limit_field) {
        headers.insert(RATELIMIT, value);
    }
    headers
}

/// Milliseconds as whole seconds, rounded up.
fn ceil_seconds(duration_ms: u64) -> u64 {
    duration_ms.div_ceil(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_of_limited_decision_match_retry_after() {
        let policy = Tier::Login.default_policy();
        let decision = Decision {
            allowed: false,
            limit: 5,
            remaining: 0,
            retry_after_ms: 41_001,
            reset_after_ms: 59_000,
        };
        let headers = ratelimit_headers(Tier::Login, &policy, &decision);
        assert_eq!(headers[RATELIMIT_POLICY], "\"login\";q=5;w=60");
        assert_eq!(headers[RATELIMIT], "\"login\";r=0;t=42");
    }

    #[test]
    fn headers_of_allowed_decision_use_reset_time() {
        let policy = Tier::PasswordReset.default_policy();
        let decision = Decision {
            allowed: true,
            limit: 3,
            remaining: 2,
            retry_after_ms: 0,
            reset_after_ms: 300_000,
        };
        let headers = ratelimit_headers(Tier::PasswordReset, &policy, &decision);
        assert_eq!(headers[RATELIMIT_POLICY], "\"password-reset\";q=3;w=300");
        assert_eq!(headers[RATELIMIT], "\"password-reset\";r=2;t=300");
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(ceil_seconds(0), 0);
        assert_eq!(ceil_seconds(1), 1);
        assert_eq!(ceil_seconds(1000), 1);
        assert_eq!(ceil_seconds(1001), 2);
    }
}
