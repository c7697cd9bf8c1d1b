//! Test helper for the multi-process tests: one instance of an application
//! that sends a burst of concurrent login checks for one client address.
//!
//! ```text
//! burst WORKSPACE IP CHECKS
//! ```
//!
//! It builds its stores with `kauth::Stores::from_env()`, so the
//! `KAUTH_REDIS_*` variables of its environment choose the backend. Once the
//! stores are ready it prints `ready` and waits for one line on standard
//! input, so that a test can start several processes and release them
//! together. Then it sends CHECKS concurrent checks of one cost each under
//! the login tier's default policy (5 per 60 s, sliding log) at the store's
//! own clock, and prints one line per decision and a summary:
//!
//! ```text
//! decision allowed=true remaining=4 retry_after_ms=0 reset_after_ms=60000
//! ...
//! admitted=2 denied=6 errors=0
//! ```
//!
//! It exits with status 1 when start-up fails or any check returns an error
//! (each error is printed on standard error), and with status 2 on invalid
//! arguments.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::Arc;

use kauth::core::{Decision, RateKey, Subject, Tier};
use kauth::{Error, Now, Stores};

const USAGE: &str = "usage: burst WORKSPACE IP CHECKS";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (key, checks) = match parse_args(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("burst: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("build the tokio runtime");
    let stores = match runtime.block_on(Stores::from_env()) {
        Ok(stores) => stores,
        Err(error) => {
            eprintln!("burst: could not build the stores: {error}");
            return ExitCode::FAILURE;
        }
    };

    // The connections stay open on the runtime's worker threads while this
    // thread blocks on standard input.
    println!("ready");
    if let Err(message) = wait_for_start() {
        eprintln!("burst: {message}");
        return ExitCode::FAILURE;
    }

    let results = runtime.block_on(send_checks(&stores, key, checks));
    report(&results)
}

fn parse_args(args: &[String]) -> Result<(RateKey, usize), String> {
    let [workspace, ip, checks] = args else {
        return Err(format!("expected 3 arguments, got {}", args.len()));
    };
    let key = RateKey::new(Tier::Login, workspace, &Subject::client(ip))
        .map_err(|error| format!("invalid workspace or IP: {error}"))?;
    let checks = checks
        .parse()
        .map_err(|_| format!("CHECKS must be a non-negative integer, got {checks:?}"))?;
    Ok((key, checks))
}

fn wait_for_start() -> Result<(), String> {
    std::io::stdout()
        .flush()
        .map_err(|error| format!("could not write to standard output: {error}"))?;
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) => Err("standard input closed before the start line".to_owned()),
        Ok(_) => Ok(()),
        Err(error) => Err(format!("could not read the start line: {error}")),
    }
}

async fn send_checks(stores: &Stores, key: RateKey, checks: usize) -> Vec<Result<Decision, Error>> {
    let key = Arc::new(key);
    let policy = Tier::Login.default_policy();
    let tasks: Vec<_> = (0..checks)
        .map(|_| {
            let limiter = Arc::clone(&stores.limiter);
            let key = Arc::clone(&key);
            tokio::spawn(async move { limiter.check(&key, &policy, 1, Now::StoreClock).await })
        })
        .collect();

    let mut results = Vec::with_capacity(checks);
    for task in tasks {
        results.push(task.await.expect("a check task panicked"));
    }
    results
}

fn report(results: &[Result<Decision, Error>]) -> ExitCode {
    let mut admitted = 0;
    let mut denied = 0;
    let mut errors = 0;
    for result in results {
        match result {
            Ok(decision) => {
                println!(
                    "decision allowed={} remaining={} retry_after_ms={} reset_after_ms={}",
                    decision.allowed, decision.remaining, decision.retry_after_ms, decision.reset_after_ms
                );
                if decision.allowed {
                    admitted += 1;
                } else {
                    denied += 1;
                }
            }
            Err(error) => {
                eprintln!("burst: check failed: {error}");
                errors += 1;
            }
        }
    }
    println!("admitted={admitted} denied={denied} errors={errors}");

    if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
