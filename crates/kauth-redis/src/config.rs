//! Configuration read once at start-up from `KAUTH_REDIS_*` environment
//! variables, or built in code with [`RedisConfig::builder`].

use std::ffi::OsString;
use std::fmt;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::url::{RedisUrl, URL_VAR};
use crate::RedisError;

mod builder;

pub use builder::RedisConfigBuilder;

/// The environment variable holding the number of connections kept to Redis.
pub const POOL_SIZE_VAR: &str = "KAUTH_REDIS_POOL_SIZE";
/// The environment variable holding the connection and command timeout, in
/// milliseconds.
pub const TIMEOUT_MS_VAR: &str = "KAUTH_REDIS_TIMEOUT_MS";
/// The environment variable holding the prefix of every key written.
pub const KEY_PREFIX_VAR: &str = "KAUTH_REDIS_KEY_PREFIX";
/// The environment variable naming a PEM file of CA certificates to trust for
/// `rediss://` instead of the built-in web PKI roots.
pub const CA_FILE_VAR: &str = "KAUTH_REDIS_CA_FILE";

/// Connections kept to Redis unless configured otherwise.
pub const DEFAULT_POOL_SIZE: usize = 8;
/// Accepted pool sizes.
pub const POOL_SIZE_RANGE: RangeInclusive<usize> = 1..=1024;
/// Connection and command timeout unless configured otherwise, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 3_000;
/// Accepted timeouts, in milliseconds.
pub const TIMEOUT_MS_RANGE: RangeInclusive<u64> = 1..=600_000;
/// Key prefix unless configured otherwise.
pub const DEFAULT_KEY_PREFIX: &str = "kotauth:";
/// Maximum length of the key prefix, in bytes.
pub const MAX_KEY_PREFIX_LEN: usize = 64;

/// How to reach Redis and how to use it.
///
/// `Debug` shows the URL with its password replaced by `<redacted>`.
#[derive(Clone)]
pub struct RedisConfig {
    url: RedisUrl,
    pool_size: usize,
    timeout: Duration,
    key_prefix: String,
    ca_file: Option<PathBuf>,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &self.url)
            .field("pool_size", &self.pool_size)
            .field("timeout_ms", &self.timeout.as_millis())
            .field("key_prefix", &self.key_prefix)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl RedisConfig {
    /// Reads the `KAUTH_REDIS_*` variables of the process environment.
    ///
    /// Returns `Ok(None)` when `KAUTH_REDIS_URL` is unset, empty or blank: Redis
    /// is not configured. Otherwise every variable is validated, and the CA
    /// file, if any, is read and parsed now.
    pub fn from_env() -> Result<Option<RedisConfig>, RedisError> {
        RedisConfig::from_lookup(|name| std::env::var_os(name).map(OsString::into_string))
    }

    /// Like [`from_env`](RedisConfig::from_env), but reads each variable
    /// through `lookup`, which returns its value, `Err` holding the raw value
    /// when it is not valid UTF-8, or `None` when it is unset.
    ///
    /// A blank value of an optional variable counts as unset.
    pub fn from_lookup<F>(lookup: F) -> Result<Option<RedisConfig>, RedisError>
    where
        F: Fn(&str) -> Option<Result<String, OsString>>,
    {
        let read = |variable: &'static str| match lookup(variable) {
            None => Ok(None),
            Some(Err(_)) => Err(RedisError::config(variable, "is not valid UTF-8")),
            Some(Ok(value)) if value.trim().is_empty() => Ok(None),
            Some(Ok(value)) => Ok(Some(value)),
        };

        // The numbers are checked even without a URL, so that a typo fails
        // now rather than on the day Redis is switched on.
        let pool_size = match read(POOL_SIZE_VAR)? {
            Some(text) => Some(parse_integer(POOL_SIZE_VAR, &text, POOL_SIZE_RANGE, "an integer")?),
            None => None,
        };
        let timeout_ms = match read(TIMEOUT_MS_VAR)? {
            Some(text) => Some(parse_integer(
                TIMEOUT_MS_VAR,
                &text,
                TIMEOUT_MS_RANGE,
                "an integer number of milliseconds",
            )?),
            None => None,
        };

        let Some(url) = read(URL_VAR)? else {
            return Ok(None);
        };
        let mut builder = RedisConfig::builder(url);
        if let Some(pool_size) = pool_size {
            builder = builder.pool_size(pool_size);
        }
        if let Some(timeout_ms) = timeout_ms {
            builder = builder.timeout(Duration::from_millis(timeout_ms));
        }
        if let Some(prefix) = read(KEY_PREFIX_VAR)? {
            builder = builder.key_prefix(prefix);
        }
        if let Some(path) = read(CA_FILE_VAR)? {
            builder = builder.ca_file(path);
        }
        builder.build().map(Some)
    }

    /// Returns a builder for `url` with the defaults: 8 connections, a 3 s timeout,
    /// the `kotauth:` key prefix and the built-in web PKI roots for TLS.
    pub fn builder(url: impl Into<String>) -> RedisConfigBuilder {
        RedisConfigBuilder::new(url.into())
    }

    /// Returns the parsed URL, whose `Display` form hides the password.
    pub fn url(&self) -> &RedisUrl {
        &self.url
    }

    /// Returns the number of connections kept to Redis, between 1 and 1024.
    pub fn pool_size(&self) -> usize {
        self.pool_size
    }

    /// Returns the bound on opening a connection and on each call, in whole
    /// milliseconds between 1 ms and 600 s.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Returns the prefix of every key written: 1 to 64 printable ASCII
    /// characters without `{` or `}`.
    pub fn key_prefix(&self) -> &str {
        &self.key_prefix
    }

    /// Returns the CA file trusted for `rediss://`, if one was configured.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// Returns the TLS client settings, present exactly when the URL is
    /// `rediss://`.
    pub(crate) fn tls(&self) -> Option<&Arc<rustls::ClientConfig>> {
        self.tls.as_ref()
    }
}

