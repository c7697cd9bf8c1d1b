//! [`Stores`]: the rate limiter and session store an application uses.

use std::sync::Arc;

use kauth_core::session::SessionPolicy;
use kauth_mem::{MemoryRateLimiter, MemorySessionStore};
use kauth_redis::{RedisConfig, RedisError, RedisPool, RedisRateLimiter, RedisSessionStore};

use crate::{Backend, Config, Error, RateLimiter, SessionStore};

/// The two stores of an application, chosen together.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use kauth::{Now, Stores};
/// use kauth_core::{RateKey, Subject, Tier};
///
/// let stores = Stores::in_memory();
/// let key = RateKey::new(Tier::Login, "acme", &Subject::client("198.51.100.4")).unwrap();
/// let decision = stores.limiter.check(&key, &Tier::Login.default_policy(), 1, Now::StoreClock).await.unwrap();
/// assert!(decision.allowed);
/// assert_eq!(decision.remaining, 4);
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct Stores {
    /// Rate-limit counters.
    pub limiter: Arc<dyn RateLimiter>,
    /// User sessions.
    pub sessions: Arc<dyn SessionStore>,
}

impl Stores {
    /// Chooses the stores from the `KAUTH_*` environment variables: in
    /// memory unless `KAUTH_REDIS_URL` is set and not blank, in Redis
    /// otherwise.
    ///
    /// With Redis, start-up fails unless Redis answers within
    /// `KAUTH_REDIS_TIMEOUT_MS`: a service that cannot reach its shared
    /// state must not start serving with none.
    pub async fn from_env() -> Result<Stores, Error> {
        Stores::from_config(Config::from_env()?).await
    }

    /// Builds the stores a configuration describes, with the default
    /// session policy.
    pub async fn from_config(config: Config) -> Result<Stores, Error> {
        match config.backend {
            Backend::Memory => Ok(Stores::in_memory()),
            Backend::Redis(config) => {
                let pool = RedisPool::connect(&config)
                    .await
                    .map_err(|error| connect_error(&config, error))?;
                Ok(Stores::in_redis(pool, SessionPolicy::default()))
            }
        }
    }

    /// Both stores in Redis over one pool, sessions under `policy`.
    pub fn in_redis(pool: RedisPool, policy: SessionPolicy) -> Stores {
        Stores {
            limiter: Arc::new(RedisRateLimiter::new(pool.clone())),
            sessions: Arc::new(RedisSessionStore::new(pool, policy)),
        }
    }

    /// Both stores in process memory, with the system clock and defaults.
    pub fn in_memory() -> Stores {
        Stores::from_memory(MemoryRateLimiter::default(), MemorySessionStore::default())
    }

    /// Both stores in process memory, configured by the caller (a manual
    /// clock, a key cap, a session policy).
    pub fn from_memory(limiter: MemoryRateLimiter, sessions: MemorySessionStore) -> Stores {
        Stores {
            limiter: Arc::new(limiter),
            sessions: Arc::new(sessions),
        }
    }
}

/// A start-up connection failure that says where kauth tried to connect and
/// which variables to check.
fn connect_error(config: &RedisConfig, error: RedisError) -> Error {
    let cause: Box<dyn std::error::Error + Send + Sync> = match error {
        RedisError::Unavailable { source, .. } => source,
        other => Box::new(other),
    };
    let context = format!(
        "no answer from Redis at {} (KAUTH_REDIS_URL) within {} ms (KAUTH_REDIS_TIMEOUT_MS): {cause}",
        config.url(),
        config.timeout().as_millis()
    );
    Error::Unavailable {
        store: "redis",
        operation: "connect",
        source: context.into(),
    }
}
