// SPDX-License-Identifier: GPL-2.0

//! The module's counters, what the probes record in them, and how they are read and reset.
//!
//! # One counter per event
//!
//! Each return of `ptrace_check_attach()` is counted once, in the counter of its reason (or in
//! `reason_unknown`), and each `JOBCTL_PT_WAKING` transition once, in the counter of its site
//! (or in `site_unknown`). The reason alone determines the return value, and whether the call
//! waited for a waking tracee, so `calls`, `ok`, `esrch`, `ret_other`, `waking_path`,
//! `waking_ok` and `waking_esrch` are sums of reason counters, and `waking_set` and
//! `waking_cleared` sums of site counters, all taken when read ([`Snapshot`]). A part thus
//! never exceeds its whole, in any single read, while requests and resets run, without any
//! ordering between counters.
//!
//! One exception to "the reason says whether the call waited": a call that waited and found the
//! tracee stopped (`ok_after_waking`) still checks with `wait_task_inactive()` that the tracee is
//! off its CPU, and if that fails, which should not happen and warns once (`WARN_ON_ONCE()`), it
//! returns `-ESRCH` with the reason `inactive`, after a real wait. Such a call is counted in
//! `inactive` and `esrch` only, not on the waking path, and its wait is not recorded.
//!
//! Besides its reason counter, a call on the waking path records its `waited_ns` in the
//! histogram ([`Log2Histogram`]), and a call that fails with `-ESRCH` records its target in
//! `last_esrch`. The probe does that first, and bumps the reason counter last.
//!
//! # Resets
//!
//! [`Stats::reset`] sets every counter to 0 one by one. An increment that races with it is
//! either lost with the rest of the old value or kept, never counted twice. A call in flight
//! during a reset (probes are preemptible, so there can be any number of them) can thus keep its
//! reason increment and lose its histogram sample, or part of it, or the other way round, but
//! the sums stay exact. See [`crate::histogram`] for what a racing reset does to percentiles.
//!
//! Multi-counter reads ([`Stats::snapshot`]) and resets serialize on a mutex, so a read never
//! sees a reset half done; the probes never take it. The files of single counters read one
//! counter and promise nothing across files.

use crate::{
    counter::Counter,
    histogram::{
        HistSnapshot,
        Log2Histogram, //
    }, //
};
use kernel::{
    bindings::{
        ptrace_attach_reason as Reason,
        ptrace_waking_site as Site, //
    },
    fmt,
    new_mutex,
    num::casts::{
        u32_as_usize,
        FromSafeCast, //
    },
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Mutex, //
    },
    task::Task, //
};

/// Number of `enum ptrace_attach_reason` codes, from the kernel's header.
///
/// A reason added to the kernel changes this and breaks the build of [`REASONS`] until it is
/// given a name and a class here, so it can't be dropped silently; a code that is out of range
/// anyway (a kernel newer than the one this was built for) is counted in `reason_unknown`.
pub(crate) const REASON_NR: usize = u32_as_usize(Reason::PTRACE_ATTACH_REASON_NR.0);

/// Number of `enum ptrace_waking_site` codes, from the kernel's header; see [`REASON_NR`].
pub(crate) const SITE_NR: usize = u32_as_usize(Site::PTRACE_WAKING_SITE_NR.0);

/// The name of an enum code in debugfs file names and `stats` lines.
pub(crate) struct Name {
    /// Lower-case name, without the enum's prefix (and without `ESRCH_` for reasons).
    pub(crate) name: &'static CStr,
    /// The enum code it names.
    code: u32,
}

impl Name {
    /// The name as a `&str`, for formatting. Names are ASCII identifiers.
    pub(crate) fn as_str(&self) -> &'static str {
        self.name.to_str().unwrap_or("?")
    }
}

/// Builds a table of [`Name`]s; the names are identifiers, the codes enum constants.
macro_rules! names {
    ($enum:ident: $($name:ident = $code:ident,)*) => {
        [$(Name { name: kernel::c_str!(stringify!($name)), code: $enum::$code.0 },)*]
    };
}

