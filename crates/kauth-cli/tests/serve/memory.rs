//! One service on the in-memory default.

use crate::flows::{
    assert_logs_free_of, login_burst_admits_limit, metric, peek_and_reset_are_shared, sessions_are_shared,
};
use crate::harness::{client, Call, Service};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_service_end_to_end() {
    let service = Service::memory_tracing(&[]);
    let services = [&service];
    let client = client();

    let health = Call::new("GET", service.url("/healthz")).send(&client).await;
    assert_eq!(health.status, 200, "{}", health.body);
    let ready = Call::new("GET", service.url("/readyz")).send(&client).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.json()["backend"], "memory");

    login_burst_admits_limit(&services, 20).await;
    peek_and_reset_are_shared(&services).await;
    let tokens = sessions_are_shared(&services).await;

    let metrics = Call::new("GET", service.url("/metrics")).send(&client).await;
    assert_eq!(metrics.status, 200);
    assert_eq!(
        metrics.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = &metrics.body;
    assert_eq!(
        metric(
            text,
            r#"kauth_rate_limit_decisions_total{tier="login",outcome="allowed"}"#
        ),
        5
    );
    assert_eq!(
        metric(
            text,
            r#"kauth_rate_limit_decisions_total{tier="login",outcome="limited"}"#
        ),
        15
    );
    // Three checks admitted, one limited, then one admitted after the reset.
    assert_eq!(
        metric(
            text,
            r#"kauth_rate_limit_decisions_total{tier="password-reset",outcome="allowed"}"#
        ),
        4
    );
    assert_eq!(
        metric(
            text,
            r#"kauth_http_request_duration_seconds_count{method="POST",route="/v1/limits/{tier}",status="429"}"#
        ),
        16
    );
    assert_eq!(
        metric(
            text,
            r#"kauth_http_request_duration_seconds_bucket{method="POST",route="/v1/limits/{tier}",status="429",le="+Inf"}"#
        ),
        16
    );

    // Logged at trace level, so dependencies' logs are included too.
    assert_logs_free_of(&services, &tokens);
}

#[tokio::test]
async fn policy_flag_replaces_tier_policy() {
    let service = Service::memory(&["--policy", "mfa=2/1000"]);
    let client = client();
    let body = serde_json::json!({"workspace": "acme", "user": "u-1"});

    let statuses = {
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let reply = Call::post_json(service.url("/v1/limits/mfa"), &body)
                .send(&client)
                .await;
            statuses.push(reply.status);
        }
        statuses
    };
    assert_eq!(statuses, [200, 200, 429]);

    let reply = Call::post_json(service.url("/v1/limits/mfa/peek"), &body)
        .send(&client)
        .await;
    assert_eq!(reply.header("ratelimit-policy"), Some("\"mfa\";q=2;w=1"));
}
