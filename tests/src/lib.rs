//! The conformance suite: one set of behaviours every kauth backend must
//! show, written against the store traits alone.
//!
//! Each function takes a fresh store and drives it with explicit times
//! ([`Now::At`]), so the same assertions hold for a backend whose own clock
//! is Redis `TIME`. Keys and users carry a random workspace name, so suites
//! may share one server. [`conformance_tests!`] expands into one test per
//! function for a backend.

pub mod redis_server;

use std::sync::Arc;

use kauth::core::session::{NewSession, SessionPolicy};
use kauth::core::{Algorithm, Policy, RateKey, Subject, Tier};
use kauth::{Error, Now, RateLimiter, SessionStore};
use rand_core::{OsRng, RngCore};

/// A fixed start time, 2023-11-14T22:13:20Z, so failures are reproducible.
pub const T0_MS: u64 = 1_700_000_000_000;

/// The session policy backends under test must be built with: 10 s
/// absolute, 3 s idle (so a 300 ms touch interval), 3 sessions per user.
pub fn session_policy() -> SessionPolicy {
    SessionPolicy::new(10_000, 3_000, 3).expect("suite session policy is valid")
}

/// A workspace name no other test uses.
pub fn unique_workspace(label: &str) -> String {
    format!("{label}-{:016x}", OsRng.next_u64())
}

fn login_key(workspace: &str, ip: &str) -> RateKey {
    RateKey::new(Tier::Login, workspace, &Subject::client(ip)).expect("test key is valid")
}

fn policy(limit: u32, window_ms: u64, algorithm: Algorithm) -> Policy {
    Policy::new(limit, window_ms, algorithm).expect("test policy is valid")
}

fn new_session(workspace: &str, user: &str) -> NewSession {
    NewSession {
        user: user.to_owned(),
        workspace: workspace.to_owned(),
        ip: Some("203.0.113.20".parse().expect("valid address")),
        user_agent: "conformance/1.0".to_owned(),
    }
}

/// The sliding log admits exactly `limit`, then reports exact waits.
pub async fn sliding_log_admits_limit_then_waits(limiter: Arc<dyn RateLimiter>) {
    let key = login_key(&unique_workspace("log"), "203.0.113.1");
    let policy = policy(3, 1_000, Algorithm::SlidingLog);

    for (offset_ms, remaining) in [(0, 2), (100, 1), (200, 0)] {
        let decision = limiter
            .check(&key, &policy, 1, Now::At(T0_MS + offset_ms))
            .await
            .unwrap();
        assert!(decision.allowed, "hit at +{offset_ms} ms rejected");
        assert_eq!(decision.remaining, remaining);
        assert_eq!(decision.retry_after_ms, 0);
        assert_eq!(decision.reset_after_ms, 1_000);
    }

    let denied = limiter.check(&key, &policy, 1, Now::At(T0_MS + 500)).await.unwrap();
    assert!(!denied.allowed);
    assert_eq!(denied.limit, 3);
    assert_eq!(denied.remaining, 0);
    assert_eq!(denied.retry_after_ms, 500);
    assert_eq!(denied.reset_after_ms, 700);

    let early = limiter.check(&key, &policy, 1, Now::At(T0_MS + 999)).await.unwrap();
    assert!(!early.allowed);
    assert_eq!(early.retry_after_ms, 1);
    let on_time = limiter.check(&key, &policy, 1, Now::At(T0_MS + 1_000)).await.unwrap();
    assert!(on_time.allowed);
    assert_eq!(on_time.remaining, 0);
}

/// A rejected hit records nothing: it neither counts nor extends expiry.
pub async fn rejected_hits_record_nothing(limiter: Arc<dyn RateLimiter>) {
    let key = login_key(&unique_workspace("reject"), "203.0.113.2");
    let policy = policy(2, 1_000, Algorithm::SlidingLog);
    limiter.check(&key, &policy, 2, Now::At(T0_MS)).await.unwrap();

    for offset_ms in (100..1_000).step_by(100) {
        let denied = limiter
            .check(&key, &policy, 1, Now::At(T0_MS + offset_ms))
            .await
            .unwrap();
        assert!(!denied.allowed);
        assert_eq!(denied.retry_after_ms, 1_000 - offset_ms);
    }
    let after = limiter.check(&key, &policy, 2, Now::At(T0_MS + 1_000)).await.unwrap();
    assert!(after.allowed, "rejected hits were counted");
}

