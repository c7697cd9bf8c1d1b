//! Group 4: session validations per second on Redis, kauth against
//! tower-sessions' Redis store loading a session by id, at 1, 16 and 64
//! concurrent callers (`benches/src/bin/redis_sessions.rs`), and the
//! commands each validation sends, from the server's `INFO commandstats`.
//!
//! Commands that a script runs inside Redis count in `INFO commandstats`
//! too, under their own names, so the round trips of a validation are the
//! commands its client sends: `EVALSHA` (and `SCRIPT LOAD` when Redis lost
//! the script) for kauth, `GET` for tower-sessions. The driver prints every
//! command's calls per validation; they are echoed above the table.
//!
//! Targets: at least 1x tower-sessions' validations per second at each
//! level, and exactly one round trip per validation.

use std::process::Command;

use serde_json::Value;

use crate::bench::process::{self, find, number};
use crate::bench::server::RedisServer;
use crate::bench::table::{Figure, Row, Table, Target};
use crate::bench::{release_binary, Settings};
use crate::error::Error;

const GROUP: &str = "4 sessions";
const LEVELS: [u32; 3] = [1, 16, 64];
/// Commands a client sends per validation: the others in `INFO
/// commandstats` run inside kauth's script.
const CLIENT_COMMANDS: [&str; 3] = ["evalsha", "script|load", "get"];

/// Runs both stores and adds the group's rows.
pub fn run(settings: &Settings, server: &RedisServer, table: &mut Table) -> Result<(), Error> {
    println!("==> 4 sessions: validations against {}", server.url());
    let kauth = validations(server, settings, "kauth").map_err(Error::Bench)?;
    let tower = validations(server, settings, "tower-sessions");

    for callers in LEVELS {
        let plural = if callers == 1 { "" } else { "s" };
        let baseline = match &tower {
            Ok(results) => per_second(results, callers).into(),
            Err(reason) => Figure::Missing(reason.clone()),
        };
        table.push(Row {
            group: GROUP,
            case: format!("validate, {callers} caller{plural}"),
            unit: "validations/s",
            kauth: per_second(&kauth, callers).into(),
            baseline_name: "tower-sessions RedisStore".to_owned(),
            baseline,
            target: Some(Target::RatioAtLeast(1.0)),
        });
    }

    // The level with the most callers: the script is cached by then, so a
    // one-time SCRIPT LOAD after the server started does not show.
    let busiest = *LEVELS.last().expect("LEVELS is not empty");
    let baseline = match &tower {
        Ok(results) => round_trips(results, busiest).into(),
        Err(reason) => Figure::Missing(reason.clone()),
    };
    table.push(Row {
        group: GROUP,
        case: format!("round trips per validation, {busiest} callers"),
        unit: "commands",
        kauth: round_trips(&kauth, busiest).into(),
        baseline_name: "tower-sessions RedisStore".to_owned(),
        baseline,
        target: Some(Target::Equals(1.0)),
    });
    Ok(())
}

fn validations(server: &RedisServer, settings: &Settings, store: &str) -> Result<Vec<Value>, String> {
    let mut command = Command::new(release_binary("redis_sessions"));
    command
        .args(["--url", &server.url(), "--store", store, "--callers", "1,16,64"])
        .args(["--sessions", &settings.sessions.to_string()])
        .args(["--warmup-ms", &settings.warmup_ms.to_string()])
        .args(["--duration-ms", &settings.duration_ms.to_string()]);
    let results = process::run(store, &mut command, true)?.results();
    match results.is_empty() {
        true => Err(format!("{store} printed no result")),
        false => Ok(results),
    }
}

fn per_second(results: &[Value], callers: u32) -> Result<f64, String> {
    let result = find(results, "callers", u64::from(callers)).ok_or(format!("no result at {callers} callers"))?;
    number(result, "per_second", "sessions")
}

/// The calls per validation of the commands a client sends.
fn round_trips(results: &[Value], callers: u32) -> Result<f64, String> {
    let result = find(results, "callers", u64::from(callers)).ok_or(format!("no result at {callers} callers"))?;
    let calls = result
        .get("calls_per_validation")
        .and_then(Value::as_object)
        .ok_or("no command statistics")?;
    Ok(CLIENT_COMMANDS
        .iter()
        .filter_map(|command| calls.get(*command).and_then(Value::as_f64))
        .sum())
}
