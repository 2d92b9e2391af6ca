// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the `ptrace_waking` module: histogram buckets, percentiles, the sums derived
//! from the per-reason and per-site counters, and resets.
//!
//! This is a module of its own, `ptrace_waking_kunit.ko`, built from the same sources as
//! `ptrace_waking.ko` (`counter.rs`, `histogram.rs` and `stats.rs`, included with `#[path]`), so
//! that the tests run once, when it is loaded, and not at every load of `ptrace_waking.ko`. It
//! attaches no probes and creates no files. With `CONFIG_KUNIT_DEBUGFS`, the results are in
//! `/sys/kernel/debug/kunit/ptrace_waking/results` (KTAP) until the module is unloaded; they are
//! also printed to the kernel log.

use kernel::prelude::*;

// Parts of these are only used by `ptrace_waking.ko`.
#[allow(dead_code)]
#[path = "counter.rs"]
mod counter;
#[allow(dead_code)]
#[path = "histogram.rs"]
mod histogram;
#[allow(dead_code)]
#[path = "stats.rs"]
mod stats;

module! {
    type: PtraceWakingKunit,
    name: "ptrace_waking_kunit",
    authors: ["ptrace-waking developers"],
    description: "KUnit tests of the ptrace_waking module",
    license: "GPL",
}

/// Nothing to do at load: KUnit runs the suite below when the module is loaded.
struct PtraceWakingKunit;

impl kernel::Module for PtraceWakingKunit {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Self)
    }
}

#[kunit_tests(ptrace_waking)]
mod tests {
    use super::{
        histogram::{
            bucket_of,
            HistSnapshot,
            Log2Histogram,
            BUCKETS, //
        },
        stats::{
            Snapshot,
            Stats,
            CLEAR_SITES,
            ESRCH,
            OK,
            REASONS,
            REASON_NR,
            SET_SITES,
            SITES,
            WAKING_ESRCH,
            WAKING_OK,
            WAKING_PATH, //
        }, //
    };
    use kernel::{
        bindings::{
            ptrace_attach_reason as Reason,
            ptrace_waking_site as Site, //
        },
        fmt,
        num::casts::FromSafeCast,
        prelude::*,
        task::Task, //
    };

    /// [`REASON_NR`] as a code.
    const REASON_NR_U32: u32 = Reason::PTRACE_ATTACH_REASON_NR.0;

    /// [`SITE_NR`](super::stats::SITE_NR) as a code.
    const SITE_NR_U32: u32 = Site::PTRACE_WAKING_SITE_NR.0;

    /// A `core::fmt::Write` sink into a fixed buffer, to check formatted output.
    struct Buf {
        data: [u8; 4096],
        len: usize,
    }

    impl Buf {
        fn new() -> Self {
            Self {
                data: [0; 4096],
                len: 0,
            }
        }

        fn as_bytes(&self) -> &[u8] {
            self.data.get(..self.len).unwrap_or(&[])
        }
    }

    impl fmt::Write for Buf {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
            self.data
                .get_mut(self.len..end)
                .ok_or(fmt::Error)?
                .copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }

