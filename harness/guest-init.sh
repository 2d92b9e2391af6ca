#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the guest.  ttyS0 is the kernel console; the TAP stream goes to
# ttyS1 so kernel messages never tear a TAP line.  The verdict leaves the
# guest through QEMU's isa-debug-exit port (0xf4): 0 -> all passed, 1 -> a
# failure; QEMU then exits with (value << 1) | 1, i.e. 1 or 3.
#
# Kernel command line: ptw.mode=check|demo|stress|probe, ptw.iters=N (demo),
# ptw.stress=SECONDS and ptw.stress_min=ITERATIONS (check: a stress pass
# after the tests; stress: only that), ptw.bench=ROUNDS (bench).

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /tmp && mount -t tmpfs tmpfs /tmp

verdict() {
	# One byte to the debug-exit port ends QEMU; poweroff is the fallback.
	printf "\\$(printf '%03o' "$1")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	poweroff -f
}

mode=check
iters=2000
stress=0
stress_min=100000
bench=7
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	ptw.mode=*) mode=${arg#ptw.mode=} ;;
	ptw.iters=*) iters=${arg#ptw.iters=} ;;
	ptw.stress=*) stress=${arg#ptw.stress=} ;;
	ptw.stress_min=*) stress_min=${arg#ptw.stress_min=} ;;
	ptw.bench=*) bench=${arg#ptw.bench=} ;;
	ptw.churn=*) export PTW_STRESS_CHURN=${arg#ptw.churn=} ;;
	ptw.verbose) export PTW_STRESS_VERBOSE=1 PTW_STRESS_DUMP_MS=40000 ;;
	esac
done

[ "$mode" = probe ] && verdict 0
booted=$(cut -d' ' -f1 /proc/uptime)

# kmemleak (debug kernel): forget what boot left behind, so that a report
# at the end belongs to the tests.  A scan must see the suspects first.
KML=/sys/kernel/debug/kmemleak
boot_leaks=
if [ -w $KML ]; then
	echo scan > $KML
	boot_leaks=$(grep -c '^unreferenced object' $KML)
	echo clear > $KML
fi

exec 3>/dev/ttyS1
export PTRACE_WAKING_KO=/ptw/tests/ptrace_waking.ko
cd /ptw/tests

if [ "$mode" = demo ]; then
	{
		echo "# kernel: $(uname -r), CPUs online: $(cat /sys/devices/system/cpu/online)"
		insmod "$PTRACE_WAKING_KO" && echo "# insmod ptrace_waking.ko: ok" ||
			echo "# insmod ptrace_waking.ko FAILED"
		echo "# races: $iters iterations per scenario and mode"
		/ptw/races.sh "$iters"
		d=/sys/kernel/debug/ptrace_waking
		if [ -d $d ]; then
			echo 1 > $d/reset
			echo "# module counters after one more race_listen run ($iters iterations, waking path on):"
			echo "#   $(/ptw/tests/race_listen "$iters" 2>&1)"
			for f in stats wait_summary wait_histogram last_esrch; do
				echo "# --- $d/$f"
				sed 's/^/#   /' $d/$f
			done
			rmmod ptrace_waking && echo "# rmmod ptrace_waking: ok"
		fi
	} >&3 2>&3
	verdict 0
fi

if [ "$mode" = bench ]; then
	{
		echo "# guest: $(uname -r), userspace up ${booted}s after boot, CPUs online: $(cat /sys/devices/system/cpu/online)"
		/ptw/bench.sh "$bench" "$iters"
		echo "bench_exit=$?"
	} >&3 2>&3
	verdict 0
fi

# mode=check: every kselftest binary, kselftest runner style, then the
# stress pass if asked for, then what the debug kernel's checkers saw.
# mode=stress: only the stress pass and the checkers.
tests=$(sed -n 's/^ptrace_waking://p' /ptw/kselftest-list.txt)
if [ "$mode" = stress ]; then
	tests=
	[ "$stress" -gt 0 ] || stress=600
fi
n=$(( $(echo "$tests" | wc -w) + 2 ))
[ "$stress" -gt 0 ] && n=$((n + 1))
[ -n "$boot_leaks" ] && n=$((n + 1))
[ -r /proc/lockdep_stats ] && n=$((n + 1))
echo "TAP version 13" >&3
echo "# guest: $(uname -r), userspace up ${booted}s after boot" >&3
echo "1..$n" >&3
fail=0

