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
BEGIN {
	printf "%-15s %-4s %10s %9s %9s %9s %9s %10s %9s %9s\n",
	       "scenario", "mode", "iterations", "ESRCH", "ESRCH", "PT_WAKING", "waited", "ESRCH", "ESRCH", "ESRCH"
	printf "%-15s %-4s %10s %9s %9s %9s %9s %10s %9s %9s\n",
	       "", "", "", "protocol", "eager", "set", "->ok", "waking-off", "wait-fail", "other"
}
/^race=/ {
	printf "%-15s %-4s %10s %9s %9s %9s %9s %10s %9s %9s\n",
	       v("race"), v("mode"), v("iterations"), v("tracer_esrch"), v("eager_esrch"),
	       v("set"), v("ok_after_waking"), v("esrch_waking_off"), v("esrch_waking_fail"), v("esrch_other")
}' "$1"
cat <<'EON'

  ESRCH protocol: requests issued after waitpid() reported a stop (ptrace(2)'s rules).
  ESRCH eager:    requests issued right after the tracer itself woke the tracee
                  (listen: after SIGCONT to a PTRACE_LISTEN tracee; attach_stopped:
                  right after PTRACE_ATTACH returned) -- the PT_WAKING window.
  The other columns are the kernel's own counts (ftrace hist triggers on ptrace:*):
  PT_WAKING set, waits that ended in a ptrace-stop, and ESRCH by reason.
EON
