// SPDX-License-Identifier: GPL-2.0

//! A 64-bit event counter that probes may bump from any context.
//!
//! # Why one relaxed atomic per counter
//!
//! Every counter is one [`Atomic<u64>`]: a probe adds to it with a single locked add (on
//! x86_64, through the kernel's `atomic64_add()`), takes no lock, never sleeps and never loses
//! an increment, whatever the concurrency. Each event is counted in exactly one counter, so no
//! ordering between counters is needed and relaxed atomics suffice; every total is a sum taken
//! when read (see [`crate::stats`]). Per-CPU counters would avoid the shared cache line, but the
//! kernel crate has no per-CPU abstraction yet (it would take `unsafe` code here), and the
//! events counted, `ptrace(2)` requests and `JOBCTL_PT_WAKING` transitions, each cost a system
//! call and a `siglock` round trip anyway. A 64-bit counter does not wrap in practice.

use kernel::{
    fmt,
    sync::atomic::{
        Acquire,
        Atomic,
        Relaxed,
        Release, //
    }, //
};

/// A monotonic event counter; only [`Counter::clear`] makes it go down.
pub(crate) struct Counter(Atomic<u64>);

impl Counter {
    /// Creates a counter that reads 0.
    pub(crate) const fn new() -> Self {
        Self(Atomic::new(0))
    }

    /// Adds one, without ordering against other memory accesses.
    #[inline(always)]
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
    /// Whoever reads the new value (or a later one) with [`Counter::read_acquire`] also sees
    /// every counter update this CPU made before this one.
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

    /// Sets the counter to 0.
    ///
    /// An increment that races with it lands either before the store, and is lost, or after
    /// it, and is kept: all atomic operations on one counter are totally ordered.
    pub(crate) fn clear(&self) {
        self.0.store(0, Relaxed);
    }

    /// debugfs show callback: the value in decimal and a newline.
    pub(crate) fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.read())
    }
}
