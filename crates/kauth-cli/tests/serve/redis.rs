//! Three services sharing one Redis.

use kauth_tests::redis_server::RedisServer;

use crate::flows::{
    assert_logs_free_of, login_burst_admits_limit, metric, peek_and_reset_are_shared, sessions_are_shared,
};
use crate::harness::{client, Call, Service};

/// Redis per-command timeout of the services, in milliseconds.
const TIMEOUT_MS: u64 = 3000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_services_share_one_redis() {
    let redis = RedisServer::start();
    let started: Vec<Service> = (0..3).map(|_| Service::redis(&redis.url(), TIMEOUT_MS)).collect();
    let services: Vec<&Service> = started.iter().collect();
    let client = client();

    for service in &services {
        let ready = Call::new("GET", service.url("/readyz")).send(&client).await;
        assert_eq!(ready.status, 200, "{}", ready.body);
        assert_eq!(ready.json()["backend"], "redis");
    }

    login_burst_admits_limit(&services, 30).await;
    peek_and_reset_are_shared(&services).await;
    let tokens = sessions_are_shared(&services).await;

    // Each service counts only its own decisions; together, the limit.
    let mut allowed = 0;
    let mut limited = 0;
    for service in &services {
        let text = Call::new("GET", service.url("/metrics")).send(&client).await.body;
        allowed += metric(
            &text,
            r#"kauth_rate_limit_decisions_total{tier="login",outcome="allowed"}"#,
        );
        limited += metric(
            &text,
            r#"kauth_rate_limit_decisions_total{tier="login",outcome="limited"}"#,
        );
        assert!(text.contains(r#"kauth_info{version="#), "{text}");
        assert!(text.contains(r#"backend="redis"} 1"#), "{text}");
    }
    assert_eq!((allowed, limited), (5, 25));

    assert_logs_free_of(&services, &tokens);
}
