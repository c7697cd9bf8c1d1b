//! Benchmarks of the kauth-core algorithms on a fake clock, in nanoseconds
//! per check, beside governor's direct (single-subject) limiter on its fake
//! clock as the baseline.
//!
//! Each case is one limiter and one scenario. Before it is measured, the case
//! is checked to produce the decisions its scenario names, and its
//! allocations per check are counted. The program prints those counts after
//! the benchmarks, also as one JSON line per case for `cargo xtask bench`,
//! and fails if a case that must not allocate did.
//!
//! Run with `cargo xtask bench [--quick]`.

use std::collections::VecDeque;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::process::ExitCode;
use std::time::Duration;

use criterion::Criterion;
use governor::clock::{Clock, FakeRelativeClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use kauth_benches::{print_result, CountingAllocator, FakeClock};
use kauth_core::{
    Algorithm, CheckError, Decision, LimiterTable, LogEntry, LogStorage, Policy, SlidingCounter, SlidingLog,
    DEFAULT_MAX_KEYS,
};
use serde_json::json;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

/// Hits admitted per window in every case.
const LIMIT: u32 = 5;
/// Window length in every case: one minute.
const WINDOW_MS: u64 = 60_000;
/// Capacity of the heapless log, which must be at least `LIMIT`.
const HEAPLESS_CAPACITY: usize = 8;
/// Keys in the table cases, each checked in turn.
const TABLE_KEYS: usize = 10_000;

/// First clock reading: 2023-11-14T22:13:20Z in unix-epoch milliseconds.
const START_MS: u64 = 1_700_000_000_000;
/// Checks run to verify a case before it is measured. They also warm it up.
const VERIFY_CHECKS: usize = 100_000;
/// Checks over which allocations are counted.
const ALLOCATION_CHECKS: u64 = 10_000;

/// The decisions that a case's checks are expected to produce.
#[derive(Clone, Copy, Debug)]
enum Scenario {
    /// Every check is admitted, and each one expires an older hit.
    Admitted,
    /// Nearly every check is rejected: the subject stays at its limit, and
    /// its hits expire as the clock moves, each freeing room for one more.
    Rejected,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Admitted => "admitted",
            Scenario::Rejected => "rejected",
        }
    }

    /// Clock step per check.
    ///
    /// Admitting every check takes a step longer than `WINDOW_MS / LIMIT`
    /// (12 s), because at exactly that rate the sliding counter, which
    /// rounds its estimate up, rejects some checks. At 3 ms a window
    /// spans 20,000 checks, of which about `LIMIT` are admitted.
    fn step_ms(self) -> u64 {
        match self {
            Scenario::Admitted => 15_000,
            Scenario::Rejected => 3,
        }
    }

    /// Panics unless `admitted` of `checks` matches the scenario.
    fn verify(self, case: &str, admitted: usize, checks: usize) {
        match self {
            Scenario::Admitted => {
                assert_eq!(admitted, checks, "{case}: some checks were rejected")
            }
            // At most 1 check in 1,000 may be admitted.
            Scenario::Rejected => assert!(
                admitted * 1_000 <= checks,
                "{case}: {admitted} of {checks} checks were admitted"
            ),
        }
    }
}

/// Anything that checks one hit of cost 1 at a given time.
trait Limiter {
    fn check(&mut self, policy: &Policy, now_ms: u64) -> Result<Decision, CheckError>;
}

impl<S: LogStorage> Limiter for SlidingLog<S> {
    fn check(&mut self, policy: &Policy, now_ms: u64) -> Result<Decision, CheckError> {
        SlidingLog::check(self, policy, now_ms, 1)
    }
}

impl Limiter for SlidingCounter {
    fn check(&mut self, policy: &Policy, now_ms: u64) -> Result<Decision, CheckError> {
        SlidingCounter::check(self, policy, now_ms, 1)
    }
}

/// A table whose keys are checked in turn, so each check finds its key
/// already tracked once the first round has inserted them all.
struct RoundRobinTable {
    table: LimiterTable<String>,
    keys: Vec<String>,
    next: usize,
}

