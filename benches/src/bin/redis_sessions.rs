//! Session validations per second against one Redis server: kauth-redis's
//! `RedisSessionStore::validate` or tower-sessions' `RedisStore::load` (its
//! Redis store, over fred), at each of several numbers of concurrent callers.
//!
//! The driver first empties the server and creates `--sessions` sessions,
//! one per user, each holding the same facts (user, workspace, client
//! address, user agent); then each caller validates a session chosen
//! uniformly, by its token (kauth) or its id (tower-sessions). Both stores
//! get 8 connections: kauth's default pool, and a fred pool of 8 clients.
//!
//! Around each level it reads the server's `INFO commandstats` and reports
//! the calls of each command divided by the validations made, warm-up
//! included, so that round trips per validation can be read off.
//!
//! ```text
//! redis_sessions --url redis://127.0.0.1:PORT --store kauth|tower-sessions
//!                [--callers 1,16,64] [--sessions 10000] [--warmup-ms 500]
//!                [--duration-ms 3000] [--threads 1]
//! ```

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use kauth_benches::{
    calls_between, command_calls, flush_all, print_result, run_load, runtime, subject_ip, LoadPlan, Options, WORKSPACE,
};
use kauth_core::session::{NewSession, SessionPolicy};
use kauth_redis::{RedisConfig, RedisPool, RedisSessionStore};
use serde_json::{json, Value};
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::SessionStore;
use tower_sessions_redis_store::fred::prelude::{Builder, ClientLike, Config, Pool};
use tower_sessions_redis_store::RedisStore;

/// Connections each store gets: kauth's default pool size.
const CONNECTIONS: usize = 8;
/// Sessions created at once while setting up.
const CREATE_CONCURRENCY: usize = 64;
/// A browser's user agent, stored with every session.
const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// The measured side and what it needs to validate session `index`.
#[derive(Clone)]
enum Store {
    Kauth {
        store: RedisSessionStore,
        tokens: Arc<Vec<String>>,
    },
    TowerSessions {
        store: RedisStore<Pool>,
        ids: Arc<Vec<Id>>,
    },
}

