//! Three services on one Redis while Redis is killed, restarted, paused
//! and resumed: 503 within the timeout, never 200, and recovery without
//! restarting the services.

use std::time::{Duration, Instant};

use kauth_tests::redis_server::RedisServer;
use serde_json::json;
use tokio::task::JoinSet;

use crate::flows::metric;
use crate::harness::{client, unique_workspace, Call, Reply, Service};

/// Redis per-command timeout of the services, in milliseconds.
const TIMEOUT_MS: u64 = 500;
/// Time allowed on top of the timeout for a 503 to arrive: the debug build
/// and process scheduling on a busy two-core machine.
const MARGIN: Duration = Duration::from_millis(1500);
/// Longest wait for a service to return 200 again once Redis is back.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(15);

/// Builds one request per route that needs the store, each named for
/// failure messages.
fn store_backed_calls(service: &Service, workspace: &str, token: &str) -> Vec<(&'static str, Call)> {
    let limit = |tier: &str, subject: serde_json::Value| {
        let mut body = json!({"workspace": workspace});
        body.as_object_mut()
            .expect("object")
            .extend(subject.as_object().expect("object").clone());
        Call::post_json(service.url(&format!("/v1/limits/{tier}")), &body)
    };
    let login = || json!({"ip": "192.0.2.44"});
    let user_sessions = format!("/v1/workspaces/{workspace}/users/ann/sessions");
    vec![
        ("login check", limit("login", login())),
        ("mfa check", limit("mfa", json!({"user": "ann"}))),
        (
            "password-reset check",
            limit("password-reset", json!({"email": "ann@example.com"})),
        ),
        ("login peek", limit("login/peek", login())),
        ("login reset", limit("login/reset", login())),
        (
            "session create",
            Call::post_json(
                service.url("/v1/sessions"),
                &json!({"workspace": workspace, "user": "ann"}),
            ),
        ),
        (
            "session validate",
            Call::new("GET", service.url("/v1/sessions/current")).bearer(token),
        ),
        (
            "session rotate",
            Call::new("POST", service.url("/v1/sessions/current/rotate")).bearer(token),
        ),
        (
            "session revoke",
            Call::new("DELETE", service.url("/v1/sessions/current")).bearer(token),
        ),
        ("user sessions list", Call::new("GET", service.url(&user_sessions))),
        ("user sessions revoke", Call::new("DELETE", service.url(&user_sessions))),
        ("readiness", Call::new("GET", service.url("/readyz"))),
    ]
}

/// Sends every store-backed call to every service at once and checks that
/// each gets a 503 with `Retry-After` within the timeout plus the margin.
/// Returns the slowest response time.
async fn all_fail_closed(services: &[Service], workspace: &str, token: &str) -> Duration {
    let client = client();
    let mut calls = JoinSet::new();
    for (index, service) in services.iter().enumerate() {
        for (name, call) in store_backed_calls(service, workspace, token) {
            let client = client.clone();
            calls.spawn(async move { (index, name, call.send(&client).await) });
        }
    }
    let replies: Vec<(usize, &str, Reply)> = calls.join_all().await;
    assert_eq!(replies.len(), services.len() * 12);

    let deadline = Duration::from_millis(TIMEOUT_MS) + MARGIN;
    let mut slowest = Duration::ZERO;
    for (index, name, reply) in &replies {
        assert_eq!(reply.status, 503, "service {index}, {name}: {}", reply.body);
        assert_eq!(reply.json()["error"], "store_unavailable", "service {index}, {name}");
        assert_eq!(reply.header("retry-after"), Some("1"), "service {index}, {name}");
        assert!(
            reply.elapsed <= deadline,
            "service {index}, {name}: 503 after {:?}, above {deadline:?}",
            reply.elapsed
        );
        slowest = slowest.max(reply.elapsed);
    }

    for service in services {
        let health = Call::new("GET", service.url("/healthz")).send(&client).await;
        assert_eq!(health.status, 200, "liveness must not depend on the store");
    }
    slowest
}

/// Polls each service with login checks until one is admitted. Until then
/// only 503s are acceptable.
async fn wait_for_recovery(services: &[Service], workspace: &str) -> Duration {
    let client = client();
    let started = Instant::now();
    for (index, service) in services.iter().enumerate() {
        loop {
            let reply = Call::post_json(
                service.url("/v1/limits/login"),
                &json!({"workspace": workspace, "ip": format!("198.51.100.{index}")}),
            )
            .send(&client)
            .await;
            match reply.status {
                200 => break,
                503 => assert!(
                    started.elapsed() < RECOVERY_TIMEOUT,
                    "service {index} still returns 503 {RECOVERY_TIMEOUT:?} after Redis came back"
                ),
                status => panic!("service {index} returned {status} while recovering: {}", reply.body),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let ready = Call::new("GET", service.url("/readyz")).send(&client).await;
        assert_eq!(ready.status, 200, "service {index}: {}", ready.body);
    }
    started.elapsed()
}

async fn create_session(service: &Service, workspace: &str) -> String {
    let reply = Call::post_json(
        service.url("/v1/sessions"),
        &json!({"workspace": workspace, "user": "ann"}),
    )
    .send(&client())
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json()["token"].as_str().expect("token").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_fails_closed_then_recovers() {
    let mut redis = RedisServer::start();
    let services: Vec<Service> = (0..3).map(|_| Service::redis(&redis.url(), TIMEOUT_MS)).collect();
    let workspace = unique_workspace("outage");
    // A session from before the outage, so that validation reaches the store.
    let token = create_session(&services[0], &workspace).await;

    redis.kill();
    let slowest_killed = all_fail_closed(&services, &workspace, &token).await;
    for service in &services {
        let text = Call::new("GET", service.url("/metrics")).send(&client()).await.body;
        let errors = metric(
            &text,
            r#"kauth_store_errors_total{operation="check",kind="unavailable"}"#,
        );
        assert!(errors >= 3, "check errors counted: {errors}");
    }

    redis.restart();
    let recovered_after_restart = wait_for_recovery(&services, &workspace).await;

    // A paused Redis accepts connections but never replies, so every
    // request waits out the timeout.
    let token = create_session(&services[1], &workspace).await;
    redis.pause();
    let slowest_paused = all_fail_closed(&services, &workspace, &token).await;
    redis.resume();
    let recovered_after_resume = wait_for_recovery(&services, &workspace).await;

    eprintln!(
        "Redis timeout {TIMEOUT_MS} ms, 3 services x 12 store-backed requests: slowest 503 {slowest_killed:?} \
         with Redis killed, {slowest_paused:?} with Redis paused; 200 again {recovered_after_restart:?} after \
         the restart, {recovered_after_resume:?} after the resume"
    );
    for service in &services {
        let log = service.log();
        assert!(log.contains("returning 503 until it recovers"), "{log}");
        assert!(log.contains("store reachable again"), "{log}");
        assert!(!log.contains(&token), "a token appears in the log");
    }
}
