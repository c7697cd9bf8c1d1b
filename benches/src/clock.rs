//! A fake clock, so that benchmarks never read the system clock.

/// A clock that advances by a fixed step on every [`FakeClock::tick`].
///
/// ```
/// use kauth_benches::FakeClock;
///
/// let mut clock = FakeClock::new(1_000, 250);
/// assert_eq!(clock.tick(), 1_250);
/// assert_eq!(clock.tick(), 1_500);
/// assert_eq!(clock.now_ms(), 1_500);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FakeClock {
    now_ms: u64,
    step_ms: u64,
}

impl FakeClock {
    /// Creates a clock reading `start_ms` (unix-epoch milliseconds) that
    /// advances by `step_ms` milliseconds on every tick.
    pub const fn new(start_ms: u64, step_ms: u64) -> Self {
        FakeClock {
            now_ms: start_ms,
            step_ms,
        }
    }

    /// Advances the clock by one step and returns the new time, in
    /// unix-epoch milliseconds.
    pub fn tick(&mut self) -> u64 {
        self.now_ms += self.step_ms;
        self.now_ms
    }

    /// Returns the current time in unix-epoch milliseconds, without advancing.
    pub const fn now_ms(&self) -> u64 {
        self.now_ms
    }
}
