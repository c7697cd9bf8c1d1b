//! Parsing `KAUTH_REDIS_URL`: `redis://[[user]:password@]host[:port][/db]`,
//! or `rediss://` for TLS.
//!
//! The URL is parsed here rather than by redis-rs so that every error names
//! the variable and never quotes the URL: any part of a malformed URL might be
//! a password. Only the scheme is ever echoed, and only when it is a plain
//! scheme name.

use std::fmt;
use std::net::Ipv6Addr;

use crate::RedisError;

/// The environment variable holding the Redis URL.
pub const URL_VAR: &str = "KAUTH_REDIS_URL";

/// The port used when the URL names none, for `redis://` and `rediss://` alike.
pub const DEFAULT_PORT: u16 = 6379;

/// The highest database index accepted. Redis itself caps its `databases`
/// setting at `i32::MAX`.
const MAX_DB: i64 = i32::MAX as i64;

/// A parsed Redis URL. Its `Debug` and `Display` forms replace the password
/// with `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    tls: bool,
    host: String,
    port: u16,
    db: i64,
    username: Option<String>,
    password: Option<Password>,
}

/// A password that formats as `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Password(String);

impl Password {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl RedisUrl {
    /// Parses `text`, which must already be trimmed and non-empty.
    pub(crate) fn parse(text: &str) -> Result<RedisUrl, RedisError> {
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| invalid("must start with redis:// or rediss://"))?;
        let tls = parse_scheme(scheme)?;

        // Split at the last "@" so that an unescaped "@", "/" or ":" inside a
        // password stays in the credentials instead of leaking into the host.
        let (credentials, location) = match rest.rfind('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let (username, password) = match credentials {
            Some(credentials) => parse_credentials(credentials)?,
            None => (None, None),
        };

        if location.contains(['?', '#']) {
            return Err(invalid("has a query string or fragment, which kauth does not support"));
        }
        let (authority, path) = match location.find('/') {
            Some(slash) => (&location[..slash], &location[slash + 1..]),
            None => (location, ""),
        };
        let (host, port) = parse_authority(authority)?;
        let db = parse_db(path)?;

        Ok(RedisUrl {
            tls,
            host,
            port,
            db,
            username,
            password,
        })
    }

    /// Whether the scheme is `rediss://`.
    pub fn tls(&self) -> bool {
        self.tls
    }

    /// The host name or IP address, without brackets around an IPv6 address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The database index selected after connecting.
    pub fn db(&self) -> i64 {
        self.db
    }

    /// The ACL user name, if the URL names one.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// Whether the URL carries a password.
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    pub(crate) fn password(&self) -> Option<&Password> {
        self.password.as_ref()
    }

    /// `host:port`, with brackets around an IPv6 address.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "rediss" } else { "redis" };
        write!(f, "{scheme}://")?;
        match (&self.username, self.password.is_some()) {
            (Some(username), true) => write!(f, "{username}:<redacted>@")?,
            (Some(username), false) => write!(f, "{username}@")?,
            (None, true) => f.write_str(":<redacted>@")?,
            (None, false) => {}
        }
        write!(f, "{}/{}", self.address(), self.db)
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

fn invalid(reason: &str) -> RedisError {
    RedisError::config(URL_VAR, reason)
}

fn parse_scheme(scheme: &str) -> Result<bool, RedisError> {
    if scheme.eq_ignore_ascii_case("redis") {
        return Ok(false);
    }
    if scheme.eq_ignore_ascii_case("rediss") {
        return Ok(true);
    }

    // Text before "://" may be a misplaced password, so only well-known
    // scheme names are quoted back.
    if QUOTABLE_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
        Err(invalid(&format!(
            "has scheme \"{scheme}\" but must use redis:// or rediss://"
        )))
    } else {
        Err(invalid("must start with redis:// or rediss://"))
    }
}

/// Schemes that operators put in a Redis URL by mistake, quoted in errors.
const QUOTABLE_SCHEMES: &[&str] = &[
    "http",
    "https",
    "tcp",
    "tls",
    "unix",
    "redis+unix",
    "redis+tls",
    "rediss+unix",
    "valkey",
    "valkeys",
];

type Credentials = (Option<String>, Option<Password>);

fn parse_credentials(credentials: &str) -> Result<Credentials, RedisError> {
    let Some((username, password)) = credentials.split_once(':') else {
        return Err(invalid(
            "has credentials without a \":\" before the \"@\" (write redis://:password@host or redis://user:password@host)",
        ));
    };
    let username = percent_decode(username)?;
    let password = percent_decode(password)?;
    if password.is_empty() {
        return Err(invalid("has an empty password"));
    }

    let username = (!username.is_empty()).then_some(username);
    Ok((username, Some(Password(password))))
}

/// Decodes `%XX` escapes. The error never quotes the text: it is a user name
/// or a password.
fn percent_decode(text: &str) -> Result<String, RedisError> {
    let bad_escape = || invalid("has an invalid percent-escape in its user name or password");
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = bytes.get(index + 1..index + 3).ok_or_else(bad_escape)?;
            let hex = std::str::from_utf8(hex).map_err(|_| bad_escape())?;
            decoded.push(u8::from_str_radix(hex, 16).map_err(|_| bad_escape())?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| invalid("has a user name or password that is not UTF-8 once decoded"))
}

fn parse_authority(authority: &str) -> Result<(String, u16), RedisError> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| invalid("has an IPv6 host without its closing \"]\""))?;
        if host.parse::<Ipv6Addr>().is_err() {
            return Err(invalid("has text in brackets that is not an IPv6 address"));
        }
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(invalid("has text after the IPv6 host that is not a \":port\"")),
            },
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };

    if host.is_empty() {
        return Err(invalid(
            "has no host (expected redis://[[user]:password@]host[:port][/db])",
        ));
    }
    let valid_host = host.chars().all(|c| c.is_ascii_alphanumeric() || ".-_:".contains(c));
    if !valid_host {
        return Err(invalid("has a host that is not a valid host name or IP address"));
    }

    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => parse_port(port)?,
    };
    Ok((host.to_owned(), port))
}

fn parse_port(text: &str) -> Result<u16, RedisError> {
    let in_range = text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<u32>() {
        Ok(port @ 1..=65535) if in_range => Ok(port as u16),
        _ => Err(invalid("has a port that is not an integer between 1 and 65535")),
    }
}

fn parse_db(path: &str) -> Result<i64, RedisError> {
    if path.is_empty() {
        return Ok(0);
    }
    let digits_only = path.len() <= 10 && path.bytes().all(|b| b.is_ascii_digit());
    match path.parse::<i64>() {
        Ok(db @ 0..=MAX_DB) if digits_only => Ok(db),
        _ => Err(invalid(&format!(
            "has a database that is not an integer between 0 and {MAX_DB}"
        ))),
    }
}
