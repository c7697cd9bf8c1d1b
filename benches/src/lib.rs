//! Helpers for the kauth benchmarks: a fake clock, so that benchmarks never
//! read the system clock; an allocator that counts allocations and live
//! bytes, so that they can report allocations per check and bytes per
//! subject; the subjects and key choices that kauth and its peers share;
//! and the command line and result lines of the load drivers in `src/bin`.
//!
//! `cargo xtask bench` runs the criterion benches and the drivers, reads the
//! drivers' result lines (one JSON object per line on stdout) and prints the
//! comparison table.

mod alloc;
mod cli;
mod clock;
mod keys;
mod load;
mod server_info;

pub use alloc::CountingAllocator;
pub use cli::{print_result, Options};
pub use clock::FakeClock;
pub use keys::{login_key, subject_ip, KeyChoice, SplitMix64, WORKSPACE};
pub use load::{run_load, runtime, LoadPlan, LoadResult};
pub use server_info::{calls_between, command_calls, flush_all};
