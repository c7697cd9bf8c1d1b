//! kauth's stores in process memory: [`MemoryRateLimiter`] and
//! [`MemorySessionStore`], built on the algorithms and rules of `kauth-core`.
//!
//! Both are `Send + Sync`; share them with an `Arc` across threads and tokio
//! tasks. Their operations are synchronous and short (one mutex held for one
//! core call), so calling them from async code is fine.
//!
//! Each reads `now` from an injectable [`Clock`]: the system clock by
//! default, a [`ManualClock`] in tests. Every operation also has an `_at`
//! form taking `now_ms` explicitly, so that a caller can drive a store on its
//! own timeline (a log replay, a differential test).

mod clock;
mod limiter;
mod sessions;
mod stored_key;

pub use clock::{Clock, ManualClock, SystemClock};
pub use limiter::{MemoryRateLimiter, MemoryRateLimiterBuilder, DEFAULT_SHARDS};
pub use sessions::{MemorySessionStore, MemorySessionStoreBuilder, SessionError, DEFAULT_MAX_SESSIONS};
