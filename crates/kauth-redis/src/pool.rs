//! A fixed set of multiplexed connections, used round-robin, each reopened on
//! demand after it fails.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use redis::{Cmd, Value};
use tokio::task::JoinSet;
use tracing::info;

use crate::connection::{Connector, Link};
use crate::error::{classify_server_error, TimedOut};
use crate::slot::Slot;
use crate::warn::WarnThrottle;
use crate::{RedisConfig, RedisError};

/// Connections to one Redis server, shared by every store of a process.
///
/// Cloning is cheap and clones share the connections. Each call picks the
/// next of the `pool_size` connections in turn. A connection carries many
/// concurrent requests (pipelined by redis-rs), so the pool size bounds
/// sockets, not concurrency.
///
/// # Timeouts and failing closed
///
/// Every call, from [`run_script`](RedisPool::run_script) or
/// [`query`](RedisPool::query), finishes within the configured timeout,
/// including any reconnect, retry or script reload it needs. When the
/// timeout passes it returns [`RedisError::Unavailable`] with a [`TimedOut`]
/// source. redis-rs's own response timeout is set to the same value.
///
/// # Reconnecting
///
/// A connection that failed (dropped, timed out, or cancelled mid-request)
/// is never used again. Before each request the connection is also checked
/// for a close by Redis, such as its idle `timeout`: the task reading the
/// connection records an end of stream, and a non-blocking peek at the socket
/// catches one that the task has not read yet (an end of stream, or bytes
/// waiting while no request is in flight, as a TLS close leaves). A
/// connection found closed is replaced before anything is sent, so this
/// needs no retry.
///
/// The next call that picks the place of a dropped connection opens a new
/// one, within that call's timeout. So the same pool works again once Redis
/// is back after a restart or a pause, and nothing needs rebuilding. While
/// Redis is down, every call makes one connection attempt and fails.
///
/// # Retries
///
/// A request is retried at most once, on a new connection, and only when its
/// connection dropped and **not one byte was written to the connection after
/// the request was handed to it**. Redis then cannot have received the
/// request, so running it again cannot apply a script twice. This covers a
/// close that lands between the check above and the request. A request that
/// timed out, or that failed after any byte was written (by it or by another
/// request on the same connection), is never retried, because Redis may have
/// run it.
#[derive(Clone)]
pub struct RedisPool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    connector: Arc<Connector>,
    slots: Box<[Slot]>,
    next_slot: AtomicUsize,
    warnings: WarnThrottle,
}

impl fmt::Debug for RedisPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = self.inner.connector.config();
        f.debug_struct("RedisPool")
            .field("url", config.url())
            .field("pool_size", &config.pool_size())
            .field("timeout_ms", &config.timeout().as_millis())
            .finish()
    }
}

impl RedisPool {
    /// Opens `pool_size` connections and checks that Redis replies to a `PING`
    /// on each, all within the configured timeout.
    ///
    /// Fails with [`RedisError::Unavailable`] (operation `connect`) when any
    /// connection cannot be opened in time: nothing listens, the TLS
    /// certificate is not trusted, authentication fails, or Redis does not
    /// answer.
    pub async fn connect(config: &RedisConfig) -> Result<RedisPool, RedisError> {
        let connector = Arc::new(Connector::new(config));
        let server = config.url();

        let opened = tokio::time::timeout(config.timeout(), open_all(&connector, config.pool_size())).await;
        let links = match opened {
            Ok(Ok(links)) => links,
            Ok(Err(error)) => return Err(connect_failed(config, RedisError::unavailable("connect", error))),
            Err(_) => {
                let error = RedisError::unavailable(
                    "connect",
                    TimedOut {
                        after: config.timeout(),
                    },
                );
                return Err(connect_failed(config, error));
            }
        };
        info!(server = %server, pool_size = config.pool_size(), "connected to redis");

        let slots = links
            .into_iter()
            .enumerate()
            .map(|(index, link)| Slot::new(index, link))
            .collect();
        Ok(RedisPool {
            inner: Arc::new(PoolInner {
                connector,
                slots,
                next_slot: AtomicUsize::new(0),
                warnings: WarnThrottle::default(),
            }),
        })
    }

    /// The configuration the pool was opened with.
    pub fn config(&self) -> &RedisConfig {
        self.inner.connector.config()
    }

    /// Sends one command and returns its reply, under the rules of the
    /// [pool](RedisPool). `operation` names the call in errors and logs.
    ///
    /// An error reply from Redis becomes [`RedisError::Command`], except
    /// replies that mean the server cannot serve now (`LOADING`, `BUSY`,
    /// `READONLY`, `MASTERDOWN`, `OOM` and the like), which become
    /// [`RedisError::Unavailable`].
    pub async fn query(&self, operation: &'static str, command: &Cmd) -> Result<Value, RedisError> {
        self.within_timeout(operation, async {
            match self.execute(operation, command).await? {
                Value::ServerError(error) => Err(classify_server_error(operation, error, |message| {
                    RedisError::Command { operation, message }
                })),
                reply => Ok(reply),
            }
        })
        .await
    }

    /// Runs `call` within the configured timeout and logs a failure that
    /// fails closed.
    pub(crate) async fn within_timeout<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, RedisError> {
        let timeout = self.config().timeout();
        let result = match tokio::time::timeout(timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(RedisError::unavailable(operation, TimedOut { after: timeout })),
        };
        if let Err(error @ RedisError::Unavailable { .. }) = &result {
            self.inner.warnings.fail_closed(operation, error);
        }
        result
    }

    /// Sends `command` on the next connection, opening it first if needed,
    /// and retries once on a new connection when the request was not sent.
    /// Error replies are returned as `Value::ServerError`.
    pub(crate) async fn execute(&self, operation: &'static str, command: &Cmd) -> Result<Value, RedisError> {
        let index = self.inner.next_slot.fetch_add(1, Ordering::Relaxed) % self.inner.slots.len();
        let slot = &self.inner.slots[index];

        let link = slot.link(&self.inner.connector, operation).await?;
        let failure = match link.send(command).await {
            Ok(reply) => return Ok(reply),
            Err(failure) => failure,
        };
        slot.discard(&link);
        if !failure.unsent {
            return Err(RedisError::unavailable(operation, failure.error));
        }

        info!(
            operation,
            slot = slot.index(),
            attempt = 2,
            max_attempts = 2,
            error = %failure.error,
            "retrying on a new connection: the previous one was closed before the request was sent"
        );
        let link = slot.link(&self.inner.connector, operation).await?;
        link.send(command).await.map_err(|failure| {
            slot.discard(&link);
            RedisError::unavailable(operation, failure.error)
        })
    }
}

/// Opens `count` connections concurrently and fails on the first error.
async fn open_all(connector: &Arc<Connector>, count: usize) -> Result<Vec<Link>, crate::error::ConnectError> {
    let mut opening = JoinSet::new();
    for index in 0..count {
        let connector = Arc::clone(connector);
        opening.spawn(async move { (index, connector.open().await) });
    }

    let mut links: Vec<Option<Link>> = vec![None; count];
    while let Some(joined) = opening.join_next().await {
        let (index, opened) = match joined {
            Ok(joined) => joined,
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        };
        links[index] = Some(opened?);
    }
    Ok(links.into_iter().flatten().collect())
}

fn connect_failed(config: &RedisConfig, error: RedisError) -> RedisError {
    tracing::warn!(
        server = %config.url(),
        timeout_ms = config.timeout().as_millis() as u64,
        error = %error,
        "could not connect to redis"
    );
    error
}
