//! The O(1) sliding window counter.
//!
//! Time is cut into fixed windows of `window_ms` aligned on the unix epoch, so
//! every instance agrees on where a window starts. The count at `now` is the
//! current window's count plus the previous window's count weighted by the
//! share of the previous window still inside `(now - window_ms, now]`:
//!
//! ```text
//! estimate = current + ceil(previous * (window_ms - elapsed_ms) / window_ms)
//! ```
//!
//! Rounding up makes the estimate err towards rejecting. All arithmetic is on
//! integers whose intermediate values stay below 2^53 (see
//! [`MAX_LIMIT`](crate::MAX_LIMIT)), so a Lua port computing with doubles
//! returns the same numbers.
//!
//! A `now` before the stored window is evaluated at the stored window's
//! start, so a backwards clock never reopens a window.

use crate::{CheckError, Decision, Policy};

/// State of one subject: two counts and the start of the current window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SlidingCounter {
    /// Start of the window `current` belongs to, in unix-epoch milliseconds.
    pub window_start_ms: u64,
    /// Cost admitted in the window starting at `window_start_ms`.
    pub current: u32,
    /// Cost admitted in the window just before it.
    pub previous: u32,
}

/// The counter as seen at one instant, after rolling windows forward.
#[derive(Clone, Copy, Debug)]
struct View {
    state: SlidingCounter,
    elapsed_ms: u64,
    estimate: u32,
}

impl SlidingCounter {
    /// An empty counter.
    pub const fn new() -> Self {
        SlidingCounter {
            window_start_ms: 0,
            current: 0,
            previous: 0,
        }
    }

    /// Checks a hit of `cost` at `now_ms` and counts it if admitted. O(1).
    ///
    /// ```
    /// use kauth_core::{Algorithm, Policy, SlidingCounter};
    ///
    /// let policy = Policy::new(4, 1_000, Algorithm::SlidingCounter).unwrap();
    /// let mut counter = SlidingCounter::new();
    /// for _ in 0..4 {
    ///     assert!(counter.check(&policy, 5_000, 1).unwrap().allowed);
    /// }
    /// // Half-way through the next window the previous 4 weigh 2.
    /// let decision = counter.check(&policy, 6_500, 1).unwrap();
    /// assert!(decision.allowed);
    /// assert_eq!(decision.remaining, 1);
    /// ```
    pub fn check(&mut self, policy: &Policy, now_ms: u64, cost: u32) -> Result<Decision, CheckError> {
        policy.validate_cost(cost)?;
        let view = self.view(policy, now_ms);

        let decision = Self::decide(&view, policy, now_ms, cost);
        *self = view.state;
        if decision.allowed {
            self.current += cost;
        }
        Ok(decision)
    }

    /// Returns the decision [`SlidingCounter::check`] would return at
    /// `now_ms`, changing nothing. O(1).
    pub fn peek(&self, policy: &Policy, now_ms: u64, cost: u32) -> Result<Decision, CheckError> {
        policy.validate_cost(cost)?;
        let view = self.view(policy, now_ms);
        Ok(Self::decide(&view, policy, now_ms, cost))
    }

    /// Forgets every hit.
    pub fn reset(&mut self) {
        *self = SlidingCounter::new();
    }

    /// Whether the estimate is 0 at `now_ms`, so the state can be dropped.
    pub fn is_empty_at(&self, policy: &Policy, now_ms: u64) -> bool {
        self.view(policy, now_ms).estimate == 0
    }

    fn view(&self, policy: &Policy, now_ms: u64) -> View {
        let window_ms = policy.window_ms();
        let effective_ms = now_ms.max(self.window_start_ms);
        let start_ms = effective_ms - effective_ms % window_ms;

        let state = if start_ms == self.window_start_ms {
            *self
        } else if Some(start_ms) == self.window_start_ms.checked_add(window_ms) {
            SlidingCounter {
                window_start_ms: start_ms,
                current: 0,
                previous: self.current,
            }
        } else {
            SlidingCounter {
                window_start_ms: start_ms,
                current: 0,
                previous: 0,
            }
        };
        let elapsed_ms = effective_ms - start_ms;
        let estimate = state.current + weighted(state.previous, window_ms - elapsed_ms, window_ms);
        View {
            state,
            elapsed_ms,
            estimate,
        }
    }

    fn decide(view: &View, policy: &Policy, now_ms: u64, cost: u32) -> Decision {
        let limit = policy.limit();
        let window_ms = policy.window_ms();
        let state = view.state;
        let allowed = view.estimate + cost <= limit;

        let (after_current, after_estimate) = if allowed {
            (state.current + cost, view.estimate + cost)
        } else {
            (state.current, view.estimate)
        };
        let empty_at_ms = if after_current > 0 {
            state.window_start_ms.saturating_add(2 * window_ms)
        } else if state.previous > 0 {
            state.window_start_ms.saturating_add(window_ms)
        } else {
            now_ms
        };
        let retry_after_ms = if allowed {
            0
        } else {
            retry_at_ms(view, policy, cost).saturating_sub(now_ms)
        };
        Decision {
            allowed,
            limit,
            remaining: limit.saturating_sub(after_estimate),
            retry_after_ms,
            reset_after_ms: empty_at_ms.saturating_sub(now_ms),
        }
    }
}

/// `ceil(count * share_ms / window_ms)`; exact because the product is below 2^53.
fn weighted(count: u32, share_ms: u64, window_ms: u64) -> u32 {
    let product = u64::from(count) * share_ms;
    product.div_ceil(window_ms) as u32
}

/// Smallest elapsed time in a window at which `ceil(count * (window_ms -
/// elapsed) / window_ms) <= budget`.
fn elapsed_needed_ms(count: u32, budget: u32, window_ms: u64) -> u64 {
    if count == 0 {
        return 0;
    }
    let share_ms = u64::from(budget) * window_ms / u64::from(count);
    window_ms.saturating_sub(share_ms)
}

/// The first instant at which a rejected `cost` would be admitted.
fn retry_at_ms(view: &View, policy: &Policy, cost: u32) -> u64 {
    let limit = policy.limit();
    let window_ms = policy.window_ms();
    let state = view.state;

    // Later in this window, as the previous window's weight shrinks.
    if let Some(budget) = limit.checked_sub(state.current + cost) {
        let elapsed_ms = elapsed_needed_ms(state.previous, budget, window_ms);
        if elapsed_ms < window_ms {
            return state
                .window_start_ms
                .saturating_add(elapsed_ms.max(view.elapsed_ms + 1));
        }
    }

    // Otherwise in the next window, where the current count becomes previous.
    let elapsed_ms = elapsed_needed_ms(state.current, limit - cost, window_ms);
    state
        .window_start_ms
        .saturating_add(window_ms)
        .saturating_add(elapsed_ms)
}