/// Names of the reason codes, indexed by code.
pub(crate) const REASONS: [Name; REASON_NR] = names![Reason:
    ok = PTRACE_ATTACH_OK,
    ok_ignore_state = PTRACE_ATTACH_OK_IGNORE_STATE,
    not_traced = PTRACE_ATTACH_ESRCH_NOT_TRACED,
    not_stopped = PTRACE_ATTACH_ESRCH_NOT_STOPPED,
    listening = PTRACE_ATTACH_ESRCH_LISTENING,
    fatal_signal = PTRACE_ATTACH_ESRCH_FATAL_SIGNAL,
    exec_pid = PTRACE_ATTACH_ESRCH_EXEC_PID,
    inactive = PTRACE_ATTACH_ESRCH_INACTIVE,
    ok_after_waking = PTRACE_ATTACH_OK_AFTER_WAKING,
    waking_frozen = PTRACE_ATTACH_ESRCH_WAKING_FROZEN,
    waking_timeout = PTRACE_ATTACH_ESRCH_WAKING_TIMEOUT,
    waking_failed = PTRACE_ATTACH_ESRCH_WAKING_FAILED,
    waking_interrupted = PTRACE_ATTACH_ESRCH_WAKING_INTERRUPTED,
    waking_off = PTRACE_ATTACH_ESRCH_WAKING_OFF,
];

/// Names of the `JOBCTL_PT_WAKING` sites, indexed by code.
pub(crate) const SITES: [Name; SITE_NR] = names![Site:
    prepare_signal = PTRACE_WAKING_SITE_PREPARE_SIGNAL,
    trap_notify = PTRACE_WAKING_SITE_TRAP_NOTIFY,
    listen = PTRACE_WAKING_SITE_LISTEN,
    attach = PTRACE_WAKING_SITE_ATTACH,
    interrupt = PTRACE_WAKING_SITE_INTERRUPT,
    ptrace_stop = PTRACE_WAKING_SITE_PTRACE_STOP,
    ptrace_stop_abort = PTRACE_WAKING_SITE_PTRACE_STOP_ABORT,
    get_signal = PTRACE_WAKING_SITE_GET_SIGNAL,
    unlink = PTRACE_WAKING_SITE_UNLINK,
    exit = PTRACE_WAKING_SITE_EXIT,
    fatal_signal = PTRACE_WAKING_SITE_FATAL_SIGNAL,
    freezer_trap = PTRACE_WAKING_SITE_FREEZER_TRAP,
];

/// A set of reason or site codes, as a bit mask: bit `code` is set for each code in the set.
#[derive(Clone, Copy)]
pub(crate) struct Class(u32);

impl Class {
    /// The set of `codes`.
    const fn of(codes: &[u32]) -> Self {
        let mut mask = 0;
        let mut i = 0;
        while i < codes.len() {
            mask |= 1 << codes[i];
            i += 1;
        }
        Self(mask)
    }

