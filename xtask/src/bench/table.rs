//! The comparison table: one row per measurement, with kauth's figure, the
//! baseline's figure from the same run, their ratio and the target.

use std::fmt::Write as _;

use crate::bench::target_dir;
use crate::error::Error;

/// A measured figure, or why there is none.
#[derive(Clone, Debug)]
pub enum Figure {
    /// The measured value, in the row's unit.
    Measured(f64),
    /// Not measured: the program was missing or failed, with the reason.
    Missing(String),
}

impl Figure {
    fn value(&self) -> Option<f64> {
        match self {
            Figure::Measured(value) => Some(*value),
            Figure::Missing(_) => None,
        }
    }
}

impl From<Result<f64, String>> for Figure {
    fn from(result: Result<f64, String>) -> Self {
        match result {
            Ok(value) => Figure::Measured(value),
            Err(reason) => Figure::Missing(reason),
        }
    }
}

/// The condition a row must meet.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// kauth / baseline at most this (times, bytes: lower is better).
    RatioAtMost(f64),
    /// kauth / baseline at least this (rates: higher is better).
    RatioAtLeast(f64),
    /// kauth's own figure equals this, within 0.5 %.
    Equals(f64),
}

impl Target {
    fn met(self, kauth: Option<f64>, ratio: Option<f64>) -> bool {
        match self {
            Target::RatioAtMost(limit) => ratio.is_some_and(|ratio| ratio <= limit),
            Target::RatioAtLeast(limit) => ratio.is_some_and(|ratio| ratio >= limit),
            Target::Equals(expected) => kauth.is_some_and(|value| (value - expected).abs() <= expected.abs() * 0.005),
        }
    }

    fn label(self) -> String {
        match self {
            Target::RatioAtMost(limit) => format!("<= {limit}x"),
            Target::RatioAtLeast(limit) => format!(">= {limit}x"),
            Target::Equals(expected) => format!("= {}", format_number(expected)),
        }
    }
}

/// One measurement and its baseline.
#[derive(Clone, Debug)]
pub struct Row {
    /// The measurement group, as numbered in the bench's docs.
    pub group: &'static str,
    /// The measured case, such as `sliding log, 64 callers`.
    pub case: String,
    /// The unit of both figures.
    pub unit: &'static str,
    /// kauth's figure.
    pub kauth: Figure,
    /// The baseline's name.
    pub baseline_name: String,
    /// The baseline's figure, measured in the same run.
    pub baseline: Figure,
    /// The target, if the row has one.
    pub target: Option<Target>,
}

impl Row {
    fn ratio(&self) -> Option<f64> {
        match (self.kauth.value(), self.baseline.value()) {
            (Some(kauth), Some(baseline)) if baseline != 0.0 => Some(kauth / baseline),
            _ => None,
        }
    }
}

/// The rows of one run, in the order they were measured.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Row>,
}

impl Table {
    /// Creates an empty table.
    pub fn new() -> Self {
        Table::default()
    }

    /// Appends a row.
    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// Prints the table, ending with `targets met: N of M`, and writes the
    /// same text to `target/bench/table.txt`.
    pub fn print_and_save(&self, command: &str, elapsed_s: f64, versions: &str) -> Result<(), Error> {
        let text = self.render(command, elapsed_s, versions);
        print!("\n{text}");

        let dir = target_dir().join("bench");
        let path = dir.join("table.txt");
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&path, &text))
            .map_err(|error| Error::Bench(format!("cannot write {}: {error}", path.display())))
    }

    fn render(&self, command: &str, elapsed_s: f64, versions: &str) -> String {
        let header = [
            "group",
            "case",
            "unit",
            "kauth",
            "baseline",
            "baseline fig.",
            "ratio",
            "target",
            "met",
        ]
        .map(String::from);
        // Groups are measured out of order (Redis memory with the Redis
        // load), so rows are listed by group, in measured order within one.
        let mut rows: Vec<&Row> = self.rows.iter().collect();
        rows.sort_by_key(|row| row.group);
        let cells: Vec<[String; 9]> = rows.into_iter().map(cells).collect();
        let mut widths = header.clone().map(|cell| cell.chars().count());
        for row in &cells {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }

        let mut text = String::new();
        let _ = writeln!(text, "{command}: {elapsed_s:.0} s; {versions}");
        let _ = writeln!(text, "ratio = kauth / baseline; both figures come from this run");
        write_line(&mut text, &header, &widths);
        for row in &cells {
            write_line(&mut text, row, &widths);
        }
        let (met, total) = self.targets_met();
        let _ = writeln!(text, "targets met: {met} of {total}");
        text
    }

    fn targets_met(&self) -> (usize, usize) {
        let with_target = self.rows.iter().filter_map(|row| Some((row, row.target?)));
        let total = self.rows.iter().filter(|row| row.target.is_some()).count();
        let met = with_target
            .filter(|(row, target)| target.met(row.kauth.value(), row.ratio()))
            .count();
        (met, total)
    }
}

