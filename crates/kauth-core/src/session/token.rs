//! Session tokens and the hashes stores keep instead of them.

use core::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// Random bytes in a token: 256 bits.
pub const TOKEN_BYTES: usize = 32;
/// Length of a token's text: 32 bytes in base64url without padding.
pub const TOKEN_LEN: usize = 43;

/// A bearer token, shown to the client once and never stored.
///
/// Its `Debug` output is redacted and its memory is zeroed on drop.
///
/// ```
/// use kauth_core::session::SessionToken;
///
/// let token = SessionToken::generate(&mut rand_core::OsRng);
/// assert_eq!(token.as_str().len(), 43);
/// assert_eq!(format!("{token:?}"), "SessionToken(<redacted>)");
/// assert_eq!(SessionToken::parse(token.as_str()).unwrap().hash(), token.hash());
/// ```
#[derive(Clone)]
pub struct SessionToken {
    text: [u8; TOKEN_LEN],
}

impl SessionToken {
    /// Draws 256 bits from `rng`, which must be a cryptographically secure
    /// generator (the `CryptoRng` bound).
    pub fn generate<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rng.fill_bytes(&mut bytes);
        let mut text = [0u8; TOKEN_LEN];
        // 32 bytes always encode to exactly 43 characters.
        let written = URL_SAFE_NO_PAD.encode_slice(bytes, &mut text);
        debug_assert_eq!(written, Ok(TOKEN_LEN));
        bytes.zeroize();
        SessionToken { text }
    }

    /// Accepts text shaped like a token: 43 base64url characters that decode
    /// to 32 bytes. The check is on shape only, so it reveals nothing about
    /// which tokens exist.
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        if text.len() != TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let mut decoded = [0u8; TOKEN_BYTES + 3];
        let valid = matches!(URL_SAFE_NO_PAD.decode_slice(text, &mut decoded), Ok(TOKEN_BYTES));
        decoded.zeroize();
        if !valid {
            return Err(TokenError::Malformed);
        }
        let mut bytes = [0u8; TOKEN_LEN];
        bytes.copy_from_slice(text.as_bytes());
        Ok(SessionToken { text: bytes })
    }

    /// The token's text, to hand to the client.
    pub fn as_str(&self) -> &str {
        // Built from base64url output or checked to be base64url: ASCII.
        core::str::from_utf8(&self.text).unwrap_or("")
    }

    /// The SHA-256 of the token's text, under which stores keep the session.
    /// A plain hash suffices because the token carries 256 random bits.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.text).into())
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

impl Drop for SessionToken {
    fn drop(&mut self) {
        self.text.zeroize();
    }
}

/// SHA-256 of a session token. Equality is constant-time.
#[derive(Clone, Copy, Eq)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    /// Lowercase hex, 64 characters, as used in store keys.
    pub fn to_hex(&self) -> heapless::String<64> {
        let mut out = heapless::String::new();
        for byte in self.0 {
            // 32 bytes make exactly 64 hex digits, the string's capacity.
            let _ = fmt::Write::write_fmt(&mut out, format_args!("{byte:02x}"));
        }
        out
    }

    /// Parses the form written by [`TokenHash::to_hex`].
    pub fn from_hex(text: &str) -> Option<Self> {
        if text.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (index, pair) in text.as_bytes().chunks_exact(2).enumerate() {
            let pair = core::str::from_utf8(pair).ok()?;
            bytes[index] = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(TokenHash(bytes))
    }
}

impl PartialEq for TokenHash {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl core::hash::Hash for TokenHash {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialOrd for TokenHash {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TokenHash {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

impl fmt::Debug for TokenHash {
    /// Shows the first 8 hex digits: enough to tell sessions apart in logs,
    /// and a hash cannot be turned back into its token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.to_hex();
        write!(f, "TokenHash({}…)", &hex[..8])
    }
}

/// Why text was not accepted as a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Not 43 base64url characters encoding 32 bytes.
    Malformed,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("session token is malformed")
    }
}

impl core::error::Error for TokenError {}
