//! When a session is active, when a validation writes `last_seen`, and which
//! sessions the per-user cap revokes.

use core::fmt;

use crate::lang::Lang;
use crate::Native;

/// How long sessions live and how many a user may hold.
///
/// ```
/// use kauth_core::session::SessionPolicy;
///
/// let policy = SessionPolicy::default();
/// assert_eq!(policy.absolute_ttl_ms(), 24 * 3_600_000);
/// assert_eq!(policy.idle_timeout_ms(), 30 * 60_000);
/// assert_eq!(policy.touch_interval_ms(), 3 * 60_000);
/// assert_eq!(policy.max_sessions_per_user(), 10);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    absolute_ttl_ms: u64,
    idle_timeout_ms: u64,
    touch_interval_ms: u64,
    max_sessions_per_user: u32,
}

/// Longest accepted absolute lifetime: 366 days in milliseconds.
pub const MAX_SESSION_TTL_MS: u64 = 366 * 24 * 3_600_000;
/// Largest accepted per-user cap.
pub const MAX_SESSIONS_PER_USER: u32 = 1_000;

impl SessionPolicy {
    /// Builds a policy. The touch interval is a tenth of the idle timeout, so
    /// a session in use is written at most ten times per idle period.
    ///
    /// Rejects zero values, an idle timeout longer than the absolute
    /// lifetime, a lifetime above [`MAX_SESSION_TTL_MS`] and a cap above
    /// [`MAX_SESSIONS_PER_USER`].
    pub const fn new(
        absolute_ttl_ms: u64,
        idle_timeout_ms: u64,
        max_sessions_per_user: u32,
    ) -> Result<Self, SessionPolicyError> {
        if absolute_ttl_ms == 0 || absolute_ttl_ms > MAX_SESSION_TTL_MS {
            return Err(SessionPolicyError::AbsoluteTtl { absolute_ttl_ms });
        }
        if idle_timeout_ms == 0 || idle_timeout_ms > absolute_ttl_ms {
            return Err(SessionPolicyError::IdleTimeout {
                idle_timeout_ms,
                absolute_ttl_ms,
            });
        }
        if max_sessions_per_user == 0 || max_sessions_per_user > MAX_SESSIONS_PER_USER {
            return Err(SessionPolicyError::MaxSessionsPerUser { max_sessions_per_user });
        }
        Ok(SessionPolicy {
            absolute_ttl_ms,
            idle_timeout_ms,
            touch_interval_ms: idle_timeout_ms / 10,
            max_sessions_per_user,
        })
    }

    /// Lifetime from creation, in milliseconds, that no activity extends.
    pub const fn absolute_ttl_ms(&self) -> u64 {
        self.absolute_ttl_ms
    }

    /// Inactivity after which a session ends, in milliseconds.
    pub const fn idle_timeout_ms(&self) -> u64 {
        self.idle_timeout_ms
    }

    /// Minimum time between two writes of `last_seen`, in milliseconds.
    pub const fn touch_interval_ms(&self) -> u64 {
        self.touch_interval_ms
    }

    /// Active sessions a user may hold; creating one more revokes the oldest.
    pub const fn max_sessions_per_user(&self) -> u32 {
        self.max_sessions_per_user
    }
}

impl Default for SessionPolicy {
    /// 24 hours absolute, 30 minutes idle, 10 sessions per user.
    fn default() -> Self {
        match SessionPolicy::new(24 * 3_600_000, 30 * 60_000, 10) {
            Ok(policy) => policy,
            Err(_) => panic!("default session policy is within bounds"),
        }
    }
}

/// The reason a [`SessionPolicy`] could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionPolicyError {
    /// The absolute lifetime was 0 or above [`MAX_SESSION_TTL_MS`].
    AbsoluteTtl {
        /// The rejected value, in milliseconds.
        absolute_ttl_ms: u64,
    },
    /// The idle timeout was 0 or longer than the absolute lifetime.
    IdleTimeout {
        /// The rejected value, in milliseconds.
        idle_timeout_ms: u64,
        /// The absolute lifetime it was compared with, in milliseconds.
        absolute_ttl_ms: u64,
    },
    /// The per-user cap was 0 or above [`MAX_SESSIONS_PER_USER`].
    MaxSessionsPerUser {
        /// The rejected value.
        max_sessions_per_user: u32,
    },
}

impl fmt::Display for SessionPolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionPolicyError::AbsoluteTtl { absolute_ttl_ms } => write!(
                f,
                "absolute_ttl_ms must be between 1 and {MAX_SESSION_TTL_MS}, got {absolute_ttl_ms}"
            ),
            SessionPolicyError::IdleTimeout {
                idle_timeout_ms,
                absolute_ttl_ms,
            } => write!(
                f,
                "idle_timeout_ms must be between 1 and absolute_ttl_ms ({absolute_ttl_ms}), got {idle_timeout_ms}"
            ),
            SessionPolicyError::MaxSessionsPerUser { max_sessions_per_user } => write!(
                f,
                "max_sessions_per_user must be between 1 and {MAX_SESSIONS_PER_USER}, got {max_sessions_per_user}"
            ),
        }
    }
}

impl core::error::Error for SessionPolicyError {}

