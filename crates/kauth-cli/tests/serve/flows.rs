//! End-to-end flows over one or several services sharing one store. Each
//! flow spreads its requests over the services it is given, so the same
//! flow checks one in-memory service and three services on one Redis.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::harness::{client, unique_workspace, Call, Reply, Service};

/// The login tier's default limit.
const LOGIN_LIMIT: usize = 5;

/// Sends `attempts` concurrent login checks for one IP, round-robin over
/// `services`, and checks that exactly the limit is admitted in total.
/// Returns the 200 and 429 counts.
pub async fn login_burst_admits_limit(services: &[&Service], attempts: usize) -> (usize, usize) {
    let client = client();
    let workspace = unique_workspace("burst");

    let mut burst = JoinSet::new();
    for attempt in 0..attempts {
        let service = services[attempt % services.len()];
        let call = Call::post_json(
            service.url("/v1/limits/login"),
            &json!({"workspace": workspace, "ip": "203.0.113.7"}),
        );
        let client = client.clone();
        burst.spawn(async move { call.send(&client).await });
    }
    let replies: Vec<Reply> = burst.join_all().await;

    let admitted: Vec<&Reply> = replies.iter().filter(|reply| reply.status == 200).collect();
    let limited: Vec<&Reply> = replies.iter().filter(|reply| reply.status == 429).collect();
    assert_eq!(
        admitted.len() + limited.len(),
        attempts,
        "statuses other than 200 and 429: {replies:?}"
    );
    assert_eq!(admitted.len(), LOGIN_LIMIT, "admitted attempts");
    assert_eq!(limited.len(), attempts - LOGIN_LIMIT, "limited attempts");

    // One atomic counter hands out each remaining value exactly once.
    let remaining: BTreeSet<u64> = admitted
        .iter()
        .map(|reply| reply.json()["remaining"].as_u64().expect("remaining"))
        .collect();
    assert_eq!(remaining, (0..LOGIN_LIMIT as u64).collect::<BTreeSet<_>>());
    for reply in &admitted {
        check_admitted(reply);
    }
    for reply in &limited {
        check_limited(reply);
    }
    (admitted.len(), limited.len())
}

/// Checks that a 200 carries the decision and matching rate-limit header
/// fields.
fn check_admitted(reply: &Reply) {
    let body = reply.json();
    assert_eq!(body["allowed"], true, "{body}");
    assert_eq!(body["limit"], 5, "{body}");
    assert_eq!(body["retry_after_ms"], 0, "{body}");
    assert_eq!(reply.header("retry-after"), None);
    assert_eq!(reply.header("ratelimit-policy"), Some("\"login\";q=5;w=60"));
    let reset_s = body["reset_after_ms"].as_u64().expect("reset_after_ms").div_ceil(1000);
    let expected = format!("\"login\";r={};t={reset_s}", body["remaining"]);
    assert_eq!(reply.header("ratelimit"), Some(expected.as_str()));
}

/// Checks that a 429 carries the decision, `Retry-After` in whole seconds
/// rounded up, and the rate-limit header fields with the same wait.
fn check_limited(reply: &Reply) {
    let body = reply.json();
    assert_eq!(body["allowed"], false, "{body}");
    assert_eq!(body["limit"], 5, "{body}");
    assert_eq!(body["remaining"], 0, "{body}");

    let retry_after_ms = body["retry_after_ms"].as_u64().expect("retry_after_ms");
    let retry_after: u64 = reply
        .header("retry-after")
        .expect("Retry-After on a 429")
        .parse()
        .expect("Retry-After is whole seconds");
    assert_eq!(retry_after, retry_after_ms.div_ceil(1000));
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");

    assert_eq!(reply.header("ratelimit-policy"), Some("\"login\";q=5;w=60"));
    let expected = format!("\"login\";r=0;t={retry_after}");
    assert_eq!(reply.header("ratelimit"), Some(expected.as_str()));
}

