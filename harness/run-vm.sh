#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh MODE BZIMAGE INITRAMFS LOGDIR LABEL [EXTRA_CMDLINE]
#
# Boot the guest under QEMU and collect its verdict (MODE: see
# harness/guest-init.sh and below).  The console goes to LOGDIR/console-LABEL.log,
# the TAP stream to LOGDIR/tap-LABEL.log.  KVM is used only when a bounded
# probe boot shows it works; otherwise TCG, with one host thread per vCPU
# when QEMU is 8.1 or newer (see qemu_mttcg_safe in harness/lib.sh).
# harness/verdict.py then decides (see its header): it prints and writes
# LOGDIR/summary-LABEL.txt ("LABEL: N passed, N failed, N skipped") and
# LOGDIR/results-LABEL.txt, and run-vm.sh exits with its status.
#
# MODE: check, stress, control (TAP checked; check also against the
# inventory), demo or bench (verdict byte, console only).
# Environment: PTW_SMP, PTW_MEM, PTW_VM_TIMEOUT (seconds), PTW_BOOT_LIMIT
# (seconds for the guest's first TAP line, default 300), PTW_ACCEL (kvm
# or tcg[,thread=...]: no KVM probe), PTW_INVENTORY (default
# harness/inventory.txt), PTW_INVENTORY_RECORD=1 (write the boot's
# inventory section to LOGDIR/inventory-LABEL.txt for review), PTW_PYTHON
# (default python3), PTW_ICOUNT=1 (TCG with -icount shift=0,sleep=off,
# align=off: guest time counts executed instructions, 1 ns each, all vCPUs
# on one host thread, so guest-side timings do not depend on the host's
# load; make bench).  The
# self-test (harness/selftest/run.sh) puts a stub qemu-system-x86_64 first
# on PATH.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

mode=$1 kernel=$2 initrd=$3 logdir=$4 label=$5 extra=${6:-}
mkdir -p "$logdir"
# No verdict of an earlier boot may survive a run that dies before its own.
rm -f "$logdir/summary-$label.txt" "$logdir/results-$label.txt" "$logdir/verdict-$label.txt"
SMP=${PTW_SMP:-2}
MEM=${PTW_MEM:-1024}
TIMEOUT=${PTW_VM_TIMEOUT:-900}
BOOT_LIMIT=${PTW_BOOT_LIMIT:-300}
[[ $BOOT_LIMIT =~ ^[1-9][0-9]*$ ]] || die "PTW_BOOT_LIMIT='$BOOT_LIMIT': seconds, a whole number above 0"
INVENTORY=${PTW_INVENTORY:-$(dirname "$0")/inventory.txt}
case $mode in
check|stress|control|demo|bench) ;;
*) die "run-vm.sh: unknown MODE '$mode' (check, stress, control, demo, bench)" ;;
esac

[ -f "$kernel" ] || die "$kernel missing: build the kernel first (make kernel)"
[ -f "$initrd" ] || die "$initrd missing (make initramfs)"

# The guest CPU: QEMU's "max" without LA57, i.e. 4-level paging as on
# most machines, for every boot alike (paging depth has nothing to do with
# ptrace; one CPU model keeps the boots comparable).  With LA57, 7.3's
# KASAN (the debug kernel) can report an interrupt taken at boot while
# identify_cpu() has zeroed the boot CPU's feature words: until they are
# read again pgtable_l5_enabled() is false, KASAN's shadow bounds assume
# 47-bit addresses, and an out-of-line check of the 5-level direct map
# (ff11...) calls the access wild.  1 probe boot in 8 hit it
# (Documentation/results/debug-la57-kasan-identify-cpu.txt).
CPU_MODEL=max,la57=off

qemu() {
	local accel=$1 timeout=$2 console=$3 tap=$4 cmdline=$5
	local rc=0
	# --verbose: "timeout: sending signal ..." in the QEMU log is how we
	# know the host timeout fired (QEMU could exit 124 on its own).
	# timeout(1)'s PID goes to $pidfile if set (the boot limit below).
	timeout --verbose --foreground -k 5 "$timeout" qemu-system-x86_64 \
		-accel "$accel" ${icount:+-icount shift=0,sleep=off,align=off} -cpu "$CPU_MODEL" -smp "$SMP" -m "$MEM" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 $cmdline" \
		-display none -monitor none -no-reboot \
		-serial "file:$console" -serial "file:$tap" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		</dev/null >"$logdir/qemu-$label.log" 2>&1 &
	local tpid=$!
	[ -z "${pidfile:-}" ] || echo "$tpid" > "$pidfile"
	wait "$tpid" || rc=$?
	return $rc
}

# Which accelerator?  KVM only if a probe boot of this very kernel reaches
# /init and reports back within a short bound; KVM guests hang on some hosts.
accel=${PTW_ACCEL:-}
if [ -z "$accel" ] && [ "${PTW_ICOUNT:-0}" != 1 ] && [ -w /dev/kvm ]; then
	stage "probing KVM (bounded: 20 s)"
	rc=0
	( label=kvm-probe qemu kvm 20 "$logdir/console-kvm-probe.log" /dev/null "ptw.mode=probe" ) 2>/dev/null || rc=$?
	if [ $rc -eq 1 ]; then
		accel=kvm
	else
		info "KVM guest did not report back (exit $rc): using TCG"
	fi
fi
icount=
if [ "${PTW_ICOUNT:-0}" = 1 ]; then
	# icount needs TCG with one host thread for all vCPUs.
	accel="tcg,thread=single"
	icount=1
