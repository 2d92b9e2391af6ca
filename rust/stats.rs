// SPDX-License-Identifier: GPL-2.0

//! The module's counters and the tracepoint probes that update them.
//!
//! # Consistency of `stats`
//!
//! Some counters are *parents* of others. Every call is counted in `calls` and in exactly one
//! of `ok`, `esrch`, `ret_other` (the *ret* counters) and in exactly one of the `reasons` or
//! `reason_unknown`; a call that waited is also counted in `waking_path` and then in
//! `waking_ok` or `waking_esrch`. The `stats` file promises never to show a part above its
//! whole:
//!
//! - `ok + esrch + ret_other <= calls`,
//! - sum of all `reason_*` `<= calls`,
//! - `waking_path <= calls`,
//! - `waking_ok + waking_esrch <= waking_path`.
//!
//! Without resets this follows from the order of the updates. The probe bumps a parent before
//! its children, the children with release ordering ([`Counter::inc_release`]), in this order:
//! `calls`, `waking_path`, the reason, `waking_ok`/`waking_esrch`, the ret counter.
//! [`Stats::snapshot`] loads children before their parents, with acquire ordering
//! ([`Counter::read_acquire`]). If the snapshot saw a child increment, the acquire load
//! synchronizes with the release increment (through the release sequence of the RMWs that
//! followed it), so the parent increment that preceded it happens before the later parent
//! load, which therefore returns a value that includes it. Relaxed loads would not suffice:
//! nothing would order the two loads, or the two increments, on a weakly ordered CPU. On
//! x86_64 the release increments and acquire loads compile to the same instructions as
//! relaxed ones (locked RMWs and plain loads).
//!
//! # Resets
//!
//! [`Stats::reset`] can't zero a parent with a store: a probe that had already bumped `calls`
//! but not yet `ok` would bump `ok` after the reset, leaving `ok > calls` forever. Instead it
//! takes the children to 0 with atomic exchanges (fully ordered; an increment that races is
//! either taken or survives, never lost), and subtracts from each parent exactly the
//! increments it took from one complete set of children: from `calls` what it took from the
//! ret counters, from `waking_path` what it took from `waking_ok` and `waking_esrch`. So a
//! parent increment is removed exactly when the call's child increment is, once: at rest,
//! after any number of racing resets, `calls == ok + esrch + ret_other` and
//! `waking_path == waking_ok + waking_esrch` (the latter unless a call that waited returned
//! neither 0 nor `-ESRCH`, which the kernel does not do). A parent can't wrap below 0, as every child
//! increment taken happened after its parent increment, and before the subtraction.
//!
//! The ret counters are bumped last and taken first. So if a reset took a call's ret
//! increment (and removed the call from `calls`), it also took the call's reason and
//! `waking_*` increments, which were made before: an increment that was released before one
//! that the exchange acquired can't be missed by a later exchange. Hence the reason sum and
//! `waking_path` stay at or below `calls` after a reset too. The price: a call in flight
//! during a reset can lose its reason increment but keep its `calls` one, so the sum of the
//! reasons may stay below `calls` by the few calls that were in flight (probes run with
//! preemption disabled: at most one per CPU) until the next reset.
//!
//! Counters without a parent, the histogram and `last_esrch` are simply set to 0 (or none);
//! an increment racing with that is kept or not.
//!
//! `stats` and `reset` serialize on a mutex, so `stats` never sees a reset half done; the
//! probes never take it. The single-value files read one counter each and promise nothing
//! across files.

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
    c_str,
    fmt,
    new_mutex,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Mutex, //
    },
    task::Task,
    tracepoint::{
        ptrace::{
            CheckAttach,
            Waking, //
        },
        Probe,
        Tracepoint, //
    }, //
};

/// Number of `enum ptrace_attach_reason` codes, from the kernel's header.
///
/// A reason added to the kernel changes this and breaks the build of [`REASONS`] until it is
/// given a name here, so it can't be dropped silently; a code that is out of range anyway
/// (a kernel newer than the one this was built for) is counted in `reason_unknown`.
pub(crate) const REASON_NR: usize = Reason::PTRACE_ATTACH_REASON_NR.0 as usize;

/// Number of `enum ptrace_waking_site` codes, from the kernel's header; see [`REASON_NR`].
pub(crate) const SITE_NR: usize = Site::PTRACE_WAKING_SITE_NR.0 as usize;

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
        [$(Name { name: c_str!(stringify!($name)), code: $enum::$code.0 },)*]
    };
}

/// Names of the reason codes, indexed by code.
pub(crate) const REASONS: [Name; REASON_NR] = names![Reason:
    ok = PTRACE_ATTACH_OK,
    ok_ignore_state = PTRACE_ATTACH_OK_IGNORE_STATE,
    ok_after_waking = PTRACE_ATTACH_OK_AFTER_WAKING,
    not_traced = PTRACE_ATTACH_ESRCH_NOT_TRACED,
    not_stopped = PTRACE_ATTACH_ESRCH_NOT_STOPPED,
    listening = PTRACE_ATTACH_ESRCH_LISTENING,
    fatal_signal = PTRACE_ATTACH_ESRCH_FATAL_SIGNAL,
    exec_pid = PTRACE_ATTACH_ESRCH_EXEC_PID,
    inactive = PTRACE_ATTACH_ESRCH_INACTIVE,
    waking_off = PTRACE_ATTACH_ESRCH_WAKING_OFF,
    waking_timeout = PTRACE_ATTACH_ESRCH_WAKING_TIMEOUT,
    waking_killed = PTRACE_ATTACH_ESRCH_WAKING_KILLED,
    waking_failed = PTRACE_ATTACH_ESRCH_WAKING_FAILED,
];

