//! Helpers for the kauth benchmarks: a fake clock, so that benchmarks never
//! read the system clock, and an allocator that counts allocations, so that
//! they can report allocations per check.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

/// A clock that advances by a fixed step on every [`FakeClock::tick`].
///
/// ```
/// use kauth_benches::FakeClock;
///
/// let mut clock = FakeClock::new(1_000, 250);
/// assert_eq!(clock.tick(), 1_250);
/// assert_eq!(clock.tick(), 1_500);
/// assert_eq!(clock.now_ms(), 1_500);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FakeClock {
    now_ms: u64,
    step_ms: u64,
}

impl FakeClock {
    /// Creates a clock reading `start_ms` (unix-epoch milliseconds) that
    /// advances by `step_ms` milliseconds on every tick.
    pub const fn new(start_ms: u64, step_ms: u64) -> Self {
        FakeClock {
            now_ms: start_ms,
            step_ms,
        }
    }

    /// Advances the clock by one step and returns the new time, in
    /// unix-epoch milliseconds.
    pub fn tick(&mut self) -> u64 {
        self.now_ms += self.step_ms;
        self.now_ms
    }

    /// Returns the current time in unix-epoch milliseconds, without advancing.
    pub const fn now_ms(&self) -> u64 {
        self.now_ms
    }
}

/// A global allocator that forwards to [`System`] and counts allocations.
///
/// Every call to `alloc`, `alloc_zeroed` and `realloc` counts as one
/// allocation; `dealloc` is not counted. The count covers every thread, so
/// measure while no other thread of the program allocates.
///
/// Declare it as the global allocator of a binary, never of this library, so
/// that only the programs that want counting pay for it:
///
/// ```
/// use kauth_benches::CountingAllocator;
///
/// #[global_allocator]
/// static ALLOCATOR: CountingAllocator = CountingAllocator::new();
///
/// fn main() {
///     let per_call = ALLOCATOR.allocations_per_call(10, || {
///         std::hint::black_box(Vec::<u8>::with_capacity(16));
///     });
///     assert_eq!(per_call, 1.0);
///
///     let per_call = ALLOCATOR.allocations_per_call(10, || {
///         std::hint::black_box([0_u8; 16]);
///     });
///     assert_eq!(per_call, 0.0);
/// }
/// ```
#[derive(Debug, Default)]
pub struct CountingAllocator {
    allocations: AtomicU64,
}

impl CountingAllocator {
    /// Creates an allocator that has counted nothing yet.
    pub const fn new() -> Self {
        CountingAllocator {
            allocations: AtomicU64::new(0),
        }
    }

    /// Allocations counted since the program started.
    pub fn allocations(&self) -> u64 {
        self.allocations.load(Ordering::Relaxed)
    }

    /// Calls `f` `calls` times and returns the mean number of allocations per
    /// call. Returns 0 when `calls` is 0.
    pub fn allocations_per_call(&self, calls: u64, mut f: impl FnMut()) -> f64 {
        let before = self.allocations();
        for _ in 0..calls {
            f();
        }
        let counted = self.allocations() - before;

        if calls == 0 {
            return 0.0;
        }
        counted as f64 / calls as f64
    }

    fn count(&self) {
        self.allocations.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards its arguments unchanged to `System`, which
// implements `GlobalAlloc` soundly, and returns `System`'s result unchanged.
// Counting only adds to an atomic integer, which neither allocates nor panics,
// so it cannot re-enter the allocator or unwind out of it.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.count();
        // SAFETY: the caller meets `GlobalAlloc::alloc`'s contract for
        // `layout`, which is the contract `System::alloc` requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.count();
        // SAFETY: the caller meets the contract of `alloc_zeroed`, which is
        // the same as that of `alloc` and is what `System` requires.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was returned by this allocator, so by `System`, for
        // `layout`, as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.count();
        // SAFETY: `ptr` was returned by `System` for `layout`, and the caller
        // meets `realloc`'s contract for `new_size`, as `System` requires.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
