//! The conformance suite against the in-memory stores.

use std::sync::Arc;

use kauth::{RateLimiter, SessionStore};
use kauth_mem::{MemoryRateLimiter, MemorySessionStore};

fn limiter() -> Arc<dyn RateLimiter> {
    Arc::new(MemoryRateLimiter::default())
}

fn sessions() -> Arc<dyn SessionStore> {
    Arc::new(
        MemorySessionStore::builder()
            .policy(kauth_tests::session_policy())
            .build(),
    )
}

kauth_tests::conformance_tests!(limiter: limiter(), sessions: sessions());
