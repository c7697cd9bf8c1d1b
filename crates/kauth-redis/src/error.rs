//! The error every kauth-redis operation returns.

use std::fmt;
use std::time::Duration;

use kauth_core::session::SessionInputError;
use kauth_core::CheckError;
use redis::ServerError;

/// Why a Redis operation or the configuration failed.
///
/// No variant ever contains a password: configuration errors describe the URL
/// without quoting it, and connection errors name only the host and port.
#[derive(Debug)]
#[non_exhaustive]
pub enum RedisError {
    /// Redis could not be reached or did not reply within the timeout: a
    /// refused or dropped connection, a failed TLS handshake or
    /// authentication, a timeout, or a server that is loading, read-only or
    /// busy. The store is unavailable and callers must fail closed.
    Unavailable {
        /// The operation that failed: `connect`, or the operation name given
        /// to [`RedisPool::run_script`](crate::RedisPool::run_script) or
        /// [`RedisPool::query`](crate::RedisPool::query).
        operation: &'static str,
        /// The underlying failure.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Redis ran the script and it raised an error or returned a reply of
    /// the wrong shape: a bug in the script or corrupt data.
    Script {
        /// The script's name.
        name: &'static str,
        /// The error reply from Redis, or what was wrong with the reply.
        message: String,
    },
    /// Redis returned an error reply to a plain command.
    Command {
        /// The operation name given to [`RedisPool::query`](crate::RedisPool::query).
        operation: &'static str,
        /// The error reply from Redis.
        message: String,
    },
    /// The rate-limit check was invalid, for example a cost above the limit.
    /// It was rejected before reaching Redis.
    InvalidCheck(CheckError),
    /// A field of a new session was invalid. It was rejected before reaching
    /// Redis.
    InvalidSession(SessionInputError),
    /// A configuration value was invalid.
    Config {
        /// The environment variable at fault. Builder options report the
        /// variable that sets the same value.
        variable: &'static str,
        /// What is wrong with the value and what is expected.
        reason: String,
    },
}

impl RedisError {
    /// Whether the error means the store is unavailable (fail closed).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, RedisError::Unavailable { .. })
    }

    pub(crate) fn unavailable(
        operation: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> RedisError {
        RedisError::Unavailable {
            operation,
            source: source.into(),
        }
    }

    pub(crate) fn config(variable: &'static str, reason: impl Into<String>) -> RedisError {
        RedisError::Config {
            variable,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RedisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedisError::Unavailable { operation, source } => {
                write!(f, "redis is unavailable: {operation} failed: {source}")
            }
            RedisError::Script { name, message } => write!(f, "redis script {name} failed: {message}"),
            RedisError::Command { operation, message } => write!(f, "redis command {operation} failed: {message}"),
            RedisError::InvalidCheck(error) => write!(f, "invalid rate-limit check: {error}"),
            RedisError::InvalidSession(error) => write!(f, "invalid session: {error}"),
            RedisError::Config { variable, reason } => write!(f, "invalid configuration: {variable} {reason}"),
        }
    }
}

impl std::error::Error for RedisError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RedisError::Unavailable { source, .. } => Some(source.as_ref()),
            RedisError::InvalidCheck(error) => Some(error),
            RedisError::InvalidSession(error) => Some(error),
            RedisError::Script { .. } | RedisError::Command { .. } | RedisError::Config { .. } => None,
        }
    }
}

/// The source of an [`RedisError::Unavailable`] when Redis did not reply
/// within the configured timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut {
    /// The timeout that passed.
    pub after: Duration,
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out after {} ms", self.after.as_millis())
    }
}

impl std::error::Error for TimedOut {}

/// The source of an [`RedisError::Unavailable`] raised while opening a
/// connection: which step failed, against which address, and why.
#[derive(Debug)]
pub struct ConnectError {
    /// The step that failed with its preposition, e.g. `TCP connect to` or
    /// `TLS handshake with`.
    pub step: &'static str,
    /// `host:port` of the server, without credentials.
    pub address: String,
    /// The underlying failure.
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} failed: {}", self.step, self.address, self.source)
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

/// Error codes meaning that the server cannot serve the request now, rather
/// than that the request was wrong: the store is unavailable.
const UNAVAILABLE_CODES: &[&str] = &[
    "LOADING",
    "BUSY",
    "READONLY",
    "MASTERDOWN",
    "CLUSTERDOWN",
    "TRYAGAIN",
    "MOVED",
    "ASK",
    "OOM",
    "NOAUTH",
    "WRONGPASS",
    "NOPERM",
];

/// Maps an error reply to [`RedisError::Unavailable`] for the codes above,
/// and otherwise to what `wrong_request` builds from the reply text, such as
/// `ERR user_script:1: ...`.
pub(crate) fn classify_server_error(
    operation: &'static str,
    error: ServerError,
    wrong_request: impl FnOnce(String) -> RedisError,
) -> RedisError {
    let reply = ErrorReply::from(&error);
    if UNAVAILABLE_CODES.contains(&error.code()) {
        return RedisError::unavailable(operation, reply);
    }
    wrong_request(reply.0)
}

/// An error reply as Redis wrote it, such as `NOAUTH Authentication required.`,
/// or a message about one.
#[derive(Debug)]
pub(crate) struct ErrorReply(String);

impl ErrorReply {
    pub(crate) fn new(text: &str) -> ErrorReply {
        ErrorReply(text.to_owned())
    }
}

impl From<&ServerError> for ErrorReply {
    fn from(error: &ServerError) -> Self {
        match error.details() {
            Some(details) => ErrorReply(format!("{} {details}", error.code())),
            None => ErrorReply(error.code().to_owned()),
        }
    }
}

impl fmt::Display for ErrorReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ErrorReply {}
