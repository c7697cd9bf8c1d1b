//! `kauth replay` run as a user runs it: the binary on a log file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sshd-rules.log")
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sshd-sample.log")
}

fn kauth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kauth"))
        .args(args)
        .env_remove("KAUTH_REDIS_URL")
        .output()
        .expect("kauth binary runs")
}

fn replay_json(path: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["replay", path.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let output = kauth(&args);
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "JSON output is not one line: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}

fn field(report: &Value, name: &str) -> u64 {
    report[name]
        .as_u64()
        .unwrap_or_else(|| panic!("field {name} missing in {report}"))
}

#[test]
fn fixture_totals_follow_counting_rules() {
    let report = replay_json(&fixture(), &["--year", "2023", "--limit", "2"]);
    assert_eq!(field(&report, "lines"), 25);
    assert_eq!(field(&report, "skipped_lines"), 5);
    // 4 from 192.0.2.10 (one line plus "repeated 3 times"), 3 from
    // 203.0.113.9, one each from five other sources.
    assert_eq!(field(&report, "attempts"), 12);
    assert_eq!(field(&report, "sources"), 7);
    // With 2 per minute, 192.0.2.10 loses 2 attempts and 203.0.113.9 one.
    assert_eq!(field(&report, "admitted"), 9);
    assert_eq!(field(&report, "denied"), 3);
    assert_eq!(field(&report, "sources_limited"), 2);
    assert_eq!(report["top_denied"][0]["source"], "192.0.2.10");
    assert_eq!(report["top_denied"][0]["denied"], 2);
    assert_eq!(report["top_denied"][1]["source"], "203.0.113.9");
    assert_eq!(report["policy"]["algorithm"], "sliding-log");
}

#[test]
fn sample_log_limits_brute_force_sources() {
    let log = replay_json(&sample(), &[]);
    assert_eq!(field(&log, "lines"), 295);
    assert_eq!(field(&log, "attempts"), 65);
    assert_eq!(field(&log, "skipped_lines"), 0);
    assert_eq!(field(&log, "sources"), 9);
    // Cross-checked against a separate naive 5-per-60-s log over the parser.
    assert_eq!(field(&log, "admitted"), 41);
    assert_eq!(field(&log, "denied"), 24);
    assert_eq!(field(&log, "sources_limited"), 4);
    assert_eq!(
        report_sources(&log),
        ["203.0.113.45", "198.51.100.23", "203.0.113.77", "2001:db8:bad::7"]
    );

    let counter = replay_json(&sample(), &["--algorithm", "sliding-counter"]);
    assert_eq!(field(&counter, "attempts"), 65);
    assert_eq!(counter["policy"]["algorithm"], "sliding-counter");
    // The counter weighs the previous minute fully at the start of each
    // fixed window, so on these bursts it denies a few more than the log.
    assert_eq!(field(&counter, "admitted"), 37);
    assert_eq!(field(&counter, "denied"), 28);
}

fn report_sources(report: &Value) -> Vec<String> {
    report["top_denied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["source"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn text_summary_names_totals() {
    let output = kauth(&["replay", fixture().to_str().unwrap(), "--year", "2023"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("attempts"), "{text}");
    assert!(text.contains("12"), "{text}");
    assert!(text.contains("sliding-log, 5 attempts per 60 s"), "{text}");
}

#[test]
fn unusable_input_warns_and_year_is_bounded() {
    let binary = std::env::current_exe().unwrap();
    let output = kauth(&["replay", binary.to_str().unwrap(), "--json"]);
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("lines of"), "{stderr}");
    assert!(stderr.contains("were skipped; is it an OpenSSH syslog?"), "{stderr}");

    for year in ["1969", "10000", "-1"] {
        let output = kauth(&["replay", fixture().to_str().unwrap(), &format!("--year={year}")]);
        assert_eq!(output.status.code(), Some(2), "--year {year} was accepted");
    }
}

#[test]
fn missing_file_is_clear_error() {
    let output = kauth(&["replay", "/nonexistent/auth.log"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("cannot read /nonexistent/auth.log"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn invalid_overrides_name_the_flag() {
    let cases: [(&[&str], &str); 4] = [
        (&["--limit", "0"], "invalid --limit: limit must be at least 1, got 0"),
        (
            &["--window-ms", "0"],
            "invalid --window-ms: window_ms must be at least 1, got 0",
        ),
        (
            &["--limit", "100001"],
            "invalid --limit: limit 100001 is above the maximum of 100000",
        ),
        (&["--algorithm", "token-bucket"], "unknown algorithm \"token-bucket\""),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["replay", fixture().to_str().unwrap().to_owned().leak()];
        args.extend_from_slice(flags);
        let output = kauth(&args);
        assert!(!output.status.success(), "{flags:?} was accepted");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(expected), "{flags:?}: {stderr}");
    }
}

#[test]
fn unreachable_redis_stops_start_without_leaking_password() {
    let output = Command::new(env!("CARGO_BIN_EXE_kauth"))
        .args(["replay", fixture().to_str().unwrap()])
        .env("KAUTH_REDIS_URL", "redis://:hunter2@127.0.0.1:1/0")
        .env("KAUTH_REDIS_TIMEOUT_MS", "300")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("redis store is unavailable"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "password leaked: {stderr}");
    assert!(output.stdout.is_empty(), "a summary was printed without a store");
}

#[test]
fn invalid_redis_setting_names_the_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_kauth"))
        .args(["replay", fixture().to_str().unwrap()])
        .env("KAUTH_REDIS_URL", "redis://127.0.0.1:1")
        .env("KAUTH_REDIS_POOL_SIZE", "many")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("KAUTH_REDIS_POOL_SIZE"), "{stderr}");
}

#[test]
fn replay_on_redis_prints_what_memory_prints() {
    let server = kauth_tests::redis_server::RedisServer::start();
    // The sample three times over: the clock jumps back by hours twice.
    let repeated = std::env::temp_dir().join(format!("kauth-repeated-{}.log", std::process::id()));
    std::fs::write(&repeated, std::fs::read_to_string(sample()).unwrap().repeat(3)).unwrap();
    for (run, (path, extra)) in [
        (repeated.clone(), vec!["--limit", "3"]),
        (sample(), vec![]),
        (sample(), vec!["--algorithm", "sliding-counter"]),
        (fixture(), vec!["--year", "2023", "--limit", "2"]),
    ]
    .into_iter()
    .enumerate()
    {
        let mut args = vec!["replay", path.to_str().unwrap(), "--json"];
        args.extend_from_slice(&extra);
        let memory = kauth(&args);
        let redis = Command::new(env!("CARGO_BIN_EXE_kauth"))
            .args(&args)
            .env("KAUTH_REDIS_URL", server.url())
            .env("KAUTH_REDIS_KEY_PREFIX", format!("replay-{run}:"))
            .output()
            .unwrap();
        assert!(
            redis.status.success(),
            "stderr: {}",
            String::from_utf8_lossy(&redis.stderr)
        );
        assert_eq!(
            String::from_utf8(redis.stdout).unwrap(),
            String::from_utf8(memory.stdout).unwrap(),
            "{args:?}"
        );
    }
    std::fs::remove_file(repeated).unwrap();
}
