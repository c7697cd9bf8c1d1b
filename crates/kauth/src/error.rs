//! The one error type every store returns.

use std::fmt;

use kauth_core::session::SessionInputError;
use kauth_core::CheckError;

/// Why a store operation failed. Nothing was changed by a failed operation,
/// except where a variant's docs state otherwise.
///
/// No variant ever carries a session token or a password.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The check was invalid, for example a cost above the limit.
    InvalidCheck(CheckError),
    /// A field of a new session was invalid.
    InvalidSession(SessionInputError),
    /// The store reached its configured maximum and refused to grow.
    Full {
        /// Which store.
        store: &'static str,
        /// The maximum it holds, in its own unit.
        detail: String,
    },
    /// The store could not be reached or did not answer in time. Callers must
    /// treat this as a rejection: kauth never turns it into "allowed".
    Unavailable {
        /// Which store, e.g. `redis`.
        store: &'static str,
        /// The operation that failed, e.g. `check`.
        operation: &'static str,
        /// The underlying failure.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store answered, but with an error: a failed script or corrupt
    /// data. Like [`Error::Unavailable`], callers must treat it as a
    /// rejection.
    Failed {
        /// Which store.
        store: &'static str,
        /// The operation that failed.
        operation: &'static str,
        /// The underlying failure.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A configuration value was invalid or inconsistent.
    Config {
        /// The environment variable or builder option at fault.
        variable: &'static str,
        /// What is wrong with it and how to fix it.
        reason: String,
    },
}

impl Error {
    /// Whether the error means the store is unavailable (fail closed).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Unavailable { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidCheck(error) => write!(f, "invalid rate-limit check: {error}"),
            Error::InvalidSession(error) => write!(f, "invalid session: {error}"),
            Error::Full { store, detail } => write!(f, "{store} store is full: {detail}"),
            Error::Unavailable {
                store,
                operation,
                source,
            } => write!(f, "{store} store is unavailable: {operation} failed: {source}"),
            Error::Failed {
                store,
                operation,
                source,
            } => write!(f, "{store} store failed: {operation} failed: {source}"),
            Error::Config { variable, reason } => write!(f, "invalid configuration: {variable} {reason}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::InvalidCheck(error) => Some(error),
            Error::InvalidSession(error) => Some(error),
            Error::Unavailable { source, .. } | Error::Failed { source, .. } => Some(source.as_ref()),
            Error::Full { .. } | Error::Config { .. } => None,
        }
    }
}

impl From<CheckError> for Error {
    fn from(error: CheckError) -> Self {
        Error::InvalidCheck(error)
    }
}
