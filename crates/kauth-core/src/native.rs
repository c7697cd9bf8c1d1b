//! [`Native`]: the algorithms' language run as plain Rust.

use core::ops::{Deref, DerefMut};

use crate::lang::{Lang, LogRead, LogWrite};
use crate::LogEntry;
use crate::LogStorage;

/// Most variables one run of an algorithm may declare. The Lua emitter
/// counts the declarations of every algorithm over all of its branches and
/// refuses to generate scripts for one that declares more, or that declares
/// a variable inside a loop, so no run can exceed this.
pub const MAX_VARS: usize = 16;

/// Runs an algorithm on `u64`s, over a log reached through `T` (`&S` to
/// read, `&mut S` to write, `()` for algorithms without a log).
///
/// Arithmetic saturates instead of wrapping: `sub` at 0 as the language
/// requires, `add` and `mul` at `u64::MAX`, which no input below 2^53 reaches.
pub struct Native<T> {
    log: T,
    vars: [u64; MAX_VARS],
    declared: usize,
}

impl<T> Native<T> {
    /// An interpreter over `log`.
    pub fn new(log: T) -> Self {
        Native {
            log,
            vars: [0; MAX_VARS],
            declared: 0,
        }
    }
}

impl<T> Lang for Native<T> {
    type Int = u64;
    type Bool = bool;
    type Var = usize;

    #[inline(always)]
    fn int(&mut self, value: u64) -> u64 {
        value
    }
    #[inline(always)]
    fn add(&mut self, a: u64, b: u64) -> u64 {
        a.saturating_add(b)
    }
    #[inline(always)]
    fn sub(&mut self, a: u64, b: u64) -> u64 {
        a.saturating_sub(b)
    }
    #[inline(always)]
    fn mul(&mut self, a: u64, b: u64) -> u64 {
        a.saturating_mul(b)
    }
    #[inline(always)]
    fn div(&mut self, a: u64, b: u64) -> u64 {
        a.checked_div(b).unwrap_or(0)
    }
    #[inline(always)]
    fn rem(&mut self, a: u64, b: u64) -> u64 {
        a.checked_rem(b).unwrap_or(0)
    }
    #[inline(always)]
    fn min(&mut self, a: u64, b: u64) -> u64 {
        a.min(b)
    }
    #[inline(always)]
    fn max(&mut self, a: u64, b: u64) -> u64 {
        a.max(b)
    }
    #[inline(always)]
    fn lt(&mut self, a: u64, b: u64) -> bool {
        a < b
    }
    #[inline(always)]
    fn le(&mut self, a: u64, b: u64) -> bool {
        a <= b
    }
    #[inline(always)]
    fn eq(&mut self, a: u64, b: u64) -> bool {
        a == b
    }
    #[inline(always)]
    fn not(&mut self, a: bool) -> bool {
        !a
    }
    #[inline(always)]
    fn and_then<F>(&mut self, a: bool, b: F) -> bool
    where
        F: FnOnce(&mut Self) -> bool,
    {
        a && b(self)
    }
    #[inline(always)]
    fn select(&mut self, condition: bool, a: u64, b: u64) -> u64 {
        if condition {
            a
        } else {
            b
        }
    }
    #[inline(always)]
    fn var(&mut self, value: u64) -> usize {
        // Bounded by MAX_VARS: see its docs.
        let index = self.declared;
        self.vars[index] = value;
        self.declared += 1;
        index
    }
    #[inline(always)]
    fn get(&mut self, var: usize) -> u64 {
        self.vars[var]
    }
    #[inline(always)]
    fn set(&mut self, var: usize, value: u64) {
        self.vars[var] = value;
    }
    #[inline(always)]
    fn if_<A, B>(&mut self, condition: bool, then: A, otherwise: B)
    where
        A: FnOnce(&mut Self),
        B: FnOnce(&mut Self),
    {
        if condition {
            then(self)
        } else {
            otherwise(self)
        }
    }
    #[inline(always)]
    fn while_<C, B>(&mut self, mut condition: C, mut body: B)
    where
        C: FnMut(&mut Self) -> bool,
        B: FnMut(&mut Self),
    {
        while condition(self) {
            body(self);
        }
    }
}

impl<T> LogRead for Native<T>
where
    T: Deref,
    T::Target: LogStorage,
{
    #[inline(always)]
    fn log_len(&mut self) -> u64 {
        self.log.len() as u64
    }
    #[inline(always)]
    fn log_entry(&mut self, index: u64) -> (u64, u64) {
        let entry = self.log.get(index as usize).unwrap_or(LogEntry { at_ms: 0, cost: 0 });
        (entry.at_ms, u64::from(entry.cost))
    }
}

impl<T> LogWrite for Native<T>
where
    T: DerefMut,
    T::Target: LogStorage,
{
    #[inline(always)]
    fn log_pop_oldest(&mut self) {
        self.log.pop_oldest();
    }
    #[inline(always)]
    fn log_push(&mut self, at_ms: u64, cost: u64) {
        // A full fixed-capacity log hands the entry back; the caller checks
        // the capacity against the limit before running the algorithm.
        let _ = self.log.push_newest(LogEntry {
            at_ms,
            cost: cost as u32,
        });
    }
    #[inline(always)]
    fn log_add_to_newest(&mut self, cost: u64) {
        if let Some(newest) = self.log.newest_mut() {
            newest.cost += cost as u32;
        }
    }
}
