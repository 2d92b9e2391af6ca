#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# guest-stress.sh SECONDS [MIN_ITERATIONS [TOTALS_FILE]]
#
# Runs in the guest (make check on the debug kernel, make stress).  Round
# after round, until SECONDS have passed, at least MIN_ITERATIONS race
# iterations are done and at least three rounds have run (so that both
# modes ran at full size, however fast the machine):
#   - every race reproducer (/ptw/tests/race_*), the waking path on in odd
#     rounds and off in even ones, for about STEP seconds each: round 1
#     runs 100 iterations of each and measures its rate, later rounds
#     size each scenario's iterations from it (the scenarios differ by
#     two orders of magnitude in speed);
#   - kill_storm: SIGKILLs to tracers and tracees in the waking wait;
# while in the background the ptrace_waking module is loaded and unloaded
# over and over.  The kernel side is counted exactly by an ftrace hist
# trigger on ptrace:ptrace_check_attach.  Every reproducer must report
# no ESRCH after waitpid(), no other error, and a clean exit.  Prints
# "# " progress lines (TAP comments) and writes the totals line to
# TOTALS_FILE (default: stdout too); exits 1 on any failure.
budget=${1:-300}
min=${2:-100000}
totals_file=${3:-/dev/stdout}
step=${PTW_STRESS_STEP:-8}
storm=${PTW_STRESS_STORM:-40}
T=/ptw/kselftest/ptrace_waking
KO=${PTRACE_WAKING_KO:-/ptw/ptrace_waking.ko}
SYSCTL=/proc/sys/kernel/ptrace_waking
CA=/sys/kernel/tracing/events/ptrace/ptrace_check_attach
STOP=/tmp/stress.stop

if [ ! -w "$SYSCTL" ] || [ ! -d "$CA" ]; then
	echo "# stress: this kernel lacks the PT_WAKING series (no $SYSCTL or $CA)"
	exit 1
fi

# Module churn: load, let traffic hit the probes, unload; count cycles.
# A failed insmod or rmmod is a failure of the run.
rm -f $STOP /tmp/churn.*
echo 0 > /tmp/churn.cycles
churn() {
	n=0
	while [ ! -e $STOP ]; do
		if ! insmod $KO 2>>/tmp/churn.err; then
			echo "insmod failed in cycle $n" >> /tmp/churn.err
			break
		fi
		usleep $(( ($(od -An -N2 -tu2 /dev/urandom) % 400 + 50) * 1000 ))
		if ! rmmod ptrace_waking 2>>/tmp/churn.err; then
			echo "rmmod failed in cycle $n" >> /tmp/churn.err
			break
		fi
		n=$((n + 1))
		echo $n > /tmp/churn.cycles
		usleep $(( ($(od -An -N2 -tu2 /dev/urandom) % 200) * 1000 ))
	done
}
# PTW_STRESS_CHURN=0 (ptw.churn=0): no churn.  Every load and unload
# re-patches the tracepoints' static calls while the races run through
# them; under QEMU < 8.1 with multi-threaded TCG that oopses within a minute
# (a QEMU bug, see qemu_mttcg_safe in harness/lib.sh).
[ -f $KO ] && [ "${PTW_STRESS_CHURN:-1}" != 0 ] && { churn & churn_pid=$!; }

# 14 reasons: the smallest table (the default preallocates 2048 entries).
echo 'hist:keys=reason:size=128' > $CA/trigger
if [ -n "${PTW_STRESS_VERBOSE:-}" ]; then
	tr=/sys/kernel/tracing
	echo 8192 > $tr/buffer_size_kb
	echo 'sig != 17' > $tr/events/signal/signal_generate/filter
	echo 'sig != 17' > $tr/events/signal/signal_deliver/filter
	echo 1 > $tr/events/signal/enable
	echo 1 > $tr/events/ptrace/enable
fi
# Reason names from the event's format file: "2 OK_AFTER_WAKING" ...
reasons=$(grep -o '{ [0-9]*, "[A-Z_]*" }' "$CA/format" | tr -d '{},"')

