// SPDX-License-Identifier: GPL-2.0

//! Log2 histogram of the time `ptrace_check_attach()` spent waiting for a waking tracee.
//!
//! Bucket `b` counts the samples in `[2^b, 2^(b+1))` nanoseconds, except bucket 0, which also
//! counts 0 and so holds `[0, 2)`: 64 buckets cover every `u64`. Recording takes no lock: a few
//! atomic RMWs, see [`Log2Histogram::record`].
//!
//! # Percentiles and resets
//!
//! A percentile is read from the buckets and capped at the exact maximum. Without resets it is
//! never below the true percentile of the samples counted: [`Log2Histogram::record`] raises the
//! maximum before it counts the sample in its bucket, with release ordering, and
//! [`Log2Histogram::snapshot`] reads the buckets, with acquire ordering, before the maximum. A
//! reset ([`Log2Histogram::clear`]) that runs while a sample is being recorded can however clear
//! the maximum after the sample raised it and before the sample is counted in its bucket: the
//! bucket then counts a sample that the maximum does not include, and a percentile that falls in
//! that bucket can be below the true one, until a later sample raises the maximum above it or
//! the next reset. Snapshots and resets are serialized by the caller ([`crate::stats::Stats`]),
//! so a snapshot never sees a reset half done.

use crate::counter::Counter;
use kernel::{
    fmt,
    num::casts::{
        u32_as_usize,
        usize_as_u64,
        FromSafeCast, //
    }, //
};

/// Number of buckets: one per bit of a `u64`.
pub(crate) const BUCKETS: usize = u32_as_usize(u64::BITS);

/// Width of the bar drawn after each count in `wait_histogram`, in columns.
const BAR_COLUMNS: usize = 40;

/// [`BAR_COLUMNS`] as a `u64`, to scale counts.
const BAR_WIDTH: u64 = usize_as_u64(BAR_COLUMNS);

/// Percentiles shown in `wait_summary`, in that order.
const PERCENTILES: [u64; 3] = [50, 90, 99];

/// A log2 histogram of nanosecond values with lock-free recording.
pub(crate) struct Log2Histogram {
    buckets: [Counter; BUCKETS],
    /// Largest value recorded, exact; updated before the bucket (see [`Self::record`]).
    max: Counter,
    /// Sum of the values recorded.
    total: Counter,
}

/// A copy of a [`Log2Histogram`] taken at one point, for formatting.
pub(crate) struct HistSnapshot {
    buckets: [u64; BUCKETS],
    max: u64,
    total: u64,
}

impl Log2Histogram {
    /// Creates an empty histogram.
    pub(crate) const fn new() -> Self {
        Self {
            buckets: [const { Counter::new() }; BUCKETS],
            max: Counter::new(),
            total: Counter::new(),
        }
    }

    /// Records the value `ns`; 0 is counted in the first bucket, with 1.
    ///
    /// The maximum is raised before the bucket is bumped with release ordering, and
    /// [`Self::snapshot`] reads the buckets with acquire ordering before the maximum, so a
    /// snapshot's `max` is at least every sample it counts (unless a reset raced with the
    /// recording, see the module documentation).
    #[inline]
    pub(crate) fn record(&self, ns: u64) {
        self.max.raise_to(ns);
        self.total.add(ns);
        // Always in range (see `bucket_of()`); `get()` keeps the probe free of panics anyway.
        if let Some(bucket) = self.buckets.get(bucket_of(ns)) {
            bucket.inc_release();
        }
    }

    /// Total of the recorded values, in nanoseconds.
    pub(crate) fn total(&self) -> &Counter {
        &self.total
    }

    /// Largest recorded value, in nanoseconds.
    pub(crate) fn max(&self) -> &Counter {
        &self.max
    }

    /// Returns the current contents; the caller serializes this with [`Self::clear`].
    pub(crate) fn snapshot(&self) -> HistSnapshot {
        let mut buckets = [0; BUCKETS];
        for (b, c) in buckets.iter_mut().zip(&self.buckets) {
            *b = c.read_acquire();
        }
        HistSnapshot {
            buckets,
            max: self.max.read(),
            total: self.total.read(),
        }
    }

    /// Empties the histogram; the caller serializes this with [`Self::snapshot`].
    ///
    /// A sample recorded concurrently may be kept in part, e.g. in its bucket but not in the
    /// maximum or the total; see the module documentation.
    pub(crate) fn clear(&self) {
        for c in &self.buckets {
            c.clear();
        }
        self.total.clear();
        self.max.clear();
    }
}

/// Index of the bucket that holds `ns`: `ilog2(ns)`, and 0 for 0.
pub(crate) fn bucket_of(ns: u64) -> usize {
    usize::from_safe_cast(ns.checked_ilog2().unwrap_or(0))
}

