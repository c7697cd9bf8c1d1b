//! Clocks the in-memory stores read `now` from.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of unix-epoch milliseconds.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time in unix-epoch milliseconds.
    fn now_ms(&self) -> u64;
}

/// The system clock. A system time before 1970 reads as 0.
///
/// Reading `SystemTime` on every check costs more than the rest of an
/// in-memory check, so this clock reads the CPU's time-stamp counter through
/// `quanta` (the operating system's monotonic clock where the counter is
/// not reliable) and adds the offset to `SystemTime` measured when it was
/// last set, which happens at most once a second. Between settings it
/// follows the counter, so a change of the system time shows within a
/// second. A setting may move the time back by the counter's drift since
/// the last one (microseconds), which the algorithms treat as any clock
/// that goes backwards: they never admit more because of it.
///
/// The first reading in a process calibrates the counter against the
/// monotonic clock, which `quanta` documents as taking up to 200 ms.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        Anchor::global().now_ms()
    }
}

/// How often [`SystemClock`] sets its offset to `SystemTime` again.
const RESET_INTERVAL_NS: u64 = 1_000_000_000;

/// The counter's start and its offset to the system time, shared by every
/// [`SystemClock`] of the process.
struct Anchor {
    counter: quanta::Clock,
    /// The counter's raw reading when the anchor was made.
    origin: u64,
    /// System time minus counter time at the last setting, in nanoseconds.
    offset_ns: AtomicI64,
    /// Counter time of the last setting, in nanoseconds since `origin`.
    set_at_ns: AtomicU64,
}

impl Anchor {
    fn global() -> &'static Anchor {
        static ANCHOR: OnceLock<Anchor> = OnceLock::new();
        ANCHOR.get_or_init(|| {
            let counter = quanta::Clock::new();
            let anchor = Anchor {
                origin: counter.raw(),
                counter,
                offset_ns: AtomicI64::new(0),
                set_at_ns: AtomicU64::new(0),
            };
            anchor.set(0);
            anchor
        })
    }

    fn now_ms(&self) -> u64 {
        let counter_ns = self.counter_ns();
        if counter_ns.saturating_sub(self.set_at_ns.load(Ordering::Relaxed)) >= RESET_INTERVAL_NS {
            self.set(counter_ns);
        }
        let system_ns = i64::try_from(counter_ns)
            .unwrap_or(i64::MAX)
            .saturating_add(self.offset_ns.load(Ordering::Relaxed));
        u64::try_from(system_ns).map_or(0, |system_ns| system_ns / 1_000_000)
    }

    /// Returns the nanoseconds since the anchor was made, by the counter.
    fn counter_ns(&self) -> u64 {
        self.counter.delta_as_nanos(self.origin, self.counter.raw())
    }

    /// Measures the offset again. Threads that race here store offsets a
    /// few nanoseconds apart, so the last one stored is as good as any.
    fn set(&self, counter_ns: u64) {
        let system_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX));
        let offset_ns = system_ns.saturating_sub(i64::try_from(counter_ns).unwrap_or(i64::MAX));
        self.offset_ns.store(offset_ns, Ordering::Relaxed);
        self.set_at_ns.store(counter_ns, Ordering::Relaxed);
    }
}

/// A clock that moves only when told to; clones share one time.
///
/// ```
/// use kauth_mem::{Clock, ManualClock};
///
/// let clock = ManualClock::new(1_000);
/// let shared = clock.clone();
/// clock.advance_ms(500);
/// assert_eq!(shared.now_ms(), 1_500);
/// ```
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    now_ms: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock reading `now_ms`.
    pub fn new(now_ms: u64) -> Self {
        ManualClock {
            now_ms: Arc::new(AtomicU64::new(now_ms)),
        }
    }

    /// Sets the time, forwards or backwards.
    pub fn set_ms(&self, now_ms: u64) {
        self.now_ms.store(now_ms, Ordering::SeqCst);
    }

    /// Moves the time forwards by `step_ms`, saturating at `u64::MAX`.
    pub fn advance_ms(&self, step_ms: u64) {
        let _ = self.now_ms.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
            Some(now.saturating_add(step_ms))
        });
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn system_ms() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
    }

    #[test]
    fn system_clock_reads_the_system_time() {
        for _ in 0..1_000 {
            let before_ms = system_ms();
            let read_ms = SystemClock.now_ms();
            let after_ms = system_ms();
            // One millisecond each way covers rounding to whole milliseconds
            // and the counter's drift since the offset was last set.
            assert!(
                before_ms.saturating_sub(1) <= read_ms && read_ms <= after_ms + 1,
                "{read_ms} is outside [{before_ms}, {after_ms}]"
            );
        }
    }
}
