// SPDX-License-Identifier: GPL-2.0

//! Counters of `ptrace_check_attach()` outcomes and of the `PT_WAKING` path.
//!
//! The module exposes its state under `/sys/kernel/debug/ptrace_waking/`.
//! See `Documentation/ptrace-waking.rst` in the project for the debugfs ABI.

use kernel::{debugfs::Dir, debugfs::File, prelude::*};

module! {
    type: PtraceWaking,
    name: "ptrace_waking",
    authors: ["ptrace-waking developers"],
    description: "debugfs counters for ptrace_check_attach() and PT_WAKING",
    license: "GPL",
}

/// Version of the debugfs ABI, shown in `ptrace_waking/version`.
///
/// Bumped whenever a file is removed or its format changes; adding a file
/// does not bump it.
pub const ABI_VERSION: u32 = 1;

/// The module's state: everything it shows in debugfs.
///
/// Dropping it removes the files, and with the last file the directory.
struct PtraceWaking {
    _version: Pin<KBox<File<u32>>>,
}

impl kernel::Module for PtraceWaking {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // Each file keeps a reference to its parent directory, so `dir` may
        // go out of scope here: the directory lives as long as its files.
        let dir = Dir::new(c"ptrace_waking");
        let version = KBox::pin_init(
            dir.read_callback_file(c"version", ABI_VERSION, &|v, f| writeln!(f, "{v}")),
            GFP_KERNEL,
        )?;
        pr_info!(
            "debugfs ABI {} at /sys/kernel/debug/ptrace_waking\n",
            ABI_VERSION
        );
        Ok(Self { _version: version })
    }
}
