//! The outcome of one rate-limit check.

/// Everything a caller needs to answer a request, including an HTTP 429 with
/// `Retry-After` and `RateLimit-*` headers.
///
/// All durations are milliseconds measured from the `now` of the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decision {
    /// Whether the hit was admitted (for a peek: whether it would be).
    pub allowed: bool,
    /// The policy's limit.
    pub limit: u32,
    /// Hits of cost 1 still admissible in the current window after this one.
    pub remaining: u32,
    /// 0 when allowed; otherwise the wait after which the same cost would be
    /// admitted, assuming no other hits arrive meanwhile.
    pub retry_after_ms: u64,
    /// Wait until the window holds no recorded hit at all.
    pub reset_after_ms: u64,
}
