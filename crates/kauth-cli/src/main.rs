//! `kauth`: the command-line front end of kauth.
//!
//! `kauth replay FILE` streams an OpenSSH syslog through the login-tier rate
//! limit of the stores that `Stores::from_env()` selects, at the log's own
//! timestamps, and summarises what kauth would have admitted and denied.

mod replay;
mod sshd;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kauth::core::Algorithm;

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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("kauth: failed to start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };

    let result = match cli.command {
        Command::Replay(args) => runtime.block_on(replay::run(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kauth: {error}");
            ExitCode::FAILURE
        }
    }
}