fn parse_integer<T>(variable: &'static str, text: &str, range: RangeInclusive<T>, what: &str) -> Result<T, RedisError>
where
    T: std::str::FromStr + PartialOrd + fmt::Display,
{
    match text.trim().parse::<T>() {
        Ok(value) if range.contains(&value) => Ok(value),
        _ => Err(out_of_range(variable, &range, what, &quoted(text))),
    }
}

fn check_range<T>(variable: &'static str, value: T, range: RangeInclusive<T>, what: &str) -> Result<(), RedisError>
where
    T: PartialOrd + fmt::Display,
{
    if range.contains(&value) {
        Ok(())
    } else {
        Err(out_of_range(variable, &range, what, &value.to_string()))
    }
}

fn out_of_range<T: fmt::Display>(
    variable: &'static str,
    range: &RangeInclusive<T>,
    what: &str,
    got: &str,
) -> RedisError {
    let reason = format!(
        "must be {what} between {} and {}, got {got}",
        range.start(),
        range.end()
    );
    RedisError::config(variable, reason)
}

fn check_key_prefix(prefix: &str) -> Result<(), RedisError> {
    // Braces would start a Redis Cluster hash tag inside the prefix, so the
    // slot of a key would no longer follow the tag that the key encoding adds.
    let printable = prefix
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'{' && b != b'}');
    if !prefix.is_empty() && prefix.len() <= MAX_KEY_PREFIX_LEN && printable {
        return Ok(());
    }
    let reason = format!(
        "must be 1 to {MAX_KEY_PREFIX_LEN} printable ASCII characters without \"{{\" or \"}}\", got {}",
        quoted(prefix)
    );
    Err(RedisError::config(KEY_PREFIX_VAR, reason))
}

/// Quotes a configuration value for an error message, cut to 64 characters.
fn quoted(text: &str) -> String {
    const MAX_CHARS: usize = 64;
    if text.chars().count() <= MAX_CHARS {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(MAX_CHARS).collect();
        format!("{head:?}...")
    }
}
