//! The in-memory session store.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use kauth_core::session::{
    evictions_for_new_session, oldest_first, user_index_key, NewSession, SessionInputError, SessionPolicy,
    SessionRecord, SessionToken, TokenHash,
};
use rand_core::OsRng;

use crate::limiter::lock;
use crate::{Clock, SystemClock};

/// Default maximum number of sessions held.
pub const DEFAULT_MAX_SESSIONS: usize = 1_000_000;

/// Operations between two full sweeps of expired sessions, at least.
const MIN_OPERATIONS_BETWEEN_SWEEPS: usize = 4_096;

/// Sessions in process memory, shareable across threads and tasks.
///
/// All sessions sit behind one mutex, so every operation, revoke-all and
/// rotate included, is atomic: no validation can interleave with a
/// revocation and bring a session back.
///
/// # Memory
///
/// At most `max_sessions` sessions are held (1,000,000 by default). Expired
/// sessions are swept as the store is used. When the store is full of active
/// sessions, creating another fails with [`SessionError::Full`] rather than
/// logging anyone out.
pub struct MemorySessionStore {
    inner: Mutex<Inner>,
    policy: SessionPolicy,
    max_sessions: usize,
    clock: Arc<dyn Clock>,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<TokenHash, SessionRecord>,
    /// Token hashes per `user_index_key`; may hold hashes of sessions that
    /// have since expired, which readers prune.
    by_user: HashMap<String, HashSet<TokenHash>>,
    operations_since_sweep: usize,
}

impl fmt::Debug for MemorySessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySessionStore")
            .field("sessions", &lock(&self.inner).sessions.len())
            .field("policy", &self.policy)
            .field("max_sessions", &self.max_sessions)
            .finish()
    }
}

impl Default for MemorySessionStore {
    fn default() -> Self {
        MemorySessionStore::builder().build()
    }
}

impl MemorySessionStore {
    /// A builder with the defaults: system clock, [`SessionPolicy::default`],
    /// [`DEFAULT_MAX_SESSIONS`].
    pub fn builder() -> MemorySessionStoreBuilder {
        MemorySessionStoreBuilder {
            clock: Arc::new(SystemClock),
            policy: SessionPolicy::default(),
            max_sessions: DEFAULT_MAX_SESSIONS,
        }
    }

    /// The policy sessions are created and validated under.
    pub fn policy(&self) -> &SessionPolicy {
        &self.policy
    }

    /// The clock this store reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Creates a session at `now_ms` and returns its token, which is not
    /// kept, with its record. If the user already has the maximum number of
    /// active sessions, the oldest are revoked first.
    pub fn create_at(&self, new: NewSession, now_ms: u64) -> Result<(SessionToken, SessionRecord), SessionError> {
        new.validate().map_err(SessionError::Input)?;
        let mut inner = lock(&self.inner);
        inner.sweep_if_due(now_ms);

        let index_key = user_index_key(&new.workspace, &new.user);
        let mut active = inner.active_of(&index_key, now_ms);
        let evictions = evictions_for_new_session(active.len(), self.policy.max_sessions_per_user());
        active.sort_by(|a, b| oldest_first((a.1, &a.0), (b.1, &b.0)));
        for (hash, _) in active.iter().take(evictions) {
            inner.remove(hash);
        }

        if inner.sessions.len() >= self.max_sessions && inner.sweep(now_ms) == 0 {
            return Err(SessionError::Full {
                max_sessions: self.max_sessions,
            });
        }

        let token = SessionToken::generate(&mut OsRng);
        let record = new.to_record(token.hash(), &self.policy, now_ms);
        inner.by_user.entry(index_key).or_default().insert(record.token_hash);
        inner.sessions.insert(record.token_hash, record.clone());
        Ok((token, record))
    }

    /// Validates `token` at `now_ms`: returns its record if the session is
    /// active, writing `last_seen_ms` when the touch interval has passed.
    /// Text that is not shaped like a token is simply not found.
    pub fn validate_at(&self, token: &str, now_ms: u64) -> Option<SessionRecord> {
        let hash = SessionToken::parse(token).ok()?.hash();
        let mut inner = lock(&self.inner);
        inner.operations_since_sweep += 1;

        let record = inner.sessions.get_mut(&hash)?;
        if !record.times.is_active(now_ms) {
            inner.remove(&hash);
            return None;
        }
        if let Some(last_seen_ms) = record.times.touch(now_ms, self.policy.touch_interval_ms()) {
            record.times.last_seen_ms = last_seen_ms;
        }
        Some(record.clone())
    }

    /// Revokes the session of `token`. Returns whether an active one existed.
    pub fn revoke_at(&self, token: &str, now_ms: u64) -> bool {
        let Ok(parsed) = SessionToken::parse(token) else {
            return false;
        };
        let mut inner = lock(&self.inner);
        inner
            .remove(&parsed.hash())
            .is_some_and(|record| record.times.is_active(now_ms))
    }

    /// Revokes every session of `user` in `workspace`, active or not, and
    /// returns how many were active.
    pub fn revoke_all_at(&self, workspace: &str, user: &str, now_ms: u64) -> usize {
        let mut inner = lock(&self.inner);
        let Some(hashes) = inner.by_user.remove(&user_index_key(workspace, user)) else {
            return 0;
        };
        hashes
            .iter()
            .filter_map(|hash| inner.sessions.remove(hash))
            .filter(|record| record.times.is_active(now_ms))
            .count()
    }

