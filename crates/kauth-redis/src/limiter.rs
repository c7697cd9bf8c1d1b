//! The Redis rate limiter: each operation is one generated script, run in
//! one round trip, atomic inside Redis.

use kauth_core::{Algorithm, Decision, Policy, RateKey};

use crate::reply::{integers, ReplyError};
use crate::scripts::{RATE_CHECK, RATE_PEEK, RATE_RESET};
use crate::{RedisError, RedisPool};

/// Rate-limit counters in Redis, shared by every instance using the same
/// server and key prefix.
///
/// A subject's state is one key, `<prefix>{<rate key>}`, holding its log or
/// counter as MessagePack and expiring when its window empties. The braces
/// make the rate key a Redis Cluster hash tag; rate keys never contain braces
/// themselves.
#[derive(Clone, Debug)]
pub struct RedisRateLimiter {
    pool: RedisPool,
}

impl RedisRateLimiter {
    /// A limiter over `pool`, using its configured key prefix.
    pub fn new(pool: RedisPool) -> Self {
        RedisRateLimiter { pool }
    }

    /// The pool this limiter runs on.
    pub fn pool(&self) -> &RedisPool {
        &self.pool
    }

    /// Checks a hit of `cost` and records it if admitted, at `now_ms` or,
    /// when `None`, at Redis `TIME`.
    pub async fn check(
        &self,
        key: &RateKey,
        policy: &Policy,
        cost: u32,
        now_ms: Option<u64>,
    ) -> Result<Decision, RedisError> {
        self.evaluate(&RATE_CHECK, "check", key, policy, cost, now_ms).await
    }

    /// The decision a check would return, recording nothing.
    pub async fn peek(
        &self,
        key: &RateKey,
        policy: &Policy,
        cost: u32,
        now_ms: Option<u64>,
    ) -> Result<Decision, RedisError> {
        self.evaluate(&RATE_PEEK, "peek", key, policy, cost, now_ms).await
    }

    /// Forgets every hit of `key`. Returns whether it had state.
    pub async fn reset(&self, key: &RateKey) -> Result<bool, RedisError> {
        let state_key = self.state_key(key);
        let reply = self.pool.run_script(&RATE_RESET, "reset", &[&state_key], &[]).await?;
        let deleted = integers(&reply, 1).map_err(|error| self.bad_reply("reset", error))?;
        Ok(deleted[0] == 1)
    }

    /// The Redis key holding `key`'s state.
    pub fn state_key(&self, key: &RateKey) -> String {
        format!("{}{{{}}}", self.pool.config().key_prefix(), key.as_str())
    }

    async fn evaluate(
        &self,
        script: &crate::script::Script,
        operation: &'static str,
        key: &RateKey,
        policy: &Policy,
        cost: u32,
        now_ms: Option<u64>,
    ) -> Result<Decision, RedisError> {
        policy.validate_cost(cost).map_err(RedisError::InvalidCheck)?;
        let state_key = self.state_key(key);
        let algorithm = match policy.algorithm() {
            Algorithm::SlidingLog => "log",
            Algorithm::SlidingCounter => "counter",
        };
        let args = [
            algorithm.to_owned(),
            policy.limit().to_string(),
            policy.window_ms().to_string(),
            cost.to_string(),
            now_ms.map(|now_ms| now_ms.to_string()).unwrap_or_default(),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();

        let reply = self.pool.run_script(script, operation, &[&state_key], &args).await?;
        let values = integers(&reply, 5).map_err(|error| self.bad_reply(operation, error))?;
        Ok(Decision {
            allowed: values[0] == 1,
            limit: to_u32(values[1]),
            remaining: to_u32(values[2]),
            retry_after_ms: to_u64(values[3]),
            reset_after_ms: to_u64(values[4]),
        })
    }

    fn bad_reply(&self, operation: &'static str, error: ReplyError) -> RedisError {
        RedisError::Script {
            name: operation,
            message: error.to_string(),
        }
    }
}

fn to_u32(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}