/// Cost counts as that many hits; a cost above the limit is an error.
pub async fn costs_count_and_oversized_cost_fails(limiter: Arc<dyn RateLimiter>) {
    let key = login_key(&unique_workspace("cost"), "203.0.113.3");
    let policy = policy(5, 60_000, Algorithm::SlidingLog);

    let decision = limiter.check(&key, &policy, 3, Now::At(T0_MS)).await.unwrap();
    assert_eq!(decision.remaining, 2);
    let denied = limiter.check(&key, &policy, 3, Now::At(T0_MS + 1)).await.unwrap();
    assert!(!denied.allowed);
    assert_eq!(denied.remaining, 2);

    let error = limiter.check(&key, &policy, 6, Now::At(T0_MS + 2)).await.unwrap_err();
    assert!(matches!(error, Error::InvalidCheck(_)), "{error}");
    assert_eq!(
        error.to_string(),
        "invalid rate-limit check: cost 6 is above the limit 5 and can never be admitted"
    );
    let zero = limiter.check(&key, &policy, 0, Now::At(T0_MS + 2)).await.unwrap_err();
    assert!(matches!(zero, Error::InvalidCheck(_)));

    let unchanged = limiter.peek(&key, &policy, 1, Now::At(T0_MS + 3)).await.unwrap();
    assert_eq!(unchanged.remaining, 1);
}

/// Peek reports what a check would, and consumes nothing.
pub async fn peek_consumes_nothing(limiter: Arc<dyn RateLimiter>) {
    let key = login_key(&unique_workspace("peek"), "203.0.113.4");
    for algorithm in [Algorithm::SlidingLog, Algorithm::SlidingCounter] {
        let policy = policy(2, 1_000, algorithm);
        limiter.reset(&key).await.unwrap();
        for _ in 0..5 {
            let peeked = limiter.peek(&key, &policy, 1, Now::At(T0_MS)).await.unwrap();
            assert!(peeked.allowed);
            assert_eq!(peeked.remaining, 1, "{algorithm}");
        }
        limiter.check(&key, &policy, 2, Now::At(T0_MS)).await.unwrap();
        let peeked = limiter.peek(&key, &policy, 1, Now::At(T0_MS + 10)).await.unwrap();
        let checked = limiter.check(&key, &policy, 1, Now::At(T0_MS + 10)).await.unwrap();
        assert_eq!(peeked, checked, "{algorithm}");
    }
}

/// Checks that reset clears every hit of one key and nothing of another.
pub async fn reset_forgets_one_key(limiter: Arc<dyn RateLimiter>) {
    let workspace = unique_workspace("reset");
    let first = login_key(&workspace, "203.0.113.5");
    let second = login_key(&workspace, "203.0.113.6");
    let policy = policy(1, 60_000, Algorithm::SlidingLog);
    limiter.check(&first, &policy, 1, Now::At(T0_MS)).await.unwrap();
    limiter.check(&second, &policy, 1, Now::At(T0_MS)).await.unwrap();

    limiter.reset(&first).await.unwrap();
    assert!(
        limiter
            .check(&first, &policy, 1, Now::At(T0_MS + 1))
            .await
            .unwrap()
            .allowed
    );
    assert!(
        !limiter
            .check(&second, &policy, 1, Now::At(T0_MS + 1))
            .await
            .unwrap()
            .allowed
    );
}