/// Names of the `JOBCTL_PT_WAKING` sites, indexed by code.
pub(crate) const SITES: [Name; SITE_NR] = names![Site:
    prepare_signal = PTRACE_WAKING_SITE_PREPARE_SIGNAL,
    trap_notify = PTRACE_WAKING_SITE_TRAP_NOTIFY,
    listen = PTRACE_WAKING_SITE_LISTEN,
    attach = PTRACE_WAKING_SITE_ATTACH,
    ptrace_stop = PTRACE_WAKING_SITE_PTRACE_STOP,
    ptrace_stop_abort = PTRACE_WAKING_SITE_PTRACE_STOP_ABORT,
    get_signal = PTRACE_WAKING_SITE_GET_SIGNAL,
    unlink = PTRACE_WAKING_SITE_UNLINK,
    exit = PTRACE_WAKING_SITE_EXIT,
    fatal_signal = PTRACE_WAKING_SITE_FATAL_SIGNAL,
];

// The tables must be in code order: they are indexed by code.
const _: () = {
    let mut i = 0;
    while i < REASON_NR {
        assert!(
            REASONS[i].code as usize == i,
            "REASONS is not in code order"
        );
        i += 1;
    }
    let mut i = 0;
    while i < SITE_NR {
        assert!(SITES[i].code as usize == i, "SITES is not in code order");
        i += 1;
    }
};

/// Looks up the counter of `code` in `table`, or `unknown` if it is out of range.
fn by_code<'a, const N: usize>(
    table: &'a [Counter; N],
    unknown: &'a Counter,
    code: u32,
) -> &'a Counter {
    usize::try_from(code)
        .ok()
        .and_then(|i| table.get(i))
        .unwrap_or(unknown)
}

/// Reads a table of counters in index order, with acquire ordering.
fn load_all<const N: usize>(table: &[Counter; N]) -> [u64; N] {
    table.each_ref().map(Counter::read_acquire)
}

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
        // Pids are positive; keep the bits as they are.
        let pid = u64::from(pid as u32);
        self.0.store(pid << 32 | u64::from(reason.0), Relaxed);
    }

    fn clear(&self) {
        self.0.store(Self::NONE, Relaxed);
    }

    /// debugfs show callback: `<pid> <reason>`, or `0 none`.
    pub(crate) fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0.load(Relaxed);
        if v == Self::NONE {
            return writeln!(f, "0 none");
        }
        // Both halves fit: the value was packed from a 32-bit pid and a 32-bit code.
        let (pid, code) = ((v >> 32) as u32, v as u32);
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
    /// Returns of `ptrace_check_attach()`; parent of all the others of `ptrace_check_attach`.
    pub(crate) calls: Counter,
    /// Returns of 0.
    pub(crate) ok: Counter,
    /// Returns of `-ESRCH`.
    pub(crate) esrch: Counter,
    /// Returns of anything else (none with the current kernel).
    pub(crate) ret_other: Counter,
    /// Calls that waited for a waking tracee (`waited_ns > 0`); parent of the two below.
    pub(crate) waking_path: Counter,
    /// Calls that waited and returned 0 (reason `ok_after_waking`).
    pub(crate) waking_ok: Counter,
    /// Calls that waited and returned `-ESRCH`.
    pub(crate) waking_esrch: Counter,
    /// Calls per reason code.
    pub(crate) reasons: [Counter; REASON_NR],
    /// Calls with a reason code this module does not know.
    pub(crate) reason_unknown: Counter,
    /// `JOBCTL_PT_WAKING` set transitions.
    pub(crate) waking_set: Counter,
    /// `JOBCTL_PT_WAKING` clear transitions.
    pub(crate) waking_cleared: Counter,
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

/// The counters of `stats`, read consistently by [`Stats::snapshot`]. Each field holds the
/// value of the [`Stats`] field of the same name.
pub(crate) struct Snapshot {
    calls: u64,
    ok: u64,
    esrch: u64,
    ret_other: u64,
    waking_path: u64,
    waking_ok: u64,
    waking_esrch: u64,
    waking_set: u64,
    waking_cleared: u64,
    reasons: [u64; REASON_NR],
    reason_unknown: u64,
    sites: [u64; SITE_NR],
    site_unknown: u64,
    /// The histogram, with `wait_ns_total` and `wait_ns_max`.
    wait: HistSnapshot,
}