    /// The union of `self` and `other`.
    const fn or(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether `code` is in the set.
    #[inline(always)]
    pub(crate) const fn contains(self, code: u32) -> bool {
        // A code of 32 or more is in no set.
        code < u32::BITS && (self.0 >> code) & 1 != 0
    }

    /// Sum of the counts of the codes in the set.
    fn sum(self, counts: &[u64]) -> u64 {
        (0u32..)
            .zip(counts)
            .filter(|&(code, _)| self.contains(code))
            .fold(0u64, |sum, (_, &n)| sum.wrapping_add(n))
    }
}

/// Reasons of the calls that returned 0.
pub(crate) const OK: Class = Class::of(&[
    Reason::PTRACE_ATTACH_OK.0,
    Reason::PTRACE_ATTACH_OK_IGNORE_STATE.0,
    Reason::PTRACE_ATTACH_OK_AFTER_WAKING.0,
]);

/// Reasons of the calls that returned `-ESRCH`: all the others. No reason returns anything
/// else, so `ret_other` only counts unknown reasons.
pub(crate) const ESRCH: Class = Class::of(&[
    Reason::PTRACE_ATTACH_ESRCH_NOT_TRACED.0,
    Reason::PTRACE_ATTACH_ESRCH_NOT_STOPPED.0,
    Reason::PTRACE_ATTACH_ESRCH_LISTENING.0,
    Reason::PTRACE_ATTACH_ESRCH_FATAL_SIGNAL.0,
    Reason::PTRACE_ATTACH_ESRCH_EXEC_PID.0,
    Reason::PTRACE_ATTACH_ESRCH_INACTIVE.0,
    Reason::PTRACE_ATTACH_ESRCH_WAKING_FROZEN.0,
    Reason::PTRACE_ATTACH_ESRCH_WAKING_TIMEOUT.0,
    Reason::PTRACE_ATTACH_ESRCH_WAKING_FAILED.0,
    Reason::PTRACE_ATTACH_ESRCH_WAKING_INTERRUPTED.0,
    Reason::PTRACE_ATTACH_ESRCH_WAKING_OFF.0,
]);

/// Reasons of the calls that waited for a waking tracee and then returned 0.
pub(crate) const WAKING_OK: Class = Class::of(&[Reason::PTRACE_ATTACH_OK_AFTER_WAKING.0]);

/// Reasons of the calls that waited for a waking tracee and then returned `-ESRCH`: the wait
/// timed out, the tracee did not end up stopped, or a signal for the caller ended the wait.
pub(crate) const WAKING_ESRCH: Class = Class::of(&[
    Reason::PTRACE_ATTACH_ESRCH_WAKING_TIMEOUT.0,
    Reason::PTRACE_ATTACH_ESRCH_WAKING_FAILED.0,
    Reason::PTRACE_ATTACH_ESRCH_WAKING_INTERRUPTED.0,
]);

/// Reasons of the calls that waited for a waking tracee: the waking path.
///
/// `waking_frozen` and `waking_off` found the tracee waking but did not wait, and are not on it.
pub(crate) const WAKING_PATH: Class = WAKING_OK.or(WAKING_ESRCH);

/// Reasons whose calls record more than their reason counter: the histogram or `last_esrch`.
const SLOW: Class = WAKING_PATH.or(ESRCH);

/// The reason codes below this one need nothing but their counter: `ok` and `ok_ignore_state`,
/// the outcomes of nearly all calls. [`Stats::count_check_attach`] tells them from the others
/// with one comparison.
const FAST_CODES: u32 = SLOW.0.trailing_zeros();

/// Sites that set `JOBCTL_PT_WAKING`.
pub(crate) const SET_SITES: Class = Class::of(&[
    Site::PTRACE_WAKING_SITE_PREPARE_SIGNAL.0,
    Site::PTRACE_WAKING_SITE_TRAP_NOTIFY.0,
    Site::PTRACE_WAKING_SITE_LISTEN.0,
    Site::PTRACE_WAKING_SITE_ATTACH.0,
    Site::PTRACE_WAKING_SITE_INTERRUPT.0,
]);

/// Sites that clear `JOBCTL_PT_WAKING`.
pub(crate) const CLEAR_SITES: Class = Class::of(&[
    Site::PTRACE_WAKING_SITE_PTRACE_STOP.0,
    Site::PTRACE_WAKING_SITE_PTRACE_STOP_ABORT.0,
    Site::PTRACE_WAKING_SITE_GET_SIGNAL.0,
    Site::PTRACE_WAKING_SITE_UNLINK.0,
    Site::PTRACE_WAKING_SITE_EXIT.0,
    Site::PTRACE_WAKING_SITE_FATAL_SIGNAL.0,
    Site::PTRACE_WAKING_SITE_FREEZER_TRAP.0,
]);

// The tables are in code order, as they are indexed by code; every reason has exactly one
// return value and every site either sets or clears; the waking classes are consistent.
const _: () = {
    assert!(
        REASON_NR <= 32 && SITE_NR <= 32,
        "codes must fit in a `Class`"
    );
    let mut i = 0;
    while i < REASON_NR {
        assert!(
            u32_as_usize(REASONS[i].code) == i,
            "REASONS is not in code order"
        );
        let code = REASONS[i].code;
        assert!(
            OK.contains(code) != ESRCH.contains(code),
            "a reason has no or several return values"
        );
        i += 1;
    }
    let mut i = 0;
    while i < SITE_NR {
        assert!(
            u32_as_usize(SITES[i].code) == i,
            "SITES is not in code order"
        );
        let code = SITES[i].code;
        assert!(
            SET_SITES.contains(code) != CLEAR_SITES.contains(code),
            "a site neither or both sets and clears"
        );
        i += 1;
    }
    assert!(WAKING_OK.0 & !OK.0 == 0 && WAKING_ESRCH.0 & !ESRCH.0 == 0);
    assert!(WAKING_OK.0 & WAKING_ESRCH.0 == 0);
    assert!((OK.0 | ESRCH.0) >> REASON_NR == 0);
    assert!((SET_SITES.0 | CLEAR_SITES.0) >> SITE_NR == 0);
    assert!(u32_as_usize(FAST_CODES) <= REASON_NR);
    assert!(
        FAST_CODES > Reason::PTRACE_ATTACH_OK.0
            && FAST_CODES > Reason::PTRACE_ATTACH_OK_IGNORE_STATE.0
    );
};

/// The last call that failed with `-ESRCH`, packed into a `u64` so that it is updated and read
/// as one (`pid << 32 | reason`), or [`LastEsrch::NONE`].
pub(crate) struct LastEsrch(Atomic<u64>);

impl LastEsrch {
    /// No `-ESRCH` seen since load or reset; never a packed value, as pids are at most
    /// `PID_MAX_LIMIT` (`2^22`).
    const NONE: u64 = u64::MAX;

