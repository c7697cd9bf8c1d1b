//! `cargo xtask bench [--quick] [-- <criterion options>]`: every measurement
//! of kauth beside its baseline from the same run, printed as one table.
//!
//! The groups run in this order, each in its own module:
//!
//! 1. [`core`]: the criterion benches of kauth-core (ns and allocations per
//!    check), beside governor's direct limiter;
//! 2. [`keyed`]: kauth-mem against governor's keyed limiter;
//! 3. [`redis`]: checks per second against one `redis-server` this command
//!    starts, beside `redis-benchmark` running the same script (the
//!    ceiling), Python `limits` and Node `rate-limiter-flexible`, and the
//!    bytes each leaves in Redis per subject;
//! 4. [`sessions`]: session validations per second against tower-sessions,
//!    and the commands each validation sends;
//! 5. [`footprint`]: bytes per subject in process memory;
//! 6. [`replay`]: lines per second of `kauth replay`, beside
//!    `fail2ban-regex` on the same log;
//! 7. [`http`]: requests per second and p50/p99 latency of `kauth serve`'s
//!    login check under `wrk`, in memory and on Redis, beside `GET /healthz`
//!    on the same instance.
//!
//! [`peers`] installs the Python, Node and fail2ban peers under
//! `target/bench-peers/` first; a peer that cannot be installed is shown as
//! missing in its rows. [`table`] prints the table and writes it to
//! `target/bench/table.txt`.

mod ceiling;
mod core;
mod footprint;
mod http;
mod keyed;
mod peers;
mod process;
mod redis;
mod replay;
mod replay_log;
mod server;
mod sessions;
mod table;

use std::path::PathBuf;
use std::time::Instant;

use crate::cargo::{workspace_root, Cargo};
use crate::error::Error;
use table::Table;

/// Criterion options for `--quick`: 0.3 s of warm-up and 0.5 s of
/// measurement per benchmark, in place of criterion's 3 s and 5 s.
const QUICK_CRITERION_OPTIONS: [&str; 4] = ["--warm-up-time", "0.3", "--measurement-time", "0.5"];

/// How long and how large each measurement is.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Whether this is a `--quick` run.
    pub quick: bool,
    /// Options passed to the criterion benches.
    pub criterion_options: Vec<String>,
    /// Timed rounds per keyed configuration.
    pub keyed_rounds: u32,
    /// Checks per thread in each keyed round.
    pub keyed_checks: u64,
    /// Warm-up before each Redis load level, in milliseconds.
    pub warmup_ms: u64,
    /// Counted time of each Redis load level, in milliseconds.
    pub duration_ms: u64,
    /// Rounds of the Redis rate-check clients; each figure is the median.
    pub redis_rounds: u32,
    /// Sessions created before the session validations.
    pub sessions: u32,
    /// Subjects left in Redis per implementation for `MEMORY USAGE`.
    pub redis_subjects: u32,
    /// Subjects tracked in process memory for bytes per subject.
    pub memory_subjects: u32,
    /// Copies of the sample log in the replay's log.
    pub replay_copies: u32,
}

impl Settings {
    fn new(quick: bool, criterion_options: Vec<String>) -> Self {
        let mut options: Vec<String> = Vec::new();
        if quick {
            options.extend(QUICK_CRITERION_OPTIONS.map(String::from));
        }
        options.extend(criterion_options);
        if quick {
            Settings {
                quick,
                criterion_options: options,
                keyed_rounds: 3,
                keyed_checks: 200_000,
                warmup_ms: 200,
                duration_ms: 500,
                redis_rounds: 1,
                sessions: 2_000,
                redis_subjects: 1_000,
                memory_subjects: 20_000,
                replay_copies: 100,
            }
        } else {
            Settings {
                quick,
                criterion_options: options,
                keyed_rounds: 10,
                keyed_checks: 2_000_000,
                warmup_ms: 500,
                duration_ms: 3_000,
                redis_rounds: 3,
                sessions: 10_000,
                redis_subjects: 1_000,
                memory_subjects: 100_000,
                replay_copies: 3_400,
            }
        }
    }
}

