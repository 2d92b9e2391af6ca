// SPDX-License-Identifier: GPL-2.0

//! Counters of `ptrace_check_attach()` outcomes and of the `PT_WAKING` path.
//!
//! The module attaches probes to the `ptrace:ptrace_check_attach` and `ptrace:ptrace_waking`
//! tracepoints, counts what they report, and shows the counts under
//! `/sys/kernel/debug/ptrace_waking/`. See `Documentation/ptrace-waking.rst` in the project
//! and `Documentation/ABI/testing/debugfs-ptrace-waking` for the debugfs ABI.
//!
//! - `counter`: the lock-free counter type and why it is a relaxed atomic;
//! - `stats`: the counters, what the probes record, and how reads and resets see them;
//! - `histogram`: the log2 histogram of the waking wait;
//! - `files`: the debugfs files.

use kernel::{
    debugfs::Scope,
    prelude::*,
    sync::Arc,
    tracepoint::{
        ptrace::{
            CheckAttach,
            CheckAttachArgs,
            Waking,
            WakingArgs, //
        },
        Probe,
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
/// Bumped whenever a file is removed or its format or meaning changes; adding a file does not
/// bump it.
const ABI_VERSION: u32 = 2;

impl Probe<CheckAttach> for Stats {
    /// Counts one return of `ptrace_check_attach()`; see [`Stats::count_check_attach`].
    #[inline(always)]
    fn probe(&self, args: CheckAttachArgs<'_>) {
        self.count_check_attach(args.reason, args.waited_ns, args.child);
    }
}

impl Probe<Waking> for Stats {
    /// Counts one `JOBCTL_PT_WAKING` transition. Runs under `siglock` with interrupts off.
    #[inline(always)]
    fn probe(&self, args: WakingArgs<'_>) {
        self.count_waking(args.site);
    }
}

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
/// keep the counters alive in another order too; the order keeps the guarantee obvious.)
/// Unloading while ptrace requests run is thus safe: a request either hit the tracepoint before
/// the probe was detached, and the synchronization waits for it, or it sees no probe at all.
/// Unloading while a debugfs file is open is refused: the open file holds a reference on the
/// module.
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
            // SAFETY: The registration is a field of the module, which is dropped in place by
            // the module's exit (or by this initializer if a later field fails), never
            // forgotten: the probe is detached before the module's text goes away.
            check_attach: unsafe { Registration::new(Arc::clone(&debugfs)) }?,
            // SAFETY: As above.
            waking: unsafe { Registration::new(Arc::clone(&debugfs)) }?,
        })
    }
}
