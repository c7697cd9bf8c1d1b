//! Group 5, in process memory: heap bytes per tracked subject of kauth-mem,
//! with each sliding log holding 5 hits and with the sliding counter,
//! beside governor's keyed limiter (`benches/src/bin/footprint.rs`). The
//! Redis rows of the group come from [`redis`](super::redis).

use std::process::Command;

use crate::bench::process::{self, number};
use crate::bench::table::{Row, Table};
use crate::bench::{release_binary, Settings};
use crate::error::Error;

const GROUP: &str = "5 memory";

/// Runs the in-memory footprint and adds its rows.
pub fn run(settings: &Settings, table: &mut Table) -> Result<(), Error> {
    println!("==> 5 memory: heap bytes per subject in kauth-mem and governor");
    let mut command = Command::new(release_binary("footprint"));
    command
        .arg("memory")
        .args(["--subjects", &settings.memory_subjects.to_string()]);
    let results = process::run("footprint memory", &mut command, true)
        .map_err(Error::Bench)?
        .results();
    let result = results
        .first()
        .ok_or_else(|| Error::Bench("footprint memory printed no result".to_owned()))?;

    let subjects = settings.memory_subjects;
    for (label, field) in [
        ("sliding log, 5 hits", "kauth_log_bytes"),
        ("sliding counter", "kauth_counter_bytes"),
    ] {
        table.push(Row {
            group: GROUP,
            case: format!("in memory, {subjects} subjects: {label}"),
            unit: "bytes/subject",
            kauth: number(result, field, "footprint memory").into(),
            baseline_name: "governor keyed".to_owned(),
            baseline: number(result, "governor_bytes", "footprint memory").into(),
            target: None,
        });
    }
    Ok(())
}
