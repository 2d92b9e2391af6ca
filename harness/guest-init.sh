#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
#
# /init of the guest.  ttyS0 is the kernel console; the TAP stream goes to
# ttyS1 so kernel messages never tear a TAP line.  The verdict leaves the
# guest through QEMU's isa-debug-exit port (0xf4): 0 -> all passed, 1 -> a
# failure; QEMU then exits with (value << 1) | 1, i.e. 1 or 3.
#
# The kselftests run under the kernel's own runner, run_kselftest.sh from
# a kselftest-install of the patched tree (/ptw/kselftest), which enforces
# each collection's `settings` timeout.  Its TAP stream is the start of
# ours; the guest's own checks (ptw:<id>) follow, the last one a scan of
# the guest's own dmesg.  See the "Guest TAP contract" in harness/verdict.py.
#
# Kernel command line:
#   ptw.mode=check|stress|control|demo|bench|probe
#   ptw.role=waking-on|waking-off|vanilla|debug   (check: what to run)
#   ptw.drain=TOKEN      console drain marker the host looks for
#   ptw.iters=N          demo: race iterations per scenario and mode
#   ptw.race_iters=N     check: the same for the races kselftest
#                        (RACE_ITERS; without it the kselftest's 500)
#   ptw.unload_cycles=N  check: debugfs_abi's unload_under_traffic cycles
#                        (UNLOAD_CYCLES; without it the kselftest's 100)
#                        Both are passed on as given: the kselftest fails,
#                        naming it, on anything but digits for a number
#                        from 1 to 10000000 (RACE_ITERS), 100000
#                        (UNLOAD_CYCLES).
#   ptw.stress=SECONDS, ptw.stress_min=N, ptw.churn=0|1   stress pass
#   ptw.bench=ROUNDS     bench
#   ptw.timeout=SECONDS  override every kselftest timeout (run_kselftest -o)

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
# The kernel's runner wants coreutils' timeout (--foreground) and stdbuf;
# busybox's timeout lacks --foreground.  The initramfs carries them.
for b in timeout stdbuf; do
	[ -x /ptw/bin/$b ] && ln -sf /ptw/bin/$b /usr/bin/$b
done
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# What udev would add: the kernel's runner logs to /dev/stdout.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /tmp /sys/fs/cgroup && mount -t tmpfs tmpfs /tmp
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null

verdict() {
	# One byte to the debug-exit port ends QEMU; poweroff is the fallback.
	printf "\\$(printf '%03o' "$1")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	poweroff -f
}

mode=check role=waking-on drain='' timeout=''
iters=2000 stress=0 stress_min=100000 bench=7
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	ptw.mode=*) mode=${arg#ptw.mode=} ;;
	ptw.role=*) role=${arg#ptw.role=} ;;
	ptw.drain=*) drain=${arg#ptw.drain=} ;;
	ptw.iters=*) iters=${arg#ptw.iters=} ;;
	ptw.race_iters=*) export RACE_ITERS="${arg#ptw.race_iters=}" ;;
	ptw.unload_cycles=*) export UNLOAD_CYCLES="${arg#ptw.unload_cycles=}" ;;
	ptw.stress=*) stress=${arg#ptw.stress=} ;;
	ptw.stress_min=*) stress_min=${arg#ptw.stress_min=} ;;
	ptw.bench=*) bench=${arg#ptw.bench=} ;;
	ptw.timeout=*) timeout=${arg#ptw.timeout=} ;;
	ptw.churn=*) export PTW_STRESS_CHURN=${arg#ptw.churn=} ;;
	ptw.verbose) export PTW_STRESS_VERBOSE=1 PTW_STRESS_DUMP_MS=40000 ;;
	esac
done

[ "$mode" = probe ] && verdict 0
booted=$(cut -d' ' -f1 /proc/uptime)

# Everything the kernel printed reaches the console before the verdict
# ends QEMU: the console of 7.3's 8250 is an nbcon console, printed by a
# kthread.  The host requires this marker in its console log.
drain_console() {
	echo "ptw: console drain marker ${drain:-none}" > /dev/kmsg
	sleep 2
}