/// Tiers, workspaces and subjects never share a counter; canonical subjects do.
pub async fn keys_are_isolated_and_canonical(limiter: Arc<dyn RateLimiter>) {
    let workspace = unique_workspace("keys");
    let other_workspace = unique_workspace("keys");
    let policy = policy(1, 60_000, Algorithm::SlidingLog);
    let key = |tier: Tier, workspace: &str, subject: Subject<'_>| RateKey::new(tier, workspace, &subject).unwrap();

    let base = key(Tier::Login, &workspace, Subject::client("203.0.113.7"));
    assert!(limiter.check(&base, &policy, 1, Now::At(T0_MS)).await.unwrap().allowed);

    let same = [
        key(Tier::Login, &workspace, Subject::client("::ffff:203.0.113.7")),
        key(Tier::Login, &workspace, Subject::client(" 203.0.113.7 ")),
    ];
    for key in &same {
        assert!(
            !limiter.check(key, &policy, 1, Now::At(T0_MS)).await.unwrap().allowed,
            "{key}"
        );
    }
    let different = [
        key(Tier::Mfa, &workspace, Subject::client("203.0.113.7")),
        key(Tier::Login, &other_workspace, Subject::client("203.0.113.7")),
        key(Tier::Login, &workspace, Subject::client("203.0.113.8")),
        key(Tier::Login, &workspace, Subject::User("203.0.113.7")),
    ];
    for key in &different {
        assert!(
            limiter.check(key, &policy, 1, Now::At(T0_MS)).await.unwrap().allowed,
            "{key}"
        );
    }
}

/// The sliding window counter weighs the previous window by its overlap.
pub async fn sliding_counter_weighs_previous_window(limiter: Arc<dyn RateLimiter>) {
    let key = login_key(&unique_workspace("counter"), "203.0.113.9");
    let policy = policy(10, 1_000, Algorithm::SlidingCounter);
    // T0_MS is a multiple of 1_000, so a fixed window starts there.
    for _ in 0..10 {
        assert!(
            limiter
                .check(&key, &policy, 1, Now::At(T0_MS + 999))
                .await
                .unwrap()
                .allowed
        );
    }
    let denied = limiter.check(&key, &policy, 3, Now::At(T0_MS + 1_250)).await.unwrap();
    assert!(!denied.allowed);
    assert_eq!(denied.remaining, 2);
    assert_eq!(denied.retry_after_ms, 50);
    assert_eq!(denied.reset_after_ms, 750);
    let admitted = limiter.check(&key, &policy, 3, Now::At(T0_MS + 1_300)).await.unwrap();
    assert!(admitted.allowed);
    assert_eq!(admitted.remaining, 0);
    assert_eq!(admitted.reset_after_ms, 1_700);
}

