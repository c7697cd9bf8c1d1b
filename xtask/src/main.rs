//! Project automation for the kauth workspace, run as `cargo xtask <command>`.
//!
//! Every command runs the `cargo` that started it from the workspace root and
//! stops at the first step that fails. `cargo xtask help` lists the commands.

mod bench;
mod cargo;
mod error;
mod lua;
mod test;

use std::process::ExitCode;

use error::Error;

const USAGE: &str = "\
Usage: cargo xtask <command> [options]

Commands:
  test           Run every check CI runs, stopping at the first failure:
                 formatting, clippy, the no_std builds of kauth-core,
                 lua --check and all tests
  bench [--quick] [-- <criterion options>]
                 Measure kauth beside its peers and the machine's ceiling in
                 one run and print the comparison table (written to
                 target/bench/table.txt too); installs the Python and Node
                 peers under target/bench-peers first. --quick shortens every
                 measurement to finish in about a minute after the builds
  lua [--check]  Write the Lua scripts of kauth-redis from kauth-core's
                 definitions; with --check, fail if the committed ones differ
  help           Print this message
";

/// The commands, as listed in usage errors.
const COMMANDS: &str = "test, bench, lua, help";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), Error> {
    let Some((command, options)) = args.split_first() else {
        return Err(Error::Usage(format!("missing command; valid commands: {COMMANDS}")));
    };

    match command.as_str() {
        "test" => {
            reject_options(command, options)?;
            test::run()
        }
        "bench" => bench::run(options),
        "lua" => lua::run(options),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(Error::Usage(format!(
            "unknown command `{other}`; valid commands: {COMMANDS}"
        ))),
    }
}

fn reject_options(command: &str, options: &[String]) -> Result<(), Error> {
    match options.first() {
        Some(option) => Err(Error::Usage(format!("`{command}` takes no options, got `{option}`"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(args: &[&str]) -> Result<(), String> {
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        run(&args).map_err(|error| error.to_string())
    }

    #[test]
    fn unknown_command_lists_valid_ones() {
        let error = run_with(&["deploy"]).unwrap_err();
        assert!(error.contains("unknown command `deploy`"), "{error}");
        assert!(error.contains("test, bench, lua, help"), "{error}");
    }

    #[test]
    fn missing_command_lists_valid_ones() {
        let error = run_with(&[]).unwrap_err();
        assert!(error.contains("missing command"), "{error}");
        assert!(error.contains("test, bench, lua, help"), "{error}");
    }

    #[test]
    fn test_rejects_options() {
        let error = run_with(&["test", "--quick"]).unwrap_err();
        assert!(error.contains("`test` takes no options, got `--quick`"), "{error}");
    }

    #[test]
    fn lua_rejects_unknown_options() {
        let error = run_with(&["lua", "--fix"]).unwrap_err();
        assert!(error.contains("`lua` takes only `--check`, got `--fix`"), "{error}");
    }
}
