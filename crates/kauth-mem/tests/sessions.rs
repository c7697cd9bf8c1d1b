//! The in-memory session store: its cap, its sweep and its races.

use std::sync::Arc;
use std::thread;

use kauth_core::session::{NewSession, SessionPolicy};
use kauth_mem::{ManualClock, MemorySessionStore, SessionError};

fn new_session(user: &str) -> NewSession {
    NewSession {
        user: user.to_owned(),
        workspace: "acme".to_owned(),
        ip: None,
        user_agent: "test".to_owned(),
    }
}

#[test]
fn full_store_refuses_new_sessions_but_keeps_old() {
    let store = MemorySessionStore::builder().max_sessions(3).build();
    let mut tokens = Vec::new();
    for index in 0..3 {
        tokens.push(store.create_at(new_session(&format!("u{index}")), 1_000).unwrap().0);
    }
    let error = store.create_at(new_session("u3"), 1_001).unwrap_err();
    assert_eq!(error, SessionError::Full { max_sessions: 3 });
    assert_eq!(error.to_string(), "session store is full: 3 active sessions");
    for token in &tokens {
        assert!(store.validate_at(token.as_str(), 1_002).is_some());
    }
}

#[test]
fn full_store_makes_room_from_expired_sessions() {
    let policy = SessionPolicy::new(10_000, 1_000, 5).unwrap();
    let store = MemorySessionStore::builder().policy(policy).max_sessions(2).build();
    store.create_at(new_session("a"), 0).unwrap();
    store.create_at(new_session("b"), 0).unwrap();
    let (token, _) = store.create_at(new_session("c"), 1_000).unwrap();
    assert_eq!(store.len(), 1);
    assert!(store.validate_at(token.as_str(), 1_001).is_some());
}

#[test]
fn sweep_removes_expired_sessions_and_index() {
    let clock = ManualClock::new(0);
    let policy = SessionPolicy::new(10_000, 1_000, 5).unwrap();
    let store = MemorySessionStore::builder()
        .policy(policy)
        .clock(clock.clone())
        .build();
    for _ in 0..4 {
        store.create_at(new_session("ann"), 0).unwrap();
    }
    clock.set_ms(1_000);
    assert_eq!(store.sweep(), 4);
    assert!(store.is_empty());
    assert_eq!(store.count_at("acme", "ann", 1_000), 0);
}

#[test]
fn revoke_all_races_with_validation_never_revive() {
    let store = Arc::new(MemorySessionStore::default());
    let tokens: Vec<String> = (0..50)
        .map(|_| store.create_at(new_session("bob"), 0).unwrap().0.as_str().to_owned())
        .collect();

    let validators: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            let tokens = tokens.clone();
            thread::spawn(move || {
                for round in 0..200u64 {
                    for token in &tokens {
                        store.validate_at(token, 1_000_000 + round);
                    }
                }
            })
        })
        .collect();
    store.revoke_all_at("acme", "bob", 1_000_000);
    for validator in validators {
        validator.join().unwrap();
    }
    for token in &tokens {
        assert!(store.validate_at(token, 1_000_500).is_none());
    }
    assert_eq!(store.count_at("acme", "bob", 1_000_500), 0);
}

#[test]
fn rotate_of_expired_session_fails() {
    let policy = SessionPolicy::new(10_000, 1_000, 5).unwrap();
    let store = MemorySessionStore::builder().policy(policy).build();
    let (token, _) = store.create_at(new_session("cy"), 0).unwrap();
    assert!(store.rotate_at(token.as_str(), 1_000).is_none());
    assert!(store.is_empty());
}
