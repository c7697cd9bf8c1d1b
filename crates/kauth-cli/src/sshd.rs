//! Parser for the OpenSSH login lines of a traditional syslog file such as
//! `/var/log/auth.log` or `/var/log/secure`.
//!
//! Every line has the BSD syslog shape `Mon DD HH:MM:SS HOST PROGRAM[PID]: MESSAGE`,
//! where the day may be space-padded (`Dec  4`), the `[PID]` part is optional and
//! the year is missing. [`parse_line`] turns one line into a [`Line`] whose
//! [`Event`] gives the number of login attempts it records and their source.
//! [`YearTracker`] then supplies the year and converts the time to unix epoch
//! milliseconds.
//!
//! Counting rules, where one attempt is one login-tier check:
//!
//! - An `sshd` line `Failed METHOD for USER from ADDRESS port N ...` or
//!   `Accepted METHOD for USER from ADDRESS port N ...` is one attempt from
//!   `ADDRESS`. The user name may contain spaces and even ` from `, so the source is
//!   the last ` from ` that is followed by an IP address and ` port `.
//! - An `sshd` line `message repeated N times: [ MESSAGE ]`, written by rsyslog, is
//!   `N` attempts at the time of that line when `MESSAGE` is itself a `Failed` or
//!   `Accepted` line.
//! - An `sshd(pam_unix)` line (older systems where sshd reported failures only
//!   through PAM) starting with `authentication failure;` is one attempt from the
//!   `rhost=` value as written, which may be a host name. A missing or empty
//!   `rhost=` gives no usable source, so the line is an error
//!   ([`ParseError::MissingRhost`]) and the caller counts it as skipped.
//! - `sshd[PID]: pam_unix(sshd:auth): ...` and `sshd[PID]: PAM N more ...` lines only
//!   repeat what sshd logs itself, so they are [`Event::Ignored`].
//! - Every other well-formed line is [`Event::Ignored`], whatever its program.
//! - A line without the syslog header shape, with an impossible date or time, or an
//!   attempt line whose source cannot be found is a [`ParseError`].
//!
//! OpenSSH 9.8 and later log some messages, authentication results among them,
//! from a per-session process named `sshd-session`. It is treated like `sshd`.
//!
//! NOTE: RFC 3339 timestamps (`2024-05-02T10:15:32.123456+00:00 HOST ...`), as
//! rsyslog's `RSYSLOG_FileFormat` template writes them, are rejected as
//! [`ParseError::MalformedHeader`]. So are the tagless
//! `last message repeated N times` lines of the classic syslogd, whose repeated
//! attempts are therefore not counted.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::time::{SystemTime, UNIX_EPOCH};

/// English month abbreviations as syslog writes them, January first.
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

const MILLISECONDS_PER_SECOND: u64 = 1_000;
const SECONDS_PER_DAY: u64 = 86_400;

/// One parsed syslog line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// Month of the year, 1 (January) to 12 (December).
    pub month: u8,
    /// Day of the month, 1 to 31. February 29 is accepted here and checked
    /// against the year by [`YearTracker::timestamp_ms`].
    pub day: u8,
    /// Hour of the day, 0 to 23.
    pub hour: u8,
    /// Minute of the hour, 0 to 59.
    pub minute: u8,
    /// Second of the minute, 0 to 59. Leap seconds (`:60`) are rejected.
    pub second: u8,
    /// Host name field of the syslog header, as written.
    pub host: &'a str,
    /// Login attempts recorded by the line, if any.
    pub event: Event<'a>,
}

/// Classification of a line for the login rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// `count` login attempts (at least 1) from `source`, all at the line's time.
    Attempts {
        /// IP address from an sshd line, or the `rhost=` value (an IP address or
        /// a host name) from a `pam_unix` line, as written in the log.
        source: &'a str,
        /// Number of attempts: 1, or `N` for `message repeated N times`.
        count: u32,
    },
    /// A well-formed line that records no login attempt.
    Ignored,
}

