//! The facade's stores, built from `KAUTH_REDIS_*` values the way an
//! application builds them, against a Redis server that the test kills,
//! pauses, restarts, flushes of scripts or lets close idle connections.
//!
//! Every operation must fail closed within the timeout while Redis cannot
//! reply, and the same `Stores` must work again once it can. Each test prints
//! the latencies of the failed calls, which `--nocapture` shows.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kauth::core::session::NewSession;
use kauth::core::{RateKey, Subject, Tier};
use kauth::{Config, Error, Now, Stores};
use kauth_tests::redis_server::RedisServer;
use kauth_tests::{lookup, unique_workspace};

const TIMEOUT_MS: u64 = 400;
const TIMEOUT: Duration = Duration::from_millis(TIMEOUT_MS);
/// Slack allowed on top of the timeout before a failing call must return:
/// scheduling on a loaded 2-core machine, not part of the contract.
const MARGIN: Duration = Duration::from_millis(1_000);
const CLIENT_IP: &str = "198.51.100.44";

/// Every operation of the two store traits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operation {
    Check,
    Peek,
    Reset,
    Create,
    Validate,
    Revoke,
    RevokeAll,
    List,
    Count,
    Rotate,
}

impl Operation {
    const ALL: [Operation; 10] = [
        Operation::Check,
        Operation::Peek,
        Operation::Reset,
        Operation::Create,
        Operation::Validate,
        Operation::Revoke,
        Operation::RevokeAll,
        Operation::List,
        Operation::Count,
        Operation::Rotate,
    ];

    /// Returns the operation name that errors carry.
    fn name(self) -> &'static str {
        match self {
            Operation::Check => "check",
            Operation::Peek => "peek",
            Operation::Reset => "reset",
            Operation::Create => "create",
            Operation::Validate => "validate",
            Operation::Revoke => "revoke",
            Operation::RevokeAll => "revoke_all",
            Operation::List => "list",
            Operation::Count => "count",
            Operation::Rotate => "rotate",
        }
    }
}

/// What the operations act on while Redis fails: a rate key with one hit and
/// a user with one live session.
struct Target {
    key: RateKey,
    workspace: String,
    user: &'static str,
    token: String,
}

fn config(server: &RedisServer) -> Config {
    let url = server.url();
    let timeout_ms = TIMEOUT_MS.to_string();
    Config::from_lookup(lookup(&[
        ("KAUTH_REDIS_URL", &url),
        ("KAUTH_REDIS_TIMEOUT_MS", &timeout_ms),
        ("KAUTH_REDIS_POOL_SIZE", "2"),
        ("KAUTH_REDIS_KEY_PREFIX", "faults:"),
    ]))
    .expect("test configuration is valid")
}

async fn connect(server: &RedisServer) -> Stores {
    Stores::from_config(config(server))
        .await
        .expect("connect to the test server")
}

fn login_key(workspace: &str) -> RateKey {
    RateKey::new(Tier::Login, workspace, &Subject::client(CLIENT_IP)).expect("test key is valid")
}

fn new_session(workspace: &str, user: &str) -> NewSession {
    NewSession {
        user: user.to_owned(),
        workspace: workspace.to_owned(),
        ip: Some(CLIENT_IP.parse().expect("valid address")),
        user_agent: "redis-faults/1.0".to_owned(),
    }
}

async fn prepare_target(stores: &Stores, label: &str) -> Target {
    let workspace = unique_workspace(label);
    let key = login_key(&workspace);
    let decision = stores
        .limiter
        .check(&key, &Tier::Login.default_policy(), 1, Now::StoreClock)
        .await
        .unwrap();
    assert_eq!(decision.remaining, 4);
    let issued = stores
        .sessions
        .create(new_session(&workspace, "ann"), Now::StoreClock)
        .await
        .unwrap();
    Target {
        key,
        workspace,
        user: "ann",
        token: issued.token.as_str().to_owned(),
    }
}

