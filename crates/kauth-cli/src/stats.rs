//! Summary of a log replay: line counts, login attempts and rate-limit decisions,
//! with per-source totals for the most denied sources.
//!
//! [`ReplayStats`] keeps one entry per distinct source, so its memory grows with
//! the number of sources and not with the length of the log.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::json;

/// Number of rows in the most-denied sources list of [`ReplayStats::to_json`]
/// and [`ReplayStats::render_text`].
pub const TOP_DENIED_ROWS: usize = 10;

/// Rate-limit policy that a summary reports alongside its counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicySummary<'a> {
    /// Algorithm name, as the command line accepts it.
    pub algorithm: &'a str,
    /// Maximum number of attempts admitted per source within one window.
    pub limit: u32,
    /// Window length in milliseconds.
    pub window_ms: u64,
}

/// Totals of one source in the most-denied list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeniedSource<'a> {
    /// Source as the log names it: an IP address or a host name.
    pub source: &'a str,
    /// Attempts from this source that the rate limiter denied.
    pub denied: u64,
    /// All attempts from this source, admitted and denied.
    pub attempts: u64,
}

/// Attempt totals of one source.
#[derive(Debug, Clone, Copy, Default)]
struct SourceTotals {
    attempts: u64,
    denied: u64,
}

/// Accumulator for the counts of one replay.
///
/// Call [`count_line`](Self::count_line) for every input line,
/// [`skip`](Self::skip) in addition for every line that could not be used, and
/// [`record`](Self::record) for the decisions on the attempts of each usable line.
#[derive(Debug, Clone, Default)]
pub struct ReplayStats {
    lines: u64,
    skipped_lines: u64,
    admitted: u64,
    denied: u64,
    sources_limited: u64,
    per_source: HashMap<String, SourceTotals>,
}

impl ReplayStats {
    /// Creates an accumulator with every count at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one input line, whatever its outcome.
    pub fn count_line(&mut self) {
        self.lines += 1;
    }

    /// Counts one line as skipped because it could not be parsed or dated. This
    /// does not count the line itself, which [`count_line`](Self::count_line) does.
    pub fn skip(&mut self) {
        self.skipped_lines += 1;
    }

    /// Adds the rate-limit decisions on attempts from `source`: `admitted`
    /// attempts allowed and `denied` attempts rejected.
    ///
    /// A call with both counts at zero changes nothing, so a source only appears
    /// in the summary once it has made an attempt.
    pub fn record(&mut self, source: &str, admitted: u64, denied: u64) {
        let attempts = admitted + denied;
        if attempts == 0 {
            return;
        }
        self.admitted += admitted;
        self.denied += denied;

        // Look up before inserting, so that a known source costs no allocation.
        let totals = match self.per_source.get_mut(source) {
            Some(totals) => totals,
            None => self.per_source.entry(source.to_owned()).or_default(),
        };
        if totals.denied == 0 && denied > 0 {
            self.sources_limited += 1;
        }
        totals.attempts += attempts;
        totals.denied += denied;
    }

    /// Returns the number of input lines counted by [`count_line`](Self::count_line).
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Returns the number of lines counted by [`skip`](Self::skip).
    pub fn skipped_lines(&self) -> u64 {
        self.skipped_lines
    }

    /// Returns the number of attempts recorded, admitted and denied.
    pub fn attempts(&self) -> u64 {
        self.admitted + self.denied
    }

    /// Returns the number of attempts the rate limiter allowed.
    pub fn admitted(&self) -> u64 {
        self.admitted
    }

    /// Returns the number of attempts the rate limiter rejected.
    pub fn denied(&self) -> u64 {
        self.denied
    }

    /// Returns the number of distinct sources with at least one attempt.
    pub fn sources(&self) -> u64 {
        self.per_source.len() as u64
    }

    /// Returns the number of sources with at least one denied attempt.
    pub fn sources_limited(&self) -> u64 {
        self.sources_limited
    }

