//! The Redis plumbing under failure: configuration, connecting, scripts, and
//! how the pool fails closed and recovers when the server is killed, paused,
//! restarted or closes idle connections. Every server is a `redis-server`
//! started by the test on a free loopback port.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kauth_redis::{RedisConfig, RedisError, RedisPool, Script, TimedOut, Value};
use kauth_tests::redis_server::RedisServer;

/// The timeout of every pool in these tests, short so that they run fast.
const TIMEOUT: Duration = Duration::from_millis(400);
/// Slack allowed on top of the timeout before a failing call must return:
/// scheduling on a loaded 2-core machine, not part of the contract.
const MARGIN: Duration = Duration::from_millis(500);

const INCR: &str = "return redis.call('INCR', KEYS[1])";

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<Result<String, OsString>> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    move |name| vars.get(name).cloned().map(Ok)
}

fn config_error(vars: &[(&str, &str)]) -> String {
    match RedisConfig::from_lookup(lookup(vars)) {
        Ok(config) => panic!("{vars:?} was accepted as {config:?}"),
        Err(error) => {
            assert!(matches!(error, RedisError::Config { .. }), "{error:?}");
            error.to_string()
        }
    }
}

fn config(url: &str) -> RedisConfig {
    RedisConfig::builder(url)
        .pool_size(2)
        .timeout(TIMEOUT)
        .build()
        .expect("test configuration is valid")
}

async fn connect(url: &str) -> RedisPool {
    RedisPool::connect(&config(url))
        .await
        .expect("connect to the test server")
}

async fn incr(pool: &RedisPool, script: &Script, key: &str) -> Result<i64, RedisError> {
    match pool.run_script(script, "incr", &[key], &[]).await? {
        Value::Int(count) => Ok(count),
        other => panic!("INCR returned {other:?}"),
    }
}

/// Runs `call`, checks that it fails closed within the timeout plus the
/// margin, and returns how long it took.
async fn assert_fails_closed<T: std::fmt::Debug>(
    call: impl std::future::Future<Output = Result<T, RedisError>>,
) -> Duration {
    let started = Instant::now();
    let result = call.await;
    let elapsed = started.elapsed();

    let error = result.expect_err("call succeeded against a failed server");
    assert!(error.is_unavailable(), "{error}");
    assert!(elapsed <= TIMEOUT + MARGIN, "took {elapsed:?}: {error}");
    elapsed
}