/// Runs one operation on `target` and describes what it returned.
async fn attempt(stores: &Stores, operation: Operation, target: &Target) -> Result<String, Error> {
    let policy = Tier::Login.default_policy();
    let (limiter, sessions) = (&stores.limiter, &stores.sessions);
    let (workspace, user, token) = (target.workspace.as_str(), target.user, target.token.as_str());
    let now = Now::StoreClock;

    let outcome = match operation {
        Operation::Check => format!("{:?}", limiter.check(&target.key, &policy, 1, now).await?),
        Operation::Peek => format!("{:?}", limiter.peek(&target.key, &policy, 1, now).await?),
        Operation::Reset => format!("{:?}", limiter.reset(&target.key).await?),
        Operation::Create => format!("{:?}", sessions.create(new_session(workspace, user), now).await?.record),
        Operation::Validate => format!("{:?}", sessions.validate(token, now).await?),
        Operation::Revoke => format!("{:?}", sessions.revoke(token, now).await?),
        Operation::RevokeAll => format!("{:?}", sessions.revoke_all(workspace, user, now).await?),
        Operation::List => format!("{:?}", sessions.list(workspace, user, now).await?),
        Operation::Count => format!("{:?}", sessions.count(workspace, user, now).await?),
        Operation::Rotate => format!("{:?}", sessions.rotate(token, now).await?.map(|issued| issued.record)),
    };
    Ok(outcome)
}

/// Runs `operation` against a server that cannot reply, checks that it
/// returns an unavailable error naming the operation within the timeout plus
/// the margin, and returns that error's text and how long the call took.
async fn assert_fails_closed(stores: &Stores, operation: Operation, target: &Target) -> (String, Duration) {
    let started = Instant::now();
    let result = attempt(stores, operation, target).await;
    let elapsed = started.elapsed();

    let error = match result {
        Ok(outcome) => panic!("{} returned {outcome} while Redis could not reply", operation.name()),
        Err(error) => error,
    };
    assert!(error.is_unavailable(), "{}: {error}", operation.name());
    let message = error.to_string();
    let expected_start = format!("redis store is unavailable: {} failed: ", operation.name());
    assert!(message.starts_with(&expected_start), "{message}");
    assert!(
        elapsed <= TIMEOUT + MARGIN,
        "{} took {elapsed:?}: {message}",
        operation.name()
    );
    (message, elapsed)
}

/// Runs every operation on a fresh workspace and checks each result, so a
/// store that recovered only in part fails here.
async fn assert_every_operation_works(stores: &Stores, label: &str) {
    let workspace = unique_workspace(label);
    let key = login_key(&workspace);
    let policy = Tier::Login.default_policy();
    let (limiter, sessions) = (&stores.limiter, &stores.sessions);
    let now = Now::StoreClock;

    let first = limiter.check(&key, &policy, 1, now).await.unwrap();
    assert!(first.allowed, "{label}: {first:?}");
    assert_eq!(first.limit, 5, "{label}");
    assert_eq!(first.remaining, 4, "{label}");
    assert_eq!(first.retry_after_ms, 0, "{label}");
    assert_eq!(first.reset_after_ms, 60_000, "{label}");
    let peeked = limiter.peek(&key, &policy, 1, now).await.unwrap();
    assert!(peeked.allowed, "{label}: {peeked:?}");
    assert_eq!(peeked.remaining, 3, "{label}");
    limiter.reset(&key).await.unwrap();
    let after_reset = limiter.peek(&key, &policy, 1, now).await.unwrap();
    assert_eq!(after_reset.remaining, 4, "{label}");

    let issued = sessions.create(new_session(&workspace, "bob"), now).await.unwrap();
    assert_eq!(issued.record.user, "bob", "{label}");
    let token = issued.token.as_str();
    let validated = sessions
        .validate(token, now)
        .await
        .unwrap()
        .expect("new session validates");
    assert_eq!(validated.token_hash, issued.record.token_hash, "{label}");
    let listed = sessions.list(&workspace, "bob", now).await.unwrap();
    assert_eq!(listed.len(), 1, "{label}");
    assert_eq!(listed[0].token_hash, issued.record.token_hash, "{label}");
    assert_eq!(sessions.count(&workspace, "bob", now).await.unwrap(), 1, "{label}");

    let rotated = sessions
        .rotate(token, now)
        .await
        .unwrap()
        .expect("live session rotates");
    assert_eq!(
        rotated.record.times.created_ms, issued.record.times.created_ms,
        "{label}"
    );
    assert!(sessions.validate(token, now).await.unwrap().is_none(), "{label}");
    assert!(sessions.revoke(rotated.token.as_str(), now).await.unwrap(), "{label}");
    assert!(!sessions.revoke(rotated.token.as_str(), now).await.unwrap(), "{label}");

    for _ in 0..2 {
        sessions.create(new_session(&workspace, "cy"), now).await.unwrap();
    }
    assert_eq!(sessions.revoke_all(&workspace, "cy", now).await.unwrap(), 2, "{label}");
    assert_eq!(sessions.count(&workspace, "cy", now).await.unwrap(), 0, "{label}");
}