/// Concurrent checks of one key admit exactly the limit.
pub async fn concurrent_checks_admit_exactly_limit(limiter: Arc<dyn RateLimiter>) {
    let key = login_key(&unique_workspace("burst"), "203.0.113.10");
    let policy = policy(5, 60_000, Algorithm::SlidingLog);
    let tasks: Vec<_> = (0..64)
        .map(|index| {
            let limiter = Arc::clone(&limiter);
            let key = key.clone();
            tokio::spawn(async move { limiter.check(&key, &policy, 1, Now::At(T0_MS + index % 7)).await })
        })
        .collect();
    let mut admitted = 0;
    for task in tasks {
        if task.await.unwrap().unwrap().allowed {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 5);
}

/// A session validates with the record it was created with.
pub async fn session_create_then_validate(sessions: Arc<dyn SessionStore>) {
    let workspace = unique_workspace("create");
    let issued = sessions
        .create(new_session(&workspace, "ann"), Now::At(T0_MS))
        .await
        .unwrap();
    assert_eq!(issued.token.as_str().len(), 43);
    assert_eq!(issued.record.token_hash, issued.token.hash());
    assert_eq!(issued.record.times.created_ms, T0_MS);
    assert_eq!(issued.record.times.expires_at_ms, T0_MS + 10_000);

    let record = sessions
        .validate(issued.token.as_str(), Now::At(T0_MS + 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record, issued.record);
    assert_eq!(record.user, "ann");
    assert_eq!(record.workspace, workspace);
    assert_eq!(record.ip, Some("203.0.113.20".parse().unwrap()));
    assert_eq!(record.user_agent, "conformance/1.0");
}

/// Validation writes last_seen at most once per touch interval, and never
/// past the absolute expiry.
pub async fn session_touch_is_throttled_and_bounded(sessions: Arc<dyn SessionStore>) {
    let workspace = unique_workspace("touch");
    let issued = sessions
        .create(new_session(&workspace, "bob"), Now::At(T0_MS))
        .await
        .unwrap();
    let token = issued.token.as_str();

    let early = sessions.validate(token, Now::At(T0_MS + 299)).await.unwrap().unwrap();
    assert_eq!(early.times.last_seen_ms, T0_MS);
    let touched = sessions.validate(token, Now::At(T0_MS + 300)).await.unwrap().unwrap();
    assert_eq!(touched.times.last_seen_ms, T0_MS + 300);

    // Keep it busy: every 2.5 s stays within the 3 s idle timeout.
    for step in 1..=3 {
        let at_ms = T0_MS + 300 + step * 2_500;
        let record = sessions.validate(token, Now::At(at_ms)).await.unwrap().unwrap();
        assert_eq!(record.times.last_seen_ms, at_ms);
    }
    assert!(sessions
        .validate(token, Now::At(T0_MS + 9_999))
        .await
        .unwrap()
        .is_some());
    assert!(sessions
        .validate(token, Now::At(T0_MS + 10_000))
        .await
        .unwrap()
        .is_none());
}

/// An idle session ends after the idle timeout.
pub async fn session_idle_timeout_ends_it(sessions: Arc<dyn SessionStore>) {
    let workspace = unique_workspace("idle");
    let issued = sessions
        .create(new_session(&workspace, "cat"), Now::At(T0_MS))
        .await
        .unwrap();
    assert!(sessions
        .validate(issued.token.as_str(), Now::At(T0_MS + 2_999))
        .await
        .unwrap()
        .is_some());
    // That validation touched it, so it now ends 3 s after T0 + 2_999.
    assert!(sessions
        .validate(issued.token.as_str(), Now::At(T0_MS + 5_998))
        .await
        .unwrap()
        .is_some());
    assert!(sessions
        .validate(issued.token.as_str(), Now::At(T0_MS + 8_999))
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        sessions.count(&workspace, "cat", Now::At(T0_MS + 9_000)).await.unwrap(),
        0
    );
}

/// Revocation is final; unknown, malformed and revoked tokens look alike.
pub async fn session_revoke_is_final(sessions: Arc<dyn SessionStore>) {
    let workspace = unique_workspace("revoke");
    let issued = sessions
        .create(new_session(&workspace, "dan"), Now::At(T0_MS))
        .await
        .unwrap();
    let token = issued.token.as_str();
    assert!(sessions.revoke(token, Now::At(T0_MS + 1)).await.unwrap());
    assert!(!sessions.revoke(token, Now::At(T0_MS + 2)).await.unwrap());
    assert!(sessions.validate(token, Now::At(T0_MS + 3)).await.unwrap().is_none());

    let unknown = kauth::core::session::SessionToken::generate(&mut OsRng);
    assert!(sessions
        .validate(unknown.as_str(), Now::At(T0_MS))
        .await
        .unwrap()
        .is_none());
    for malformed in ["", "not a token", &token[1..], &format!("{token}=")] {
        assert!(sessions.validate(malformed, Now::At(T0_MS)).await.unwrap().is_none());
        assert!(!sessions.revoke(malformed, Now::At(T0_MS)).await.unwrap());
    }
}

/// Revoke-all reaches every session of one user and no other user's.
pub async fn session_revoke_all_reaches_every_session(sessions: Arc<dyn SessionStore>) {
    let workspace = unique_workspace("revoke-all");
    let first = sessions
        .create(new_session(&workspace, "eve"), Now::At(T0_MS))
        .await
        .unwrap();
    let second = sessions
        .create(new_session(&workspace, "eve"), Now::At(T0_MS + 1))
        .await
        .unwrap();
    let other = sessions
        .create(new_session(&workspace, "eve2"), Now::At(T0_MS + 2))
        .await
        .unwrap();

    assert_eq!(
        sessions
            .revoke_all(&workspace, "eve", Now::At(T0_MS + 3))
            .await
            .unwrap(),
        2
    );
    for token in [&first.token, &second.token] {
        assert!(sessions
            .validate(token.as_str(), Now::At(T0_MS + 4))
            .await
            .unwrap()
            .is_none());
    }
    assert!(sessions
        .validate(other.token.as_str(), Now::At(T0_MS + 4))
        .await
        .unwrap()
        .is_some());
    assert_eq!(sessions.count(&workspace, "eve", Now::At(T0_MS + 5)).await.unwrap(), 0);
}

/// List and count see active sessions only, oldest first.
pub async fn session_list_and_count(sessions: Arc<dyn SessionStore>) {
    let workspace = unique_workspace("list");
    let first = sessions
        .create(new_session(&workspace, "fay"), Now::At(T0_MS))
        .await
        .unwrap();
    let second = sessions
        .create(new_session(&workspace, "fay"), Now::At(T0_MS + 2_000))
        .await
        .unwrap();

    let listed = sessions.list(&workspace, "fay", Now::At(T0_MS + 2_500)).await.unwrap();
    let hashes: Vec<_> = listed.iter().map(|record| record.token_hash).collect();
    assert_eq!(hashes, vec![first.record.token_hash, second.record.token_hash]);
    assert_eq!(
        sessions.count(&workspace, "fay", Now::At(T0_MS + 2_500)).await.unwrap(),
        2
    );

    // The first one idles out at T0 + 3 s.
    let listed = sessions.list(&workspace, "fay", Now::At(T0_MS + 3_000)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].token_hash, second.record.token_hash);
    assert_eq!(sessions.count(&workspace, "nobody", Now::At(T0_MS)).await.unwrap(), 0);
}

/// Creating one session more than the cap revokes the oldest.
pub async fn session_cap_revokes_oldest(sessions: Arc<dyn SessionStore>) {
    let workspace = unique_workspace("cap");
    let mut issued = Vec::new();
    for index in 0..4 {
        issued.push(
            sessions
                .create(new_session(&workspace, "gus"), Now::At(T0_MS + index))
                .await
                .unwrap(),
        );
    }
    assert!(sessions
        .validate(issued[0].token.as_str(), Now::At(T0_MS + 10))
        .await
        .unwrap()
        .is_none());
    for session in &issued[1..] {
        assert!(sessions
            .validate(session.token.as_str(), Now::At(T0_MS + 10))
            .await
            .unwrap()
            .is_some());
    }
    assert_eq!(sessions.count(&workspace, "gus", Now::At(T0_MS + 10)).await.unwrap(), 3);
}

/// Rotation moves the session to a new token and kills the old one at once.
pub async fn session_rotate_replaces_token(sessions: Arc<dyn SessionStore>) {
    let workspace = unique_workspace("rotate");
    let issued = sessions
        .create(new_session(&workspace, "hal"), Now::At(T0_MS))
        .await
        .unwrap();
    let rotated = sessions
        .rotate(issued.token.as_str(), Now::At(T0_MS + 100))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(rotated.token.as_str(), issued.token.as_str());
    assert_eq!(rotated.record.times.created_ms, T0_MS);
    assert_eq!(rotated.record.user, "hal");

    assert!(sessions
        .validate(issued.token.as_str(), Now::At(T0_MS + 200))
        .await
        .unwrap()
        .is_none());
    assert!(sessions
        .validate(rotated.token.as_str(), Now::At(T0_MS + 200))
        .await
        .unwrap()
        .is_some());
    assert!(sessions
        .rotate(issued.token.as_str(), Now::At(T0_MS + 300))
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        sessions.count(&workspace, "hal", Now::At(T0_MS + 300)).await.unwrap(),
        1
    );
}

/// Invalid fields are rejected with the field named, and nothing is stored.
pub async fn session_invalid_input_is_rejected(sessions: Arc<dyn SessionStore>) {
    let workspace = unique_workspace("input");
    let mut bad = new_session(&workspace, "");
    let error = sessions.create(bad.clone(), Now::At(T0_MS)).await.unwrap_err();
    assert_eq!(error.to_string(), "invalid session: user is empty");
    bad.user = "ivy".to_owned();
    bad.workspace = "w".repeat(129);
    let error = sessions.create(bad, Now::At(T0_MS)).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid session: workspace is 129 bytes long, above the maximum of 128"
    );
    assert_eq!(sessions.count(&workspace, "ivy", Now::At(T0_MS)).await.unwrap(), 0);
}

