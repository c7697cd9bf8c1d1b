//! Request bodies: a JSON object read under a size limit, and typed access
//! to its fields that names the field at fault.
//!
//! Bodies are parsed into a `serde_json::Value` first and checked field by
//! field, rather than deserialised into structs, so that every error names
//! the field and none echoes the value sent.

use std::net::IpAddr;

use axum::body::Bytes;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::ApiError;

/// Largest request body accepted, in bytes. Every bounded field fits with
/// room to spare even with each byte written as a six-byte `\uXXXX` escape
/// (a 320-byte email then takes 1920 bytes), and user agents are cut to
/// 512 bytes when stored anyway.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A request body that is a JSON object, sent as `application/json`.
#[derive(Debug)]
pub struct JsonObject {
    fields: Map<String, Value>,
}

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::unsupported_media_type());
        }

        let bytes = Bytes::from_request(request, state).await.map_err(body_error)?;

        let value: Value = serde_json::from_slice(&bytes).map_err(ApiError::malformed_json)?;
        match value {
            Value::Object(fields) => Ok(JsonObject { fields }),
            _ => Err(ApiError::body_not_object()),
        }
    }
}

/// Whether a Content-Type names JSON: `application/json`, in any case, with
/// or without parameters such as `charset=utf-8`.
fn is_json(content_type: Option<&header::HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large(MAX_BODY_BYTES)
    } else {
        ApiError::unreadable_body()
    }
}

impl JsonObject {
    /// Rejects the first field (in name order) that is not in `expected`.
    pub fn only(&self, expected: &[&str]) -> Result<(), ApiError> {
        match self.fields.keys().find(|name| !expected.contains(&name.as_str())) {
            Some(name) => Err(ApiError::unknown_field(name, expected)),
            None => Ok(()),
        }
    }

    /// A required, non-empty string without control characters.
    pub fn text(&self, field: &'static str) -> Result<String, ApiError> {
        self.optional_text(field)?.ok_or_else(|| ApiError::missing_field(field))
    }

    /// Like [`JsonObject::text`], but absent or null gives `None`.
    pub fn optional_text(&self, field: &'static str) -> Result<Option<String>, ApiError> {
        match self.fields.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => check_text(field, text).map(|()| Some(text.clone())),
            Some(_) => Err(ApiError::invalid_field(field, format!("{field} must be a string"))),
        }
    }

    /// A string that may be empty, without control characters other than
    /// tab; absent or null gives an empty string.
    pub fn free_text(&self, field: &'static str) -> Result<String, ApiError> {
        match self.fields.get(field) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(text)) if text.chars().any(|c| c.is_control() && c != '\t') => Err(
                ApiError::invalid_field(field, format!("{field} must not contain control characters")),
            ),
            Some(Value::String(text)) => Ok(text.clone()),
            Some(_) => Err(ApiError::invalid_field(field, format!("{field} must be a string"))),
        }
    }

    /// A required IP address, IPv4 or IPv6, written without brackets or port.
    pub fn ip(&self, field: &'static str) -> Result<IpAddr, ApiError> {
        self.optional_ip(field)?.ok_or_else(|| ApiError::missing_field(field))
    }

    /// Like [`JsonObject::ip`], but absent or null gives `None`.
    pub fn optional_ip(&self, field: &'static str) -> Result<Option<IpAddr>, ApiError> {
        let Some(text) = self.optional_text(field)? else {
            return Ok(None);
        };
        text.parse::<IpAddr>()
            .map(Some)
            .map_err(|_| ApiError::invalid_field(field, format!("{field} must be an IPv4 or IPv6 address")))
    }

    /// An optional whole number from 1 to `max`; absent or null gives
    /// `default`.
    pub fn count(&self, field: &'static str, default: u32, max: u32) -> Result<u32, ApiError> {
        let out_of_range = || ApiError::invalid_field(field, format!("{field} must be a whole number from 1 to {max}"));
        match self.fields.get(field) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Number(number)) => {
                let value = number.as_u64().ok_or_else(out_of_range)?;
                u32::try_from(value)
                    .ok()
                    .filter(|value| (1..=max).contains(value))
                    .ok_or_else(out_of_range)
            }
            Some(_) => Err(out_of_range()),
        }
    }
}

/// Path parameters, like axum's `Path`, but failing with a JSON error that
/// names the parameter.
#[derive(Debug)]
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(params)) => Ok(PathParams(params)),
            Err(PathRejection::FailedToDeserializePathParams(error)) => match error.kind() {
                ErrorKind::InvalidUtf8InPathParam { key } => Err(ApiError::invalid_field(
                    key.clone(),
                    format!("{key} is not valid UTF-8 once percent-decoded"),
                )),
                _ => Err(ApiError::not_found("no such route")),
            },
            Err(_) => Err(ApiError::not_found("no such route")),
        }
    }
}

/// Checks that `text` is non-empty and free of control characters, which
/// no identifier needs and which would corrupt logs and terminals.
pub fn check_text(field: &'static str, text: &str) -> Result<(), ApiError> {
    if text.is_empty() {
        return Err(ApiError::invalid_field(field, format!("{field} must not be empty")));
    }
    if text.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(json: &str) -> JsonObject {
        match serde_json::from_str(json).unwrap() {
            Value::Object(fields) => JsonObject { fields },
            _ => panic!("not an object: {json}"),
        }
    }

    #[test]
    fn content_type_accepts_json_with_parameters() {
        let value = |text: &'static str| header::HeaderValue::from_static(text);
        assert!(is_json(Some(&value("application/json"))));
        assert!(is_json(Some(&value("Application/JSON; charset=utf-8"))));
        assert!(!is_json(Some(&value("text/plain"))));
        assert!(!is_json(Some(&value("application/jsonx"))));
        assert!(!is_json(None));
    }

    #[test]
    fn count_rejects_out_of_range_values() {
        for json in [
            r#"{"cost": 0}"#,
            r#"{"cost": 6}"#,
            r#"{"cost": -1}"#,
            r#"{"cost": 1.5}"#,
            r#"{"cost": 1e300}"#,
            r#"{"cost": 18446744073709551616}"#,
            r#"{"cost": "1"}"#,
        ] {
            let error = object(json).count("cost", 1, 5).unwrap_err();
            assert_eq!(error.status(), 422, "{json}");
        }
        assert_eq!(object(r#"{"cost": 5}"#).count("cost", 1, 5).unwrap(), 5);
        assert_eq!(object(r#"{"cost": null}"#).count("cost", 1, 5).unwrap(), 1);
        assert_eq!(object("{}").count("cost", 1, 5).unwrap(), 1);
    }

    #[test]
    fn text_rejects_empty_and_control_characters() {
        assert!(object(r#"{"user": ""}"#).text("user").is_err());
        assert!(object(r#"{"user": "a\u0000b"}"#).text("user").is_err());
        assert!(object(r#"{"user": "a\u009bb"}"#).text("user").is_err());
        assert_eq!(object(r#"{"user": "ユーザー"}"#).text("user").unwrap(), "ユーザー");
    }

    #[test]
    fn unknown_long_field_names_are_not_echoed() {
        let token_like = "A".repeat(43);
        let body = object(&format!(r#"{{"{token_like}": 1}}"#));
        let error = body.only(&["workspace"]).unwrap_err();
        assert!(!format!("{error:?}").contains(&token_like));
    }
}
