//! Counters and a latency histogram, written out in the Prometheus text
//! exposition format (version 0.0.4).
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `kauth_rate_limit_decisions_total` | counter | `tier`, `outcome` (`allowed`, `limited`) |
//! | `kauth_store_errors_total` | counter | `operation`, `kind` (`unavailable`, `failed`, `full`) |
//! | `kauth_http_request_duration_seconds` | histogram | `method`, `route`, `status` |
//! | `kauth_info` | gauge, always 1 | `version`, `backend` |
//!
//! `route` is the route template (`/v1/limits/{tier}`), or `unmatched`, so
//! the number of series stays bounded whatever paths clients send.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use kauth::core::Tier;

use super::state::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS_S: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Route label of requests that matched no route.
const UNMATCHED_ROUTE: &str = "unmatched";

/// The metrics of one `kauth serve` process.
#[derive(Debug)]
pub struct Metrics {
    /// Indexed by tier (in `Tier::ALL` order), then allowed (0) or limited (1).
    decisions: [[AtomicU64; 2]; 3],
    store_errors: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    latencies: Mutex<BTreeMap<RequestLabels, Histogram>>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Debug, Default)]
struct Histogram {
    /// Observations per bucket, not cumulative; the last counts those above
    /// every bound.
    counts: [u64; BUCKETS_S.len() + 1],
    sum_s: f64,
}

impl Metrics {
    /// Metrics with every counter at zero.
    pub fn new() -> Self {
        Metrics {
            decisions: Default::default(),
            store_errors: Mutex::new(BTreeMap::new()),
            latencies: Mutex::new(BTreeMap::new()),
        }
    }

    /// Counts one rate-limit check of `tier`.
    pub fn record_decision(&self, tier: Tier, allowed: bool) {
        let outcome = usize::from(!allowed);
        self.decisions[tier_index(tier)][outcome].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one failed store operation.
    pub fn record_store_error(&self, operation: &'static str, kind: &'static str) {
        let mut errors = self.store_errors.lock().unwrap_or_else(PoisonError::into_inner);
        *errors.entry((operation, kind)).or_default() += 1;
    }

    fn record_request(&self, labels: RequestLabels, elapsed: Duration) {
        let elapsed_s = elapsed.as_secs_f64();
        let bucket = BUCKETS_S
            .iter()
            .position(|bound| elapsed_s <= *bound)
            .unwrap_or(BUCKETS_S.len());

        let mut latencies = self.latencies.lock().unwrap_or_else(PoisonError::into_inner);
        let histogram = latencies.entry(labels).or_default();
        histogram.counts[bucket] += 1;
        histogram.sum_s += elapsed_s;
    }

    /// Writes every metric in the Prometheus text format.
    pub fn render(&self, backend: &str) -> String {
        let mut out = String::with_capacity(4096);
        self.render_decisions(&mut out);
        self.render_store_errors(&mut out);
        self.render_latencies(&mut out);

        out.push_str("# HELP kauth_info Version and store backend of this kauth serve process.\n");
        out.push_str("# TYPE kauth_info gauge\n");
        let _ = writeln!(
            out,
            "kauth_info{{version=\"{}\",backend=\"{}\"}} 1",
            escape(env!("CARGO_PKG_VERSION")),
            escape(backend)
        );
        out
    }

    fn render_decisions(&self, out: &mut String) {
        out.push_str("# HELP kauth_rate_limit_decisions_total Rate-limit checks decided, by tier and outcome.\n");
        out.push_str("# TYPE kauth_rate_limit_decisions_total counter\n");
        for tier in Tier::ALL {
            for (index, outcome) in ["allowed", "limited"].into_iter().enumerate() {
                let count = self.decisions[tier_index(tier)][index].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "kauth_rate_limit_decisions_total{{tier=\"{tier}\",outcome=\"{outcome}\"}} {count}"
                );
            }
        }
    }