/// Expands into one `#[tokio::test]` per suite function, each given a fresh
/// limiter from `$limiter` and a fresh session store from `$sessions`.
#[macro_export]
macro_rules! conformance_tests {
    (limiter: $limiter:expr, sessions: $sessions:expr $(,)?) => {
        $crate::conformance_tests!(@limiter $limiter;
            sliding_log_admits_limit_then_waits,
            rejected_hits_record_nothing,
            costs_count_and_oversized_cost_fails,
            peek_consumes_nothing,
            reset_forgets_one_key,
            keys_are_isolated_and_canonical,
            sliding_counter_weighs_previous_window,
            concurrent_checks_admit_exactly_limit,
        );
        $crate::conformance_tests!(@sessions $sessions;
            session_create_then_validate,
            session_touch_is_throttled_and_bounded,
            session_idle_timeout_ends_it,
            session_revoke_is_final,
            session_revoke_all_reaches_every_session,
            session_list_and_count,
            session_cap_revokes_oldest,
            session_rotate_replaces_token,
            session_invalid_input_is_rejected,
        );
    };
    (@limiter $limiter:expr; $($name:ident,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::$name($limiter).await;
            }
        )*
    };
    (@sessions $sessions:expr; $($name:ident,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::$name($sessions).await;
            }
        )*
    };
}

