//! Keyed in-memory checks: kauth-mem's `MemoryRateLimiter` against
//! governor's keyed limiter with its default store (a `DashMap`) and clock.
//!
//! Every configuration (algorithm, key choice, threads) runs in rounds, and
//! each round times kauth and governor back to back, alternating which goes
//! first, so that a slow spell of this shared machine hits both. Each side
//! reports the median of its rounds in nanoseconds per check per thread:
//! the round's elapsed time divided by the checks each thread made.
//!
//! Both sides check the login tier's 5 hits per 60 s (governor: a burst of
//! 5, one more every 12 s) over the same 10,000 keys, in the same order,
//! each reading its default clock. Every key is checked once before timing,
//! so the rounds measure lookups of tracked keys; nearly all checks are
//! rejected, as in a flood of login attempts.
//!
//! ```text
//! keyed [--rounds 10] [--checks 2000000] [--keys 10000]
//!       [--algorithms sliding-counter,sliding-log] [--choices uniform,zipf] [--threads 1,2]
//! ```
//!
//! `--checks` is the number of checks per thread per round; the last three
//! options select configurations, for profiling one alone.

use std::hint::black_box;
use std::num::NonZeroU32;
use std::process::ExitCode;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use kauth_benches::{login_key, print_result, KeyChoice, Options};
use kauth_core::{Algorithm, Policy, RateKey};
use kauth_mem::MemoryRateLimiter;
use serde_json::json;

/// Seed of the key choice sequences.
const SEED: u64 = 2_718_281_828;
/// Length of a key choice sequence; threads start at different offsets.
const SEQUENCE_LEN: usize = 1 << 20;

/// What one side of the comparison runs.
trait Keyed: Sync {
    /// Checks key `index`; returns whether the hit was admitted.
    fn check(&self, index: u32) -> bool;
}

struct Kauth {
    limiter: MemoryRateLimiter,
    policy: Policy,
    keys: Vec<RateKey>,
}

impl Keyed for Kauth {
    fn check(&self, index: u32) -> bool {
        let key = &self.keys[index as usize];
        match self.limiter.check(key, &self.policy, 1) {
            Ok(decision) => decision.allowed,
            Err(error) => panic!("kauth check of {key} failed: {error}"),
        }
    }
}

struct Governor {
    limiter: DefaultKeyedRateLimiter<String>,
    keys: Vec<String>,
}

impl Keyed for Governor {
    fn check(&self, index: u32) -> bool {
        self.limiter.check_key(&self.keys[index as usize]).is_ok()
    }
}

/// One configuration's settings.
struct Config {
    algorithm: Algorithm,
    choice: KeyChoice,
    threads: usize,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("keyed: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let options = Options::from_env()?;
    let rounds: usize = options.get("rounds", 10)?;
    let checks: usize = options.get("checks", 2_000_000)?;
    let keys: u32 = options.get("keys", 10_000)?;
    if rounds == 0 || checks == 0 || keys == 0 {
        return Err("--rounds, --checks and --keys must be at least 1".to_owned());
    }

    let algorithms = names(
        &options,
        "algorithms",
        "sliding-counter,sliding-log",
        Algorithm::from_name,
    )?;
    let choices = names(&options, "choices", "uniform,zipf", KeyChoice::from_name)?;
    let thread_counts = options.list("threads", &[1, 2])?;

    for &algorithm in &algorithms {
        for &choice in &choices {
            for &threads in &thread_counts {
                let threads = threads as usize;
                let config = Config {
                    algorithm,
                    choice,
                    threads,
                };
                measure(&config, keys, rounds, checks);
            }
        }
    }
    Ok(())
}

/// The comma-separated names of `--name`, parsed with `parse`.
fn names<T>(options: &Options, name: &str, default: &str, parse: fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
    let text = options.get(name, default.to_owned())?;
    text.split(',')
        .map(|item| parse(item.trim()).ok_or_else(|| format!("unknown value `{item}` in `--{name}`")))
        .collect()
}

/// Times one configuration and prints its result line.
fn measure(config: &Config, key_count: u32, rounds: usize, checks: usize) {
    let rate_keys: Vec<RateKey> = (0..key_count).map(login_key).collect();
    let kauth = Kauth {
        limiter: MemoryRateLimiter::default(),
        policy: Policy::new(5, 60_000, config.algorithm).expect("5 per 60 s is a valid policy"),
        keys: rate_keys.clone(),
    };
    let governor = Governor {
        limiter: RateLimiter::keyed(Quota::per_minute(NonZeroU32::new(5).expect("5 is not zero"))),
        keys: rate_keys.iter().map(|key| key.as_str().to_owned()).collect(),
    };
    let sequence = config.choice.sequence(key_count, SEQUENCE_LEN, SEED);

    // Track every key before timing, on both sides.
    for index in 0..key_count {
        kauth.check(index);
        governor.check(index);
    }

    let mut kauth_ns = Vec::with_capacity(rounds);
    let mut governor_ns = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let kauth_first = round % 2 == 0;
        if kauth_first {
            kauth_ns.push(time_round(&kauth, &sequence, config.threads, checks));
        }
        governor_ns.push(time_round(&governor, &sequence, config.threads, checks));
        if !kauth_first {
            kauth_ns.push(time_round(&kauth, &sequence, config.threads, checks));
        }
    }

    print_result(&json!({
        "algorithm": config.algorithm.as_str(),
        "keys": config.choice.name(),
        "key_count": key_count,
        "threads": config.threads,
        "rounds": rounds,
        "checks_per_thread": checks,
        "kauth_ns": median(&mut kauth_ns),
        "governor_ns": median(&mut governor_ns),
    }));
}

/// Runs `checks` checks on each of `threads` threads, started together,
/// and returns the elapsed nanoseconds per check per thread.
fn time_round(side: &impl Keyed, sequence: &[u32], threads: usize, checks: usize) -> f64 {
    let start = Barrier::new(threads + 1);
    let elapsed = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|thread| {
                let start = &start;
                let offset = thread * sequence.len() / threads;
                scope.spawn(move || {
                    start.wait();
                    check_many(side, sequence, offset, checks)
                })
            })
            .collect();

        // The clock starts before the release, because a worker may finish
        // before this thread runs again once the barrier opens.
        let started = Instant::now();
        start.wait();
        let admitted: usize = workers
            .into_iter()
            .map(|worker| worker.join().expect("a benchmark thread panicked"))
            .sum();
        black_box(admitted);
        started.elapsed()
    });
    per_check_ns(elapsed, checks)
}

/// Checks `checks` keys of `sequence` from `offset`, wrapping around.
/// Returns how many were admitted, so that no check can be optimised away.
/// Kept out of line so that a profiler can be told to count only this loop
/// (`valgrind --tool=callgrind --toggle-collect='keyed::check_many*'`).
#[inline(never)]
fn check_many(side: &impl Keyed, sequence: &[u32], offset: usize, checks: usize) -> usize {
    let mut admitted = 0;
    let mut position = offset;
    for _ in 0..checks {
        if side.check(black_box(sequence[position])) {
            admitted += 1;
        }
        position += 1;
        if position == sequence.len() {
            position = 0;
        }
    }
    admitted
}

fn per_check_ns(elapsed: Duration, checks: usize) -> f64 {
    elapsed.as_nanos() as f64 / checks as f64
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}
