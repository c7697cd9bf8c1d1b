//! A table of bad requests against one in-memory service, each with the
//! exact status, error code and field it must get, plus a few unusual but
//! valid requests that must be accepted.

use serde_json::Value;

use crate::harness::{client, raw_exchange, Call, Service};

/// One request and the response it must get. `error` is empty for a request
/// that must succeed.
struct Case {
    name: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Option<Vec<u8>>,
    status: u16,
    error: &'static str,
    field: Option<&'static str>,
}

impl Case {
    fn new(name: &'static str, method: &'static str, path: impl Into<String>) -> Case {
        Case {
            name,
            method,
            path: path.into(),
            headers: Vec::new(),
            body: None,
            status: 0,
            error: "",
            field: None,
        }
    }

    /// Builds a POST with `Content-Type: application/json`.
    fn json(name: &'static str, path: &str, body: impl Into<Vec<u8>>) -> Case {
        Case::new(name, "POST", path)
            .header("content-type", "application/json")
            .body(body)
    }

    fn header(mut self, name: &'static str, value: impl Into<Vec<u8>>) -> Case {
        self.headers.push((name, value.into()));
        self
    }

    fn body(mut self, body: impl Into<Vec<u8>>) -> Case {
        self.body = Some(body.into());
        self
    }

    fn expect(mut self, status: u16, error: &'static str, field: Option<&'static str>) -> Case {
        self.status = status;
        self.error = error;
        self.field = field;
        self
    }

    fn accepted(mut self, status: u16) -> Case {
        self.status = status;
        self
    }
}

const LOGIN: &str = "/v1/limits/login";
const MFA: &str = "/v1/limits/mfa";
const RESET: &str = "/v1/limits/password-reset";
const SESSIONS: &str = "/v1/sessions";
const CURRENT: &str = "/v1/sessions/current";

