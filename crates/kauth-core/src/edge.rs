//! A fixed-capacity keyed limiter for edge gateways: no heap, no allocation.
//!
//! It holds at most `KEYS` subjects, each with a sliding log of at most
//! `ENTRIES` entries, in one `heapless` index map, so its whole size is known
//! at compile time.
//!
//! # When the table is full
//!
//! A new subject first takes the place of an expired one. If none has
//! expired, it takes the place of the subject holding the least cost, ties
//! going to the one whose window empties first. Flooding the table with
//! one-off subjects therefore pushes out other one-off subjects, not the
//! subjects at their limit, and a new subject is never admitted untracked.
//! Finding the victim is O(`KEYS`), paid only when the table is full.

use core::hash::Hash;

use heapless::{Deque, FnvIndexMap};

use crate::{CheckError, Decision, LimiterState, LogEntry, Policy};

/// Why an edge limiter cannot serve a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EdgeError {
    /// The check itself was invalid.
    Check(CheckError),
    /// The policy's limit is above `ENTRIES`, so a full log would not fit.
    LimitAboveCapacity {
        /// The policy's limit.
        limit: u32,
        /// Entries each subject's log can hold.
        entries: usize,
    },
}

impl core::fmt::Display for EdgeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            EdgeError::Check(error) => error.fmt(f),
            EdgeError::LimitAboveCapacity { limit, entries } => write!(
                f,
                "limit {limit} is above the {entries} log entries each subject can hold"
            ),
        }
    }
}

impl core::error::Error for EdgeError {}

impl From<CheckError> for EdgeError {
    fn from(error: CheckError) -> Self {
        EdgeError::Check(error)
    }
}

/// Up to `KEYS` subjects (a power of two, as `heapless` index maps need), each
/// with room for `ENTRIES` log entries.
///
/// ```
/// use kauth_core::{Algorithm, EdgeLimiter, Policy};
///
/// let policy = Policy::new(2, 60_000, Algorithm::SlidingLog).unwrap();
/// let mut limiter: EdgeLimiter<[u8; 4], 8, 2> = EdgeLimiter::new();
/// let client = [203, 0, 113, 9];
/// assert!(limiter.check(client, &policy, 1_000, 1).unwrap().allowed);
/// assert!(limiter.check(client, &policy, 2_000, 1).unwrap().allowed);
/// assert_eq!(limiter.check(client, &policy, 3_000, 1).unwrap().retry_after_ms, 58_000);
/// ```
pub struct EdgeLimiter<K, const KEYS: usize, const ENTRIES: usize> {
    states: FnvIndexMap<K, LimiterState<Deque<LogEntry, ENTRIES>>, KEYS>,
}

impl<K: Hash + Eq + Clone, const KEYS: usize, const ENTRIES: usize> EdgeLimiter<K, KEYS, ENTRIES> {
    /// An empty limiter.
    pub const fn new() -> Self {
        EdgeLimiter {
            states: FnvIndexMap::new(),
        }
    }

    /// Checks a hit of `cost` for `key` at `now_ms`, recording it if
    /// admitted. O(1) while the table has room; O(`KEYS`) when a new subject
    /// must replace another.
    pub fn check(&mut self, key: K, policy: &Policy, now_ms: u64, cost: u32) -> Result<Decision, EdgeError> {
        if policy.limit() as usize > ENTRIES {
            return Err(EdgeError::LimitAboveCapacity {
                limit: policy.limit(),
                entries: ENTRIES,
            });
        }
        if let Some(state) = self.states.get_mut(&key) {
            return Ok(state.check(policy, now_ms, cost)?);
        }

        let mut state = LimiterState::new(policy);
        let decision = state.check(policy, now_ms, cost)?;
        if self.states.len() == KEYS {
            self.evict_one(now_ms);
        }
        // A slot was freed above, so the insertion cannot fail.
        let _ = self.states.insert(key, state);
        Ok(decision)
    }

    /// The decision [`EdgeLimiter::check`] would return, recording nothing.
    pub fn peek(&self, key: &K, policy: &Policy, now_ms: u64, cost: u32) -> Result<Decision, EdgeError> {
        let decision = match self.states.get(key) {
            Some(state) => state.peek(policy, now_ms, cost)?,
            None => LimiterState::<Deque<LogEntry, ENTRIES>>::new(policy).peek(policy, now_ms, cost)?,
        };
        Ok(decision)
    }

    /// Forgets `key`. Returns whether it was tracked.
    pub fn reset(&mut self, key: &K) -> bool {
        self.states.remove(key).is_some()
    }

    /// Number of tracked subjects.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether no subject is tracked.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    fn evict_one(&mut self, now_ms: u64) {
        let victim = self
            .states
            .iter()
            .min_by_key(|(_, state)| {
                let expired = state.is_expired(now_ms);
                (!expired, state.held(), state.empty_at_ms())
            })
            .map(|(key, _)| key.clone());
        if let Some(victim) = victim {
            self.states.remove(&victim);
        }
    }
}

impl<K: Hash + Eq + Clone, const KEYS: usize, const ENTRIES: usize> Default for EdgeLimiter<K, KEYS, ENTRIES> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Algorithm;

    fn policy() -> Policy {
        Policy::new(3, 10_000, Algorithm::SlidingLog).unwrap()
    }

    #[test]
    fn flood_keeps_limited_subject() {
        let mut limiter: EdgeLimiter<u32, 4, 3> = EdgeLimiter::new();
        for _ in 0..3 {
            limiter.check(0, &policy(), 100, 1).unwrap();
        }
        for subject in 1..1_000 {
            assert!(limiter.check(subject, &policy(), 200, 1).unwrap().allowed);
        }
        assert_eq!(limiter.len(), 4);
        let decision = limiter.check(0, &policy(), 300, 1).unwrap();
        assert!(!decision.allowed);
        assert_eq!(decision.retry_after_ms, 9_800);
    }

    #[test]
    fn expired_subject_is_replaced_first() {
        // Subject 1 empties at 10_000 and expires STATE_GRACE_MS later.
        let mut limiter: EdgeLimiter<u32, 2, 3> = EdgeLimiter::new();
        limiter.check(1, &policy(), 0, 1).unwrap();
        let now_ms = 10_000 + crate::STATE_GRACE_MS;
        limiter.check(2, &policy(), now_ms - 5_000, 3).unwrap();
        limiter.check(3, &policy(), now_ms, 1).unwrap();
        assert!(!limiter.peek(&2, &policy(), now_ms, 1).unwrap().allowed);
        assert!(limiter.peek(&1, &policy(), now_ms, 3).unwrap().allowed);
        assert_eq!(limiter.len(), 2);
    }

    #[test]
    fn limit_above_capacity_is_rejected() {
        let mut limiter: EdgeLimiter<u32, 2, 2> = EdgeLimiter::new();
        assert_eq!(
            limiter.check(1, &policy(), 0, 1),
            Err(EdgeError::LimitAboveCapacity { limit: 3, entries: 2 })
        );
        assert!(limiter.is_empty());
    }
}
