//! The exact sliding log.
//!
//! The window ending at `now` is `(now - window_ms, now]`. A hit of `cost` is
//! admitted iff the costs recorded inside that window plus `cost` stay within
//! the limit. An admitted hit is recorded at `now`; a rejected hit records
//! nothing and leaves every expiry where it was.
//!
//! Entries are kept oldest first, and hits at the same millisecond share one
//! entry, so a log never contains more than `limit` entries.
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
//!
//! A log whose newest entry left the window at least
//! [`STATE_GRACE_MS`](crate::STATE_GRACE_MS) ago starts over, latest time
//! included, because that is when stores drop the state: every backend
//! decides alike whether or not it has dropped it yet. NOTE: a clock that
//! steps back by more than that after a log started over can admit hits
//! inside the window of entries already forgotten.

use crate::lang::{DecisionValues, LogRead, LogWrite};
use crate::{CheckError, Decision, Native, Policy, STATE_GRACE_MS};

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
    /// Most entries the storage can hold.
    fn capacity(&self) -> usize;
}

impl<const N: usize> LogStorage for heapless::Deque<LogEntry, N> {
    fn len(&self) -> usize {
        heapless::Deque::len(self)
    }
    fn get(&self, index: usize) -> Option<LogEntry> {
        let (front, back) = self.as_slices();
        match index.checked_sub(front.len()) {
            None => front.get(index).copied(),
            Some(back_index) => back.get(back_index).copied(),
        }
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
    fn capacity(&self) -> usize {
        heapless::Deque::capacity(self)
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
    fn capacity(&self) -> usize {
        usize::MAX
    }
}

/// A sliding log over some [`LogStorage`], with its running total and the
/// latest time a check has seen.
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
/// // The hit at 10_000 leaves the window (9_500, 10_500] at 11_000.
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
    /// Wraps storage, which is emptied first.
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

    /// The entries, oldest first.
    pub fn entries(&self) -> &S {
        &self.entries
    }

    /// Sum of the costs currently held, including entries that a later check
    /// will find expired.
    pub fn total(&self) -> u32 {
        self.total
    }

    /// The latest `now` a check has seen, in unix-epoch milliseconds.
    pub fn clock_ms(&self) -> u64 {
        self.clock_ms
    }

    /// Time of the newest entry, if any.
    pub fn newest_ms(&self) -> Option<u64> {
        let last = self.entries.len().checked_sub(1)?;
        self.entries.get(last).map(|entry| entry.at_ms)
    }

    /// Checks a hit of `cost` at `now_ms` and records it if admitted.
    ///
    /// Complexity: amortised O(1) when admitted (expired entries are dropped
    /// once each), O(entries) when rejected, to compute `retry_after_ms`.
    pub fn check(&mut self, policy: &Policy, now_ms: u64, cost: u32) -> Result<Decision, CheckError> {
        policy.validate_cost(cost)?;
        let capacity = self.entries.capacity();
        if (policy.limit() as usize) > capacity {
            return Err(CheckError::LogFull { capacity });
        }

        let input = LogInput::new(policy, now_ms, cost, self.clock_ms, self.total);
        let mut native = Native::new(&mut self.entries);
        let outcome = check_log(&mut native, input);
        self.clock_ms = outcome.clock_ms;
        self.total = outcome.total as u32;
        Ok(native_decision(&outcome.decision))
    }

    /// Returns the decision [`SlidingLog::check`] would return at `now_ms`,
    /// changing nothing. O(entries).
    pub fn peek(&self, policy: &Policy, now_ms: u64, cost: u32) -> Result<Decision, CheckError> {
        policy.validate_cost(cost)?;
        let input = LogInput::new(policy, now_ms, cost, self.clock_ms, self.total);
        let decision = peek_log(&mut Native::new(&self.entries), input);
        Ok(native_decision(&decision))
    }

    /// Forgets every hit. The clock stays, so time still never runs back.
    pub fn reset(&mut self) {
        self.entries.clear();
        self.total = 0;
    }
}

/// The inputs of one sliding-log evaluation, as values of some language.
#[derive(Clone, Copy, Debug)]
pub struct LogInput<I> {
    /// The policy's limit.
    pub limit: I,
    /// The policy's window in milliseconds.
    pub window_ms: I,
    /// The caller's time, unix-epoch milliseconds.
    pub now_ms: I,
    /// The hit's cost, between 1 and `limit`.
    pub cost: I,
    /// The latest time a check has seen.
    pub clock_ms: I,
    /// Sum of the costs of all entries.
    pub total: I,
}

impl LogInput<u64> {
    fn new(policy: &Policy, now_ms: u64, cost: u32, clock_ms: u64, total: u32) -> Self {
        LogInput {
            limit: u64::from(policy.limit()),
            window_ms: policy.window_ms(),
            now_ms,
            cost: u64::from(cost),
            clock_ms,
            total: u64::from(total),
        }
    }
}

/// What a check leaves behind: the decision and the log's new clock and total.
pub struct LogOutcome<L: LogRead + ?Sized> {
    /// The decision.
    pub decision: DecisionValues<L>,
    /// The new latest time seen.
    pub clock_ms: L::Int,
    /// The new sum of the entries' costs.
    pub total: L::Int,
}

pub(crate) fn native_decision(decision: &DecisionValues<Native<impl Sized>>) -> Decision {
    Decision {
        allowed: decision.allowed,
        limit: decision.limit as u32,
        remaining: decision.remaining as u32,
        retry_after_ms: decision.retry_after_ms,
        reset_after_ms: decision.reset_after_ms,
    }
}

/// The sliding-log check: drops expired entries, then records `cost` at the
/// clock if it fits. The one definition both backends run.
pub fn check_log<L: LogWrite>(l: &mut L, input: LogInput<L::Int>) -> LogOutcome<L> {
    let LogInput {
        limit,
        window_ms,
        now_ms,
        cost,
        clock_ms,
        total,
    } = input;
    let zero = l.int(0);

    // A log that stores would already have dropped starts over, clock too.
    let stale = is_stale(l, window_ms, now_ms);
    let total = l.var(total);
    let seen_ms = l.var(clock_ms);
    l.if_(
        stale,
        |l| {
            l.while_(
                |l| {
                    let len = l.log_len();
                    l.lt(zero, len)
                },
                |l| l.log_pop_oldest(),
            );
            l.set(total, zero);
            l.set(seen_ms, zero);
        },
        |_| {},
    );

    // Never evaluate before a time already seen: see the module docs.
    let seen = l.get(seen_ms);
    let clock_ms = l.max(seen, now_ms);
    drop_expired(l, window_ms, clock_ms, total);

    let held = l.get(total);
    let wanted = l.add(held, cost);
    let allowed = l.le(wanted, limit);
    let remaining = l.var(zero);
    let retry_after_ms = l.var(zero);
    let reset_after_ms = l.var(zero);
    l.if_(
        allowed,
        |l| {
            record(l, clock_ms, cost);
            l.set(total, wanted);
            let left = l.sub(limit, wanted);
            l.set(remaining, left);
            let empty_at_ms = l.add(clock_ms, window_ms);
            let reset = l.sub(empty_at_ms, now_ms);
            l.set(reset_after_ms, reset);
        },
        |l| {
            let rejection = Rejection {
                limit,
                window_ms,
                clock_ms,
                now_ms,
                held,
                wanted,
            };
            reject(l, rejection, [remaining, retry_after_ms, reset_after_ms]);
        },
    );

    LogOutcome {
        decision: DecisionValues {
            allowed,
            limit,
            remaining: l.get(remaining),
            retry_after_ms: l.get(retry_after_ms),
            reset_after_ms: l.get(reset_after_ms),
        },
        clock_ms,
        total: l.get(total),
    }
}

/// The sliding-log peek: the decision [`check_log`] would return, reading
/// the entries only.
pub fn peek_log<L: LogRead>(l: &mut L, input: LogInput<L::Int>) -> DecisionValues<L> {
    let LogInput {
        limit,
        window_ms,
        now_ms,
        cost,
        clock_ms,
        total,
    } = input;
    let zero = l.int(0);
    let one = l.int(1);
    let stale = is_stale(l, window_ms, now_ms);
    let seen_ms = l.max(clock_ms, now_ms);
    let clock_ms = l.select(stale, now_ms, seen_ms);

    // Sum the leading entries a check would drop.
    let expired = l.var(zero);
    let index = l.var(zero);
    let len = l.log_len();
    l.while_(
        |l| {
            let at = l.get(index);
            let inside = l.lt(at, len);
            l.and_then(inside, |l| {
                let (at_ms, _) = l.log_entry(at);
                let leaves_ms = l.add(at_ms, window_ms);
                l.le(leaves_ms, clock_ms)
            })
        },
        |l| {
            let at = l.get(index);
            let (_, entry_cost) = l.log_entry(at);
            let sum = l.get(expired);
            let sum = l.add(sum, entry_cost);
            l.set(expired, sum);
            let next = l.add(at, one);
            l.set(index, next);
        },
    );

    let expired = l.get(expired);
    let dropped = l.select(stale, total, expired);
    let held = l.sub(total, dropped);
    let wanted = l.add(held, cost);
    let allowed = l.le(wanted, limit);
    let remaining = l.var(zero);
    let retry_after_ms = l.var(zero);
    let reset_after_ms = l.var(zero);
    l.if_(
        allowed,
        |l| {
            let left = l.sub(limit, wanted);
            l.set(remaining, left);
            let empty_at_ms = l.add(clock_ms, window_ms);
            let reset = l.sub(empty_at_ms, now_ms);
            l.set(reset_after_ms, reset);
        },
        |l| {
            let rejection = Rejection {
                limit,
                window_ms,
                clock_ms,
                now_ms,
                held,
                wanted,
            };
            reject(l, rejection, [remaining, retry_after_ms, reset_after_ms]);
        },
    );

    DecisionValues {
        allowed,
        limit,
        remaining: l.get(remaining),
        retry_after_ms: l.get(retry_after_ms),
        reset_after_ms: l.get(reset_after_ms),
    }
}

/// Whether the newest entry left the window at least [`STATE_GRACE_MS`]
/// before `now_ms`: the point from which stores drop a state, so every
/// backend treats such a log as absent whether or not it still has it.
fn is_stale<L: LogRead>(l: &mut L, window_ms: L::Int, now_ms: L::Int) -> L::Bool {
    let zero = l.int(0);
    let one = l.int(1);
    let grace_ms = l.int(STATE_GRACE_MS);
    let len = l.log_len();
    let any = l.lt(zero, len);
    l.and_then(any, |l| {
        let newest = l.sub(len, one);
        let (newest_ms, _) = l.log_entry(newest);
        let empty_at_ms = l.add(newest_ms, window_ms);
        let dropped_at_ms = l.add(empty_at_ms, grace_ms);
        l.le(dropped_at_ms, now_ms)
    })
}

/// Drops the oldest entries outside the window ending at `clock_ms`,
/// subtracting their cost from `total`.
fn drop_expired<L: LogWrite>(l: &mut L, window_ms: L::Int, clock_ms: L::Int, total: L::Var) {
    let zero = l.int(0);
    l.while_(
        |l| {
            let len = l.log_len();
            let any = l.lt(zero, len);
            l.and_then(any, |l| {
                let (at_ms, _) = l.log_entry(zero);
                let leaves_ms = l.add(at_ms, window_ms);
                l.le(leaves_ms, clock_ms)
            })
        },
        |l| {
            let (_, cost) = l.log_entry(zero);
            l.log_pop_oldest();
            let held = l.get(total);
            let held = l.sub(held, cost);
            l.set(total, held);
        },
    );
}

/// Records `cost` at `at_ms`, merging it into the newest entry when that one
/// has the same time, so the log never contains more entries than its limit.
fn record<L: LogWrite>(l: &mut L, at_ms: L::Int, cost: L::Int) {
    let zero = l.int(0);
    let one = l.int(1);
    let len = l.log_len();
    let any = l.lt(zero, len);
    let same_ms = l.and_then(any, |l| {
        let newest = l.sub(len, one);
        let (newest_ms, _) = l.log_entry(newest);
        l.eq(newest_ms, at_ms)
    });
    l.if_(same_ms, |l| l.log_add_to_newest(cost), |l| l.log_push(at_ms, cost));
}

/// The values a rejected check is decided from.
struct Rejection<I> {
    limit: I,
    window_ms: I,
    clock_ms: I,
    now_ms: I,
    /// Cost held in the window ending at `clock_ms`.
    held: I,
    /// `held` plus the rejected cost.
    wanted: I,
}

/// Sets `remaining`, `retry_after_ms` and `reset_after_ms` of a rejected
/// check, reading the newest entry once for both waits.
fn reject<L: LogRead>(
    l: &mut L,
    rejection: Rejection<L::Int>,
    [remaining, retry_after_ms, reset_after_ms]: [L::Var; 3],
) {
    let Rejection {
        limit,
        window_ms,
        clock_ms,
        now_ms,
        held,
        wanted,
    } = rejection;

    let left = l.sub(limit, held);
    l.set(remaining, left);

    let empty_at_ms = empty_at_ms(l, window_ms);
    let excess = l.sub(wanted, limit);
    let retry_at_ms = retry_at_ms(l, window_ms, clock_ms, excess, empty_at_ms);
    let retry = l.sub(retry_at_ms, now_ms);
    l.set(retry_after_ms, retry);

    let reset = l.sub(empty_at_ms, now_ms);
    l.set(reset_after_ms, reset);
}

/// Finds the first instant at which `excess` cost has left the window ending
/// at `clock_ms`, by letting the oldest entries inside it expire.
/// `empty_at_ms` is returned if none is found, which cannot happen while
/// cost <= limit.
fn retry_at_ms<L: LogRead>(
    l: &mut L,
    window_ms: L::Int,
    clock_ms: L::Int,
    excess: L::Int,
    empty_at_ms: L::Int,
) -> L::Int {
    let zero = l.int(0);
    let one = l.int(1);
    let freed = l.var(zero);
    let found_at_ms = l.var(zero);
    let index = l.var(zero);
    let len = l.log_len();
    l.while_(
        |l| {
            let at = l.get(index);
            let inside = l.lt(at, len);
            let found = l.get(found_at_ms);
            let searching = l.eq(found, zero);
            l.and_then(inside, |_| searching)
        },
        |l| {
            let at = l.get(index);
            let (at_ms, cost) = l.log_entry(at);
            let leaves_ms = l.add(at_ms, window_ms);
            let in_window = l.lt(clock_ms, leaves_ms);
            l.if_(
                in_window,
                |l| {
                    let sum = l.get(freed);
                    let sum = l.add(sum, cost);
                    l.set(freed, sum);
                    let enough = l.le(excess, sum);
                    l.if_(enough, |l| l.set(found_at_ms, leaves_ms), |_| {});
                },
                |_| {},
            );
            let next = l.add(at, one);
            l.set(index, next);
        },
    );
    // A window is at least 1 ms long, so a found instant is never 0.
    let found = l.get(found_at_ms);
    let missing = l.eq(found, zero);
    l.select(missing, empty_at_ms, found)
}

/// Returns the instant the newest entry leaves the window, or 0 for an empty log.
fn empty_at_ms<L: LogRead>(l: &mut L, window_ms: L::Int) -> L::Int {
    let zero = l.int(0);
    let one = l.int(1);
    let len = l.log_len();
    let any = l.lt(zero, len);
    let result = l.var(zero);
    l.if_(
        any,
        |l| {
            let newest = l.sub(len, one);
            let (newest_ms, _) = l.log_entry(newest);
            let leaves_ms = l.add(newest_ms, window_ms);
            l.set(result, leaves_ms);
        },
        |_| {},
    );
    l.get(result)
}