# kmemleak (debug kernel): forget what boot left behind, so that a report
# at the end belongs to the tests.  A scan must see the suspects first.
KML=/sys/kernel/debug/kmemleak
boot_leaks=
if [ -w $KML ]; then
	echo scan > $KML
	boot_leaks=$(grep -c '^unreferenced object' $KML)
	echo clear > $KML
fi

KS=/ptw/kselftest
export PTRACE_WAKING_KO=/ptw/ptrace_waking.ko
exec 3>/dev/ttyS1

if [ "$mode" = demo ]; then
	{
		echo "# kernel: $(uname -r), CPUs online: $(cat /sys/devices/system/cpu/online)"
		echo "# races: $iters iterations per scenario and mode"
		# The races kselftest itself, sized for the demo: its
		# assertions decide the verdict, its race= lines the table.
		cd $KS/ptrace_waking && RACE_ITERS=$iters ./races 2>&1
		rc=$?
		echo "# races exit status $rc"
	} >&3 2>&3
	[ "$rc" = 0 ] && v=0 || v=1
	drain_console
	verdict $v
fi

if [ "$mode" = bench ]; then
	{
		echo "# guest: $(uname -r), userspace up ${booted}s after boot, CPUs online: $(cat /sys/devices/system/cpu/online)"
		/ptw/bench.sh "$bench" "$iters"
		echo $? > /tmp/rc
		echo "bench_exit=$(cat /tmp/rc)"
	} >&3 2>&3
	[ "$(cat /tmp/rc)" = 0 ] && v=0 || v=1
	drain_console
	verdict $v
fi

# Which kselftests this boot runs: the series' own collection and/or the
# upstream suites of harness/upstream.list.
upstream=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' /ptw/upstream.list)
case "$role" in
waking-on) sel="ptrace_waking:* $upstream" ;;
waking-off|debug) sel="ptrace_waking:*" ;;
vanilla) sel="$upstream" ;;
*) sel= ;;
esac
[ "$mode" = check ] || sel=
tests=
for s in $sel; do
	case "$s" in
	*:\*) tests="$tests $(grep "^${s%:\*}:" $KS/kselftest-list.txt)" ;;
	*) tests="$tests $s" ;;
	esac
done
ntests=$(echo $tests | wc -w)

# The guest's own checks, in the order they run (each one TAP line).
checks="cpus"
case "$role" in vanilla) ;; *) [ "$mode" = control ] || checks="$checks sysctl" ;; esac
[ "$role" = waking-on ] && [ "$mode" = check ] && checks="$checks kcfi"
[ "$mode" = control ] && checks="$checks control-counts control-dmesg"

# KUnit (debug kernel): the built-in suites (the kernel crate's Rust
# doctests) ran at boot; the module's own suite runs when its test module
# loads.  Each suite is reported like a kselftest binary, case by case.
kunit=
if [ "$role" = debug ] && [ "$mode" = check ]; then
	[ -f /ptw/ptrace_waking_kunit.ko ] && insmod /ptw/ptrace_waking_kunit.ko 2>/tmp/kunit.err
	for d in /sys/kernel/debug/kunit/*; do
		[ -r "$d/results" ] && kunit="$kunit ${d##*/}"
	done
fi
[ "$stress" -gt 0 ] && checks="$checks stress"
[ -n "$boot_leaks" ] && checks="$checks kmemleak"
[ -r /proc/lockdep_stats ] && checks="$checks lockdep"
[ "$mode" = control ] || checks="$checks dmesg"

echo "TAP version 13" >&3
echo "# guest: $(uname -r), role $role, mode $mode, userspace up ${booted}s after boot" >&3
echo "1..$((ntests + $(echo $kunit | wc -w) + $(echo $checks | wc -w)))" >&3
echo "# guest: first test at $(cut -d' ' -f1 /proc/uptime)s after boot" >&3
fail=0

