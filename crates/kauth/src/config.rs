//! Configuration read once at start-up from `KAUTH_*` environment variables.

use kauth_redis::{RedisConfig, RedisError};

use crate::Error;

/// The variable whose presence moves both stores to Redis.
pub const REDIS_URL_VAR: &str = kauth_redis::URL_VAR;

/// Where the stores live.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Backend {
    /// In process memory: the default.
    Memory,
    /// In Redis, as the `KAUTH_REDIS_*` variables describe.
    Redis(RedisConfig),
}

/// Start-up configuration.
#[derive(Clone, Debug)]
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
        let backend = match RedisConfig::from_lookup(lookup) {
            Ok(None) => Backend::Memory,
            Ok(Some(config)) => Backend::Redis(config),
            Err(RedisError::Config { variable, reason }) => return Err(Error::Config { variable, reason }),
            Err(error) => {
                return Err(Error::Config {
                    variable: REDIS_URL_VAR,
                    reason: error.to_string(),
                })
            }
        };
        Ok(Config { backend })
    }
}
