// SPDX-License-Identifier: GPL-2.0

//! Counters of `ptrace_check_attach()` outcomes and of the `PT_WAKING` path.
//!
//! The module attaches probes to the `ptrace:ptrace_check_attach` and `ptrace:ptrace_waking`
//! tracepoints, counts what they report, and shows the counts under
//! `/sys/kernel/debug/ptrace_waking/`. See `Documentation/ptrace-waking.rst` in the project
//! and `Documentation/ABI/testing/debugfs-ptrace-waking` for the debugfs ABI.
//!
//! - `counter`: the lock-free counter type and why it is a relaxed atomic;
//! - `stats`: the counters, the probes, and how `stats` stays consistent across `reset`;
//! - `histogram`: the log2 histogram of the waking wait;
//! - `files`: the debugfs files.

use kernel::{
    debugfs::Scope,
    prelude::*,
    sync::Arc,
    tracepoint::{
        ptrace::{
            CheckAttach,
            Waking, //
        },
        Registration, //
    }, //
};

mod counter;
mod files;
mod histogram;
mod stats;

use stats::Stats;

module! {
    type: PtraceWaking,
    name: "ptrace_waking",
    authors: ["ptrace-waking developers"],
    description: "debugfs counters for ptrace_check_attach() and PT_WAKING",
    license: "GPL",
}

/// Version of the debugfs ABI, shown in `ptrace_waking/version`.
///
/// Bumped whenever a file is removed or its format changes; adding a file does not bump it.
pub const ABI_VERSION: u32 = 1;

/// The loaded module: two probes and the debugfs directory, all sharing one [`Stats`].
///
/// # Drop order
///
/// Fields are dropped in declaration order, and that order is load-bearing. The
/// registrations come first: dropping one detaches its probe and waits, with
/// `tracepoint_synchronize_unregister()`, until no CPU is still running it. Only then is the
/// debugfs directory removed and the last reference to the [`Stats`] dropped, so no probe can
/// run on counters that are being freed, nor on module text that is about to be unloaded: all
/// of this happens in the module's exit path, before its memory goes away. (The [`Arc`] would
/// keep the counters alive even in another order, but the order keeps the guarantee obvious
/// and does not rely on it: if the data were owned by the directory alone, it would be
/// required.) Unloading while ptrace requests run is thus safe: a request either hit the
/// tracepoint before the probe was detached, and the synchronization waits for it, or it sees
/// no probe at all.
#[pin_data]
struct PtraceWaking {
    /// Probe on `ptrace:ptrace_check_attach`.
    check_attach: Registration<CheckAttach, Stats>,
    /// Probe on `ptrace:ptrace_waking`.
    waking: Registration<Waking, Stats>,
    /// `/sys/kernel/debug/ptrace_waking/`, with the module's reference to the counters.
    #[pin]
    debugfs: Scope<Arc<Stats>>,
}

impl kernel::InPlaceModule for PtraceWaking {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            // Initialized in this order; on failure, what was initialized is dropped in
            // reverse order, i.e. the probes before the directory.
            debugfs <- files::create(Arc::pin_init(Stats::new(), GFP_KERNEL)?),
            check_attach: Registration::new(Arc::clone(&debugfs))?,
            waking: Registration::new(Arc::clone(&debugfs))?,
        })
        .pin_chain(|_| {
            pr_info!(
                "debugfs ABI {} at /sys/kernel/debug/ptrace_waking\n",
                ABI_VERSION
            );
            Ok(())
        })
    }
}
