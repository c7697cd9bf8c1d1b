//! `kauth`: the command-line front end of kauth.
//!
//! `kauth serve` runs kauth as an HTTP service beside servers written in any
//! language: rate-limit checks, sessions and operational endpoints, over the
//! stores that `Stores::from_env()` selects. `docs/http-api.md` documents
//! the API.
//!
//! `kauth replay FILE` streams an OpenSSH syslog through the login-tier rate
//! limit of the same stores, at the log's own timestamps, and summarises
//! what kauth would have admitted and denied.

mod replay;
mod serve;
mod sshd;
mod stats;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kauth::core::{Algorithm, Policy, Tier};

/// Sessions and rate limits for authentication servers.
#[derive(Debug, Parser)]
#[command(name = "kauth", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replay an OpenSSH syslog through the login rate limit.
    ///
    /// Every sshd `Failed …`/`Accepted …` line, each repeat of a `message
    /// repeated N times` line, and each `sshd(pam_unix)` authentication
    /// failure is one login attempt by its source address, in the workspace
    /// named by the log's host field, at the line's own time.
    Replay(ReplayArgs),

    /// Serve rate limits and sessions over HTTP with JSON bodies.
    ///
    /// The stores are in memory unless KAUTH_REDIS_URL is set; several
    /// instances sharing one Redis share every counter and session. Logs go
    /// to stderr at the level set by RUST_LOG (default: info). SIGTERM or
    /// Ctrl-C stops accepting connections, lets requests in flight finish
    /// and exits with status 0.
    Serve(ServeArgs),
}

/// Options of `kauth serve`.
#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address and port to listen on. Port 0 picks a free port; the log line
    /// `listening` names the address bound.
    #[arg(long, default_value = "127.0.0.1:7400")]
    listen: SocketAddr,

    /// Replaces a tier's policy, as TIER=LIMIT/WINDOW_MS or
    /// TIER=LIMIT/WINDOW_MS/ALGORITHM, e.g. `login=10/60000`. TIER is login,
    /// mfa or password-reset; ALGORITHM is sliding-log (default) or
    /// sliding-counter. Repeat for several tiers. Instances sharing one
    /// Redis must use the same policies.
    #[arg(long = "policy", value_name = "TIER=LIMIT/WINDOW_MS", value_parser = parse_tier_policy)]
    policies: Vec<(Tier, Policy)>,

    /// Longest wait, in milliseconds, for requests in flight after SIGTERM
    /// or Ctrl-C before exiting anyway (with status 1).
    #[arg(long = "shutdown-timeout-ms", default_value_t = 10_000)]
    shutdown_timeout_ms: u64,
}

/// Options of `kauth replay`.
#[derive(Debug, clap::Args)]
struct ReplayArgs {
    /// The syslog file to read.
    file: PathBuf,

    /// Year of the log's first line, 1970 to 9999; syslog omits it.
    /// Default: the current year (UTC). The year goes up by one whenever the
    /// month goes backwards.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1970..=9999))]
    year: Option<i32>,

    /// Print one JSON object on stdout instead of the text summary.
    #[arg(long)]
    json: bool,

    /// Attempts admitted per source and window, 1 to 100000. Default: 5,
    /// the login tier's.
    #[arg(long)]
    limit: Option<u32>,

    /// Window length in milliseconds, 1 to 31622400000 (366 days).
    /// Default: 60000, the login tier's.
    #[arg(long = "window-ms")]
    window_ms: Option<u64>,

    /// Rate-limit algorithm: sliding-log (exact, the default) or
    /// sliding-counter (approximate, constant memory per source).
    #[arg(long, value_name = "sliding-log|sliding-counter", value_parser = parse_algorithm)]
    algorithm: Option<Algorithm>,
}

fn parse_algorithm(name: &str) -> Result<Algorithm, String> {
    Algorithm::from_name(name)
        .ok_or_else(|| format!("unknown algorithm {name:?}; expected sliding-log or sliding-counter"))
}

/// Parses `TIER=LIMIT/WINDOW_MS[/ALGORITHM]` for `--policy`.
fn parse_tier_policy(text: &str) -> Result<(Tier, Policy), String> {
    const FORM: &str = "expected TIER=LIMIT/WINDOW_MS or TIER=LIMIT/WINDOW_MS/ALGORITHM, e.g. login=10/60000";
    let (tier_name, rule) = text.split_once('=').ok_or_else(|| format!("missing `=`; {FORM}"))?;
    let tier = Tier::ALL
        .into_iter()
        .find(|tier| tier.as_str() == tier_name)
        .ok_or_else(|| format!("unknown tier {tier_name:?}; expected login, mfa or password-reset"))?;

    let mut parts = rule.split('/');
    let limit = parts.next().unwrap_or_default();
    let limit: u32 = limit
        .parse()
        .map_err(|_| format!("LIMIT {limit:?} is not a whole number; {FORM}"))?;
    let window_ms = parts.next().ok_or_else(|| format!("missing WINDOW_MS; {FORM}"))?;
    let window_ms: u64 = window_ms
        .parse()
        .map_err(|_| format!("WINDOW_MS {window_ms:?} is not a whole number of milliseconds; {FORM}"))?;
    let algorithm = match parts.next() {
        Some(name) => parse_algorithm(name)?,
        None => tier.default_policy().algorithm(),
    };
    if parts.next().is_some() {
        return Err(format!("too many `/`; {FORM}"));
    }

    let policy = Policy::new(limit, window_ms, algorithm).map_err(|error| format!("invalid {tier} policy: {error}"))?;
    Ok((tier, policy))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Command::Serve(args) => return serve::main(args),
        Command::Replay(args) => args,
    };

    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("kauth: failed to start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };

    match runtime.block_on(replay::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kauth: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_policy_parses_limit_window_and_algorithm() {
        let (tier, policy) = parse_tier_policy("mfa=10/60000").unwrap();
        assert_eq!(tier, Tier::Mfa);
        assert_eq!(policy.limit(), 10);
        assert_eq!(policy.window_ms(), 60_000);
        assert_eq!(policy.algorithm(), Algorithm::SlidingLog);

        let (tier, policy) = parse_tier_policy("password-reset=3/1000/sliding-counter").unwrap();
        assert_eq!(tier, Tier::PasswordReset);
        assert_eq!(policy.algorithm(), Algorithm::SlidingCounter);
    }

    #[test]
    fn tier_policy_rejects_bad_values() {
        let cases = [
            ("login", "missing `=`"),
            ("signup=5/60000", "unknown tier \"signup\""),
            ("login=five/60000", "LIMIT \"five\" is not a whole number"),
            ("login=5", "missing WINDOW_MS"),
            ("login=5/1m", "WINDOW_MS \"1m\""),
            ("login=5/60000/fastest", "unknown algorithm \"fastest\""),
            ("login=5/60000/sliding-log/x", "too many `/`"),
            ("login=0/60000", "invalid login policy: limit must be at least 1"),
        ];
        for (text, expected) in cases {
            let error = parse_tier_policy(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