    /// Returns the active sessions of `user` in `workspace`, oldest first. Expired
    /// ones are pruned from the index on the way.
    pub fn list_at(&self, workspace: &str, user: &str, now_ms: u64) -> Vec<SessionRecord> {
        let mut inner = lock(&self.inner);
        let active = inner.active_of(&user_index_key(workspace, user), now_ms);
        let mut records: Vec<SessionRecord> = active
            .iter()
            .filter_map(|(hash, _)| inner.sessions.get(hash).cloned())
            .collect();
        records.sort_by(|a, b| oldest_first((a.times.created_ms, &a.token_hash), (b.times.created_ms, &b.token_hash)));
        records
    }

    /// Counts the active sessions of `user` in `workspace`.
    pub fn count_at(&self, workspace: &str, user: &str, now_ms: u64) -> usize {
        let mut inner = lock(&self.inner);
        inner.active_of(&user_index_key(workspace, user), now_ms).len()
    }

    /// Replaces the token of an active session: the old token stops working
    /// at once, the record moves to the new one unchanged but for its hash.
    pub fn rotate_at(&self, token: &str, now_ms: u64) -> Option<(SessionToken, SessionRecord)> {
        let old_hash = SessionToken::parse(token).ok()?.hash();
        let mut inner = lock(&self.inner);
        let mut record = inner.remove(&old_hash)?;
        if !record.times.is_active(now_ms) {
            return None;
        }

        let token = SessionToken::generate(&mut OsRng);
        record.token_hash = token.hash();
        let index_key = user_index_key(&record.workspace, &record.user);
        inner.by_user.entry(index_key).or_default().insert(record.token_hash);
        inner.sessions.insert(record.token_hash, record.clone());
        Some((token, record))
    }

    /// Drops every expired session now. Returns how many went.
    pub fn sweep(&self) -> usize {
        lock(&self.inner).sweep(self.clock.now_ms())
    }

    /// Number of sessions held, expired or not.
    pub fn len(&self) -> usize {
        lock(&self.inner).sessions.len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Inner {
    /// The active sessions under `index_key` with their creation times,
    /// pruning index entries whose session is gone or expired.
    fn active_of(&mut self, index_key: &str, now_ms: u64) -> Vec<(TokenHash, u64)> {
        let Some(hashes) = self.by_user.get(index_key) else {
            return Vec::new();
        };
        let mut active = Vec::with_capacity(hashes.len());
        let mut stale = Vec::new();
        for hash in hashes {
            match self.sessions.get(hash) {
                Some(record) if record.times.is_active(now_ms) => active.push((*hash, record.times.created_ms)),
                _ => stale.push(*hash),
            }
        }
        for hash in stale {
            self.remove(&hash);
            if let Some(hashes) = self.by_user.get_mut(index_key) {
                hashes.remove(&hash);
            }
        }
        if active.is_empty() {
            self.by_user.remove(index_key);
        }
        active
    }

    /// Removes a session and its index entry.
    fn remove(&mut self, hash: &TokenHash) -> Option<SessionRecord> {
        let record = self.sessions.remove(hash)?;
        let index_key = user_index_key(&record.workspace, &record.user);
        if let Some(hashes) = self.by_user.get_mut(&index_key) {
            hashes.remove(hash);
            if hashes.is_empty() {
                self.by_user.remove(&index_key);
            }
        }
        Some(record)
    }

    fn sweep_if_due(&mut self, now_ms: u64) {
        self.operations_since_sweep += 1;
        if self.operations_since_sweep >= MIN_OPERATIONS_BETWEEN_SWEEPS.max(self.sessions.len()) {
            self.sweep(now_ms);
        }
    }

    fn sweep(&mut self, now_ms: u64) -> usize {
        self.operations_since_sweep = 0;
        let before = self.sessions.len();
        self.sessions.retain(|_, record| record.times.is_active(now_ms));
        let sessions = &self.sessions;
        self.by_user.retain(|_, hashes| {
            hashes.retain(|hash| sessions.contains_key(hash));
            !hashes.is_empty()
        });
        before - self.sessions.len()
    }
}

/// The reason a session could not be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// A field was invalid.
    Input(SessionInputError),
    /// The store contains `max_sessions` active sessions.
    Full {
        /// The store's maximum.
        max_sessions: usize,
    },
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Input(error) => error.fmt(f),
            SessionError::Full { max_sessions } => {
                write!(f, "session store is full: {max_sessions} active sessions")
            }
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SessionError::Input(error) => Some(error),
            SessionError::Full { .. } => None,
        }
    }
}

/// Options of a [`MemorySessionStore`].
#[derive(Debug)]
pub struct MemorySessionStoreBuilder {
    clock: Arc<dyn Clock>,
    policy: SessionPolicy,
    max_sessions: usize,
}

impl MemorySessionStoreBuilder {
    /// The clock to read `now` from.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The lifetimes and per-user cap.
    pub fn policy(mut self, policy: SessionPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The maximum number of sessions held, at least 1.
    pub fn max_sessions(mut self, max_sessions: usize) -> Self {
        self.max_sessions = max_sessions.max(1);
        self
    }

    /// Builds the store.
    pub fn build(self) -> MemorySessionStore {
        MemorySessionStore {
            inner: Mutex::new(Inner::default()),
            policy: self.policy,
            max_sessions: self.max_sessions,
            clock: self.clock,
        }
    }
}
