// SPDX-License-Identifier: GPL-2.0

//! The debugfs directory `/sys/kernel/debug/ptrace_waking/` and its file formats.
//!
//! The ABI is documented in `Documentation/ABI/testing/debugfs-ptrace-waking`; keep the two
//! in sync. Modes come from the debugfs abstraction: 0400 for files with only a read
//! callback, 0200 for `reset`. Files that show a sum ([`Snapshot`](crate::stats::Snapshot))
//! take the same lock as `reset`, so they never show a reset half done.

use crate::{
    counter::Counter,
    stats::{
        LastEsrch,
        Stats,
        REASONS,
        SITES, //
    },
    LocalModule, //
};
use kernel::{
    debugfs::Scope,
    fmt,
    prelude::*,
    sync::Arc,
    uaccess::UserSliceReader, //
};

/// Longest write that `reset` accepts, in bytes; longer ones fail with `EINVAL`.
const RESET_MAX: usize = 64;

/// Creates a read-only file `$name` in `$dir` that shows `$sum` of a
/// [`Snapshot`](crate::stats::Snapshot) of `$stats`.
macro_rules! sum_file {
    ($dir:expr, $stats:expr, $name:literal, $sum:ident) => {
        $dir.read_callback_file($name, $stats, &|s: &Stats, f: &mut fmt::Formatter<'_>| {
            writeln!(f, "{}", s.snapshot().$sum())
        })
    };
}

/// Returns an initializer for the directory, whose files show `stats`.
///
/// Everything is removed, and the directory's reference to `stats` dropped, when the returned
/// [`Scope`] is dropped; debugfs waits for readers and writers that are in a file operation.
/// The files are owned by this module: while one is open, the module can't be unloaded.
pub(crate) fn create(stats: Arc<Stats>) -> impl PinInit<Scope<Arc<Stats>>> {
    Scope::dir::<LocalModule, _, _>(stats, c"ptrace_waking", |stats, dir| {
        dir.read_callback_file(c"version", &crate::ABI_VERSION, &|v: &u32, f| {
            writeln!(f, "{v}")
        });

        let stats: &Stats = stats;
        sum_file!(dir, stats, c"calls", calls);
        sum_file!(dir, stats, c"ok", ok);
        sum_file!(dir, stats, c"esrch", esrch);
        sum_file!(dir, stats, c"ret_other", ret_other);
        sum_file!(dir, stats, c"waking_path", waking_path);
        sum_file!(dir, stats, c"waking_ok", waking_ok);
        sum_file!(dir, stats, c"waking_esrch", waking_esrch);
        dir.read_callback_file(c"wait_ns_total", stats.wait.total(), &Counter::show);
        dir.read_callback_file(c"wait_ns_max", stats.wait.max(), &Counter::show);
        sum_file!(dir, stats, c"waking_set", waking_set);
        sum_file!(dir, stats, c"waking_cleared", waking_cleared);

        let reasons = dir.dir(c"reasons");
        for (n, counter) in REASONS.iter().zip(&stats.reasons) {
            reasons.read_callback_file(n.name, counter, &Counter::show);
        }
        reasons.read_callback_file(c"unknown", &stats.reason_unknown, &Counter::show);

        let sites = dir.dir(c"waking_sites");
        for (n, counter) in SITES.iter().zip(&stats.sites) {
            sites.read_callback_file(n.name, counter, &Counter::show);
        }
        sites.read_callback_file(c"unknown", &stats.site_unknown, &Counter::show);

        dir.read_callback_file(c"stats", stats, &|s: &Stats, f| s.snapshot().show(f));
        dir.read_callback_file(c"wait_histogram", stats, &|s: &Stats, f| {
            s.snapshot().wait.show(f)
        });
        dir.read_callback_file(c"wait_summary", stats, &|s: &Stats, f| {
            s.snapshot().wait.show_summary(f)
        });
        dir.read_callback_file(c"last_esrch", &stats.last_esrch, &LastEsrch::show);
        dir.write_only_callback_file(c"reset", stats, &write_reset);
    })
}

/// Write callback of `reset`: `1`, with or without a trailing newline, resets every counter;
/// anything else fails with `EINVAL` and changes nothing.
fn write_reset(stats: &Stats, reader: &mut UserSliceReader) -> Result {
    let len = reader.len();
    if len > RESET_MAX {
        return Err(EINVAL);
    }
    let mut buf = [0u8; RESET_MAX];
    let buf = buf.get_mut(..len).ok_or(EINVAL)?;
    reader.read_slice(buf)?;
    match &*buf {
        b"1" | b"1\n" => {
            stats.reset();
            Ok(())
        }
        _ => Err(EINVAL),
    }
}