    const fn new() -> Self {
        Self(Atomic::new(Self::NONE))
    }

    fn set(&self, pid: i32, reason: Reason) {
        // CAST: Pids are positive, so this is lossless; a negative one would keep its bits.
        let pid = u64::from(pid as u32);
        self.0.store(pid << 32 | u64::from(reason.0), Relaxed);
    }

    fn clear(&self) {
        self.0.store(Self::NONE, Relaxed);
    }

    /// Returns the pid and the reason code of the last `-ESRCH`, if any.
    pub(crate) fn get(&self) -> Option<(u32, u32)> {
        let v = self.0.load(Relaxed);
        // CAST: The value was packed from a 32-bit pid (the high half) and a 32-bit code (the low
        // half): each cast keeps exactly its half.
        (v != Self::NONE).then_some(((v >> 32) as u32, v as u32))
    }

    /// debugfs show callback: `<pid> <reason>`, or `0 none`.
    pub(crate) fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((pid, code)) = self.get() else {
            return writeln!(f, "0 none");
        };
        let name = usize::try_from(code)
            .ok()
            .and_then(|i| REASONS.get(i))
            .map_or("unknown", Name::as_str);
        writeln!(f, "{pid} {name}")
    }
}

/// All counters of the module. Shared by the probes and the debugfs files.
#[pin_data]
pub(crate) struct Stats {
    /// Calls per reason code.
    pub(crate) reasons: [Counter; REASON_NR],
    /// Calls with a reason code this module does not know.
    pub(crate) reason_unknown: Counter,
    /// Transitions per site code.
    pub(crate) sites: [Counter; SITE_NR],
    /// Transitions with a site code this module does not know.
    pub(crate) site_unknown: Counter,
    /// `waited_ns` of the calls on the waking path.
    pub(crate) wait: Log2Histogram,
    /// The last `-ESRCH`.
    pub(crate) last_esrch: LastEsrch,
    /// Serializes [`Stats::snapshot`] with [`Stats::reset`]; never taken by the probes.
    #[pin]
    lock: Mutex<()>,
}

/// All counters, read under the lock by [`Stats::snapshot`], and the sums derived from them.
pub(crate) struct Snapshot {
    /// Calls per reason code.
    pub(crate) reasons: [u64; REASON_NR],
    /// Calls with an unknown reason code.
    pub(crate) reason_unknown: u64,
    /// Transitions per site code.
    pub(crate) sites: [u64; SITE_NR],
    /// Transitions with an unknown site code.
    pub(crate) site_unknown: u64,
    /// The histogram, with `wait_ns_total` and `wait_ns_max`.
    pub(crate) wait: HistSnapshot,
}