/// Reason a line could not be parsed or dated. The caller counts such a line as
/// skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// The line does not have the shape `Mon DD HH:MM:SS HOST PROGRAM[PID]: MESSAGE`.
    /// `expected` names the first field that is missing or malformed.
    MalformedHeader {
        /// Description of the field that was expected at the failing position.
        expected: &'static str,
    },
    /// The month field is not one of `Jan` to `Dec`.
    InvalidMonth,
    /// The day does not exist in the month, in any year (for example `Apr 31`).
    InvalidDate {
        /// Month, 1 to 12.
        month: u8,
        /// Day of the month as written.
        day: u8,
    },
    /// Hour, minute or second out of range (the accepted range is `00:00:00` to
    /// `23:59:59`).
    InvalidTime,
    /// `Feb 29` fell in a year that is not a leap year.
    LeapDayInCommonYear {
        /// Year assigned to the line by the [`YearTracker`].
        year: i32,
    },
    /// The year assigned to a line gives a time before 1970-01-01 or past the
    /// range of a `u64` millisecond count.
    YearOutOfRange {
        /// Year assigned to the line by the [`YearTracker`].
        year: i32,
    },
    /// A `Failed` or `Accepted` sshd line without `from ADDRESS port N`.
    MissingSource,
    /// A `pam_unix` `authentication failure` line whose `rhost=` is missing or empty.
    MissingRhost,
    /// A `message repeated` line that is not `message repeated N times: [ MESSAGE ]`
    /// with a positive `N` that fits in a `u32`.
    InvalidRepeat,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MalformedHeader { expected } => {
                write!(f, "malformed syslog header: expected {expected}")
            }
            Self::InvalidMonth => f.write_str("invalid month name: expected Jan to Dec"),
            Self::InvalidDate { month, day } => {
                let name = MONTH_NAMES.get(usize::from(*month).wrapping_sub(1)).unwrap_or(&"month");
                write!(f, "invalid date: {name} {day} does not exist")
            }
            Self::InvalidTime => f.write_str("invalid time of day: expected 00:00:00 to 23:59:59"),
            Self::LeapDayInCommonYear { year } => {
                write!(
                    f,
                    "invalid date: Feb 29 does not exist in {year}, which is not a leap year"
                )
            }
            Self::YearOutOfRange { year } => {
                write!(f, "year {year} is out of range: timestamps start at 1970")
            }
            Self::MissingSource => {
                f.write_str("login attempt without a source address: expected `from ADDRESS port N`")
            }
            Self::MissingRhost => f.write_str("pam_unix authentication failure with a missing or empty rhost="),
            Self::InvalidRepeat => {
                f.write_str("invalid repeat line: expected `message repeated N times: [ MESSAGE ]` with N > 0")
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses one syslog line (a trailing `\n` or `\r\n` is allowed) and classifies
/// the login attempts it records by the counting rules in the module
/// documentation.
pub fn parse_line(line: &str) -> Result<Line<'_>, ParseError> {
    let line = line.trim_end_matches(['\n', '\r']);
    let header = parse_header(line)?;

    let event = match header.program {
        "sshd" | "sshd-session" => parse_sshd_message(header.message)?,
        "sshd(pam_unix)" => parse_pam_unix_message(header.message)?,
        _ => Event::Ignored,
    };

    Ok(Line {
        month: header.month,
        day: header.day,
        hour: header.hour,
        minute: header.minute,
        second: header.second,
        host: header.host,
        event,
    })
}

/// Fields of the syslog header, before the message is classified.
struct Header<'a> {
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    host: &'a str,
    program: &'a str,
    message: &'a str,
}

fn malformed(expected: &'static str) -> ParseError {
    ParseError::MalformedHeader { expected }
}

fn parse_header(line: &str) -> Result<Header<'_>, ParseError> {
    // Month: three ASCII letters and a space.
    let month_text = line
        .get(..3)
        .filter(|text| text.bytes().all(|byte| byte.is_ascii_alphabetic()))
        .ok_or(malformed("month name"))?;
    let rest = line[3..].strip_prefix(' ').ok_or(malformed("month name"))?;
    let month = MONTH_NAMES
        .iter()
        .position(|name| *name == month_text)
        .ok_or(ParseError::InvalidMonth)?;
    let month = u8::try_from(month + 1).expect("month index is below 12");

    // Day: `D` padded with a space, `DD`, or a bare `D`.
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let (day_text, rest) = rest.split_once(' ').ok_or(malformed("day of month"))?;
    let day = parse_digits(day_text, 1..=2).ok_or(malformed("day of month"))?;
    if day == 0 || day > max_day(month, true) {
        return Err(ParseError::InvalidDate { month, day });
    }

    // Time: `HH:MM:SS`.
    let (time_text, rest) = rest.split_once(' ').ok_or(malformed("HH:MM:SS time"))?;
    let (hour, minute, second) = parse_time(time_text).ok_or(malformed("HH:MM:SS time"))?;
    if hour > 23 || minute > 59 || second > 59 {
        return Err(ParseError::InvalidTime);
    }

    let (host, rest) = rest.split_once(' ').ok_or(malformed("host name"))?;
    if host.is_empty() {
        return Err(malformed("host name"));
    }

    // Tag: `PROGRAM[PID]:` or `PROGRAM:`, then the message after one space.
    let (tag, message) = rest.split_once(':').ok_or(malformed("PROGRAM[PID]: tag"))?;
    if tag.is_empty() || tag.contains(' ') {
        return Err(malformed("PROGRAM[PID]: tag"));
    }
    let program = match tag.strip_suffix(']') {
        Some(without_bracket) => {
            let (program, pid) = without_bracket.rsplit_once('[').ok_or(malformed("PROGRAM[PID]: tag"))?;
            if program.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed("PROGRAM[PID]: tag"));
            }
            program
        }
        None => tag,
    };
    let message = message.strip_prefix(' ').unwrap_or(message);

    Ok(Header {
        month,
        day,
        hour,
        minute,
        second,
        host,
        program,
        message,
    })
}

