//! What kauth writes into Redis: stores with different
//! `KAUTH_REDIS_KEY_PREFIX` values share a server without seeing each
//! other's state, and every key written starts with its store's prefix and
//! carries an expiry, so that nothing accumulates forever.

use kauth::core::session::{user_index_key, NewSession, SessionToken};
use kauth::core::{Algorithm, Policy, RateKey, Subject, Tier, STATE_GRACE_MS};
use kauth::{Config, Now, Stores};
use kauth_tests::redis_server::RedisServer;
use kauth_tests::{lookup, unique_workspace, T0_MS};

const PREFIX_A: &str = "tenant-a:";
const PREFIX_B: &str = "tenant-b:";
/// The maximum expiry kauth sets on a rate-limit key with the policies used
/// here: the MFA tier's 300 s window, plus the minute kept after it empties.
const MAX_RATE_TTL_MS: i64 = 300_000 + STATE_GRACE_MS as i64;
/// The maximum expiry of a session key under the default session policy:
/// its 24 h absolute lifetime, plus the same minute.
const MAX_SESSION_TTL_MS: i64 = 24 * 3_600_000 + STATE_GRACE_MS as i64;

async fn connect(server: &RedisServer, prefix: &str) -> Stores {
    let url = server.url();
    let config = Config::from_lookup(lookup(&[
        ("KAUTH_REDIS_URL", &url),
        ("KAUTH_REDIS_POOL_SIZE", "2"),
        ("KAUTH_REDIS_TIMEOUT_MS", "2000"),
        ("KAUTH_REDIS_KEY_PREFIX", prefix),
    ]))
    .expect("test configuration is valid");
    Stores::from_config(config).await.expect("connect to the test server")
}

fn new_session(workspace: &str, user: &str) -> NewSession {
    NewSession {
        user: user.to_owned(),
        workspace: workspace.to_owned(),
        ip: Some("198.51.100.61".parse().expect("valid address")),
        user_agent: "redis-keys/1.0".to_owned(),
    }
}

fn login_key(workspace: &str, ip: &str) -> RateKey {
    RateKey::new(Tier::Login, workspace, &Subject::client(ip)).expect("test key is valid")
}

/// Returns the Redis key of a rate key's state, as the README documents it.
fn rate_state_key(prefix: &str, key: &RateKey) -> String {
    format!("{prefix}{{{}}}", key.as_str())
}

/// Returns the Redis key of a session record, as the README documents it.
fn record_key(prefix: &str, token: &SessionToken) -> String {
    format!("{prefix}{{sessions}}:s:{}", token.hash().to_hex())
}

/// Returns the Redis key of a user's session index, as the README documents it.
fn index_key(prefix: &str, workspace: &str, user: &str) -> String {
    format!("{prefix}{{sessions}}:u:{}", user_index_key(workspace, user))
}

fn pttl_ms(server: &RedisServer, key: &str) -> i64 {
    let reply = server.redis_cli(&["PTTL", key]);
    reply
        .parse()
        .unwrap_or_else(|_| panic!("PTTL {key} returned {reply:?}"))
}

