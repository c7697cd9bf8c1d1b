//! Canonical subjects and their injective encoding into storage keys.
//!
//! A key reads `<tier>:<workspace>:<kind>:<subject>`, for example
//! `login:acme:ip4:203.0.113.7`. Workspace and subject are percent-escaped:
//! every byte outside printable ASCII, and each of `%`, `:`, `{` and `}`,
//! becomes `%XX`. Escaping is injective and the separators never occur inside
//! an escaped part, so two different (tier, workspace, subject) triples always
//! give two different keys. Because keys contain no braces, a backend can wrap
//! one in `{…}` as a Redis Cluster hash tag without it being cut short.

use core::fmt::{self, Write as _};
use core::net::{IpAddr, Ipv6Addr};

use crate::Tier;

/// Maximum workspace length in bytes, before escaping.
pub const MAX_WORKSPACE_LEN: usize = 128;
/// Maximum subject length in bytes after canonicalisation, before escaping.
/// 320 bytes fits the longest email address RFC 3696 allows.
pub const MAX_SUBJECT_LEN: usize = 320;
/// Maximum encoded key length in bytes: every byte escaped, plus separators.
pub const MAX_KEY_LEN: usize = 16 + 3 * MAX_WORKSPACE_LEN + 8 + 3 * MAX_SUBJECT_LEN;
/// Default IPv6 prefix length grouping addresses into one subject: one /64 is
/// what a single customer network usually receives, so an attacker holding it
/// cannot multiply its budget by rotating the low bits.
pub const DEFAULT_IPV6_PREFIX_LEN: u8 = 64;

/// Who a rate limit counts against, before canonicalisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject<'a> {
    /// A client address. IPv4-mapped IPv6 counts as the IPv4 address; other
    /// IPv6 addresses are grouped by [`DEFAULT_IPV6_PREFIX_LEN`] unless built
    /// with [`Subject::ip_grouped`].
    Ip {
        /// The address.
        addr: IpAddr,
        /// IPv6 prefix length kept, 0 to 128.
        ipv6_prefix_len: u8,
    },
    /// An email address: surrounding whitespace is trimmed and the address is
    /// lowercased with Unicode's default mapping, domain and local part alike.
    Email(&'a str),
    /// An opaque user id, compared byte for byte.
    User(&'a str),
    /// A client host name, as some logs give instead of an address: trimmed,
    /// ASCII-lowercased and without a trailing dot.
    Host(&'a str),
}

impl<'a> Subject<'a> {
    /// A client address grouped with the default IPv6 prefix.
    pub const fn ip(addr: IpAddr) -> Self {
        Subject::Ip {
            addr,
            ipv6_prefix_len: DEFAULT_IPV6_PREFIX_LEN,
        }
    }

    /// A client address grouped with a chosen IPv6 prefix (clamped to 128).
    pub const fn ip_grouped(addr: IpAddr, ipv6_prefix_len: u8) -> Self {
        let ipv6_prefix_len = if ipv6_prefix_len > 128 { 128 } else { ipv6_prefix_len };
        Subject::Ip { addr, ipv6_prefix_len }
    }

    /// Parses a client as written in a log or header: an IP address (IPv6
    /// may be in brackets) becomes [`Subject::Ip`], anything else a host name.
    pub fn client(text: &'a str) -> Self {
        let trimmed = text.trim();
        let unbracketed = trimmed
            .strip_prefix('[')
            .and_then(|inner| inner.strip_suffix(']'))
            .unwrap_or(trimmed);
        match unbracketed.parse::<IpAddr>() {
            Ok(addr) => Subject::ip(addr),
            Err(_) => Subject::Host(trimmed),
        }
    }

    /// Short tag naming the kind in keys.
    fn kind(&self) -> &'static str {
        match self {
            Subject::Ip { addr, .. } => match canonical_ip(*addr, 128) {
                IpAddr::V4(_) => "ip4",
                IpAddr::V6(_) => "ip6",
            },
            Subject::Email(_) => "email",
            Subject::User(_) => "user",
            Subject::Host(_) => "host",
        }
    }

    /// Writes the canonical form, unescaped, into `out`.
    fn write_canonical<W: fmt::Write>(&self, out: &mut W) -> fmt::Result {
        match *self {
            Subject::Ip { addr, ipv6_prefix_len } => match canonical_ip(addr, ipv6_prefix_len) {
                IpAddr::V4(v4) => write!(out, "{v4}"),
                IpAddr::V6(v6) => write!(out, "{v6}/{ipv6_prefix_len}"),
            },
            Subject::Email(email) => {
                for c in email.trim().chars().flat_map(char::to_lowercase) {
                    out.write_char(c)?;
                }
                Ok(())
            }
            Subject::User(user) => out.write_str(user),
            Subject::Host(host) => {
                let host = host.trim();
                let host = host.strip_suffix('.').unwrap_or(host);
                for c in host.chars() {
                    out.write_char(c.to_ascii_lowercase())?;
                }
                Ok(())
            }
        }
    }
}

/// The address a subject counts as: IPv4-mapped IPv6 unwrapped, other IPv6
/// masked to `ipv6_prefix_len` bits.
pub fn canonical_ip(addr: IpAddr, ipv6_prefix_len: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(mask_v6(v6, ipv6_prefix_len)),
        },
    }
}

