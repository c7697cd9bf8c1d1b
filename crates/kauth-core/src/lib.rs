//! The algorithms and rules of kauth, written once for every backend.
//!
//! `kauth-core` is `#![no_std]`. It owns:
//!
//! - [`Policy`]: `limit` hits per `window_ms`, validated at construction;
//! - the exact [`SlidingLog`] and the O(1) [`SlidingCounter`], both pure:
//!   they take `now` in unix-epoch milliseconds and state, and return a
//!   [`Decision`];
//! - [`Tier`]s with their default policies, canonical [`Subject`]s and the
//!   injective [`RateKey`] encoding;
//! - [`session`] rules: tokens, hashes, the active rule, the throttled touch
//!   and the per-user cap;
//! - two keyed tables: [`EdgeLimiter`], fixed-capacity and allocation-free,
//!   and, with `alloc`, [`LimiterTable`] on the heap.
//!
//! Nothing here reads a clock or logs: callers pass `now` and report errors.
//!
//! # Features
//!
//! - `alloc`: [`LimiterTable`], `VecDeque` log storage and session records.
//! - `std` (default): implies `alloc`.
//! - `embassy-time`: conversions from `embassy_time` types in [`embassy`].
//!
//! # Where to start reading
//!
//! [`policy`](Policy) and [`Decision`], then `sliding_log.rs` and
//! `sliding_counter.rs`; both files are short and self-contained.

#![no_std]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(test)]
extern crate std;

mod decision;
mod edge;
mod key;
pub mod lang;
mod native;
mod policy;
pub mod session;
mod sliding_counter;
mod sliding_log;
mod state;
#[cfg(feature = "alloc")]
mod table;
mod tier;

#[cfg(feature = "embassy-time")]
pub mod embassy;

pub use decision::Decision;
pub use edge::{EdgeError, EdgeLimiter};
pub use key::{
    canonical_ip, check_workspace, write_escaped, KeyError, RateKey, Subject, DEFAULT_IPV6_PREFIX_LEN, MAX_KEY_LEN,
    MAX_SUBJECT_LEN, MAX_WORKSPACE_LEN,
};
pub use native::{Native, MAX_VARS};
pub use policy::{Algorithm, CheckError, Policy, PolicyError, MAX_LIMIT, MAX_WINDOW_MS};
pub use sliding_counter::{check_counter, peek_counter, CounterInput, CounterOutcome, CounterState, SlidingCounter};
pub use sliding_log::{check_log, peek_log, LogEntry, LogInput, LogOutcome, LogStorage, SlidingLog};
pub use state::{LimiterState, STATE_GRACE_MS};
#[cfg(feature = "alloc")]
pub use table::{LimiterTable, DEFAULT_MAX_KEYS};
pub use tier::{Tier, TierPolicies};
