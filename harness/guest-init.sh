#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the guest.  ttyS0 is the kernel console; the TAP stream goes to
# ttyS1 so kernel messages never tear a TAP line.  The verdict leaves the
# guest through QEMU's isa-debug-exit port (0xf4): 0 -> all passed, 1 -> a
# failure; QEMU then exits with (value << 1) | 1, i.e. 1 or 3.
#
# Kernel command line: ptw.mode=check|demo|probe

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
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	ptw.mode=*) mode=${arg#ptw.mode=} ;;
	ptw.iters=*) iters=${arg#ptw.iters=} ;;
	esac
done

[ "$mode" = probe ] && verdict 0

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

# mode=check: every kselftest binary, kselftest runner style.
tests=$(sed -n 's/^ptrace_waking://p' /ptw/kselftest-list.txt)
n=$(( $(echo "$tests" | wc -w) + 2 ))
echo "TAP version 13" >&3
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
echo "# guest runner done" >&3
verdict $fail