# Check 1: the races need tracer and tracee on different CPUs.
cpus=$(grep -c ^processor /proc/cpuinfo)
if [ "$cpus" -ge 2 ]; then
	echo "ok 1 guest: $cpus CPUs online ($(cat /sys/devices/system/cpu/online))" >&3
else
	echo "not ok 1 guest: only $cpus CPU online, need >= 2" >&3
	fail=1
fi

# Check 2: the waking path is in the state the kernel command line asked
# for (ptrace_waking=off boots with kernel.ptrace_waking = 0).
want=1
grep -q 'ptrace_waking=off' /proc/cmdline && want=0
have=$(cat /proc/sys/kernel/ptrace_waking 2>/dev/null || echo missing)
if [ "$have" = "$want" ]; then
	echo "ok 2 guest: kernel.ptrace_waking = $have as booted" >&3
else
	echo "not ok 2 guest: kernel.ptrace_waking = $have, expected $want from the command line" >&3
	fail=1
fi

i=2
echo "# guest: first test at $(cut -d' ' -f1 /proc/uptime)s after boot" >&3
for t in $tests; do
	i=$((i + 1))
	echo "# selftests: ptrace_waking: $t" >&3
	# busybox sh has no PIPESTATUS: carry the exit code out of the pipe.
	{ ./"$t" 2>&1; echo $? > /tmp/rc; } | sed -e 's/^/# /' >&3
	rc=$(cat /tmp/rc)
	case "$rc" in
	0) echo "ok $i selftests: ptrace_waking: $t" >&3 ;;
	4) echo "ok $i selftests: ptrace_waking: $t # SKIP" >&3 ;;
	*) echo "not ok $i selftests: ptrace_waking: $t # exit=$rc" >&3; fail=1 ;;
	esac
done

if [ "$stress" -gt 0 ]; then
	i=$((i + 1))
	echo "# stress: ${stress}s, at least $stress_min race iterations" >&3
	# Straight to the TAP stream (its lines are "# ..." comments), so
	# that the progress shows as it happens; the totals come back in a file.
	/ptw/stress.sh "$stress" "$stress_min" /tmp/stress.totals >&3 2>&3
	rc=$?
	totals=$(cat /tmp/stress.totals 2>/dev/null)
	if [ "$rc" = 0 ]; then
		echo "ok $i stress: $totals" >&3
	else
		echo "not ok $i stress: $totals # exit=$rc" >&3
		fail=1
	fi
fi

# kmemleak: with the module unloaded, nothing the tests did may be left
# unreferenced.  Objects younger than 5 s are not reported: wait, and
# scan twice as Documentation/dev-tools/kmemleak.rst advises.
if [ -n "$boot_leaks" ]; then
	i=$((i + 1))
	grep -q '^ptrace_waking ' /proc/modules && rmmod ptrace_waking
	sleep 6
	echo scan > $KML
	echo scan > $KML
	leaks=$(grep -c '^unreferenced object' $KML)
	if [ "$leaks" = 0 ]; then
		echo "ok $i kmemleak: no leak after the module is unloaded ($boot_leaks boot-time suspects cleared before the tests)" >&3
	else
		sed -n '1,120s/^/# /p' $KML >&3
		echo "not ok $i kmemleak: $leaks unreferenced objects (above)" >&3
		fail=1
	fi
fi

# lockdep: still armed at the end (it turns itself off after its first
# report), so it watched every lock taken during the run.
if [ -r /proc/lockdep_stats ]; then
	i=$((i + 1))
	dl=$(awk '$1 == "debug_locks:" { print $2 }' /proc/lockdep_stats)
	classes=$(awk '/lock-classes:/ { print $2 }' /proc/lockdep_stats)
	if [ "$dl" = 1 ]; then
		echo "ok $i lockdep: still on at the end (debug_locks = 1, $classes lock classes seen)" >&3
	else
		echo "not ok $i lockdep: turned off during the run (debug_locks = $dl): see the report in the console" >&3
		fail=1
	fi
fi
echo "# guest runner done" >&3
verdict $fail