/// Parses a decimal number of `lengths` ASCII digits that fits in a `u8`.
fn parse_digits(text: &str, lengths: std::ops::RangeInclusive<usize>) -> Option<u8> {
    if !lengths.contains(&text.len()) || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Splits `HH:MM:SS` into its three numbers without checking their ranges.
fn parse_time(text: &str) -> Option<(u8, u8, u8)> {
    let mut parts = text.split(':');
    let hour = parse_digits(parts.next()?, 2..=2)?;
    let minute = parse_digits(parts.next()?, 2..=2)?;
    let second = parse_digits(parts.next()?, 2..=2)?;
    if parts.next().is_some() {
        return None;
    }
    Some((hour, minute, second))
}

fn parse_sshd_message(message: &str) -> Result<Event<'_>, ParseError> {
    if let Some(rest) = message.strip_prefix("message repeated ") {
        return parse_repeated(rest);
    }
    Ok(match attempt_source(message)? {
        Some(source) => Event::Attempts { source, count: 1 },
        None => Event::Ignored,
    })
}

/// Parses the part of `message repeated N times: [ MESSAGE ]` after `repeated `.
fn parse_repeated(rest: &str) -> Result<Event<'_>, ParseError> {
    let (count_text, repeated) = rest.split_once(" times: [").ok_or(ParseError::InvalidRepeat)?;
    if count_text.is_empty() || !count_text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(ParseError::InvalidRepeat);
    }
    let count: u32 = count_text.parse().map_err(|_| ParseError::InvalidRepeat)?;
    if count == 0 {
        return Err(ParseError::InvalidRepeat);
    }

    // rsyslog writes `[ ` before the repeated message and `]` right after it.
    let repeated = repeated.strip_suffix(']').unwrap_or(repeated).trim_start();
    Ok(match attempt_source(repeated)? {
        Some(source) => Event::Attempts { source, count },
        None => Event::Ignored,
    })
}

/// Returns the source address of a `Failed METHOD for ...` or
/// `Accepted METHOD for ...` message, `Ok(None)` for any other message, and an
/// error for an attempt message without a source address.
fn attempt_source(message: &str) -> Result<Option<&str>, ParseError> {
    let Some(rest) = message
        .strip_prefix("Failed ")
        .or_else(|| message.strip_prefix("Accepted "))
    else {
        return Ok(None);
    };

    // Requiring `METHOD for ` keeps other messages that start with `Failed `
    // (such as `Failed to ...`) out of the count.
    let Some((method, after_method)) = rest.split_once(' ') else {
        return Ok(None);
    };
    if !is_method_name(method) || !after_method.starts_with("for ") {
        return Ok(None);
    }

    source_before_port(after_method)
        .map(Some)
        .ok_or(ParseError::MissingSource)
}

/// Checks for an authentication method name such as `password`, `publickey`,
/// `none` or `keyboard-interactive/pam`.
fn is_method_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-/@._".contains(&byte))
}

/// Finds the address in the last ` from ADDRESS port N` of `text`.
///
/// The user name comes before the address and may itself contain
/// ` from 192.0.2.1 port 1`, so the search runs from the end of the line.
fn source_before_port(text: &str) -> Option<&str> {
    const MARKER: &str = " from ";
    text.rmatch_indices(MARKER).find_map(|(index, _)| {
        let after = &text[index + MARKER.len()..];
        let (candidate, tail) = after.split_once(' ')?;
        let port = tail.strip_prefix("port ")?;
        if !port.starts_with(|c: char| c.is_ascii_digit()) || !is_ip_address(candidate) {
            return None;
        }
        Some(candidate)
    })
}

/// Checks for an IPv4 or IPv6 address, allowing an IPv6 zone such as `%eth0`.
fn is_ip_address(text: &str) -> bool {
    if text.parse::<IpAddr>().is_ok() {
        return true;
    }
    match text.split_once('%') {
        Some((address, zone)) => !zone.is_empty() && address.parse::<Ipv6Addr>().is_ok(),
        None => false,
    }
}

fn parse_pam_unix_message(message: &str) -> Result<Event<'_>, ParseError> {
    // NOTE: pam_unix logs `authentication failure;` only for the first failure of a
    // PAM session and reports the later ones at its end as
    // `N more authentication failure(s);`. Those summaries count nothing here, so
    // PAM-only logs undercount repeated attempts on one connection.
    if !message.starts_with("authentication failure;") {
        return Ok(Event::Ignored);
    }
    let rhost = message
        .split(' ')
        .find_map(|field| field.strip_prefix("rhost="))
        .filter(|value| !value.is_empty())
        .ok_or(ParseError::MissingRhost)?;
    Ok(Event::Attempts {
        source: rhost,
        count: 1,
    })
}

/// Converts the month, day and time of successive lines into unix epoch
/// milliseconds (UTC), supplying the year that syslog leaves out.
///
/// The year starts at the value given to [`YearTracker::new`] and goes up by one
/// each time the month steps back by two months or more, as it does from `Dec`
/// to `Jan`. A line exactly one month back, such as a late `Dec 31` line after
/// `Jan 1`, is taken as delivered out of order: it is dated in the previous
/// month's year and leaves the state unchanged.
///
/// NOTE: a gap of eleven months or more between two lines cannot be distinguished
/// from such a late line, so the year is then wrong by one.
#[derive(Debug, Clone)]
pub struct YearTracker {
    year: i32,
    last_month: Option<u8>,
}

