//! Sessions and rate limits for authentication servers, shared by every
//! instance of a service.
//!
//! kauth keeps two pieces of state: **rate-limit counters** for login
//! attempts, MFA challenges and password resets, and **user sessions**. Both
//! sit behind the async traits [`RateLimiter`] and [`SessionStore`]. By
//! default they live in process memory (`kauth-mem`); [`Stores::from_env`]
//! picks the backend from the environment at start-up.
//!
//! The algorithms and rules themselves live in `kauth-core`, re-exported here
//! as [`core`].
//!
//! # Configuration
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `KAUTH_REDIS_URL` | unset: in memory | Redis URL; see below |
//!
//! This build has no Redis backend: a set, non-blank `KAUTH_REDIS_URL` stops
//! start-up with an error instead of silently keeping state per instance.
//!
//! # Failing closed
//!
//! Every operation returns `Result`; an error is never a decision. Callers
//! must answer an [`Error`] from a check with a rejection, and one from a
//! validation with "not authenticated".

mod config;
mod error;
mod memory;
mod store;
mod stores;

pub use config::{Backend, Config, REDIS_URL_VAR};
pub use error::Error;
pub use kauth_core as core;
pub use store::{IssuedSession, Now, RateLimiter, SessionStore};
pub use stores::Stores;
