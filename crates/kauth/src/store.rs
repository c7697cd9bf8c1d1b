//! The store traits every backend implements.

use std::fmt;

use async_trait::async_trait;
use kauth_core::session::{NewSession, SessionRecord, SessionToken};
use kauth_core::{Decision, Policy, RateKey};

use crate::Error;

/// The time an operation happens at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Now {
    /// The store's own clock: the system clock in memory, Redis `TIME` in
    /// Redis, so that instances with skewed clocks share one timeline.
    #[default]
    StoreClock,
    /// An explicit instant in unix-epoch milliseconds, for replays and tests
    /// that drive several stores on one clock.
    At(u64),
}

/// A session just created or rotated: its token, shown to the client once,
/// and its record.
pub struct IssuedSession {
    /// The bearer token. Not stored anywhere; hand it to the client.
    pub token: SessionToken,
    /// The stored record.
    pub record: SessionRecord,
}

impl fmt::Debug for IssuedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedSession")
            .field("token", &self.token)
            .field("record", &self.record)
            .finish()
    }
}

/// Rate-limit counters.
///
/// Each operation is atomic for its key: concurrent checks, from any number
/// of tasks or instances sharing the store, admit exactly what one sequential
/// run would. On any failure to reach the store, operations return
/// [`Error::Unavailable`] and never a decision.
#[async_trait]
pub trait RateLimiter: Send + Sync + fmt::Debug {
    /// Short backend name: `memory` or `redis`.
    fn backend(&self) -> &'static str;

    /// Checks a hit of `cost` against `policy` and records it if admitted.
    async fn check(&self, key: &RateKey, policy: &Policy, cost: u32, now: Now) -> Result<Decision, Error>;

    /// Returns the decision `check` would return, recording nothing.
    async fn peek(&self, key: &RateKey, policy: &Policy, cost: u32, now: Now) -> Result<Decision, Error>;

    /// Forgets every hit of `key`.
    async fn reset(&self, key: &RateKey) -> Result<(), Error>;
}

/// User sessions.
///
/// Stores keep only token hashes. Each operation is atomic: no interleaving
/// of a validation or touch with a revocation brings a revoked session back.
/// An unknown, malformed, expired and revoked token all look the same: not
/// found.
#[async_trait]
pub trait SessionStore: Send + Sync + fmt::Debug {
    /// Short backend name: `memory` or `redis`.
    fn backend(&self) -> &'static str;

    /// Creates a session, revoking the user's oldest ones beyond the cap.
    async fn create(&self, new: NewSession, now: Now) -> Result<IssuedSession, Error>;

    /// Returns the record of an active session, touching `last_seen`.
    async fn validate(&self, token: &str, now: Now) -> Result<Option<SessionRecord>, Error>;

    /// Revokes one session; returns whether an active one existed.
    async fn revoke(&self, token: &str, now: Now) -> Result<bool, Error>;

    /// Revokes every session of a user; returns how many were active.
    async fn revoke_all(&self, workspace: &str, user: &str, now: Now) -> Result<usize, Error>;

    /// Lists a user's active sessions, oldest first.
    async fn list(&self, workspace: &str, user: &str, now: Now) -> Result<Vec<SessionRecord>, Error>;

    /// Counts a user's active sessions.
    async fn count(&self, workspace: &str, user: &str, now: Now) -> Result<usize, Error>;

    /// Replaces a session's token; the old one stops working at once.
    /// Returns `None` when the token names no active session.
    async fn rotate(&self, token: &str, now: Now) -> Result<Option<IssuedSession>, Error>;
}