impl YearTracker {
    /// Creates a tracker that dates the first line in `start_year`.
    pub fn new(start_year: i32) -> Self {
        Self {
            year: start_year,
            last_month: None,
        }
    }

    /// Returns the time of `line` in milliseconds since 1970-01-01T00:00:00Z,
    /// treating the logged time as UTC, and advances the year state.
    ///
    /// On error the state is left unchanged, so the next line is dated as if the
    /// failing line had not been seen.
    pub fn timestamp_ms(&mut self, line: &Line<'_>) -> Result<u64, ParseError> {
        let (line_year, next_year, next_month) = self.place(line.month)?;

        if line.month == 2 && line.day == 29 && !is_leap_year(line_year) {
            return Err(ParseError::LeapDayInCommonYear { year: line_year });
        }
        let days = days_from_civil(line_year, line.month, line.day);
        let out_of_range = ParseError::YearOutOfRange { year: line_year };
        let days = u64::try_from(days).map_err(|_| out_of_range)?;
        let seconds_of_day = u64::from(line.hour) * 3_600 + u64::from(line.minute) * 60 + u64::from(line.second);
        let milliseconds = days
            .checked_mul(SECONDS_PER_DAY)
            .and_then(|seconds| seconds.checked_add(seconds_of_day))
            .and_then(|seconds| seconds.checked_mul(MILLISECONDS_PER_SECOND))
            .ok_or(out_of_range)?;

        self.year = next_year;
        self.last_month = Some(next_month);
        Ok(milliseconds)
    }

    /// Returns the year of a line in `month`, and the year and month to remember
    /// after it.
    fn place(&self, month: u8) -> Result<(i32, i32, u8), ParseError> {
        let Some(last_month) = self.last_month else {
            return Ok((self.year, self.year, month));
        };
        let months_forward = (month + 12 - last_month) % 12;

        if months_forward == 11 {
            // One month back: a late line. Only `Dec` after `Jan` crosses a year.
            let line_year = if month > last_month { self.year - 1 } else { self.year };
            return Ok((line_year, self.year, last_month));
        }
        if month < last_month {
            let next_year = self
                .year
                .checked_add(1)
                .ok_or(ParseError::YearOutOfRange { year: self.year })?;
            return Ok((next_year, next_year, month));
        }
        Ok((self.year, self.year, month))
    }
}

/// Returns the current year in UTC from the system clock, or 1970 if the clock is
/// set before 1970.
pub fn current_year() -> i32 {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    // A u64 second count divided by 86,400 always fits in an i64.
    let days = i64::try_from(seconds / SECONDS_PER_DAY).unwrap_or(i64::MAX);
    civil_from_days(days).0
}

fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Returns the number of days in `month` (1 to 12) of a leap or common year.
fn max_day(month: u8, leap_year: bool) -> u8 {
    match month {
        2 if leap_year => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// The two conversions below count years from March 1, so that the leap day is the
// last day of a counting year. A 400-year era has 146,097 days, and 1970-01-01 is
// day 719,468 counted from 0000-03-01 of the proleptic Gregorian calendar.

const DAYS_PER_ERA: i64 = 146_097;
const DAYS_FROM_YEAR_ZERO_TO_EPOCH: i64 = 719_468;

/// Returns the number of days from 1970-01-01 to the given date of the proleptic
/// Gregorian calendar, negative before 1970. `month` is 1 to 12.
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);

    // Months counted from March: March is 0 and February is 11.
    let month_from_march = (i64::from(month) + 9) % 12;
    // Days before each month counted from March follow 153 days per 5 months.
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;

    era * DAYS_PER_ERA + day_of_era - DAYS_FROM_YEAR_ZERO_TO_EPOCH
}

