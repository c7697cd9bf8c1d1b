//! Running `cargo` as one named step, with a header and the elapsed time.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::error::Error;

/// Returns the workspace root, which is the parent of the xtask crate.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// A `cargo` command line, run from the workspace root.
#[derive(Clone, Debug)]
pub struct Cargo {
    args: Vec<String>,
}

impl Cargo {
    /// Builds `cargo` followed by `args`.
    pub fn new<const N: usize>(args: [&str; N]) -> Self {
        Cargo {
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        }
    }

    /// Appends more arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Runs the command as part of `step`, printing `==> step: command`
    /// before and the elapsed seconds after. Fails when it exits unsuccessfully. Output goes straight to the
    /// terminal.
    pub fn run(&self, step: &'static str) -> Result<(), Error> {
        println!("==> {step}: {self}");
        let started = Instant::now();

        let status = Command::new(cargo_program())
            .args(&self.args)
            .current_dir(workspace_root())
            .status()
            .map_err(|source| Error::Spawn {
                command: self.to_string(),
                source,
            })?;

        let elapsed_s = started.elapsed().as_secs_f64();
        if !status.success() {
            println!("    failed after {elapsed_s:.1} s");
            return Err(Error::StepFailed {
                step,
                command: self.to_string(),
                status,
            });
        }
        println!("    done in {elapsed_s:.1} s");
        Ok(())
    }
}

impl fmt::Display for Cargo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cargo")?;
        for arg in &self.args {
            write!(f, " {arg}")?;
        }
        Ok(())
    }
}

/// Returns the cargo that started xtask, so that nested runs use the same
/// toolchain.
///
/// Cargo sets `CARGO` for the programs it runs; a bare `cargo` from `PATH`
/// is the fallback when xtask is started some other way.
fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}