/// Collects everything logged on this thread while the guard lives.
struct CapturedLogs {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl CapturedLogs {
    fn start() -> CapturedLogs {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buffer);
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || LogWriter(Arc::clone(&writer)))
            .finish();
        CapturedLogs {
            buffer,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap()).into_owned()
    }
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn config_reads_defaults_and_values() {
    let config = RedisConfig::from_lookup(lookup(&[("KAUTH_REDIS_URL", "redis://127.0.0.1")]))
        .unwrap()
        .unwrap();
    assert_eq!(config.pool_size(), 8);
    assert_eq!(config.timeout(), Duration::from_millis(3_000));
    assert_eq!(config.key_prefix(), "kotauth:");
    assert_eq!(config.ca_file(), None);
    assert_eq!(config.url().to_string(), "redis://127.0.0.1:6379/0");

    let config = RedisConfig::from_lookup(lookup(&[
        ("KAUTH_REDIS_URL", " rediss://app:s3cret@redis.internal:6380/2 "),
        ("KAUTH_REDIS_POOL_SIZE", "1024"),
        ("KAUTH_REDIS_TIMEOUT_MS", " 1 "),
        ("KAUTH_REDIS_KEY_PREFIX", "auth prod:"),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(config.pool_size(), 1024);
    assert_eq!(config.timeout(), Duration::from_millis(1));
    assert_eq!(config.key_prefix(), "auth prod:");
    let url = config.url();
    assert!(url.tls());
    assert_eq!((url.host(), url.port(), url.db()), ("redis.internal", 6380, 2));
    assert_eq!(url.username(), Some("app"));
    assert!(url.has_password());
    assert_eq!(url.to_string(), "rediss://app:<redacted>@redis.internal:6380/2");
}

#[test]
fn config_parses_url_forms() {
    let cases = [
        ("redis://localhost", "localhost", 6379, 0, None, false),
        ("REDIS://localhost:1/0", "localhost", 1, 0, None, false),
        ("redis://[::1]:7000/15", "::1", 7000, 15, None, false),
        ("redis://:p%40ss@h:65535", "h", 65535, 0, None, true),
        ("redis://u:p@ss:w/o@rd@h/3", "h", 6379, 3, Some("u"), true),
        ("redis://h/", "h", 6379, 0, None, false),
    ];
    for (text, host, port, db, username, has_password) in cases {
        let config = RedisConfig::builder(text)
            .build()
            .unwrap_or_else(|error| panic!("{text}: {error}"));
        let url = config.url();
        assert_eq!(url.host(), host, "{text}");
        assert_eq!(url.port(), port, "{text}");
        assert_eq!(url.db(), db, "{text}");
        assert_eq!(url.username(), username, "{text}");
        assert_eq!(url.has_password(), has_password, "{text}");
    }
    let ipv6 = RedisConfig::builder("redis://[::1]").build().unwrap();
    assert_eq!(ipv6.url().address(), "[::1]:6379");
}

#[test]
fn config_blank_url_is_not_configured() {
    for url in [None, Some(""), Some("  \t ")] {
        let mut vars = vec![
            ("KAUTH_REDIS_POOL_SIZE", "4"),
            ("KAUTH_REDIS_CA_FILE", "/nonexistent.pem"),
        ];
        if let Some(url) = url {
            vars.push(("KAUTH_REDIS_URL", url));
        }
        assert!(RedisConfig::from_lookup(lookup(&vars)).unwrap().is_none(), "{url:?}");

        // Numbers are checked even without a URL, so a typo shows up at once.
        vars[0] = ("KAUTH_REDIS_POOL_SIZE", "four");
        let error = RedisConfig::from_lookup(lookup(&vars)).unwrap_err();
        assert!(error.to_string().contains("KAUTH_REDIS_POOL_SIZE"), "{error}");
    }
}

#[test]
fn config_rejects_invalid_values() {
    let url = ("KAUTH_REDIS_URL", "redis://127.0.0.1");
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[url, ("KAUTH_REDIS_POOL_SIZE", "abc")],
            "invalid configuration: KAUTH_REDIS_POOL_SIZE must be an integer between 1 and 1024, got \"abc\"",
        ),
        (
            &[url, ("KAUTH_REDIS_POOL_SIZE", "0")],
            "invalid configuration: KAUTH_REDIS_POOL_SIZE must be an integer between 1 and 1024, got \"0\"",
        ),
        (
            &[url, ("KAUTH_REDIS_POOL_SIZE", "1025")],
            "invalid configuration: KAUTH_REDIS_POOL_SIZE must be an integer between 1 and 1024, got \"1025\"",
        ),
        (
            &[url, ("KAUTH_REDIS_TIMEOUT_MS", "0")],
            "invalid configuration: KAUTH_REDIS_TIMEOUT_MS must be an integer number of milliseconds \
             between 1 and 600000, got \"0\"",
        ),
        (
            &[url, ("KAUTH_REDIS_TIMEOUT_MS", "1.5")],
            "invalid configuration: KAUTH_REDIS_TIMEOUT_MS must be an integer number of milliseconds \
             between 1 and 600000, got \"1.5\"",
        ),
        (
            &[url, ("KAUTH_REDIS_TIMEOUT_MS", "600001")],
            "invalid configuration: KAUTH_REDIS_TIMEOUT_MS must be an integer number of milliseconds \
             between 1 and 600000, got \"600001\"",
        ),
        (
            &[url, ("KAUTH_REDIS_KEY_PREFIX", "{tag}:")],
            "invalid configuration: KAUTH_REDIS_KEY_PREFIX must be 1 to 64 printable ASCII characters \
             without \"{\" or \"}\", got \"{tag}:\"",
        ),
        (
            &[url, ("KAUTH_REDIS_KEY_PREFIX", "caf\u{e9}:")],
            "invalid configuration: KAUTH_REDIS_KEY_PREFIX must be 1 to 64 printable ASCII characters \
             without \"{\" or \"}\", got \"caf\u{e9}:\"",
        ),
        (
            &[url, ("KAUTH_REDIS_CA_FILE", "/nonexistent/kauth/ca.pem")],
            "invalid configuration: KAUTH_REDIS_CA_FILE is set, but KAUTH_REDIS_URL uses redis:// without \
             TLS (use rediss:// or unset KAUTH_REDIS_CA_FILE)",
        ),
        (
            &[
                ("KAUTH_REDIS_URL", "rediss://127.0.0.1"),
                ("KAUTH_REDIS_CA_FILE", "/nonexistent/kauth/ca.pem"),
            ],
            "invalid configuration: KAUTH_REDIS_CA_FILE names a file that could not be read: \
             /nonexistent/kauth/ca.pem: No such file or directory (os error 2)",
        ),
        (
            &[("KAUTH_REDIS_URL", "http://127.0.0.1")],
            "invalid configuration: KAUTH_REDIS_URL has scheme \"http\" but must use redis:// or rediss://",
        ),
        (
            &[("KAUTH_REDIS_URL", "127.0.0.1:6379")],
            "invalid configuration: KAUTH_REDIS_URL must start with redis:// or rediss://",
        ),
        (
            &[("KAUTH_REDIS_URL", "redis://")],
            "invalid configuration: KAUTH_REDIS_URL has no host (expected \
             redis://[[user]:password@]host[:port][/db])",
        ),
        (
            &[("KAUTH_REDIS_URL", "redis://h:0")],
            "invalid configuration: KAUTH_REDIS_URL has a port that is not an integer between 1 and 65535",
        ),
        (
            &[("KAUTH_REDIS_URL", "redis://h:65536")],
            "invalid configuration: KAUTH_REDIS_URL has a port that is not an integer between 1 and 65535",
        ),
        (
            &[("KAUTH_REDIS_URL", "redis://h/one")],
            "invalid configuration: KAUTH_REDIS_URL has a database that is not an integer between 0 and 2147483647",
        ),
        (
            &[("KAUTH_REDIS_URL", "redis://h/0?protocol=resp3")],
            "invalid configuration: KAUTH_REDIS_URL has a query string or fragment, which kauth does not support",
        ),
        (
            &[("KAUTH_REDIS_URL", "redis://[::1:6379")],
            "invalid configuration: KAUTH_REDIS_URL has an IPv6 host without its closing \"]\"",
        ),
    ];
    for (vars, expected) in cases {
        assert_eq!(config_error(vars), *expected, "{vars:?}");
    }
}

#[test]
fn config_rejects_non_utf8_value() {
    use std::os::unix::ffi::OsStringExt;

    let lookup = |name: &str| match name {
        "KAUTH_REDIS_URL" => Some(Ok("redis://127.0.0.1".to_owned())),
        "KAUTH_REDIS_KEY_PREFIX" => Some(Err(OsString::from_vec(vec![0xff]))),
        _ => None,
    };
    let error = RedisConfig::from_lookup(lookup).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid configuration: KAUTH_REDIS_KEY_PREFIX is not valid UTF-8"
    );
}

