//! The in-memory rate limiter: the core's [`LimiterTable`] split into shards,
//! each behind its own mutex.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};

use kauth_core::{CheckError, Decision, LimiterTable, Policy, RateKey, DEFAULT_MAX_KEYS};

use crate::stored_key::StoredKey;
use crate::{Clock, SystemClock};

/// Default number of shards. More shards mean less lock contention between
/// threads and smaller sweeps.
pub const DEFAULT_SHARDS: usize = 16;

/// Checks between two sweeps of a shard, at least; a shard is swept after
/// as many checks as it contains keys, so sweeping stays amortised O(1).
const MIN_CHECKS_BETWEEN_SWEEPS: u64 = 4_096;

struct Shard {
    table: LimiterTable<StoredKey>,
    checks_since_sweep: u64,
}

/// Rate-limit state in process memory, shareable across threads and tasks.
///
/// Every operation locks one shard for the duration of the core algorithm,
/// so concurrent checks of one key are serialised and exact.
///
/// # Memory
///
/// At most `max_keys` keys are tracked (1,000,000 by default), split evenly
/// across shards. A state is swept, as the shards are used, once its window
/// has been empty for [`STATE_GRACE_MS`](kauth_core::STATE_GRACE_MS). When a
/// shard is full, the core's [`LimiterTable`] policy applies: expired states
/// go first, then the states holding the least cost; subjects at their limit
/// are kept longest.
///
/// ```
/// use kauth_core::{Algorithm, Policy, RateKey, Subject, Tier};
/// use kauth_mem::{ManualClock, MemoryRateLimiter};
///
/// let clock = ManualClock::new(1_700_000_000_000);
/// let limiter = MemoryRateLimiter::builder().clock(clock.clone()).build();
/// let key = RateKey::new(Tier::Login, "acme", &Subject::client("203.0.113.9")).unwrap();
/// let policy = Tier::Login.default_policy();
/// for _ in 0..5 {
///     assert!(limiter.check(&key, &policy, 1).unwrap().allowed);
/// }
/// let denied = limiter.check(&key, &policy, 1).unwrap();
/// assert_eq!((denied.allowed, denied.retry_after_ms), (false, 60_000));
/// clock.advance_ms(60_000);
/// assert!(limiter.check(&key, &policy, 1).unwrap().allowed);
/// ```
pub struct MemoryRateLimiter {
    shards: Box<[Mutex<Shard>]>,
    hasher: hashbrown::DefaultHashBuilder,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for MemoryRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryRateLimiter")
            .field("shards", &self.shards.len())
            .field("keys", &self.len())
            .field("clock", &self.clock)
            .finish()
    }
}

impl Default for MemoryRateLimiter {
    fn default() -> Self {
        MemoryRateLimiter::builder().build()
    }
}

impl MemoryRateLimiter {
    /// A builder with the defaults: system clock, [`DEFAULT_MAX_KEYS`] keys,
    /// [`DEFAULT_SHARDS`] shards.
    pub fn builder() -> MemoryRateLimiterBuilder {
        MemoryRateLimiterBuilder {
            clock: Arc::new(SystemClock),
            max_keys: DEFAULT_MAX_KEYS,
            shards: DEFAULT_SHARDS,
        }
    }

    /// Checks a hit of `cost` at the clock's time; see [`MemoryRateLimiter::check_at`].
    pub fn check(&self, key: &RateKey, policy: &Policy, cost: u32) -> Result<Decision, CheckError> {
        self.check_at(key, policy, cost, self.clock.now_ms())
    }

    /// Checks a hit of `cost` for `key` at `now_ms` and records it if admitted.
    /// Atomic per key. Fails only for an invalid cost, changing nothing.
    pub fn check_at(&self, key: &RateKey, policy: &Policy, cost: u32, now_ms: u64) -> Result<Decision, CheckError> {
        // One hash picks the shard and finds the key in it.
        let key = key.as_str().as_bytes();
        let hash = self.hasher.hash_one(key);
        let mut shard = lock(&self.shards[self.shard_index(hash)]);
        shard.checks_since_sweep += 1;
        if shard.checks_since_sweep >= MIN_CHECKS_BETWEEN_SWEEPS.max(shard.table.len() as u64) {
            shard.table.sweep(now_ms);
            shard.checks_since_sweep = 0;
        }
        shard.table.check_hashed(hash, key, policy, now_ms, cost)
    }

    /// The decision a check would return at the clock's time, recording nothing.
    pub fn peek(&self, key: &RateKey, policy: &Policy, cost: u32) -> Result<Decision, CheckError> {
        self.peek_at(key, policy, cost, self.clock.now_ms())
    }

    /// The decision a check would return at `now_ms`, recording nothing.
    pub fn peek_at(&self, key: &RateKey, policy: &Policy, cost: u32, now_ms: u64) -> Result<Decision, CheckError> {
        self.shard(key)
            .table
            .peek(key.as_str().as_bytes(), policy, now_ms, cost)
    }

    /// Forgets every hit of `key`. Returns whether it had state.
    pub fn reset(&self, key: &RateKey) -> bool {
        self.shard(key).table.reset(key.as_str().as_bytes())
    }

    /// Drops all expired state now, shard by shard. Returns how many keys went.
    pub fn sweep(&self) -> usize {
        let now_ms = self.clock.now_ms();
        self.shards.iter().map(|shard| lock(shard).table.sweep(now_ms)).sum()
    }

    /// Number of keys with state, expired or not.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).table.len()).sum()
    }

    /// Whether no key has state.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys evicted because their shard was full, since creation.
    pub fn evictions(&self) -> u64 {
        self.shards.iter().map(|shard| lock(shard).table.evictions()).sum()
    }

    /// The clock this limiter reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    fn shard(&self, key: &RateKey) -> MutexGuard<'_, Shard> {
        let index = self.shard_index(self.hasher.hash_one(key.as_str().as_bytes()));
        lock(&self.shards[index])
    }

    /// Returns the shard of a key hash: bits 20 to 51 scaled to the shard
    /// count by a multiply and a shift, not a division. hashbrown finds
    /// buckets with the low bits and tags them with the top 7, so these bits
    /// leave both spread evenly within each shard (below 2^20 buckets per
    /// shard).
    fn shard_index(&self, hash: u64) -> usize {
        let bits = (hash >> 20) & 0xFFFF_FFFF;
        ((bits * self.shards.len() as u64) >> 32) as usize
    }
}

/// Locks a mutex, recovering it if a thread panicked while holding it: every
/// operation leaves a shard consistent before it can panic.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Options of a [`MemoryRateLimiter`].
#[derive(Debug)]
pub struct MemoryRateLimiterBuilder {
    clock: Arc<dyn Clock>,
    max_keys: usize,
    shards: usize,
}

impl MemoryRateLimiterBuilder {
    /// The clock to read `now` from.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The maximum number of keys tracked, at least one per shard.
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self
    }

    /// The number of shards, at least 1.
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = shards.max(1);
        self
    }

    /// Builds the limiter.
    pub fn build(self) -> MemoryRateLimiter {
        let per_shard = self.max_keys.div_ceil(self.shards).max(1);
        // Every shard hashes with the limiter's hasher, so that a key is
        // hashed once per operation.
        let hasher = hashbrown::DefaultHashBuilder::default();
        let shards = (0..self.shards)
            .map(|_| {
                Mutex::new(Shard {
                    table: LimiterTable::with_hasher(per_shard, hasher),
                    checks_since_sweep: 0,
                })
            })
            .collect();
        MemoryRateLimiter {
            shards,
            hasher,
            clock: self.clock,
        }
    }
}
