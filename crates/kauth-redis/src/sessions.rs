//! The Redis session store: each operation is one generated script.

use std::net::IpAddr;

use kauth_core::session::{
    user_index_key, NewSession, SessionPolicy, SessionRecord, SessionTimes, SessionToken, TokenHash, RECORD_VERSION,
};
use rand_core::OsRng;
use redis::Value;

use crate::reply::{integers, kind, strings, ReplyError};
use crate::script::Script;
use crate::scripts::{
    SESSION_COUNT, SESSION_CREATE, SESSION_LIST, SESSION_REVOKE, SESSION_REVOKE_ALL, SESSION_ROTATE, SESSION_VALIDATE,
};
use crate::{RedisError, RedisPool};

/// Sessions in Redis, shared by every instance using the same server and
/// key prefix.
///
/// Each session is a hash at `<prefix>{sessions}:s:<token hash>` that expires
/// when the session ends; each user's index is a sorted set at
/// `<prefix>{sessions}:u:<workspace>:<user>` that outlives its sessions. All
/// session keys share the `{sessions}` hash tag, so that revoke-all and
/// rotate stay atomic scripts under Redis Cluster too. The cost: all
/// sessions of one prefix live in one cluster slot, on one shard.
#[derive(Clone, Debug)]
pub struct RedisSessionStore {
    pool: RedisPool,
    policy: SessionPolicy,
}

impl RedisSessionStore {
    /// A store over `pool`, creating and validating sessions under `policy`.
    pub fn new(pool: RedisPool, policy: SessionPolicy) -> Self {
        RedisSessionStore { pool, policy }
    }

    /// The policy sessions are created and validated under.
    pub fn policy(&self) -> &SessionPolicy {
        &self.policy
    }

    /// Creates a session; see the `SessionStore` trait of the `kauth` crate.
    pub async fn create(
        &self,
        new: NewSession,
        now_ms: Option<u64>,
    ) -> Result<(SessionToken, SessionRecord), RedisError> {
        new.validate().map_err(RedisError::InvalidSession)?;
        let token = SessionToken::generate(&mut OsRng);
        let hash = token.hash().to_hex();
        let index_key = self.index_key(&new.workspace, &new.user);
        let record_key = self.record_key(&hash);
        let ip = new.ip.map(|ip| ip.to_string()).unwrap_or_default();
        let user_agent = new.stored_user_agent().to_owned();
        let args = [
            now_arg(now_ms),
            self.record_prefix(),
            hash.to_string(),
            new.user,
            new.workspace,
            ip,
            user_agent,
            self.policy.absolute_ttl_ms().to_string(),
            self.policy.idle_timeout_ms().to_string(),
            self.policy.max_sessions_per_user().to_string(),
            RECORD_VERSION.to_string(),
        ];

        let reply = self
            .run(&SESSION_CREATE, "create", &[&index_key, &record_key], &args)
            .await?;
        let record = decode_record(&reply).map_err(|error| bad_reply("create", error))?;
        Ok((token, record))
    }

    /// Validates a token and touches its session when due.
    pub async fn validate(&self, token: &str, now_ms: Option<u64>) -> Result<Option<SessionRecord>, RedisError> {
        let Ok(token) = SessionToken::parse(token) else {
            return Ok(None);
        };
        let hash = token.hash().to_hex();
        let args = [now_arg(now_ms), self.policy.touch_interval_ms().to_string()];
        let reply = self
            .run(&SESSION_VALIDATE, "validate", &[&self.record_key(&hash)], &args)
            .await?;
        Ok(self.record_or_absent("validate", &reply))
    }

    /// Revokes one session; returns whether an active one existed.
    pub async fn revoke(&self, token: &str, now_ms: Option<u64>) -> Result<bool, RedisError> {
        let Ok(token) = SessionToken::parse(token) else {
            return Ok(false);
        };
        let record_key = self.record_key(&token.hash().to_hex());
        let reply = self
            .run(&SESSION_REVOKE, "revoke", &[&record_key], &[now_arg(now_ms)])
            .await?;
        let revoked = integers(&reply, 1).map_err(|error| bad_reply("revoke", error))?;
        Ok(revoked[0] == 1)
    }

    /// Revokes every session of a user; returns how many were active.
    pub async fn revoke_all(&self, workspace: &str, user: &str, now_ms: Option<u64>) -> Result<usize, RedisError> {
        let index_key = self.index_key(workspace, user);
        let args = [now_arg(now_ms), self.record_prefix()];
        let reply = self
            .run(&SESSION_REVOKE_ALL, "revoke_all", &[&index_key], &args)
            .await?;
        let revoked = integers(&reply, 1).map_err(|error| bad_reply("revoke_all", error))?;
        Ok(usize::try_from(revoked[0]).unwrap_or(0))
    }