    fn render_store_errors(&self, out: &mut String) {
        out.push_str("# HELP kauth_store_errors_total Store operations that failed, by operation and kind.\n");
        out.push_str("# TYPE kauth_store_errors_total counter\n");
        let errors = self.store_errors.lock().unwrap_or_else(PoisonError::into_inner);
        for ((operation, kind), count) in errors.iter() {
            let _ = writeln!(
                out,
                "kauth_store_errors_total{{operation=\"{operation}\",kind=\"{kind}\"}} {count}"
            );
        }
    }

    fn render_latencies(&self, out: &mut String) {
        out.push_str("# HELP kauth_http_request_duration_seconds Time from request to response headers.\n");
        out.push_str("# TYPE kauth_http_request_duration_seconds histogram\n");
        let latencies = self.latencies.lock().unwrap_or_else(PoisonError::into_inner);
        for (labels, histogram) in latencies.iter() {
            let common = format!(
                "method=\"{}\",route=\"{}\",status=\"{}\"",
                labels.method,
                escape(&labels.route),
                labels.status
            );
            let mut cumulative = 0;
            for (bound, count) in BUCKETS_S.iter().zip(histogram.counts) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "kauth_http_request_duration_seconds_bucket{{{common},le=\"{bound}\"}} {cumulative}"
                );
            }
            let total = cumulative + histogram.counts[BUCKETS_S.len()];
            let _ = writeln!(
                out,
                "kauth_http_request_duration_seconds_bucket{{{common},le=\"+Inf\"}} {total}"
            );
            let _ = writeln!(
                out,
                "kauth_http_request_duration_seconds_sum{{{common}}} {}",
                histogram.sum_s
            );
            let _ = writeln!(out, "kauth_http_request_duration_seconds_count{{{common}}} {total}");
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn tier_index(tier: Tier) -> usize {
    match tier {
        Tier::Login => 0,
        Tier::Mfa => 1,
        Tier::PasswordReset => 2,
    }
}

/// Escapes a label value: backslash, double quote and line feed.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The method as a label: one of the standard methods or `other`, so that
/// made-up methods cannot add series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// Middleware timing every request, with a debug log line per request. The
/// line names the route template, never the path or headers, so no token
/// or identifier reaches the log through it.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, |path| path.as_str())
        .to_owned();

    let response = next.run(request).await;

    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    tracing::debug!(
        method,
        route = %route,
        status,
        elapsed_ms = elapsed.as_secs_f64() * 1e3,
        "request"
    );
    state
        .metrics
        .record_request(RequestLabels { method, route, status }, elapsed);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::new();
        let labels = RequestLabels {
            method: "GET",
            route: "/healthz".to_owned(),
            status: 200,
        };
        metrics.record_request(labels.clone(), Duration::from_micros(300));
        metrics.record_request(labels.clone(), Duration::from_millis(3));
        metrics.record_request(labels, Duration::from_secs(30));

        let text = metrics.render("memory");
        let bucket = |le: &str| {
            format!("kauth_http_request_duration_seconds_bucket{{method=\"GET\",route=\"/healthz\",status=\"200\",le=\"{le}\"}}")
        };
        assert!(text.contains(&format!("{} 1\n", bucket("0.0005"))), "{text}");
        assert!(text.contains(&format!("{} 1\n", bucket("0.0025"))), "{text}");
        assert!(text.contains(&format!("{} 2\n", bucket("0.005"))), "{text}");
        assert!(text.contains(&format!("{} 2\n", bucket("10"))), "{text}");
        assert!(text.contains(&format!("{} 3\n", bucket("+Inf"))), "{text}");
        assert!(text.contains(
            "kauth_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\",status=\"200\"} 3\n"
        ));
    }

    #[test]
    fn decisions_start_at_zero_for_every_tier() {
        let metrics = Metrics::new();
        metrics.record_decision(Tier::Mfa, false);
        let text = metrics.render("memory");
        assert!(text.contains("kauth_rate_limit_decisions_total{tier=\"login\",outcome=\"allowed\"} 0\n"));
        assert!(text.contains("kauth_rate_limit_decisions_total{tier=\"mfa\",outcome=\"limited\"} 1\n"));
        assert!(text.contains("kauth_info{version=\""));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
