//! The store traits over kauth-mem.

use async_trait::async_trait;
use kauth_core::session::{NewSession, SessionRecord};
use kauth_core::{Decision, Policy, RateKey};
use kauth_mem::{MemoryRateLimiter, MemorySessionStore, SessionError};

use crate::{Error, IssuedSession, Now, RateLimiter, SessionStore};

const STORE: &str = "memory";

fn resolve(now: Now, clock: &dyn kauth_mem::Clock) -> u64 {
    match now {
        Now::StoreClock => clock.now_ms(),
        Now::At(now_ms) => now_ms,
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    fn backend(&self) -> &'static str {
        STORE
    }

    async fn check(&self, key: &RateKey, policy: &Policy, cost: u32, now: Now) -> Result<Decision, Error> {
        Ok(self.check_at(key, policy, cost, resolve(now, self.clock().as_ref()))?)
    }

    async fn peek(&self, key: &RateKey, policy: &Policy, cost: u32, now: Now) -> Result<Decision, Error> {
        Ok(self.peek_at(key, policy, cost, resolve(now, self.clock().as_ref()))?)
    }

    async fn reset(&self, key: &RateKey) -> Result<(), Error> {
        MemoryRateLimiter::reset(self, key);
        Ok(())
    }
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    fn backend(&self) -> &'static str {
        STORE
    }

    async fn create(&self, new: NewSession, now: Now) -> Result<IssuedSession, Error> {
        let now_ms = resolve(now, self.clock().as_ref());
        match self.create_at(new, now_ms) {
            Ok((token, record)) => Ok(IssuedSession { token, record }),
            Err(SessionError::Input(error)) => Err(Error::InvalidSession(error)),
            Err(SessionError::Full { max_sessions }) => Err(Error::Full {
                store: STORE,
                detail: format!("{max_sessions} active sessions"),
            }),
            Err(error) => Err(Error::Full {
                store: STORE,
                detail: error.to_string(),
            }),
        }
    }

    async fn validate(&self, token: &str, now: Now) -> Result<Option<SessionRecord>, Error> {
        Ok(self.validate_at(token, resolve(now, self.clock().as_ref())))
    }

    async fn revoke(&self, token: &str, now: Now) -> Result<bool, Error> {
        Ok(self.revoke_at(token, resolve(now, self.clock().as_ref())))
    }

    async fn revoke_all(&self, workspace: &str, user: &str, now: Now) -> Result<usize, Error> {
        Ok(self.revoke_all_at(workspace, user, resolve(now, self.clock().as_ref())))
    }

    async fn list(&self, workspace: &str, user: &str, now: Now) -> Result<Vec<SessionRecord>, Error> {
        Ok(self.list_at(workspace, user, resolve(now, self.clock().as_ref())))
    }

    async fn count(&self, workspace: &str, user: &str, now: Now) -> Result<usize, Error> {
        Ok(self.count_at(workspace, user, resolve(now, self.clock().as_ref())))
    }

    async fn rotate(&self, token: &str, now: Now) -> Result<Option<IssuedSession>, Error> {
        let rotated = self.rotate_at(token, resolve(now, self.clock().as_ref()));
        Ok(rotated.map(|(token, record)| IssuedSession { token, record }))
    }
}
