//! Group 2: kauth-mem against governor's keyed limiter, in nanoseconds per
//! check per thread, over 10,000 keys chosen uniformly or by Zipf's law, on
//! 1 and 2 threads. The driver is `benches/src/bin/keyed.rs`.
//!
//! Targets: the sliding window counter at most 1.0x governor's time per
//! check, the sliding log at most 1.5x.

use std::process::Command;

use crate::bench::process::{self, number};
use crate::bench::table::{Row, Table, Target};
use crate::bench::{release_binary, Settings};
use crate::error::Error;

const GROUP: &str = "2 in memory";

/// Runs the keyed driver and adds one row per configuration.
pub fn run(settings: &Settings, table: &mut Table) -> Result<(), Error> {
    println!("==> 2 in memory: keyed, kauth-mem against governor");
    let mut command = Command::new(release_binary("keyed"));
    command
        .arg("--rounds")
        .arg(settings.keyed_rounds.to_string())
        .arg("--checks")
        .arg(settings.keyed_checks.to_string());
    let results = process::run("keyed", &mut command, true)
        .map_err(Error::Bench)?
        .results();
    if results.is_empty() {
        return Err(Error::Bench("keyed printed no result".to_owned()));
    }

    for result in &results {
        let field = |name: &str| {
            result
                .get(name)
                .and_then(|value| value.as_str())
                .unwrap_or("?")
                .to_owned()
        };
        let algorithm = field("algorithm");
        let threads = result.get("threads").and_then(|value| value.as_u64()).unwrap_or(0);
        let target = match algorithm.as_str() {
            "sliding-counter" => Target::RatioAtMost(1.0),
            _ => Target::RatioAtMost(1.5),
        };
        let plural = if threads == 1 { "" } else { "s" };
        table.push(Row {
            group: GROUP,
            case: format!("{algorithm}, {}, {threads} thread{plural}", field("keys")),
            unit: "ns/check",
            kauth: number(result, "kauth_ns", "keyed").into(),
            baseline_name: "governor keyed".to_owned(),
            baseline: number(result, "governor_ns", "keyed").into(),
            target: Some(target),
        });
    }
    Ok(())
}
