//! The errors xtask reports before exiting with a failure status.

use std::fmt;
use std::io;
use std::process::ExitStatus;

/// A failure of an xtask command.
#[derive(Debug)]
pub enum Error {
    /// An invalid command line, with a message naming the problem.
    Usage(String),
    /// A child process could not be started.
    Spawn {
        /// The command line, as printed in the step header.
        command: String,
        /// The error from the operating system.
        source: io::Error,
    },
    /// A step's command ran and exited unsuccessfully.
    StepFailed {
        /// The step name, as printed in the step header.
        step: &'static str,
        /// The command line, as printed in the step header.
        command: String,
        /// The exit status of the command.
        status: ExitStatus,
    },
    /// A step could not run because the standard library of its
    /// cross-compilation target is not installed.
    TargetMissing {
        /// The step name, as printed in the step headers.
        step: &'static str,
        /// The command line that needs the target.
        command: String,
        /// The target triple.
        target: &'static str,
    },
    /// The Lua scripts are stale, or their files could not be read or written.
    Lua(String),
    /// A measurement of `bench` could not run or its results could not be
    /// read.
    Bench(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(problem) => write!(f, "{problem} (run `cargo xtask help` for usage)"),
            Error::Spawn { command, source } => write!(f, "failed to start `{command}`: {source}"),
            Error::StepFailed { step, command, status } => match status.code() {
                Some(code) => write!(f, "step `{step}` failed: `{command}` exited with status {code}"),
                None => write!(f, "step `{step}` failed: `{command}` was ended by a signal ({status})"),
            },
            Error::TargetMissing { step, command, target } => write!(
                f,
                "step `{step}` failed: the {target} target is not installed, so `{command}` \
                 cannot run; install it with `rustup target add {target}`"
            ),
            Error::Lua(problem) => write!(f, "lua: {problem}"),
            Error::Bench(problem) => write!(f, "bench: {problem}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Spawn { source, .. } => Some(source),
            _ => None,
        }
    }
}
