//! The exact sliding log.
//!
//! The window ending at `now` is `(now - window_ms, now]`. A hit of `cost` is
//! admitted iff the costs recorded inside that window plus `cost` stay within
//! the limit. An admitted hit is recorded at `now`; a rejected hit records
//! nothing and leaves every expiry where it was.
//!
//! Entries are kept oldest first, and hits at the same millisecond share one
//! entry, so a log never holds more than `limit` entries.
//!
//! # Clocks that go backwards
//!
//! A log keeps the latest `now` any check has seen and never runs behind it:
//! a check at an earlier `now` is evaluated, and recorded, at that latest
//! time. Otherwise entries dropped by a check at a later time would be missing
//! when the clock steps back, and the window would reopen. Entries therefore
//! expire later than they would have, never earlier, so a backwards clock can
//! only make the log stricter. Durations in the returned [`Decision`] are
//! still measured from the caller's `now`, which keeps `retry_after_ms` exact
//! for the caller.

use crate::{CheckError, Decision, Policy};

/// One recorded hit (or several admitted in the same millisecond).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// When the hits were admitted, in unix-epoch milliseconds.
    pub at_ms: u64,
    /// Total cost admitted at `at_ms`.
    pub cost: u32,
}

/// Ordered storage of a log's entries, oldest first.
///
/// Implemented for [`heapless::Deque`] (fixed capacity, no allocation) and,
/// with the `alloc` feature, for `VecDeque`.
pub trait LogStorage {
    /// Number of entries.
    fn len(&self) -> usize;
    /// Whether there are no entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The entry at `index`, counting from the oldest.
    fn get(&self, index: usize) -> Option<LogEntry>;
    /// Removes the oldest entry.
    fn pop_oldest(&mut self) -> Option<LogEntry>;
    /// Appends a newest entry, handing it back when the storage is full.
    fn push_newest(&mut self, entry: LogEntry) -> Result<(), LogEntry>;
    /// Mutable access to the newest entry.
    fn newest_mut(&mut self) -> Option<&mut LogEntry>;
    /// Removes every entry.
    fn clear(&mut self);
}

impl<const N: usize> LogStorage for heapless::Deque<LogEntry, N> {
    fn len(&self) -> usize {
        heapless::Deque::len(self)
    }
    fn get(&self, index: usize) -> Option<LogEntry> {
        self.iter().nth(index).copied()
    }
    fn pop_oldest(&mut self) -> Option<LogEntry> {
        self.pop_front()
    }
    fn push_newest(&mut self, entry: LogEntry) -> Result<(), LogEntry> {
        self.push_back(entry)
    }
    fn newest_mut(&mut self) -> Option<&mut LogEntry> {
        self.back_mut()
    }
    fn clear(&mut self) {
        heapless::Deque::clear(self)
    }
}

#[cfg(feature = "alloc")]
impl LogStorage for alloc::collections::VecDeque<LogEntry> {
    fn len(&self) -> usize {
        alloc::collections::VecDeque::len(self)
    }
    fn get(&self, index: usize) -> Option<LogEntry> {
        alloc::collections::VecDeque::get(self, index).copied()
    }
    fn pop_oldest(&mut self) -> Option<LogEntry> {
        self.pop_front()
    }
    fn push_newest(&mut self, entry: LogEntry) -> Result<(), LogEntry> {
        self.push_back(entry);
        Ok(())
    }
    fn newest_mut(&mut self) -> Option<&mut LogEntry> {
        self.back_mut()
    }
    fn clear(&mut self) {
        alloc::collections::VecDeque::clear(self)
    }
}

/// A sliding log over some [`LogStorage`], with its running total.
///
/// ```
/// use kauth_core::{Algorithm, Policy, SlidingLog};
///
/// let policy = Policy::new(2, 1_000, Algorithm::SlidingLog).unwrap();
/// let mut log = SlidingLog::new(heapless::Deque::<_, 2>::new());
/// assert!(log.check(&policy, 10_000, 1).unwrap().allowed);
/// assert!(log.check(&policy, 10_400, 1).unwrap().allowed);
///
/// let denied = log.check(&policy, 10_500, 1).unwrap();
/// assert!(!denied.allowed);
/// // The hit at 10_000 leaves the window (9_500, 10_500] ... at 11_000.
/// assert_eq!(denied.retry_after_ms, 500);
/// assert_eq!(denied.reset_after_ms, 900);
/// ```
#[derive(Clone, Debug, Default)]
pub struct SlidingLog<S> {
    entries: S,
    total: u32,
    clock_ms: u64,
}

impl<S: LogStorage> SlidingLog<S> {
    /// Wraps storage, which must be empty.
    pub fn new(mut entries: S) -> Self {
        entries.clear();
        SlidingLog {
            entries,
            total: 0,
            clock_ms: 0,
        }
    }

    /// Rebuilds a log from entries read back from a store, oldest first,
    /// and the latest `now` a check has seen (see the module docs).
    pub fn from_parts(entries: S, clock_ms: u64) -> Self {
        let mut total: u32 = 0;
        for index in 0..entries.len() {
            if let Some(entry) = entries.get(index) {
                total = total.saturating_add(entry.cost);
            }
        }
        SlidingLog {
            entries,
            total,
            clock_ms,
        }
    }

