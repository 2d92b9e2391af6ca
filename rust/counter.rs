// SPDX-License-Identifier: GPL-2.0

//! A 64-bit event counter that probes may bump from any context.
//!
//! # Why relaxed atomics and not per-CPU counters
//!
//! Every counter is one [`Atomic<u64>`]: a probe adds to it with a single `lock xadd` on x86_64,
//! takes no lock, never sleeps and never loses an increment, whatever the concurrency. The
//! events counted are `ptrace(2)` requests and `JOBCTL_PT_WAKING` transitions, each of which
//! already costs a system call, a `tasklist_lock` and a `siglock` round trip and usually a
//! context switch; a shared cache line per counter is noise next to that. Per-CPU counters
//! would avoid the cache-line traffic, but the kernel crate has no per-CPU abstraction yet (it
//! would take `unsafe` code here), and reading or resetting them needs a walk over all
//! possible CPUs that can't be made consistent with the cross-counter guarantees of `stats`
//! (see [`crate::stats`]) without a lock. A 64-bit counter does not wrap in practice.

use kernel::{
    fmt,
    sync::atomic::{
        Acquire,
        Atomic,
        Full,
        Relaxed,
        Release, //
    }, //
};

/// A monotonic event counter; only [`Counter::take`] and [`Counter::sub`] make it go down.
///
/// The orderings of the methods are what the consistency argument of [`crate::stats`] needs:
/// a *parent* counter is bumped with [`Counter::inc`] before its *children* are bumped with
/// [`Counter::inc_release`], and readers load children with [`Counter::read_acquire`] before
/// the parent.
pub(crate) struct Counter(Atomic<u64>);

impl Counter {
    /// Creates a counter that reads 0.
    pub(crate) const fn new() -> Self {
        Self(Atomic::new(0))
    }

    /// Adds one, without ordering against other memory accesses.
    #[inline]
    pub(crate) fn inc(&self) {
        self.0.add(1u64, Relaxed);
    }

    /// Adds `n`, without ordering against other memory accesses.
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        self.0.add(n, Relaxed);
    }

    /// Adds one with release ordering.
    ///
    /// Whoever reads the new value (or a later one) with [`Counter::read_acquire`] or
    /// [`Counter::take`] also sees every counter update this CPU made before this one. On
    /// x86_64 this costs nothing more than [`Counter::inc`]: both are a locked RMW.
    #[inline]
    pub(crate) fn inc_release(&self) {
        self.0.fetch_add(1u64, Release);
    }

    /// Raises the value to `v` if it is smaller (a lock-free `fetch_max`).
    #[inline]
    pub(crate) fn raise_to(&self, v: u64) {
        let mut cur = self.0.load(Relaxed);
        while cur < v {
            match self.0.cmpxchg(cur, v, Relaxed) {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
    }

    /// Returns the current value.
    #[inline]
    pub(crate) fn read(&self) -> u64 {
        self.0.load(Relaxed)
    }

    /// Returns the current value with acquire ordering; see [`Counter::inc_release`].
    #[inline]
    pub(crate) fn read_acquire(&self) -> u64 {
        self.0.load(Acquire)
    }

    /// Sets the counter to 0 and returns what it was, as one atomic step (fully ordered).
    ///
    /// An increment that races with it is either returned here or stays in the counter; it is
    /// never lost.
    pub(crate) fn take(&self) -> u64 {
        self.0.xchg(0, Full)
    }

    /// Subtracts `n` (fully ordered), keeping increments that raced with it.
    pub(crate) fn sub(&self, n: u64) {
        self.0.fetch_sub(n, Full);
    }

    /// Sets the counter to 0 (for values that are not sums, e.g. a maximum).
    pub(crate) fn clear(&self) {
        self.0.store(0, Relaxed);
    }

    /// debugfs show callback: the value in decimal and a newline.
    pub(crate) fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.read())
    }
}