/// Runs every measurement and prints the table.
pub fn run(options: &[String]) -> Result<(), Error> {
    let settings = parse(options)?;
    let started = Instant::now();

    // Everything is built first, so that no group's time includes a build.
    Cargo::new(["build", "--release", "-p", "kauth-benches", "-p", "kauth-cli", "--bins"]).run("build")?;
    Cargo::new(["bench", "-p", "kauth-benches", "--bench", "core", "--no-run"]).run("build")?;
    let peers = peers::install();

    let mut table = Table::new();
    timed(|| core::run(&settings, &mut table))?;
    timed(|| keyed::run(&settings, &mut table))?;
    let server = server::RedisServer::start()?;
    timed(|| redis::run(&settings, &server, &peers, &mut table))?;
    timed(|| sessions::run(&settings, &server, &mut table))?;
    timed(|| http::run(&settings, &server, &mut table))?;
    drop(server);
    timed(|| footprint::run(&settings, &mut table))?;
    timed(|| replay::run(&settings, &peers, &mut table))?;

    let elapsed_s = started.elapsed().as_secs_f64();
    let mode = if settings.quick {
        "cargo xtask bench --quick"
    } else {
        "cargo xtask bench"
    };
    table.print_and_save(mode, elapsed_s, &peers.versions())
}

/// Runs one group and prints how long it took.
fn timed(group: impl FnOnce() -> Result<(), Error>) -> Result<(), Error> {
    let started = Instant::now();
    group()?;
    println!("    done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Parses the options of `bench`.
fn parse(options: &[String]) -> Result<Settings, Error> {
    let mut quick = false;
    let mut criterion_options: Vec<String> = Vec::new();

    let mut remaining = options.iter();
    while let Some(option) = remaining.next() {
        match option.as_str() {
            "--quick" => quick = true,
            "--" => criterion_options.extend(remaining.by_ref().cloned()),
            other => {
                return Err(Error::Usage(format!(
                    "unknown option `{other}` for `bench`; expected `--quick` or `-- <criterion options>`"
                )))
            }
        }
    }
    Ok(Settings::new(quick, criterion_options))
}

/// Returns the path of a program built by `cargo build --release` in the workspace's target
/// directory.
fn release_binary(name: &str) -> PathBuf {
    target_dir().join("release").join(name)
}

/// Returns the workspace's target directory, honouring `CARGO_TARGET_DIR`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(options: &[&str]) -> Result<Settings, String> {
        let options: Vec<String> = options.iter().map(|option| (*option).to_owned()).collect();
        parse(&options).map_err(|error| error.to_string())
    }

    #[test]
    fn bench_without_options_is_full() {
        let settings = settings(&[]).unwrap();
        assert!(!settings.quick);
        assert!(settings.criterion_options.is_empty());
        assert_eq!(settings.duration_ms, 3_000);
    }

    #[test]
    fn bench_quick_shortens_every_group() {
        let settings = settings(&["--quick"]).unwrap();
        assert!(settings.quick);
        assert_eq!(
            settings.criterion_options,
            ["--warm-up-time", "0.3", "--measurement-time", "0.5"]
        );
        assert_eq!(settings.duration_ms, 500);
        assert_eq!(settings.replay_copies, 100);
    }

    #[test]
    fn bench_passes_criterion_options() {
        let quick = settings(&["--quick", "--", "--sample-size", "20"]).unwrap();
        assert_eq!(
            quick.criterion_options,
            [
                "--warm-up-time",
                "0.3",
                "--measurement-time",
                "0.5",
                "--sample-size",
                "20"
            ]
        );

        let passed_on = settings(&["--", "--quick"]).unwrap();
        assert!(!passed_on.quick);
        assert_eq!(passed_on.criterion_options, ["--quick"]);
    }

    #[test]
    fn bench_rejects_unknown_option() {
        let error = settings(&["--slow"]).unwrap_err();
        assert!(error.contains("unknown option `--slow`"), "{error}");
    }
}
