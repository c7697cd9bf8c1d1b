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

use crate::lang::{DecisionValues, Lang};
use crate::sliding_log::native_decision;
use crate::{CheckError, Decision, Native, Policy};

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
        let outcome = check_counter(&mut Native::new(()), self.input(policy, now_ms, cost));
        *self = SlidingCounter {
            window_start_ms: outcome.state.window_start_ms,
            current: outcome.state.current as u32,
            previous: outcome.state.previous as u32,
        };
        Ok(native_decision(&outcome.decision))
    }

    /// Returns the decision [`SlidingCounter::check`] would return at
    /// `now_ms`, changing nothing. O(1).
    pub fn peek(&self, policy: &Policy, now_ms: u64, cost: u32) -> Result<Decision, CheckError> {
        policy.validate_cost(cost)?;
        let outcome = peek_counter(&mut Native::new(()), self.input(policy, now_ms, cost));
        Ok(native_decision(&outcome))
    }

    /// Forgets every hit.
    pub fn reset(&mut self) {
        *self = SlidingCounter::new();
    }

    fn input(&self, policy: &Policy, now_ms: u64, cost: u32) -> CounterInput<u64> {
        CounterInput {
            limit: u64::from(policy.limit()),
            window_ms: policy.window_ms(),
            now_ms,
            cost: u64::from(cost),
            state: CounterState {
                window_start_ms: self.window_start_ms,
                current: u64::from(self.current),
                previous: u64::from(self.previous),
            },
        }
    }
}

/// A counter's state as values of some language.
#[derive(Clone, Copy, Debug)]
pub struct CounterState<I> {
    /// Start of the current fixed window, unix-epoch milliseconds.
    pub window_start_ms: I,
    /// Cost admitted in the current window.
    pub current: I,
    /// Cost admitted in the window before it.
    pub previous: I,
}

/// The inputs of one counter evaluation.
#[derive(Clone, Copy, Debug)]
pub struct CounterInput<I> {
    /// The policy's limit.
    pub limit: I,
    /// The policy's window in milliseconds.
    pub window_ms: I,
    /// The caller's time, unix-epoch milliseconds.
    pub now_ms: I,
    /// The hit's cost, between 1 and `limit`.
    pub cost: I,
    /// The stored state.
    pub state: CounterState<I>,
}

/// What a check leaves behind.
pub struct CounterOutcome<L: Lang + ?Sized> {
    /// The decision.
    pub decision: DecisionValues<L>,
    /// The state to store.
    pub state: CounterState<L::Int>,
}

/// The counter check: the one definition both backends run.
pub fn check_counter<L: Lang>(l: &mut L, input: CounterInput<L::Int>) -> CounterOutcome<L> {
    let view = view(l, &input);
    let decision = decide(l, &input, &view);
    let added = l.add(view.state.current, input.cost);
    let current = l.select(decision.allowed, added, view.state.current);
    CounterOutcome {
        decision,
        state: CounterState { current, ..view.state },
    }
}

/// The counter peek: the decision [`check_counter`] would return.
pub fn peek_counter<L: Lang>(l: &mut L, input: CounterInput<L::Int>) -> DecisionValues<L> {
    let view = view(l, &input);
    decide(l, &input, &view)
}

/// The counter as seen at one instant, after rolling windows forward.
struct View<I> {
    state: CounterState<I>,
    elapsed_ms: I,
    estimate: I,
}

fn view<L: Lang>(l: &mut L, input: &CounterInput<L::Int>) -> View<L::Int> {
    let zero = l.int(0);
    let window_ms = input.window_ms;
    let stored = input.state;

    // Never evaluate before the stored window: see the module docs.
    let effective_ms = l.max(input.now_ms, stored.window_start_ms);
    let into_window_ms = l.rem(effective_ms, window_ms);
    let start_ms = l.sub(effective_ms, into_window_ms);

    let same_window = l.eq(start_ms, stored.window_start_ms);
    let next_start_ms = l.add(stored.window_start_ms, window_ms);
    let next_window = l.eq(start_ms, next_start_ms);
    let rolled_previous = l.select(next_window, stored.current, zero);
    let previous = l.select(same_window, stored.previous, rolled_previous);
    let current = l.select(same_window, stored.current, zero);

    let elapsed_ms = l.sub(effective_ms, start_ms);
    let share_ms = l.sub(window_ms, elapsed_ms);
    let weighted = weighted(l, previous, share_ms, window_ms);
    let estimate = l.add(current, weighted);
    View {
        state: CounterState {
            window_start_ms: start_ms,
            current,
            previous,
        },
        elapsed_ms,
        estimate,
    }
}