impl RoundRobinTable {
    fn new(key_count: usize) -> Self {
        RoundRobinTable {
            table: LimiterTable::new(DEFAULT_MAX_KEYS),
            keys: (0..key_count).map(|index| format!("user-{index}")).collect(),
            next: 0,
        }
    }
}

impl Limiter for RoundRobinTable {
    fn check(&mut self, policy: &Policy, now_ms: u64) -> Result<Decision, CheckError> {
        let key = self.keys[self.next].as_str();
        self.next = (self.next + 1) % self.keys.len();
        self.table.check(key, policy, now_ms, 1)
    }
}

/// governor's direct limiter with the same quota (a burst of `LIMIT`, one
/// more every `WINDOW_MS / LIMIT`), on its fake clock moved to each check's
/// time. A rejection computes the wait, as a caller answering with
/// `Retry-After` must, and both outcomes are turned into a [`Decision`] so
/// that the cases are verified alike.
struct GovernorDirect {
    limiter: RateLimiter<NotKeyed, InMemoryState, FakeRelativeClock, NoOpMiddleware<Nanos>>,
    clock: FakeRelativeClock,
    clock_ms: u64,
}

impl GovernorDirect {
    fn new() -> Self {
        let clock = FakeRelativeClock::default();
        let quota = Quota::per_minute(NonZeroU32::new(LIMIT).expect("LIMIT is not zero"));
        GovernorDirect {
            limiter: RateLimiter::direct_with_clock(quota, clock.clone()),
            clock,
            clock_ms: START_MS,
        }
    }
}

impl Limiter for GovernorDirect {
    fn check(&mut self, _policy: &Policy, now_ms: u64) -> Result<Decision, CheckError> {
        self.clock.advance(Duration::from_millis(now_ms - self.clock_ms));
        self.clock_ms = now_ms;
        let (allowed, retry_after_ms) = match self.limiter.check() {
            Ok(()) => (true, 0),
            Err(not_until) => (false, not_until.wait_time_from(self.clock.now()).as_millis() as u64),
        };
        Ok(Decision {
            allowed,
            limit: LIMIT,
            remaining: 0,
            retry_after_ms,
            reset_after_ms: 0,
        })
    }
}

/// One benchmark: a limiter, its policy and the clock driving it.
struct Case<L> {
    name: String,
    limiter: L,
    policy: Policy,
    clock: FakeClock,
}

impl<L: Limiter> Case<L> {
    /// Builds the case and verifies on `VERIFY_CHECKS` checks that its
    /// decisions match `expected`.
    fn prepare(name: String, limiter: L, algorithm: Algorithm, step_ms: u64, expected: Scenario) -> Self {
        let policy = Policy::new(LIMIT, WINDOW_MS, algorithm).expect("the bench policy is valid");
        let mut case = Case {
            name,
            limiter,
            policy,
            clock: FakeClock::new(START_MS, step_ms),
        };

        let admitted = (0..VERIFY_CHECKS).filter(|_| case.check().allowed).count();
        expected.verify(&case.name, admitted, VERIFY_CHECKS);
        case
    }

    fn check(&mut self) -> Decision {
        let now_ms = self.clock.tick();
        match self.limiter.check(&self.policy, now_ms) {
            Ok(decision) => decision,
            Err(error) => panic!("{}: check failed at {now_ms} ms: {error}", self.name),
        }
    }
}

/// The number of allocations per check that a case is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AllocationTarget {
    /// None: the case must be allocation-free.
    Zero,
    /// Any number: the count is reported only.
    Unbounded,
}

/// The allocations per check of one case.
struct AllocationRow {
    case: String,
    per_check: f64,
    target: AllocationTarget,
}

impl AllocationRow {
    fn missed(&self) -> bool {
        self.target == AllocationTarget::Zero && self.per_check > 0.0
    }
}

/// Runs every case through criterion and collects its allocation count.
struct Benches {
    criterion: Criterion,
    allocations: Vec<AllocationRow>,
}

