//! The small language the algorithms are written in, so that one definition
//! runs natively in Rust and is emitted as Lua for Redis.
//!
//! An algorithm is a Rust function generic over [`Lang`]. With [`Native`]
//!  the operations are plain `u64` arithmetic and the
//! control flow is Rust's own, so the compiled code is what a hand-written
//! version would be. With the Lua emitter in `xtask`, every operation appends
//! a Lua statement instead, and running the function once writes the script.
//!
//! # Rules for algorithm code
//!
//! - Values computed inside an [`Lang::if_`] or [`Lang::while_`] branch must
//!   leave it only through a [`Lang::var`]; the emitter rejects any other use
//!   when it generates the scripts.
//! - Integers are unsigned and stay below 2^53, so Lua's doubles hold them
//!   exactly. [`Lang::sub`] saturates at 0 and [`Lang::div`] rounds down.
//! - Log entries are addressed from the oldest, starting at 0.

/// Integer arithmetic, comparisons, variables and control flow.
pub trait Lang {
    /// An integer value.
    type Int: Copy;
    /// A boolean value.
    type Bool: Copy;
    /// A mutable integer variable.
    type Var: Copy;

    /// A constant.
    fn int(&mut self, value: u64) -> Self::Int;
    /// `a + b`.
    fn add(&mut self, a: Self::Int, b: Self::Int) -> Self::Int;
    /// `a - b`, or 0 when `b > a`.
    fn sub(&mut self, a: Self::Int, b: Self::Int) -> Self::Int;
    /// `a * b`.
    fn mul(&mut self, a: Self::Int, b: Self::Int) -> Self::Int;
    /// `a / b` rounded down; `b` must not be 0.
    fn div(&mut self, a: Self::Int, b: Self::Int) -> Self::Int;
    /// `a % b`; `b` must not be 0.
    fn rem(&mut self, a: Self::Int, b: Self::Int) -> Self::Int;
    /// The smaller of `a` and `b`.
    fn min(&mut self, a: Self::Int, b: Self::Int) -> Self::Int;
    /// The larger of `a` and `b`.
    fn max(&mut self, a: Self::Int, b: Self::Int) -> Self::Int;

    /// `a < b`.
    fn lt(&mut self, a: Self::Int, b: Self::Int) -> Self::Bool;
    /// `a <= b`.
    fn le(&mut self, a: Self::Int, b: Self::Int) -> Self::Bool;
    /// `a == b`.
    fn eq(&mut self, a: Self::Int, b: Self::Int) -> Self::Bool;
    /// `!a`.
    fn not(&mut self, a: Self::Bool) -> Self::Bool;
    /// `a && b`, with `b` evaluated only when `a` holds.
    fn and_then<F>(&mut self, a: Self::Bool, b: F) -> Self::Bool
    where
        F: FnOnce(&mut Self) -> Self::Bool;
    /// `if condition { a } else { b }`, both already evaluated.
    fn select(&mut self, condition: Self::Bool, a: Self::Int, b: Self::Int) -> Self::Int;

    /// A new variable holding `value`.
    fn var(&mut self, value: Self::Int) -> Self::Var;
    /// The variable's value.
    fn get(&mut self, var: Self::Var) -> Self::Int;
    /// Stores `value` in the variable.
    fn set(&mut self, var: Self::Var, value: Self::Int);

    /// Runs `then` when `condition` holds, `otherwise` when it does not.
    fn if_<T, E>(&mut self, condition: Self::Bool, then: T, otherwise: E)
    where
        T: FnOnce(&mut Self),
        E: FnOnce(&mut Self);
    /// Runs `body` for as long as `condition` holds.
    fn while_<C, B>(&mut self, condition: C, body: B)
    where
        C: FnMut(&mut Self) -> Self::Bool,
        B: FnMut(&mut Self);

    /// `a > b`.
    fn gt(&mut self, a: Self::Int, b: Self::Int) -> Self::Bool {
        self.lt(b, a)
    }
    /// `a >= b`.
    fn ge(&mut self, a: Self::Int, b: Self::Int) -> Self::Bool {
        self.le(b, a)
    }
    /// 1 when `a` holds, else 0.
    fn to_int(&mut self, a: Self::Bool) -> Self::Int {
        let one = self.int(1);
        let zero = self.int(0);
        self.select(a, one, zero)
    }
    /// `ceil(a / b)`; `b` must not be 0.
    fn div_ceil(&mut self, a: Self::Int, b: Self::Int) -> Self::Int {
        let one = self.int(1);
        let rounded_up = self.add(a, b);
        let rounded_up = self.sub(rounded_up, one);
        self.div(rounded_up, b)
    }
}

/// Read access to a sliding log's entries, oldest first.
pub trait LogRead: Lang {
    /// Number of entries.
    fn log_len(&mut self) -> Self::Int;
    /// Time (unix-epoch ms) and cost of the entry at `index`; `index` must be
    /// below [`LogRead::log_len`].
    fn log_entry(&mut self, index: Self::Int) -> (Self::Int, Self::Int);
}

/// Write access to a sliding log's entries.
pub trait LogWrite: LogRead {
    /// Removes the oldest entry; the log must not be empty.
    fn log_pop_oldest(&mut self);
    /// Appends a newest entry.
    fn log_push(&mut self, at_ms: Self::Int, cost: Self::Int);
    /// Adds `cost` to the newest entry; the log must not be empty.
    fn log_add_to_newest(&mut self, cost: Self::Int);
}

/// A decision as values of some [`Lang`].
pub struct DecisionValues<L: Lang + ?Sized> {
    /// Whether the hit is admitted.
    pub allowed: L::Bool,
    /// The policy's limit.
    pub limit: L::Int,
    /// Cost still admissible after this hit.
    pub remaining: L::Int,
    /// Wait until the hit would be admitted, 0 when it is.
    pub retry_after_ms: L::Int,
    /// Wait until the window is empty.
    pub reset_after_ms: L::Int,
}
