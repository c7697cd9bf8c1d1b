//! The JSON error every failed request gets, and how kauth's errors map to
//! it.
//!
//! Every error body is `{"error": CODE, "message": TEXT}`, plus `"field"`
//! when one request field is at fault. Messages name fields but never echo
//! a value the client sent, so no token can reach a response or a log line
//! through them.

use std::borrow::Cow;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kauth::core::session::SessionInputError;
use kauth::core::{CheckError, KeyError};
use serde::Serialize;

/// Seconds a client should wait before retrying while the store is
/// unavailable: short, because the stores reconnect on the next request.
pub const STORE_RETRY_AFTER_S: u64 = 1;

/// The one body of every 401, whatever was wrong with the token, so that a
/// caller cannot tell an unknown token from an expired or revoked one.
const UNAUTHORIZED_MESSAGE: &str = "missing, invalid, expired or revoked session token";

/// A request that failed, as the client will see it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<Cow<'static, str>>,
    retry_after_s: Option<u64>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after_s: None,
        }
    }

    fn with_field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 400: the body is not valid JSON.
    pub fn malformed_json(detail: impl std::fmt::Display) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not valid JSON: {detail}"),
        )
    }

    /// 400: the body could not be read, for a reason other than its size.
    pub fn unreadable_body() -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_body",
            "the request body could not be read",
        )
    }

    /// 422: the body is JSON but not an object.
    pub fn body_not_object() -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "the body must be a JSON object",
        )
    }

    /// 422: a required field is absent or null.
    pub fn missing_field(field: &'static str) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
            format!("{field} is required"),
        )
        .with_field(field)
    }

    /// 422: the body has a field this request does not take. The name is
    /// echoed only when it is short printable ASCII, which rules out any
    /// session token (43 characters) sent as a key.
    pub fn unknown_field(name: &str, expected: &[&str]) -> Self {
        let expected = expected.join(", ");
        let echo = name.len() <= 32 && name.bytes().all(|byte| byte.is_ascii_graphic());
        let error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
            if echo {
                format!("unknown field {name}; expected {expected}")
            } else {
                format!("the body has an unknown field; expected {expected}")
            },
        );
        if echo {
            error.with_field(name.to_owned())
        } else {
            error
        }
    }

    /// 422: a field is present but its value is not acceptable.
    pub fn invalid_field(field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message).with_field(field)
    }

    /// 415: the body is not declared as JSON.
    pub fn unsupported_media_type() -> Self {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be sent with Content-Type: application/json",
        )
    }

    /// 413: the body is longer than the limit.
    pub fn payload_too_large(max_bytes: usize) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is longer than the maximum of {max_bytes} bytes"),
        )
    }

    /// 404: no route, or no such tier.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 405: the route exists but not with this method. The router adds the
    /// `Allow` header.
    pub fn method_not_allowed() -> Self {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this route does not accept the request's method; the Allow header lists the methods it does",
        )
    }

    /// 401: the session token is missing, malformed, unknown, expired or
    /// revoked. Always the same body.
    pub fn unauthorized() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", UNAUTHORIZED_MESSAGE)
    }

    /// 503: the store could not be reached or timed out. A call that timed
    /// out may still have been applied once the store resumed.
    pub fn store_unavailable() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "the session and rate-limit store is unavailable; the request was refused, retry later",
        )
        .retry_after(STORE_RETRY_AFTER_S)
    }

    /// 503: the store returned an error, such as a failed script.
    pub fn store_failed() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_failed",
            "the session and rate-limit store failed; the request was refused, retry later",
        )
        .retry_after(STORE_RETRY_AFTER_S)
    }

    /// 503: the in-memory store reached its configured maximum.
    pub fn store_full() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_full",
            "the store is full; the request was refused, retry later",
        )
        .retry_after(STORE_RETRY_AFTER_S)
    }

    fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_s = Some(seconds);
        self
    }

    /// The HTTP status this error is sent with.
    #[cfg(test)]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Maps a failed rate-limit key to the request field at fault:
    /// `workspace`, or the tier's subject field (`ip`, `user` or `email`).
    pub fn from_key_error(error: KeyError, subject_field: &'static str) -> Self {
        match error {
            KeyError::EmptyWorkspace | KeyError::WorkspaceTooLong { .. } => {
                ApiError::invalid_field("workspace", error.to_string())
            }
            _ => ApiError::invalid_field(subject_field, format!("{subject_field} is invalid: {error}")),
        }
    }

    /// Maps an invalid cost; `LogFull` cannot come from a request, so it is
    /// reported as a store failure.
    pub fn from_check_error(error: CheckError) -> Self {
        match error {
            CheckError::ZeroCost | CheckError::CostExceedsLimit { .. } => {
                ApiError::invalid_field("cost", error.to_string())
            }
            _ => ApiError::store_failed(),
        }
    }

    /// Maps an invalid new session to the field at fault.
    pub fn from_session_input_error(error: SessionInputError) -> Self {
        match error {
            SessionInputError::Workspace(_) => ApiError::invalid_field("workspace", error.to_string()),
            _ => ApiError::invalid_field("user", error.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code,
            message: &self.message,
            field: self.field.as_deref(),
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after_s {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
