//! `cargo xtask bench [--quick] [-- <criterion options>]`.

use crate::cargo::Cargo;
use crate::error::Error;

/// Criterion options for `--quick`: 1 s of warm-up and 2 s of measurement
/// per benchmark, in place of criterion's 3 s and 5 s.
const QUICK_OPTIONS: [&str; 4] = ["--warm-up-time", "1", "--measurement-time", "2"];

/// Runs the kauth-benches benchmarks.
pub fn run(options: &[String]) -> Result<(), Error> {
    command(options)?.run("bench")
}

/// Builds the `cargo bench` command line for the options of `bench`.
fn command(options: &[String]) -> Result<Cargo, Error> {
    let mut quick = false;
    let mut criterion_options: Vec<String> = Vec::new();

    let mut remaining = options.iter();
    while let Some(option) = remaining.next() {
        match option.as_str() {
            "--quick" => quick = true,
            "--" => criterion_options.extend(remaining.by_ref().cloned()),
            other => {
                return Err(Error::Usage(format!(
                    "unknown option `{other}` for `bench`; expected `--quick` or `-- <criterion options>`"
                )))
            }
        }
    }

    let mut bench = Cargo::new(["bench", "-p", "kauth-benches"]);
    if quick || !criterion_options.is_empty() {
        bench = bench.args(["--"]);
    }
    if quick {
        bench = bench.args(QUICK_OPTIONS);
    }
    Ok(bench.args(criterion_options))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command_line(options: &[&str]) -> Result<String, String> {
        let options: Vec<String> = options.iter().map(|option| (*option).to_owned()).collect();
        command(&options)
            .map(|cargo| cargo.to_string())
            .map_err(|error| error.to_string())
    }

    #[test]
    fn bench_without_options() {
        assert_eq!(command_line(&[]).unwrap(), "cargo bench -p kauth-benches");
    }

    #[test]
    fn bench_quick_sets_criterion_times() {
        assert_eq!(
            command_line(&["--quick"]).unwrap(),
            "cargo bench -p kauth-benches -- --warm-up-time 1 --measurement-time 2"
        );
    }

    #[test]
    fn bench_passes_criterion_options() {
        assert_eq!(
            command_line(&["--quick", "--", "sliding_counter"]).unwrap(),
            "cargo bench -p kauth-benches -- --warm-up-time 1 --measurement-time 2 sliding_counter"
        );
        assert_eq!(
            command_line(&["--", "--quick"]).unwrap(),
            "cargo bench -p kauth-benches -- --quick"
        );
    }

    #[test]
    fn bench_rejects_unknown_option() {
        let error = command_line(&["--slow"]).unwrap_err();
        assert!(error.contains("unknown option `--slow`"), "{error}");
    }
}
