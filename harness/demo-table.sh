#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo-table.sh TAPLOG
#
# Turn the races kselftest's "race=... key=value" lines (one per scenario
# and mode, see selftests/ptrace_waking/races.c) into the table make demo
# prints.  The races test itself asserted every relation the table shows
# (the module's counts equal the tracer's, window scenarios hit the window
# with the waking path off and never fail with it on); a failed assertion
# made the demo red before this runs.
set -euo pipefail
awk '
function v(k,   i, kv) {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] }
	return "-"
}
function us(ns) { return ns == "-" || ns == "" ? "-" : sprintf("%.1f", ns / 1000) }
function add(a, b) { return (a == "-" || b == "-") ? "-" : a + b }
BEGIN {
	f = "%-16s %-4s %8s %8s %8s %8s %9s %8s %8s %8s %8s %8s %8s %8s\n"
	printf f, "scenario", "mode", "iter-", "ESRCH", "ESRCH", "requests", "PT_WAKING", "waited", "ESRCH", "ESRCH",
	       "module", "wait", "wait", "wait"
	printf f, "", "", "ations", "protocol", "eager", "= module", "set", "->ok", "waking-", "wait-",
	       "ESRCH", "p50 us", "p99 us", "max us"
	printf f, "", "", "", "", "", "", "", "", "off", "fail", "", "", "", ""
}
{ sub(/^[# ]*/, "") }
/^race=/ {
	printf f, v("race"), v("mode"), v("iterations"), v("tracer_esrch"), v("eager_esrch"),
	       v("mod_calls"), v("set"), v("ok_after_waking"), v("waking_off"),
	       add(add(v("waking_timeout"), v("waking_failed")), v("waking_interrupted")),
	       v("mod_esrch"), us(v("wait_p50_ns")), us(v("wait_p99_ns")), us(v("wait_max_ns"))
}' "$1"
cat <<'EON'

  ESRCH protocol:  requests issued after waitpid() reported a stop (ptrace(2)'s rules).
  ESRCH eager:     requests issued right after the tracer itself kicked the tracee
                   (listen: SIGCONT to a PTRACE_LISTEN tracee; listen_interrupt:
                   PTRACE_INTERRUPT of one; attach_stopped: right after PTRACE_ATTACH)
                   -- the PT_WAKING window.
  requests:        every request of the tracer that reached ptrace_check_attach(); the
                   module counted exactly as many (asserted), and exactly the tracer's
                   ESRCH (module ESRCH).
  PT_WAKING set, waited->ok, ESRCH waking-off, ESRCH wait-fail (timeout, failed,
  interrupted): the module's per-site and per-reason counters, equal to the ftrace hist
  triggers on ptrace:* (asserted).  wait: the module's histogram of the waking wait
  (percentiles are upper bounds of log2 buckets, max is exact).
EON