t0=$(cut -d. -f1 /proc/uptime)
round=0 total=0 storm_rounds=0 sigkills=0 failures=0 per=
names=$(for p in $T/race_*; do [ -x "$p" ] && echo "${p##*/race_}"; done)
for n in $names; do eval "it_$n=0 chunk_$n=100"; done
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# Every task's state, wait channel and kernel stack, into the TAP stream:
# what a stuck run was doing.
dump_tasks() {
	echo "# stress: $1 has run for ${2} ms; tasks:"
	for d in /proc/[0-9]*; do
		read -r st < $d/stat 2>/dev/null || continue
		[ -e $d/exe ] || continue	# user tasks only
		echo "#   ${d#/proc/} $(echo "$st" | sed 's/^[0-9]* //' | cut -d' ' -f1-4) wchan=$(cat $d/wchan 2>/dev/null)"
		grep -E '^(TracerPid|SigPnd|ShdPnd|SigBlk|SigIgn):' $d/status 2>/dev/null | tr '\n\t' '  ' | sed 's/^/#       /'
		echo
		sed 's/^/#       /' $d/stack 2>/dev/null
	done
	# What the stuck tasks did last: the signal and ptrace events, if
	# verbose mode traced them from the start.
	if [ -n "${PTW_STRESS_VERBOSE:-}" ]; then
		echo 0 > /sys/kernel/tracing/tracing_on
		echo "#   last signal:* and ptrace:* events (SIGCHLD left out):"
		grep -v '^#' /sys/kernel/tracing/trace | tail -80 | sed 's/^/#     /'
	fi
}

# run PROGRAM ARGS...: sets out and rc; dumps the tasks once if it runs
# for more than 120 s (a chunk is sized for a few seconds).
run() {
	"$@" > /tmp/stress.out 2> /tmp/stress.err &
	p=$!
	r0=$(now_ms)
	dumped=
	while kill -0 $p 2>/dev/null; do
		usleep 100000
		if [ -z "$dumped" ] && [ $(( $(now_ms) - r0 )) -gt ${PTW_STRESS_DUMP_MS:-120000} ]; then
			dump_tasks "${1##*/}" $(( $(now_ms) - r0 ))
			dumped=1
		fi
	done
	wait $p
	rc=$?
	out=$(cat /tmp/stress.out)
}

fail() {
	failures=$((failures + 1))
	echo "# stress: FAIL: $*"
}

while :; do
	el=$(( $(cut -d. -f1 /proc/uptime) - t0 ))
	[ "$el" -ge "$budget" ] && [ "$total" -ge "$min" ] && [ "$round" -ge 3 ] && break
	[ -e /tmp/churn.err ] && grep -q failed /tmp/churn.err && break
	round=$((round + 1))
	mode=$((round % 2))
	echo $mode > $SYSCTL
	for n in $names; do
		chunk=0
		eval "chunk=\$chunk_$n"
		[ -n "${PTW_STRESS_VERBOSE:-}" ] && echo "#   round $round: race_$n $chunk ..."
		s0=$(now_ms)
		run $T/race_$n "$chunk"
		ms=$(( $(now_ms) - s0 + 1 ))
		it=$(echo "$out" | sed -n 's/.*iterations=\([0-9]*\).*/\1/p')
		e=$(echo "$out" | sed -n 's/.* esrch=\([0-9]*\).*/\1/p')
		o=$(echo "$out" | sed -n 's/.* other_errors=\([0-9]*\).*/\1/p')
		ee=$(echo "$out" | sed -n 's/.* eager_esrch=\([0-9]*\).*/\1/p')
		if [ "$rc" -ne 0 ] || [ "${e:-x}" != 0 ] || [ "${o:-x}" != 0 ] || [ "${it:-0}" -ne "$chunk" ]; then
			fail "race_$n (waking $mode): rc=$rc $out"
			sed -n '1,5s/^/#   stderr: /p' /tmp/stress.err
		fi
		# The window scenarios' eager requests: with the waking path on
		# none may fail (they wait instead).
		case $n in listen|listen_interrupt)
			[ $mode = 1 ] && [ "${ee:-x}" != 0 ] &&
				fail "race_$n (waking on): eager requests failed: $out" ;;
		esac
		if [ $round -eq 1 ]; then
			# Size the next rounds: about $step seconds per scenario.
			c=$(( chunk * step * 1000 / ms ))
			[ $c -lt 100 ] && c=100
			[ $c -gt 20000 ] && c=20000
			eval "chunk_$n=$c"
			echo "#   race_$n: $chunk iterations in ${ms} ms; $c per round from now on"
		fi
		eval "it_$n=\$((it_$n + ${it:-0}))"
		total=$((total + ${it:-0}))
	done
	[ -n "${PTW_STRESS_VERBOSE:-}" ] && echo "#   round $round: kill_storm $storm ..."
	s0=$(now_ms)
	run $T/kill_storm "$storm"
	[ $round -eq 1 ] && echo "#   kill_storm: $storm rounds in $(( $(now_ms) - s0 )) ms: $out"
	r=$(echo "$out" | sed -n 's/.* rounds=\([0-9]*\).*/\1/p')
	k=$(echo "$out" | sed -n 's/.* sigkills=\([0-9]*\).*/\1/p')
	if [ "$rc" -ne 0 ] || [ "${r:-0}" -ne "$storm" ]; then
		fail "kill_storm (waking $mode): rc=$rc $out"
		sed -n '1,5s/^/#   stderr: /p' /tmp/stress.err
	fi
	storm_rounds=$((storm_rounds + ${r:-0}))
	sigkills=$((sigkills + ${k:-0}))
	echo "# stress: round $round, ${el}s: $total race iterations, $storm_rounds storm rounds," \
	     "$sigkills SIGKILLs, $(cat /tmp/churn.cycles) module load/unload cycles, $failures failures"
