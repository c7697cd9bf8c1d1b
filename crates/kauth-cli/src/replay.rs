//! `kauth replay`: stream a syslog through the login-tier rate limit.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::time::{Duration, Instant};

use kauth::core::{Policy, PolicyError, RateKey, Subject, Tier};
use kauth::{Now, Stores};

use crate::sshd::{self, Event, YearTracker};
use crate::stats::{PolicySummary, ReplayStats};
use crate::ReplayArgs;

/// Runs a replay and prints its summary on stdout.
pub async fn run(args: ReplayArgs) -> Result<(), String> {
    let policy = login_policy(&args)?;
    let file = File::open(&args.file).map_err(|error| format!("cannot read {}: {error}", args.file.display()))?;
    let total_bytes = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
    let stores = Stores::from_env().await.map_err(|error| error.to_string())?;

    let mut progress = Progress::new(total_bytes);
    let stats = replay(
        BufReader::new(file),
        &stores,
        &policy,
        args.year.unwrap_or_else(sshd::current_year),
        &mut progress,
    )
    .await
    .map_err(|error| format!("replay of {} stopped: {error}", args.file.display()))?;
    progress.finish();

    let summary = PolicySummary {
        algorithm: policy.algorithm().as_str(),
        limit: policy.limit(),
        window_ms: policy.window_ms(),
    };
    if stats.lines() > 0 && stats.skipped_lines() == stats.lines() {
        eprintln!(
            "kauth: warning: all {} lines of {} were skipped; is it an OpenSSH syslog?",
            stats.lines(),
            args.file.display()
        );
    }

    let output = if args.json {
        stats.to_json(&summary)
    } else {
        stats.render_text(&summary)
    };
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{}", output.trim_end()) {
        // A reader that stopped early, such as `head`, wanted no more.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => result.map_err(|error| format!("cannot write the summary: {error}")),
    }
}

/// The login tier's default policy with the command line's overrides.
fn login_policy(args: &ReplayArgs) -> Result<Policy, String> {
    let default = Tier::Login.default_policy();
    let limit = args.limit.unwrap_or(default.limit());
    let window_ms = args.window_ms.unwrap_or(default.window_ms());
    let algorithm = args.algorithm.unwrap_or(default.algorithm());
    Policy::new(limit, window_ms, algorithm).map_err(|error| {
        let flag = match error {
            PolicyError::ZeroWindow | PolicyError::WindowTooLarge { .. } => "--window-ms",
            _ => "--limit",
        };
        format!("invalid {flag}: {error}")
    })
}

/// Reads `input` line by line, checking each attempt against `policy`.
///
/// Memory stays flat whatever the input's length: one line buffer, plus
/// what the stores and the per-source totals hold. A store error stops the
/// replay, since no decision can be made without the store.
async fn replay<R: BufRead>(
    mut input: R,
    stores: &Stores,
    policy: &Policy,
    start_year: i32,
    progress: &mut Progress,
) -> Result<ReplayStats, String> {
    let mut stats = ReplayStats::new();
    let mut years = YearTracker::new(start_year);
    let mut buffer = Vec::with_capacity(512);

    loop {
        buffer.clear();
        let read = input
            .read_until(b'\n', &mut buffer)
            .map_err(|error| format!("read failed: {error}"))?;
        if read == 0 {
            break;
        }
        progress.advance(read as u64, stats.lines());
        stats.count_line();

        let (source, count, key, at_ms) = match classify(&buffer, &mut years) {
            Classified::Unusable => {
                stats.skip();
                continue;
            }
            Classified::NoAttempt => continue,
            Classified::Attempts {
                source,
                count,
                key,
                at_ms,
            } => (source, count, key, at_ms),
        };

        let mut admitted = 0;
        for _ in 0..count {
            let decision = stores
                .limiter
                .check(&key, policy, 1, Now::At(at_ms))
                .await
                .map_err(|error| error.to_string())?;
            admitted += u64::from(decision.allowed);
        }
        stats.record(&source, admitted, u64::from(count) - admitted);
    }
    Ok(stats)
}

/// What one raw line of the log means for the replay.
enum Classified {
    /// Not valid UTF-8, not a syslog line, impossible date, or no usable source.
    Unusable,
    /// A well-formed line that records no login attempt.
    NoAttempt,
    /// `count` attempts from `source` at `at_ms`, counted under `key`.
    Attempts {
        source: String,
        count: u32,
        // Boxed: a key has room for the longest workspace and subject.
        key: Box<RateKey>,
        at_ms: u64,
    },
}

fn classify(raw: &[u8], years: &mut YearTracker) -> Classified {
    let Ok(text) = std::str::from_utf8(raw) else {
        return Classified::Unusable;
    };
    let Ok(line) = sshd::parse_line(text.trim_end_matches(['\n', '\r'])) else {
        return Classified::Unusable;
    };
    // Dating every line, not only attempts, keeps the year rollover right.
    let Ok(at_ms) = years.timestamp_ms(&line) else {
        return Classified::Unusable;
    };
    let Event::Attempts { source, count } = line.event else {
        return Classified::NoAttempt;
    };
    match RateKey::new(Tier::Login, line.host, &Subject::client(source)) {
        Ok(key) => Classified::Attempts {
            source: source.to_owned(),
            count,
            key: Box::new(key),
            at_ms,
        },
        Err(_) => Classified::Unusable,
    }
}

/// Progress on stderr for long replays, only when stderr is a terminal.
struct Progress {
    total_bytes: u64,
    read_bytes: u64,
    started: Instant,
    last_report: Option<Instant>,
    enabled: bool,
}

impl Progress {
    /// Replays shorter than this print no progress.
    const QUIET_FOR: Duration = Duration::from_secs(2);
    const EVERY: Duration = Duration::from_millis(500);

    fn new(total_bytes: u64) -> Self {
        Progress {
            total_bytes,
            read_bytes: 0,
            started: Instant::now(),
            last_report: None,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    fn advance(&mut self, bytes: u64, lines: u64) {
        self.read_bytes += bytes;
        // Looking at the clock every line would cost more than the check.
        if !self.enabled || !lines.is_multiple_of(4_096) {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.started) < Self::QUIET_FOR
            || self
                .last_report
                .is_some_and(|last| now.duration_since(last) < Self::EVERY)
        {
            return;
        }
        self.last_report = Some(now);
        let percent = if self.total_bytes == 0 {
            0.0
        } else {
            100.0 * self.read_bytes as f64 / self.total_bytes as f64
        };
        eprint!("\rkauth replay: {percent:5.1}% read, {lines} lines");
    }

    fn finish(&self) {
        if self.last_report.is_some() {
            eprintln!();
        }
    }
}
