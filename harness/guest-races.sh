#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# guest-races.sh ITERATIONS
#
# Runs in the guest.  Every race reproducer (/ptw/tests/race_*) runs with
# the waking path off and on (sysctl kernel.ptrace_waking), and the ftrace
# hist triggers on ptrace:ptrace_check_attach and ptrace:ptrace_waking
# count the kernel's side exactly.  If the ptrace_waking module is loaded,
# its counters are reset before each run and its ESRCH count and waking
# wait percentiles are reported too.  Reason names come from the event's
# format file, so there is no second list to keep in sync.  One line per
# scenario and mode:
#   race=NAME mode=off|on iterations=N tracer_esrch=N eager_esrch=N
#        set=N ok_after_waking=N
#        esrch_waking_off=N esrch_waking_fail=N esrch_other=N calls=N
#        [mod_esrch=N mod_waking=N wait_p50_ns=N wait_p99_ns=N]
iters=${1:-2000}
T=/sys/kernel/tracing
CA=$T/events/ptrace/ptrace_check_attach
PW=$T/events/ptrace/ptrace_waking
SYSCTL=/proc/sys/kernel/ptrace_waking
MOD=/sys/kernel/debug/ptrace_waking

if [ ! -d "$CA" ] || [ ! -w "$SYSCTL" ]; then
	echo "# guest-races: this kernel lacks the PT_WAKING series (no $CA or $SYSCTL)"
	exit 4
fi

# "{ 2, "OK_AFTER_WAKING" }" pairs from the print fmt -> "2 OK_AFTER_WAKING"
reasons=$(grep -o '{ [0-9]*, "[A-Z_]*" }' "$CA/format" | tr -d '{},"')

# hist output lines look like "{ reason:          2 } hitcount:         15"
count_reason() {	# $1 = hist text, $2 = regex on reason names
	echo "$reasons" | while read -r num name; do
		echo "$name" | grep -Eq "^($2)\$" || continue
		echo "$1" | awk -v n="$num" '$2 == "reason:" && $3 == n { print $6 }'
	done | awk '{ s += $1 } END { print s + 0 }'
}

for prog in /ptw/tests/race_*; do
	[ -x "$prog" ] || continue
	name=${prog##*/race_}
	for mode in off on; do
		[ $mode = on ] && echo 1 > $SYSCTL || echo 0 > $SYSCTL
		[ -d $MOD ] && echo 1 > $MOD/reset
		echo 'hist:keys=reason' > $CA/trigger
		echo 'hist:keys=set' > $PW/trigger
		out=$("$prog" "$iters" 2>/tmp/race.err)
		rc=$?
		ca=$(cat $CA/hist)
		pw=$(cat $PW/hist)
		echo '!hist:keys=reason' > $CA/trigger
		echo '!hist:keys=set' > $PW/trigger
		mod=
		if [ -d $MOD ]; then
			sum=$(cat $MOD/wait_summary)
			mod="mod_esrch=$(cat $MOD/esrch) mod_waking=$(cat $MOD/waking_path)"
			mod="$mod wait_p50_ns=$(echo "$sum" | awk '$1 == "p50_ns" { print $2 }')"
			mod="$mod wait_p99_ns=$(echo "$sum" | awk '$1 == "p99_ns" { print $2 }')"
		fi
		n=$(echo "$out" | sed -n 's/.*iterations=\([0-9]*\).*/\1/p')
		e=$(echo "$out" | sed -n 's/.* esrch=\([0-9]*\).*/\1/p')
		ee=$(echo "$out" | sed -n 's/.* eager_esrch=\([0-9]*\).*/\1/p')
		set=$(echo "$pw" | awk '$2 == "set:" && $3 == 1 { print $6 }')
		calls=$(count_reason "$ca" '[A-Z_]+')
		echo "race=$name mode=$mode iterations=${n:-?} tracer_esrch=${e:-?} eager_esrch=${ee:-0}" \
		     "set=${set:-0} ok_after_waking=$(count_reason "$ca" OK_AFTER_WAKING)" \
		     "esrch_waking_off=$(count_reason "$ca" ESRCH_WAKING_OFF)" \
		     "esrch_waking_fail=$(count_reason "$ca" 'ESRCH_WAKING_(TIMEOUT|KILLED|FAILED)')" \
		     "esrch_other=$(count_reason "$ca" 'ESRCH_(NOT_TRACED|NOT_STOPPED|LISTENING|FATAL_SIGNAL|EXEC_PID|INACTIVE)')" \
		     "calls=$calls rc=$rc $mod"
		echo "#   $out"
		[ -s /tmp/race.err ] && sed -n '1,5s/^/#   stderr: /p' /tmp/race.err
	done
done
echo 1 > $SYSCTL