    /// Formats `f(value)` into a [`Buf`].
    fn format<T>(value: &T, f: fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result) -> Buf {
        struct Show<'a, T>(&'a T, fn(&T, &mut fmt::Formatter<'_>) -> fmt::Result);
        impl<T> core::fmt::Display for Show<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                (self.1)(self.0, f)
            }
        }
        let mut buf = Buf::new();
        // A full buffer shows as a mismatch in the test.
        let _ = fmt::Write::write_fmt(&mut buf, format_args!("{}", Show(value, f)));
        buf
    }

    /// The `p`-th percentile of `sorted` as `wait_summary` defines it: the smallest sample with
    /// at least `p` % of the samples at or below it.
    fn true_percentile(sorted: &[u64], p: u64) -> u64 {
        let count = u64::from_safe_cast(sorted.len());
        let rank = (count * p).div_ceil(100).max(1);
        sorted
            .get(usize::try_from(rank - 1).unwrap_or(usize::MAX))
            .copied()
            .unwrap_or(0)
    }

    /// A deterministic pseudo-random sequence (xorshift64).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    /// Records `samples` into a new histogram and returns its snapshot.
    fn histogram_of(samples: &[u64]) -> HistSnapshot {
        let h = Log2Histogram::new();
        for &s in samples {
            h.record(s);
        }
        h.snapshot()
    }

    #[test]
    fn bucket_bounds() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1), 0);
        assert_eq!(bucket_of(2), 1);
        assert_eq!(bucket_of(3), 1);
        assert_eq!(bucket_of(4), 2);
        assert_eq!(bucket_of(1023), 9);
        assert_eq!(bucket_of(1024), 10);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        for b in 1..u64::BITS {
            let lo = 1u64 << b;
            assert_eq!(bucket_of(lo), usize::from_safe_cast(b));
            assert_eq!(bucket_of(lo - 1), usize::from_safe_cast(b - 1));
        }
    }

    #[test]
    fn empty_histogram() {
        let h = histogram_of(&[]);
        assert_eq!(h.count(), 0);
        assert_eq!(h.percentile(50, 0), 0);
        assert_eq!(format(&h, HistSnapshot::show).as_bytes(), b"");
        assert_eq!(
            format(&h, HistSnapshot::show_summary).as_bytes(),
            b"count 0\ntotal_ns 0\nmax_ns 0\nmean_ns 0\np50_ns 0\np90_ns 0\np99_ns 0\n"
        );
    }

    #[test]
    fn summary_of_1_to_100() -> Result {
        let mut samples = KVec::new();
        for ns in 1..=100u64 {
            samples.push(ns, GFP_KERNEL)?;
        }
        let h = histogram_of(&samples);
        assert_eq!(h.count(), 100);
        assert_eq!(h.total(), 5050);
        assert_eq!(h.max(), 100);
        // p50 = 50 lies in [32, 64): upper bound 64; p90 = 90 and p99 = 99 lie in [64, 128),
        // capped at the maximum, 100.
        assert_eq!(
            format(&h, HistSnapshot::show_summary).as_bytes(),
            b"count 100\ntotal_ns 5050\nmax_ns 100\nmean_ns 50\np50_ns 64\np90_ns 100\np99_ns 100\n"
        );
        Ok(())
    }

    #[test]
    fn histogram_lines() {
        let h = histogram_of(&[1000, 1500, 3000, 3000, 3000, 3000]);
        let expected: &[u8] =
            b"[ 512,   1K)            1 |@@@@@@@@@@                              |\n\
[  1K,   2K)            1 |@@@@@@@@@@                              |\n\
[  2K,   4K)            4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n";
        assert_eq!(format(&h, HistSnapshot::show).as_bytes(), expected);
    }

    #[test]
    fn percentile_bounds() -> Result {
        // Never below the true percentile and at most twice it (at most 2 if it is 0), for
        // samples of all magnitudes, 0 included.
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..20u32 {
            let mut samples = KVec::new();
            let n = 1 + rng.next() % 500;
            for _ in 0..n {
                // 0 ns to about 2^(20 + round) ns, spread over the magnitudes; one in eight is 0.
                let sample = if rng.next() % 8 == 0 {
                    0
                } else {
                    let bits = 1 + rng.next() % u64::from(20 + round);
                    1 + rng.next() % (1u64 << bits)
                };
                samples.push(sample, GFP_KERNEL)?;
            }
            samples.sort_unstable();
            let h = histogram_of(&samples);
            assert_eq!(h.count(), n);
            for p in [1, 25, 50, 90, 99, 100] {
                let truth = true_percentile(&samples, p);
                let estimate = h.percentile(p, n);
                assert!(estimate >= truth);
                assert!(estimate <= truth.saturating_mul(2).max(2));
                assert!(estimate <= h.max());
            }
        }
        Ok(())
    }

    #[test]
    fn zero_samples() {
        // Only zeros: every percentile is 0, the bucket is shown as [0, 2).
        let h = histogram_of(&[0, 0, 0]);
        assert_eq!(h.count(), 3);
        assert_eq!(h.max(), 0);
        for p in [1, 50, 100] {
            assert_eq!(h.percentile(p, 3), 0);
        }
        assert_eq!(
            format(&h, HistSnapshot::show).as_bytes(),
            b"[   0,    2)            3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
        );
        // 0 and 1 share the first bucket; a percentile in it is capped at the maximum.
        let h = histogram_of(&[0, 1, 4]);
        assert_eq!(h.percentile(50, 3), 2);
        assert_eq!(h.percentile(34, 3), 2);
        assert_eq!(
            format(&h, HistSnapshot::show).as_bytes(),
            &b"[   0,    2)            2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\
[   2,    4)            0 |                                        |\n\
[   4,    8)            1 |@@@@@@@@@@@@@@@@@@@@                    |\n"[..]
        );
        let h = histogram_of(&[0, 1]);
        assert_eq!(h.percentile(50, 2), 1);
        assert_eq!(h.percentile(100, 2), 1);
    }

    #[test]
    fn classes_partition_reasons() {
        for code in 0..REASON_NR_U32 {
            // Every reason returns either 0 or -ESRCH.
            assert!(OK.contains(code) != ESRCH.contains(code));
            // Exactly the four waking-path reasons waited.
            let waking = [
                Reason::PTRACE_ATTACH_OK_AFTER_WAKING.0,
                Reason::PTRACE_ATTACH_ESRCH_WAKING_TIMEOUT.0,
                Reason::PTRACE_ATTACH_ESRCH_WAKING_FAILED.0,
                Reason::PTRACE_ATTACH_ESRCH_WAKING_INTERRUPTED.0,
            ]
            .contains(&code);
            assert_eq!(WAKING_PATH.contains(code), waking);
            assert_eq!(
                WAKING_OK.contains(code),
                code == Reason::PTRACE_ATTACH_OK_AFTER_WAKING.0
            );
            assert_eq!(WAKING_ESRCH.contains(code), waking && ESRCH.contains(code));
        }
        for code in 0..SITE_NR_U32 {
            assert!(SET_SITES.contains(code) != CLEAR_SITES.contains(code));
        }
        assert_eq!(REASONS.len(), 14);
        assert_eq!(SITES.len(), 12);
        assert!(!OK.contains(32) && !ESRCH.contains(u32::MAX));
    }

    /// The count of `reason` in `s`.
    fn reason(s: &Snapshot, reason: Reason) -> u64 {
        s.reasons[usize::from_safe_cast(reason.0)]
    }

    /// Checks the equalities that the ABI documents for `stats`.
    fn sums_consistent(s: &Snapshot) -> bool {
        let reasons = s.reasons.iter().sum::<u64>() + s.reason_unknown;
        s.calls() == reasons
            && s.ok() + s.esrch() + s.ret_other() == s.calls()
            && s.ret_other() == s.reason_unknown
            && s.waking_ok() + s.waking_esrch() == s.waking_path()
            && s.waking_ok() == reason(s, Reason::PTRACE_ATTACH_OK_AFTER_WAKING)
            && s.waking_esrch()
                == reason(s, Reason::PTRACE_ATTACH_ESRCH_WAKING_TIMEOUT)
                    + reason(s, Reason::PTRACE_ATTACH_ESRCH_WAKING_FAILED)
                    + reason(s, Reason::PTRACE_ATTACH_ESRCH_WAKING_INTERRUPTED)
    }

    /// Counts `n` calls of every reason, waking-path ones with a wait of `1000 * (code + 1)` ns,
    /// and `n` transitions at every site.
    fn count_all(stats: &Stats, task: &Task, n: u64) {
        for _ in 0..n {
            for code in 0..REASON_NR_U32 {
                stats.count_check_attach(Reason(code), 1000 * u64::from(code + 1), task);
            }
            for code in 0..SITE_NR_U32 {
                stats.count_waking(Site(code));
            }
        }
    }

    #[test]
    fn derived_sums() -> Result {
        let stats = KBox::pin_init(Stats::new(), GFP_KERNEL)?;
        let current = current!();
        let task: &Task = current;
        count_all(&stats, task, 3);
        stats.count_check_attach(Reason(REASON_NR_U32), 5, task);
        stats.count_check_attach(Reason(u32::MAX), 5, task);
        stats.count_waking(Site(SITE_NR_U32));

        let s = stats.snapshot();
        assert!(sums_consistent(&s));
        assert_eq!(s.calls(), 3 * u64::from_safe_cast(REASON_NR) + 2);
        assert_eq!(s.ok(), 3 * 3);
        assert_eq!(s.esrch(), 3 * 11);
        // Every known reason returns 0 or -ESRCH: only the unknown ones are other returns.
        assert_eq!(s.ret_other(), 2);
        assert_eq!(s.waking_path(), 3 * 4);
        assert_eq!(s.waking_ok(), 3);
        assert_eq!(s.waking_esrch(), 3 * 3);
        assert_eq!(s.reason_unknown, 2);
        assert_eq!(s.waking_set(), 3 * 5);
        assert_eq!(s.waking_cleared(), 3 * 7);
        assert_eq!(s.site_unknown, 1);
        // Only the waking path records its wait: codes 8, 10, 11 and 12, which waited
        // 1000 * (code + 1) ns.
        assert_eq!(s.wait.count(), s.waking_path());
        assert_eq!(s.wait.total(), 3 * 1000 * (9 + 11 + 12 + 13));
        assert_eq!(s.wait.max(), 13000);
        // The last `-ESRCH` was the last ESRCH reason counted: `waking_off` (13).
        // CAST: The pid of a task is positive.
        let pid = task.pid() as u32;
        assert_eq!(
            stats.last_esrch.get(),
            Some((pid, Reason::PTRACE_ATTACH_ESRCH_WAKING_OFF.0))
        );
        Ok(())
    }

    #[test]
    fn reset_clears_everything() -> Result {
        let stats = KBox::pin_init(Stats::new(), GFP_KERNEL)?;
        let current = current!();
        let task: &Task = current;
        count_all(&stats, task, 2);
        stats.reset();

        let s = stats.snapshot();
        assert!(s.reasons.iter().all(|&n| n == 0));
        assert!(s.sites.iter().all(|&n| n == 0));
        assert_eq!(s.reason_unknown + s.site_unknown, 0);
        assert_eq!(s.wait.count(), 0);
        assert_eq!(s.wait.total(), 0);
        assert_eq!(s.wait.max(), 0);
        assert!(stats.last_esrch.get().is_none());
        assert_eq!(
            format(&s, Snapshot::show)
                .as_bytes()
                .split(|&c| c == b'\n')
                .filter(|l| !l.is_empty() && !l.ends_with(b" 0"))
                .count(),
            0
        );

        // Counting goes on from 0, and the sums stay exact.
        count_all(&stats, task, 1);
        let s = stats.snapshot();
        assert!(sums_consistent(&s));
        assert_eq!(s.calls(), u64::from_safe_cast(REASON_NR));
        assert_eq!(s.wait.count(), 4);
        Ok(())
    }

    #[test]
    fn stats_line_order() -> Result {
        let stats = KBox::pin_init(Stats::new(), GFP_KERNEL)?;
        let buf = format(&stats.snapshot(), Snapshot::show);
        let mut names = buf
            .as_bytes()
            .split(|&c| c == b'\n')
            .filter_map(|l| l.split(|&c| c == b' ').next())
            .filter(|n| !n.is_empty());
        for expected in [
            &b"calls"[..],
            b"ok",
            b"esrch",
            b"ret_other",
            b"waking_path",
            b"waking_ok",
            b"waking_esrch",
            b"wait_ns_total",
            b"wait_ns_max",
            b"waking_set",
            b"waking_cleared",
            b"reason_ok",
        ] {
            assert_eq!(names.next(), Some(expected));
        }
        // reason_ok was the first of the reasons; then the other reasons, in code order.
        for n in REASONS.iter().skip(1) {
            let line = names.next().unwrap_or(b"");
            assert_eq!(line.strip_prefix(b"reason_"), Some(n.name.to_bytes()));
        }
        assert_eq!(names.next(), Some(&b"reason_unknown"[..]));
        for n in SITES.iter() {
            let line = names.next().unwrap_or(b"");
            assert_eq!(line.strip_prefix(b"site_"), Some(n.name.to_bytes()));
        }
        assert_eq!(names.next(), Some(&b"site_unknown"[..]));
        assert_eq!(names.next(), None);
        Ok(())
    }
}