elif [ -z "$accel" ]; then
	if qemu_mttcg_safe; then
		accel="tcg,thread=multi"
	else
		accel="tcg,thread=single"
		info "QEMU $(qemu_version | tr ' ' .) < 8.1: TCG on one host thread (its multi-threaded TCG" \
		     "runs stale code after kernel text patching; see harness/lib.sh)"
	fi
fi

threads=-
[[ $accel != *thread=* ]] || threads=${accel##*thread=}
echo "accel=${accel%%,*} tcg_threads=$threads icount=${icount:-off} cpu=$CPU_MODEL vcpus=$SMP mem_mib=$MEM qemu=$(qemu_version | tr ' ' .)" \
	> "$logdir/vm-$label.txt"
console=$logdir/console-$label.log
tap=$logdir/tap-$label.log
# Fresh files: a stale log of an earlier boot must never stand in for this
# one's (the drain token below guards the console too).
: > "$tap"
: > "$console"
# A fresh random token per boot: the guest writes "ptw: console drain
# marker TOKEN" to /dev/kmsg before its verdict, and only a console that
# shows this very token has drained.
drain=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
stage "booting $label guest ($accel, $SMP vCPUs, mode=$mode, timeout ${TIMEOUT}s; console: $console)"
t0=$(date +%s) cpu0=$(ptw_cpu_cs $$)
rc=0
stalled=$logdir/stalled-$label pidfile=$logdir/timeout-$label.pid
rm -f "$stalled" "$pidfile"
qemu "$accel" "$TIMEOUT" "$console" "$tap" "ptw.mode=$mode ptw.drain=$drain $extra" &
qpid=$!
# The boot limit: a guest whose init has written nothing to the TAP port
# BOOT_LIMIT seconds after QEMU started never reached its test runner (a
# kernel hung in early boot: seen once, a debug kernel whose console
# stopped 17 s in).  Stop it then, not at the host timeout (2400 s plus
# STRESS_SECONDS for make check's debug boot).  Every mode's init writes
# its first TAP line soon after userspace starts: about 40 s into the
# slowest boot seen (debug, TCG, after its kmemleak scan and KUnit module
# load).  The watcher signals timeout(1) (its PID from qemu() above),
# which passes the signal on to QEMU.
(
	end=$((SECONDS + BOOT_LIMIT))
	while kill -0 "$qpid" 2>/dev/null && [ ! -s "$tap" ]; do
		if [ "$SECONDS" -ge "$end" ]; then
			# The marker only once timeout(1) got the signal; until
			# its PID is there, try again each second.
			tp=$(cat "$pidfile" 2>/dev/null) || tp=
			if [ -n "$tp" ] && kill -TERM "$tp" 2>/dev/null; then
				: > "$stalled"
				exit 0
			fi
		fi
		sleep 1
	done
) &
wpid=$!
# Show the TAP stream as it arrives; tail ends (within -s) when QEMU does.
tail -s 0.1 -n +1 -F --pid="$qpid" "$tap" 2>/dev/null | sed -u 's/\r$//' || true
wait "$qpid" || rc=$?
kill "$wpid" 2>/dev/null || true
wait "$wpid" 2>/dev/null || true
timed_out=0 stopped=
grep -q 'timeout: sending signal' "$logdir/qemu-$label.log" 2>/dev/null && timed_out=1
why=' (host timeout fired)'
[ ! -e "$stalled" ] || why=' (stopped at the boot limit)'
info "guest ran $(( $(date +%s) - t0 ))s, QEMU exit status $rc$([ $timed_out = 0 ] && [ ! -e "$stalled" ] || echo "$why")"
vtimeout=$TIMEOUT
if [ -e "$stalled" ]; then
	printf '\nERROR: %s: no TAP line within %ss of starting QEMU: the guest never reached its test runner %s\n' \
		"$label" "$BOOT_LIMIT" "(hung in early boot?), so it was stopped (PTW_BOOT_LIMIT; the console: $console)" >&2
	timed_out=1 vtimeout=$BOOT_LIMIT
	stopped=1
fi
rm -f "$stalled" "$pidfile"

tr -d '\r' < "$tap" > "$tap.clean" && mv "$tap.clean" "$tap"
# Guest wall time, boot-to-first-test, when the boot started (seconds
# into the make run) and the boot's CPU time (QEMU's, all vCPU threads),
# for timings.log and make bench's pipeline table.
first=$(sed -n 's/^# guest: first test at \([0-9.]*\)s.*/\1/p' "$tap" | sed -n 1p)
cpu1=$(ptw_cpu_cs $$) cpu=
[ -z "$cpu0" ] || [ -z "$cpu1" ] || cpu=$(ptw_cs_to_s $((cpu1 - cpu0)))
echo "$(( $(date +%s) - t0 )) ${first:--} $((t0 - PTW_T0))${cpu:+ $cpu}" > "$logdir/time-$label.txt"

# The verdict: the guest's verdict byte, the TAP stream and the console
# must agree and be complete (harness/verdict.py says how, and why each
# check exists).  Its status is ours.
vargs=(boot --label "$label" --mode "$mode" --status "$rc" --timeout "$vtimeout"
	--tap "$tap" --console "$console" --drain "$drain" --logdir "$logdir"
	--qemu-log "$logdir/qemu-$label.log")
[ "$timed_out" = 0 ] || vargs+=(--timed-out)
[ -z "$stopped" ] || vargs+=(--boot-limit)
[ "$mode" != check ] || vargs+=(--inventory "$INVENTORY")
[ -z "${PTW_INVENTORY_RECORD:-}" ] || [ "$PTW_INVENTORY_RECORD" = 0 ] || vargs+=(--record)
vrc=0
"${PTW_PYTHON:-python3}" "$(dirname "$0")/verdict.py" "${vargs[@]}" || vrc=$?
exit "$vrc"