/// A store together with the Redis server it talks to, so that the server
/// stops when the last handle to the store is dropped.
pub struct OnServer<T> {
    /// The store under test.
    pub store: T,
    /// The server it uses.
    pub server: redis_server::RedisServer,
}

impl<T: std::fmt::Debug> std::fmt::Debug for OnServer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnServer").field("store", &self.store).finish()
    }
}

#[async_trait::async_trait]
impl<T: RateLimiter> RateLimiter for OnServer<T> {
    fn backend(&self) -> &'static str {
        self.store.backend()
    }
    async fn check(&self, key: &RateKey, policy: &Policy, cost: u32, now: Now) -> Result<kauth::core::Decision, Error> {
        self.store.check(key, policy, cost, now).await
    }
    async fn peek(&self, key: &RateKey, policy: &Policy, cost: u32, now: Now) -> Result<kauth::core::Decision, Error> {
        self.store.peek(key, policy, cost, now).await
    }
    async fn reset(&self, key: &RateKey) -> Result<(), Error> {
        self.store.reset(key).await
    }
}

#[async_trait::async_trait]
impl<T: SessionStore> SessionStore for OnServer<T> {
    fn backend(&self) -> &'static str {
        self.store.backend()
    }
    async fn create(&self, new: NewSession, now: Now) -> Result<kauth::IssuedSession, Error> {
        self.store.create(new, now).await
    }
    async fn validate(&self, token: &str, now: Now) -> Result<Option<kauth::core::session::SessionRecord>, Error> {
        self.store.validate(token, now).await
    }
    async fn revoke(&self, token: &str, now: Now) -> Result<bool, Error> {
        self.store.revoke(token, now).await
    }
    async fn revoke_all(&self, workspace: &str, user: &str, now: Now) -> Result<usize, Error> {
        self.store.revoke_all(workspace, user, now).await
    }
    async fn list(
        &self,
        workspace: &str,
        user: &str,
        now: Now,
    ) -> Result<Vec<kauth::core::session::SessionRecord>, Error> {
        self.store.list(workspace, user, now).await
    }
    async fn count(&self, workspace: &str, user: &str, now: Now) -> Result<usize, Error> {
        self.store.count(workspace, user, now).await
    }
    async fn rotate(&self, token: &str, now: Now) -> Result<Option<kauth::IssuedSession>, Error> {
        self.store.rotate(token, now).await
    }
}

/// A pool of two connections to `server` with a 2 s timeout and `prefix`.
pub async fn connect(server: &redis_server::RedisServer, prefix: &str) -> kauth_redis::RedisPool {
    let config = kauth_redis::RedisConfig::builder(server.url())
        .pool_size(2)
        .timeout(std::time::Duration::from_secs(2))
        .key_prefix(prefix)
        .build()
        .expect("test configuration is valid");
    kauth_redis::RedisPool::connect(&config)
        .await
        .expect("test Redis answers")
}

/// Builds a variable lookup for [`kauth::Config::from_lookup`] that reads `vars`
/// instead of the process environment, so tests never set process-wide
/// variables that other tests running in parallel would see.
pub fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<Result<String, std::ffi::OsString>> {
    let vars: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    move |name| vars.get(name).cloned().map(Ok)
}
