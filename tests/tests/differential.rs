//! kauth-mem and kauth-redis driven by the same seeded random operations on
//! one clock must return identical decisions and records.
//!
//! A failure names its seed; `KAUTH_DIFF_SEED=<seed>` reruns that one seed.

use std::fmt::Debug;

use kauth::core::session::{NewSession, SessionPolicy, SessionRecord};
use kauth::core::{Algorithm, Policy, RateKey, Subject, Tier};
use kauth::{Error, Now, RateLimiter, SessionStore};
use kauth_mem::{MemoryRateLimiter, MemorySessionStore};
use kauth_redis::{RedisRateLimiter, RedisSessionStore};
use kauth_tests::redis_server::RedisServer;
use kauth_tests::{connect, T0_MS};

const OPERATIONS_PER_SEED: usize = 3_000;
const DEFAULT_SEEDS: [u64; 4] = [1, 2, 3, 0x5eed_cafe];

/// SplitMix64: small, seedable and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn percent(&mut self) -> u64 {
        self.below(100)
    }
}

fn policies() -> Vec<Policy> {
    [
        (3, 10_000, Algorithm::SlidingLog),
        (5, 60_000, Algorithm::SlidingLog),
        (1, 20_000, Algorithm::SlidingLog),
        (4, 10_000, Algorithm::SlidingCounter),
        (10, 60_000, Algorithm::SlidingCounter),
        (2, 30_000, Algorithm::SlidingCounter),
    ]
    .into_iter()
    .map(|(limit, window_ms, algorithm)| Policy::new(limit, window_ms, algorithm).unwrap())
    .collect()
}

fn session_policy() -> SessionPolicy {
    SessionPolicy::new(300_000, 60_000, 3).unwrap()
}

/// The parts of a record both backends must agree on: everything but the
/// token hash, which differs because each backend draws its own tokens.
fn comparable(record: &SessionRecord) -> impl PartialEq + Debug {
    (
        record.version,
        record.user.clone(),
        record.workspace.clone(),
        record.times,
        record.ip,
        record.user_agent.clone(),
    )
}

fn same<T: PartialEq + Debug>(what: &str, memory: T, redis: T) -> Result<(), String> {
    if memory == redis {
        Ok(())
    } else {
        Err(format!("{what}: memory {memory:?}, redis {redis:?}"))
    }
}

fn error_text<T>(result: &Result<T, Error>) -> Option<String> {
    result.as_ref().err().map(ToString::to_string)
}

/// Both backends behind the traits, so both are called the same way.
struct Backends {
    memory_limiter: Box<dyn RateLimiter>,
    memory_sessions: Box<dyn SessionStore>,
    redis_limiter: Box<dyn RateLimiter>,
    redis_sessions: Box<dyn SessionStore>,
}

struct Run {
    rng: Rng,
    now_ms: u64,
    latest_ms: u64,
    workspace: String,
    policies: Vec<Policy>,
    /// Tokens of created sessions: (memory, redis).
    tokens: Vec<(String, String)>,
}

const USERS: [&str; 3] = ["ann", "bob", "cy"];
const CLIENTS: [&str; 4] = ["203.0.113.1", "203.0.113.2", "2001:db8::1", "2001:db8::2"];

impl Run {
    fn step_clock(&mut self) {
        let roll = self.rng.percent();
        self.now_ms = match roll {
            0..=69 => self.now_ms + self.rng.below(3_000),
            70..=84 => self.now_ms,
            85..=94 => self.now_ms + 10_000 + self.rng.below(60_000),
            _ => self.now_ms.saturating_sub(self.rng.below(5_000)),
        };
        self.latest_ms = self.latest_ms.max(self.now_ms);
    }

    fn key(&mut self) -> RateKey {
        let client = CLIENTS[self.rng.below(CLIENTS.len() as u64) as usize];
        RateKey::new(Tier::Login, &self.workspace, &Subject::client(client)).unwrap()
    }

    fn policy_and_cost(&mut self) -> (Policy, u32) {
        let policy = self.policies[self.rng.below(self.policies.len() as u64) as usize];
        let cost = if self.rng.percent() < 5 {
            policy.limit() + 1
        } else {
            1 + self.rng.below(u64::from(policy.limit())) as u32
        };
        (policy, cost)
    }