#[test]
fn config_builder_checks_like_env() {
    let error = RedisConfig::builder("redis://h").pool_size(0).build().unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid configuration: KAUTH_REDIS_POOL_SIZE must be an integer between 1 and 1024, got 0"
    );
    let error = RedisConfig::builder("redis://h")
        .timeout(Duration::from_micros(999))
        .build()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid configuration: KAUTH_REDIS_TIMEOUT_MS must be an integer number of milliseconds between 1 \
         and 600000, got 0"
    );
    let error = RedisConfig::builder("redis://h").key_prefix("").build().unwrap_err();
    assert!(
        error.to_string().contains("KAUTH_REDIS_KEY_PREFIX must be 1 to 64"),
        "{error}"
    );
    let error = RedisConfig::builder("redis://h")
        .key_prefix("p".repeat(65))
        .build()
        .unwrap_err();
    assert!(
        error.to_string().contains("KAUTH_REDIS_KEY_PREFIX must be 1 to 64"),
        "{error}"
    );
    assert!(RedisConfig::builder("redis://h")
        .key_prefix("p".repeat(64))
        .build()
        .is_ok());
    let error = RedisConfig::builder(" ").build().unwrap_err();
    assert_eq!(error.to_string(), "invalid configuration: KAUTH_REDIS_URL is empty");
}

