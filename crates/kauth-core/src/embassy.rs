//! Conversions from `embassy-time`, for gateways that keep time with it.
//!
//! `embassy_time::Instant` counts from boot, not from the unix epoch. That is
//! fine for [`EdgeLimiter`](crate::EdgeLimiter), which only compares instants
//! it was given, but such instants must not be mixed with unix-epoch ones in
//! one table.

use embassy_time::{Duration, Instant};

use crate::{Algorithm, Policy, PolicyError};

/// `instant` as milliseconds since boot, the `now_ms` the limiters take.
pub fn now_ms(instant: Instant) -> u64 {
    instant.as_millis()
}

/// A policy whose window is given as an `embassy_time::Duration`, rounded
/// down to whole milliseconds.
pub fn policy(limit: u32, window: Duration, algorithm: Algorithm) -> Result<Policy, PolicyError> {
    Policy::new(limit, window.as_millis(), algorithm)
}
