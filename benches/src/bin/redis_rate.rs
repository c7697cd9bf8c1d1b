//! Rate checks per second of kauth-redis's `RedisRateLimiter` against one
//! Redis server, at each of several numbers of concurrent callers.
//!
//! Each caller checks one hit on the login tier's policy (5 per 60 s) for a
//! key chosen uniformly among `--keys` subjects, at Redis `TIME`, through one
//! pool with kauth's default settings (8 connections). The server is emptied
//! before each level, so every level starts from the same state. With
//! `--fill N`, the driver then empties the server once more and leaves N
//! subjects each holding 5 hits a second apart, for `footprint` to measure.
//!
//! ```text
//! redis_rate --url redis://127.0.0.1:PORT [--algorithm sliding-log|sliding-counter]
//!            [--callers 1,16,64] [--keys 10000] [--warmup-ms 500] [--duration-ms 3000]
//!            [--threads 1] [--fill 0]
//! ```
//!
//! Prints one JSON line per level, then one for the fill.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kauth_benches::{flush_all, login_key, print_result, run_load, runtime, LoadPlan, Options};
use kauth_core::{Algorithm, Policy, RateKey};
use kauth_redis::{RedisConfig, RedisPool, RedisRateLimiter};
use serde_json::json;

/// Hits each filled subject holds: the login tier's limit.
const FILL_HITS: u64 = 5;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("redis_rate: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let options = Options::from_env()?;
    let url = options.text("url")?.to_owned();
    let algorithm_name = options.get("algorithm", "sliding-log".to_owned())?;
    let algorithm = Algorithm::from_name(&algorithm_name)
        .ok_or_else(|| format!("unknown algorithm `{algorithm_name}`; expected sliding-log or sliding-counter"))?;
    let callers = options.list("callers", &[1, 16, 64])?;
    let keys: u32 = options.get("keys", 10_000)?;
    let warmup = Duration::from_millis(options.get("warmup-ms", 500)?);
    let duration = Duration::from_millis(options.get("duration-ms", 3_000)?);
    let threads: usize = options.get("threads", 1)?;
    let fill: u32 = options.get("fill", 0)?;

    let policy = Policy::new(5, 60_000, algorithm).map_err(|error| error.to_string())?;
    runtime(threads).block_on(async {
        let config = RedisConfig::builder(url).build().map_err(|error| error.to_string())?;
        let pool = RedisPool::connect(&config).await.map_err(|error| error.to_string())?;
        let limiter = Arc::new(RedisRateLimiter::new(pool.clone()));
        let rate_keys: Arc<Vec<RateKey>> = Arc::new((0..keys).map(login_key).collect());

        for callers in callers {
            flush_all(&pool).await?;
            let plan = LoadPlan {
                callers,
                warmup,
                duration,
                keys,
            };
            let limiter = Arc::clone(&limiter);
            let rate_keys = Arc::clone(&rate_keys);
            let result = run_load(plan, u64::from(callers), move |index| {
                let limiter = Arc::clone(&limiter);
                let rate_keys = Arc::clone(&rate_keys);
                async move {
                    let key = &rate_keys[index as usize];
                    match limiter.check(key, &policy, 1, None).await {
                        Ok(_) => Ok(()),
                        Err(error) => Err(format!("check of {key} failed: {error}")),
                    }
                }
            })
            .await;
            if let Some(error) = &result.error {
                return Err(error.clone());
            }
            print_result(&json!({
                "algorithm": algorithm.as_str(),
                "callers": callers,
                "threads": threads,
                "requests": result.window_requests,
                "seconds": result.window_s,
                "per_second": result.per_second(),
            }));
        }

        if fill > 0 {
            flush_all(&pool).await?;
            fill_subjects(&limiter, &policy, fill).await?;
            print_result(&json!({
                "algorithm": algorithm.as_str(),
                "filled": fill,
                "hits": FILL_HITS,
                "pattern": format!("{}{{login:*", config.key_prefix()),
            }));
        }
        Ok(())
    })
}

/// Leaves `count` subjects with `FILL_HITS` hits each, one second apart and
/// ending now, so that every sliding log holds one entry per hit.
async fn fill_subjects(limiter: &RedisRateLimiter, policy: &Policy, count: u32) -> Result<(), String> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|error| format!("the system clock is before 1970: {error}"))?
        .as_millis() as u64;
    for index in 0..count {
        let key = login_key(index);
        for hit in 0..FILL_HITS {
            let at_ms = now_ms - (FILL_HITS - 1 - hit) * 1_000;
            limiter
                .check(&key, policy, 1, Some(at_ms))
                .await
                .map_err(|error| format!("fill check of {key} failed: {error}"))?;
        }
    }
    Ok(())
}
