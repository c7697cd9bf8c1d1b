//! What the load drivers ask the Redis server itself: emptying it between
//! runs and reading its command statistics.

use std::collections::BTreeMap;

use kauth_redis::{RedisPool, Value};

/// Deletes every key of the server, so that each run starts from nothing.
pub async fn flush_all(pool: &RedisPool) -> Result<(), String> {
    let reply = pool
        .query("flushall", &redis::cmd("FLUSHALL"))
        .await
        .map_err(|error| format!("FLUSHALL failed: {error}"))?;
    match reply {
        Value::Okay => Ok(()),
        other => Err(format!("FLUSHALL returned {other:?}")),
    }
}

/// Calls per command since the server started, from `INFO commandstats`,
/// keyed by the lowercase command name (`evalsha`, `get`, `script|load`).
///
/// Commands that scripts run count too, each under its own name.
pub async fn command_calls(pool: &RedisPool) -> Result<BTreeMap<String, u64>, String> {
    let reply = pool
        .query("info", redis::cmd("INFO").arg("commandstats"))
        .await
        .map_err(|error| format!("INFO commandstats failed: {error}"))?;
    let text = match reply {
        Value::BulkString(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Value::VerbatimString { text, .. } => text,
        other => return Err(format!("INFO commandstats returned {other:?}")),
    };
    Ok(parse_command_calls(&text))
}

/// Parses lines such as `cmdstat_get:calls=21,usec=175,...`.
fn parse_command_calls(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let (name, fields) = line.trim().strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = fields.split(',').find_map(|field| field.strip_prefix("calls="))?;
            Some((name.to_owned(), calls.parse().ok()?))
        })
        .collect()
}

/// The calls made between two [`command_calls`] readings, without the
/// `INFO` calls that took the readings. Commands with no new call are left
/// out.
pub fn calls_between(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .filter(|(name, _)| name.as_str() != "info")
        .filter_map(|(name, &calls)| {
            let made = calls - before.get(name).copied().unwrap_or(0);
            (made > 0).then(|| (name.clone(), made))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_calls_parse_and_subtract() {
        let before =
            parse_command_calls("# Commandstats\r\ncmdstat_get:calls=2,usec=3\r\ncmdstat_info:calls=1,usec=9\r\n");
        let after = parse_command_calls(
            "# Commandstats\r\ncmdstat_get:calls=5,usec=7\r\ncmdstat_info:calls=2,usec=9\r\ncmdstat_script|load:calls=1,usec=1\r\n",
        );
        let made = calls_between(&before, &after);
        assert_eq!(made.get("get"), Some(&3));
        assert_eq!(made.get("script|load"), Some(&1));
        assert_eq!(made.get("info"), None);
        assert_eq!(made.len(), 2);
    }
}
