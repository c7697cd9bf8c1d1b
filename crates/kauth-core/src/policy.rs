//! Rate-limit policies: `limit` hits per `window_ms`, validated once at
//! construction so that every algorithm can rely on the bounds below.

use core::fmt;

/// Largest accepted `limit`.
///
/// With [`MAX_WINDOW_MS`] it keeps every intermediate product of the sliding
/// window counter (`count * window_ms`) below 2^53, so the generated Lua, which
/// computes with doubles, gets exactly the integers Rust gets.
pub const MAX_LIMIT: u32 = 100_000;

/// Largest accepted window: 366 days in milliseconds.
pub const MAX_WINDOW_MS: u64 = 366 * 24 * 60 * 60 * 1000;

/// The algorithm that enforces a [`Policy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// Exact: remembers the time of every admitted hit inside the window.
    /// Memory is O(limit) per subject. The default for authentication tiers.
    SlidingLog,
    /// Approximate: two fixed-window counts weighted by overlap.
    /// Memory is O(1) per subject; never admits more than the exact log would
    /// when the previous window is counted in full.
    SlidingCounter,
}

impl Algorithm {
    /// Short stable name, used in keys, CLI flags and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Algorithm::SlidingLog => "sliding-log",
            Algorithm::SlidingCounter => "sliding-counter",
        }
    }

    /// Parses the name returned by [`Algorithm::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sliding-log" => Some(Algorithm::SlidingLog),
            "sliding-counter" => Some(Algorithm::SlidingCounter),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated rate-limit policy: at most `limit` hits in any window of
/// `window_ms` milliseconds, enforced by `algorithm`.
///
/// ```
/// use kauth_core::{Algorithm, Policy, PolicyError};
///
/// let login = Policy::new(5, 60_000, Algorithm::SlidingLog).unwrap();
/// assert_eq!(login.limit(), 5);
/// assert_eq!(login.window_ms(), 60_000);
/// assert_eq!(Policy::new(0, 60_000, Algorithm::SlidingLog), Err(PolicyError::ZeroLimit));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    limit: u32,
    window_ms: u64,
    algorithm: Algorithm,
}

impl Policy {
    /// Builds a policy, rejecting a zero limit, a zero window and values above
    /// [`MAX_LIMIT`] or [`MAX_WINDOW_MS`].
    pub const fn new(limit: u32, window_ms: u64, algorithm: Algorithm) -> Result<Self, PolicyError> {
        if limit == 0 {
            return Err(PolicyError::ZeroLimit);
        }
        if limit > MAX_LIMIT {
            return Err(PolicyError::LimitTooLarge { limit });
        }
        if window_ms == 0 {
            return Err(PolicyError::ZeroWindow);
        }
        if window_ms > MAX_WINDOW_MS {
            return Err(PolicyError::WindowTooLarge { window_ms });
        }
        Ok(Policy {
            limit,
            window_ms,
            algorithm,
        })
    }

    /// Maximum hits admitted in any window.
    pub const fn limit(&self) -> u32 {
        self.limit
    }

    /// Window length in milliseconds.
    pub const fn window_ms(&self) -> u64 {
        self.window_ms
    }

    /// Algorithm enforcing the policy.
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The same limit and window enforced by another algorithm.
    pub const fn with_algorithm(self, algorithm: Algorithm) -> Self {
        Policy { algorithm, ..self }
    }

    /// Checks that `cost` can ever be admitted under this policy.
    pub const fn validate_cost(&self, cost: u32) -> Result<(), CheckError> {
        if cost == 0 {
            return Err(CheckError::ZeroCost);
        }
        if cost > self.limit {
            return Err(CheckError::CostExceedsLimit {
                cost,
                limit: self.limit,
            });
        }
        Ok(())
    }
}