# The kernel's runner, minus its own header and plan (ours cover it).
i=0
if [ "$ntests" -gt 0 ]; then
	args=
	for t in $tests; do args="$args -t $t"; done
	[ -n "$timeout" ] && args="$args -o $timeout"
	# busybox sh has no PIPESTATUS: carry the exit code out of the pipe.
	{ $KS/run_kselftest.sh $args 2>&1; echo $? > /tmp/rc; } |
		sed -e '/^TAP version 13$/d' -e '/^1\.\.[0-9]*$/d' >&3
	[ "$(cat /tmp/rc)" = 0 ] || fail=1
	i=$ntests
fi

# A KUnit suite's KTAP (debugfs results): its indented case lines become
# the section's nested TAP, its own result line the section's result.
for suite in $kunit; do
	i=$((i + 1))
	r=/sys/kernel/debug/kunit/$suite/results
	echo "# selftests: kunit: $suite" >&3
	sed -n 's/^    /# /p' $r >&3
	if tail -n 1 $r | grep -q '^ok '; then
		echo "ok $i selftests: kunit: $suite" >&3
	else
		echo "not ok $i selftests: kunit: $suite # $(tail -n 1 $r)" >&3
		fail=1
	fi
done
[ -n "$kunit" ] && rmmod ptrace_waking_kunit 2>/dev/null

# check ID STATUS TEXT: one TAP line for a guest check.
check() {
	i=$((i + 1))
	if [ "$2" = ok ]; then
		echo "ok $i ptw:$1 $3" >&3
	else
		echo "not ok $i ptw:$1 $3" >&3
		fail=1
	fi
}

# rejects VAR VALUE KSELFTEST [ARG...]: the ptrace_waking kselftest fails
# with VAR=VALUE in its environment, and says why naming both.  Else the
# end of its output goes to the TAP stream as diagnostics.  A count
# taken by mistake would run the test for minutes: 60 s is plenty for a
# rejection (about 1 s).
rejects() {
	var=$1 val=$2
	shift 2
	if ! out=$(cd $KS/ptrace_waking && timeout -k 5 60 env "$var=$val" "$@" 2>&1) &&
	   echo "$out" | grep -qF "$var=$val: not a whole number"; then
		return 0
	fi
	echo "$out" | tail -n 5 | sed "s/^/# $var='$val': /" >&3
	return 1
}

# The splat patterns of the host's console scan (harness/verdict.py
# splat-regex, written into the initramfs).
SPLAT=$(cat /ptw/splat.regex)

# dmesg_scan: the guest's own look at the kernel log: splats, dropped
# printk records, and records overwritten before anyone read them (the
# first record's sequence number is not 0).  Prints what it found.
dmesg_scan() {
	first=$(head -n 1 /dev/kmsg 2>/dev/null | cut -d, -f2)
	found=$(dmesg | grep -a -E "$SPLAT")
	if [ -n "$found" ]; then
		echo "$found" | head -40 | sed 's/^/# dmesg: /' >&3
		return 1
	fi
	if [ -n "$first" ] && [ "$first" != 0 ]; then
		echo "# dmesg: the kernel log lost its first $first records" >&3
		return 1
	fi
	return 0
}