done

touch $STOP
[ -n "${churn_pid:-}" ] && wait "$churn_pid"
grep -q ptrace_waking /proc/modules && rmmod ptrace_waking
echo 1 > $SYSCTL
if [ -s /tmp/churn.err ]; then
	fail "module churn: $(tr '\n' ' ' < /tmp/churn.err)"
fi
hist=$(cat $CA/hist)
echo '!hist:keys=reason:size=128' > $CA/trigger

el=$(( $(cut -d. -f1 /proc/uptime) - t0 ))
per=$(for n in $names; do eval "echo -n \"$n=\$it_$n \""; done)
echo "# stress: kernel side, ptrace_check_attach() outcomes during the run:"
echo "$reasons" | while read -r num name; do
	c=$(echo "$hist" | awk -v n="$num" '$2 == "reason:" && $3 == n { print $6 }')
	echo "#   $name ${c:-0}"
done
# The kernel side must show what the run is for: waits cut short by a
# tracer's SIGKILL (waking_interrupted) and by a tracee's (waking_failed), no
# wait that ran into the bound, and, with churn, module reloads.
count() {
	num=$(echo "$reasons" | awk -v n="$1" '$2 == n { print $1 }')
	echo "$hist" | awk -v n="$num" '$2 == "reason:" && $3 == n { s += $6 } END { print s + 0 }'
}
timeouts=$(count ESRCH_WAKING_TIMEOUT)
interrupted=$(count ESRCH_WAKING_INTERRUPTED)
wfailed=$(count ESRCH_WAKING_FAILED)
cycles=$(cat /tmp/churn.cycles)
[ "$timeouts" = 0 ] || fail "$timeouts requests ran into the waking bound (ESRCH_WAKING_TIMEOUT)"
[ "$interrupted" -gt 0 ] || fail "no waking wait was interrupted by a SIGKILL (ESRCH_WAKING_INTERRUPTED = 0)"
[ "$wfailed" -gt 0 ] || fail "no waking wait ended with its tracee killed (ESRCH_WAKING_FAILED = 0)"
[ "${PTW_STRESS_CHURN:-1}" = 0 ] || [ "$cycles" -gt 0 ] || fail "no module load/unload cycle completed"
line="seconds=$el rounds=$round iterations=$total ${per}storm_rounds=$storm_rounds"
line="$line sigkills=$sigkills module_cycles=$cycles waking_interrupted=$interrupted waking_failed=$wfailed"
line="$line waking_timeout=$timeouts failures=$failures"
echo "# stress: $line"
echo "$line" > "$totals_file"
[ "$failures" -eq 0 ] && [ "$total" -ge "$min" ]
