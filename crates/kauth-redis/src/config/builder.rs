//! [`RedisConfigBuilder`]: the configuration built in code.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::{
    check_key_prefix, check_range, RedisConfig, CA_FILE_VAR, DEFAULT_KEY_PREFIX, DEFAULT_POOL_SIZE, DEFAULT_TIMEOUT_MS,
    POOL_SIZE_RANGE, POOL_SIZE_VAR, TIMEOUT_MS_RANGE, TIMEOUT_MS_VAR,
};
use crate::tls;
use crate::url::{RedisUrl, URL_VAR};
use crate::RedisError;

/// A [`RedisConfig`] under construction in code. Its
/// [`build`](RedisConfigBuilder::build) applies the same checks as
/// [`RedisConfig::from_env`], and its errors name the environment variable
/// that sets the same value.
#[derive(Clone)]
pub struct RedisConfigBuilder {
    url: String,
    pool_size: usize,
    timeout: Duration,
    key_prefix: String,
    ca_file: Option<PathBuf>,
}

impl fmt::Debug for RedisConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL is not parsed yet, so none of it is shown.
        f.debug_struct("RedisConfigBuilder")
            .field("url", &"<redacted>")
            .field("pool_size", &self.pool_size)
            .field("timeout_ms", &self.timeout.as_millis())
            .field("key_prefix", &self.key_prefix)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl RedisConfigBuilder {
    pub(super) fn new(url: String) -> RedisConfigBuilder {
        RedisConfigBuilder {
            url,
            pool_size: DEFAULT_POOL_SIZE,
            timeout: Duration::from_millis(DEFAULT_TIMEOUT_MS),
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            ca_file: None,
        }
    }

    /// Sets the number of connections kept to Redis (1 to 1024).
    pub fn pool_size(mut self, pool_size: usize) -> Self {
        self.pool_size = pool_size;
        self
    }

    /// Sets the connection and per-call timeout (1 ms to 600 s), rounded down
    /// to whole milliseconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the prefix of every key written.
    pub fn key_prefix(mut self, key_prefix: impl Into<String>) -> Self {
        self.key_prefix = key_prefix.into();
        self
    }

    /// Trusts the CA certificates in this PEM file for `rediss://` instead
    /// of the built-in web PKI roots.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Validates every option, reads the CA file and builds the TLS settings.
    pub fn build(self) -> Result<RedisConfig, RedisError> {
        let url = self.url.trim();
        if url.is_empty() {
            return Err(RedisError::config(URL_VAR, "is empty"));
        }
        let url = RedisUrl::parse(url)?;

        check_range(POOL_SIZE_VAR, self.pool_size, POOL_SIZE_RANGE, "an integer")?;
        let timeout_ms = u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX);
        check_range(
            TIMEOUT_MS_VAR,
            timeout_ms,
            TIMEOUT_MS_RANGE,
            "an integer number of milliseconds",
        )?;
        check_key_prefix(&self.key_prefix)?;

        let tls = match (&self.ca_file, url.tls()) {
            (None, false) => None,
            (Some(_), false) => return Err(RedisError::config(
                CA_FILE_VAR,
                "is set, but KAUTH_REDIS_URL uses redis:// without TLS (use rediss:// or unset KAUTH_REDIS_CA_FILE)",
            )),
            (ca_file, true) => Some(tls::client_config(ca_file.as_deref())?),
        };

        Ok(RedisConfig {
            url,
            pool_size: self.pool_size,
            timeout: Duration::from_millis(timeout_ms),
            key_prefix: self.key_prefix,
            ca_file: self.ca_file,
            tls,
        })
    }
}
