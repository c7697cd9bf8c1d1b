//! A closed-loop load: a number of concurrent callers, each sending its next
//! request as soon as the previous one is answered, counted over a timed
//! window that starts after a warm-up.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::SplitMix64;

/// The timing of one load run.
#[derive(Clone, Copy, Debug)]
pub struct LoadPlan {
    /// Concurrent callers.
    pub callers: u32,
    /// Time before the counted window, for connections and caches to settle.
    pub warmup: Duration,
    /// Length of the counted window.
    pub duration: Duration,
    /// Keys each caller picks from, uniformly.
    pub keys: u32,
}

/// What a load run measured.
#[derive(Clone, Debug)]
pub struct LoadResult {
    /// Requests answered inside the counted window.
    pub window_requests: u64,
    /// Length of the counted window in seconds, as measured.
    pub window_s: f64,
    /// Requests answered from the first to the last, warm-up included.
    pub total_requests: u64,
    /// The first error, if any request failed; the run stops at it.
    pub error: Option<String>,
}

impl LoadResult {
    /// Requests per second inside the counted window.
    pub fn per_second(&self) -> f64 {
        self.window_requests as f64 / self.window_s
    }
}

/// Runs `request` from `plan.callers` concurrent tasks until the warm-up
/// and the counted window have passed, then waits for every task to finish
/// its request in flight. Must be called inside a tokio runtime.
///
/// `request` receives the key index each call should use.
pub async fn run_load<F, Fut>(plan: LoadPlan, seed: u64, request: F) -> LoadResult
where
    F: Fn(u32) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(Mutex::new(None));

    let mut tasks = Vec::with_capacity(plan.callers as usize);
    for caller in 0..plan.callers {
        let request = request.clone();
        let stop = Arc::clone(&stop);
        let answered = Arc::clone(&answered);
        let first_error = Arc::clone(&first_error);
        let mut random = SplitMix64::new(seed ^ u64::from(caller).wrapping_mul(0x9E37_79B9));
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if let Err(error) = request(random.below(plan.keys)).await {
                    first_error
                        .lock()
                        .expect("no caller panics holding it")
                        .get_or_insert(error);
                    stop.store(true, Ordering::Relaxed);
                    break;
                }
                answered.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }

    tokio::time::sleep(plan.warmup).await;
    let window_start = (Instant::now(), answered.load(Ordering::Relaxed));
    tokio::time::sleep(plan.duration).await;
    let window_end = (Instant::now(), answered.load(Ordering::Relaxed));
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        if let Err(error) = task.await {
            std::panic::resume_unwind(error.into_panic());
        }
    }

    let error = first_error.lock().expect("every caller has finished").take();
    LoadResult {
        window_requests: window_end.1 - window_start.1,
        window_s: (window_end.0 - window_start.0).as_secs_f64(),
        total_requests: answered.load(Ordering::Relaxed),
        error,
    }
}

/// Builds the runtime the drivers run in: a current-thread runtime for
/// `threads == 1`, so that the client uses one core as redis-benchmark and
/// the Python and Node peers do, and a multi-thread one otherwise.
pub fn runtime(threads: usize) -> tokio::runtime::Runtime {
    let mut builder = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(threads);
        builder
    };
    builder.enable_all().build().expect("build the tokio runtime")
}
