//! Property tests of the rate-limit algorithms over random hits, costs and
//! clock steps, including steps backwards.

use std::collections::VecDeque;

use kauth_core::{
    Algorithm, Decision, LogEntry, Policy, RateKey, SlidingCounter, SlidingLog, Subject, Tier, STATE_GRACE_MS,
};
use proptest::prelude::*;

type Log = SlidingLog<VecDeque<LogEntry>>;

/// One step of a random run: move the clock, then check a cost.
#[derive(Clone, Debug)]
struct Step {
    clock_step_ms: i64,
    cost: u32,
}

fn policy_strategy(algorithm: Algorithm) -> impl Strategy<Value = Policy> {
    (1u32..=8, 1u64..=5_000).prop_map(move |(limit, window_ms)| Policy::new(limit, window_ms, algorithm).unwrap())
}

fn steps_strategy() -> impl Strategy<Value = Vec<Step>> {
    let step = (
        prop_oneof![8 => 0i64..1_500, 1 => -3_000i64..0, 1 => Just(0), 1 => 60_000i64..70_000],
        1u32..=9,
    )
        .prop_map(|(clock_step_ms, cost)| Step { clock_step_ms, cost });
    prop::collection::vec(step, 1..120)
}

fn advance(now_ms: u64, step_ms: i64) -> u64 {
    now_ms.saturating_add_signed(step_ms)
}

