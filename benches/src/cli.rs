//! The command line and the result lines of the load drivers.
//!
//! Drivers take `--name value` options only and print each result as one
//! JSON object on its own line of stdout, which `cargo xtask bench` parses.
//! Progress and errors go to stderr.

use std::collections::HashMap;
use std::fmt::Display;
use std::io::Write;
use std::str::FromStr;

/// Options given as `--name value` pairs.
///
/// ```
/// use kauth_benches::Options;
///
/// let args = ["--callers", "16", "--url", "redis://127.0.0.1:6390"].map(String::from);
/// let options = Options::parse(args).unwrap();
/// assert_eq!(options.get::<u32>("callers", 1).unwrap(), 16);
/// assert_eq!(options.get::<u32>("keys", 10_000).unwrap(), 10_000);
/// assert_eq!(options.text("url").unwrap(), "redis://127.0.0.1:6390");
/// assert!(options.text("store").is_err());
/// ```
#[derive(Debug, Default)]
pub struct Options {
    values: HashMap<String, String>,
}

impl Options {
    /// Parses the options after the program name.
    pub fn from_env() -> Result<Self, String> {
        Options::parse(std::env::args().skip(1))
    }

    /// Parses `--name value` pairs.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut values = HashMap::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let Some(name) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument `{arg}`; options are `--name value` pairs"));
            };
            let Some(value) = args.next() else {
                return Err(format!("missing value for `--{name}`"));
            };
            values.insert(name.to_owned(), value);
        }
        Ok(Options { values })
    }

    /// The value of `--name`, parsed, or `default` when it is absent.
    pub fn get<T>(&self, name: &str, default: T) -> Result<T, String>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.values.get(name) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|error| format!("invalid value `{text}` for `--{name}`: {error}")),
        }
    }

    /// The value of `--name`, which is required.
    pub fn text(&self, name: &str) -> Result<&str, String> {
        self.values
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("missing option `--{name}`"))
    }

    /// A comma-separated list of numbers, such as `--callers 1,16,64`.
    pub fn list(&self, name: &str, default: &[u32]) -> Result<Vec<u32>, String> {
        match self.values.get(name) {
            None => Ok(default.to_vec()),
            Some(text) => text
                .split(',')
                .map(|item| {
                    item.trim()
                        .parse()
                        .map_err(|error| format!("invalid number `{item}` in `--{name}`: {error}"))
                })
                .collect(),
        }
    }
}

/// Prints one result line and flushes it, so that the reader sees each
/// result as soon as it is measured.
pub fn print_result(result: &serde_json::Value) {
    let mut stdout = std::io::stdout().lock();
    // A closed stdout means nobody reads the results, so nothing is lost.
    let _ = writeln!(stdout, "{result}");
    let _ = stdout.flush();
}
