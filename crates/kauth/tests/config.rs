//! Backend selection from the environment.

use std::collections::HashMap;
use std::ffi::OsString;
use std::time::{Duration, Instant};

use kauth::{Backend, Config, Error, Stores};

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<Result<String, OsString>> {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |name| vars.get(name).map(|value| Ok(value.clone()))
}

#[test]
fn unset_or_blank_url_selects_memory() {
    for value in [None, Some(""), Some("   "), Some("\t\n")] {
        let vars: Vec<(&str, &str)> = value.map(|value| ("KAUTH_REDIS_URL", value)).into_iter().collect();
        let config = Config::from_lookup(lookup(&vars)).unwrap();
        assert!(matches!(config.backend, Backend::Memory), "{value:?}");
    }
}

#[test]
fn set_url_selects_redis_and_hides_password() {
    let config = Config::from_lookup(lookup(&[("KAUTH_REDIS_URL", " redis://:s3cret@127.0.0.1:6379/2 ")])).unwrap();
    let Backend::Redis(redis) = &config.backend else {
        panic!("expected Redis, got {:?}", config.backend);
    };
    assert_eq!(redis.key_prefix(), "kotauth:");
    assert_eq!(redis.pool_size(), 8);
    assert_eq!(redis.timeout(), Duration::from_millis(3_000));
    let debug = format!("{config:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
}

#[test]
fn invalid_values_name_the_variable() {
    let cases = [
        (vec![("KAUTH_REDIS_URL", "http://127.0.0.1")], "KAUTH_REDIS_URL"),
        (
            vec![("KAUTH_REDIS_URL", "redis://127.0.0.1"), ("KAUTH_REDIS_POOL_SIZE", "0")],
            "KAUTH_REDIS_POOL_SIZE",
        ),
        (
            vec![
                ("KAUTH_REDIS_URL", "redis://127.0.0.1"),
                ("KAUTH_REDIS_TIMEOUT_MS", "soon"),
            ],
            "KAUTH_REDIS_TIMEOUT_MS",
        ),
        (
            vec![
                ("KAUTH_REDIS_URL", "redis://127.0.0.1"),
                ("KAUTH_REDIS_KEY_PREFIX", "a{b}"),
            ],
            "KAUTH_REDIS_KEY_PREFIX",
        ),
    ];
    for (vars, variable) in cases {
        let error = Config::from_lookup(lookup(&vars)).unwrap_err();
        assert!(
            matches!(&error, Error::Config { variable: named, .. } if *named == variable),
            "{vars:?}: {error}"
        );
        assert!(error.to_string().contains(variable), "{error}");
    }
}

#[test]
fn non_utf8_url_is_named() {
    let error = Config::from_lookup(|name| (name == "KAUTH_REDIS_URL").then(|| Err(OsString::from("x")))).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid configuration: KAUTH_REDIS_URL is not valid UTF-8"
    );
}

#[tokio::test]
async fn unreachable_redis_fails_start_within_timeout() {
    // Port 1 on loopback: nothing listens there, so the connection is refused.
    let vars = [
        ("KAUTH_REDIS_URL", "redis://:s3cret@127.0.0.1:1"),
        ("KAUTH_REDIS_TIMEOUT_MS", "300"),
    ];
    let config = Config::from_lookup(lookup(&vars)).unwrap();
    let started = Instant::now();
    let error = Stores::from_config(config).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(1_300),
        "took {:?}",
        started.elapsed()
    );
    assert!(error.is_unavailable(), "{error}");
    let message = error.to_string();
    assert!(!message.contains("s3cret"), "{message}");
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(message.contains("KAUTH_REDIS_URL"), "{message}");
    assert!(message.contains("within 300 ms (KAUTH_REDIS_TIMEOUT_MS)"), "{message}");
}

#[test]
fn invalid_numbers_fail_without_url() {
    let error = Config::from_lookup(lookup(&[("KAUTH_REDIS_POOL_SIZE", "0")])).unwrap_err();
    assert!(error.to_string().contains("KAUTH_REDIS_POOL_SIZE"), "{error}");
    let error = Config::from_lookup(lookup(&[("KAUTH_REDIS_TIMEOUT_MS", "-5")])).unwrap_err();
    assert!(error.to_string().contains("KAUTH_REDIS_TIMEOUT_MS"), "{error}");
}
