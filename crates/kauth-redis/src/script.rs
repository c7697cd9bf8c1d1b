//! Lua scripts, run by their SHA1 with `EVALSHA` and loaded into Redis only
//! when Redis does not have them.

use std::fmt;

use redis::{Cmd, Value};
use tracing::info;

use crate::error::classify_server_error;
use crate::{RedisError, RedisPool};

/// A Lua script with a name for errors and logs, and its SHA1 computed once.
///
/// ```
/// use kauth_redis::Script;
///
/// let script = Script::new("incr", "return redis.call('INCR', KEYS[1])");
/// assert_eq!(script.name(), "incr");
/// assert_eq!(script.sha1().len(), 40);
/// ```
#[derive(Clone)]
pub struct Script {
    name: &'static str,
    source: &'static str,
    sha1: String,
}

impl fmt::Debug for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Script")
            .field("name", &self.name)
            .field("sha1", &self.sha1)
            .finish_non_exhaustive()
    }
}

impl Script {
    /// Wraps `source`, computing its SHA1 (O(length of the source)).
    pub fn new(name: &'static str, source: &'static str) -> Script {
        Script {
            name,
            source,
            sha1: redis::Script::new(source).get_hash().to_owned(),
        }
    }

    /// The name used in errors and logs.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The Lua source.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// The SHA1 of the source in lowercase hex, as `EVALSHA` expects it.
    pub fn sha1(&self) -> &str {
        &self.sha1
    }

    fn evalsha(&self, keys: &[&str], args: &[&str]) -> Cmd {
        let mut command = redis::cmd("EVALSHA");
        command.arg(&self.sha1).arg(keys.len()).arg(keys).arg(args);
        command
    }
}

impl RedisPool {
    /// Runs `script` with `keys` (`KEYS`) and `args` (`ARGV`) and returns its
    /// reply: one `EVALSHA` round trip when Redis has the script cached.
    /// `operation` names the call in [`RedisError::Unavailable`] and in logs.
    ///
    /// Only when Redis replies `NOSCRIPT` (after a restart, a failover or
    /// `SCRIPT FLUSH`) is the script loaded with `SCRIPT LOAD` and `EVALSHA`
    /// sent once more. `NOSCRIPT` means the script did not run, so it runs at
    /// most once. Any other failure is returned as it is. The whole call,
    /// reload included, is bounded by the configured timeout, and the connection
    /// rules are those of the [pool](RedisPool).
    ///
    /// # Errors
    ///
    /// [`RedisError::Unavailable`] when Redis cannot be reached in time or
    /// cannot serve now. [`RedisError::Script`] when the script raised an
    /// error, including `NOSCRIPT` twice in a row.
    pub async fn run_script(
        &self,
        script: &Script,
        operation: &'static str,
        keys: &[&str],
        args: &[&str],
    ) -> Result<Value, RedisError> {
        self.within_timeout(operation, self.evaluate(script, operation, keys, args))
            .await
    }

    async fn evaluate(
        &self,
        script: &Script,
        operation: &'static str,
        keys: &[&str],
        args: &[&str],
    ) -> Result<Value, RedisError> {
        let evalsha = script.evalsha(keys, args);

        let reply = match self.execute(operation, &evalsha).await? {
            Value::ServerError(error) if error.code() == "NOSCRIPT" => {
                info!(
                    operation,
                    script = script.name,
                    sha1 = script.sha1,
                    attempt = 2,
                    max_attempts = 2,
                    "script is not in the redis script cache: loading it and running it again"
                );
                self.load(script, operation).await?;
                self.execute(operation, &evalsha).await?
            }
            reply => reply,
        };

        match reply {
            Value::ServerError(error) => Err(script_error(script, operation, error)),
            reply => Ok(reply),
        }
    }

    async fn load(&self, script: &Script, operation: &'static str) -> Result<(), RedisError> {
        let mut load = redis::cmd("SCRIPT");
        load.arg("LOAD").arg(script.source);

        match self.execute(operation, &load).await? {
            Value::ServerError(error) => Err(script_error(script, operation, error)),
            Value::BulkString(sha1) if sha1 == script.sha1.as_bytes() => Ok(()),
            other => Err(RedisError::Script {
                name: script.name,
                message: format!(
                    "SCRIPT LOAD returned {other:?}, expected the SHA1 {} computed locally",
                    script.sha1
                ),
            }),
        }
    }
}

fn script_error(script: &Script, operation: &'static str, error: redis::ServerError) -> RedisError {
    classify_server_error(operation, error, |message| RedisError::Script {
        name: script.name,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_matches_redis() {
        // The SHA1 of the eight bytes `return 1`, as `sha1sum` prints it.
        let script = Script::new("one", "return 1");
        assert_eq!(script.sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    }

    #[test]
    fn evalsha_lists_keys_then_args() {
        let script = Script::new("one", "return 1");
        let command = script.evalsha(&["k1", "k2"], &["7", "-1", "text"]);
        let args: Vec<Vec<u8>> = command
            .args_iter()
            .map(|arg| match arg {
                redis::Arg::Simple(bytes) => bytes.to_vec(),
                other => panic!("unexpected argument {other:?}"),
            })
            .collect();
        let expected: Vec<&[u8]> = vec![
            b"EVALSHA",
            script.sha1().as_bytes(),
            b"2",
            b"k1",
            b"k2",
            b"7",
            b"-1",
            b"text",
        ];
        assert_eq!(args, expected);
    }
}
