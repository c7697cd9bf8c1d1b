//! Warnings for calls that fail closed, at most one per second per pool, so a
//! Redis outage under load does not flood the log.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::RedisError;

/// Minimum time between two warnings of one pool.
const WARN_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Default)]
pub(crate) struct WarnThrottle {
    last_warned: Mutex<Option<Instant>>,
    suppressed: AtomicU64,
}

impl WarnThrottle {
    /// Logs that `operation` failed closed with `error`, or counts it when a
    /// warning was logged less than a second ago. Each warning carries the
    /// number of failures left unlogged since the previous one.
    pub(crate) fn fail_closed(&self, operation: &'static str, error: &RedisError) {
        let now = Instant::now();
        {
            let mut last_warned = self.last_warned.lock().unwrap_or_else(PoisonError::into_inner);
            if last_warned.is_some_and(|last| now.duration_since(last) < WARN_INTERVAL) {
                self.suppressed.fetch_add(1, Ordering::Relaxed);
                return;
            }
            *last_warned = Some(now);
        }

        let suppressed = self.suppressed.swap(0, Ordering::Relaxed);
        tracing::warn!(operation, error = %error, suppressed, "redis call failed closed");
    }
}
