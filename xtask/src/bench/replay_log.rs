//! The large log the replay is timed on: `examples/sshd-sample.log` copied
//! many times, each copy's timestamps moved `COPY_SHIFT_S` later than the
//! previous copy's, so that time keeps moving forward as in a real log.
//!
//! The sample spans about an hour and a half of one day, so copies two hours
//! apart never overlap, and a source never carries attempts across copies
//! into the same 60 s window. Copies start in `START_YEAR`, which is passed to
//! the replay as `--year`, and 3,400 copies reach December of that year.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::cargo::workspace_root;

/// The year of the first copy.
pub const START_YEAR: i64 = 2026;
/// How much later each copy is than the one before, in seconds.
const COPY_SHIFT_S: i64 = 2 * 3_600;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Writes the log of `copies` copies into `dir`, unless it exists, and
/// returns its path and its number of lines.
pub fn generate(dir: &Path, copies: u32) -> Result<(PathBuf, u64), String> {
    let sample_path = workspace_root().join("examples/sshd-sample.log");
    let sample = std::fs::read_to_string(&sample_path)
        .map_err(|error| format!("cannot read {}: {error}", sample_path.display()))?;
    let sample_lines: Vec<&str> = sample.lines().collect();
    let lines = sample_lines.len() as u64 * u64::from(copies);

    let path = dir.join(format!("sshd-{copies}-copies.log"));
    if path.is_file() {
        return Ok((path, lines));
    }
    std::fs::create_dir_all(dir).map_err(|error| format!("cannot create {}: {error}", dir.display()))?;

    let mut text = String::with_capacity(sample.len() * copies as usize);
    for copy in 0..i64::from(copies) {
        for line in &sample_lines {
            let shifted = shift_line(line, copy * COPY_SHIFT_S)
                .ok_or_else(|| format!("{}: a line has no syslog timestamp: {line}", sample_path.display()))?;
            text.push_str(&shifted);
            text.push('\n');
        }
    }
    std::fs::write(&path, text).map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    Ok((path, lines))
}

/// Returns the line with its syslog timestamp (`Mar  4 08:00:00`, in `START_YEAR`)
/// moved `shift_s` seconds later.
fn shift_line(line: &str, shift_s: i64) -> Option<String> {
    let stamp = line.get(..15)?;
    let month = MONTHS.iter().position(|month| stamp.starts_with(month))? as i64 + 1;
    let day: i64 = stamp.get(4..6)?.trim().parse().ok()?;
    let clock: Vec<i64> = stamp
        .get(7..15)?
        .split(':')
        .map(|part| part.parse().ok())
        .collect::<Option<_>>()?;
    let [hour, minute, second] = clock.as_slice() else {
        return None;
    };

    let seconds = days_from_civil(START_YEAR, month, day) * 86_400 + hour * 3_600 + minute * 60 + second + shift_s;
    let (_, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);

    let mut shifted = String::with_capacity(line.len());
    let _ = write!(
        shifted,
        "{} {day:>2} {:02}:{:02}:{:02}",
        MONTHS[(month - 1) as usize],
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60
    );
    shifted.push_str(&line[15..]);
    Some(shifted)
}

/// Days from 1970-01-01 to the given date of the proleptic Gregorian
/// calendar. Years are counted from March, so that the leap day falls last.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Converts a count of days from 1970-01-01 to (year, month, day). It is
/// the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 3, 4), 20_516);
        for days in [0, 59, 60, 20_516, 20_878, 21_000] {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
        }
        assert_eq!(civil_from_days(days_from_civil(2028, 2, 29)), (2028, 2, 29));
    }

    #[test]
    fn shift_moves_the_timestamp_only() {
        let line = "Mar  4 08:06:32 bastion sshd[31029]: Failed password for bob from 192.0.2.33 port 47383 ssh2";
        let shifted = shift_line(line, 0).unwrap();
        assert_eq!(shifted, line);

        let next_day = shift_line(line, 16 * 3_600).unwrap();
        assert!(
            next_day.starts_with("Mar  5 00:06:32 bastion sshd[31029]: Failed"),
            "{next_day}"
        );

        let next_month = shift_line(line, 28 * 86_400).unwrap();
        assert!(next_month.starts_with("Apr  1 08:06:32 "), "{next_month}");
        assert!(shift_line("not a syslog line", 0).is_none());
    }
}