    /// Returns up to `max_rows` sources with at least one denial, the most denied
    /// first. Sources with equal denials are ordered by source string, ascending,
    /// so the list is the same on every run.
    pub fn top_denied(&self, max_rows: usize) -> Vec<DeniedSource<'_>> {
        let mut rows: Vec<DeniedSource<'_>> = self
            .per_source
            .iter()
            .filter(|(_, totals)| totals.denied > 0)
            .map(|(source, totals)| DeniedSource {
                source,
                denied: totals.denied,
                attempts: totals.attempts,
            })
            .collect();

        let order =
            |a: &DeniedSource<'_>, b: &DeniedSource<'_>| b.denied.cmp(&a.denied).then_with(|| a.source.cmp(b.source));
        // Partition first, so that sorting costs O(max_rows log max_rows) when
        // thousands of sources were denied.
        if rows.len() > max_rows {
            rows.select_nth_unstable_by(max_rows, order);
            rows.truncate(max_rows);
        }
        rows.sort_unstable_by(order);
        rows
    }

    /// Renders the summary as one compact JSON object.
    ///
    /// Integer fields: `lines`, `skipped_lines`, `attempts`, `admitted`, `denied`,
    /// `sources` and `sources_limited`. `policy` is an object with `algorithm`,
    /// `limit` and `window_ms`. `top_denied` is an array of up to
    /// [`TOP_DENIED_ROWS`] objects with `source`, `denied` and `attempts`, in
    /// [`top_denied`](Self::top_denied) order. The order of keys within an object
    /// is not part of the format.
    pub fn to_json(&self, policy: &PolicySummary<'_>) -> String {
        let top_denied: Vec<serde_json::Value> = self
            .top_denied(TOP_DENIED_ROWS)
            .iter()
            .map(|row| {
                json!({
                    "source": row.source,
                    "denied": row.denied,
                    "attempts": row.attempts,
                })
            })
            .collect();

        json!({
            "policy": {
                "algorithm": policy.algorithm,
                "limit": policy.limit,
                "window_ms": policy.window_ms,
            },
            "lines": self.lines(),
            "skipped_lines": self.skipped_lines(),
            "attempts": self.attempts(),
            "admitted": self.admitted(),
            "denied": self.denied(),
            "sources": self.sources(),
            "sources_limited": self.sources_limited(),
            "top_denied": top_denied,
        })
        .to_string()
    }

    /// Renders the summary as aligned plain text for a terminal, ending with a
    /// newline. Control characters in source names are escaped.
    pub fn render_text(&self, policy: &PolicySummary<'_>) -> String {
        let mut text = String::new();
        self.write_totals(&mut text, policy);
        text.push('\n');
        self.write_top_denied(&mut text);
        text
    }

    fn write_totals(&self, text: &mut String, policy: &PolicySummary<'_>) {
        let rows = [
            ("lines", self.lines()),
            ("skipped lines", self.skipped_lines()),
            ("attempts", self.attempts()),
            ("admitted", self.admitted()),
            ("denied", self.denied()),
            ("sources", self.sources()),
            ("sources limited", self.sources_limited()),
        ];
        let label_width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
        let number_width = rows.iter().map(|(_, value)| value.to_string().len()).max().unwrap_or(0);

        let window = format_window(policy.window_ms);
        let _ = writeln!(
            text,
            "{:<label_width$}  {}, {} attempts per {window}",
            "policy", policy.algorithm, policy.limit
        );
        for (label, value) in rows {
            let _ = writeln!(text, "{label:<label_width$}  {value:>number_width$}");
        }
    }

    fn write_top_denied(&self, text: &mut String) {
        let rows = self.top_denied(TOP_DENIED_ROWS);
        if rows.is_empty() {
            text.push_str("no source was denied\n");
            return;
        }

        let printable_sources: Vec<String> = rows.iter().map(|row| printable(row.source)).collect();
        let source_width = printable_sources
            .iter()
            .map(|source| source.chars().count())
            .chain(["source".len()])
            .max()
            .unwrap_or(0);
        let denied_width = rows
            .iter()
            .map(|row| row.denied.to_string().len())
            .chain(["denied".len()])
            .max()
            .unwrap_or(0);
        let attempts_width = rows
            .iter()
            .map(|row| row.attempts.to_string().len())
            .chain(["attempts".len()])
            .max()
            .unwrap_or(0);

        let _ = writeln!(text, "top {} denied sources", rows.len());
        let _ = writeln!(
            text,
            "  {:<source_width$}  {:>denied_width$}  {:>attempts_width$}",
            "source", "denied", "attempts"
        );
        for (row, source) in rows.iter().zip(&printable_sources) {
            let _ = writeln!(
                text,
                "  {source:<source_width$}  {:>denied_width$}  {:>attempts_width$}",
                row.denied, row.attempts
            );
        }
    }
}