fn decide<L: Lang>(l: &mut L, input: &CounterInput<L::Int>, view: &View<L::Int>) -> DecisionValues<L> {
    let zero = l.int(0);
    let limit = input.limit;
    let window_ms = input.window_ms;
    let state = view.state;

    let wanted = l.add(view.estimate, input.cost);
    let allowed = l.le(wanted, limit);
    let after_estimate = l.select(allowed, wanted, view.estimate);
    let added = l.add(state.current, input.cost);
    let after_current = l.select(allowed, added, state.current);

    // The estimate reaches 0 once the windows holding hits have passed.
    let end_of_next_ms = l.add(window_ms, window_ms);
    let end_of_next_ms = l.add(state.window_start_ms, end_of_next_ms);
    let end_of_this_ms = l.add(state.window_start_ms, window_ms);
    let current_held = l.lt(zero, after_current);
    let previous_held = l.lt(zero, state.previous);
    let empty_otherwise_ms = l.select(previous_held, end_of_this_ms, input.now_ms);
    let empty_at_ms = l.select(current_held, end_of_next_ms, empty_otherwise_ms);

    let retry_at_ms = l.var(zero);
    l.if_(
        allowed,
        |_| {},
        |l| {
            let at_ms = retry_at_ms_of(l, input, view);
            l.set(retry_at_ms, at_ms);
        },
    );
    let retry_at_ms = l.get(retry_at_ms);
    DecisionValues {
        allowed,
        limit,
        remaining: l.sub(limit, after_estimate),
        retry_after_ms: l.sub(retry_at_ms, input.now_ms),
        reset_after_ms: l.sub(empty_at_ms, input.now_ms),
    }
}

/// `ceil(count * share_ms / window_ms)`; exact because the product is below 2^53.
fn weighted<L: Lang>(l: &mut L, count: L::Int, share_ms: L::Int, window_ms: L::Int) -> L::Int {
    let product = l.mul(count, share_ms);
    l.div_ceil(product, window_ms)
}

/// Smallest elapsed time in a window at which `ceil(count * (window_ms -
/// elapsed) / window_ms) <= budget`; 0 when `count` is 0.
fn elapsed_needed_ms<L: Lang>(l: &mut L, count: L::Int, budget: L::Int, window_ms: L::Int) -> L::Int {
    let zero = l.int(0);
    let one = l.int(1);
    let none = l.eq(count, zero);
    // Dividing by max(count, 1) keeps the unused branch defined.
    let divisor = l.max(count, one);
    let budget_ms = l.mul(budget, window_ms);
    let share_ms = l.div(budget_ms, divisor);
    let needed_ms = l.sub(window_ms, share_ms);
    l.select(none, zero, needed_ms)
}

/// The first instant at which a rejected `cost` would be admitted.
fn retry_at_ms_of<L: Lang>(l: &mut L, input: &CounterInput<L::Int>, view: &View<L::Int>) -> L::Int {
    let one = l.int(1);
    let limit = input.limit;
    let window_ms = input.window_ms;
    let state = view.state;

    // Later in this window, as the previous window's weight shrinks.
    let used = l.add(state.current, input.cost);
    let fits_this_window = l.le(used, limit);
    let budget = l.sub(limit, used);
    let this_elapsed_ms = elapsed_needed_ms(l, state.previous, budget, window_ms);
    let after_now_ms = l.add(view.elapsed_ms, one);
    let this_elapsed_ms = l.max(this_elapsed_ms, after_now_ms);
    let before_end = l.lt(this_elapsed_ms, window_ms);
    let in_this_window = l.and_then(fits_this_window, |_| before_end);
    let this_at_ms = l.add(state.window_start_ms, this_elapsed_ms);

    // Otherwise in the next window, where the current count becomes previous.
    let next_budget = l.sub(limit, input.cost);
    let next_elapsed_ms = elapsed_needed_ms(l, state.current, next_budget, window_ms);
    let next_start_ms = l.add(state.window_start_ms, window_ms);
    let next_at_ms = l.add(next_start_ms, next_elapsed_ms);

    l.select(in_this_window, this_at_ms, next_at_ms)
}
