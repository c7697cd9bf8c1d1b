//! Several application processes sharing one Redis counter: the `burst`
//! binary of this package, started three at a time against a server the
//! test starts, must together admit exactly the login tier's limit.

use std::io::{BufRead, BufReader, Lines, Write};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::Instant;

use kauth_tests::redis_server::RedisServer;
use kauth_tests::unique_workspace;

const BURST: &str = env!("CARGO_BIN_EXE_burst");

const TRIALS: usize = 100;
const PROCESSES: usize = 3;
const CHECKS_PER_PROCESS: usize = 8;
/// The login tier's default limit: 5 per 60 s.
const LOGIN_LIMIT: usize = 5;
const LOGIN_WINDOW_MS: u64 = 60_000;
const CLIENT_IP: &str = "198.51.100.23";
const KEY_PREFIX: &str = "burst:";

/// One decision line printed by `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decision {
    allowed: bool,
    remaining: u32,
    retry_after_ms: u64,
    reset_after_ms: u64,
}

/// Everything one `burst` process printed, and how it exited.
#[derive(Debug)]
struct BurstOutput {
    decisions: Vec<Decision>,
    summary: String,
    status: ExitStatus,
    stderr: String,
}

/// A `burst` process that has printed `ready` and waits for its start line.
struct ReadyBurst {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl ReadyBurst {
    /// Starts `burst` with only the `KAUTH_REDIS_*` variables in `vars`, and
    /// waits until its stores are connected.
    fn start(vars: &[(&str, &str)], workspace: &str, checks: usize) -> ReadyBurst {
        let mut command = Command::new(BURST);
        for name in [
            "KAUTH_REDIS_URL",
            "KAUTH_REDIS_POOL_SIZE",
            "KAUTH_REDIS_TIMEOUT_MS",
            "KAUTH_REDIS_KEY_PREFIX",
            "KAUTH_REDIS_CA_FILE",
        ] {
            command.env_remove(name);
        }
        command
            .envs(vars.iter().copied())
            .args([workspace, CLIENT_IP, &checks.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start the burst binary");

        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        match stdout.next() {
            Some(Ok(line)) if line == "ready" => ReadyBurst { child, stdout },
            other => {
                let output = child.wait_with_output().expect("wait for burst");
                panic!(
                    "burst printed {other:?} instead of ready, exited with {}: {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        }
    }

    fn release(&mut self) {
        let stdin = self.child.stdin.as_mut().expect("stdin is piped");
        stdin.write_all(b"go\n").expect("send the start line to burst");
        stdin.flush().expect("flush the start line to burst");
    }

    fn finish(self) -> BurstOutput {
        let mut decisions = Vec::new();
        let mut summary = String::new();
        for line in self.stdout {
            let line = line.expect("read the output of burst");
            match line.strip_prefix("decision ") {
                Some(fields) => decisions.push(parse_decision(fields)),
                None => summary = line,
            }
        }

        let output = self.child.wait_with_output().expect("wait for burst to exit");
        BurstOutput {
            decisions,
            summary,
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

fn parse_decision(fields: &str) -> Decision {
    let value = |name: &str| -> &str {
        fields
            .split(' ')
            .find_map(|field| field.strip_prefix(name)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("decision line {fields:?} has no {name}"))
    };
    let number = |name: &str| -> u64 {
        value(name)
            .parse()
            .unwrap_or_else(|_| panic!("{name} in {fields:?} is not an integer"))
    };
    Decision {
        allowed: value("allowed").parse().expect("allowed is true or false"),
        remaining: number("remaining") as u32,
        retry_after_ms: number("retry_after_ms"),
        reset_after_ms: number("reset_after_ms"),
    }
}

fn redis_vars(server: &RedisServer, timeout_ms: u64) -> Vec<(&'static str, String)> {
    vec![
        ("KAUTH_REDIS_URL", server.url()),
        ("KAUTH_REDIS_POOL_SIZE", "4".to_owned()),
        ("KAUTH_REDIS_TIMEOUT_MS", timeout_ms.to_string()),
        ("KAUTH_REDIS_KEY_PREFIX", KEY_PREFIX.to_owned()),
    ]
}

fn as_pairs<'a>(vars: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    vars.iter().map(|(name, value)| (*name, value.as_str())).collect()
}

/// Starts three processes on one fresh workspace, releases them together and
/// returns their decisions, all of them successful, and how many checks each
/// process had admitted.
fn run_trial(vars: &[(&str, &str)], trial: usize) -> (Vec<Decision>, Vec<usize>) {
    let workspace = unique_workspace("burst");
    let mut processes: Vec<ReadyBurst> = (0..PROCESSES)
        .map(|_| ReadyBurst::start(vars, &workspace, CHECKS_PER_PROCESS))
        .collect();
    for process in &mut processes {
        process.release();
    }

    let mut decisions = Vec::new();
    let mut admitted_by_process = Vec::new();
    for output in processes.into_iter().map(ReadyBurst::finish) {
        assert!(
            output.status.success(),
            "trial {trial}: burst exited with {}: {}",
            output.status,
            output.stderr
        );
        assert_eq!(output.decisions.len(), CHECKS_PER_PROCESS, "trial {trial}: {output:?}");
        let admitted = output.decisions.iter().filter(|decision| decision.allowed).count();
        let expected_summary = format!("admitted={admitted} denied={} errors=0", CHECKS_PER_PROCESS - admitted);
        assert_eq!(output.summary, expected_summary, "trial {trial}");
        decisions.extend(output.decisions);
        admitted_by_process.push(admitted);
    }
    (decisions, admitted_by_process)
}

#[test]
fn three_processes_share_one_login_limit() {
    let server = RedisServer::start();
    let vars = redis_vars(&server, 2_000);
    let vars = as_pairs(&vars);

    let started = Instant::now();
    let mut split_trials = 0;
    for trial in 0..TRIALS {
        let (decisions, admitted_by_process) = run_trial(&vars, trial);
        if admitted_by_process.iter().filter(|&&admitted| admitted > 0).count() > 1 {
            split_trials += 1;
        }
        assert_eq!(decisions.len(), PROCESSES * CHECKS_PER_PROCESS);

        // One admitted check per remaining count from 4 down to 0 shows that
        // the checks of all three processes were applied one at a time.
        let mut remaining: Vec<u32> = decisions
            .iter()
            .filter(|decision| decision.allowed)
            .map(|decision| decision.remaining)
            .collect();
        remaining.sort_unstable();
        assert_eq!(remaining, [0, 1, 2, 3, 4], "trial {trial}: {decisions:?}");

        for decision in &decisions {
            if decision.allowed {
                assert_eq!(decision.retry_after_ms, 0, "trial {trial}: {decision:?}");
                assert!(
                    decision.reset_after_ms <= LOGIN_WINDOW_MS,
                    "trial {trial}: {decision:?}"
                );
            } else {
                assert_eq!(decision.remaining, 0, "trial {trial}: {decision:?}");
                assert!(
                    (1..=LOGIN_WINDOW_MS).contains(&decision.retry_after_ms),
                    "trial {trial}: {decision:?}"
                );
            }
        }
        let denied = decisions.iter().filter(|decision| !decision.allowed).count();
        assert_eq!(denied, PROCESSES * CHECKS_PER_PROCESS - LOGIN_LIMIT, "trial {trial}");
    }
    let elapsed = started.elapsed();

    // Without trials where several processes won a check, the test would not
    // have shown that their checks interleave safely.
    assert!(split_trials > 0, "one process won every check of every trial");
    // Each trial wrote exactly one key: its workspace's counter.
    assert_eq!(server.redis_cli(&["DBSIZE"]), TRIALS.to_string());
    println!(
        "multi-process login limit: {TRIALS} trials of {PROCESSES} processes x {CHECKS_PER_PROCESS} checks \
         each admitted exactly {LOGIN_LIMIT}, in {:.2} s; in {split_trials} trials the admitted checks \
         came from more than one process",
        elapsed.as_secs_f64()
    );
}

#[test]
fn burst_fails_when_redis_dies_after_ready() {
    let mut server = RedisServer::start();
    let vars = redis_vars(&server, 400);
    let vars = as_pairs(&vars);

    let mut process = ReadyBurst::start(&vars, &unique_workspace("burst-killed"), 4);
    server.kill();
    process.release();
    let output = process.finish();

    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.decisions.is_empty(), "{output:?}");
    assert_eq!(output.summary, "admitted=0 denied=0 errors=4");
    assert_eq!(
        output
            .stderr
            .matches("burst: check failed: redis store is unavailable: check failed")
            .count(),
        4,
        "{}",
        output.stderr
    );
}

#[test]
fn burst_fails_without_redis() {
    let mut server = RedisServer::start();
    let port = server.port();
    let vars = redis_vars(&server, 400);
    server.kill();

    let output = Command::new(BURST)
        .env_remove("KAUTH_REDIS_CA_FILE")
        .envs(vars.iter().map(|(name, value)| (*name, value.as_str())))
        .args([unique_workspace("burst-down").as_str(), CLIENT_IP, "4"])
        .stdin(Stdio::null())
        .output()
        .expect("run the burst binary");

    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(&format!(
            "burst: could not build the stores: redis store is unavailable: connect failed: \
             no answer from Redis at redis://127.0.0.1:{port}/0 (KAUTH_REDIS_URL) within 400 ms \
             (KAUTH_REDIS_TIMEOUT_MS): TCP connect to 127.0.0.1:{port} failed"
        )),
        "{stderr}"
    );
}