/// Formats a window length as whole seconds when it is one, else as milliseconds.
fn format_window(window_ms: u64) -> String {
    if window_ms > 0 && window_ms.is_multiple_of(1_000) {
        format!("{} s", window_ms / 1_000)
    } else {
        format!("{window_ms} ms")
    }
}

/// Escapes control characters, so that a host name taken from a log cannot move
/// the cursor or change colors in the terminal.
fn printable(source: &str) -> String {
    if source.chars().any(char::is_control) {
        source.escape_debug().to_string()
    } else {
        source.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const POLICY: PolicySummary<'static> = PolicySummary {
        algorithm: "sliding-window",
        limit: 5,
        window_ms: 60_000,
    };

    fn sample() -> ReplayStats {
        let mut stats = ReplayStats::new();
        for _ in 0..12 {
            stats.count_line();
        }
        stats.skip();
        stats.skip();
        stats.record("203.0.113.5", 5, 7);
        stats.record("192.0.2.1", 1, 0);
        stats.record("198.51.100.9", 5, 2);
        stats.record("2001:db8::1", 3, 2);
        stats.record("192.0.2.1", 1, 0);
        stats
    }

    #[test]
    fn empty_stats_are_zero() {
        let stats = ReplayStats::new();
        assert_eq!(stats.lines(), 0);
        assert_eq!(stats.skipped_lines(), 0);
        assert_eq!(stats.attempts(), 0);
        assert_eq!(stats.admitted(), 0);
        assert_eq!(stats.denied(), 0);
        assert_eq!(stats.sources(), 0);
        assert_eq!(stats.sources_limited(), 0);
        assert!(stats.top_denied(TOP_DENIED_ROWS).is_empty());
    }

    #[test]
    fn record_accumulates_totals() {
        let stats = sample();
        assert_eq!(stats.lines(), 12);
        assert_eq!(stats.skipped_lines(), 2);
        assert_eq!(stats.attempts(), 26);
        assert_eq!(stats.admitted(), 15);
        assert_eq!(stats.denied(), 11);
        assert_eq!(stats.sources(), 4);
        assert_eq!(stats.sources_limited(), 3);
    }

    #[test]
    fn record_zero_counts_nothing() {
        let mut stats = ReplayStats::new();
        stats.record("192.0.2.1", 0, 0);
        assert_eq!(stats.sources(), 0);
        assert_eq!(stats.attempts(), 0);
    }

    #[test]
    fn sources_limited_counts_each_source_once() {
        let mut stats = ReplayStats::new();
        for _ in 0..1_000 {
            stats.record("192.0.2.1", 0, 1);
        }
        stats.record("192.0.2.1", 1, 0);
        assert_eq!(stats.sources(), 1);
        assert_eq!(stats.sources_limited(), 1);
        assert_eq!(stats.denied(), 1_000);
        assert_eq!(stats.attempts(), 1_001);
    }

    #[test]
    fn top_denied_order_and_ties() {
        let stats = sample();
        let rows = stats.top_denied(TOP_DENIED_ROWS);
        let expected = [
            DeniedSource {
                source: "203.0.113.5",
                denied: 7,
                attempts: 12,
            },
            DeniedSource {
                source: "198.51.100.9",
                denied: 2,
                attempts: 7,
            },
            DeniedSource {
                source: "2001:db8::1",
                denied: 2,
                attempts: 5,
            },
        ];
        assert_eq!(rows, expected);
    }

    #[test]
    fn top_denied_keeps_ten() {
        let mut stats = ReplayStats::new();
        // Sources 192.0.2.1 to 192.0.2.15 with 1 to 15 denials.
        for host in 1..=15u64 {
            stats.record(&format!("192.0.2.{host}"), 1, host);
        }
        // Ties on 15 denials sort by source string.
        stats.record("192.0.2.100", 0, 15);

        let rows = stats.top_denied(TOP_DENIED_ROWS);
        let sources: Vec<&str> = rows.iter().map(|row| row.source).collect();
        assert_eq!(
            sources,
            [
                "192.0.2.100",
                "192.0.2.15",
                "192.0.2.14",
                "192.0.2.13",
                "192.0.2.12",
                "192.0.2.11",
                "192.0.2.10",
                "192.0.2.9",
                "192.0.2.8",
                "192.0.2.7",
            ]
        );
        assert_eq!(rows[1].denied, 15);
        assert_eq!(rows[1].attempts, 16);
        assert!(stats.top_denied(0).is_empty());
        assert_eq!(stats.top_denied(100).len(), 16);
    }

    #[test]
    fn json_fields_and_values() {
        let value: Value = serde_json::from_str(&sample().to_json(&POLICY)).unwrap();
        assert_eq!(value["lines"], 12);
        assert_eq!(value["skipped_lines"], 2);
        assert_eq!(value["attempts"], 26);
        assert_eq!(value["admitted"], 15);
        assert_eq!(value["denied"], 11);
        assert_eq!(value["sources"], 4);
        assert_eq!(value["sources_limited"], 3);
        assert_eq!(value["policy"]["algorithm"], "sliding-window");
        assert_eq!(value["policy"]["limit"], 5);
        assert_eq!(value["policy"]["window_ms"], 60_000);

        let expected_top = json!([
            { "source": "203.0.113.5", "denied": 7, "attempts": 12 },
            { "source": "198.51.100.9", "denied": 2, "attempts": 7 },
            { "source": "2001:db8::1", "denied": 2, "attempts": 5 },
        ]);
        assert_eq!(value["top_denied"], expected_top);
    }

    #[test]
    fn json_is_one_line() {
        let output = sample().to_json(&POLICY);
        assert!(!output.contains('\n'));
        assert!(output.starts_with('{'));
        assert!(output.ends_with('}'));
    }

    #[test]
    fn json_empty_stats() {
        let value: Value = serde_json::from_str(&ReplayStats::new().to_json(&POLICY)).unwrap();
        assert_eq!(value["attempts"], 0);
        assert_eq!(value["top_denied"], json!([]));
    }

    #[test]
    fn text_summary_layout() {
        let expected = "\
policy           sliding-window, 5 attempts per 60 s
lines            12
skipped lines     2
attempts         26
admitted         15
denied           11
sources           4
sources limited   3

top 3 denied sources
  source        denied  attempts
  203.0.113.5        7        12
  198.51.100.9       2         7
  2001:db8::1        2         5
";
        assert_eq!(sample().render_text(&POLICY), expected);
    }

    #[test]
    fn text_summary_without_denials() {
        let mut stats = ReplayStats::new();
        stats.count_line();
        stats.record("192.0.2.1", 1, 0);
        let policy = PolicySummary {
            algorithm: "token-bucket",
            limit: 3,
            window_ms: 1_500,
        };
        let expected = "\
policy           token-bucket, 3 attempts per 1500 ms
lines            1
skipped lines    0
attempts         1
admitted         1
denied           0
sources          1
sources limited  0

no source was denied
";
        assert_eq!(stats.render_text(&policy), expected);
    }

    #[test]
    fn text_escapes_control_characters() {
        let mut stats = ReplayStats::new();
        stats.record("evil\u{1b}[31m.example.net", 0, 1);
        let text = stats.render_text(&POLICY);
        assert!(!text.contains('\u{1b}'));
        assert!(text.contains("evil\\u{1b}[31m.example.net"));
    }

    #[test]
    fn window_formats() {
        assert_eq!(format_window(60_000), "60 s");
        assert_eq!(format_window(1_000), "1 s");
        assert_eq!(format_window(1_500), "1500 ms");
        assert_eq!(format_window(0), "0 ms");
    }
}
