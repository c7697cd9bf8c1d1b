//! Sessions and rate limits for authentication servers, shared by every
//! instance of a service.
//!
//! kauth keeps two pieces of state: **rate-limit counters** for login
//! attempts, MFA challenges and password resets, and **user sessions**. Both
//! sit behind the async traits [`RateLimiter`] and [`SessionStore`]. By
//! default they live in process memory (`kauth-mem`); with
//! `KAUTH_REDIS_URL` set they live in Redis (`kauth-redis`), shared by every
//! instance and enforced atomically by generated Lua scripts.
//! [`Stores::from_env`] picks the backend at start-up.
//!
//! The algorithms and rules themselves live in `kauth-core`, re-exported here
//! as [`core`].
//!
//! # Configuration
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `KAUTH_REDIS_URL` | unset: in memory | `redis://[[user]:password@]host[:port][/db]`, `rediss://` for TLS |
//! | `KAUTH_REDIS_POOL_SIZE` | 8 | connections kept to Redis, 1 to 1024 |
//! | `KAUTH_REDIS_TIMEOUT_MS` | 3000 | connection and per-command timeout, 1 to 600000 |
//! | `KAUTH_REDIS_KEY_PREFIX` | `kotauth:` | prefix of every key written |
//! | `KAUTH_REDIS_CA_FILE` | unset | PEM file of CA certificates trusted for `rediss://` |
//!
//! The variables are read once, by [`Stores::from_env`]. An invalid value
//! stops start-up with [`Error::Config`] naming the variable; the password
//! of the URL never appears in an error, a log line or a `Debug` string.
//!
//! # Failing closed
//!
//! Every operation returns `Result`; an error is never a decision. Callers
//! must answer an [`Error`] from a check with a rejection, and one from a
//! validation with "not authenticated".

mod config;
mod error;
mod memory;
mod redis;
mod store;
mod stores;

pub use config::{Backend, Config, REDIS_URL_VAR};
pub use error::Error;
pub use kauth_core as core;
pub use store::{IssuedSession, Now, RateLimiter, SessionStore};
pub use stores::Stores;