/// Why a [`Policy`] could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyError {
    /// `limit` was 0, which would reject every hit.
    ZeroLimit,
    /// `limit` was above [`MAX_LIMIT`].
    LimitTooLarge {
        /// The rejected value.
        limit: u32,
    },
    /// `window_ms` was 0, which would make every window empty.
    ZeroWindow,
    /// `window_ms` was above [`MAX_WINDOW_MS`].
    WindowTooLarge {
        /// The rejected value, in milliseconds.
        window_ms: u64,
    },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::ZeroLimit => f.write_str("limit must be at least 1, got 0"),
            PolicyError::LimitTooLarge { limit } => {
                write!(f, "limit {limit} is above the maximum of {MAX_LIMIT}")
            }
            PolicyError::ZeroWindow => f.write_str("window_ms must be at least 1, got 0"),
            PolicyError::WindowTooLarge { window_ms } => write!(
                f,
                "window_ms {window_ms} is above the maximum of {MAX_WINDOW_MS} (366 days)"
            ),
        }
    }
}

impl core::error::Error for PolicyError {}

/// Why a single check could not be evaluated. The store is left unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckError {
    /// A cost of 0 was requested; use a peek to read the state instead.
    ZeroCost,
    /// The cost can never be admitted, because it is above the policy's limit.
    CostExceedsLimit {
        /// The requested cost.
        cost: u32,
        /// The policy's limit.
        limit: u32,
    },
    /// A fixed-capacity log had no room for another entry. Cannot happen when
    /// the capacity is at least the policy's limit.
    LogFull {
        /// The log's capacity in entries.
        capacity: usize,
    },
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::ZeroCost => f.write_str("cost must be at least 1, got 0"),
            CheckError::CostExceedsLimit { cost, limit } => {
                write!(f, "cost {cost} is above the limit {limit} and can never be admitted")
            }
            CheckError::LogFull { capacity } => {
                write!(
                    f,
                    "sliding log is full at {capacity} entries; its capacity must be at least the limit"
                )
            }
        }
    }
}

impl core::error::Error for CheckError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_rejects_out_of_range_values() {
        let log = Algorithm::SlidingLog;
        assert_eq!(Policy::new(0, 1, log), Err(PolicyError::ZeroLimit));
        assert_eq!(Policy::new(1, 0, log), Err(PolicyError::ZeroWindow));
        assert_eq!(
            Policy::new(MAX_LIMIT + 1, 1, log),
            Err(PolicyError::LimitTooLarge { limit: MAX_LIMIT + 1 })
        );
        assert_eq!(
            Policy::new(1, MAX_WINDOW_MS + 1, log),
            Err(PolicyError::WindowTooLarge {
                window_ms: MAX_WINDOW_MS + 1
            })
        );
        assert!(Policy::new(MAX_LIMIT, MAX_WINDOW_MS, log).is_ok());
    }

    #[test]
    fn bounds_keep_products_exact_in_doubles() {
        let largest = u64::from(MAX_LIMIT) * MAX_WINDOW_MS;
        assert!(largest < 1 << 53, "{largest} does not fit a double exactly");
    }

    #[test]
    fn cost_validation_names_both_values() {
        let policy = Policy::new(5, 1_000, Algorithm::SlidingLog).unwrap();
        assert_eq!(policy.validate_cost(0), Err(CheckError::ZeroCost));
        assert_eq!(
            policy.validate_cost(6),
            Err(CheckError::CostExceedsLimit { cost: 6, limit: 5 })
        );
        assert_eq!(policy.validate_cost(5), Ok(()));
        assert_eq!(
            std::format!("{}", CheckError::CostExceedsLimit { cost: 6, limit: 5 }),
            "cost 6 is above the limit 5 and can never be admitted"
        );
    }

    #[test]
    fn algorithm_names_round_trip() {
        for algorithm in [Algorithm::SlidingLog, Algorithm::SlidingCounter] {
            assert_eq!(Algorithm::from_name(algorithm.as_str()), Some(algorithm));
        }
        assert_eq!(Algorithm::from_name("fixed-window"), None);
    }
}