/// Checks that `retry_after_ms` is exact: one millisecond earlier the same
/// cost is still rejected, at that time it is admitted.
fn assert_retry_exact<F>(decision: &Decision, now_ms: u64, mut peek_at: F) -> Result<(), TestCaseError>
where
    F: FnMut(u64) -> Decision,
{
    prop_assert!(decision.retry_after_ms >= 1, "rejected with retry_after_ms 0");
    let retry_at_ms = now_ms + decision.retry_after_ms;
    prop_assert!(!peek_at(retry_at_ms - 1).allowed, "admitted 1 ms before retry_after_ms");
    prop_assert!(peek_at(retry_at_ms).allowed, "still rejected at retry_after_ms");
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        // Failing inputs are kept beside this file, in properties.proptest-regressions.
        failure_persistence: Some(Box::new(prop::test_runner::FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn sliding_log_never_exceeds_limit_in_any_window(policy in policy_strategy(Algorithm::SlidingLog), steps in steps_strategy()) {
        let mut log = Log::default();
        let mut admitted: Vec<(u64, u32)> = Vec::new();
        let mut now_ms = 1_000_000u64;

        for step in steps {
            now_ms = advance(now_ms, step.clock_step_ms);
            if step.cost > policy.limit() {
                prop_assert!(log.check(&policy, now_ms, step.cost).is_err());
                continue;
            }
            let decision = log.check(&policy, now_ms, step.cost).unwrap();
            if decision.allowed {
                admitted.push((log.newest_ms().unwrap(), step.cost));
            }
        }

        let window_ms = policy.window_ms();
        for &(end_ms, _) in &admitted {
            let in_window: u32 = admitted
                .iter()
                .filter(|(at_ms, _)| *at_ms <= end_ms && *at_ms + window_ms > end_ms)
                .map(|(_, cost)| cost)
                .sum();
            prop_assert!(in_window <= policy.limit(), "{in_window} admitted in the window ending at {end_ms}");
        }
    }

    #[test]
    fn sliding_log_matches_naive_model(policy in policy_strategy(Algorithm::SlidingLog), steps in steps_strategy()) {
        let mut log = Log::default();
        let mut model: Vec<(u64, u32)> = Vec::new();
        let mut now_ms = 1_000_000u64;
        let mut latest_ms = 0u64;

        for step in steps {
            now_ms = advance(now_ms, step.clock_step_ms);
            if step.cost > policy.limit() {
                continue;
            }
            // A log idle past its window plus the grace period starts over.
            if model.last().is_some_and(|&(at_ms, _)| at_ms + policy.window_ms() + STATE_GRACE_MS <= now_ms) {
                model.clear();
                latest_ms = 0;
            }
            // The log evaluates at the latest time any check has seen.
            latest_ms = latest_ms.max(now_ms);
            let effective_ms = latest_ms;
            let count: u32 = model
                .iter()
                .filter(|(at_ms, _)| at_ms + policy.window_ms() > effective_ms)
                .map(|(_, cost)| cost)
                .sum();
            let expected = count + step.cost <= policy.limit();

            let decision = log.check(&policy, now_ms, step.cost).unwrap();
            prop_assert_eq!(decision.allowed, expected);
            if decision.allowed {
                model.push((effective_ms, step.cost));
                prop_assert_eq!(decision.remaining, policy.limit() - count - step.cost);
            } else {
                prop_assert_eq!(decision.remaining, policy.limit() - count);
            }
        }
    }

    #[test]
    fn sliding_log_rejection_changes_nothing_and_retry_is_exact(policy in policy_strategy(Algorithm::SlidingLog), steps in steps_strategy()) {
        let mut log = Log::default();
        let mut now_ms = 1_000_000u64;

        for step in steps {
            now_ms = advance(now_ms, step.clock_step_ms);
            if step.cost > policy.limit() {
                continue;
            }
            let before = log.clone();
            let decision = log.check(&policy, now_ms, step.cost).unwrap();
            if decision.allowed {
                prop_assert_eq!(decision.retry_after_ms, 0);
                continue;
            }

            // A peek on the untouched copy sees the same, now and later.
            prop_assert_eq!(before.peek(&policy, now_ms, step.cost).unwrap(), decision);
            for later_ms in [0, 1, policy.window_ms() / 2, policy.window_ms()] {
                let at_ms = now_ms + later_ms;
                prop_assert_eq!(before.peek(&policy, at_ms, 1).unwrap(), log.peek(&policy, at_ms, 1).unwrap());
            }

            assert_retry_exact(&decision, now_ms, |at_ms| log.peek(&policy, at_ms, step.cost).unwrap())?;
        }
    }

    #[test]
    fn sliding_counter_rejection_changes_nothing_and_retry_is_exact(policy in policy_strategy(Algorithm::SlidingCounter), steps in steps_strategy()) {
        let mut counter = SlidingCounter::new();
        let mut now_ms = 1_000_000u64;

        for step in steps {
            now_ms = advance(now_ms, step.clock_step_ms);
            if step.cost > policy.limit() {
                prop_assert!(counter.check(&policy, now_ms, step.cost).is_err());
                continue;
            }
            let before = counter;
            let decision = counter.check(&policy, now_ms, step.cost).unwrap();
            prop_assert!(counter.current <= policy.limit());
            if decision.allowed {
                prop_assert_eq!(decision.retry_after_ms, 0);
                continue;
            }

            prop_assert_eq!(before.peek(&policy, now_ms, step.cost).unwrap(), decision);
            prop_assert_eq!(before.peek(&policy, now_ms + 1, 1).unwrap(), counter.peek(&policy, now_ms + 1, 1).unwrap());
            assert_retry_exact(&decision, now_ms, |at_ms| counter.peek(&policy, at_ms, step.cost).unwrap())?;
        }
    }

    #[test]
    fn reset_after_empties_the_window(algorithm in prop_oneof![Just(Algorithm::SlidingLog), Just(Algorithm::SlidingCounter)], steps in steps_strategy()) {
        let policy = Policy::new(4, 1_000, algorithm).unwrap();
        let mut log = Log::default();
        let mut counter = SlidingCounter::new();
        let mut now_ms = 1_000_000u64;

        for step in steps {
            now_ms = advance(now_ms, step.clock_step_ms.max(0));
            let cost = step.cost.min(policy.limit());
            let decision = match algorithm {
                Algorithm::SlidingLog => log.check(&policy, now_ms, cost).unwrap(),
                Algorithm::SlidingCounter => counter.check(&policy, now_ms, cost).unwrap(),
            };
            let empty_at_ms = now_ms + decision.reset_after_ms;
            let remaining = match algorithm {
                Algorithm::SlidingLog => log.peek(&policy, empty_at_ms, 1).unwrap().remaining,
                Algorithm::SlidingCounter => counter.peek(&policy, empty_at_ms, 1).unwrap().remaining,
            };
            prop_assert_eq!(remaining, policy.limit() - 1, "window not empty at reset_after_ms");
        }
    }

    #[test]
    fn extreme_clock_values_never_panic(now_ms in prop_oneof![Just(0u64), Just(u64::MAX), Just(u64::MAX - 1), any::<u64>()], cost in 1u32..=3) {
        let policy = Policy::new(3, kauth_core::MAX_WINDOW_MS, Algorithm::SlidingLog).unwrap();
        let mut log = Log::default();
        let mut counter = SlidingCounter::new();
        for offset in [0u64, 1, 2] {
            let at_ms = now_ms.saturating_add(offset);
            log.check(&policy, at_ms, cost).unwrap();
            counter.check(&policy.with_algorithm(Algorithm::SlidingCounter), at_ms, cost).unwrap();
            log.check(&policy, now_ms.saturating_sub(offset), cost).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn rate_keys_are_injective(
        a in ("[a:%{}é \\x00]{1,6}", "[a:%{}é \\x00]{1,6}", 0usize..3),
        b in ("[a:%{}é \\x00]{1,6}", "[a:%{}é \\x00]{1,6}", 0usize..3),
    ) {
        fn key(tier: usize, workspace: &str, user: &str) -> Option<RateKey> {
            RateKey::new(Tier::ALL[tier], workspace, &Subject::User(user)).ok()
        }
        let (workspace_a, user_a, tier_a) = &a;
        let (workspace_b, user_b, tier_b) = &b;
        if let (Some(key_a), Some(key_b)) = (key(*tier_a, workspace_a, user_a), key(*tier_b, workspace_b, user_b)) {
            prop_assert_eq!(key_a == key_b, a == b);
            prop_assert!(!key_a.as_str().contains(['{', '}']), "key contains a brace");
        }
    }
}

/// A check at a later time drops old entries; when the clock then steps back
/// inside their window, they must still count.
#[test]
fn log_does_not_reopen_after_clock_steps_back() {
    let policy = Policy::new(5, 2_491, Algorithm::SlidingLog).unwrap();
    let mut log = Log::default();
    assert!(log.check(&policy, 1_000_000, 2).unwrap().allowed);
    assert!(log.check(&policy, 1_001_246, 1).unwrap().allowed);
    assert!(!log.check(&policy, 1_002_491, 5).unwrap().allowed);
    // Two milliseconds back, the first entry would be inside the window again.
    let decision = log.check(&policy, 1_002_489, 3).unwrap();
    assert!(decision.allowed);
    assert_eq!(log.newest_ms(), Some(1_002_491));
    assert_eq!(decision.remaining, 1);
}

#[test]
fn sliding_counter_weighs_previous_window() {
    let policy = Policy::new(10, 1_000, Algorithm::SlidingCounter).unwrap();
    let mut counter = SlidingCounter::new();
    for _ in 0..10 {
        assert!(counter.check(&policy, 10_999, 1).unwrap().allowed);
    }
    // At 11_250 the previous window still weighs ceil(10 * 750 / 1000) = 8.
    let decision = counter.check(&policy, 11_250, 3).unwrap();
    assert!(!decision.allowed);
    assert_eq!(decision.remaining, 2);
    // ceil(10 * (1000 - e) / 1000) <= 7 from e = 300.
    assert_eq!(decision.retry_after_ms, 50);
    assert_eq!(decision.reset_after_ms, 750);
    assert!(counter.check(&policy, 11_300, 3).unwrap().allowed);
}

#[test]
fn sliding_log_counts_window_as_half_open() {
    let policy = Policy::new(1, 1_000, Algorithm::SlidingLog).unwrap();
    let mut log = Log::default();
    assert!(log.check(&policy, 5_000, 1).unwrap().allowed);
    // (5_000, 6_000] excludes 5_000: the hit has left the window at 6_000.
    let decision = log.check(&policy, 5_999, 1).unwrap();
    assert!(!decision.allowed);
    assert_eq!(decision.retry_after_ms, 1);
    assert!(log.check(&policy, 6_000, 1).unwrap().allowed);
}

#[test]
fn backwards_clock_is_evaluated_at_newest_entry() {
    let policy = Policy::new(2, 1_000, Algorithm::SlidingLog).unwrap();
    let mut log = Log::default();
    assert!(log.check(&policy, 7_200_000, 2).unwrap().allowed);
    // The clock jumps back an hour: the window does not reopen.
    let decision = log.check(&policy, 3_600_000, 1).unwrap();
    assert!(!decision.allowed);
    assert_eq!(decision.retry_after_ms, 3_601_000);
}

#[test]
fn subjects_are_canonicalised() {
    let key = |subject: Subject<'_>| RateKey::new(Tier::Login, "acme", &subject).unwrap().as_str().to_owned();
    let ip = |text: &str| Subject::ip(text.parse().unwrap());

    assert_eq!(key(ip("::ffff:203.0.113.9")), key(ip("203.0.113.9")));
    assert_eq!(key(ip("2001:db8:1:2:aaaa::1")), key(ip("2001:db8:1:2:bbbb::2")));
    assert_ne!(key(ip("2001:db8:1:2::1")), key(ip("2001:db8:1:3::1")));
    assert_eq!(key(ip("2001:db8:1:2::1")), "login:acme:ip6:2001%3Adb8%3A1%3A2%3A%3A/64");
    assert_eq!(
        key(Subject::ip_grouped("2001:db8::1".parse().unwrap(), 128)),
        "login:acme:ip6:2001%3Adb8%3A%3A1/128"
    );
    assert_eq!(
        key(Subject::Email(" Ann@Example.com\t")),
        key(Subject::Email("ann@example.com"))
    );
    assert_ne!(key(Subject::User("Ann")), key(Subject::User("ann")));
    assert_eq!(key(Subject::client("[2001:db8::1]")), key(ip("2001:db8::1")));
    assert_eq!(
        key(Subject::client("Host-1.Example.NET.")),
        "login:acme:host:host-1.example.net"
    );
    // An address and a host name never share a key, even when spelled alike.
    assert_ne!(key(Subject::User("203.0.113.9")), key(ip("203.0.113.9")));
}

#[test]
fn oversized_and_empty_keys_are_rejected() {
    use kauth_core::KeyError;
    let long = "w".repeat(kauth_core::MAX_WORKSPACE_LEN + 1);
    assert_eq!(
        RateKey::new(Tier::Mfa, &long, &Subject::User("u")),
        Err(KeyError::WorkspaceTooLong { len: 129, max: 128 })
    );
    assert_eq!(
        RateKey::new(Tier::Mfa, "", &Subject::User("u")),
        Err(KeyError::EmptyWorkspace)
    );
    assert_eq!(
        RateKey::new(Tier::PasswordReset, "acme", &Subject::Email("   ")),
        Err(KeyError::EmptySubject { kind: "email" })
    );
    let longest = "é".repeat(kauth_core::MAX_SUBJECT_LEN / 2);
    let key = RateKey::new(Tier::Mfa, &"%".repeat(128), &Subject::User(&longest)).unwrap();
    assert!(key.as_str().len() <= kauth_core::MAX_KEY_LEN);
}

#[test]
fn idle_log_starts_over_after_grace() {
    let policy = Policy::new(2, 1_000, Algorithm::SlidingLog).unwrap();
    let mut log = Log::default();
    assert!(log.check(&policy, 10_000, 2).unwrap().allowed);
    let dropped_at_ms = 11_000 + STATE_GRACE_MS;
    // Just before the grace period ends the latest time still holds.
    let late = log.peek(&policy, dropped_at_ms - 1, 1).unwrap();
    assert_eq!(late.reset_after_ms, 1_000);
    let decision = log.check(&policy, dropped_at_ms, 2).unwrap();
    assert!(decision.allowed);
    assert_eq!(log.clock_ms(), dropped_at_ms);
    // A step back now evaluates at the new time, not the forgotten one.
    let back = log.check(&policy, dropped_at_ms - 500, 1).unwrap();
    assert!(!back.allowed);
    assert_eq!(back.retry_after_ms, 1_500);
}
