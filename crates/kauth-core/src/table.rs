//! A keyed limiter table on the heap, bounded by a maximum number of keys.
//!
//! # When the table is full
//!
//! Adding a key to a full table first sweeps every expired state. If the
//! table is still full, it evicts the states holding the least cost, up to a
//! sixteenth of the capacity at once, so that the scan is paid once per many
//! insertions. This is chosen for security: a flood of one-off subjects, such
//! as an attacker rotating addresses, can only push out states holding little,
//! while subjects that are near or at their limit are the last to go. A new
//! subject is never admitted untracked.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::{CheckError, Decision, LimiterState, LogEntry, Policy};

/// Default maximum number of keys: about 100 MB at five entries a key.
pub const DEFAULT_MAX_KEYS: usize = 1_000_000;

/// One tracked key and its state.
type Entry<K> = (K, LimiterState<VecDeque<LogEntry>>);

/// Rate-limit state for many keys. Not synchronised: wrap it in a lock, or
/// shard it across several, to share it.
///
/// Tables built [`with_hasher`](LimiterTable::with_hasher) from one hasher
/// hash keys alike, so that a sharded store can hash a key once, pick a
/// shard from the hash and hand the same hash to
/// [`check_hashed`](LimiterTable::check_hashed).
#[derive(Debug)]
pub struct LimiterTable<K> {
    states: HashTable<Entry<K>>,
    hasher: DefaultHashBuilder,
    max_keys: usize,
    evictions: u64,
}

impl<K: Hash + Eq> LimiterTable<K> {
    /// Creates an empty table holding at most `max_keys` keys (at least 1),
    /// with a hasher seeded at random.
    pub fn new(max_keys: usize) -> Self {
        LimiterTable::with_hasher(max_keys, DefaultHashBuilder::default())
    }

    /// Creates an empty table holding at most `max_keys` keys (at least 1)
    /// that hashes keys with `hasher`.
    pub fn with_hasher(max_keys: usize, hasher: DefaultHashBuilder) -> Self {
        LimiterTable {
            states: HashTable::new(),
            hasher,
            max_keys: max_keys.max(1),
            evictions: 0,
        }
    }

