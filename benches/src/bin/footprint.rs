//! Bytes per tracked subject, in process memory or in Redis.
//!
//! In memory (`footprint memory`), the counting allocator measures the heap
//! bytes a limiter holds after tracking `--subjects` subjects, divided by the
//! subjects: kauth-mem's `MemoryRateLimiter` with each sliding log at its
//! limit of 5 hits (a second apart) and with the sliding counter, and
//! governor's keyed limiter with its default store. Every side stores the
//! same key text. Hash tables grow by doubling, so the figure includes the
//! empty slots at that many subjects.
//!
//! In Redis (`footprint redis`), it reads `MEMORY USAGE key SAMPLES 0` of
//! up to `--sample` keys matching `--pattern` and prints their mean: the
//! bytes of the key, its value and the server's entry for it.
//!
//! ```text
//! footprint memory [--subjects 100000]
//! footprint redis --url redis://127.0.0.1:PORT --pattern 'kotauth:{login:*' [--sample 1000]
//! ```

use std::num::NonZeroU32;
use std::process::ExitCode;

use governor::{Quota, RateLimiter};
use kauth_benches::{login_key, print_result, CountingAllocator, Options};
use kauth_core::{Algorithm, Policy, RateKey};
use kauth_mem::MemoryRateLimiter;
use kauth_redis::{RedisConfig, RedisPool, Value};
use serde_json::json;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

/// First hit of every subject, in unix-epoch milliseconds.
const START_MS: u64 = 1_700_000_000_000;
/// Hits per subject in the sliding-log case: the login tier's limit.
const HITS: u64 = 5;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let result = Options::parse(args).and_then(|options| match mode.as_str() {
        "memory" => memory(&options),
        "redis" => redis(&options),
        other => Err(format!("unknown mode `{other}`; expected `memory` or `redis`")),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("footprint: {error}");
            ExitCode::FAILURE
        }
    }
}

fn memory(options: &Options) -> Result<(), String> {
    let subjects: u32 = options.get("subjects", 100_000)?;
    if subjects == 0 {
        return Err("--subjects must be at least 1".to_owned());
    }
    let keys: Vec<RateKey> = (0..subjects).map(login_key).collect();

    let kauth_log = bytes_per_subject(subjects, || kauth_limiter(&keys, Algorithm::SlidingLog, HITS));
    let kauth_counter = bytes_per_subject(subjects, || kauth_limiter(&keys, Algorithm::SlidingCounter, HITS));
    let governor_texts: Vec<String> = keys.iter().map(|key| key.as_str().to_owned()).collect();
    let governor = bytes_per_subject(subjects, || {
        let limiter = RateLimiter::keyed(Quota::per_minute(NonZeroU32::new(5).expect("5 is not zero")));
        for key in &governor_texts {
            let _ = limiter.check_key(key);
        }
        limiter
    });

    print_result(&json!({
        "subjects": subjects,
        "kauth_log_bytes": kauth_log,
        "kauth_counter_bytes": kauth_counter,
        "governor_bytes": governor,
    }));
    Ok(())
}

/// A kauth-mem limiter holding `hits` hits, a second apart, for every key.
fn kauth_limiter(keys: &[RateKey], algorithm: Algorithm, hits: u64) -> MemoryRateLimiter {
    let policy = Policy::new(5, 60_000, algorithm).expect("5 per 60 s is a valid policy");
    let limiter = MemoryRateLimiter::default();
    for hit in 0..hits {
        for key in keys {
            if let Err(error) = limiter.check_at(key, &policy, 1, START_MS + hit * 1_000) {
                panic!("check of {key} failed: {error}");
            }
        }
    }
    limiter
}

/// Heap bytes held by what `build` returns, per subject.
fn bytes_per_subject<T>(subjects: u32, build: impl FnOnce() -> T) -> f64 {
    let before = ALLOCATOR.live_bytes();
    let built = build();
    let held = ALLOCATOR.live_bytes().saturating_sub(before);
    drop(built);
    held as f64 / f64::from(subjects)
}

fn redis(options: &Options) -> Result<(), String> {
    let url = options.text("url")?.to_owned();
    let pattern = options.text("pattern")?.to_owned();
    let sample: usize = options.get("sample", 1_000)?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot build the tokio runtime: {error}"))?;
    runtime.block_on(async {
        let config = RedisConfig::builder(url)
            .pool_size(1)
            .build()
            .map_err(|error| error.to_string())?;
        let pool = RedisPool::connect(&config).await.map_err(|error| error.to_string())?;

        let keys = scan(&pool, &pattern, sample).await?;
        if keys.is_empty() {
            return Err(format!("no key matches `{pattern}`"));
        }
        let mut total_bytes = 0;
        for key in &keys {
            total_bytes += memory_usage(&pool, key).await?;
        }
        print_result(&json!({
            "pattern": pattern,
            "keys": keys.len(),
            "bytes_per_key": total_bytes as f64 / keys.len() as f64,
        }));
        Ok(())
    })
}

/// Up to `limit` keys matching `pattern`, found with `SCAN`.
async fn scan(pool: &RedisPool, pattern: &str, limit: usize) -> Result<Vec<Vec<u8>>, String> {
    let mut keys = Vec::new();
    let mut cursor = b"0".to_vec();
    loop {
        let mut command = redis::cmd("SCAN");
        command.arg(&cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(1_000);
        let reply = pool
            .query("scan", &command)
            .await
            .map_err(|error| format!("SCAN failed: {error}"))?;
        let Value::Array(parts) = reply else {
            return Err(format!("SCAN returned {reply:?}"));
        };
        let [Value::BulkString(next), Value::Array(found)] = parts.as_slice() else {
            return Err(format!("SCAN returned {parts:?}"));
        };
        keys.extend(found.iter().filter_map(|key| match key {
            Value::BulkString(key) => Some(key.clone()),
            _ => None,
        }));
        if keys.len() >= limit || next.as_slice() == b"0" {
            keys.truncate(limit);
            return Ok(keys);
        }
        cursor = next.clone();
    }
}

async fn memory_usage(pool: &RedisPool, key: &[u8]) -> Result<i64, String> {
    let mut command = redis::cmd("MEMORY");
    command.arg("USAGE").arg(key).arg("SAMPLES").arg(0);
    match pool.query("memory_usage", &command).await {
        Ok(Value::Int(bytes)) => Ok(bytes),
        Ok(other) => Err(format!("MEMORY USAGE returned {other:?}")),
        Err(error) => Err(format!("MEMORY USAGE failed: {error}")),
    }
}