/// Failed-call latencies of one fault, printed as min/max and per operation.
struct Latencies {
    fault: &'static str,
    samples: Vec<(Operation, Duration)>,
}

impl Latencies {
    fn new(fault: &'static str) -> Latencies {
        Latencies {
            fault,
            samples: Vec::new(),
        }
    }

    fn record(&mut self, operation: Operation, elapsed: Duration) {
        self.samples.push((operation, elapsed));
    }

    fn max(&self) -> Duration {
        self.samples
            .iter()
            .map(|(_, elapsed)| *elapsed)
            .max()
            .unwrap_or_default()
    }

    fn min(&self) -> Duration {
        self.samples
            .iter()
            .map(|(_, elapsed)| *elapsed)
            .min()
            .unwrap_or_default()
    }

    fn print(&self) {
        let mut line = format!(
            "{}: {} failed calls, min {:.2} ms, max {:.2} ms (timeout {TIMEOUT_MS} ms); per call in ms:",
            self.fault,
            self.samples.len(),
            millis(self.min()),
            millis(self.max())
        );
        for (operation, elapsed) in &self.samples {
            let _ = write!(line, " {} {:.2}", operation.name(), millis(*elapsed));
        }
        println!("{line}");
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_server_fails_closed_then_recovers() {
    let mut server = RedisServer::start();
    let stores = connect(&server).await;
    let target = prepare_target(&stores, "killed").await;

    server.kill();
    // Two rounds: the first meets the connections Redis dropped, the second
    // the new connections each call tries to open.
    let mut latencies = Latencies::new("redis killed");
    for _ in 0..2 {
        for operation in Operation::ALL {
            let (message, elapsed) = assert_fails_closed(&stores, operation, &target).await;
            assert!(message.contains("Connection refused"), "{message}");
            latencies.record(operation, elapsed);
        }
    }
    latencies.print();

    // The restarted server is empty, and the same stores serve it.
    server.restart();
    assert_every_operation_works(&stores, "after-restart").await;
    assert!(stores
        .sessions
        .validate(&target.token, Now::StoreClock)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_server_fails_closed_then_recovers() {
    let server = RedisServer::start();
    let stores = connect(&server).await;
    let target = Arc::new(prepare_target(&stores, "paused").await);

    server.pause();
    let mut latencies = Latencies::new("redis paused, one call at a time");
    for operation in Operation::ALL {
        let (message, elapsed) = assert_fails_closed(&stores, operation, &target).await;
        // Either kauth's own timeout or redis-rs's response timeout, set to
        // the same value, ends the call.
        assert!(message.contains("timed out"), "{message}");
        assert!(
            elapsed >= TIMEOUT,
            "{} failed before the timeout: {elapsed:?}",
            operation.name()
        );
        latencies.record(operation, elapsed);
    }
    latencies.print();

    // All at once: calls queued behind one another's reconnect still end
    // within their own timeout.
    let tasks: Vec<_> = Operation::ALL
        .into_iter()
        .map(|operation| {
            let stores = stores.clone();
            let target = Arc::clone(&target);
            tokio::spawn(async move {
                let (_, elapsed) = assert_fails_closed(&stores, operation, &target).await;
                (operation, elapsed)
            })
        })
        .collect();
    let mut concurrent = Latencies::new("redis paused, all operations at once");
    for task in tasks {
        let (operation, elapsed) = task.await.unwrap();
        concurrent.record(operation, elapsed);
    }
    concurrent.print();

    // The calls that timed out may run once Redis resumes, so only a fresh
    // workspace has known state.
    server.resume();
    assert_every_operation_works(&stores, "after-resume").await;
}

fn cached_scripts(server: &RedisServer) -> u64 {
    let info = server.redis_cli(&["INFO", "memory"]);
    info.lines()
        .find_map(|line| line.strip_prefix("number_of_cached_scripts:"))
        .unwrap_or_else(|| panic!("INFO memory has no number_of_cached_scripts: {info}"))
        .trim()
        .parse()
        .expect("number_of_cached_scripts is an integer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_flush_is_transparent() {
    let server = RedisServer::start();
    let stores = connect(&server).await;
    let target = prepare_target(&stores, "flush").await;
    let policy = Tier::Login.default_policy();
    assert!(cached_scripts(&server) >= 2);

    assert_eq!(server.redis_cli(&["SCRIPT", "FLUSH"]), "OK");
    assert_eq!(cached_scripts(&server), 0);

    // The data stayed, so only the scripts must be loaded again.
    let decision = stores
        .limiter
        .check(&target.key, &policy, 1, Now::StoreClock)
        .await
        .unwrap();
    assert!(decision.allowed);
    assert_eq!(decision.remaining, 3);
    let record = stores
        .sessions
        .validate(&target.token, Now::StoreClock)
        .await
        .unwrap()
        .expect("the session survives a script flush");
    assert_eq!(record.user, "ann");
    assert_every_operation_works(&stores, "after-flush").await;
    assert!(cached_scripts(&server) >= 10);

    // A second flush in the middle of use changes nothing either.
    assert_eq!(server.redis_cli(&["SCRIPT", "FLUSH"]), "OK");
    assert_every_operation_works(&stores, "after-second-flush").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_survives_application_restart() {
    let server = RedisServer::start();
    let stores = connect(&server).await;
    let target = prepare_target(&stores, "app-restart").await;
    let policy = Tier::Login.default_policy();
    let created = stores
        .sessions
        .validate(&target.token, Now::StoreClock)
        .await
        .unwrap()
        .expect("new session validates");
    drop(stores);

    let restarted = Stores::from_config(config(&server)).await.unwrap();
    let record = restarted
        .sessions
        .validate(&target.token, Now::StoreClock)
        .await
        .unwrap()
        .expect("the session outlives the application that created it");
    assert_eq!(record.token_hash, created.token_hash);
    assert_eq!(record.user, "ann");
    assert_eq!(record.workspace, target.workspace);
    assert_eq!(record.times.created_ms, created.times.created_ms);
    assert_eq!(
        restarted
            .sessions
            .count(&target.workspace, target.user, Now::StoreClock)
            .await
            .unwrap(),
        1
    );

    // The counter survives too: the hit before the restart still counts.
    let decision = restarted
        .limiter
        .check(&target.key, &policy, 1, Now::StoreClock)
        .await
        .unwrap();
    assert!(decision.allowed);
    assert_eq!(decision.remaining, 3);
}

fn connected_clients(server: &RedisServer) -> u64 {
    let info = server.redis_cli(&["INFO", "clients"]);
    info.lines()
        .find_map(|line| line.strip_prefix("connected_clients:"))
        .unwrap_or_else(|| panic!("INFO clients has no connected_clients: {info}"))
        .trim()
        .parse()
        .expect("connected_clients is an integer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_closed_connections_reopen() {
    let server = RedisServer::start();
    let stores = connect(&server).await;
    let target = prepare_target(&stores, "idle").await;
    // The pool's two connections and redis-cli's own.
    assert_eq!(connected_clients(&server), 3);

    assert_eq!(server.redis_cli(&["CONFIG", "SET", "timeout", "1"]), "OK");
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    // Only redis-cli's connection is left: Redis closed both of the pool's.
    assert_eq!(connected_clients(&server), 1);

    let decision = stores
        .limiter
        .check(&target.key, &Tier::Login.default_policy(), 1, Now::StoreClock)
        .await
        .unwrap();
    assert!(decision.allowed);
    assert_eq!(decision.remaining, 3);
    assert_every_operation_works(&stores, "after-idle-close").await;
}