    /// Returns the hash of `key` that [`LimiterTable::check_hashed`] expects.
    pub fn hash_key<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Checks a hit of `cost` for `key` at `now_ms` and records it if
    /// admitted. Amortised O(1), plus the algorithm's own cost.
    pub fn check<Q>(&mut self, key: &Q, policy: &Policy, now_ms: u64, cost: u32) -> Result<Decision, CheckError>
    where
        K: Borrow<Q> + for<'q> From<&'q Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hash_key(key);
        self.check_hashed(hash, key, policy, now_ms, cost)
    }

    /// [`LimiterTable::check`] with the key's hash already computed.
    ///
    /// `hash` must be [`LimiterTable::hash_key`] of `key`, from this table
    /// or one built with the same hasher. Any other value would track the
    /// key a second time, with a fresh budget; debug builds panic on it.
    pub fn check_hashed<Q>(
        &mut self,
        hash: u64,
        key: &Q,
        policy: &Policy,
        now_ms: u64,
        cost: u32,
    ) -> Result<Decision, CheckError>
    where
        K: Borrow<Q> + for<'q> From<&'q Q>,
        Q: Hash + Eq + ?Sized,
    {
        debug_assert_eq!(hash, self.hash_key(key), "the hash given is not the key's");
        if let Some((_, state)) = self.states.find_mut(hash, |(tracked, _)| tracked.borrow() == key) {
            return state.check(policy, now_ms, cost);
        }

        let mut state = LimiterState::new(policy);
        let decision = state.check(policy, now_ms, cost)?;
        if self.states.len() >= self.max_keys {
            self.make_room(now_ms);
        }
        let hasher = &self.hasher;
        self.states
            .insert_unique(hash, (K::from(key), state), |(tracked, _)| hasher.hash_one(tracked));
        Ok(decision)
    }

    /// The decision [`LimiterTable::check`] would return, recording nothing.
    pub fn peek<Q>(&self, key: &Q, policy: &Policy, now_ms: u64, cost: u32) -> Result<Decision, CheckError>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hash_key(key);
        match self.states.find(hash, |(tracked, _)| tracked.borrow() == key) {
            Some((_, state)) => state.peek(policy, now_ms, cost),
            None => LimiterState::<VecDeque<LogEntry>>::new(policy).peek(policy, now_ms, cost),
        }
    }

    /// Forgets `key`. Returns whether it was tracked.
    pub fn reset<Q>(&mut self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hash_key(key);
        match self.states.find_entry(hash, |(tracked, _)| tracked.borrow() == key) {
            Ok(entry) => {
                entry.remove();
                true
            }
            Err(_) => false,
        }
    }

    /// Drops every state that contains no hit at `now_ms`. O(keys).
    pub fn sweep(&mut self, now_ms: u64) -> usize {
        let before = self.states.len();
        self.states.retain(|(_, state)| !state.is_expired(now_ms));
        before - self.states.len()
    }

    /// Number of tracked keys.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The maximum number of keys.
    pub fn max_keys(&self) -> usize {
        self.max_keys
    }

    /// Keys evicted since creation because the table was full.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    fn make_room(&mut self, now_ms: u64) {
        if self.sweep(now_ms) > 0 {
            return;
        }

        // Find the held-cost threshold below which a batch of states lies.
        let batch = (self.max_keys / 16).max(1);
        let mut ranks: Vec<(u32, u64)> = self.states.iter().map(|(_, s)| (s.held(), s.empty_at_ms())).collect();
        let (_, threshold, _) = ranks.select_nth_unstable(batch - 1);
        let threshold = *threshold;

        let mut evicted = 0;
        self.states.retain(|(_, state)| {
            if evicted < batch && (state.held(), state.empty_at_ms()) <= threshold {
                evicted += 1;
                false
            } else {
                true
            }
        });
        self.evictions += evicted as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Algorithm;
    use alloc::string::{String, ToString};

    fn policy() -> Policy {
        Policy::new(5, 1_000, Algorithm::SlidingLog).unwrap()
    }

    #[test]
    fn full_table_sweeps_expired_first() {
        // "a" empties at 1_000 and expires STATE_GRACE_MS later; "b" is a minute younger.
        let mut table: LimiterTable<String> = LimiterTable::new(2);
        table.check("a", &policy(), 0, 1).unwrap();
        table.check("b", &policy(), 60_500, 1).unwrap();
        let now_ms = 1_000 + crate::STATE_GRACE_MS;
        table.check("c", &policy(), now_ms, 1).unwrap();
        assert_eq!(table.len(), 2);
        assert!(!table.peek("b", &policy(), now_ms, 5).unwrap().allowed);
        assert!(table.peek("a", &policy(), now_ms, 5).unwrap().allowed);
        assert_eq!(table.evictions(), 0);
    }

    #[test]
    fn tables_sharing_a_hasher_share_hashes() {
        let hasher = DefaultHashBuilder::default();
        let mut first: LimiterTable<String> = LimiterTable::with_hasher(8, hasher);
        let second: LimiterTable<String> = LimiterTable::with_hasher(8, hasher);
        let hash = second.hash_key("subject");
        assert_eq!(hash, first.hash_key("subject"));

        for _ in 0..5 {
            assert!(first.check_hashed(hash, "subject", &policy(), 0, 1).unwrap().allowed);
        }
        assert!(!first.check_hashed(hash, "subject", &policy(), 0, 1).unwrap().allowed);
        assert!(!first.check("subject", &policy(), 0, 1).unwrap().allowed);
        assert_eq!(first.len(), 1);
        assert!(first.reset("subject"));
        assert!(first.is_empty());
    }

    #[test]
    fn full_table_keeps_subjects_at_their_limit() {
        let mut table: LimiterTable<String> = LimiterTable::new(4);
        for _ in 0..5 {
            table.check("attacker", &policy(), 0, 1).unwrap();
        }
        for index in 0..20 {
            table.check(&index.to_string(), &policy(), 10, 1).unwrap();
        }
        assert!(table.len() <= 4);
        assert!(table.evictions() > 0);
        let decision = table.check("attacker", &policy(), 20, 1).unwrap();
        assert!(!decision.allowed, "the subject at its limit was evicted");
    }
}