for c in $checks; do
	case $c in
	cpus)
		# The races need tracer and tracee on different CPUs.
		n=$(grep -c ^processor /proc/cpuinfo)
		[ "$n" -ge 2 ] && check cpus ok "$n CPUs online" ||
			check cpus fail "only $n CPU online, need >= 2" ;;
	sysctl)
		# The waking path is in the state the command line asked for.
		want=1
		grep -q 'ptrace_waking=off' /proc/cmdline && want=0
		have=$(cat /proc/sys/kernel/ptrace_waking 2>/dev/null || echo missing)
		[ "$have" = "$want" ] && check sysctl ok "kernel.ptrace_waking = $have as booted" ||
			check sysctl fail "kernel.ptrace_waking = $have, expected $want" ;;
	kcfi)
		# The kCFI boot: the kernel's indirect calls are type-checked
		# (__cfi_ preambles), and so are the module's probes, which the
		# tracepoint iterators call indirectly; a mismatch would trap.
		n=$(grep -c ' __cfi_' /proc/kallsyms)
		insmod $PTRACE_WAKING_KO 2>/dev/null
		m=$(grep -c ' __cfi_.*\[ptrace_waking\]' /proc/kallsyms)
		rmmod ptrace_waking 2>/dev/null
		[ "$n" -gt 0 ] && [ "$m" -gt 0 ] &&
			check kcfi ok "kCFI on: $n preambles, $m in ptrace_waking.ko" ||
			check kcfi fail "kCFI preambles: kernel $n, ptrace_waking.ko $m" ;;
	control-counts)
		# Negative control of the count variables (make check's
		# DEBUG_RACE_ITERS, DEBUG_UNLOAD_CYCLES reach the kselftests
		# as RACE_ITERS, UNLOAD_CYCLES): a malformed one must fail the
		# kselftest and be named, never run with some other count.
		bad=
		for v in '' 1x 0 ' 5' '5 ' +5 10000001; do
			rejects RACE_ITERS "$v" ./races -v stop_cont_waking_on || bad="$bad RACE_ITERS='$v'"
		done
		for v in '' abc 0 ' 3' '3 ' +3 100001; do
			rejects UNLOAD_CYCLES "$v" ./debugfs_abi -t unload_under_traffic ||
				bad="$bad UNLOAD_CYCLES='$v'"
		done
		[ -z "$bad" ] && check control-counts ok "malformed RACE_ITERS and UNLOAD_CYCLES rejected by name" ||
			check control-counts fail "accepted, or rejected without naming it:$bad" ;;
	control-dmesg)
		# Negative control: one deliberate WARN through LKDTM; both the
		# guest's scan (here) and the host's console scan must see it.
		echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT 2>/dev/null
		if dmesg_scan; then
			check control-dmesg fail "the dmesg scan missed the LKDTM WARNING"
		else
			check control-dmesg ok "the dmesg scan caught the LKDTM WARNING"
		fi ;;
	stress)
		echo "# stress: ${stress}s, at least $stress_min race iterations" >&3
		/ptw/stress.sh "$stress" "$stress_min" /tmp/stress.totals >&3 2>&3
		r=$?
		totals=$(cat /tmp/stress.totals 2>/dev/null)
		[ "$r" = 0 ] && check stress ok "$totals" || check stress fail "$totals # exit=$r" ;;
	kmemleak)
		# With the module unloaded nothing the tests did may be left
		# unreferenced.  Objects younger than 5 s are not reported: wait,
		# and scan twice as Documentation/dev-tools/kmemleak.rst advises.
		# A kmemleak that turned itself off fails too.
		grep -q '^ptrace_waking ' /proc/modules && rmmod ptrace_waking
		sleep 6
		if ! { echo scan > $KML; } 2>/dev/null; then
			check kmemleak fail "kmemleak is off (see the console)"
			continue
		fi
		echo scan > $KML
		leaks=$(grep -c '^unreferenced object' $KML)
		if [ "$leaks" = 0 ]; then
			check kmemleak ok "no leak after the module is unloaded ($boot_leaks boot-time suspects cleared)"
		else
			sed -n '1,120s/^/# /p' $KML >&3
			check kmemleak fail "$leaks unreferenced objects (above)"
		fi ;;
	lockdep)
		# Still armed at the end: it watched every lock taken.
		dl=$(awk '$1 == "debug_locks:" { print $2 }' /proc/lockdep_stats)
		classes=$(awk '/lock-classes:/ { print $2 }' /proc/lockdep_stats)
		[ "$dl" = 1 ] && check lockdep ok "still on at the end ($classes lock classes)" ||
			check lockdep fail "turned off during the run (debug_locks = $dl): see the console" ;;
	dmesg)
		dmesg_scan && check dmesg ok "no splat, nothing dropped in the kernel log" ||
			check dmesg fail "kernel log (above)" ;;
	esac
done

echo "# guest runner done" >&3
drain_console
verdict $fail