/// Password-reset checks, a peek and a reset through different services
/// all act on one counter, with the email canonicalised.
pub async fn peek_and_reset_are_shared(services: &[&Service]) {
    let client = client();
    let workspace = unique_workspace("reset");
    let service = |index: usize| services[index % services.len()];
    let body = |email: &str| json!({"workspace": workspace, "email": email});

    for attempt in 0..3 {
        let reply = Call::post_json(
            service(attempt).url("/v1/limits/password-reset"),
            &body("Ann@Example.com"),
        )
        .send(&client)
        .await;
        assert_eq!(reply.status, 200, "attempt {attempt}: {}", reply.body);
    }
    let reply = Call::post_json(service(3).url("/v1/limits/password-reset"), &body("ann@example.com"))
        .send(&client)
        .await;
    assert_eq!(reply.status, 429, "{}", reply.body);

    let peek = Call::post_json(
        service(1).url("/v1/limits/password-reset/peek"),
        &body("  ANN@example.COM "),
    )
    .send(&client)
    .await;
    assert_eq!(peek.status, 200, "{}", peek.body);
    assert_eq!(peek.json()["allowed"], false);
    assert_eq!(peek.json()["remaining"], 0);
    assert_eq!(peek.header("retry-after"), None, "a peek is not a rejection");

    let reset = Call::post_json(
        service(2).url("/v1/limits/password-reset/reset"),
        &body("ann@example.com"),
    )
    .send(&client)
    .await;
    assert_eq!(reset.status, 204, "{}", reset.body);
    assert_eq!(reset.body, "");

    let after = Call::post_json(service(0).url("/v1/limits/password-reset"), &body("ann@example.com"))
        .send(&client)
        .await;
    assert_eq!(after.status, 200, "{}", after.body);
    assert_eq!(after.json()["remaining"], 2);
}

/// Creates a session, with the fields a client would send.
async fn create_session(client: &reqwest::Client, service: &Service, workspace: &str, user: &str) -> Value {
    let reply = Call::post_json(
        service.url("/v1/sessions"),
        &json!({
            "workspace": workspace,
            "user": user,
            "ip": "198.51.100.23",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
        }),
    )
    .send(client)
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.json()
}

fn token_of(issued: &Value) -> String {
    issued["token"].as_str().expect("token in the response").to_owned()
}

/// Sessions created, validated, rotated and revoked through different
/// services. Returns every token issued, so the caller can check that no
/// log contains one.
pub async fn sessions_are_shared(services: &[&Service]) -> Vec<String> {
    let client = client();
    let workspace = unique_workspace("sessions");
    let [a, b, c] = [0, 1, 2].map(|index| services[index % services.len()]);

    // Created through one service, valid through another.
    let issued = create_session(&client, a, &workspace, "ann").await;
    let first_token = token_of(&issued);
    assert_eq!(first_token.len(), 43);
    assert_eq!(issued["id"].as_str().expect("id").len(), 8);
    assert_eq!(issued["user"], "ann");
    assert_eq!(issued["workspace"], workspace.as_str());
    assert_eq!(issued["ip"], "198.51.100.23");
    assert_eq!(issued["user_agent"], "Mozilla/5.0 (X11; Linux x86_64)");
    assert!(issued.get("token_hash").is_none(), "{issued}");

    let current = Call::new("GET", b.url("/v1/sessions/current"))
        .bearer(&first_token)
        .send(&client)
        .await;
    assert_eq!(current.status, 200, "{}", current.body);
    assert_eq!(current.json()["id"], issued["id"]);
    assert!(
        current.json().get("token").is_none(),
        "validation must not return the token"
    );

    let list = Call::new("GET", c.url(&format!("/v1/workspaces/{workspace}/users/ann/sessions")))
        .send(&client)
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.json()["sessions"].as_array().expect("sessions").len(), 1);
    assert_eq!(list.json()["sessions"][0]["id"], issued["id"]);
    assert!(!list.body.contains(&first_token));

    // Rotated through a second service: the old token stops at once.
    let rotated = Call::new("POST", b.url("/v1/sessions/current/rotate"))
        .bearer(&first_token)
        .send(&client)
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let second_token = token_of(&rotated.json());
    assert_ne!(second_token, first_token);
    let old = Call::new("GET", a.url("/v1/sessions/current"))
        .bearer(&first_token)
        .send(&client)
        .await;
    assert_eq!(old.status, 401, "{}", old.body);
    let new = Call::new("GET", c.url("/v1/sessions/current"))
        .bearer(&second_token)
        .send(&client)
        .await;
    assert_eq!(new.status, 200, "{}", new.body);

    // Revoked through the third service: rejected by all, like any bad token.
    let revoked = Call::new("DELETE", c.url("/v1/sessions/current"))
        .bearer(&second_token)
        .send(&client)
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    let mut rejections = Vec::new();
    for service in [a, b, c] {
        for call in rejected_token_calls(service, &second_token) {
            rejections.push(call.send(&client).await);
        }
    }
    let expected_body = &rejections[0].body;
    for reply in &rejections {
        assert_eq!(reply.status, 401, "{}", reply.body);
        assert_eq!(&reply.body, expected_body, "401 bodies differ");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    }
    assert_eq!(rejections[0].json()["error"], "unauthorized");

    let mut tokens = vec![first_token, second_token];
    tokens.extend(revoke_all_reaches_every_session(&client, [a, b, c], &workspace).await);
    tokens
}

