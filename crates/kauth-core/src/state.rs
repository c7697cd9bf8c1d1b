//! The per-subject state of either algorithm, as the keyed tables hold it.

use crate::{Algorithm, CheckError, Decision, LogStorage, Policy, SlidingCounter, SlidingLog};

/// How long a store keeps a state after its window has emptied, in
/// milliseconds. Keeping it a while longer preserves the latest time a
/// sliding log has seen across small backward clock steps, and gives every
/// backend the same rule: kauth-mem sweeps a state only this long after it
/// empties, and Redis keys expire this long after it at the earliest.
pub const STATE_GRACE_MS: u64 = 60_000;

/// One subject's state under either algorithm, with the window it was last
/// checked with so that tables can tell when it has expired.
#[derive(Clone, Debug)]
pub struct LimiterState<S> {
    kind: StateKind<S>,
    window_ms: u64,
}

#[derive(Clone, Debug)]
enum StateKind<S> {
    Log(SlidingLog<S>),
    Counter(SlidingCounter),
}

impl<S: LogStorage + Default> LimiterState<S> {
    /// Empty state for `policy`'s algorithm.
    pub fn new(policy: &Policy) -> Self {
        let kind = match policy.algorithm() {
            Algorithm::SlidingLog => StateKind::Log(SlidingLog::new(S::default())),
            Algorithm::SlidingCounter => StateKind::Counter(SlidingCounter::new()),
        };
        LimiterState {
            kind,
            window_ms: policy.window_ms(),
        }
    }

    /// Checks and records a hit; see [`SlidingLog::check`] and
    /// [`SlidingCounter::check`].
    ///
    /// A subject checked under a different algorithm than before starts from
    /// empty state under the new one: the two states cannot be converted.
    pub fn check(&mut self, policy: &Policy, now_ms: u64, cost: u32) -> Result<Decision, CheckError> {
        policy.validate_cost(cost)?;
        if self.algorithm() != policy.algorithm() {
            *self = LimiterState::new(policy);
        }
        self.window_ms = policy.window_ms();
        match &mut self.kind {
            StateKind::Log(log) => log.check(policy, now_ms, cost),
            StateKind::Counter(counter) => counter.check(policy, now_ms, cost),
        }
    }

    /// The decision [`LimiterState::check`] would return, recording nothing.
    pub fn peek(&self, policy: &Policy, now_ms: u64, cost: u32) -> Result<Decision, CheckError> {
        policy.validate_cost(cost)?;
        match &self.kind {
            StateKind::Log(log) if policy.algorithm() == Algorithm::SlidingLog => log.peek(policy, now_ms, cost),
            StateKind::Counter(counter) if policy.algorithm() == Algorithm::SlidingCounter => {
                counter.peek(policy, now_ms, cost)
            }
            _ => LimiterState::<S>::new(policy).peek(policy, now_ms, cost),
        }
    }

    /// The algorithm this state belongs to.
    pub fn algorithm(&self) -> Algorithm {
        match self.kind {
            StateKind::Log(_) => Algorithm::SlidingLog,
            StateKind::Counter(_) => Algorithm::SlidingCounter,
        }
    }

    /// Returns the instant from which the state contains no hit, under the window it
    /// was last checked with.
    pub fn empty_at_ms(&self) -> u64 {
        match &self.kind {
            StateKind::Log(log) => log
                .newest_ms()
                .map_or(0, |newest| newest.saturating_add(self.window_ms)),
            StateKind::Counter(counter) => match (counter.current, counter.previous) {
                (0, 0) => 0,
                (0, _) => counter.window_start_ms.saturating_add(self.window_ms),
                _ => counter.window_start_ms.saturating_add(2 * self.window_ms),
            },
        }
    }

    /// Whether the state has held no hit for [`STATE_GRACE_MS`] at `now_ms`
    /// and can be dropped.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.empty_at_ms().saturating_add(STATE_GRACE_MS) <= now_ms
    }

    /// Cost held, counting entries that may already have expired. Tables
    /// evict the states holding the least first.
    pub fn held(&self) -> u32 {
        match &self.kind {
            StateKind::Log(log) => log.total(),
            StateKind::Counter(counter) => counter.current.saturating_add(counter.previous),
        }
    }
}
