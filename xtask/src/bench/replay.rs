//! Group 6: lines per second of `kauth replay` (in memory) on a large log
//! made from the sample ([`replay_log`](super::replay_log)), beside
//! `fail2ban-regex` with fail2ban's `sshd` filter on the same file, which
//! finds the same failed logins but makes no rate decision.
//!
//! Both figures are lines divided by the wall-clock time of the whole
//! command, start-up included: kauth's is the median of three runs,
//! fail2ban's comes from one run, since it is much slower.

use std::process::Command;

use serde_json::Value;

use crate::bench::peers::{fail2ban_regex, Peers};
use crate::bench::process::{self, number};
use crate::bench::replay_log::{self, START_YEAR};
use crate::bench::table::{Figure, Row, Table};
use crate::bench::{release_binary, target_dir, Settings};
use crate::error::Error;

const GROUP: &str = "6 replay";
/// Timed runs of `kauth replay`.
const KAUTH_RUNS: usize = 3;

/// Times both tools and adds the group's row.
pub fn run(settings: &Settings, peers: &Peers, table: &mut Table) -> Result<(), Error> {
    let dir = target_dir().join("bench").join("replay");
    let (log, lines) = replay_log::generate(&dir, settings.replay_copies).map_err(Error::Bench)?;
    println!("==> 6 replay: {} ({lines} lines)", log.display());

    let mut kauth_rates = Vec::with_capacity(KAUTH_RUNS);
    for _ in 0..KAUTH_RUNS {
        let mut command = Command::new(release_binary("kauth"));
        command
            .arg("replay")
            .arg(&log)
            .args(["--json", "--year", &START_YEAR.to_string()]);
        let finished = process::run("kauth replay", &mut command, false).map_err(Error::Bench)?;
        check_summary(&finished.results(), lines).map_err(Error::Bench)?;
        kauth_rates.push(lines as f64 / finished.elapsed.as_secs_f64());
    }
    kauth_rates.sort_by(f64::total_cmp);

    let baseline = match &peers.fail2ban {
        Ok(root) => {
            let mut command = Command::new("python3");
            command
                .env("PYTHONPATH", root.join("usr/lib/python3/dist-packages"))
                .arg(fail2ban_regex(root))
                .args(["--print-no-missed", "--print-no-ignored"])
                .arg(&log)
                .arg(root.join("etc/fail2ban/filter.d/sshd.conf"));
            process::run("fail2ban-regex", &mut command, false)
                .map(|finished| lines as f64 / finished.elapsed.as_secs_f64())
                .into()
        }
        Err(reason) => Figure::Missing(reason.clone()),
    };

    table.push(Row {
        group: GROUP,
        case: format!("replay {lines} lines, sliding log"),
        unit: "lines/s",
        kauth: Figure::Measured(kauth_rates[KAUTH_RUNS / 2]),
        baseline_name: "fail2ban-regex sshd".to_owned(),
        baseline,
        target: None,
    });
    Ok(())
}

/// Checks that the replay read every line and skipped none, so that the
/// shifted dates were all valid.
fn check_summary(results: &[Value], lines: u64) -> Result<(), String> {
    let summary = results.first().ok_or("kauth replay printed no JSON summary")?;
    let read = number(summary, "lines", "kauth replay")? as u64;
    let skipped = number(summary, "skipped_lines", "kauth replay")? as u64;
    if read != lines || skipped != 0 {
        return Err(format!(
            "kauth replay read {read} of {lines} lines and skipped {skipped}"
        ));
    }
    Ok(())
}
