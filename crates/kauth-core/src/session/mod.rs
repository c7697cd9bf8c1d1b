//! Session rules: tokens, their hashes, the active rule, the throttled touch
//! and the per-user cap. Stores own the records; this module owns the rules.

#[cfg(feature = "alloc")]
mod record;
mod rules;
mod token;

#[cfg(feature = "alloc")]
pub use record::{
    user_index_key, NewSession, SessionInputError, SessionRecord, MAX_USER_AGENT_LEN, MAX_USER_LEN, RECORD_VERSION,
};
pub use rules::{
    evictions_for_new_session, oldest_first, session_ends_at_ms, session_evictions, session_is_active, session_start,
    session_touch, SessionPolicy, SessionPolicyError, SessionTimes, MAX_SESSIONS_PER_USER, MAX_SESSION_TTL_MS,
};
pub use token::{SessionToken, TokenError, TokenHash, TOKEN_BYTES, TOKEN_LEN};