impl Stats {
    /// Returns an initializer for counters that are all 0.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            reasons: [const { Counter::new() }; REASON_NR],
            reason_unknown: Counter::new(),
            sites: [const { Counter::new() }; SITE_NR],
            site_unknown: Counter::new(),
            wait: Log2Histogram::new(),
            last_esrch: LastEsrch::new(),
            lock <- new_mutex!(()),
        })
    }

    /// Counts one return of `ptrace_check_attach()` with `reason` for `child`, after waiting
    /// `waited_ns`.
    ///
    /// The common case, a call that returns 0 without having waited, is a comparison and one
    /// relaxed atomic add.
    #[inline(always)]
    pub(crate) fn count_check_attach(&self, reason: Reason, waited_ns: u64, child: &Task) {
        if reason.0 < FAST_CODES {
            if let Some(counter) = self.reasons.get(usize::from_safe_cast(reason.0)) {
                counter.inc();
                return;
            }
        }
        self.count_check_attach_slow(reason, waited_ns, child);
    }

    /// [`Stats::count_check_attach`] for the codes from [`FAST_CODES`] on: any reason.
    #[cold]
    #[inline(never)]
    fn count_check_attach_slow(&self, reason: Reason, waited_ns: u64, child: &Task) {
        let Some(counter) = self.reasons.get(usize::from_safe_cast(reason.0)) else {
            self.reason_unknown.inc();
            return;
        };
        // The reason counter last: see "Resets" above.
        if WAKING_PATH.contains(reason.0) {
            self.wait.record(waited_ns);
        }
        if ESRCH.contains(reason.0) {
            self.last_esrch.set(child.pid(), reason);
        }
        counter.inc();
    }

    /// Counts one `JOBCTL_PT_WAKING` transition at `site`.
    #[inline(always)]
    pub(crate) fn count_waking(&self, site: Site) {
        self.sites
            .get(usize::from_safe_cast(site.0))
            .unwrap_or(&self.site_unknown)
            .inc();
    }

    /// Reads all counters, never in the middle of a [`Stats::reset`].
    pub(crate) fn snapshot(&self) -> Snapshot {
        let _guard = self.lock.lock();
        Snapshot {
            reasons: self.reasons.each_ref().map(Counter::read),
            reason_unknown: self.reason_unknown.read(),
            sites: self.sites.each_ref().map(Counter::read),
            site_unknown: self.site_unknown.read(),
            wait: self.wait.snapshot(),
        }
    }

    /// Sets every counter to 0, empties the histogram and forgets the last `-ESRCH`.
    pub(crate) fn reset(&self) {
        let _guard = self.lock.lock();
        for c in &self.reasons {
            c.clear();
        }
        self.reason_unknown.clear();
        for c in &self.sites {
            c.clear();
        }
        self.site_unknown.clear();
        self.wait.clear();
        self.last_esrch.clear();
    }
}

impl Snapshot {
    /// Returns of `ptrace_check_attach()`.
    pub(crate) fn calls(&self) -> u64 {
        Class(u32::MAX)
            .sum(&self.reasons)
            .wrapping_add(self.reason_unknown)
    }

    /// Returns of 0.
    pub(crate) fn ok(&self) -> u64 {
        OK.sum(&self.reasons)
    }

    /// Returns of `-ESRCH`.
    pub(crate) fn esrch(&self) -> u64 {
        ESRCH.sum(&self.reasons)
    }

    /// Other returns: those with an unknown reason, as every known reason returns 0 or `-ESRCH`.
    pub(crate) fn ret_other(&self) -> u64 {
        self.reason_unknown
    }

    /// Calls that waited for a waking tracee.
    pub(crate) fn waking_path(&self) -> u64 {
        WAKING_PATH.sum(&self.reasons)
    }

    /// Calls that waited and returned 0.
    pub(crate) fn waking_ok(&self) -> u64 {
        WAKING_OK.sum(&self.reasons)
    }

    /// Calls that waited and returned `-ESRCH`.
    pub(crate) fn waking_esrch(&self) -> u64 {
        WAKING_ESRCH.sum(&self.reasons)
    }

    /// Transitions that set `JOBCTL_PT_WAKING`.
    pub(crate) fn waking_set(&self) -> u64 {
        SET_SITES.sum(&self.sites)
    }

    /// Transitions that cleared `JOBCTL_PT_WAKING`.
    pub(crate) fn waking_cleared(&self) -> u64 {
        CLEAR_SITES.sum(&self.sites)
    }

    /// debugfs show callback of `stats`: `name value` lines in the documented order.
    pub(crate) fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, v) in [
            ("calls", self.calls()),
            ("ok", self.ok()),
            ("esrch", self.esrch()),
            ("ret_other", self.ret_other()),
            ("waking_path", self.waking_path()),
            ("waking_ok", self.waking_ok()),
            ("waking_esrch", self.waking_esrch()),
            ("wait_ns_total", self.wait.total()),
            ("wait_ns_max", self.wait.max()),
            ("waking_set", self.waking_set()),
            ("waking_cleared", self.waking_cleared()),
        ] {
            writeln!(f, "{name} {v}")?;
        }
        for (n, v) in REASONS.iter().zip(self.reasons) {
            writeln!(f, "reason_{} {v}", n.as_str())?;
        }
        writeln!(f, "reason_unknown {}", self.reason_unknown)?;
        for (n, v) in SITES.iter().zip(self.sites) {
            writeln!(f, "site_{} {v}", n.as_str())?;
        }
        writeln!(f, "site_unknown {}", self.site_unknown)
    }
}
