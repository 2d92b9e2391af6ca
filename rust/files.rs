// SPDX-License-Identifier: GPL-2.0

//! The debugfs directory `/sys/kernel/debug/ptrace_waking/` and its file formats.
//!
//! The ABI is documented in `Documentation/ABI/testing/debugfs-ptrace-waking`; keep the two
//! in sync. Modes come from the debugfs abstraction: 0400 for files with only a read
//! callback, 0200 for `reset`.

use crate::{
    counter::Counter,
    histogram::Log2Histogram,
    stats::{
        LastEsrch,
        Stats,
        REASONS,
        SITES, //
    }, //
};
use kernel::{
    debugfs::Scope,
    prelude::*,
    sync::Arc,
    uaccess::UserSliceReader, //
};

/// Longest write that `reset` accepts, in bytes; longer ones fail with `EINVAL`.
const RESET_MAX: usize = 64;

/// Returns an initializer for the directory, whose files show `stats`.
///
/// Everything is removed, and the directory's reference to `stats` dropped, when the returned
/// [`Scope`] is dropped; debugfs waits for readers and writers that are in a file operation.
pub(crate) fn create(stats: Arc<Stats>) -> impl PinInit<Scope<Arc<Stats>>> {
    Scope::dir(stats, c"ptrace_waking", |stats, dir| {
        dir.read_callback_file(c"version", &crate::ABI_VERSION, &|v: &u32, f| {
            writeln!(f, "{v}")
        });

        for (name, counter) in [
            (c"calls", &stats.calls),
            (c"ok", &stats.ok),
            (c"esrch", &stats.esrch),
            (c"ret_other", &stats.ret_other),
            (c"waking_path", &stats.waking_path),
            (c"waking_ok", &stats.waking_ok),
            (c"waking_esrch", &stats.waking_esrch),
            (c"wait_ns_total", stats.wait.total()),
            (c"wait_ns_max", stats.wait.max()),
            (c"waking_set", &stats.waking_set),
            (c"waking_cleared", &stats.waking_cleared),
        ] {
            dir.read_callback_file(name, counter, &Counter::show);
        }

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

        dir.read_callback_file(c"stats", &**stats, &|s: &Stats, f| s.snapshot().show(f));
        dir.read_callback_file(c"wait_histogram", &stats.wait, &|h: &Log2Histogram, f| {
            h.snapshot().show(f)
        });
        dir.read_callback_file(c"wait_summary", &stats.wait, &|h: &Log2Histogram, f| {
            h.snapshot().show_summary(f)
        });
        dir.read_callback_file(c"last_esrch", &stats.last_esrch, &LastEsrch::show);
        dir.write_only_callback_file(c"reset", &**stats, &write_reset);
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
    let buf = &mut buf[..len];
    reader.read_slice(buf)?;
    match &*buf {
        b"1" | b"1\n" => {
            stats.reset();
            Ok(())
        }
        _ => Err(EINVAL),
    }
}
