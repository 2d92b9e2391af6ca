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
# Tracer and tracee are pinned to CPUs 0 and 1 (bench_ptrace's "split"
# placement): every round trip is then a wake-up across CPUs, and under
# QEMU icount the rate of a mode varies by well under 0.1 % from run to
# run (left to the scheduler, which CPU the tracee runs on and whether a
# wake-up preempts vary, and so does the rate, by about 0.5 %).
# Then the waking wait itself: bench_ptrace waking with the path off, on,
# and on with the module loaded, and the module's histogram of the wait.
# The host (harness/bench-table.py) discards the warm-up rounds and
# computes everything; this script only measures.
# Output, one line each:
#   "bench round=R pos=P mode=M n=N ns=T per_sec=X cpus=split"
#   "waking mode=M n=N eager_esrch=E p50_ns=.. ..." (see bench_ptrace.c)
#   "wait_summary KEY VALUE" (the module's wait_summary after mode=module)
#   "ticks when=start|end uptime_s=U loc=L cpus=C" (local timer interrupts of
#    all CPUs and the uptime: the host derives the tick rate from them)
rounds=${1:-9}
n=${2:-20000}
T=/ptw/kselftest/ptrace_waking
KO=${PTRACE_WAKING_KO:-/ptw/ptrace_waking.ko}
SYSCTL=/proc/sys/kernel/ptrace_waking
EV=/sys/kernel/tracing/events/ptrace
MOD=/sys/kernel/debug/ptrace_waking
PLACE="split"

if [ ! -w "$SYSCTL" ] || [ ! -d "$EV" ]; then
	echo "# bench: this kernel lacks the PT_WAKING series"
	exit 1
fi
if [ "$(grep -c ^processor /proc/cpuinfo)" -lt 2 ]; then
	echo "# bench: needs 2 CPUs (tracer on CPU 0, tracee on CPU 1)"
	exit 1
fi
echo 64 > /sys/kernel/tracing/buffer_size_kb

ticks() {
	echo "ticks when=$1 uptime_s=$(cut -d' ' -f1 /proc/uptime)" \
		"loc=$(awk '$1 == "LOC:" { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }' /proc/interrupts)" \
		"cpus=$(grep -c ^processor /proc/cpuinfo)"
}

mode_set() {
	case $1 in
	off) echo 0 > $SYSCTL ;;
	*) echo 1 > $SYSCTL ;;
	esac
	case $1 in
	off|on) if grep -q '^ptrace_waking ' /proc/modules; then rmmod ptrace_waking || return 1; fi ;;
	*) grep -q '^ptrace_waking ' /proc/modules || insmod $KO || return 1 ;;
	esac
	if [ "$1" = ftrace ]; then echo 1 > $EV/enable; else echo 0 > $EV/enable; fi
}

ticks start
modes="off on module ftrace"
r=0
while [ $r -lt "$rounds" ]; do
	r=$((r + 1))
	# rotate: round 1 starts with off, round 2 with on, ...
	order=$(echo $modes $modes | awk -v s=$(( (r - 1) % 4 )) '{ for (i = 1; i <= 4; i++) printf "%s ", $(i + s) }')
	p=0
	for m in $order; do
		p=$((p + 1))
		mode_set $m || { echo "# bench: cannot switch to mode $m"; exit 1; }
		out=$($T/bench_ptrace roundtrip "$n" $PLACE) || { echo "# bench: $m failed: $out"; exit 1; }
		echo "bench round=$r pos=$p mode=$m $(echo "$out" | sed 's/^roundtrip //')"
	done
done

# The waking wait: what the tracer pays with the path on, against what a
# spurious ESRCH costs it with the path off.
for m in off on module; do
	mode_set $m || { echo "# bench: cannot switch to mode $m"; exit 1; }
	[ -d $MOD ] && echo 1 > $MOD/reset
	out=$($T/bench_ptrace waking "$n" $PLACE) || { echo "# bench: waking $m failed: $out"; exit 1; }
	echo "waking mode=$m $(echo "$out" | sed 's/^waking //')"
done
sed 's/^/wait_summary /' $MOD/wait_summary
ticks end
mode_set off
echo 1 > $SYSCTL