fn all_keys(server: &RedisServer) -> Vec<String> {
    let mut keys: Vec<String> = server
        .redis_cli(&["--scan"])
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixes_isolate_rate_limits() {
    let server = RedisServer::start();
    let a = connect(&server, PREFIX_A).await;
    let b = connect(&server, PREFIX_B).await;
    let key = login_key(&unique_workspace("isolate"), "198.51.100.62");
    let policy = Tier::Login.default_policy();
    let now = Now::StoreClock;

    for remaining in (0..5).rev() {
        let decision = a.limiter.check(&key, &policy, 1, now).await.unwrap();
        assert!(decision.allowed);
        assert_eq!(decision.remaining, remaining);
    }
    let denied = a.limiter.check(&key, &policy, 1, now).await.unwrap();
    assert!(!denied.allowed);
    assert!(denied.retry_after_ms > 0);

    // The same key under the other prefix is fresh.
    let fresh = b.limiter.check(&key, &policy, 1, now).await.unwrap();
    assert!(fresh.allowed);
    assert_eq!(fresh.remaining, 4);
    assert_eq!(fresh.reset_after_ms, 60_000);

    // A reset under one prefix leaves the other's counter alone.
    b.limiter.reset(&key).await.unwrap();
    let still_denied = a.limiter.peek(&key, &policy, 1, now).await.unwrap();
    assert!(!still_denied.allowed);
    assert_eq!(still_denied.remaining, 0);
    b.limiter.check(&key, &policy, 1, now).await.unwrap();
    a.limiter.reset(&key).await.unwrap();
    let b_after = b.limiter.peek(&key, &policy, 1, now).await.unwrap();
    assert!(b_after.allowed);
    assert_eq!(b_after.remaining, 3);
    let a_after = a.limiter.peek(&key, &policy, 1, now).await.unwrap();
    assert_eq!(a_after.remaining, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixes_isolate_sessions() {
    let server = RedisServer::start();
    let a = connect(&server, PREFIX_A).await;
    let b = connect(&server, PREFIX_B).await;
    let workspace = unique_workspace("isolate");
    let now = Now::StoreClock;

    let in_a = a.sessions.create(new_session(&workspace, "ann"), now).await.unwrap();
    let token = in_a.token.as_str();

    // A token of one prefix is unknown under the other, for every operation
    // that takes a token.
    assert!(b.sessions.validate(token, now).await.unwrap().is_none());
    assert!(!b.sessions.revoke(token, now).await.unwrap());
    assert!(b.sessions.rotate(token, now).await.unwrap().is_none());
    assert_eq!(b.sessions.count(&workspace, "ann", now).await.unwrap(), 0);
    assert!(b.sessions.list(&workspace, "ann", now).await.unwrap().is_empty());
    let record = a
        .sessions
        .validate(token, now)
        .await
        .unwrap()
        .expect("still valid in a");
    assert_eq!(record.token_hash, in_a.record.token_hash);

    // Revoke-all of the same user under one prefix leaves the other's
    // sessions active.
    for _ in 0..2 {
        b.sessions.create(new_session(&workspace, "ann"), now).await.unwrap();
    }
    assert_eq!(b.sessions.count(&workspace, "ann", now).await.unwrap(), 2);
    assert_eq!(b.sessions.revoke_all(&workspace, "ann", now).await.unwrap(), 2);
    assert_eq!(a.sessions.count(&workspace, "ann", now).await.unwrap(), 1);
    let listed = a.sessions.list(&workspace, "ann", now).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].token_hash, in_a.record.token_hash);
    assert!(a.sessions.validate(token, now).await.unwrap().is_some());

    let in_b = b.sessions.create(new_session(&workspace, "ann"), now).await.unwrap();
    assert_eq!(a.sessions.revoke_all(&workspace, "ann", now).await.unwrap(), 1);
    assert!(a.sessions.validate(token, now).await.unwrap().is_none());
    assert!(b.sessions.validate(in_b.token.as_str(), now).await.unwrap().is_some());
}

/// Keys a mixed run expects to find, and keys it expects to be gone.
#[derive(Default)]
struct ExpectedKeys {
    present: Vec<String>,
    absent: Vec<String>,
}

/// Runs checks with both algorithms and every tier, peeks, resets and every
/// session operation under `stores`, and returns the keys that must exist and
/// those that must not.
async fn run_mixed_operations(stores: &Stores, prefix: &str) -> ExpectedKeys {
    let mut expected = ExpectedKeys::default();
    let workspace = unique_workspace("mixed");
    let (limiter, sessions) = (&stores.limiter, &stores.sessions);
    let now = Now::StoreClock;

    // Rate limits: both algorithms, every tier, up to and past the limit.
    let counter = Policy::new(3, 30_000, Algorithm::SlidingCounter).unwrap();
    let keys = [
        (login_key(&workspace, "198.51.100.70"), Tier::Login.default_policy()),
        (login_key(&workspace, "198.51.100.71"), counter),
        (
            RateKey::new(Tier::Mfa, &workspace, &Subject::User("ann")).unwrap(),
            Tier::Mfa.default_policy(),
        ),
        (
            RateKey::new(Tier::PasswordReset, &workspace, &Subject::Email("Ann@Example.COM")).unwrap(),
            Tier::PasswordReset.default_policy(),
        ),
    ];
    for (key, policy) in &keys {
        for hit in 0..=policy.limit() {
            let decision = limiter.check(key, policy, 1, now).await.unwrap();
            assert_eq!(decision.allowed, hit < policy.limit(), "{key} hit {hit}");
        }
        let peeked = limiter.peek(key, policy, 1, now).await.unwrap();
        assert!(!peeked.allowed, "{key}");
        expected.present.push(rate_state_key(prefix, key));
    }
    // A check at an explicit instant far in the past still gets an expiry
    // counted from that instant.
    let explicit = login_key(&workspace, "198.51.100.72");
    let decision = limiter
        .check(&explicit, &Tier::Login.default_policy(), 1, Now::At(T0_MS))
        .await
        .unwrap();
    assert_eq!(decision.remaining, 4);
    expected.present.push(rate_state_key(prefix, &explicit));

    let peeked_only = login_key(&workspace, "198.51.100.73");
    let peeked = limiter
        .peek(&peeked_only, &Tier::Login.default_policy(), 1, now)
        .await
        .unwrap();
    assert_eq!(peeked.remaining, 4);
    expected.absent.push(rate_state_key(prefix, &peeked_only));

    let reset = login_key(&workspace, "198.51.100.74");
    limiter
        .check(&reset, &Tier::Login.default_policy(), 1, now)
        .await
        .unwrap();
    limiter.reset(&reset).await.unwrap();
    expected.absent.push(rate_state_key(prefix, &reset));

    // Sessions: create, validate, rotate, revoke, list and count.
    let mut ann = Vec::new();
    for _ in 0..3 {
        ann.push(sessions.create(new_session(&workspace, "ann"), now).await.unwrap());
    }
    assert!(sessions.validate(ann[0].token.as_str(), now).await.unwrap().is_some());
    let rotated = sessions
        .rotate(ann[1].token.as_str(), now)
        .await
        .unwrap()
        .expect("live session rotates");
    assert!(sessions.revoke(ann[2].token.as_str(), now).await.unwrap());
    assert_eq!(sessions.list(&workspace, "ann", now).await.unwrap().len(), 2);
    assert_eq!(sessions.count(&workspace, "ann", now).await.unwrap(), 2);
    expected.present.push(record_key(prefix, &ann[0].token));
    expected.present.push(record_key(prefix, &rotated.token));
    expected.present.push(index_key(prefix, &workspace, "ann"));
    expected.absent.push(record_key(prefix, &ann[1].token));
    expected.absent.push(record_key(prefix, &ann[2].token));

    // Revoke-all removes every record of the user and the index.
    let mut bob = Vec::new();
    for _ in 0..2 {
        bob.push(sessions.create(new_session(&workspace, "bob"), now).await.unwrap());
    }
    assert_eq!(sessions.revoke_all(&workspace, "bob", now).await.unwrap(), 2);
    for issued in &bob {
        expected.absent.push(record_key(prefix, &issued.token));
    }
    expected.absent.push(index_key(prefix, &workspace, "bob"));

    // A user's only session, rotated.
    let cy = sessions.create(new_session(&workspace, "cy"), now).await.unwrap();
    let cy_rotated = sessions
        .rotate(cy.token.as_str(), now)
        .await
        .unwrap()
        .expect("live session rotates");
    expected.present.push(record_key(prefix, &cy_rotated.token));
    expected.present.push(index_key(prefix, &workspace, "cy"));

    // A session at an explicit instant far in the past, touched later.
    let dee = sessions
        .create(new_session(&workspace, "dee"), Now::At(T0_MS))
        .await
        .unwrap();
    let touched = sessions
        .validate(dee.token.as_str(), Now::At(T0_MS + 600_000))
        .await
        .unwrap()
        .expect("session is active 10 minutes after creation");
    assert_eq!(touched.times.last_seen_ms, T0_MS + 600_000);
    expected.present.push(record_key(prefix, &dee.token));
    expected.present.push(index_key(prefix, &workspace, "dee"));

    expected
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_key_is_prefixed_and_expires() {
    let server = RedisServer::start();
    let a = connect(&server, PREFIX_A).await;
    let b = connect(&server, PREFIX_B).await;

    let mut expected = run_mixed_operations(&a, PREFIX_A).await;
    let from_b = run_mixed_operations(&b, PREFIX_B).await;
    expected.present.extend(from_b.present);
    expected.absent.extend(from_b.absent);

    let keys = all_keys(&server);
    for key in &expected.present {
        assert!(keys.contains(key), "{key} is missing from {keys:#?}");
    }
    for key in &expected.absent {
        assert!(!keys.contains(key), "{key} should be gone");
    }

    let mut without_expiry = Vec::new();
    for key in &keys {
        assert!(
            key.starts_with(PREFIX_A) || key.starts_with(PREFIX_B),
            "{key} has neither prefix"
        );
        let ttl_ms = pttl_ms(&server, key);
        let max_ttl_ms = if key.contains("{sessions}:") {
            MAX_SESSION_TTL_MS
        } else {
            MAX_RATE_TTL_MS
        };
        if ttl_ms <= 0 || ttl_ms > max_ttl_ms {
            without_expiry.push(format!("{key}: PTTL {ttl_ms}"));
        }
    }
    assert!(
        without_expiry.is_empty(),
        "keys without an expiry in (0, max]: {without_expiry:#?}"
    );
    println!("{} keys, every one prefixed and expiring", keys.len());
}

#[tokio::test]
async fn rotated_only_session_index_expires() {
    let server = RedisServer::start();
    let stores = connect(&server, PREFIX_A).await;
    let workspace = unique_workspace("rotate-ttl");
    let now = Now::StoreClock;

    let issued = stores
        .sessions
        .create(new_session(&workspace, "ann"), now)
        .await
        .unwrap();
    let index = index_key(PREFIX_A, &workspace, "ann");
    assert!(pttl_ms(&server, &index) > 0);

    stores
        .sessions
        .rotate(issued.token.as_str(), now)
        .await
        .unwrap()
        .expect("live session rotates");
    let ttl_ms = pttl_ms(&server, &index);
    assert!(
        (1..=MAX_SESSION_TTL_MS).contains(&ttl_ms),
        "index PTTL after rotating the only session: {ttl_ms}"
    );
}
