//! Configuration read once at start-up from `KAUTH_*` environment variables.

use std::fmt;

use crate::Error;

/// The variable whose presence moves both stores to Redis.
pub const REDIS_URL_VAR: &str = "KAUTH_REDIS_URL";

/// Where the stores live.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// In process memory: the default.
    Memory,
    /// In Redis at this URL. The URL may hold a password, so `Debug` hides it.
    Redis {
        /// The value of `KAUTH_REDIS_URL`.
        url: String,
    },
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Memory => f.write_str("Memory"),
            Backend::Redis { .. } => f.write_str("Redis { url: <redacted> }"),
        }
    }
}

/// Start-up configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where the stores live.
    pub backend: Backend,
}

impl Config {
    /// Reads the process environment. `KAUTH_REDIS_URL` unset, empty or
    /// blank selects memory.
    pub fn from_env() -> Result<Config, Error> {
        Config::from_lookup(|name| std::env::var_os(name).map(|value| value.into_string()))
    }

    /// Reads configuration through `lookup`, which returns a variable's value,
    /// `Err` holding the raw value when it is not valid UTF-8, or `None` when
    /// it is unset. Tests use it to avoid touching the process environment.
    pub fn from_lookup<F>(lookup: F) -> Result<Config, Error>
    where
        F: Fn(&str) -> Option<Result<String, std::ffi::OsString>>,
    {
        let redis_url = match lookup(REDIS_URL_VAR) {
            None => None,
            Some(Ok(value)) => Some(value),
            Some(Err(_)) => {
                return Err(Error::Config {
                    variable: REDIS_URL_VAR,
                    reason: "is not valid UTF-8".to_owned(),
                })
            }
        };
        let backend = match redis_url {
            Some(url) if !url.trim().is_empty() => Backend::Redis {
                url: url.trim().to_owned(),
            },
            _ => Backend::Memory,
        };
        Ok(Config { backend })
    }
}
