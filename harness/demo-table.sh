#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo-table.sh TAPLOG
#
# Turn the guest's "race=... key=value" lines (harness/guest-races.sh) into
# the table make demo prints.
set -euo pipefail
awk '
function v(k,   i, kv) {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] }
	return "-"
}
function us(ns) { return ns == "-" || ns == "" ? "-" : sprintf("%.1f", ns / 1000) }
BEGIN {
	f = "%-14s %-4s %9s %8s %8s %9s %8s %10s %9s %8s %8s %8s %8s\n"
	printf f, "scenario", "mode", "iter-", "ESRCH", "ESRCH", "PT_WAKING", "waited", "ESRCH", "ESRCH", "ESRCH",
	       "module", "wait", "wait"
	printf f, "", "", "ations", "protocol", "eager", "set", "->ok", "waking-off", "wait-fail", "other",
	       "ESRCH", "p50 us", "p99 us"
}
/^race=/ {
	printf f, v("race"), v("mode"), v("iterations"), v("tracer_esrch"), v("eager_esrch"),
	       v("set"), v("ok_after_waking"), v("esrch_waking_off"), v("esrch_waking_fail"), v("esrch_other"),
	       v("mod_esrch"), us(v("wait_p50_ns")), us(v("wait_p99_ns"))
}' "$1"
cat <<'EON'

  ESRCH protocol: requests issued after waitpid() reported a stop (ptrace(2)'s rules).
  ESRCH eager:    requests issued right after the tracer itself woke the tracee
                  (listen: after SIGCONT to a PTRACE_LISTEN tracee; attach_stopped:
                  right after PTRACE_ATTACH returned) -- the PT_WAKING window.
  The other columns are the kernel's own counts (ftrace hist triggers on ptrace:*):
  PT_WAKING set, waits that ended in a ptrace-stop, and ESRCH by reason.
  module: the ptrace_waking module's esrch counter and waking-wait percentiles
  (upper bounds of log2 buckets) for the same run; it also counts ESRCH the
  reproducer provokes on purpose while it sets up or retries.

EON
sed -n 's/^# //p' "$1" | sed -n '/^module counters after/,$p' 
