//! One place in the pool: a connection, replaced when it fails.

use std::sync::{Mutex, MutexGuard, PoisonError};

use tracing::{debug, info};

use crate::connection::{Connector, Link};
use crate::RedisError;

/// One place in the pool: its current connection and a lock held while a new
/// one is opened, so concurrent calls do not open several.
pub(crate) struct Slot {
    index: usize,
    current: Mutex<Option<Link>>,
    reconnecting: tokio::sync::Mutex<()>,
}

impl Slot {
    pub(crate) fn new(index: usize, link: Link) -> Slot {
        Slot {
            index,
            current: Mutex::new(Some(link)),
            reconnecting: tokio::sync::Mutex::new(()),
        }
    }

    /// Returns the position of the slot in the pool, for logs.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// Returns the slot's connection, or opens a new one if it has none that
    /// is usable.
    pub(crate) async fn link(&self, connector: &Connector, operation: &'static str) -> Result<Link, RedisError> {
        if let Some(link) = self.usable() {
            return Ok(link);
        }
        let _reconnecting = self.reconnecting.lock().await;
        // Another call may have reconnected while this one waited.
        if let Some(link) = self.usable() {
            return Ok(link);
        }

        debug!(operation, slot = self.index, "opening a new redis connection");
        let link = connector
            .open()
            .await
            .map_err(|error| RedisError::unavailable(operation, error))?;
        info!(slot = self.index, server = %connector.config().url(), "reconnected to redis");
        *self.lock() = Some(link.clone());
        Ok(link)
    }

    fn usable(&self) -> Option<Link> {
        self.lock().as_ref().filter(|link| link.is_usable()).cloned()
    }

    /// Drops `link` from the slot, unless the slot already moved on.
    pub(crate) fn discard(&self, link: &Link) {
        let mut current = self.lock();
        if current.as_ref().is_some_and(|held| held.is_same(link)) {
            *current = None;
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Link>> {
        // The guarded value is replaced whole, so a panic elsewhere cannot
        // leave it half-written.
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
