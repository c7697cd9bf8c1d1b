//! An allocator that counts allocations and live heap bytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

/// A global allocator that forwards to [`System`] and counts allocations
/// and live heap bytes.
///
/// Every call to `alloc`, `alloc_zeroed` and `realloc` counts as one
/// allocation; `dealloc` is not counted. Live bytes are the sizes requested
/// and not yet freed, without the allocator's own per-block overhead. The
/// counts cover every thread, so measure while no other thread of the
/// program allocates.
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
    live_bytes: AtomicU64,
}

impl CountingAllocator {
    /// Creates an allocator that has counted nothing yet.
    pub const fn new() -> Self {
        CountingAllocator {
            allocations: AtomicU64::new(0),
            live_bytes: AtomicU64::new(0),
        }
    }

    /// Allocations counted since the program started.
    pub fn allocations(&self) -> u64 {
        self.allocations.load(Ordering::Relaxed)
    }

    /// Heap bytes allocated and not yet freed.
    pub fn live_bytes(&self) -> u64 {
        self.live_bytes.load(Ordering::Relaxed)
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

    /// Counts one allocation request and, when it succeeded, `size` more
    /// live bytes.
    fn count(&self, result: *mut u8, size: usize) -> *mut u8 {
        self.allocations.fetch_add(1, Ordering::Relaxed);
        if !result.is_null() {
            self.live_bytes.fetch_add(size as u64, Ordering::Relaxed);
        }
        result
    }
}

// SAFETY: every method forwards its arguments unchanged to `System`, which
// implements `GlobalAlloc` soundly, and returns `System`'s result unchanged.
// Counting only changes atomic integers, which neither allocates nor panics,
// so it cannot re-enter the allocator or unwind out of it.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller meets `GlobalAlloc::alloc`'s contract for
        // `layout`, which is the contract `System::alloc` requires.
        let block = unsafe { System.alloc(layout) };
        self.count(block, layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller meets the contract of `alloc_zeroed`, which is
        // the same as that of `alloc` and is what `System` requires.
        let block = unsafe { System.alloc_zeroed(layout) };
        self.count(block, layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.live_bytes.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: `ptr` was returned by this allocator, so by `System`, for
        // `layout`, as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was returned by `System` for `layout`, and the caller
        // meets `realloc`'s contract for `new_size`, as `System` requires.
        let block = unsafe { System.realloc(ptr, layout, new_size) };
        // On failure the old block stays allocated, so nothing moves.
        if !block.is_null() {
            self.live_bytes.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        }
        self.count(block, new_size)
    }
}