impl Store {
    fn name(&self) -> &'static str {
        match self {
            Store::Kauth { .. } => "kauth",
            Store::TowerSessions { .. } => "tower-sessions",
        }
    }

    /// Validates session `index`; a missing session is an error, since every
    /// session created is still active while the benchmark runs.
    fn validate(&self, index: u32) -> impl Future<Output = Result<(), String>> + Send + 'static {
        let store = self.clone();
        async move {
            let found = match &store {
                Store::Kauth { store, tokens } => store
                    .validate(&tokens[index as usize], None)
                    .await
                    .map_err(|error| format!("kauth validate failed: {error}"))?
                    .is_some(),
                Store::TowerSessions { store, ids } => store
                    .load(&ids[index as usize])
                    .await
                    .map_err(|error| format!("tower-sessions load failed: {error}"))?
                    .is_some(),
            };
            match found {
                true => Ok(()),
                false => Err(format!("session {index} was not found")),
            }
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("redis_sessions: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let options = Options::from_env()?;
    let url = options.text("url")?.to_owned();
    let store_name = options.text("store")?.to_owned();
    let callers = options.list("callers", &[1, 16, 64])?;
    let sessions: u32 = options.get("sessions", 10_000)?;
    let warmup = Duration::from_millis(options.get("warmup-ms", 500)?);
    let duration = Duration::from_millis(options.get("duration-ms", 3_000)?);
    let threads: usize = options.get("threads", 1)?;
    if sessions == 0 {
        return Err("--sessions must be at least 1".to_owned());
    }

    runtime(threads).block_on(async {
        // This pool only empties the server and reads its statistics.
        let config = RedisConfig::builder(url.clone())
            .pool_size(1)
            .build()
            .map_err(|error| error.to_string())?;
        let admin = RedisPool::connect(&config).await.map_err(|error| error.to_string())?;
        flush_all(&admin).await?;

        let store = match store_name.as_str() {
            "kauth" => kauth_store(&url, sessions).await?,
            "tower-sessions" => tower_sessions_store(&url, sessions).await?,
            other => return Err(format!("unknown store `{other}`; expected kauth or tower-sessions")),
        };

        for callers in callers {
            let plan = LoadPlan {
                callers,
                warmup,
                duration,
                keys: sessions,
            };
            let before = command_calls(&admin).await?;
            let validating = store.clone();
            let result = run_load(plan, u64::from(callers), move |index| validating.validate(index)).await;
            let after = command_calls(&admin).await?;
            if let Some(error) = &result.error {
                return Err(error.clone());
            }

            print_result(&json!({
                "store": store.name(),
                "callers": callers,
                "threads": threads,
                "requests": result.window_requests,
                "seconds": result.window_s,
                "per_second": result.per_second(),
                "validations": result.total_requests,
                "calls_per_validation": per_validation(&calls_between(&before, &after), result.total_requests),
            }));
        }
        Ok(())
    })
}

fn per_validation(calls: &BTreeMap<String, u64>, validations: u64) -> Value {
    let per: serde_json::Map<String, Value> = calls
        .iter()
        .map(|(name, &count)| (name.clone(), json!(count as f64 / validations as f64)))
        .collect();
    Value::Object(per)
}

/// The facts every benchmark session holds: user `index` of the benchmark
/// workspace, connecting from subject address `index`.
fn new_session(index: u32) -> NewSession {
    NewSession {
        user: format!("user-{index}"),
        workspace: WORKSPACE.to_owned(),
        ip: Some(IpAddr::V4(subject_ip(index))),
        user_agent: USER_AGENT.to_owned(),
    }
}

async fn kauth_store(url: &str, sessions: u32) -> Result<Store, String> {
    let config = RedisConfig::builder(url).build().map_err(|error| error.to_string())?;
    let pool = RedisPool::connect(&config).await.map_err(|error| error.to_string())?;
    let store = RedisSessionStore::new(pool, SessionPolicy::default());

    let tokens = create_all(sessions, |index| {
        let store = store.clone();
        async move {
            let (token, _) = store
                .create(new_session(index), None)
                .await
                .map_err(|error| format!("kauth create failed: {error}"))?;
            Ok(token.as_str().to_owned())
        }
    })
    .await?;
    Ok(Store::Kauth {
        store,
        tokens: Arc::new(tokens),
    })
}

async fn tower_sessions_store(url: &str, sessions: u32) -> Result<Store, String> {
    let config = Config::from_url(url).map_err(|error| format!("invalid URL for fred: {error}"))?;
    let pool = Builder::from_config(config)
        .build_pool(CONNECTIONS)
        .map_err(|error| format!("cannot build the fred pool: {error}"))?;
    pool.init()
        .await
        .map_err(|error| format!("cannot connect the fred pool: {error}"))?;
    let store = RedisStore::new(pool);

    let ids = create_all(sessions, |index| {
        let store = store.clone();
        async move {
            let mut record = tower_record(index);
            store
                .create(&mut record)
                .await
                .map_err(|error| format!("tower-sessions create failed: {error}"))?;
            Ok(record.id)
        }
    })
    .await?;
    Ok(Store::TowerSessions {
        store,
        ids: Arc::new(ids),
    })
}

/// A tower-sessions record with the facts of [`new_session`], expiring in
/// 24 hours like kauth's default policy.
fn tower_record(index: u32) -> Record {
    let session = new_session(index);
    let ip = session.ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let now = time::OffsetDateTime::now_utc();
    let data: HashMap<String, Value> = HashMap::from([
        ("user".to_owned(), json!(session.user)),
        ("workspace".to_owned(), json!(session.workspace)),
        ("ip".to_owned(), json!(ip.to_string())),
        ("user_agent".to_owned(), json!(session.user_agent)),
        ("created_ms".to_owned(), json!(now.unix_timestamp() * 1_000)),
    ]);
    Record {
        id: Id::default(),
        data,
        expiry_date: now + time::Duration::hours(24),
    }
}

/// Runs `create` for every index below `count`, `CREATE_CONCURRENCY` at a
/// time, and returns the results in index order.
async fn create_all<T, F, Fut>(count: u32, create: F) -> Result<Vec<T>, String>
where
    T: Send + 'static,
    F: Fn(u32) -> Fut,
    Fut: Future<Output = Result<T, String>> + Send + 'static,
{
    let mut created = Vec::with_capacity(count as usize);
    let indexes: Vec<u32> = (0..count).collect();
    for batch in indexes.chunks(CREATE_CONCURRENCY) {
        let tasks: Vec<_> = batch.iter().map(|&index| tokio::spawn(create(index))).collect();
        for task in tasks {
            let outcome = task.await.map_err(|error| format!("a create task failed: {error}"))?;
            created.push(outcome?);
        }
    }
    Ok(created)
}
