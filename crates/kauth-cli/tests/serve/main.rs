//! `kauth serve` end to end: the built binary, over real HTTP on loopback
//! ports, on the in-memory stores and on a Redis started by the test.

mod bad_requests;
mod flows;
mod harness;
mod memory;
mod outage;
mod redis;
mod shutdown;
