//! Group 1: the criterion benches of kauth-core, in nanoseconds and heap
//! allocations per check, beside governor's direct limiter on its fake
//! clock.
//!
//! Times are criterion's median estimates, read from
//! `target/criterion/*/new/`; the allocation counts are the JSON lines the
//! bench prints. criterion's own reports stay in `target/criterion/`.

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use serde_json::Value;

use crate::bench::process::{self, number};
use crate::bench::table::{Row, Table, Target};
use crate::bench::{target_dir, Settings};
use crate::error::Error;

const GROUP: &str = "1 core";

/// kauth's cases with governor's case of the same scenario.
const TIMED_CASES: [(&str, &str, &str); 4] = [
    (
        "sliding log (heapless), admitted",
        "sliding_log/heapless/admitted",
        "governor/direct/admitted",
    ),
    (
        "sliding log (heapless), rejected",
        "sliding_log/heapless/rejected",
        "governor/direct/rejected",
    ),
    (
        "sliding counter, admitted",
        "sliding_counter/admitted",
        "governor/direct/admitted",
    ),
    (
        "sliding counter, rejected",
        "sliding_counter/rejected",
        "governor/direct/rejected",
    ),
];

/// Cases whose allocations per check are reported, with their labels.
const ALLOCATION_CASES: [(&str, &str); 5] = [
    ("sliding log (heapless)", "sliding_log/heapless/rejected"),
    ("sliding log (VecDeque, as kauth-mem)", "sliding_log/vec_deque/rejected"),
    ("sliding counter", "sliding_counter/rejected"),
    (
        "keyed table, 10k keys, sliding log",
        "limiter_table_10k/sliding_log/admitted",
    ),
    (
        "keyed table, 10k keys, sliding counter",
        "limiter_table_10k/sliding_counter/admitted",
    ),
];

/// Runs the core bench and adds its rows.
pub fn run(settings: &Settings, table: &mut Table) -> Result<(), Error> {
    println!("==> 1 core: cargo bench -p kauth-benches --bench core");
    let started = SystemTime::now();
    let mut command = Command::new(cargo());
    command.args(["bench", "-p", "kauth-benches", "--bench", "core", "--"]);
    command.args(&settings.criterion_options);
    let finished = process::run("core bench", &mut command, false).map_err(Error::Bench)?;
    let allocations = finished.results();

    for (label, kauth_case, governor_case) in TIMED_CASES {
        table.push(Row {
            group: GROUP,
            case: label.to_owned(),
            unit: "ns/check",
            kauth: median_ns(kauth_case, started).into(),
            baseline_name: "governor direct".to_owned(),
            baseline: median_ns(governor_case, started).into(),
            target: None,
        });
    }
    for (label, case) in ALLOCATION_CASES {
        table.push(Row {
            group: GROUP,
            case: format!("{label}: allocations"),
            unit: "allocs/check",
            kauth: allocations_per_check(&allocations, case).into(),
            baseline_name: "governor direct".to_owned(),
            baseline: allocations_per_check(&allocations, "governor/direct/rejected").into(),
            target: Some(Target::Equals(0.0)),
        });
    }
    Ok(())
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn allocations_per_check(results: &[Value], case: &str) -> Result<f64, String> {
    let result = results
        .iter()
        .find(|result| result.get("case").and_then(Value::as_str) == Some(case))
        .ok_or_else(|| format!("no allocation count for {case}"))?;
    number(result, "allocations_per_check", case)
}

/// criterion's median time per iteration of benchmark `id`, in nanoseconds,
/// if it was measured after `since`.
///
/// criterion stores each benchmark in a folder named after its id with `/`
/// replaced, and records the id itself in `new/benchmark.json`, which is
/// what this matches on.
fn median_ns(id: &str, since: SystemTime) -> Result<f64, String> {
    let criterion_dir = target_dir().join("criterion");
    let entries = std::fs::read_dir(&criterion_dir)
        .map_err(|error| format!("cannot list {}: {error}", criterion_dir.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let new = entry.path().join("new");
        if read_json(&new.join("benchmark.json"))
            .is_some_and(|benchmark| benchmark.get("full_id").and_then(Value::as_str) == Some(id))
        {
            let path = new.join("estimates.json");
            let modified = std::fs::metadata(&path).and_then(|metadata| metadata.modified());
            if modified.map_or(true, |modified| modified < since) {
                return Err(format!("{id} was not measured in this run"));
            }
            let estimates = read_json(&path).ok_or_else(|| format!("no estimates for {id} in {}", new.display()))?;
            return estimates
                .pointer("/median/point_estimate")
                .and_then(Value::as_f64)
                .ok_or_else(|| format!("no median estimate for {id}"));
        }
    }
    Err(format!("criterion has no result for {id}"))
}

fn read_json(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}