fn mask_v6(addr: Ipv6Addr, prefix_len: u8) -> Ipv6Addr {
    let bits = u128::from(addr);
    let mask = match prefix_len {
        0 => 0,
        len if len >= 128 => u128::MAX,
        len => u128::MAX << (128 - u32::from(len)),
    };
    Ipv6Addr::from(bits & mask)
}

/// An encoded rate-limit key; see the module docs for the format.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RateKey {
    text: heapless::String<MAX_KEY_LEN>,
}

impl RateKey {
    /// Encodes (tier, workspace, subject) into a key.
    ///
    /// Fails when the workspace or the canonical subject is empty or longer
    /// than [`MAX_WORKSPACE_LEN`] or [`MAX_SUBJECT_LEN`] bytes.
    ///
    /// ```
    /// use kauth_core::{RateKey, Subject, Tier};
    ///
    /// let key = RateKey::new(Tier::PasswordReset, "acme", &Subject::Email("  Ann@Example.COM ")).unwrap();
    /// assert_eq!(key.as_str(), "password-reset:acme:email:ann@example.com");
    ///
    /// let mapped = RateKey::new(Tier::Login, "acme", &Subject::client("::ffff:203.0.113.7")).unwrap();
    /// assert_eq!(mapped.as_str(), "login:acme:ip4:203.0.113.7");
    /// ```
    pub fn new(tier: Tier, workspace: &str, subject: &Subject<'_>) -> Result<Self, KeyError> {
        check_workspace(workspace)?;

        let mut canonical = LengthCounter::default();
        // Writing to a counter cannot fail.
        let _ = subject.write_canonical(&mut canonical);
        if canonical.len == 0 {
            return Err(KeyError::EmptySubject { kind: subject.kind() });
        }
        if canonical.len > MAX_SUBJECT_LEN {
            return Err(KeyError::SubjectTooLong {
                kind: subject.kind(),
                len: canonical.len,
                max: MAX_SUBJECT_LEN,
            });
        }

        let mut text = heapless::String::new();
        // The bounds checked above make the key fit in MAX_KEY_LEN.
        let _ = write!(text, "{}:", tier.as_str());
        let _ = write_escaped(&mut text, workspace);
        let _ = write!(text, ":{}:", subject.kind());
        let _ = subject.write_canonical(&mut Escaper(&mut text));
        Ok(RateKey { text })
    }

    /// The encoded key.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for RateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RateKey").field(&self.as_str()).finish()
    }
}

impl fmt::Display for RateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks a workspace name against the key bounds.
pub fn check_workspace(workspace: &str) -> Result<(), KeyError> {
    if workspace.is_empty() {
        return Err(KeyError::EmptyWorkspace);
    }
    if workspace.len() > MAX_WORKSPACE_LEN {
        return Err(KeyError::WorkspaceTooLong {
            len: workspace.len(),
            max: MAX_WORKSPACE_LEN,
        });
    }
    Ok(())
}

/// Writes `text` percent-escaped as described in the module docs.
pub fn write_escaped<W: fmt::Write>(out: &mut W, text: &str) -> fmt::Result {
    Escaper(out).write_str(text)
}

struct Escaper<'w, W: fmt::Write>(&'w mut W);

impl<W: fmt::Write> fmt::Write for Escaper<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for byte in text.bytes() {
            let plain = matches!(byte, 0x21..=0x7e) && !matches!(byte, b'%' | b':' | b'{' | b'}');
            if plain {
                self.0.write_char(char::from(byte))?;
            } else {
                write!(self.0, "%{byte:02X}")?;
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct LengthCounter {
    len: usize,
}

impl fmt::Write for LengthCounter {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.len += text.len();
        Ok(())
    }
}

/// Why a key could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The workspace was empty.
    EmptyWorkspace,
    /// The workspace was longer than [`MAX_WORKSPACE_LEN`] bytes.
    WorkspaceTooLong {
        /// Its length in bytes.
        len: usize,
        /// The maximum in bytes.
        max: usize,
    },
    /// The subject was empty after canonicalisation.
    EmptySubject {
        /// Which kind of subject.
        kind: &'static str,
    },
    /// The canonical subject was longer than [`MAX_SUBJECT_LEN`] bytes.
    SubjectTooLong {
        /// Which kind of subject.
        kind: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The maximum in bytes.
        max: usize,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::EmptyWorkspace => f.write_str("workspace is empty"),
            KeyError::WorkspaceTooLong { len, max } => {
                write!(f, "workspace is {len} bytes long, above the maximum of {max}")
            }
            KeyError::EmptySubject { kind } => write!(f, "{kind} subject is empty"),
            KeyError::SubjectTooLong { kind, len, max } => {
                write!(f, "{kind} subject is {len} bytes long, above the maximum of {max}")
            }
        }
    }
}

impl core::error::Error for KeyError {}
