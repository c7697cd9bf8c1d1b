//! The facade over `rediss://`: stores built from `KAUTH_REDIS_URL` and
//! `KAUTH_REDIS_CA_FILE` connect to a TLS server whose certificate the
//! configured CA issued, and fail to start against one it did not.

use std::path::Path;

use kauth::core::session::NewSession;
use kauth::core::{RateKey, Subject, Tier};
use kauth::{Backend, Config, Error, Now, Stores};
use kauth_tests::redis_server::RedisServer;
use kauth_tests::{lookup, unique_workspace};

fn tls_config(server: &RedisServer, ca_file: Option<&Path>) -> Config {
    let url = format!("rediss://127.0.0.1:{}", server.port());
    let ca_file = ca_file.map(|path| path.to_str().expect("temporary paths are UTF-8").to_owned());
    let mut vars = vec![
        ("KAUTH_REDIS_URL", url.as_str()),
        ("KAUTH_REDIS_TIMEOUT_MS", "2000"),
        ("KAUTH_REDIS_POOL_SIZE", "2"),
        ("KAUTH_REDIS_KEY_PREFIX", "tls:"),
    ];
    if let Some(ca_file) = &ca_file {
        vars.push(("KAUTH_REDIS_CA_FILE", ca_file));
    }
    Config::from_lookup(lookup(&vars)).expect("test configuration is valid")
}

async fn assert_rejected(server: &RedisServer, ca_file: Option<&Path>) {
    let error: Error = Stores::from_config(tls_config(server, ca_file))
        .await
        .expect_err("stores started against a server whose certificate is not trusted");
    assert!(error.is_unavailable(), "{error}");
    let message = error.to_string();
    let port = server.port();
    let expected_start =
        format!("redis store is unavailable: connect failed: no answer from Redis at rediss://127.0.0.1:{port}/0");
    assert!(message.starts_with(&expected_start), "{message}");
    assert!(
        message.contains(&format!("TLS handshake with 127.0.0.1:{port} failed")),
        "{message}"
    );
    assert!(message.contains("invalid peer certificate: UnknownIssuer"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_stores_trust_configured_ca() {
    let server = RedisServer::builder().tls().start();
    let tls = server.tls_files().expect("a TLS server has certificate files");
    let config = tls_config(&server, Some(&tls.ca_file));
    match &config.backend {
        Backend::Redis(redis) => {
            assert!(redis.url().tls());
            assert_eq!(redis.ca_file(), Some(tls.ca_file.as_path()));
        }
        other => panic!("rediss:// selected {other:?}"),
    }

    let stores = Stores::from_config(config).await.unwrap();
    let workspace = unique_workspace("tls");
    let key = RateKey::new(Tier::Login, &workspace, &Subject::client("198.51.100.90")).unwrap();
    let policy = Tier::Login.default_policy();
    for remaining in [4, 3] {
        let decision = stores.limiter.check(&key, &policy, 1, Now::StoreClock).await.unwrap();
        assert!(decision.allowed);
        assert_eq!(decision.limit, 5);
        assert_eq!(decision.remaining, remaining);
    }

    let issued = stores
        .sessions
        .create(
            NewSession {
                user: "ann".to_owned(),
                workspace: workspace.clone(),
                ip: None,
                user_agent: "redis-tls/1.0".to_owned(),
            },
            Now::StoreClock,
        )
        .await
        .unwrap();
    let record = stores
        .sessions
        .validate(issued.token.as_str(), Now::StoreClock)
        .await
        .unwrap()
        .expect("new session validates over TLS");
    assert_eq!(record.user, "ann");

    // The state went to the TLS server, under the configured prefix.
    let state_key = format!("tls:{{{}}}", key.as_str());
    assert_eq!(server.redis_cli(&["EXISTS", &state_key]), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_stores_reject_other_ca() {
    let server = RedisServer::builder().tls().start();
    let tls = server.tls_files().expect("a TLS server has certificate files");

    assert_rejected(&server, Some(&tls.other_ca_file)).await;
    // Without a CA file the web PKI roots apply, and they do not include
    // the test CA either.
    assert_rejected(&server, None).await;
}