impl Benches {
    fn new() -> Self {
        Benches {
            criterion: Criterion::default().configure_from_args(),
            allocations: Vec::new(),
        }
    }

    /// Benchmarks one subject's limiter in every scenario.
    fn limiter<L: Limiter>(
        &mut self,
        group: &str,
        algorithm: Algorithm,
        target: AllocationTarget,
        mut make: impl FnMut() -> L,
    ) {
        for scenario in [Scenario::Admitted, Scenario::Rejected] {
            let name = format!("{group}/{}", scenario.name());
            let case = Case::prepare(name, make(), algorithm, scenario.step_ms(), scenario);
            self.run(case, target);
        }
    }

    /// Benchmarks a table of `TABLE_KEYS` keys checked in turn, 3 ms apart.
    /// Each key comes back every 30 s, so it has at most two hits in any
    /// window and every check is admitted.
    fn table(&mut self, group: &str, algorithm: Algorithm) {
        let name = format!("{group}/admitted");
        let table = RoundRobinTable::new(TABLE_KEYS);
        let case = Case::prepare(name, table, algorithm, 3, Scenario::Admitted);
        // Verifying the case has inserted every key, so counting sees only
        // lookups of tracked keys.
        self.run(case, AllocationTarget::Zero);
    }

    fn run<L: Limiter>(&mut self, mut case: Case<L>, target: AllocationTarget) {
        let per_check = ALLOCATOR.allocations_per_call(ALLOCATION_CHECKS, || {
            black_box(case.check());
        });
        self.allocations.push(AllocationRow {
            case: case.name.clone(),
            per_check,
            target,
        });

        let name = case.name.clone();
        self.criterion
            .bench_function(&name, |bencher| bencher.iter(|| case.check()));
    }

    /// Prints criterion's summary and the allocations per check. Returns
    /// whether every allocation-free case allocated nothing.
    fn finish(self) -> bool {
        self.criterion.final_summary();

        println!("\nallocations per check, counted over {ALLOCATION_CHECKS} checks after warm-up:");
        for row in &self.allocations {
            let verdict = match (row.target, row.missed()) {
                (AllocationTarget::Unbounded, _) => "",
                (AllocationTarget::Zero, false) => "  (target 0: met)",
                (AllocationTarget::Zero, true) => "  (target 0: MISSED)",
            };
            println!("  {:<44} {:>6.3}{verdict}", row.case, row.per_check);
        }
        for row in &self.allocations {
            print_result(&json!({
                "case": row.case,
                "allocations_per_check": row.per_check,
                "allocation_target": match row.target {
                    AllocationTarget::Zero => Some(0),
                    AllocationTarget::Unbounded => None,
                },
            }));
        }
        !self.allocations.iter().any(AllocationRow::missed)
    }
}

fn main() -> ExitCode {
    let mut benches = Benches::new();

    benches.limiter(
        "sliding_log/vec_deque",
        Algorithm::SlidingLog,
        AllocationTarget::Zero,
        || SlidingLog::new(VecDeque::<LogEntry>::new()),
    );
    benches.limiter(
        "sliding_log/heapless",
        Algorithm::SlidingLog,
        AllocationTarget::Zero,
        || SlidingLog::new(heapless::Deque::<LogEntry, HEAPLESS_CAPACITY>::new()),
    );
    benches.limiter(
        "sliding_counter",
        Algorithm::SlidingCounter,
        AllocationTarget::Zero,
        SlidingCounter::new,
    );
    // The baseline ignores the policy it is handed and keeps its own quota.
    benches.limiter(
        "governor/direct",
        Algorithm::SlidingCounter,
        AllocationTarget::Unbounded,
        GovernorDirect::new,
    );
    benches.table("limiter_table_10k/sliding_log", Algorithm::SlidingLog);
    benches.table("limiter_table_10k/sliding_counter", Algorithm::SlidingCounter);

    if benches.finish() {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: a case with an allocation target of 0 allocated; see the table above");
        ExitCode::FAILURE
    }
}
