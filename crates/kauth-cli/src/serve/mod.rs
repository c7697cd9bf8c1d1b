//! `kauth serve`: rate limits and sessions as an HTTP service with JSON
//! bodies, for servers that do not link Rust.
//!
//! Read in this order: [`router`] lists every route; `limits`, `sessions`
//! and `ops` hold the handlers; `input` and `error` define what a request
//! must look like and what a failure looks like; `state` turns store
//! errors into 503s; `metrics` and `shutdown` are the operational parts.
//! `docs/http-api.md` documents the API for clients.
//!
//! The service fails closed: any store error is a 503 with `Retry-After`,
//! never a decision, and the next request tries the store again, so the
//! service recovers without a restart when the store does.
//!
//! NOTE: no timeout applies to reading a request, because axum's server
//! sets none, so a client that never finishes a request keeps its
//! connection open. The service is meant to sit behind the caller's own
//! servers, not to face the internet.

mod error;
mod input;
mod limits;
mod metrics;
mod ops;
mod sessions;
mod shutdown;
mod state;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use kauth::core::{Tier, TierPolicies};
use kauth::Stores;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tracing_subscriber::EnvFilter;

use crate::ServeArgs;
use input::MAX_BODY_BYTES;
use shutdown::StopSignals;
use state::AppState;

/// Runs `kauth serve` until SIGTERM or Ctrl-C and returns the exit status:
/// success after a graceful stop, failure when start-up fails or requests
/// are still in flight when the shutdown timeout passes.
pub fn main(args: ServeArgs) -> ExitCode {
    init_tracing();

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(error = %error, "failed to start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(args))
}

/// Logs to stderr at the level `RUST_LOG` sets, info by default.
fn init_tracing() {
    let requested = std::env::var("RUST_LOG").ok().filter(|text| !text.trim().is_empty());
    let (filter, invalid) = match requested.as_deref().map(EnvFilter::try_new) {
        Some(Ok(filter)) => (filter, None),
        Some(Err(error)) => (EnvFilter::new("info"), Some(error)),
        None => (EnvFilter::new("info"), None),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    if let Some(error) = invalid {
        tracing::warn!(error = %error, "RUST_LOG is invalid; logging at info");
    }
}

async fn run(args: ServeArgs) -> ExitCode {
    let mut policies = TierPolicies::default();
    for (tier, policy) in &args.policies {
        policies.set(*tier, *policy);
    }

    let signals = match StopSignals::install() {
        Ok(signals) => signals,
        Err(error) => {
            tracing::error!(error = %error, "cannot install the SIGTERM and SIGINT handlers");
            return ExitCode::FAILURE;
        }
    };
    let stores = match Stores::from_env().await {
        Ok(stores) => stores,
        Err(error) => {
            tracing::error!(error = %error, "cannot open the stores");
            return ExitCode::FAILURE;
        }
    };
    let listener = match TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(address = %args.listen, error = %error, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    let address = listener.local_addr().unwrap_or(args.listen);

    tracing::info!(
        address = %address,
        backend = stores.limiter.backend(),
        policies = describe_policies(&policies).as_str(),
        "listening"
    );
    let app = router(AppState::new(stores, policies));
    let shutdown_timeout = Duration::from_millis(args.shutdown_timeout_ms);
    serve_until_stopped(listener, app, signals, shutdown_timeout, address).await
}

/// Every route, the fallbacks, and the layers around them.
fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/v1/limits/{tier}", post(limits::check))
        .route("/v1/limits/{tier}/peek", post(limits::peek))
        .route("/v1/limits/{tier}/reset", post(limits::reset))
        .route("/v1/sessions", post(sessions::create))
        .route(
            "/v1/sessions/current",
            get(sessions::current).delete(sessions::revoke_current),
        )
        .route("/v1/sessions/current/rotate", post(sessions::rotate))
        .route(
            "/v1/workspaces/{workspace}/users/{user}/sessions",
            get(sessions::list_user).delete(sessions::revoke_user),
        )
        .method_not_allowed_fallback(ops::method_not_allowed)
        .fallback(ops::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::map_response(forbid_caching))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
}

/// Marks every response `Cache-Control: no-store`: they carry tokens,
/// sessions or counters that are stale a moment later.
async fn forbid_caching(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Serves until a stop signal, then stops accepting connections and waits
/// up to `shutdown_timeout` for the requests in flight.
async fn serve_until_stopped(
    listener: TcpListener,
    app: Router,
    signals: StopSignals,
    shutdown_timeout: Duration,
    address: SocketAddr,
) -> ExitCode {
    let (stopping_sender, stopping) = oneshot::channel();
    let stop = async move {
        let signal = signals.wait().await;
        tracing::info!(signal, "stopping: no new connections, finishing requests in flight");
        let _ = stopping_sender.send(());
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(stop).into_future();
    tokio::pin!(server);

    let served = tokio::select! {
        biased;
        served = &mut server => served,
        _ = stopping => match tokio::time::timeout(shutdown_timeout, &mut server).await {
            Ok(served) => served,
            Err(_) => {
                tracing::warn!(
                    timeout_ms = shutdown_timeout.as_millis() as u64,
                    "requests still in flight when the shutdown timeout passed; exiting without them"
                );
                return ExitCode::FAILURE;
            }
        },
    };

    match served {
        Ok(()) => {
            tracing::info!(address = %address, "stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(address = %address, error = %error, "server failed");
            ExitCode::FAILURE
        }
    }
}

/// The tier policies as one log field, e.g. `login 5/60000ms sliding-log`.
fn describe_policies(policies: &TierPolicies) -> String {
    Tier::ALL
        .into_iter()
        .map(|tier| {
            let policy = policies.get(tier);
            format!(
                "{tier} {}/{}ms {}",
                policy.limit(),
                policy.window_ms(),
                policy.algorithm().as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
