//! Backend selection from the environment.

use std::ffi::OsString;

use kauth::{Backend, Config, Error, Stores};

fn lookup(value: Option<&str>) -> impl Fn(&str) -> Option<Result<String, OsString>> + '_ {
    move |name| {
        assert_eq!(name, "KAUTH_REDIS_URL");
        value.map(|value| Ok(value.to_owned()))
    }
}

#[test]
fn unset_or_blank_url_selects_memory() {
    for value in [None, Some(""), Some("   "), Some("\t\n")] {
        let config = Config::from_lookup(lookup(value)).unwrap();
        assert_eq!(config.backend, Backend::Memory, "{value:?}");
    }
}

#[test]
fn set_url_selects_redis_and_hides_password() {
    let config = Config::from_lookup(lookup(Some(" redis://:s3cret@127.0.0.1:6379/2 "))).unwrap();
    assert_eq!(
        config.backend,
        Backend::Redis {
            url: "redis://:s3cret@127.0.0.1:6379/2".to_owned()
        }
    );
    let debug = format!("{config:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
}

#[test]
fn non_utf8_url_is_named() {
    let error = Config::from_lookup(|_| Some(Err(OsString::from("x")))).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid configuration: KAUTH_REDIS_URL is not valid UTF-8"
    );
}

#[tokio::test]
async fn redis_backend_is_refused_until_built() {
    let config = Config::from_lookup(lookup(Some("redis://:s3cret@127.0.0.1:6379"))).unwrap();
    let error = Stores::from_config(config).await.unwrap_err();
    assert!(matches!(
        error,
        Error::Config {
            variable: "KAUTH_REDIS_URL",
            ..
        }
    ));
    assert!(!error.to_string().contains("s3cret"));
}