#[test]
fn config_errors_never_show_password() {
    let password = "Hunter2Secret";
    let bad_urls = [
        format!("http://user:{password}@127.0.0.1"),
        format!("user:{password}@127.0.0.1"),
        format!("{password}://127.0.0.1"),
        format!("redis://user:{password}@"),
        format!("redis://:{password}@127.0.0.1:99999"),
        format!("redis://:{password}@127.0.0.1:port"),
        format!("redis://:{password}@127.0.0.1/db"),
        format!("redis://:{password}@127.0.0.1/0?x=1"),
        format!("redis://:{password}@[::1"),
        format!("redis://:{password}@bad host"),
        format!("redis://:{password}%zz@127.0.0.1"),
        format!("redis://:{password}"),
        format!("redis://127.0.0.1:{password}"),
        format!("redis://127.0.0.1/{password}"),
        format!("redis://{password}@127.0.0.1"),
        format!("redis://user:@127.0.0.1/{password}"),
        format!("redis://user:{password}@127.0.0.1/0#{password}"),
    ];
    for url in &bad_urls {
        let vars = [("KAUTH_REDIS_URL", url.as_str())];
        let error = RedisConfig::from_lookup(lookup(&vars)).unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(shown.contains("KAUTH_REDIS_URL"), "{shown}");
        assert!(!shown.contains(password), "{url}: {shown}");
    }
}

#[test]
fn config_debug_hides_password() {
    let password = "Hunter2Secret";
    let url = format!("redis://admin:{password}@127.0.0.1:6380/1");
    let config = RedisConfig::builder(&url).build().unwrap();
    let shown = format!("{config:?} {} {:?}", config.url(), config.url());
    assert!(!shown.contains(password), "{shown}");
    assert_eq!(
        format!("{config:?}"),
        "RedisConfig { url: \"redis://admin:<redacted>@127.0.0.1:6380/1\", pool_size: 8, timeout_ms: 3000, \
         key_prefix: \"kotauth:\", ca_file: None }"
    );

    let builder = RedisConfig::builder(&url);
    assert!(!format!("{builder:?}").contains(password));
}

#[tokio::test]
async fn script_runs_on_server() {
    let server = RedisServer::start();
    let pool = connect(&server.url()).await;
    let script = Script::new("incr", INCR);

    assert_eq!(incr(&pool, &script, "counter").await.unwrap(), 1);
    assert_eq!(incr(&pool, &script, "counter").await.unwrap(), 2);
    assert_eq!(server.redis_cli(&["GET", "counter"]), "2");

    let reply = pool.query("ping", &redis::cmd("PING")).await.unwrap();
    assert_eq!(reply, Value::SimpleString("PONG".to_owned()));
}

#[tokio::test]
async fn script_reloads_after_script_flush() {
    let server = RedisServer::start();
    let pool = connect(&server.url()).await;
    let script = Script::new("incr", INCR);
    assert_eq!(incr(&pool, &script, "counter").await.unwrap(), 1);

    assert_eq!(server.redis_cli(&["SCRIPT", "FLUSH"]), "OK");
    assert_eq!(server.redis_cli(&["SCRIPT", "EXISTS", script.sha1()]), "0");
    let logs = CapturedLogs::start();
    assert_eq!(incr(&pool, &script, "counter").await.unwrap(), 2);
    assert_eq!(incr(&pool, &script, "counter").await.unwrap(), 3);

    assert_eq!(server.redis_cli(&["SCRIPT", "EXISTS", script.sha1()]), "1");
    let logs = logs.text();
    assert_eq!(logs.matches("loading it and running it again").count(), 1, "{logs}");
}

