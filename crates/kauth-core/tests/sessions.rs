//! Session rules: tokens, the active rule, the throttled touch and the cap.

use kauth_core::session::{
    evictions_for_new_session, SessionPolicy, SessionPolicyError, SessionTimes, SessionToken, TokenError, TokenHash,
};
use proptest::prelude::*;
use rand_core::OsRng;

#[test]
fn tokens_are_unique_and_hash_stably() {
    let first = SessionToken::generate(&mut OsRng);
    let second = SessionToken::generate(&mut OsRng);
    assert_ne!(first.as_str(), second.as_str());
    assert_ne!(first.hash(), second.hash());
    assert_eq!(SessionToken::parse(first.as_str()).unwrap().hash(), first.hash());
    assert!(first
        .as_str()
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
}

#[test]
fn malformed_tokens_are_rejected() {
    let token = SessionToken::generate(&mut OsRng);
    let text = token.as_str();
    assert_eq!(SessionToken::parse(&text[1..]).unwrap_err(), TokenError::Malformed);
    assert_eq!(
        SessionToken::parse(&format!("{text}A")).unwrap_err(),
        TokenError::Malformed
    );
    let with_plus = format!("+{}", &text[1..]);
    assert_eq!(SessionToken::parse(&with_plus).unwrap_err(), TokenError::Malformed);
    assert_eq!(SessionToken::parse("").unwrap_err(), TokenError::Malformed);
}

#[test]
fn token_never_appears_in_debug() {
    let token = SessionToken::generate(&mut OsRng);
    let debug = format!("{token:?} {:?}", token.hash());
    assert!(!debug.contains(token.as_str()));
    assert!(!debug.contains(&token.hash().to_hex()[..]));
}

#[test]
fn hash_hex_round_trips() {
    let hash = SessionToken::generate(&mut OsRng).hash();
    assert_eq!(TokenHash::from_hex(&hash.to_hex()), Some(hash));
    assert_eq!(TokenHash::from_hex("zz"), None);
}

#[test]
fn session_policy_rejects_nonsense() {
    assert_eq!(
        SessionPolicy::new(0, 1, 1),
        Err(SessionPolicyError::AbsoluteTtl { absolute_ttl_ms: 0 })
    );
    assert_eq!(
        SessionPolicy::new(1_000, 2_000, 1),
        Err(SessionPolicyError::IdleTimeout {
            idle_timeout_ms: 2_000,
            absolute_ttl_ms: 1_000
        })
    );
    assert_eq!(
        SessionPolicy::new(1_000, 1_000, 0),
        Err(SessionPolicyError::MaxSessionsPerUser {
            max_sessions_per_user: 0
        })
    );
}

#[test]
fn session_ends_at_idle_or_absolute_deadline() {
    let policy = SessionPolicy::new(10_000, 3_000, 2).unwrap();
    let mut times = SessionTimes::start(&policy, 100_000);
    assert!(times.is_active(102_999));
    assert!(!times.is_active(103_000));

    // Touches every 2.9 s keep it alive only until the absolute expiry.
    let mut now_ms = 100_000;
    while times.is_active(now_ms) {
        if let Some(last_seen_ms) = times.touch(now_ms, policy.touch_interval_ms()) {
            times.last_seen_ms = last_seen_ms;
        }
        now_ms += 2_900;
    }
    assert_eq!(times.last_seen_ms, 108_700);
    assert_eq!(times.ends_at_ms(), 110_000);
    assert!(!times.is_active(110_000));
}

#[test]
fn cap_evicts_enough_for_one_more() {
    assert_eq!(evictions_for_new_session(0, 1), 0);
    assert_eq!(evictions_for_new_session(1, 1), 1);
    assert_eq!(evictions_for_new_session(9, 10), 0);
    assert_eq!(evictions_for_new_session(12, 10), 3);
}

proptest! {
    #[test]
    fn touch_never_passes_absolute_expiry(
        ttl_ms in 1u64..100_000,
        idle_share in 1u64..=100,
        steps in prop::collection::vec(-500i64..5_000, 1..60),
    ) {
        let idle_ms = (ttl_ms * idle_share / 100).max(1);
        let policy = SessionPolicy::new(ttl_ms, idle_ms, 1).unwrap();
        let mut times = SessionTimes::start(&policy, 1_000_000);
        let mut now_ms = 1_000_000u64;
        for step in steps {
            now_ms = now_ms.saturating_add_signed(step);
            if let Some(last_seen_ms) = times.touch(now_ms, policy.touch_interval_ms()) {
                prop_assert!(last_seen_ms >= times.last_seen_ms, "touch moved last_seen back");
                prop_assert!(last_seen_ms < times.expires_at_ms);
                times.last_seen_ms = last_seen_ms;
            }
            prop_assert!(times.ends_at_ms() <= 1_000_000 + ttl_ms);
            prop_assert_eq!(times.is_active(now_ms), now_ms < times.ends_at_ms());
        }
    }
}
