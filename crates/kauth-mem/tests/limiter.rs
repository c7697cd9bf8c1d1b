//! The in-memory rate limiter under threads, clocks and its key cap.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;

use kauth_core::{Algorithm, Policy, RateKey, Subject, Tier};
use kauth_mem::{Clock, ManualClock, MemoryRateLimiter};

fn key(ip: &str) -> RateKey {
    RateKey::new(Tier::Login, "acme", &Subject::client(ip)).unwrap()
}

#[test]
fn threads_sharing_one_key_admit_exactly_limit() {
    let limiter = Arc::new(MemoryRateLimiter::builder().clock(ManualClock::new(1_000_000)).build());
    let policy = Policy::new(25, 60_000, Algorithm::SlidingLog).unwrap();
    let admitted = Arc::new(AtomicU32::new(0));

    let threads: Vec<_> = (0..8)
        .map(|_| {
            let limiter = Arc::clone(&limiter);
            let admitted = Arc::clone(&admitted);
            thread::spawn(move || {
                for _ in 0..100 {
                    if limiter.check(&key("198.51.100.1"), &policy, 1).unwrap().allowed {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(admitted.load(Ordering::Relaxed), 25);
}

#[test]
fn manual_clock_drives_windows() {
    let clock = ManualClock::new(1_000_000);
    let limiter = MemoryRateLimiter::builder().clock(clock.clone()).build();
    let policy = Policy::new(1, 1_000, Algorithm::SlidingCounter).unwrap();
    assert!(limiter.check(&key("198.51.100.2"), &policy, 1).unwrap().allowed);
    let denied = limiter.check(&key("198.51.100.2"), &policy, 1).unwrap();
    assert!(!denied.allowed);
    clock.advance_ms(denied.retry_after_ms);
    assert!(limiter.check(&key("198.51.100.2"), &policy, 1).unwrap().allowed);
}

#[test]
fn sweep_drops_expired_keys_only() {
    let clock = ManualClock::new(1_000_000);
    let limiter = MemoryRateLimiter::builder().clock(clock.clone()).build();
    let short = Policy::new(5, 1_000, Algorithm::SlidingLog).unwrap();
    let long = Policy::new(5, 600_000, Algorithm::SlidingLog).unwrap();
    for index in 0..100 {
        limiter.check(&key(&format!("198.51.100.{index}")), &short, 1).unwrap();
    }
    limiter.check(&key("203.0.113.1"), &long, 1).unwrap();
    assert_eq!(limiter.len(), 101);

    // Emptied states are kept for STATE_GRACE_MS before a sweep drops them.
    clock.advance_ms(1_000 + kauth_core::STATE_GRACE_MS - 1);
    assert_eq!(limiter.sweep(), 0);
    clock.advance_ms(1);
    assert_eq!(limiter.sweep(), 100);
    assert_eq!(limiter.len(), 1);
    assert_eq!(limiter.peek(&key("203.0.113.1"), &long, 1).unwrap().remaining, 3);
}

#[test]
fn key_cap_bounds_memory_and_keeps_limited_subjects() {
    let clock = ManualClock::new(1_000_000);
    let limiter = MemoryRateLimiter::builder()
        .clock(clock.clone())
        .max_keys(64)
        .shards(4)
        .build();
    let policy = Policy::new(3, 60_000, Algorithm::SlidingLog).unwrap();
    let attacker = key("203.0.113.66");
    for _ in 0..3 {
        limiter.check(&attacker, &policy, 1).unwrap();
    }

    // A flood of one-off addresses from a rotating attacker.
    for index in 0..5_000u32 {
        let ip = format!("2001:db8:{:x}:{:x}::1", index >> 16, index & 0xffff);
        assert!(limiter.check(&key(&ip), &policy, 1).unwrap().allowed);
        clock.advance_ms(1);
    }
    assert!(limiter.len() <= 64, "{} keys held", limiter.len());
    assert!(limiter.evictions() > 0);
    let decision = limiter.check(&attacker, &policy, 1).unwrap();
    assert!(!decision.allowed, "the limited subject was evicted by the flood");
}

#[test]
fn reset_and_peek_leave_other_state_alone() {
    let limiter = MemoryRateLimiter::builder().clock(ManualClock::new(5_000)).build();
    let policy = Tier::Mfa.default_policy();
    let user = RateKey::new(Tier::Mfa, "acme", &Subject::User("u-1")).unwrap();
    limiter.check(&user, &policy, 2).unwrap();
    assert_eq!(limiter.peek(&user, &policy, 1).unwrap().remaining, 2);
    assert_eq!(limiter.peek(&user, &policy, 1).unwrap().remaining, 2);
    assert!(limiter.reset(&user));
    assert!(!limiter.reset(&user));
    assert_eq!(limiter.peek(&user, &policy, 1).unwrap().remaining, 4);
    assert!(limiter.is_empty());
}

#[test]
fn system_clock_reads_unix_millis() {
    let now_ms = kauth_mem::SystemClock.now_ms();
    // 2020-01-01 and 2100-01-01 in unix milliseconds.
    assert!((1_577_836_800_000..4_102_444_800_000).contains(&now_ms), "{now_ms}");
}
