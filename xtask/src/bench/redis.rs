//! Group 3: rate checks per second against one local `redis-server` at 1,
//! 16 and 64 concurrent callers, for kauth (`benches/src/bin/redis_rate.rs`),
//! the ceiling ([`ceiling`](super::ceiling)), Python `limits` and Node
//! `rate-limiter-flexible` (`benches/peers/`). Every client checks the
//! login policy, 5 hits per 60 s, over the same 10,000 subjects, from an
//! emptied server.
//!
//! The clients run in `redis_rounds` rounds, in alternating order, and
//! each figure is the median of its rounds. After its first round, each
//! client leaves `redis_subjects` subjects with 5 hits each, and `MEMORY
//! USAGE` of those keys gives group 5's Redis rows.
//!
//! Targets: kauth at least 0.8x the ceiling at 64 callers, at least 2x
//! `limits` and at least 1x `rate-limiter-flexible` at every level.

use std::process::Command;

use serde_json::{json, Value};

use crate::bench::ceiling;
use crate::bench::peers::Peers;
use crate::bench::process::{self, number};
use crate::bench::server::RedisServer;
use crate::bench::table::{Figure, Row, Table, Target};
use crate::bench::{release_binary, Settings};
use crate::error::Error;

const GROUP: &str = "3 redis";
const MEMORY_GROUP: &str = "5 memory";
/// Concurrent callers of each level.
const LEVELS: [u32; 3] = [1, 16, 64];

/// One client's measurements over every round: its result lines, the first
/// failure if a round failed, and the mean bytes of the keys it left, or
/// why each is missing.
struct Client {
    results: Vec<Value>,
    failure: Option<String>,
    bytes_per_subject: Result<f64, String>,
}

impl Client {
    fn new() -> Client {
        Client {
            results: Vec::new(),
            failure: None,
            bytes_per_subject: Err("not measured".to_owned()),
        }
    }

    fn missing(reason: &str) -> Client {
        Client {
            results: Vec::new(),
            failure: Some(reason.to_owned()),
            bytes_per_subject: Err(reason.to_owned()),
        }
    }

    /// Adds one round's results, or its failure.
    fn add(&mut self, round: Result<Vec<Value>, String>) {
        match round {
            Ok(results) => self.results.extend(results),
            Err(reason) => {
                self.failure.get_or_insert(reason);
            }
        }
    }

    /// The median over the rounds of the checks per second at `callers`.
    fn per_second(&self, callers: u32) -> Figure {
        let mut rates: Vec<f64> = self
            .results
            .iter()
            .filter(|result| result.get("callers").and_then(Value::as_u64) == Some(u64::from(callers)))
            .filter_map(|result| result.get("per_second").and_then(Value::as_f64))
            .collect();
        if rates.is_empty() {
            let reason = self
                .failure
                .clone()
                .unwrap_or_else(|| format!("no result at {callers} callers"));
            return Figure::Missing(reason);
        }
        rates.sort_by(f64::total_cmp);
        Figure::Measured(rates[rates.len() / 2])
    }
}

/// The clients, in the order the first round runs them; later rounds
/// alternate the order, so that a slow spell of the machine does not fall
/// on one client only.
#[derive(Clone, Copy)]
enum Which {
    CeilingLog,
    CeilingCounter,
    KauthLog,
    KauthCounter,
    Python,
    Node,
}

const CLIENTS: [Which; 6] = [
    Which::CeilingLog,
    Which::CeilingCounter,
    Which::KauthLog,
    Which::KauthCounter,
    Which::Python,
    Which::Node,
];

/// Measures every client and adds the rows of groups 3 and 5 (Redis).
pub fn run(settings: &Settings, server: &RedisServer, peers: &Peers, table: &mut Table) -> Result<(), Error> {
    println!(
        "==> 3 redis: rate checks against {}, {} round(s)",
        server.url(),
        settings.redis_rounds
    );
    let sha1 = ceiling::load_script(server).map_err(Error::Bench)?;
    let mut clients: Vec<Client> = CLIENTS.iter().map(|_| Client::new()).collect();
    for round in 0..settings.redis_rounds {
        // The keys a client leaves are measured once, after its first round.
        let fill = round == 0;
        let mut order = CLIENTS;
        if round % 2 == 1 {
            order.reverse();
        }
        for which in order {
            let client = &mut clients[which as usize];
            match which {
                Which::CeilingLog => client.add(ceiling_round(server, settings, &sha1, "log", &LEVELS)),
                Which::CeilingCounter => client.add(ceiling_round(server, settings, &sha1, "counter", &[64])),
                Which::KauthLog => kauth(client, server, settings, "sliding-log", "1,16,64", fill),
                Which::KauthCounter => kauth(client, server, settings, "sliding-counter", "64", fill),
                Which::Python => python_limits(client, server, settings, peers, fill),
                Which::Node => rate_limiter_flexible(client, server, settings, peers, fill),
            }
        }
    }

    let [ceiling_log, ceiling_counter, kauth_log, kauth_counter, python, node] =
        <[Client; 6]>::try_from(clients).unwrap_or_else(|_| unreachable!("one client per entry of CLIENTS"));
    for kauth in [&kauth_log, &kauth_counter] {
        if let Some(reason) = &kauth.failure {
            return Err(Error::Bench(reason.clone()));
        }
    }

    for &callers in &LEVELS {
        let plural = if callers == 1 { "" } else { "s" };
        let case = format!("sliding log, {callers} caller{plural}");
        let level = || RateRow {
            case: &case,
            callers,
            kauth: &kauth_log,
        };
        let ceiling_target = (callers == 64).then_some(Target::RatioAtLeast(0.8));
        let ceiling = ceiling_log.per_second(callers);
        table.push(rate_row(level(), "redis-benchmark EVALSHA", ceiling, ceiling_target));
        let python = python.per_second(callers);
        table.push(rate_row(
            level(),
            "limits (Python)",
            python,
            Some(Target::RatioAtLeast(2.0)),
        ));
        let node = node.per_second(callers);
        table.push(rate_row(
            level(),
            "rate-limiter-flexible",
            node,
            Some(Target::RatioAtLeast(1.0)),
        ));
    }
    let counter = RateRow {
        case: "sliding counter, 64 callers",
        callers: 64,
        kauth: &kauth_counter,
    };
    let ceiling = ceiling_counter.per_second(64);
    table.push(rate_row(
        counter,
        "redis-benchmark EVALSHA",
        ceiling,
        Some(Target::RatioAtLeast(0.8)),
    ));

    table.push(memory_row(
        "Redis: sliding log, 5 hits",
        &kauth_log,
        "limits moving window",
        &python,
    ));
    table.push(memory_row(
        "Redis: sliding counter",
        &kauth_counter,
        "rate-limiter-flexible",
        &node,
    ));
    Ok(())
}