/// Returns the `(year, month, day)` that is `days` days after 1970-01-01, the
/// inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let days = days + DAYS_FROM_YEAR_ZERO_TO_EPOCH;
    let era = days.div_euclid(DAYS_PER_ERA);
    let day_of_era = days.rem_euclid(DAYS_PER_ERA);

    // Remove the leap days of the era so far before dividing by 365.
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + i64::from(month <= 2);

    // Every i64 day count from a u64 second count gives a year that fits in i32.
    let year = i32::try_from(year).unwrap_or(i32::MAX);
    let month = u8::try_from(month).expect("month is 1 to 12");
    let day = u8::try_from(day).expect("day is 1 to 31");
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> Event<'_> {
        parse_line(line)
            .unwrap_or_else(|error| panic!("{line:?}: {error}"))
            .event
    }

    fn attempts(source: &str, count: u32) -> Event<'_> {
        Event::Attempts { source, count }
    }

    fn error(line: &str) -> ParseError {
        match parse_line(line) {
            Ok(parsed) => panic!("{line:?} parsed as {parsed:?}"),
            Err(error) => error,
        }
    }

    #[test]
    fn failed_password_fields() {
        let line = parse_line(
            "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 203.0.113.1 port 38926 ssh2",
        )
        .unwrap();
        assert_eq!(line.month, 12);
        assert_eq!(line.day, 10);
        assert_eq!(line.hour, 6);
        assert_eq!(line.minute, 55);
        assert_eq!(line.second, 48);
        assert_eq!(line.host, "LabSZ");
        assert_eq!(line.event, attempts("203.0.113.1", 1));
    }

    #[test]
    fn day_padding_variants() {
        let message = "gw sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2";
        for (date, day) in [("Dec  4", 4), ("Dec 04", 4), ("Dec 4", 4), ("Dec 31", 31)] {
            let text = format!("{date} 10:00:00 {message}");
            let line = parse_line(&text).unwrap();
            assert_eq!(line.day, day, "{date}");
            assert_eq!(line.event, attempts("192.0.2.1", 1), "{date}");
        }
    }

    #[test]
    fn line_endings_are_trimmed() {
        let text = "Jan  1 00:00:00 gw sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2";
        assert_eq!(event(&format!("{text}\n")), attempts("192.0.2.1", 1));
        assert_eq!(event(&format!("{text}\r\n")), attempts("192.0.2.1", 1));
    }

    #[test]
    fn user_named_from() {
        assert_eq!(
            event("Jan  1 00:00:00 gw sshd[1]: Failed password for invalid user from from 192.0.2.4 port 22 ssh2"),
            attempts("192.0.2.4", 1)
        );
    }

    #[test]
    fn user_name_with_fake_source() {
        let line = "Jan  1 00:00:00 gw sshd[1]: Failed password for invalid user a from 198.51.100.1 port 1 from 192.0.2.5 port 22 ssh2";
        assert_eq!(event(line), attempts("192.0.2.5", 1));
    }

    #[test]
    fn user_name_with_spaces() {
        let line = "Jan  1 00:00:00 gw sshd[1]: Failed password for invalid user  0101 from 192.0.2.6 port 36279 ssh2";
        assert_eq!(event(line), attempts("192.0.2.6", 1));
    }

    #[test]
    fn accepted_and_other_methods() {
        let cases = [
            (
                "Accepted publickey for alice from 192.0.2.7 port 50000 ssh2: ED25519 SHA256:abc+/def",
                "192.0.2.7",
            ),
            ("Accepted password for fztu from 192.0.2.8 port 49116 ssh2", "192.0.2.8"),
            (
                "Failed none for invalid user 0 from 192.0.2.9 port 55495 ssh2",
                "192.0.2.9",
            ),
            (
                "Failed keyboard-interactive/pam for bob from 2001:db8::9 port 22 ssh2",
                "2001:db8::9",
            ),
            (
                "Failed publickey for root from fe80::1%eth0 port 22 ssh2",
                "fe80::1%eth0",
            ),
            (
                "Failed password for root from ::ffff:192.0.2.10 port 22 ssh2",
                "::ffff:192.0.2.10",
            ),
        ];
        for (message, source) in cases {
            let line = format!("Jan  1 00:00:00 gw sshd[1]: {message}");
            assert_eq!(event(&line), attempts(source, 1), "{message}");
        }
    }

    #[test]
    fn sshd_session_program() {
        let line = "Jan  1 00:00:00 gw sshd-session[7]: Failed password for root from 192.0.2.11 port 22 ssh2";
        assert_eq!(event(line), attempts("192.0.2.11", 1));
    }

    #[test]
    fn message_repeated_counts_n() {
        let line = "Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 203.0.113.5 port 42393 ssh2]";
        let parsed = parse_line(line).unwrap();
        assert_eq!(parsed.event, attempts("203.0.113.5", 5));
        assert_eq!((parsed.hour, parsed.minute, parsed.second), (7, 13, 56));
    }

    #[test]
    fn message_repeated_user_named_from() {
        let line = "Jan  1 00:00:00 gw sshd[1]: message repeated 2 times: [ Failed password for invalid user from from 192.0.2.12 port 22 ssh2]";
        assert_eq!(event(line), attempts("192.0.2.12", 2));
    }

    #[test]
    fn message_repeated_non_attempt_ignored() {
        let line = "Jan  1 00:00:00 gw sshd[1]: message repeated 2 times: [ Connection closed by 192.0.2.13 port 22 [preauth]]";
        assert_eq!(event(line), Event::Ignored);
    }

    #[test]
    fn message_repeated_invalid_count() {
        for count in ["0", "x", "", "-1", "+3", "4294967296"] {
            let line = format!(
                "Jan  1 00:00:00 gw sshd[1]: message repeated {count} times: [ Failed password for root from 192.0.2.1 port 22 ssh2]"
            );
            assert_eq!(error(&line), ParseError::InvalidRepeat, "count {count:?}");
        }
        let no_brackets = "Jan  1 00:00:00 gw sshd[1]: message repeated 2 times";
        assert_eq!(error(no_brackets), ParseError::InvalidRepeat);
    }

    #[test]
    fn message_repeated_without_source() {
        let line = "Jan  1 00:00:00 gw sshd[1]: message repeated 3 times: [ Failed password for root from nowhere port 22 ssh2]";
        assert_eq!(error(line), ParseError::MissingSource);
    }

    #[test]
    fn attempt_without_source() {
        let cases = [
            "Failed password for root from host.example.net port 22 ssh2",
            "Failed password for root from 192.0.2.1",
            "Failed password for root from 192.0.2.1 port x ssh2",
            "Accepted publickey for root",
        ];
        for message in cases {
            let line = format!("Jan  1 00:00:00 gw sshd[1]: {message}");
            assert_eq!(error(&line), ParseError::MissingSource, "{message}");
        }
    }

    #[test]
    fn failed_to_is_not_attempt() {
        let line = "Jan  1 00:00:00 gw sshd[1]: Failed to allocate internet-domain X11 display socket.";
        assert_eq!(event(line), Event::Ignored);
    }

    #[test]
    fn pam_echo_lines_count_nothing() {
        let messages = [
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.1 ",
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=host-3.example.net  user=root",
            "pam_unix(sshd:auth): check pass; user unknown",
            "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=root",
            "PAM service(sshd) ignoring max retries; 6 > 3",
            "pam_unix(sshd:session): session opened for user fztu by (uid=0)",
        ];
        for message in messages {
            let line = format!("Dec 10 06:55:46 LabSZ sshd[24200]: {message}");
            assert_eq!(event(&line), Event::Ignored, "{message}");
        }
    }

    #[test]
    fn pam_unix_program_failure() {
        let with_host = "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=host-1.example.net  user=root";
        assert_eq!(event(with_host), attempts("host-1.example.net", 1));

        let with_address = "Jun 14 15:16:02 combo sshd(pam_unix)[19937]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=192.0.2.20 ";
        assert_eq!(event(with_address), attempts("192.0.2.20", 1));
    }

    #[test]
    fn pam_unix_program_empty_rhost() {
        let empty = "Jun 14 15:16:01 combo sshd(pam_unix)[1]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost= ";
        assert_eq!(error(empty), ParseError::MissingRhost);

        let at_end = "Jun 14 15:16:01 combo sshd(pam_unix)[1]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=";
        assert_eq!(error(at_end), ParseError::MissingRhost);

        let absent = "Jun 14 15:16:01 combo sshd(pam_unix)[1]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser=";
        assert_eq!(error(absent), ParseError::MissingRhost);
    }

    #[test]
    fn pam_unix_program_other_lines() {
        let messages = [
            "check pass; user unknown",
            "1 more authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=192.0.2.21  user=root",
            "5 more authentication failures; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=192.0.2.21  user=root",
            "session opened for user test by (uid=509)",
        ];
        for message in messages {
            let line = format!("Jun 14 15:16:01 combo sshd(pam_unix)[1]: {message}");
            assert_eq!(event(&line), Event::Ignored, "{message}");
        }
    }

    #[test]
    fn other_programs_ignored() {
        let lines = [
            "Jan  1 00:00:00 gw CRON[5]: pam_unix(cron:session): session opened for user root by (uid=0)",
            "Jan  1 00:00:00 gw kernel: [   12.345678] eth0: link up",
            "Jan  1 00:00:00 gw su: Failed password for root from 192.0.2.1 port 22 ssh2",
            "Jan  1 00:00:00 gw sshd[1]:",
            "Jan  1 00:00:00 gw sshd[1]: Invalid user admin from 192.0.2.1 port 22",
            "Jan  1 00:00:00 gw sshd[1]: Received disconnect from 192.0.2.1 port 22:11: Bye Bye [preauth]",
        ];
        for line in lines {
            assert_eq!(event(line), Event::Ignored, "{line}");
        }
    }

    #[test]
    fn malformed_headers() {
        let cases = [
            ("", "month name"),
            ("this line has no syslog header", "month name"),
            ("Dec", "month name"),
            ("Dec 1x 00:00:00 gw sshd[1]: x", "day of month"),
            ("Dec 123 00:00:00 gw sshd[1]: x", "day of month"),
            ("Dec 10", "day of month"),
            ("Dec 10 6:55:46 gw sshd[1]: x", "HH:MM:SS time"),
            ("Dec 10 06:55 gw sshd[1]: x", "HH:MM:SS time"),
            ("Dec 10 06:55:46:01 gw sshd[1]: x", "HH:MM:SS time"),
            ("Dec 10 06:55:46.123 gw sshd[1]: x", "HH:MM:SS time"),
            ("Dec 10 06:55:46 gw", "host name"),
            ("Dec 10 06:55:46  sshd[1]: x", "host name"),
            ("Dec 10 06:55:46 gw last message repeated 3 times", "PROGRAM[PID]: tag"),
            ("Dec 10 06:55:46 gw sshd[x]: Failed", "PROGRAM[PID]: tag"),
            ("Dec 10 06:55:46 gw sshd[]: Failed", "PROGRAM[PID]: tag"),
            ("Dec 10 06:55:46 gw [1]: Failed", "PROGRAM[PID]: tag"),
            ("Dec 10 06:55:46 gw : Failed", "PROGRAM[PID]: tag"),
            ("2024-05-02T10:15:32.123456+00:00 gw sshd[1]: Failed", "month name"),
        ];
        for (line, expected) in cases {
            assert_eq!(error(line), ParseError::MalformedHeader { expected }, "{line:?}");
        }
    }

    #[test]
    fn invalid_month() {
        assert_eq!(error("Foo 10 06:55:46 gw sshd[1]: x"), ParseError::InvalidMonth);
        assert_eq!(error("dec 10 06:55:46 gw sshd[1]: x"), ParseError::InvalidMonth);
    }

    #[test]
    fn impossible_dates() {
        let cases = [
            ("Jan  0", 1, 0),
            ("Jan 32", 1, 32),
            ("Feb 30", 2, 30),
            ("Apr 31", 4, 31),
            ("Nov 31", 11, 31),
        ];
        for (date, month, day) in cases {
            let line = format!("{date} 00:00:00 gw sshd[1]: x");
            assert_eq!(error(&line), ParseError::InvalidDate { month, day }, "{date}");
        }
        // Feb 29 exists in leap years, so only the year tracker can reject it.
        assert!(parse_line("Feb 29 00:00:00 gw sshd[1]: x").is_ok());
    }

    #[test]
    fn impossible_times() {
        for time in ["24:00:00", "23:60:00", "23:59:60", "99:99:99"] {
            let line = format!("Jan  1 {time} gw sshd[1]: x");
            assert_eq!(error(&line), ParseError::InvalidTime, "{time}");
        }
        assert!(parse_line("Jan  1 23:59:59 gw sshd[1]: x").is_ok());
    }

    #[test]
    fn error_messages_name_the_problem() {
        let cases = [
            (
                ParseError::MalformedHeader { expected: "host name" },
                "malformed syslog header: expected host name",
            ),
            (
                ParseError::InvalidDate { month: 4, day: 31 },
                "invalid date: Apr 31 does not exist",
            ),
            (
                ParseError::LeapDayInCommonYear { year: 2023 },
                "invalid date: Feb 29 does not exist in 2023, which is not a leap year",
            ),
            (
                ParseError::YearOutOfRange { year: 1969 },
                "year 1969 is out of range: timestamps start at 1970",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
        let all = [
            ParseError::InvalidMonth,
            ParseError::InvalidTime,
            ParseError::MissingSource,
            ParseError::MissingRhost,
            ParseError::InvalidRepeat,
        ];
        for error in all {
            let message = error.to_string();
            assert!(message.starts_with(|c: char| c.is_ascii_lowercase()), "{message}");
            assert!(!message.ends_with('.'), "{message}");
        }
    }

    fn line_at(month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Line<'static> {
        Line {
            month,
            day,
            hour,
            minute,
            second,
            host: "gw",
            event: Event::Ignored,
        }
    }

    #[test]
    fn timestamp_known_values() {
        let mut tracker = YearTracker::new(1970);
        assert_eq!(tracker.timestamp_ms(&line_at(1, 1, 0, 0, 0)), Ok(0));

        let mut tracker = YearTracker::new(2023);
        // 2023-12-31T23:59:59Z is 1,704,067,199 seconds after the epoch.
        assert_eq!(
            tracker.timestamp_ms(&line_at(12, 31, 23, 59, 59)),
            Ok(1_704_067_199_000)
        );

        let mut tracker = YearTracker::new(2024);
        // 2024-02-29T12:00:00Z is 1,709,208,000 seconds after the epoch.
        assert_eq!(tracker.timestamp_ms(&line_at(2, 29, 12, 0, 0)), Ok(1_709_208_000_000));
    }

    #[test]
    fn year_rollover_december_to_january() {
        let mut tracker = YearTracker::new(2023);
        let december = tracker.timestamp_ms(&line_at(12, 31, 23, 59, 59)).unwrap();
        let january = tracker.timestamp_ms(&line_at(1, 1, 0, 0, 1)).unwrap();
        assert_eq!(january - december, 2_000);
        // 2024-01-01T00:00:01Z.
        assert_eq!(january, 1_704_067_201_000);

        // Later lines stay in 2024.
        let march = tracker.timestamp_ms(&line_at(3, 1, 0, 0, 0)).unwrap();
        assert_eq!(march, 1_709_251_200_000);
    }

    #[test]
    fn year_rollover_twice() {
        let mut tracker = YearTracker::new(2022);
        tracker.timestamp_ms(&line_at(11, 1, 0, 0, 0)).unwrap();
        tracker.timestamp_ms(&line_at(2, 1, 0, 0, 0)).unwrap();
        tracker.timestamp_ms(&line_at(10, 1, 0, 0, 0)).unwrap();
        let third_year = tracker.timestamp_ms(&line_at(1, 1, 0, 0, 0)).unwrap();
        // 2024-01-01T00:00:00Z.
        assert_eq!(third_year, 1_704_067_200_000);
    }

    #[test]
    fn late_december_line_after_january() {
        let mut tracker = YearTracker::new(2023);
        tracker.timestamp_ms(&line_at(12, 31, 23, 59, 58)).unwrap();
        let january = tracker.timestamp_ms(&line_at(1, 1, 0, 0, 0)).unwrap();
        let late = tracker.timestamp_ms(&line_at(12, 31, 23, 59, 59)).unwrap();
        let next = tracker.timestamp_ms(&line_at(1, 1, 0, 0, 2)).unwrap();
        assert_eq!(january, 1_704_067_200_000);
        assert_eq!(late, 1_704_067_199_000);
        assert_eq!(next, 1_704_067_202_000);
    }

    #[test]
    fn late_line_one_month_back() {
        let mut tracker = YearTracker::new(2023);
        tracker.timestamp_ms(&line_at(4, 1, 0, 0, 0)).unwrap();
        let late = tracker.timestamp_ms(&line_at(3, 31, 23, 59, 59)).unwrap();
        let april = tracker.timestamp_ms(&line_at(4, 1, 0, 0, 1)).unwrap();
        // 2023-03-31T23:59:59Z and 2023-04-01T00:00:01Z.
        assert_eq!(late, 1_680_307_199_000);
        assert_eq!(april, 1_680_307_201_000);
    }

    #[test]
    fn leap_day_checked_per_year() {
        let mut tracker = YearTracker::new(2023);
        assert_eq!(
            tracker.timestamp_ms(&line_at(2, 29, 0, 0, 0)),
            Err(ParseError::LeapDayInCommonYear { year: 2023 })
        );
        // The failed line did not advance the state, so Dec then Jan rolls into 2024.
        tracker.timestamp_ms(&line_at(12, 1, 0, 0, 0)).unwrap();
        tracker.timestamp_ms(&line_at(1, 1, 0, 0, 0)).unwrap();
        assert!(tracker.timestamp_ms(&line_at(2, 29, 0, 0, 0)).is_ok());

        let mut century = YearTracker::new(2100);
        assert_eq!(
            century.timestamp_ms(&line_at(2, 29, 0, 0, 0)),
            Err(ParseError::LeapDayInCommonYear { year: 2100 })
        );
        let mut four_centuries = YearTracker::new(2000);
        assert!(four_centuries.timestamp_ms(&line_at(2, 29, 0, 0, 0)).is_ok());
    }

    #[test]
    fn year_before_epoch_rejected() {
        let mut tracker = YearTracker::new(1969);
        assert_eq!(
            tracker.timestamp_ms(&line_at(12, 31, 23, 59, 59)),
            Err(ParseError::YearOutOfRange { year: 1969 })
        );
    }

    #[test]
    fn civil_day_counts() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        assert_eq!(days_from_civil(1600, 1, 1), -135_140);
    }

    #[test]
    fn civil_round_trip() {
        for days in (-800_000..800_000).step_by(7) {
            let (year, month, day) = civil_from_days(days);
            assert!((1..=12).contains(&month), "day {days}");
            assert!(day >= 1, "day {days}");
            assert!(day <= max_day(month, is_leap_year(year)), "day {days}");
            assert_eq!(days_from_civil(year, month, day), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn current_year_is_plausible() {
        let year = current_year();
        assert!((2024..3000).contains(&year), "{year}");
    }

    #[test]
    fn fixture_totals_per_rule() {
        let text = include_str!("../tests/fixtures/sshd-rules.log");
        let mut attempt_lines = 0;
        let mut total_attempts = 0;
        let mut ignored = 0;
        let mut errors = Vec::new();
        let mut per_source: Vec<(&str, u32)> = Vec::new();

        for (index, line) in text.lines().enumerate() {
            match parse_line(line) {
                Ok(Line {
                    event: Event::Attempts { source, count },
                    ..
                }) => {
                    attempt_lines += 1;
                    total_attempts += count;
                    match per_source.iter_mut().find(|(known, _)| *known == source) {
                        Some((_, total)) => *total += count,
                        None => per_source.push((source, count)),
                    }
                }
                Ok(_) => ignored += 1,
                Err(error) => errors.push((index + 1, error)),
            }
        }

        assert_eq!(text.lines().count(), 25);
        assert_eq!(attempt_lines, 9);
        assert_eq!(total_attempts, 12);
        assert_eq!(ignored, 11);
        assert_eq!(
            errors,
            vec![
                (11, ParseError::MissingRhost),
                (18, ParseError::MissingSource),
                (19, ParseError::InvalidDate { month: 2, day: 30 }),
                (20, ParseError::MalformedHeader { expected: "month name" }),
                (21, ParseError::InvalidTime),
            ]
        );
        assert_eq!(
            per_source,
            vec![
                ("192.0.2.10", 4),
                ("192.0.2.11", 1),
                ("192.0.2.12", 1),
                ("2001:db8::5", 1),
                ("host-7.example.net", 1),
                ("203.0.113.9", 3),
                ("2001:db8:0:1::20", 1),
            ]
        );
    }

    #[test]
    fn fixture_year_rollover() {
        let text = include_str!("../tests/fixtures/sshd-rules.log");
        let mut tracker = YearTracker::new(2023);
        let timestamps: Vec<u64> = text
            .lines()
            .filter_map(|line| parse_line(line).ok())
            .map(|line| tracker.timestamp_ms(&line).unwrap())
            .collect();

        // First line: 2023-12-31T23:59:50Z. Last line: 2024-01-01T00:00:15Z.
        assert_eq!(timestamps.first(), Some(&1_704_067_190_000));
        assert_eq!(timestamps.last(), Some(&1_704_067_215_000));
        assert!(timestamps.windows(2).all(|pair| pair[0] <= pair[1]));
    }
}