fn cells(row: &Row) -> [String; 9] {
    let ratio = row.ratio();
    let (target, met) = match row.target {
        None => (String::new(), String::new()),
        Some(target) => {
            let met = if target.met(row.kauth.value(), ratio) {
                "yes"
            } else {
                "NO"
            };
            (target.label(), met.to_owned())
        }
    };
    [
        row.group.to_owned(),
        row.case.clone(),
        row.unit.to_owned(),
        format_figure(&row.kauth),
        row.baseline_name.clone(),
        format_figure(&row.baseline),
        ratio.map_or_else(|| "-".to_owned(), |ratio| format!("{ratio:.2}x")),
        target,
        met,
    ]
}

fn write_line(text: &mut String, cells: &[String; 9], widths: &[usize; 9]) {
    let mut line = String::new();
    for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
        // Figures and ratios are right-aligned, words left-aligned.
        let numeric = matches!(index, 3 | 5 | 6);
        if numeric {
            let _ = write!(line, "{cell:>width$}  ");
        } else {
            let _ = write!(line, "{cell:<width$}  ");
        }
    }
    let _ = writeln!(text, "{}", line.trim_end());
}

fn format_figure(figure: &Figure) -> String {
    match figure {
        Figure::Measured(value) => format_number(*value),
        Figure::Missing(reason) => format!("missing ({reason})"),
    }
}

/// Three significant digits or more: `0.00`, `12.3`, `456`, `12,345`.
fn format_number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude < 10.0 {
        format!("{value:.2}")
    } else if magnitude < 100.0 {
        format!("{value:.1}")
    } else {
        let rounded = value.round() as i64;
        let digits = rounded.unsigned_abs().to_string();
        let mut grouped = String::new();
        for (index, digit) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        if rounded < 0 {
            grouped.insert(0, '-');
        }
        grouped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kauth: Figure, baseline: Figure, target: Option<Target>) -> Row {
        Row {
            group: "2 memory",
            case: "case".to_owned(),
            unit: "ns/check",
            kauth,
            baseline_name: "governor".to_owned(),
            baseline,
            target,
        }
    }

    #[test]
    fn numbers_keep_three_significant_digits() {
        assert_eq!(format_number(0.0), "0.00");
        assert_eq!(format_number(1.234), "1.23");
        assert_eq!(format_number(45.67), "45.7");
        assert_eq!(format_number(456.7), "457");
        assert_eq!(format_number(1_234_567.0), "1,234,567");
    }

    #[test]
    fn targets_count_missing_figures_as_missed() {
        let mut table = Table::new();
        let measured = |value| Figure::Measured(value);
        table.push(row(measured(90.0), measured(100.0), Some(Target::RatioAtMost(1.0))));
        table.push(row(measured(160.0), measured(100.0), Some(Target::RatioAtMost(1.5))));
        table.push(row(measured(30.0), measured(10.0), Some(Target::RatioAtLeast(2.0))));
        table.push(row(
            measured(30.0),
            Figure::Missing("not installed".to_owned()),
            Some(Target::RatioAtLeast(1.0)),
        ));
        table.push(row(measured(1.0), measured(1.0), Some(Target::Equals(1.0))));
        table.push(row(measured(5.0), measured(1.0), None));
        assert_eq!(table.targets_met(), (3, 5));
    }

    #[test]
    fn rendered_table_ends_with_the_count() {
        let mut table = Table::new();
        table.push(row(
            Figure::Measured(12.0),
            Figure::Missing("not installed".to_owned()),
            Some(Target::RatioAtLeast(1.0)),
        ));
        let text = table.render("cargo xtask bench --quick", 42.0, "peers");
        assert!(text.contains("missing (not installed)"), "{text}");
        assert!(text.contains(">= 1x"), "{text}");
        assert!(text.contains("NO"), "{text}");
        assert_eq!(text.lines().last(), Some("targets met: 0 of 1"));
    }
}
