//! The conformance suite against Redis, each test on its own `redis-server`.

use std::sync::Arc;

use kauth::{RateLimiter, SessionStore};
use kauth_redis::{RedisRateLimiter, RedisSessionStore};
use kauth_tests::redis_server::RedisServer;
use kauth_tests::{connect, OnServer};

async fn limiter() -> Arc<dyn RateLimiter> {
    let server = RedisServer::start();
    let pool = connect(&server, "conformance:").await;
    Arc::new(OnServer {
        store: RedisRateLimiter::new(pool),
        server,
    })
}

async fn sessions() -> Arc<dyn SessionStore> {
    let server = RedisServer::start();
    let pool = connect(&server, "conformance:").await;
    Arc::new(OnServer {
        store: RedisSessionStore::new(pool, kauth_tests::session_policy()),
        server,
    })
}

kauth_tests::conformance_tests!(limiter: limiter().await, sessions: sessions().await);
