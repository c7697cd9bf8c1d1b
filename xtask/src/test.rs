//! `cargo xtask test`: every check CI runs, in order, stopping at the first
//! failure.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use crate::cargo::Cargo;
use crate::error::Error;

/// The bare-metal target that the no_std build of kauth-core compiles for.
const NO_STD_TARGET: &str = "thumbv7em-none-eabihf";

/// A step's function, which receives the step name for its headers.
type StepFn = fn(&'static str) -> Result<(), Error>;

const STEPS: [(&str, StepFn); 5] = [
    ("fmt", fmt),
    ("clippy", clippy),
    ("no_std", no_std),
    ("lua", lua),
    ("test", test),
];

/// Runs every step and prints how many passed.
pub fn run() -> Result<(), Error> {
    let started = Instant::now();
    for (name, step) in STEPS {
        step(name)?;
    }
    let elapsed_s = started.elapsed().as_secs_f64();
    println!("xtask test: {} steps passed in {elapsed_s:.1} s", STEPS.len());
    Ok(())
}

fn fmt(step: &'static str) -> Result<(), Error> {
    Cargo::new(["fmt", "--all", "--", "--check"]).run(step)?;
    Ok(())
}

fn clippy(step: &'static str) -> Result<(), Error> {
    Cargo::new(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]).run(step)?;
    Ok(())
}

fn no_std(step: &'static str) -> Result<(), Error> {
    let build = Cargo::new([
        "build",
        "-p",
        "kauth-core",
        "--no-default-features",
        "--target",
        NO_STD_TARGET,
    ]);
    require_target(step, &build, NO_STD_TARGET)?;

    build.run(step)?;
    build.args(["--features", "embassy-time"]).run(step)?;
    Ok(())
}

fn lua(step: &'static str) -> Result<(), Error> {
    Cargo::new(["xtask", "lua", "--check"]).run(step)?;
    Ok(())
}

fn test(step: &'static str) -> Result<(), Error> {
    // Doc tests are not part of --all-targets, so they run separately.
    Cargo::new(["test", "--workspace", "--all-targets"]).run(step)?;
    Cargo::new(["test", "--workspace", "--doc"]).run(step)?;
    Ok(())
}

/// Fails with the rustup command to run when `target`'s standard library is
/// missing, which cargo would otherwise report as a missing `core` crate.
fn require_target(step: &'static str, build: &Cargo, target: &'static str) -> Result<(), Error> {
    let libdir = target_libdir(step, target)?;
    let has_core = fs::read_dir(&libdir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|entry| entry.file_name().to_string_lossy().starts_with("libcore-"))
        })
        .unwrap_or(false);

    if has_core {
        Ok(())
    } else {
        Err(Error::TargetMissing {
            step,
            command: build.to_string(),
            target,
        })
    }
}

/// Asks rustc where `target`'s libraries live. Rustc prints the path even
/// when the target is not installed, so the caller must look inside it.
fn target_libdir(step: &'static str, target: &str) -> Result<PathBuf, Error> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let command = format!("rustc --print target-libdir --target {target}");
    let output = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", target])
        .output()
        .map_err(|source| Error::Spawn {
            command: command.clone(),
            source,
        })?;

    if !output.status.success() {
        return Err(Error::StepFailed {
            step,
            command,
            status: output.status,
        });
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
}
