//! What a store keeps for each session.

use alloc::string::String;
use core::fmt;
use core::net::IpAddr;

use super::{SessionPolicy, SessionTimes, TokenHash};
use crate::key::{check_workspace, write_escaped, KeyError};

/// Current record format version.
pub const RECORD_VERSION: u8 = 1;
/// Maximum user id length in bytes.
pub const MAX_USER_LEN: usize = 256;
/// User agents longer than this many bytes are cut at a character boundary:
/// a long header is not worth refusing a login over, nor worth storing.
pub const MAX_USER_AGENT_LEN: usize = 512;

/// The caller's description of a session to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    /// The user id, 1 to [`MAX_USER_LEN`] bytes.
    pub user: String,
    /// The workspace, 1 to [`MAX_WORKSPACE_LEN`](crate::MAX_WORKSPACE_LEN) bytes.
    pub workspace: String,
    /// The client's address, if known.
    pub ip: Option<IpAddr>,
    /// The client's user agent; cut to [`MAX_USER_AGENT_LEN`] bytes.
    pub user_agent: String,
}

impl NewSession {
    /// Checks the fields against their bounds, naming the first one at fault.
    pub fn validate(&self) -> Result<(), SessionInputError> {
        check_workspace(&self.workspace).map_err(SessionInputError::Workspace)?;
        if self.user.is_empty() {
            return Err(SessionInputError::EmptyUser);
        }
        if self.user.len() > MAX_USER_LEN {
            return Err(SessionInputError::UserTooLong {
                len: self.user.len(),
                max: MAX_USER_LEN,
            });
        }
        Ok(())
    }

    /// The user agent as records keep it: cut to [`MAX_USER_AGENT_LEN`]
    /// bytes at a character boundary.
    pub fn stored_user_agent(&self) -> &str {
        let mut end = self.user_agent.len().min(MAX_USER_AGENT_LEN);
        while !self.user_agent.is_char_boundary(end) {
            end -= 1;
        }
        &self.user_agent[..end]
    }

    /// The record of this session created at `now_ms` under `policy`.
    pub fn to_record(&self, token_hash: TokenHash, policy: &SessionPolicy, now_ms: u64) -> SessionRecord {
        SessionRecord {
            version: RECORD_VERSION,
            token_hash,
            user: self.user.clone(),
            workspace: self.workspace.clone(),
            times: SessionTimes::start(policy, now_ms),
            ip: self.ip,
            user_agent: String::from(self.stored_user_agent()),
        }
    }
}

/// A stored session. Holds the token's hash, never the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// Format version, [`RECORD_VERSION`] for records written by this build.
    pub version: u8,
    /// Hash of the session's token.
    pub token_hash: TokenHash,
    /// The user id.
    pub user: String,
    /// The workspace.
    pub workspace: String,
    /// Creation, last use and expiry.
    pub times: SessionTimes,
    /// The client's address at creation, if known.
    pub ip: Option<IpAddr>,
    /// The client's user agent at creation, at most [`MAX_USER_AGENT_LEN`] bytes.
    pub user_agent: String,
}

/// The key naming a user's set of sessions: `<workspace>:<user>`, both
/// percent-escaped like rate-limit keys, so distinct pairs never share one.
pub fn user_index_key(workspace: &str, user: &str) -> String {
    let mut key = String::with_capacity(workspace.len() + user.len() + 1);
    // Writing to a String cannot fail.
    let _ = write_escaped(&mut key, workspace);
    key.push(':');
    let _ = write_escaped(&mut key, user);
    key
}

/// Why a session could not be created from the given fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionInputError {
    /// The workspace was empty or too long.
    Workspace(KeyError),
    /// The user id was empty.
    EmptyUser,
    /// The user id was longer than [`MAX_USER_LEN`] bytes.
    UserTooLong {
        /// Its length in bytes.
        len: usize,
        /// The maximum in bytes.
        max: usize,
    },
}

impl fmt::Display for SessionInputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionInputError::Workspace(error) => error.fmt(f),
            SessionInputError::EmptyUser => f.write_str("user is empty"),
            SessionInputError::UserTooLong { len, max } => {
                write!(f, "user is {len} bytes long, above the maximum of {max}")
            }
        }
    }
}

impl core::error::Error for SessionInputError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            SessionInputError::Workspace(error) => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_is_cut_at_char_boundary() {
        let session = NewSession {
            user: String::from("u1"),
            workspace: String::from("acme"),
            ip: None,
            user_agent: "é".repeat(300), // 600 bytes
        };
        let cut = session.stored_user_agent();
        assert_eq!(cut.len(), 512);
        assert!(cut.chars().all(|c| c == 'é'));
    }

    #[test]
    fn user_index_keys_do_not_collide() {
        assert_ne!(user_index_key("a:b", "c"), user_index_key("a", "b:c"));
        assert_eq!(user_index_key("a:b", "c"), "a%3Ab:c");
    }

    #[test]
    fn validation_names_field() {
        let mut session = NewSession {
            user: String::from("u1"),
            workspace: String::new(),
            ip: None,
            user_agent: String::new(),
        };
        assert_eq!(
            session.validate(),
            Err(SessionInputError::Workspace(KeyError::EmptyWorkspace))
        );
        session.workspace = String::from("acme");
        session.user = "x".repeat(MAX_USER_LEN + 1);
        assert_eq!(
            session.validate(),
            Err(SessionInputError::UserTooLong { len: 257, max: 256 })
        );
    }
}
