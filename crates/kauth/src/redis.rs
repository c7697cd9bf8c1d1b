//! The store traits over kauth-redis.

use async_trait::async_trait;
use kauth_core::session::{NewSession, SessionRecord};
use kauth_core::{Decision, Policy, RateKey};
use kauth_redis::{RedisError, RedisRateLimiter, RedisSessionStore};

use crate::{Error, IssuedSession, Now, RateLimiter, SessionStore};

const STORE: &str = "redis";

fn at(now: Now) -> Option<u64> {
    match now {
        Now::StoreClock => None,
        Now::At(now_ms) => Some(now_ms),
    }
}

/// Every Redis failure keeps its cause; all of them fail closed.
fn convert(operation: &'static str, error: RedisError) -> Error {
    match error {
        RedisError::InvalidCheck(error) => Error::InvalidCheck(error),
        RedisError::InvalidSession(error) => Error::InvalidSession(error),
        RedisError::Config { variable, reason } => Error::Config { variable, reason },
        // The operation is named once, by the outer error.
        RedisError::Unavailable { source, .. } => Error::Unavailable {
            store: STORE,
            operation,
            source,
        },
        error => Error::Failed {
            store: STORE,
            operation,
            source: Box::new(error),
        },
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    fn backend(&self) -> &'static str {
        STORE
    }

    async fn check(&self, key: &RateKey, policy: &Policy, cost: u32, now: Now) -> Result<Decision, Error> {
        RedisRateLimiter::check(self, key, policy, cost, at(now))
            .await
            .map_err(|error| convert("check", error))
    }

    async fn peek(&self, key: &RateKey, policy: &Policy, cost: u32, now: Now) -> Result<Decision, Error> {
        RedisRateLimiter::peek(self, key, policy, cost, at(now))
            .await
            .map_err(|error| convert("peek", error))
    }

    async fn reset(&self, key: &RateKey) -> Result<(), Error> {
        RedisRateLimiter::reset(self, key)
            .await
            .map(|_| ())
            .map_err(|error| convert("reset", error))
    }
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    fn backend(&self) -> &'static str {
        STORE
    }

    async fn create(&self, new: NewSession, now: Now) -> Result<IssuedSession, Error> {
        let (token, record) = RedisSessionStore::create(self, new, at(now))
            .await
            .map_err(|error| convert("create", error))?;
        Ok(IssuedSession { token, record })
    }

    async fn validate(&self, token: &str, now: Now) -> Result<Option<SessionRecord>, Error> {
        RedisSessionStore::validate(self, token, at(now))
            .await
            .map_err(|error| convert("validate", error))
    }

    async fn revoke(&self, token: &str, now: Now) -> Result<bool, Error> {
        RedisSessionStore::revoke(self, token, at(now))
            .await
            .map_err(|error| convert("revoke", error))
    }

    async fn revoke_all(&self, workspace: &str, user: &str, now: Now) -> Result<usize, Error> {
        RedisSessionStore::revoke_all(self, workspace, user, at(now))
            .await
            .map_err(|error| convert("revoke_all", error))
    }

    async fn list(&self, workspace: &str, user: &str, now: Now) -> Result<Vec<SessionRecord>, Error> {
        RedisSessionStore::list(self, workspace, user, at(now))
            .await
            .map_err(|error| convert("list", error))
    }

    async fn count(&self, workspace: &str, user: &str, now: Now) -> Result<usize, Error> {
        RedisSessionStore::count(self, workspace, user, at(now))
            .await
            .map_err(|error| convert("count", error))
    }

    async fn rotate(&self, token: &str, now: Now) -> Result<Option<IssuedSession>, Error> {
        let rotated = RedisSessionStore::rotate(self, token, at(now))
            .await
            .map_err(|error| convert("rotate", error))?;
        Ok(rotated.map(|(token, record)| IssuedSession { token, record }))
    }
}