/// Requests that must all get the same 401 once `revoked` is revoked: the
/// revoked token on each session route, an unknown well-formed token, a
/// malformed one, another scheme, and no header.
fn rejected_token_calls(service: &Service, revoked: &str) -> Vec<Call> {
    let current = || service.url("/v1/sessions/current");
    vec![
        Call::new("GET", current()).bearer(revoked),
        Call::new("DELETE", current()).bearer(revoked),
        Call::new("POST", service.url("/v1/sessions/current/rotate")).bearer(revoked),
        Call::new("GET", current()).bearer(&"A".repeat(43)),
        Call::new("GET", current()).bearer("not-a-token"),
        Call::new("GET", current()).header("authorization", format!("Basic {revoked}")),
        Call::new("GET", current()),
    ]
}

/// Two sessions of one user, created through two services, revoked by one
/// call through a third. Returns their tokens.
async fn revoke_all_reaches_every_session(
    client: &reqwest::Client,
    [a, b, c]: [&Service; 3],
    workspace: &str,
) -> Vec<String> {
    let tokens = vec![
        token_of(&create_session(client, a, workspace, "bob").await),
        token_of(&create_session(client, b, workspace, "bob").await),
    ];
    let path = format!("/v1/workspaces/{workspace}/users/bob/sessions");

    let list = Call::new("GET", c.url(&path)).send(client).await;
    assert_eq!(list.json()["sessions"].as_array().expect("sessions").len(), 2);

    let revoked = Call::new("DELETE", a.url(&path)).send(client).await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.json(), json!({"revoked": 2}));

    for token in &tokens {
        for service in [a, b, c] {
            let reply = Call::new("GET", service.url("/v1/sessions/current"))
                .bearer(token)
                .send(client)
                .await;
            assert_eq!(reply.status, 401, "{}", reply.body);
        }
    }
    let list = Call::new("GET", b.url(&path)).send(client).await;
    assert_eq!(list.json(), json!({"sessions": []}));
    tokens
}

/// No log line of any service contains any of `tokens`.
pub fn assert_logs_free_of(services: &[&Service], tokens: &[String]) {
    for service in services {
        let log = service.log();
        assert!(!log.is_empty(), "the service logged nothing");
        for token in tokens {
            assert!(!log.contains(token.as_str()), "a token appears in the log:\n{log}");
        }
    }
}

/// Reads the value of one sample in a Prometheus text exposition.
pub fn metric(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {series} in:\n{text}"))
        .parse()
        .expect("sample is an integer")
}
