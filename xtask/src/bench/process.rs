//! Running the drivers, peers and tools of the benchmarks and reading the
//! JSON result lines they print.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cargo::workspace_root;

/// What a finished program printed and how long it ran.
#[derive(Debug)]
pub struct Finished {
    /// Its standard output, line by line.
    pub lines: Vec<String>,
    /// Wall-clock time from start to exit.
    pub elapsed: Duration,
}

impl Finished {
    /// The lines of standard output that are JSON objects, parsed.
    pub fn results(&self) -> Vec<Value> {
        self.lines
            .iter()
            .filter(|line| line.trim_start().starts_with('{'))
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }
}

/// Runs `command` from the workspace root, with its standard error going to
/// the terminal, and returns its standard output. With `echo`, each line of
/// standard output is also printed as it arrives, indented.
///
/// Fails with a message naming `label` when the program cannot start or
/// exits unsuccessfully.
pub fn run(label: &str, command: &mut Command, echo: bool) -> Result<Finished, String> {
    let started = Instant::now();
    let mut child = command
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| format!("{label}: cannot start {}: {error}", program_name(command)))?;

    let mut lines = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|error| format!("{label}: cannot read its output: {error}"))?;
            if echo {
                println!("    {line}");
            }
            lines.push(line);
        }
    }

    let status = child
        .wait()
        .map_err(|error| format!("{label}: cannot wait for {}: {error}", program_name(command)))?;
    if !status.success() {
        return Err(format!("{label}: {} exited with {status}", program_name(command)));
    }
    Ok(Finished {
        lines,
        elapsed: started.elapsed(),
    })
}

/// Whether `program` can be found on `PATH`.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// The number in `result[field]`, or an error naming the field and `label`.
pub fn number(result: &Value, field: &str, label: &str) -> Result<f64, String> {
    result
        .get(field)
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("{label}: result line {result} has no number `{field}`"))
}

/// The result line whose `field` equals `value`.
pub fn find<'a>(results: &'a [Value], field: &str, value: u64) -> Option<&'a Value> {
    results
        .iter()
        .find(|result| result.get(field).and_then(Value::as_u64) == Some(value))
}

fn program_name(command: &Command) -> String {
    Path::new(command.get_program())
        .file_name()
        .map_or_else(|| "the program".to_owned(), |name| name.to_string_lossy().into_owned())
}