    /// The latest `now` a check has seen, in unix-epoch milliseconds.
    pub fn clock_ms(&self) -> u64 {
        self.clock_ms
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &S {
        &self.entries
    }

    /// Sum of the costs currently held, including entries that a later check
    /// will find expired.
    pub fn total(&self) -> u32 {
        self.total
    }

    /// Time of the newest entry, if any.
    pub fn newest_ms(&self) -> Option<u64> {
        self.entries
            .len()
            .checked_sub(1)
            .and_then(|last| self.entries.get(last))
            .map(|e| e.at_ms)
    }

    /// Checks a hit of `cost` at `now_ms` and records it if admitted.
    ///
    /// Complexity: amortised O(1) when admitted (expired entries are dropped
    /// once each), O(entries) when rejected, to compute `retry_after_ms`.
    pub fn check(&mut self, policy: &Policy, now_ms: u64, cost: u32) -> Result<Decision, CheckError> {
        policy.validate_cost(cost)?;
        let limit = policy.limit();
        let window_ms = policy.window_ms();

        // Never evaluate before a time already seen: see the module docs.
        self.clock_ms = self.clock_ms.max(now_ms);
        self.prune(window_ms, self.clock_ms);

        if self.total + cost > limit {
            return Ok(self.rejection(policy, now_ms, self.clock_ms, self.total, cost));
        }
        self.record(self.clock_ms, cost)?;
        Ok(Decision {
            allowed: true,
            limit,
            remaining: limit - self.total,
            retry_after_ms: 0,
            reset_after_ms: self.clock_ms.saturating_add(window_ms).saturating_sub(now_ms),
        })
    }

    /// Returns the decision [`SlidingLog::check`] would return at `now_ms`,
    /// changing nothing. O(entries).
    pub fn peek(&self, policy: &Policy, now_ms: u64, cost: u32) -> Result<Decision, CheckError> {
        policy.validate_cost(cost)?;
        let limit = policy.limit();
        let window_ms = policy.window_ms();

        let effective_ms = self.clock_ms.max(now_ms);
        let mut expired: u32 = 0;
        for index in 0..self.entries.len() {
            match self.entries.get(index) {
                Some(entry) if entry.at_ms.saturating_add(window_ms) <= effective_ms => expired += entry.cost,
                _ => break,
            }
        }
        let count = self.total - expired;

        if count + cost > limit {
            return Ok(self.rejection(policy, now_ms, effective_ms, count, cost));
        }
        Ok(Decision {
            allowed: true,
            limit,
            remaining: limit - count - cost,
            retry_after_ms: 0,
            reset_after_ms: effective_ms.saturating_add(window_ms).saturating_sub(now_ms),
        })
    }

    /// Forgets every hit. The clock stays, so time still never runs back.
    pub fn reset(&mut self) {
        self.entries.clear();
        self.total = 0;
    }

    /// Drops entries that are outside the window ending at `now_ms`.
    pub fn prune(&mut self, window_ms: u64, now_ms: u64) {
        while let Some(oldest) = self.entries.get(0) {
            if oldest.at_ms.saturating_add(window_ms) > now_ms {
                break;
            }
            self.entries.pop_oldest();
            self.total -= oldest.cost;
        }
    }

    /// The decision for a rejected `cost` when `count` is held in the window
    /// ending at `effective_ms`.
    fn rejection(&self, policy: &Policy, now_ms: u64, effective_ms: u64, count: u32, cost: u32) -> Decision {
        let window_ms = policy.window_ms();
        let limit = policy.limit();
        Decision {
            allowed: false,
            limit,
            remaining: limit - count,
            retry_after_ms: self
                .retry_at_ms(window_ms, effective_ms, count + cost - limit)
                .saturating_sub(now_ms),
            reset_after_ms: self.empty_at_ms(window_ms).saturating_sub(now_ms),
        }
    }

    fn record(&mut self, at_ms: u64, cost: u32) -> Result<(), CheckError> {
        if let Some(newest) = self.entries.newest_mut() {
            if newest.at_ms == at_ms {
                newest.cost += cost;
                self.total += cost;
                return Ok(());
            }
        }
        let capacity = self.entries.len();
        self.entries
            .push_newest(LogEntry { at_ms, cost })
            .map_err(|_| CheckError::LogFull { capacity })?;
        self.total += cost;
        Ok(())
    }

    /// The first instant at which `excess` cost has left the window ending at
    /// `effective_ms`, found by letting the oldest entries inside it expire.
    fn retry_at_ms(&self, window_ms: u64, effective_ms: u64, excess: u32) -> u64 {
        let mut freed: u32 = 0;
        for index in 0..self.entries.len() {
            let Some(entry) = self.entries.get(index) else { break };
            if entry.at_ms.saturating_add(window_ms) <= effective_ms {
                continue;
            }
            freed += entry.cost;
            if freed >= excess {
                return entry.at_ms.saturating_add(window_ms);
            }
        }
        // Unreachable while cost <= limit, which validate_cost guarantees.
        self.empty_at_ms(window_ms)
    }

    /// The instant at which the newest entry leaves the window.
    fn empty_at_ms(&self, window_ms: u64) -> u64 {
        self.newest_ms().map_or(0, |newest| newest.saturating_add(window_ms))
    }
}
