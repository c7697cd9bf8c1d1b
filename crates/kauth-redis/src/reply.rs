//! Decoding of script replies.

use std::fmt;

use redis::Value;

/// A reply that does not have the shape a script promises.
#[derive(Debug)]
pub struct ReplyError(pub String);

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unexpected script reply: {}", self.0)
    }
}

impl std::error::Error for ReplyError {}

/// An array of exactly `len` integers, or a single integer when `len` is 1.
pub fn integers(reply: &Value, len: usize) -> Result<Vec<i64>, ReplyError> {
    match reply {
        Value::Int(value) if len == 1 => Ok(vec![*value]),
        Value::Array(items) if items.len() == len => items
            .iter()
            .map(|item| match item {
                Value::Int(value) => Ok(*value),
                other => Err(ReplyError(format!("expected an integer, got {}", kind(other)))),
            })
            .collect(),
        other => Err(ReplyError(format!("expected {len} integers, got {}", kind(other)))),
    }
}

/// The bulk strings of an array reply, `None` for nil entries.
pub fn strings(reply: &Value) -> Result<Vec<Option<String>>, ReplyError> {
    let Value::Array(items) = reply else {
        return Err(ReplyError(format!("expected an array, got {}", kind(reply))));
    };
    items
        .iter()
        .map(|item| match item {
            Value::Nil => Ok(None),
            Value::BulkString(bytes) => String::from_utf8(bytes.clone())
                .map(Some)
                .map_err(|_| ReplyError("a field is not UTF-8".to_owned())),
            Value::SimpleString(text) => Ok(Some(text.clone())),
            Value::Int(value) => Ok(Some(value.to_string())),
            other => Err(ReplyError(format!("expected a string, got {}", kind(other)))),
        })
        .collect()
}

/// A short name for a reply's type, for error messages that must not echo
/// the reply itself.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Nil => "nil",
        Value::Int(_) => "an integer",
        Value::BulkString(_) => "a bulk string",
        Value::Array(_) => "an array",
        Value::SimpleString(_) => "a simple string",
        Value::Okay => "OK",
        _ => "another type",
    }
}