/// The ceiling at each of `levels`, as result lines like the drivers'.
fn ceiling_round(
    server: &RedisServer,
    settings: &Settings,
    sha1: &str,
    algorithm: &str,
    levels: &[u32],
) -> Result<Vec<Value>, String> {
    println!("    redis-benchmark {algorithm}");
    levels
        .iter()
        .map(|&callers| {
            let per_second = ceiling::checks_per_second(server, settings, sha1, algorithm, callers)?;
            Ok(json!({ "callers": callers, "per_second": per_second }))
        })
        .collect()
}

/// A row of kauth's checks per second at `callers` against `baseline`.
struct RateRow<'a> {
    case: &'a str,
    callers: u32,
    kauth: &'a Client,
}

fn rate_row(kauth: RateRow<'_>, baseline_name: &str, baseline: Figure, target: Option<Target>) -> Row {
    let RateRow { case, callers, kauth } = kauth;
    Row {
        group: GROUP,
        case: case.to_owned(),
        unit: "checks/s",
        kauth: kauth.per_second(callers),
        baseline_name: baseline_name.to_owned(),
        baseline,
        target,
    }
}

fn memory_row(case: &str, kauth: &Client, baseline_name: &str, baseline: &Client) -> Row {
    Row {
        group: MEMORY_GROUP,
        case: case.to_owned(),
        unit: "bytes/subject",
        kauth: kauth.bytes_per_subject.clone().into(),
        baseline_name: baseline_name.to_owned(),
        baseline: baseline.bytes_per_subject.clone().into(),
        target: None,
    }
}

fn kauth(client: &mut Client, server: &RedisServer, settings: &Settings, algorithm: &str, callers: &str, fill: bool) {
    let mut command = Command::new(release_binary("redis_rate"));
    command.args(["--url", &server.url(), "--algorithm", algorithm, "--callers", callers]);
    measure(client, server, settings, &format!("kauth {algorithm}"), command, fill);
}

fn python_limits(client: &mut Client, server: &RedisServer, settings: &Settings, peers: &Peers, fill: bool) {
    let python = match &peers.python {
        Ok(python) => python,
        Err(reason) => {
            *client = Client::missing(reason);
            return;
        }
    };
    let mut command = Command::new(python);
    command.arg("benches/peers/python/limits_load.py");
    command.args(["--url", &server.url(), "--callers", "1,16,64"]);
    measure(client, server, settings, "limits (Python)", command, fill);
}

fn rate_limiter_flexible(client: &mut Client, server: &RedisServer, settings: &Settings, peers: &Peers, fill: bool) {
    let modules = match &peers.node_modules {
        Ok(modules) => modules,
        Err(reason) => {
            *client = Client::missing(reason);
            return;
        }
    };
    let mut command = Command::new("node");
    command
        .env("NODE_PATH", modules)
        .arg("benches/peers/node/rlflex_load.js");
    command.args(["--url", &server.url(), "--callers", "1,16,64"]);
    measure(client, server, settings, "rate-limiter-flexible", command, fill);
}

/// Runs one round of a client's load with the group's timing and, with
/// `fill`, measures the keys the client leaves afterwards.
fn measure(
    client: &mut Client,
    server: &RedisServer,
    settings: &Settings,
    label: &str,
    mut command: Command,
    fill: bool,
) {
    println!("    {label}");
    command
        .args(["--warmup-ms", &settings.warmup_ms.to_string()])
        .args(["--duration-ms", &settings.duration_ms.to_string()]);
    if fill {
        command.args(["--fill", &settings.redis_subjects.to_string()]);
    }
    let results = match process::run(label, &mut command, true) {
        Ok(finished) => finished.results(),
        Err(reason) => {
            client.add(Err(reason.clone()));
            if fill {
                client.bytes_per_subject = Err(reason);
            }
            return;
        }
    };

    if fill {
        let pattern = results
            .iter()
            .find_map(|result| result.get("pattern").and_then(Value::as_str))
            .map(str::to_owned);
        client.bytes_per_subject = match pattern {
            Some(pattern) => bytes_per_key(server, &pattern),
            None => Err(format!("{label} reported no filled keys")),
        };
    }
    client.add(Ok(results));
}

/// Mean `MEMORY USAGE` of the keys matching `pattern`.
fn bytes_per_key(server: &RedisServer, pattern: &str) -> Result<f64, String> {
    let mut command = Command::new(release_binary("footprint"));
    command.args(["redis", "--url", &server.url(), "--pattern", pattern]);
    let results = process::run("footprint redis", &mut command, false)?.results();
    let result = results.first().ok_or("footprint printed no result")?;
    number(result, "bytes_per_key", "footprint redis")
}