    /// Lists a user's active sessions, oldest first.
    pub async fn list(
        &self,
        workspace: &str,
        user: &str,
        now_ms: Option<u64>,
    ) -> Result<Vec<SessionRecord>, RedisError> {
        let index_key = self.index_key(workspace, user);
        let args = [now_arg(now_ms), self.record_prefix()];
        let reply = self.run(&SESSION_LIST, "list", &[&index_key], &args).await?;
        let Value::Array(items) = reply else {
            return Err(bad_reply(
                "list",
                ReplyError(format!("expected an array, got {}", kind(&reply))),
            ));
        };
        Ok(items
            .iter()
            .filter_map(|item| self.record_or_absent("list", item))
            .collect())
    }

    /// Counts a user's active sessions.
    pub async fn count(&self, workspace: &str, user: &str, now_ms: Option<u64>) -> Result<usize, RedisError> {
        let index_key = self.index_key(workspace, user);
        let args = [now_arg(now_ms), self.record_prefix()];
        let reply = self.run(&SESSION_COUNT, "count", &[&index_key], &args).await?;
        let count = integers(&reply, 1).map_err(|error| bad_reply("count", error))?;
        Ok(usize::try_from(count[0]).unwrap_or(0))
    }

    /// Moves an active session to a new token; the old one stops working.
    pub async fn rotate(
        &self,
        token: &str,
        now_ms: Option<u64>,
    ) -> Result<Option<(SessionToken, SessionRecord)>, RedisError> {
        let Ok(old) = SessionToken::parse(token) else {
            return Ok(None);
        };
        let new = SessionToken::generate(&mut OsRng);
        let new_hash = new.hash().to_hex();
        let keys = [self.record_key(&old.hash().to_hex()), self.record_key(&new_hash)];
        let args = [now_arg(now_ms), new_hash.to_string()];
        let reply = self
            .run(&SESSION_ROTATE, "rotate", &[&keys[0], &keys[1]], &args)
            .await?;
        Ok(self.record_or_absent("rotate", &reply).map(|record| (new, record)))
    }

    async fn run(
        &self,
        script: &Script,
        operation: &'static str,
        keys: &[&str],
        args: &[String],
    ) -> Result<Value, RedisError> {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.pool.run_script(script, operation, keys, &args).await
    }

    /// A record from a reply, or `None` for nil. A record that cannot be
    /// decoded reads as absent and is reported.
    fn record_or_absent(&self, operation: &'static str, reply: &Value) -> Option<SessionRecord> {
        if matches!(reply, Value::Nil) {
            return None;
        }
        match decode_record(reply) {
            Ok(record) => Some(record),
            Err(error) => {
                tracing::warn!(store = "redis", operation, %error, "session record cannot be decoded; treating it as absent");
                None
            }
        }
    }

    fn record_prefix(&self) -> String {
        format!("{}{{sessions}}:s:", self.pool.config().key_prefix())
    }

    fn record_key(&self, hash_hex: &str) -> String {
        format!("{}{hash_hex}", self.record_prefix())
    }

    fn index_key(&self, workspace: &str, user: &str) -> String {
        format!(
            "{}{{sessions}}:u:{}",
            self.pool.config().key_prefix(),
            user_index_key(workspace, user)
        )
    }
}

fn now_arg(now_ms: Option<u64>) -> String {
    now_ms.map(|now_ms| now_ms.to_string()).unwrap_or_default()
}

fn bad_reply(operation: &'static str, error: ReplyError) -> RedisError {
    RedisError::Script {
        name: operation,
        message: error.to_string(),
    }
}

/// Decodes the fields `v, hash, user, ws, idx, created, last_seen, expires,
/// idle, ip, ua` that the session scripts return.
fn decode_record(reply: &Value) -> Result<SessionRecord, ReplyError> {
    let fields = strings(reply)?;
    let [version, hash, user, workspace, _index, created, last_seen, expires, idle, ip, user_agent] =
        <[Option<String>; 11]>::try_from(fields)
            .map_err(|fields| ReplyError(format!("expected 11 record fields, got {}", fields.len())))?;

    let text = |field: Option<String>, name: &str| field.ok_or_else(|| ReplyError(format!("record has no {name}")));
    let number = |field: Option<String>, name: &str| -> Result<u64, ReplyError> {
        text(field, name)?
            .parse()
            .map_err(|_| ReplyError(format!("record field {name} is not an integer")))
    };

    let version = text(version, "version")?;
    if version != RECORD_VERSION.to_string() {
        return Err(ReplyError(format!(
            "record format version {version} is not {RECORD_VERSION}"
        )));
    }
    let token_hash =
        TokenHash::from_hex(&text(hash, "hash")?).ok_or_else(|| ReplyError("record hash is not hex".into()))?;
    let ip = match text(ip, "ip")?.as_str() {
        "" => None,
        address => Some(
            address
                .parse::<IpAddr>()
                .map_err(|_| ReplyError("record ip is not an address".into()))?,
        ),
    };
    Ok(SessionRecord {
        version: RECORD_VERSION,
        token_hash,
        user: text(user, "user")?,
        workspace: text(workspace, "workspace")?,
        times: SessionTimes {
            created_ms: number(created, "created")?,
            last_seen_ms: number(last_seen, "last_seen")?,
            expires_at_ms: number(expires, "expires")?,
            idle_timeout_ms: number(idle, "idle")?,
        },
        ip,
        user_agent: text(user_agent, "user agent")?,
    })
}
