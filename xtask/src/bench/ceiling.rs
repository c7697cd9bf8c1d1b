//! The ceiling of the Redis rate checks: `redis-benchmark` sending `EVALSHA`
//! of kauth's own generated script (`crates/kauth-redis/lua/rate_check.lua`,
//! loaded with `SCRIPT LOAD`) with the arguments kauth sends, at the same
//! concurrency and against the same server. Its client is written in C and
//! does nothing but send, so it shows what the server allows for this
//! script.
//!
//! `redis-benchmark` takes a request count, not a duration, so each level
//! runs three times from an empty server. A short run estimates the rate,
//! then a warm-up lasts as long as kauth's, and the counted run is sized
//! from the estimate to last about as long as kauth's counted window.

use std::process::Command;

use crate::bench::process;
use crate::bench::server::RedisServer;
use crate::bench::Settings;
use crate::cargo::workspace_root;

/// Keys the ceiling picks from: `redis-benchmark -r` draws a random number
/// below this for `__rand_int__` in each request.
pub const KEYS: u32 = 10_000;

/// Requests of the estimating run, per caller, at least.
const ESTIMATE_REQUESTS_PER_CALLER: u64 = 50;

/// Loads the rate check script into `server` and returns its SHA1.
pub fn load_script(server: &RedisServer) -> Result<String, String> {
    let path = workspace_root().join("crates/kauth-redis/lua/rate_check.lua");
    let source = std::fs::read_to_string(&path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let sha1 = server.cli_output(&["SCRIPT", "LOAD", &source])?;
    match sha1.len() == 40 && sha1.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        true => Ok(sha1),
        false => Err(format!("SCRIPT LOAD returned `{sha1}`, not a SHA1")),
    }
}

/// Checks per second of `redis-benchmark` running the script with
/// `algorithm` (`log` or `counter`, as kauth passes it) from `callers`
/// connections.
pub fn checks_per_second(
    server: &RedisServer,
    settings: &Settings,
    sha1: &str,
    algorithm: &str,
    callers: u32,
) -> Result<f64, String> {
    server.cli_output(&["FLUSHALL"])?;
    let estimate_requests = (u64::from(callers) * ESTIMATE_REQUESTS_PER_CALLER).max(1_000);
    let estimate = run_benchmark(server, sha1, algorithm, callers, estimate_requests)?;

    let requests_in = |ms: u64| ((estimate * ms as f64 / 1_000.0) as u64).max(u64::from(callers) * 10);
    run_benchmark(server, sha1, algorithm, callers, requests_in(settings.warmup_ms))?;
    run_benchmark(server, sha1, algorithm, callers, requests_in(settings.duration_ms))
}

/// One `redis-benchmark` run; returns its requests per second.
fn run_benchmark(
    server: &RedisServer,
    sha1: &str,
    algorithm: &str,
    callers: u32,
    requests: u64,
) -> Result<f64, String> {
    let mut command = Command::new("redis-benchmark");
    command
        .args(["-h", "127.0.0.1", "-p", &server.port().to_string()])
        .args(["-c", &callers.to_string(), "-n", &requests.to_string()])
        .args(["-r", &KEYS.to_string(), "--csv"])
        // The same key layout as kauth's, `<prefix>{<rate key>}`, with the
        // random number standing for the subject.
        .args(["EVALSHA", sha1, "1", "kotauth:{login:bench:ip4:__rand_int__}"])
        // ARGV: algorithm, limit, window_ms, cost, and '' for Redis TIME.
        .args([algorithm, "5", "60000", "1", ""]);
    let finished = process::run("redis-benchmark", &mut command, false)?;
    parse_rps(&finished.lines).ok_or_else(|| format!("no rate in the output of redis-benchmark: {:?}", finished.lines))
}

/// Reads the `rps` column of `redis-benchmark --csv`: a header line, then one
/// line per test with quoted fields.
fn parse_rps(lines: &[String]) -> Option<f64> {
    let header: Vec<&str> = lines.first()?.split(',').map(|field| field.trim_matches('"')).collect();
    let column = header.iter().position(|field| *field == "rps")?;
    let values = lines.get(1)?;
    // The test name may contain commas only inside its quotes, so split
    // on the quoted separator.
    let fields: Vec<&str> = values.trim_matches('"').split("\",\"").collect();
    fields.get(column)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rps_is_read_from_the_csv() {
        let lines = [
            r#""test","rps","avg_latency_ms","min_latency_ms""#.to_owned(),
            r#""EVALSHA d933 1 kotauth:{login:bench:ip4:__rand_int__} log 5 60000 1 ","22222.22","0.664","0.088""#
                .to_owned(),
        ];
        assert_eq!(parse_rps(&lines), Some(22_222.22));
        assert_eq!(parse_rps(&lines[..1]), None);
    }
}