    fn user(&mut self) -> &'static str {
        USERS[self.rng.below(USERS.len() as u64) as usize]
    }

    /// A created session's tokens with their index, or, with no index, a
    /// token neither store knows.
    fn tokens(&mut self) -> (Option<usize>, String, String) {
        if self.tokens.is_empty() || self.rng.percent() < 10 {
            let unknown = "A".repeat(43);
            return (None, unknown.clone(), unknown);
        }
        let index = self.rng.below(self.tokens.len() as u64) as usize;
        let (memory, redis) = self.tokens[index].clone();
        (Some(index), memory, redis)
    }

    async fn operation(&mut self, stores: &Backends) -> Result<String, String> {
        self.step_clock();
        let now = Now::At(self.now_ms);
        let roll = self.rng.percent();
        match roll {
            0..=44 => {
                let (key, (policy, cost)) = (self.key(), self.policy_and_cost());
                let memory = stores.memory_limiter.check(&key, &policy, cost, now).await;
                let redis = stores.redis_limiter.check(&key, &policy, cost, now).await;
                same("check errors", error_text(&memory), error_text(&redis))?;
                same("check", memory.ok(), redis.ok())?;
                Ok(format!("check {key} {policy:?} cost {cost}"))
            }
            45..=54 => {
                let (key, (policy, cost)) = (self.key(), self.policy_and_cost());
                let memory = stores.memory_limiter.peek(&key, &policy, cost, now).await;
                let redis = stores.redis_limiter.peek(&key, &policy, cost, now).await;
                same("peek errors", error_text(&memory), error_text(&redis))?;
                same("peek", memory.ok(), redis.ok())?;
                Ok(format!("peek {key} {policy:?} cost {cost}"))
            }
            55..=57 => {
                let key = self.key();
                stores.memory_limiter.reset(&key).await.unwrap();
                stores.redis_limiter.reset(&key).await.unwrap();
                Ok(format!("reset {key}"))
            }
            58..=69 => {
                // Creation times stay distinct, so both backends order and
                // evict sessions identically although their hashes differ.
                self.now_ms = self.latest_ms + 1;
                self.latest_ms = self.now_ms;
                let user = self.user();
                let new = NewSession {
                    user: user.to_owned(),
                    workspace: self.workspace.clone(),
                    ip: Some("198.51.100.7".parse().unwrap()),
                    user_agent: format!("agent-{}", self.rng.below(1_000)),
                };
                let memory = stores
                    .memory_sessions
                    .create(new.clone(), Now::At(self.now_ms))
                    .await
                    .unwrap();
                let redis = stores.redis_sessions.create(new, Now::At(self.now_ms)).await.unwrap();
                same("create", comparable(&memory.record), comparable(&redis.record))?;
                self.tokens
                    .push((memory.token.as_str().to_owned(), redis.token.as_str().to_owned()));
                Ok(format!("create {user}"))
            }
            70..=84 => {
                let (_, memory_token, redis_token) = self.tokens();
                let memory = stores.memory_sessions.validate(&memory_token, now).await.unwrap();
                let redis = stores.redis_sessions.validate(&redis_token, now).await.unwrap();
                same(
                    "validate",
                    memory.as_ref().map(comparable),
                    redis.as_ref().map(comparable),
                )?;
                Ok("validate".to_owned())
            }
            85..=88 => {
                let (_, memory_token, redis_token) = self.tokens();
                let memory = stores.memory_sessions.revoke(&memory_token, now).await.unwrap();
                let redis = stores.redis_sessions.revoke(&redis_token, now).await.unwrap();
                same("revoke", memory, redis)?;
                Ok("revoke".to_owned())
            }
            89 => {
                let user = self.user();
                let memory = stores
                    .memory_sessions
                    .revoke_all(&self.workspace, user, now)
                    .await
                    .unwrap();
                let redis = stores
                    .redis_sessions
                    .revoke_all(&self.workspace, user, now)
                    .await
                    .unwrap();
                same("revoke_all", memory, redis)?;
                Ok(format!("revoke_all {user}"))
            }
            90..=93 => {
                let (index, memory_token, redis_token) = self.tokens();
                let memory = stores.memory_sessions.rotate(&memory_token, now).await.unwrap();
                let redis = stores.redis_sessions.rotate(&redis_token, now).await.unwrap();
                same(
                    "rotate",
                    memory.as_ref().map(|issued| comparable(&issued.record)),
                    redis.as_ref().map(|issued| comparable(&issued.record)),
                )?;
                if let (Some(index), Some(memory), Some(redis)) = (index, memory, redis) {
                    self.tokens[index] = (memory.token.as_str().to_owned(), redis.token.as_str().to_owned());
                }
                Ok("rotate".to_owned())
            }
            _ => {
                let user = self.user();
                let memory = stores.memory_sessions.list(&self.workspace, user, now).await.unwrap();
                let redis = stores.redis_sessions.list(&self.workspace, user, now).await.unwrap();
                same(
                    "list",
                    memory.iter().map(comparable).collect::<Vec<_>>(),
                    redis.iter().map(comparable).collect::<Vec<_>>(),
                )?;
                let memory = stores.memory_sessions.count(&self.workspace, user, now).await.unwrap();
                let redis = stores.redis_sessions.count(&self.workspace, user, now).await.unwrap();
                same("count", memory, redis)?;
                Ok(format!("list and count {user}"))
            }
        }
    }
}

async fn run_seed(seed: u64, server: &RedisServer) -> Result<(), String> {
    let pool = connect(server, "differential:").await;
    let stores = Backends {
        memory_limiter: Box::new(MemoryRateLimiter::default()),
        memory_sessions: Box::new(MemorySessionStore::builder().policy(session_policy()).build()),
        redis_limiter: Box::new(RedisRateLimiter::new(pool.clone())),
        redis_sessions: Box::new(RedisSessionStore::new(pool, session_policy())),
    };
    let mut run = Run {
        rng: Rng(seed),
        now_ms: T0_MS,
        latest_ms: T0_MS,
        workspace: format!("seed-{seed}"),
        policies: policies(),
        tokens: Vec::new(),
    };
    let mut previous = String::from("(start)");
    for index in 0..OPERATIONS_PER_SEED {
        match run.operation(&stores).await {
            Ok(description) => previous = description,
            Err(mismatch) => {
                return Err(format!(
                    "seed {seed}, operation {index} at {} ms (previous: {previous}): {mismatch}; \
                     rerun with KAUTH_DIFF_SEED={seed}",
                    run.now_ms - T0_MS
                ))
            }
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_and_redis_agree_on_random_operations() {
    let seeds: Vec<u64> = match std::env::var("KAUTH_DIFF_SEED") {
        Ok(seed) => vec![seed.parse().expect("KAUTH_DIFF_SEED must be an unsigned integer")],
        Err(_) => DEFAULT_SEEDS.to_vec(),
    };
    let server = RedisServer::start();
    for seed in seeds {
        if let Err(mismatch) = run_seed(seed, &server).await {
            panic!("{mismatch}");
        }
    }
}
