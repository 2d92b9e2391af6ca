#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh MODE BZIMAGE INITRAMFS LOGDIR LABEL [EXTRA_CMDLINE]
#
# Boot the guest under QEMU and collect its verdict.  MODE is check or demo
# (see harness/guest-init.sh).  The console goes to LOGDIR/console-LABEL.log,
# the TAP stream to LOGDIR/tap-LABEL.log.  KVM is used only when a bounded
# probe boot shows it works; otherwise TCG, with one host thread per vCPU
# when QEMU is 8.1 or newer (see qemu_mttcg_safe in harness/lib.sh).
# For check, prints "LABEL: N passed, N failed, N skipped" and exits
# non-zero on any failure, any kernel splat in the console, or a hang.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=$1 kernel=$2 initrd=$3 logdir=$4 label=$5 extra=${6:-}
mkdir -p "$logdir"
SMP=${PTW_SMP:-2}
MEM=${PTW_MEM:-1024}
TIMEOUT=${PTW_VM_TIMEOUT:-900}

[ -f "$kernel" ] || die "$kernel missing: build the kernel first (make kernel)"
[ -f "$initrd" ] || die "$initrd missing (make initramfs)"

qemu() {
	local accel=$1 timeout=$2 console=$3 tap=$4 cmdline=$5
	local rc=0
	timeout --foreground -k 5 "$timeout" qemu-system-x86_64 \
		-accel "$accel" -cpu max -smp "$SMP" -m "$MEM" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 $cmdline" \
		-display none -monitor none -no-reboot \
		-serial "file:$console" -serial "file:$tap" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		</dev/null >"$logdir/qemu-$label.log" 2>&1 || rc=$?
	return $rc
}

# Which accelerator?  KVM only if a probe boot of this very kernel reaches
# /init and reports back within a short bound; KVM guests hang on some hosts.
accel=${PTW_ACCEL:-}
if [ -z "$accel" ] && [ -w /dev/kvm ]; then
	stage "probing KVM (bounded: 20 s)"
	rc=0
	( label=kvm-probe qemu kvm 20 "$logdir/console-kvm-probe.log" /dev/null "ptw.mode=probe" ) 2>/dev/null || rc=$?
	if [ $rc -eq 1 ]; then
		accel=kvm
	else
		info "KVM guest did not report back (exit $rc): using TCG"
	fi
fi
if [ -z "$accel" ]; then
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
echo "accel=${accel%%,*} tcg_threads=$threads vcpus=$SMP mem_mib=$MEM qemu=$(qemu_version | tr ' ' .)" \
	> "$logdir/vm-$label.txt"
console=$logdir/console-$label.log
tap=$logdir/tap-$label.log
: > "$tap"
stage "booting $label guest ($accel, $SMP vCPUs, mode=$mode, timeout ${TIMEOUT}s; console: $console)"
t0=$(date +%s)
rc=0
qemu "$accel" "$TIMEOUT" "$console" "$tap" "ptw.mode=$mode $extra" &
qpid=$!
# Show the TAP stream as it arrives; tail ends when QEMU does.
tail -n +1 -F --pid="$qpid" "$tap" 2>/dev/null | sed -u 's/\r$//' || true
wait "$qpid" || rc=$?
info "guest ran $(( $(date +%s) - t0 ))s, QEMU exit status $rc"

tr -d '\r' < "$tap" > "$tap.clean" && mv "$tap.clean" "$tap"
# Guest wall time and boot-to-first-test, for make bench's pipeline table.
echo "$(( $(date +%s) - t0 )) $(sed -n 's/^# guest: first test at \([0-9.]*\)s.*/\1/p' "$tap" | head -1)" \
	> "$logdir/time-$label.txt"

verdict_msg=
case $rc in
1) ;;                                   # guest wrote 0: all passed
3) ;;                                   # guest wrote 1: a test failed
124|137) verdict_msg="guest hung: no verdict within ${TIMEOUT}s (console: $console)" ;;
0) verdict_msg="guest stopped without a verdict (panic or poweroff; console: $console)" ;;
*) verdict_msg="QEMU failed with status $rc (see $logdir/qemu-$label.log)" ;;
esac

# Kernel splats anywhere in the console fail the run, whatever the tests said.
# The headers of lockdep, KASAN, SLUB debug, debugobjects, hung-task and
# RCU reports all start with one of these; "Call Trace:" catches any
# other stack dump.
SPLAT='WARNING: |BUG: |BUG [a-z]|Oops|Kernel panic|general protection fault|UBSAN:|KASAN:|ODEBUG:|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|INFO: |rcu: INFO|unreferenced object|Call Trace:'
splats=$(grep -a -c -E "$SPLAT" "$console" || true)

if [ "$mode" = demo ] || [ "$mode" = bench ]; then
	[ -z "$verdict_msg" ] || die "$verdict_msg"
	[ "$splats" -eq 0 ] || { grep -a -E -A20 "$SPLAT" "$console" | head -60 >&2; die "kernel splat in the console"; }
	exit 0
fi

# Count results.  A kselftest binary's "Totals" line gives its test
# cases; a binary without one (crash, module init failure) counts as one
# result from its runner line, and so does a binary that exited non-zero
# although its Totals showed no failure.  Runner checks count one each.
read -r pass fail skip < <(awk '
	function totals(   i, kv) {
		for (i = 1; i <= NF; i++) { split($i, kv, ":"); c[kv[1]] = kv[2] + 0 }
	}
	/^# selftests: ptrace_waking: / { cur = $NF; next }
	/Totals: pass:/ {
		totals()
		p += c["pass"] + c["xfail"]; s += c["skip"]
		bad = c["fail"] + c["error"] + c["xpass"]; f += bad
		had[cur] = 1; hadfail[cur] = bad
		next
	}
	/^(not )?ok [0-9]+ / {
		isnot = ($1 == "not"); isskip = ($0 ~ /# SKIP/)
		if (match($0, / selftests: ptrace_waking: [^ ]+/)) {
			name = substr($0, RSTART + 27, RLENGTH - 27)
			if (isnot) { if (!hadfail[name]) f++ }
			else if (!(name in had)) { if (isskip) s++; else p++ }
		} else if (isnot) f++
		else if (isskip) s++
		else p++
	}
	END { printf "%d %d %d\n", p, f, s }' "$tap")

if [ "$splats" -ne 0 ]; then
	echo "--- kernel splat in $console:" >&2
	grep -a -E -B2 -A60 "$SPLAT" "$console" | head -150 >&2
	fail=$((fail + 1))
fi
if [ -n "$verdict_msg" ]; then
	echo "ERROR: $verdict_msg" >&2
	echo "--- last console lines:" >&2
	tail -20 "$console" >&2
	fail=$((fail + 1))
fi
if [ $((pass + fail + skip)) -eq 0 ]; then
	echo "ERROR: no test result at all in $tap" >&2
	fail=$((fail + 1))
fi

echo "$label: $pass passed, $fail failed, $skip skipped" | tee "$logdir/summary-$label.txt"
[ "$fail" -eq 0 ]
