//! kauth's stores in Redis: the connection pool, the script runner and the
//! configuration they share.
//!
//! Start with [`RedisConfig::from_env`], then [`RedisPool::connect`], and run
//! [`Script`]s with [`RedisPool::run_script`].
//!
//! # Configuration
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `KAUTH_REDIS_URL` | unset: Redis not configured | `redis://[[user]:password@]host[:port][/db]`, `rediss://` for TLS |
//! | `KAUTH_REDIS_POOL_SIZE` | 8 | connections kept to Redis, 1 to 1024 |
//! | `KAUTH_REDIS_TIMEOUT_MS` | 3000 | connection and per-call timeout in milliseconds, 1 to 600000 |
//! | `KAUTH_REDIS_KEY_PREFIX` | `kotauth:` | prefix of every key: 1 to 64 printable ASCII characters without `{` or `}` |
//! | `KAUTH_REDIS_CA_FILE` | unset: web PKI roots | PEM file of CA certificates trusted for `rediss://` |
//!
//! An invalid value is a [`RedisError::Config`] naming the variable. No
//! error, log line or `Debug` output contains the password of the URL.
//!
//! # Failing closed
//!
//! Every call finishes within the timeout. When Redis cannot reply in time
//! the call returns [`RedisError::Unavailable`], which callers must treat as a
//! rejection, never as "allowed" or "valid". See [`RedisPool`] for when a
//! connection is reopened and when a request is retried.
//!
//! # Logging
//!
//! Through `tracing`: info when a connection is reopened or a request is
//! retried, warn when a call fails closed (at most one warning per second per
//! pool, with the count of those left out).

mod config;
mod connection;
mod error;
mod limiter;
mod pool;
mod reply;
mod script;
mod scripts;
mod sessions;
mod slot;
mod stream;
mod tls;
mod url;
mod warn;

pub use config::{
    RedisConfig, RedisConfigBuilder, CA_FILE_VAR, DEFAULT_KEY_PREFIX, DEFAULT_POOL_SIZE, DEFAULT_TIMEOUT_MS,
    KEY_PREFIX_VAR, MAX_KEY_PREFIX_LEN, POOL_SIZE_RANGE, POOL_SIZE_VAR, TIMEOUT_MS_RANGE, TIMEOUT_MS_VAR,
};
pub use error::{ConnectError, RedisError, TimedOut};
pub use limiter::RedisRateLimiter;
pub use pool::RedisPool;
pub use redis::Value;
pub use script::Script;
pub use sessions::RedisSessionStore;
pub use url::{RedisUrl, DEFAULT_PORT, URL_VAR};