/// A bucket bound as `wait_histogram` prints it, right-aligned in [`Bound::WIDTH`] columns.
enum Bound {
    /// 0, the lower bound of the first bucket.
    Zero,
    /// `2^exp` as bpftrace prints histogram bounds: plain below 1024, else with a binary suffix
    /// (`K` = 2^10, `M` = 2^20, ... `E` = 2^60); `exp` is at most 64, giving `16E`.
    Pow2(usize),
}

impl Bound {
    /// Width of the longest bound, `512K`.
    const WIDTH: usize = 4;
}

// `writeln!` formats with `core::fmt`, not the kernel's `fmt!` adapter.
impl core::fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DIGITS: [&str; 10] = ["1", "2", "4", "8", "16", "32", "64", "128", "256", "512"];
        const SUFFIX: [&str; 7] = ["", "K", "M", "G", "T", "P", "E"];
        let (digits, suffix) = match *self {
            Self::Zero => ("0", ""),
            Self::Pow2(exp) => (
                DIGITS.get(exp % 10).copied().unwrap_or("?"),
                SUFFIX.get(exp / 10).copied().unwrap_or("?"),
            ),
        };
        for _ in digits.len().saturating_add(suffix.len())..Self::WIDTH {
            f.write_str(" ")?;
        }
        f.write_str(digits)?;
        f.write_str(suffix)
    }
}

impl HistSnapshot {
    /// Sum of the samples, in nanoseconds.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Largest sample, in nanoseconds.
    pub(crate) fn max(&self) -> u64 {
        self.max
    }

    /// Number of samples.
    pub(crate) fn count(&self) -> u64 {
        self.buckets.iter().fold(0u64, |a, &b| a.saturating_add(b))
    }

    /// Writes the `wait_histogram` text: one line per bucket from the lowest to the highest
    /// non-empty one, `[lo, hi) count |bar|`, nothing if there are no samples. The first bucket
    /// holds 0 too and is shown as `[0, 2)`.
    pub(crate) fn show(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(first) = self.buckets.iter().position(|&c| c != 0) else {
            return Ok(());
        };
        let last = self.buckets.iter().rposition(|&c| c != 0).unwrap_or(first);
        let peak = self.buckets.iter().copied().max().unwrap_or(0);
        for (b, &count) in self.buckets.iter().enumerate() {
            if !(first..=last).contains(&b) {
                continue;
            }
            // `count * BAR_WIDTH / peak`, at most `BAR_WIDTH` (saturating for absurd counts).
            let bar = count
                .saturating_mul(BAR_WIDTH)
                .checked_div(peak)
                .unwrap_or(0);
            let bar = usize::try_from(bar.min(BAR_WIDTH)).unwrap_or(0);
            // The first bucket also holds 0.
            let lo = if b == 0 { Bound::Zero } else { Bound::Pow2(b) };
            writeln!(
                f,
                "[{}, {}) {:>12} |{:@<bar$}{:pad$}|",
                lo,
                Bound::Pow2(b.saturating_add(1)),
                count,
                "",
                "",
                pad = BAR_COLUMNS.saturating_sub(bar),
            )?;
        }
        Ok(())
    }

    /// Upper bound of the `p`-th percentile, in nanoseconds, or 0 without samples; `count` is
    /// [`Self::count`].
    ///
    /// The value lies in bucket `b`, so it is below `2^(b+1)` and at most the exact maximum;
    /// the smaller of the two is returned. It is never below the true percentile, unless a reset
    /// raced with recording (see the module documentation), and at most twice it, or at most 2
    /// if it is 0 (the first bucket holds 0 and 1).
    pub(crate) fn percentile(&self, p: u64, count: u64) -> u64 {
        if count == 0 {
            return 0;
        }
        // rank = ceil(count * p / 100), without overflow.
        let rank = (count / 100)
            .saturating_mul(p)
            .saturating_add((count % 100).saturating_mul(p).div_ceil(100))
            .max(1);
        let mut seen = 0u64;
        for (b, &c) in (0u32..).zip(&self.buckets) {
            seen = seen.saturating_add(c);
            if seen >= rank {
                let pow = 1u64.checked_shl(b).unwrap_or(u64::MAX);
                // The first bucket holds 0 too.
                let lo = if b == 0 { 0 } else { pow };
                let hi = pow.saturating_mul(2);
                // A reset racing with recording can leave `max` below this bucket.
                return if self.max >= lo { hi.min(self.max) } else { hi };
            }
        }
        u64::MAX
    }

    /// Writes the `wait_summary` text: `name value` lines, see the ABI documentation.
    pub(crate) fn show_summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.count();
        writeln!(f, "count {count}")?;
        writeln!(f, "total_ns {}", self.total)?;
        writeln!(f, "max_ns {}", self.max)?;
        writeln!(f, "mean_ns {}", self.total.checked_div(count).unwrap_or(0))?;
        for p in PERCENTILES {
            writeln!(f, "p{p}_ns {}", self.percentile(p, count))?;
        }
        Ok(())
    }
}
