//! The core's algorithms and session rules, each emitted as a Lua function.

use kauth_core::lang::DecisionValues;
use kauth_core::session::{
    session_ends_at_ms, session_evictions, session_is_active, session_start, session_touch, SessionTimes,
};
use kauth_core::{check_counter, check_log, peek_counter, peek_log, CounterInput, CounterState, LogInput, MAX_VARS};

use super::emitter::{Emitter, Value};

/// A generated Lua function: its name and text.
pub struct Function {
    pub name: &'static str,
    pub text: String,
}

/// Every function a script may include.
pub fn all() -> Vec<Function> {
    vec![
        emit("check_log", &LOG_PARAMS, |l, p| {
            let outcome = check_log(l, log_input(p));
            let mut values = decision(&outcome.decision);
            values.extend([outcome.clock_ms, outcome.total]);
            values
        }),
        emit("peek_log", &LOG_PARAMS, |l, p| decision(&peek_log(l, log_input(p)))),
        emit("check_counter", &COUNTER_PARAMS, |l, p| {
            let outcome = check_counter(l, counter_input(p));
            let mut values = decision(&outcome.decision);
            values.extend([
                outcome.state.window_start_ms,
                outcome.state.current,
                outcome.state.previous,
            ]);
            values
        }),
        emit("peek_counter", &COUNTER_PARAMS, |l, p| {
            decision(&peek_counter(l, counter_input(p)))
        }),
        emit(
            "session_start",
            &["now_ms", "absolute_ttl_ms", "idle_timeout_ms"],
            |l, p| {
                let times = session_start(l, p[0], p[1], p[2]);
                vec![
                    times.created_ms,
                    times.last_seen_ms,
                    times.expires_at_ms,
                    times.idle_timeout_ms,
                ]
            },
        ),
        emit("session_ends_at_ms", &TIMES_PARAMS, |l, p| {
            vec![session_ends_at_ms(l, &times(p))]
        }),
        emit("session_is_active", &with(&TIMES_PARAMS, &["now_ms"]), |l, p| {
            vec![session_is_active(l, &times(p), p[4])]
        }),
        emit(
            "session_touch",
            &with(&TIMES_PARAMS, &["now_ms", "touch_interval_ms"]),
            |l, p| {
                let (touched, last_seen_ms) = session_touch(l, &times(p), p[4], p[5]);
                vec![touched, last_seen_ms]
            },
        ),
        emit("session_evictions", &["active", "max_sessions_per_user"], |l, p| {
            vec![session_evictions(l, p[0], p[1])]
        }),
    ]
}

const LOG_PARAMS: [&str; 7] = ["limit", "window_ms", "now_ms", "cost", "clock_ms", "total", "log"];
const COUNTER_PARAMS: [&str; 7] = [
    "limit",
    "window_ms",
    "now_ms",
    "cost",
    "window_start_ms",
    "current",
    "previous",
];
const TIMES_PARAMS: [&str; 4] = ["created_ms", "last_seen_ms", "expires_at_ms", "idle_timeout_ms"];

fn with(first: &[&'static str], then: &[&'static str]) -> Vec<&'static str> {
    first.iter().chain(then).copied().collect()
}

fn emit<F>(name: &'static str, params: &[&str], build: F) -> Function
where
    F: FnOnce(&mut Emitter, &[Value]) -> Vec<Value>,
{
    let (text, vars) = Emitter::function(name, params, build);
    assert!(
        vars <= MAX_VARS,
        "{name} declares {vars} variables over all its branches; the native interpreter holds {MAX_VARS}"
    );
    Function { name, text }
}

fn decision(values: &DecisionValues<Emitter>) -> Vec<Value> {
    vec![
        values.allowed,
        values.limit,
        values.remaining,
        values.retry_after_ms,
        values.reset_after_ms,
    ]
}

fn log_input(p: &[Value]) -> LogInput<Value> {
    LogInput {
        limit: p[0],
        window_ms: p[1],
        now_ms: p[2],
        cost: p[3],
        clock_ms: p[4],
        total: p[5],
    }
}

fn counter_input(p: &[Value]) -> CounterInput<Value> {
    CounterInput {
        limit: p[0],
        window_ms: p[1],
        now_ms: p[2],
        cost: p[3],
        state: CounterState {
            window_start_ms: p[4],
            current: p[5],
            previous: p[6],
        },
    }
}

fn times(p: &[Value]) -> SessionTimes<Value> {
    SessionTimes {
        created_ms: p[0],
        last_seen_ms: p[1],
        expires_at_ms: p[2],
        idle_timeout_ms: p[3],
    }
}