/// The instants that decide whether a session is active, in unix-epoch
/// milliseconds.
///
/// Generic over the integer type so that the rules below can run on values
/// of any [`Lang`]; stores use the default, `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionTimes<I = u64> {
    /// When the session was created.
    pub created_ms: I,
    /// The last validation that was written.
    pub last_seen_ms: I,
    /// The absolute end, `created_ms + absolute_ttl_ms`.
    pub expires_at_ms: I,
    /// Inactivity after which the session ends, in milliseconds.
    pub idle_timeout_ms: I,
}

impl SessionTimes {
    /// Times of a session created at `now_ms` under `policy`.
    pub fn start(policy: &SessionPolicy, now_ms: u64) -> Self {
        let l = &mut Native::new(());
        session_start(l, now_ms, policy.absolute_ttl_ms, policy.idle_timeout_ms)
    }

    /// The instant the session stops being active if not touched again: the
    /// earlier of its absolute expiry and `last_seen_ms + idle_timeout_ms`.
    pub fn ends_at_ms(&self) -> u64 {
        session_ends_at_ms(&mut Native::new(()), self)
    }

    /// Whether the session is active at `now_ms`: strictly before both ends.
    pub fn is_active(&self, now_ms: u64) -> bool {
        session_is_active(&mut Native::new(()), self, now_ms)
    }

    /// The new `last_seen_ms` a validation at `now_ms` should write, or
    /// `None` when it should write nothing: the session is not active, the
    /// last write is less than `touch_interval_ms` old, or the clock reads
    /// earlier than `last_seen_ms`. Because [`SessionTimes::ends_at_ms`] is
    /// capped by `expires_at_ms`, no touch extends a session past its
    /// absolute expiry.
    ///
    /// ```
    /// use kauth_core::session::{SessionPolicy, SessionTimes};
    ///
    /// let policy = SessionPolicy::new(3_600_000, 600_000, 5).unwrap();
    /// let times = SessionTimes::start(&policy, 1_000_000);
    /// assert_eq!(times.touch(1_000_000 + 59_999, policy.touch_interval_ms()), None);
    /// assert_eq!(times.touch(1_000_000 + 60_000, policy.touch_interval_ms()), Some(1_060_000));
    /// ```
    pub fn touch(&self, now_ms: u64, touch_interval_ms: u64) -> Option<u64> {
        let (touched, last_seen_ms) = session_touch(&mut Native::new(()), self, now_ms, touch_interval_ms);
        touched.then_some(last_seen_ms)
    }
}

/// The times of a session created at `now_ms`. The one definition both
/// backends run, like the rules below.
pub fn session_start<L: Lang>(
    l: &mut L,
    now_ms: L::Int,
    absolute_ttl_ms: L::Int,
    idle_timeout_ms: L::Int,
) -> SessionTimes<L::Int> {
    SessionTimes {
        created_ms: now_ms,
        last_seen_ms: now_ms,
        expires_at_ms: l.add(now_ms, absolute_ttl_ms),
        idle_timeout_ms,
    }
}

/// The earlier of the absolute expiry and the end of the idle timeout.
pub fn session_ends_at_ms<L: Lang>(l: &mut L, times: &SessionTimes<L::Int>) -> L::Int {
    let idle_end_ms = l.add(times.last_seen_ms, times.idle_timeout_ms);
    l.min(idle_end_ms, times.expires_at_ms)
}

/// Whether a session is active at `now_ms`.
pub fn session_is_active<L: Lang>(l: &mut L, times: &SessionTimes<L::Int>, now_ms: L::Int) -> L::Bool {
    let ends_at_ms = session_ends_at_ms(l, times);
    l.lt(now_ms, ends_at_ms)
}

/// Whether a validation at `now_ms` writes `last_seen_ms`, and the value it
/// leaves (unchanged when it does not write).
pub fn session_touch<L: Lang>(
    l: &mut L,
    times: &SessionTimes<L::Int>,
    now_ms: L::Int,
    touch_interval_ms: L::Int,
) -> (L::Bool, L::Int) {
    let active = session_is_active(l, times, now_ms);
    let due_ms = l.add(times.last_seen_ms, touch_interval_ms);
    let due = l.le(due_ms, now_ms);
    let touched = l.and_then(active, |_| due);
    let last_seen_ms = l.select(touched, now_ms, times.last_seen_ms);
    (touched, last_seen_ms)
}

/// How many of a user's `active` sessions the cap revokes before one more is
/// created: enough to leave room for it.
pub fn session_evictions<L: Lang>(l: &mut L, active: L::Int, max_sessions_per_user: L::Int) -> L::Int {
    let one = l.int(1);
    let with_new = l.add(active, one);
    l.sub(with_new, max_sessions_per_user)
}

/// How many existing sessions the per-user cap revokes when one more is
/// created, given the user's `active` count: enough to leave room for the new
/// one. The revoked ones are the oldest by creation time, ties broken by
/// token hash (see [`oldest_first`]).
pub fn evictions_for_new_session(active: usize, max_sessions_per_user: u32) -> usize {
    let l = &mut Native::new(());
    session_evictions(l, active as u64, u64::from(max_sessions_per_user)) as usize
}

/// Order of revocation under the cap: creation time, then token hash.
pub fn oldest_first(a: (u64, &super::TokenHash), b: (u64, &super::TokenHash)) -> core::cmp::Ordering {
    a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1))
}