#[tokio::test]
async fn script_error_is_script_error() {
    let server = RedisServer::start();
    let pool = connect(&server.url()).await;

    let failing = Script::new("failing", "return redis.error_reply('ERR kauth test failure')");
    let error = pool.run_script(&failing, "fail", &[], &[]).await.unwrap_err();
    assert!(matches!(error, RedisError::Script { name: "failing", .. }), "{error:?}");
    assert_eq!(error.to_string(), "redis script failing failed: ERR kauth test failure");

    let error = pool.query("bogus", &redis::cmd("NOSUCHCOMMAND")).await.unwrap_err();
    assert!(
        matches!(error, RedisError::Command { operation: "bogus", .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("redis command bogus failed: ERR unknown command"),
        "{error}"
    );
}

#[tokio::test]
async fn killed_server_fails_closed_within_timeout() {
    let mut server = RedisServer::start();
    let pool = connect(&server.url()).await;
    let script = Script::new("incr", INCR);
    incr(&pool, &script, "counter").await.unwrap();

    server.kill();
    let logs = CapturedLogs::start();
    let mut latencies = Vec::new();
    for _ in 0..6 {
        latencies.push(assert_fails_closed(incr(&pool, &script, "counter")).await);
    }
    println!("fail-closed latencies after kill: {latencies:?}");

    // The six failures within a second make one warning.
    let logs = logs.text();
    assert_eq!(logs.matches("redis call failed closed").count(), 1, "{logs}");
    assert!(logs.contains("suppressed=0"), "{logs}");
}

#[tokio::test]
async fn paused_server_fails_closed_then_recovers() {
    let server = RedisServer::start();
    let pool = connect(&server.url()).await;
    let script = Script::new("incr", INCR);
    assert_eq!(incr(&pool, &script, "counter").await.unwrap(), 1);

    server.pause();
    let mut latencies = Vec::new();
    for _ in 0..4 {
        let elapsed = assert_fails_closed(incr(&pool, &script, "counter")).await;
        assert!(elapsed >= TIMEOUT, "failed before the timeout: {elapsed:?}");
        latencies.push(elapsed);
    }
    let error = incr(&pool, &script, "counter").await.unwrap_err();
    let source = std::error::Error::source(&error).expect("unavailable has a source");
    assert!(source.downcast_ref::<TimedOut>().is_some(), "{error}");
    println!("fail-closed latencies while paused: {latencies:?}");

    server.resume();
    // The timed-out calls may or may not have run once Redis resumed, so
    // only the increase from here on is exact.
    let before = incr(&pool, &script, "counter").await.unwrap();
    for step in 1..=4 {
        assert_eq!(incr(&pool, &script, "counter").await.unwrap(), before + step);
    }
}

#[tokio::test]
async fn restarted_server_serves_same_pool() {
    let mut server = RedisServer::start();
    let pool = connect(&server.url()).await;
    let script = Script::new("incr", INCR);
    assert_eq!(incr(&pool, &script, "counter").await.unwrap(), 1);

    server.restart();
    // The new server has no data and no cached scripts. Every connection of
    // the pool is reopened and the script loaded again.
    for expected in 1..=4 {
        assert_eq!(incr(&pool, &script, "counter").await.unwrap(), expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_survive_restart() {
    let mut server = RedisServer::start();
    let pool = connect(&server.url()).await;
    let script = Arc::new(Script::new("incr", INCR));

    let run_batch = |count: usize| {
        let tasks: Vec<_> = (0..count)
            .map(|_| {
                let pool = pool.clone();
                let script = Arc::clone(&script);
                tokio::spawn(async move { incr(&pool, &script, "counter").await })
            })
            .collect();
        async move {
            for task in tasks {
                task.await.unwrap().unwrap();
            }
        }
    };

    run_batch(40).await;
    assert_eq!(server.redis_cli(&["GET", "counter"]), "40");

    server.restart();
    run_batch(40).await;
    assert_eq!(server.redis_cli(&["GET", "counter"]), "40");
}

#[tokio::test]
async fn idle_closed_connection_is_reopened() {
    let server = RedisServer::start();
    let pool = connect(&server.url()).await;
    let script = Script::new("incr", INCR);
    assert_eq!(server.redis_cli(&["CONFIG", "SET", "timeout", "1"]), "OK");

    // While the runtime sleeps it sees Redis close both idle connections,
    // so the next calls reopen them before sending anything.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let logs = CapturedLogs::start();
    for expected in 1..=4 {
        assert_eq!(incr(&pool, &script, "counter").await.unwrap(), expected);
    }

    let logs = logs.text();
    assert_eq!(logs.matches("reconnected to redis").count(), 2, "{logs}");
    assert!(!logs.contains("retrying"), "{logs}");
}

#[tokio::test]
async fn idle_close_unseen_by_runtime_reconnects() {
    let server = RedisServer::start();
    let pool = connect(&server.url()).await;
    let script = Script::new("incr", INCR);
    assert_eq!(server.redis_cli(&["CONFIG", "SET", "timeout", "1"]), "OK");

    // A blocking sleep keeps this single-threaded runtime from running the
    // connections' tasks, so only the sockets show that Redis closed them.
    std::thread::sleep(Duration::from_millis(2_500));
    let logs = CapturedLogs::start();
    for expected in 1..=4 {
        assert_eq!(incr(&pool, &script, "counter").await.unwrap(), expected);
    }

    assert_eq!(server.redis_cli(&["GET", "counter"]), "4");
    let logs = logs.text();
    assert_eq!(logs.matches("reconnected to redis").count(), 2, "{logs}");
    assert!(!logs.contains("retrying"), "{logs}");
}

#[tokio::test]
async fn tls_with_test_ca_connects() {
    let server = RedisServer::builder().tls().start();
    let tls = server.tls_files().unwrap();
    let config = RedisConfig::from_lookup(lookup(&[
        ("KAUTH_REDIS_URL", &server.url()),
        ("KAUTH_REDIS_CA_FILE", tls.ca_file.to_str().unwrap()),
        ("KAUTH_REDIS_TIMEOUT_MS", "2000"),
    ]))
    .unwrap()
    .unwrap();
    assert!(config.url().tls());

    let pool = RedisPool::connect(&config).await.unwrap();
    let script = Script::new("incr", INCR);
    let logs = CapturedLogs::start();
    for expected in 1..=10 {
        assert_eq!(incr(&pool, &script, "counter").await.unwrap(), expected);
    }
    assert_eq!(server.redis_cli(&["GET", "counter"]), "10");

    // Nothing left unread on an idle TLS connection, such as a session
    // ticket, makes the pool take it for closed.
    let logs = logs.text();
    assert!(!logs.contains("reconnected"), "{logs}");
}

#[tokio::test]
async fn tls_with_other_ca_is_rejected() {
    let server = RedisServer::builder().tls().start();
    let tls = server.tls_files().unwrap();

    for ca_file in [Some(&tls.other_ca_file), None] {
        let mut builder = RedisConfig::builder(server.url()).timeout(Duration::from_millis(2_000));
        if let Some(ca_file) = ca_file {
            builder = builder.ca_file(ca_file);
        }
        let error = RedisPool::connect(&builder.build().unwrap()).await.unwrap_err();
        assert!(error.is_unavailable(), "{error}");
        let message = error.to_string();
        assert!(
            message.starts_with("redis is unavailable: connect failed: TLS handshake with 127.0.0.1:"),
            "{message}"
        );
        assert!(message.contains("invalid peer certificate: UnknownIssuer"), "{message}");
    }
}

#[tokio::test]
async fn plain_client_to_tls_server_fails_within_timeout() {
    let server = RedisServer::builder().tls().start();
    let url = format!("redis://127.0.0.1:{}", server.port());
    let elapsed = assert_fails_closed(RedisPool::connect(&config(&url))).await;
    println!("plain client to TLS server failed after {elapsed:?}");
}

#[tokio::test]
async fn connect_to_closed_port_fails() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let started = Instant::now();
    let error = RedisPool::connect(&config(&format!("redis://127.0.0.1:{port}")))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();

    assert!(elapsed <= TIMEOUT + MARGIN, "took {elapsed:?}");
    assert!(error.is_unavailable(), "{error}");
    assert_eq!(
        error.to_string(),
        format!("redis is unavailable: connect failed: TCP connect to 127.0.0.1:{port} failed: Connection refused (os error 111)")
    );
    println!("connect to a closed port failed after {elapsed:?}");
}

#[tokio::test]
async fn connect_to_silent_listener_times_out() {
    // The kernel completes the TCP handshake for the listener's backlog, but
    // nothing ever replies, as with a hung server.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();

    let elapsed = assert_fails_closed(RedisPool::connect(&config(&format!("redis://127.0.0.1:{port}")))).await;
    assert!(elapsed >= TIMEOUT, "failed before the timeout: {elapsed:?}");
    let error = RedisPool::connect(&config(&format!("redis://127.0.0.1:{port}")))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "redis is unavailable: connect failed: timed out after 400 ms"
    );
    println!("connect to a silent listener failed after {elapsed:?}");
}

#[tokio::test]
async fn password_authenticates_and_never_shows() {
    let password = "Hunter2Secret";
    let wrong_password = "Wrong9Password";
    let server = RedisServer::builder().password(password).start();
    let logs = CapturedLogs::start();

    let pool = connect(&server.url()).await;
    let script = Script::new("incr", INCR);
    assert_eq!(incr(&pool, &script, "counter").await.unwrap(), 1);
    assert!(!format!("{pool:?}").contains(password));

    let wrong = server.url().replace(password, wrong_password);
    let error = RedisPool::connect(&config(&wrong)).await.unwrap_err();
    assert!(error.is_unavailable(), "{error}");
    assert_eq!(
        error.to_string(),
        format!(
            "redis is unavailable: connect failed: authentication and setup with 127.0.0.1:{} failed: \
             Redis rejected the user name or password given in KAUTH_REDIS_URL",
            server.port()
        )
    );
    let missing = format!("redis://127.0.0.1:{}", server.port());
    let error = RedisPool::connect(&config(&missing)).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "redis is unavailable: connect failed: PING to 127.0.0.1:{} failed: NOAUTH Authentication required.",
            server.port()
        )
    );

    let logs = logs.text();
    assert!(logs.contains("could not connect to redis"), "{logs}");
    assert!(!logs.contains(password), "{logs}");
    assert!(!logs.contains(wrong_password), "{logs}");
}

#[tokio::test]
async fn tls_idle_close_reconnects() {
    let server = RedisServer::builder().tls().start();
    let tls = server.tls_files().unwrap();
    let config = RedisConfig::builder(server.url())
        .ca_file(&tls.ca_file)
        .pool_size(2)
        .timeout(Duration::from_millis(2_000))
        .build()
        .unwrap();
    let pool = RedisPool::connect(&config).await.unwrap();
    let script = Script::new("incr", INCR);
    assert_eq!(server.redis_cli(&["CONFIG", "SET", "timeout", "1"]), "OK");

    // As in the plain TCP case, a blocking sleep leaves the close visible only
    // on the sockets, here behind TLS.
    std::thread::sleep(Duration::from_millis(2_500));
    for expected in 1..=4 {
        assert_eq!(incr(&pool, &script, "counter").await.unwrap(), expected);
    }
}

#[test]
fn url_display_keeps_user_and_hides_password() {
    let cases = [
        (
            "redis://app:pw@127.0.0.1:6380",
            "redis://app:<redacted>@127.0.0.1:6380/0",
        ),
        ("redis://:pw@127.0.0.1", "redis://:<redacted>@127.0.0.1:6379/0"),
        ("rediss://127.0.0.1", "rediss://127.0.0.1:6379/0"),
    ];
    for (text, shown) in cases {
        let config = RedisConfig::builder(text).build().unwrap();
        assert_eq!(config.url().to_string(), shown, "{text}");
    }
}
