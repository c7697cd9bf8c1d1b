//! The authentication tiers and their default policies.

use core::fmt;

use crate::{Algorithm, Policy};

/// A class of authentication request limited separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// Login attempts, counted per client IP and workspace.
    Login,
    /// MFA challenges, counted per user and workspace.
    Mfa,
    /// Password reset requests, counted per email address and workspace.
    PasswordReset,
}

impl Tier {
    /// Every tier, in a fixed order.
    pub const ALL: [Tier; 3] = [Tier::Login, Tier::Mfa, Tier::PasswordReset];

    /// Stable name used in keys, URLs and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Tier::Login => "login",
            Tier::Mfa => "mfa",
            Tier::PasswordReset => "password-reset",
        }
    }

    /// The default policy: login 5 per 60 s, MFA 5 per 300 s, password reset
    /// 3 per 300 s, all enforced by the exact sliding log.
    pub const fn default_policy(self) -> Policy {
        let (limit, window_ms) = match self {
            Tier::Login => (5, 60_000),
            Tier::Mfa => (5, 300_000),
            Tier::PasswordReset => (3, 300_000),
        };
        match Policy::new(limit, window_ms, Algorithm::SlidingLog) {
            Ok(policy) => policy,
            Err(_) => panic!("default tier policies are within bounds"),
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The policy of each tier, starting from the defaults.
///
/// ```
/// use kauth_core::{Algorithm, Policy, Tier, TierPolicies};
///
/// let mut policies = TierPolicies::default();
/// assert_eq!(policies.get(Tier::Login).limit(), 5);
/// policies.set(Tier::Login, Policy::new(10, 60_000, Algorithm::SlidingCounter).unwrap());
/// assert_eq!(policies.get(Tier::Login).limit(), 10);
/// assert_eq!(policies.get(Tier::PasswordReset).limit(), 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TierPolicies {
    login: Policy,
    mfa: Policy,
    password_reset: Policy,
}

impl TierPolicies {
    /// The policy of `tier`.
    pub const fn get(&self, tier: Tier) -> Policy {
        match tier {
            Tier::Login => self.login,
            Tier::Mfa => self.mfa,
            Tier::PasswordReset => self.password_reset,
        }
    }

    /// Replaces the policy of `tier`.
    pub fn set(&mut self, tier: Tier, policy: Policy) {
        match tier {
            Tier::Login => self.login = policy,
            Tier::Mfa => self.mfa = policy,
            Tier::PasswordReset => self.password_reset = policy,
        }
    }
}

impl Default for TierPolicies {
    fn default() -> Self {
        TierPolicies {
            login: Tier::Login.default_policy(),
            mfa: Tier::Mfa.default_policy(),
            password_reset: Tier::PasswordReset.default_policy(),
        }
    }
}