fn login_body(workspace: &str, extra: &str) -> String {
    format!(r#"{{"workspace": {workspace}, "ip": "198.51.100.4"{extra}}}"#)
}

fn cost(value: &str) -> String {
    login_body(r#""acme""#, &format!(r#", "cost": {value}"#))
}

fn malformed_body_cases() -> Vec<Case> {
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    vec![
        Case::json("truncated JSON", LOGIN, r#"{"workspace": "acme","#).expect(400, "malformed_json", None),
        Case::json("form data sent as JSON", LOGIN, "workspace=acme&ip=1.2.3.4").expect(400, "malformed_json", None),
        Case::json("empty body", LOGIN, "").expect(400, "malformed_json", None),
        Case::json("invalid UTF-8", LOGIN, vec![b'{', 0xff, b'}']).expect(400, "malformed_json", None),
        Case::json("trailing garbage", LOGIN, r#"{"workspace": "acme"} x"#).expect(400, "malformed_json", None),
        Case::json("nesting beyond the parser's limit", LOGIN, deep).expect(400, "malformed_json", None),
        Case::json("array body", LOGIN, "[1, 2]").expect(422, "invalid_body", None),
        Case::json("string body", LOGIN, r#""acme""#).expect(422, "invalid_body", None),
        Case::json("null body", LOGIN, "null").expect(422, "invalid_body", None),
        Case::new("text/plain body", "POST", LOGIN)
            .header("content-type", "text/plain")
            .body(login_body(r#""acme""#, ""))
            .expect(415, "unsupported_media_type", None),
        Case::new("no content type", "POST", LOGIN)
            .body(login_body(r#""acme""#, ""))
            .expect(415, "unsupported_media_type", None),
        Case::new("form content type", "POST", SESSIONS)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("user=ann&workspace=acme")
            .expect(415, "unsupported_media_type", None),
        Case::json(
            "body over 16 KiB",
            LOGIN,
            login_body(&format!(r#""{}""#, "a".repeat(17 * 1024)), ""),
        )
        .expect(413, "payload_too_large", None),
    ]
}

fn limit_field_cases() -> Vec<Case> {
    let long_workspace = format!(r#""{}""#, "w".repeat(129));
    vec![
        Case::json("empty object", LOGIN, "{}").expect(422, "missing_field", Some("workspace")),
        Case::json("missing ip", LOGIN, r#"{"workspace": "acme"}"#).expect(422, "missing_field", Some("ip")),
        Case::json("null ip", LOGIN, r#"{"workspace": "acme", "ip": null}"#).expect(422, "missing_field", Some("ip")),
        Case::json("empty workspace", LOGIN, login_body(r#""""#, "")).expect(422, "invalid_field", Some("workspace")),
        Case::json("numeric workspace", LOGIN, login_body("7", "")).expect(422, "invalid_field", Some("workspace")),
        Case::json("workspace over 128 bytes", LOGIN, login_body(&long_workspace, "")).expect(
            422,
            "invalid_field",
            Some("workspace"),
        ),
        Case::json("NUL in workspace", LOGIN, login_body(r#""ac\u0000me""#, "")).expect(
            422,
            "invalid_field",
            Some("workspace"),
        ),
        Case::json(
            "terminal escape in workspace",
            LOGIN,
            login_body(r#""\u001b[31macme""#, ""),
        )
        .expect(422, "invalid_field", Some("workspace")),
        Case::json("C1 control in workspace", LOGIN, login_body(r#""acme\u0085""#, "")).expect(
            422,
            "invalid_field",
            Some("workspace"),
        ),
        Case::json(
            "IPv4 octet above 255",
            LOGIN,
            r#"{"workspace": "acme", "ip": "999.1.1.1"}"#,
        )
        .expect(422, "invalid_field", Some("ip")),
        Case::json(
            "host name as ip",
            LOGIN,
            r#"{"workspace": "acme", "ip": "example.com"}"#,
        )
        .expect(422, "invalid_field", Some("ip")),
        Case::json(
            "ip with port",
            LOGIN,
            r#"{"workspace": "acme", "ip": "198.51.100.4:22"}"#,
        )
        .expect(422, "invalid_field", Some("ip")),
        Case::json("ip as integer", LOGIN, r#"{"workspace": "acme", "ip": 3325256708}"#).expect(
            422,
            "invalid_field",
            Some("ip"),
        ),
        Case::json("cost zero", LOGIN, cost("0")).expect(422, "invalid_field", Some("cost")),
        Case::json("cost above the limit", LOGIN, cost("6")).expect(422, "invalid_field", Some("cost")),
        Case::json("negative cost", LOGIN, cost("-1")).expect(422, "invalid_field", Some("cost")),
        Case::json("fractional cost", LOGIN, cost("1.5")).expect(422, "invalid_field", Some("cost")),
        Case::json("cost 1e300", LOGIN, cost("1e300")).expect(422, "invalid_field", Some("cost")),
        Case::json("cost above u64", LOGIN, cost("18446744073709551616")).expect(422, "invalid_field", Some("cost")),
        Case::json("cost as string", LOGIN, cost(r#""1""#)).expect(422, "invalid_field", Some("cost")),
        Case::json("unknown field", LOGIN, login_body(r#""acme""#, r#", "ipaddr": "x""#)).expect(
            422,
            "unknown_field",
            Some("ipaddr"),
        ),
        Case::json("cost on a reset", "/v1/limits/login/reset", cost("1")).expect(422, "unknown_field", Some("cost")),
        Case::json("bell in mfa user", MFA, r#"{"workspace": "acme", "user": "ann\u0007"}"#).expect(
            422,
            "invalid_field",
            Some("user"),
        ),
        Case::json(
            "mfa user over 320 bytes",
            MFA,
            format!(r#"{{"workspace": "acme", "user": "{}"}}"#, "u".repeat(321)),
        )
        .expect(422, "invalid_field", Some("user")),
        Case::json(
            "email without @",
            RESET,
            r#"{"workspace": "acme", "email": "ann.example.com"}"#,
        )
        .expect(422, "invalid_field", Some("email")),
        Case::json(
            "email over 320 bytes",
            RESET,
            format!(r#"{{"workspace": "acme", "email": "{}@example.com"}}"#, "a".repeat(400)),
        )
        .expect(422, "invalid_field", Some("email")),
        Case::json(
            "ip field on the mfa tier",
            MFA,
            r#"{"workspace": "acme", "ip": "198.51.100.4"}"#,
        )
        .expect(422, "unknown_field", Some("ip")),
    ]
}

fn session_cases() -> Vec<Case> {
    let token_like_key = format!(r#"{{"workspace": "acme", "user": "ann", "{}": 1}}"#, "T".repeat(43));
    vec![
        Case::json("session without user", SESSIONS, r#"{"workspace": "acme"}"#).expect(
            422,
            "missing_field",
            Some("user"),
        ),
        Case::json(
            "session user over 256 bytes",
            SESSIONS,
            format!(r#"{{"workspace": "acme", "user": "{}"}}"#, "u".repeat(257)),
        )
        .expect(422, "invalid_field", Some("user")),
        Case::json(
            "session with invalid ip",
            SESSIONS,
            r#"{"workspace": "acme", "user": "ann", "ip": "not-an-ip"}"#,
        )
        .expect(422, "invalid_field", Some("ip")),
        Case::json(
            "numeric user agent",
            SESSIONS,
            r#"{"workspace": "acme", "user": "ann", "user_agent": 42}"#,
        )
        .expect(422, "invalid_field", Some("user_agent")),
        Case::json(
            "line feed in user agent",
            SESSIONS,
            r#"{"workspace": "acme", "user": "ann", "user_agent": "curl\nX-Injected: 1"}"#,
        )
        .expect(422, "invalid_field", Some("user_agent")),
        Case::json(
            "token field on create",
            SESSIONS,
            r#"{"workspace": "acme", "user": "ann", "token": "x"}"#,
        )
        .expect(422, "unknown_field", Some("token")),
        Case::json("token-sized unknown key", SESSIONS, token_like_key).expect(422, "unknown_field", None),
        Case::new("no Authorization header", "GET", CURRENT).expect(401, "unauthorized", None),
        Case::new("empty bearer token", "GET", CURRENT)
            .header("authorization", "Bearer ")
            .expect(401, "unauthorized", None),
        Case::new("basic credentials", "GET", CURRENT)
            .header("authorization", "Basic dXNlcjpwYXNz")
            .expect(401, "unauthorized", None),
        Case::new("10 kB bearer token", "GET", CURRENT)
            .header("authorization", format!("Bearer {}", "x".repeat(10_000)))
            .expect(401, "unauthorized", None),
        Case::new("non-ASCII bearer token", "DELETE", CURRENT)
            .header("authorization", b"Bearer caf\xe9".to_vec())
            .expect(401, "unauthorized", None),
        Case::new("two Authorization headers", "GET", CURRENT)
            .header("authorization", format!("Bearer {}", "A".repeat(43)))
            .header("authorization", format!("Bearer {}", "B".repeat(43)))
            .expect(401, "unauthorized", None),
        Case::new("token of the wrong length", "POST", "/v1/sessions/current/rotate")
            .header("authorization", format!("Bearer {}", "A".repeat(42)))
            .expect(401, "unauthorized", None),
        Case::new(
            "NUL in path workspace",
            "GET",
            "/v1/workspaces/ac%00me/users/ann/sessions",
        )
        .expect(422, "invalid_field", Some("workspace")),
        Case::new("empty path workspace", "GET", "/v1/workspaces//users/ann/sessions").expect(
            422,
            "invalid_field",
            Some("workspace"),
        ),
        Case::new(
            "invalid UTF-8 in path user",
            "GET",
            "/v1/workspaces/acme/users/%FF/sessions",
        )
        .expect(422, "invalid_field", Some("user")),
        Case::new(
            "path workspace over 128 bytes",
            "GET",
            format!("/v1/workspaces/{}/users/ann/sessions", "w".repeat(129)),
        )
        .expect(422, "invalid_field", Some("workspace")),
        Case::new(
            "path user over 256 bytes",
            "DELETE",
            format!("/v1/workspaces/acme/users/{}/sessions", "u".repeat(257)),
        )
        .expect(422, "invalid_field", Some("user")),
    ]
}

fn routing_cases() -> Vec<Case> {
    vec![
        Case::json("unknown tier", "/v1/limits/signup", login_body(r#""acme""#, "")).expect(404, "not_found", None),
        Case::new("unknown tier with wrong content type", "POST", "/v1/limits/signup")
            .header("content-type", "text/plain")
            .expect(404, "not_found", None),
        Case::new("unknown route", "GET", "/v1/nothing").expect(404, "not_found", None),
        Case::new("root", "GET", "/").expect(404, "not_found", None),
        Case::new("GET on a check", "GET", LOGIN).expect(405, "method_not_allowed", None),
        Case::new("PUT on sessions", "PUT", SESSIONS).expect(405, "method_not_allowed", None),
        Case::new("PATCH on the current session", "PATCH", CURRENT).expect(405, "method_not_allowed", None),
        Case::new("made-up method", "BREW", SESSIONS).expect(405, "method_not_allowed", None),
        Case::new("POST on healthz", "POST", "/healthz").expect(405, "method_not_allowed", None),
    ]
}

fn accepted_cases() -> Vec<Case> {
    vec![
        Case::json(
            "unicode workspace",
            LOGIN,
            r#"{"workspace": "アクメ", "ip": "198.51.100.70"}"#,
        )
        .accepted(200),
        Case::json("emoji user", MFA, r#"{"workspace": "acme", "user": "ann🙂"}"#).accepted(200),
        Case::json("IPv6 client", LOGIN, r#"{"workspace": "acme", "ip": "2001:db8::1"}"#).accepted(200),
        Case::new("charset parameter", "POST", LOGIN)
            .header("content-type", "Application/JSON; charset=utf-8")
            .body(r#"{"workspace": "acme", "ip": "198.51.100.71"}"#)
            .accepted(200),
        Case::json(
            "cost equal to the limit",
            LOGIN,
            r#"{"workspace": "acme", "ip": "198.51.100.72", "cost": 5}"#,
        )
        .accepted(200),
        Case::json(
            "null optional fields",
            SESSIONS,
            r#"{"workspace": "acme", "user": "ann", "ip": null, "user_agent": null}"#,
        )
        .accepted(201),
        Case::new(
            "percent-encoded slash in path user",
            "GET",
            "/v1/workspaces/acme/users/a%2Fb/sessions",
        )
        .accepted(200),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_exact_errors() {
    let service = Service::memory(&[]);
    let client = client();
    let cases: Vec<Case> = [
        malformed_body_cases(),
        limit_field_cases(),
        session_cases(),
        routing_cases(),
        accepted_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(cases.len() >= 60, "{} cases", cases.len());

    for case in cases {
        let mut call = Call::new(case.method, service.url(&case.path));
        for (name, value) in &case.headers {
            call = call.header(name, value);
        }
        if let Some(body) = case.body {
            call = call.body(body);
        }
        let reply = call.send(&client).await;
        let name = case.name;

        assert_eq!(reply.status, case.status, "{name}: {}", reply.body);
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{name}");
        if case.error.is_empty() {
            continue;
        }
        let body: Value = reply.json();
        assert_eq!(body["error"], case.error, "{name}: {body}");
        assert_eq!(body["field"].as_str(), case.field, "{name}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|message| !message.is_empty()),
            "{name}: {body}"
        );
        if case.status == 405 {
            assert!(reply.header("allow").is_some(), "{name}: no Allow header");
        }
        if case.status == 401 {
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{name}");
        }
    }

    assert!(!service.log().contains("panicked"), "{}", service.log());
}

#[tokio::test]
async fn chunked_body_over_limit_is_413() {
    let service = Service::memory(&[]);
    let chunk = "a".repeat(8 * 1024);
    let mut request = String::from(
        "POST /v1/limits/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    for _ in 0..3 {
        request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    request.push_str("0\r\n\r\n");

    let response = raw_exchange(service.address(), request.as_bytes()).await;
    assert!(response.starts_with("HTTP/1.1 413 "), "{response}");
    assert!(response.contains(r#""error":"payload_too_large""#), "{response}");
}
