#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# guest-bench.sh ROUNDS N
#
# Runs in the guest (make bench).  PTRACE_SYSCALL round-trip rate in four
# modes, interleaved: every round runs each mode once, N round trips,
# and the order rotates from round to round so that no mode always runs
# first or last:
#   off      kernel.ptrace_waking = 0, module not loaded (vanilla-equivalent)
#   on       kernel.ptrace_waking = 1, module not loaded
#   module   on, ptrace_waking.ko loaded (its probes are attached)
#   ftrace   on, module loaded, and the ptrace:* events on in ftrace
# Then the waking wait itself: bench_ptrace waking with the path off and
# on, and the module's histogram of the wait.
# Output: "bench round=R mode=M per_sec=X" lines, "waking mode=..." lines,
# the module's wait_summary as "wait_summary KEY VALUE" lines.
rounds=${1:-7}
n=${2:-20000}
T=/ptw/kselftest/ptrace_waking
KO=${PTRACE_WAKING_KO:-/ptw/ptrace_waking.ko}
SYSCTL=/proc/sys/kernel/ptrace_waking
EV=/sys/kernel/tracing/events/ptrace
MOD=/sys/kernel/debug/ptrace_waking

if [ ! -w "$SYSCTL" ] || [ ! -d "$EV" ]; then
	echo "# bench: this kernel lacks the PT_WAKING series"
	exit 1
fi
echo 64 > /sys/kernel/tracing/buffer_size_kb

mode_set() {
	case $1 in
	off) echo 0 > $SYSCTL ;;
	*) echo 1 > $SYSCTL ;;
	esac
	case $1 in
	off|on) grep -q '^ptrace_waking ' /proc/modules && rmmod ptrace_waking ;;
	*) grep -q '^ptrace_waking ' /proc/modules || insmod $KO ;;
	esac
	[ "$1" = ftrace ] && echo 1 > $EV/enable || echo 0 > $EV/enable
	return 0
}

modes="off on module ftrace"
r=0
while [ $r -lt "$rounds" ]; do
	r=$((r + 1))
	# rotate: round 1 starts with off, round 2 with on, ...
	order=$(echo $modes $modes | awk -v s=$(( (r - 1) % 4 )) '{ for (i = 1; i <= 4; i++) printf "%s ", $(i + s) }')
	for m in $order; do
		mode_set $m || exit 1
		out=$($T/bench_ptrace roundtrip "$n") || { echo "# bench: $m failed: $out"; exit 1; }
		echo "bench round=$r mode=$m $(echo "$out" | sed 's/^roundtrip //')"
	done
done

# The waking wait: what the tracer pays with the path on, against what a
# spurious ESRCH costs it with the path off.
for m in off module; do
	mode_set $m
	[ -d $MOD ] && echo 1 > $MOD/reset
	out=$($T/bench_ptrace waking "$n") || { echo "# bench: waking $m failed: $out"; exit 1; }
	echo "waking mode=$m $(echo "$out" | sed 's/^waking //')"
done
sed 's/^/wait_summary /' $MOD/wait_summary
mode_set off
echo 1 > $SYSCTL
