//! What every handler shares: the stores, the tier policies, the metrics,
//! and the bookkeeping that turns store errors into 503s and log lines.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use kauth::core::TierPolicies;
use kauth::{Error, Stores};

use super::error::ApiError;
use super::metrics::Metrics;

/// State shared by all handlers; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The rate limiter and session store.
    pub stores: Stores,
    /// The policy of each tier.
    pub policies: TierPolicies,
    /// Counters and histograms for `/metrics`.
    pub metrics: Arc<Metrics>,
    store_down: Arc<AtomicBool>,
}

impl AppState {
    /// State over `stores` with `policies` and empty metrics.
    pub fn new(stores: Stores, policies: TierPolicies) -> Self {
        AppState {
            stores,
            policies,
            metrics: Arc::new(Metrics::new()),
            store_down: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Turns a store result into a handler result.
    ///
    /// A store failure counts in the metrics and becomes a 503; no failure
    /// becomes a success. The first failure after a success is logged at
    /// warn and the first success after a failure at info, so an outage
    /// under load writes two lines, not one per request; every failure is
    /// also logged at debug.
    pub fn observe<T>(&self, operation: &'static str, result: Result<T, Error>) -> Result<T, ApiError> {
        let error = match result {
            Ok(value) => {
                if self.store_down.swap(false, Ordering::Relaxed) {
                    tracing::info!(operation, "store reachable again; serving requests");
                }
                return Ok(value);
            }
            Err(error) => error,
        };

        let (kind, api_error) = match &error {
            Error::InvalidCheck(check) => return Err(ApiError::from_check_error(*check)),
            Error::InvalidSession(input) => return Err(ApiError::from_session_input_error(*input)),
            Error::Unavailable { .. } => ("unavailable", ApiError::store_unavailable()),
            Error::Full { .. } => ("full", ApiError::store_full()),
            _ => ("failed", ApiError::store_failed()),
        };
        self.metrics.record_store_error(operation, kind);
        if !self.store_down.swap(true, Ordering::Relaxed) {
            tracing::warn!(operation, kind, error = %error, "store failed; returning 503 until it recovers");
        }
        tracing::debug!(operation, kind, error = %error, "store operation failed");
        Err(api_error)
    }
}