impl Stats {
    /// Returns an initializer for counters that are all 0.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            calls: Counter::new(),
            ok: Counter::new(),
            esrch: Counter::new(),
            ret_other: Counter::new(),
            waking_path: Counter::new(),
            waking_ok: Counter::new(),
            waking_esrch: Counter::new(),
            reasons: [const { Counter::new() }; REASON_NR],
            reason_unknown: Counter::new(),
            waking_set: Counter::new(),
            waking_cleared: Counter::new(),
            sites: [const { Counter::new() }; SITE_NR],
            site_unknown: Counter::new(),
            wait: Log2Histogram::new(),
            last_esrch: LastEsrch::new(),
            lock <- new_mutex!(()),
        })
    }

    /// Reads all counters so that the inequalities of the module documentation hold.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let _guard = self.lock.lock();
        // Children first, with acquire ordering ...
        let ok = self.ok.read_acquire();
        let esrch = self.esrch.read_acquire();
        let ret_other = self.ret_other.read_acquire();
        let waking_ok = self.waking_ok.read_acquire();
        let waking_esrch = self.waking_esrch.read_acquire();
        let reasons = load_all(&self.reasons);
        let reason_unknown = self.reason_unknown.read_acquire();
        // ... then their parents: `waking_path` is a child of `calls` too.
        let waking_path = self.waking_path.read_acquire();
        let calls = self.calls.read();
        let sites = load_all(&self.sites);
        Snapshot {
            calls,
            ok,
            esrch,
            ret_other,
            waking_path,
            waking_ok,
            waking_esrch,
            waking_set: self.waking_set.read(),
            waking_cleared: self.waking_cleared.read(),
            reasons,
            reason_unknown,
            sites,
            site_unknown: self.site_unknown.read(),
            wait: self.wait.snapshot(),
        }
    }

    /// Sets every counter to 0, keeping the inequalities; see the module documentation.
    pub(crate) fn reset(&self) {
        let _guard = self.lock.lock();
        let sum = |a: u64, c: &Counter| a.wrapping_add(c.take());
        // The ret counters first: see "Resets" above for why the order matters.
        let by_ret = [&self.ok, &self.esrch, &self.ret_other]
            .into_iter()
            .fold(0, sum);
        let waking = [&self.waking_ok, &self.waking_esrch]
            .into_iter()
            .fold(0, sum);
        for c in &self.reasons {
            c.take();
        }
        self.reason_unknown.take();
        self.waking_path.sub(waking);
        self.calls.sub(by_ret);

        for c in &self.sites {
            c.take();
        }
        for c in [&self.site_unknown, &self.waking_set, &self.waking_cleared] {
            c.take();
        }
        self.wait.clear();
        self.last_esrch.clear();
    }
}

impl Snapshot {
    /// debugfs show callback of `stats`: `name value` lines in the documented order.
    pub(crate) fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, v) in [
            ("calls", self.calls),
            ("ok", self.ok),
            ("esrch", self.esrch),
            ("ret_other", self.ret_other),
            ("waking_path", self.waking_path),
            ("waking_ok", self.waking_ok),
            ("waking_esrch", self.waking_esrch),
            ("wait_ns_total", self.wait.total()),
            ("wait_ns_max", self.wait.max()),
            ("waking_set", self.waking_set),
            ("waking_cleared", self.waking_cleared),
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

impl Probe<CheckAttach> for Stats {
    /// Counts one return of `ptrace_check_attach()`. Parents before children, see above.
    fn probe(&self, args: <CheckAttach as Tracepoint>::Args) {
        let (child, ret, reason, _ignore_state, waited_ns) = args;
        let waited = waited_ns > 0;
        let esrch = ret == ESRCH.to_errno();

        // Parents before children, children with release ordering, the ret counter last;
        // see "Consistency of `stats`" above.
        self.calls.inc();
        if waited {
            self.waking_path.inc_release();
            self.wait.record(waited_ns);
        }
        by_code(&self.reasons, &self.reason_unknown, reason.0).inc_release();
        let (by_ret, by_ret_waking) = match ret {
            0 => (&self.ok, Some(&self.waking_ok)),
            _ if esrch => (&self.esrch, Some(&self.waking_esrch)),
            // Counted in `waking_path` only: `reset` then subtracts less from it, which is safe.
            _ => (&self.ret_other, None),
        };
        if let (true, Some(c)) = (waited, by_ret_waking) {
            c.inc_release();
        }
        by_ret.inc_release();

        if esrch {
            // SAFETY: `ptrace_check_attach()`'s caller holds a reference on `child`, and the
            // tracepoint is hit before it returns, so `child` points to a live `task_struct`
            // for the duration of this call. `Task` is a transparent wrapper of it.
            let task = unsafe { &*child.cast::<Task>() };
            self.last_esrch.set(task.pid(), reason);
        }
    }
}

impl Probe<Waking> for Stats {
    /// Counts one `JOBCTL_PT_WAKING` transition. Runs under `siglock` with interrupts off.
    fn probe(&self, args: <Waking as Tracepoint>::Args) {
        let (_task, set, site) = args;
        if set {
            self.waking_set.inc();
        } else {
            self.waking_cleared.inc();
        }
        by_code(&self.sites, &self.site_unknown, site.0).inc();
    }
}
