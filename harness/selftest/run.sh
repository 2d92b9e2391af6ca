#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# harness/selftest/run.sh [SUMMARY_FILE]
#
# The harness's negative controls: a check that cannot fail is a defect.
# Without a kernel, in seconds, this runs harness/run-vm.sh with a stub
# qemu-system-x86_64 (harness/selftest/stub/) that plays canned consoles,
# TAP streams and exit statuses, once per way a boot can go wrong, and
# requires each to come out red with its own ERROR line; the clean boots
# must come out green with exact counts, so that the self-test cannot
# pass by failing everything.  It also drives verdict.py's compare and
# inventory lint, and the console splat patterns one by one.
#
# Prints TAP ("ok N selftest: CASE"), writes "harness-selftest: N passed,
# N failed, 0 skipped" to SUMMARY_FILE, exits non-zero if any case
# misbehaves.  Works in a temporary directory; no network, no kernel.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
harness=$(dirname "$here")
summary_file=${1:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ptw-selftest.XXXXXX")
trap '[ -n "${PTW_SELFTEST_KEEP:-}" ] || rm -rf "$tmp"' EXIT

# The stub first on PATH; TCG named so that run-vm.sh skips its KVM probe;
# the inventory is this test's own; lib.sh's cache goes to the temp dir.
export PATH="$here/stub:$PATH"
export PTW_ACCEL=tcg PTW_INVENTORY="$tmp/inventory.txt" PTW_CACHE="$tmp/cache" PTW_VM_TIMEOUT=20
# The interpreter python3 runs, resolved once: a version manager's shim
# (pyenv) costs a quarter of a second per call, and there are ~60 calls.
PTW_PYTHON=$(python3 -c 'import sys; print(sys.executable)')
export PTW_PYTHON
unset PTW_INVENTORY_RECORD PTW_STUB_CONSOLE PTW_STUB_TAP PTW_STUB_STATUS PTW_STUB_HANG PTW_STUB_CRLF \
	PTW_STUB_ARGS
: > "$tmp/bzImage"
: > "$tmp/initramfs.cpio"

n=0 passed=0 failed=0

# ---- fixtures -------------------------------------------------------------
# A clean check boot: two ptrace_waking binaries with nested TAP (one case
# skips), an upstream binary that skips as a whole, two guest checks.

hdr() {
	echo "TAP version 13"
	echo "# guest: 7.3.4 (self-test fixture), userspace up 1.00s after boot"
	echo "1..$1"
}
races() { # races RESULT-NUMBER
	cat <<-EOF
	# selftests: ptrace_waking: races
	# TAP version 13
	# 1..2
	# ok 1 listen_waking_on
	# ok 2 seed # SKIP needs 2 CPUs
	# # Totals: pass:1 fail:0 xfail:0 xpass:0 skip:1 error:0
	ok $1 selftests: ptrace_waking: races
	EOF
}
faults() {
	cat <<-EOF
	# selftests: ptrace_waking: module_faults
	# TAP version 13
	# 1..1
	# # Starting 1 tests from 1 test cases.
	# #  RUN           faults.init_allocation_sweep ...
	# #            OK  faults.init_allocation_sweep
	# ok 1 faults.init_allocation_sweep
	# # PASSED: 1 / 1 tests passed.
	# # Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0
	ok $1 selftests: ptrace_waking: module_faults
	EOF
}
vmaccess() {
	cat <<-EOF
	# selftests: ptrace: vmaccess
	# TAP version 13
	# 1..0 # SKIP no ptrace here
	ok $1 selftests: ptrace: vmaccess # SKIP
	EOF
}
checks() { # checks FIRST-NUMBER
	echo "ok $1 ptw:cpus 2 CPUs online (0-1)"
	echo "ok $(($1 + 1)) ptw:dmesg no splat, no dropped printk message"
}
done_line() { echo "# guest runner done"; }
clean_tap() { hdr 5; races 1; faults 2; vmaccess 3; checks 4; done_line; }

console_head() {
	cat <<-'EOF'
	[    0.000000] Linux version 7.3.4 (self-test fixture)
	[    0.000000] Command line: console=ttyS0 panic=-1 ptw.mode=check ptw.drain=@TOKEN@
	[    0.410000] Run /init as init process
	EOF
}
drain_line() { echo "[    9.000000] ptw: console drain marker @TOKEN@"; }
clean_console() { console_head; drain_line; }
lkdtm_warning() {
	cat <<-'EOF'
	[    5.000000] lkdtm: Performing direct entry WARNING
	[    5.000001] ------------[ cut here ]------------
	[    5.000002] WARNING: drivers/misc/lkdtm/bugs.c:164 at lkdtm_WARNING+0x1a/0x30, CPU#1: sh/61
	[    5.000003] CPU: 1 UID: 0 PID: 61 Comm: sh Not tainted 7.3.4 #1 NONE
	[    5.000004] RIP: 0010:lkdtm_WARNING+0x1a/0x30
	[    5.000005] Call Trace:
	[    5.000006]  <TASK>
	[    5.000007]  lkdtm_do_action+0x16/0x30
	[    5.000008]  </TASK>
	[    5.000009] ---[ end trace 0000000000000000 ]---
	EOF
}

# Inventory: "clean" and every check-mode case boot as the same tests;
# "known" pins listen_waking_on as a known failure; "inv-missing" expects
# one test more.
write_inventory() {
	cat > "$PTW_INVENTORY" <<-'EOF'
	# harness self-test inventory (see harness/inventory.txt for the format)
	[clean inv-missing]
	pass ptrace_waking:races:listen_waking_on
	skip ptrace_waking:races:seed
	pass ptrace_waking:module_faults:faults.init_allocation_sweep
	skip ptrace:vmaccess
	pass ptw:cpus
	pass ptw:dmesg
	[inv-missing]
	pass ptrace_waking:races:attach_stopped_on
	[flaky]
	flaky ptrace_waking:races:listen_waking_on  # fails now and then on the pristine kernel too (fixture)
	skip ptrace_waking:races:seed
	pass ptrace_waking:module_faults:faults.init_allocation_sweep
	skip ptrace:vmaccess
	pass ptw:cpus
	pass ptw:dmesg
	[known]
	fail ptrace_waking:races:listen_waking_on  # fails on the pristine kernel too (self-test fixture)
	skip ptrace_waking:races:seed
	pass ptrace_waking:module_faults:faults.init_allocation_sweep
	skip ptrace:vmaccess
	pass ptw:cpus
	pass ptw:dmesg
	EOF
}
write_inventory

# ---- running a case -------------------------------------------------------

# boot CASE MODE LABEL STATUS TAP-FILE CONSOLE-FILE: run run-vm.sh on the
# stub; sets $rc, $out (its output) and $logdir.
boot() {
	local case=$1 mode=$2 label=$3 status=$4 tapf=$5 consf=$6
	logdir=$tmp/logs/$case
	out=$tmp/out-$case.txt
	rc=0
	PTW_STUB_STATUS=$status PTW_STUB_TAP=$tapf PTW_STUB_CONSOLE=$consf PTW_STUB_ARGS=$tmp/args-$case \
		"$harness/run-vm.sh" "$mode" "$tmp/bzImage" "$tmp/initramfs.cpio" "$logdir" "$label" \
		>"$out" 2>&1 || rc=$?
}

report() { # report CASE OK|FAIL [WHY]
	n=$((n + 1))
	if [ "$2" = OK ]; then
		passed=$((passed + 1))
		echo "ok $n selftest: $1"
	else
		failed=$((failed + 1))
		echo "not ok $n selftest: $1"
		echo "# $3"
		[ -z "${out:-}" ] || [ ! -f "$out" ] || sed -n '1,60s/^/#   /p' "$out"
	fi
}

# expect_red CASE NEEDLE...: the run failed, every NEEDLE is in an ERROR
# line, and the summary counts at least one failure (make check adds the
# summaries up, so a red boot must not read "0 failed").
expect_red() {
	local case=$1 needle f
	shift
	if [ "$rc" -eq 0 ]; then
		report "$case" FAIL "expected red, got exit 0"
		return
	fi
	for needle in "$@"; do
		if ! grep '^ERROR: ' "$out" | grep -F -- "$needle" >/dev/null; then
			report "$case" FAIL "red (exit $rc) but no ERROR line says: $needle"
			return
		fi
	done
	if [ -n "${logdir:-}" ] && [ -d "$logdir" ]; then
		f=$(find "$logdir" -maxdepth 1 -name 'summary-*.txt' -print -quit)
		if [ -z "$f" ] || [ "$(awk '{ print $4 }' "$f")" -lt 1 ]; then
			report "$case" FAIL "red, but the summary (${f:-none}) counts no failure"
			return
		fi
	fi
	report "$case" OK
}

# expect_green CASE SUMMARY: exit 0, no ERROR line, the exact summary.
expect_green() {
	local case=$1 want=$2 got
	got=$(cat "$logdir"/summary-*.txt 2>/dev/null || true)
	if [ "$rc" -ne 0 ] || grep -q '^ERROR' "$out"; then
		report "$case" FAIL "expected green, got exit $rc"
	elif [ "$got" != "$want" ]; then
		report "$case" FAIL "green, but summary '$got', want '$want'"
	else
		report "$case" OK
	fi
}

f=$tmp/fixtures
mkdir -p "$f"
clean_tap > "$f/clean.tap"
clean_console > "$f/clean.console"

# ---- positive controls: these must be green ---------------------------------

boot clean check clean 1 "$f/clean.tap" "$f/clean.console"
expect_green "clean check boot matching its inventory" "clean: 4 passed, 0 failed, 2 skipped"
want_results=$(printf '%s\n' "pass ptrace_waking:races:listen_waking_on" "skip ptrace_waking:races:seed" \
	"pass ptrace_waking:module_faults:faults.init_allocation_sweep" "skip ptrace:vmaccess" \
	"pass ptw:cpus" "pass ptw:dmesg")
if [ "$(cat "$logdir/results-clean.txt" 2>/dev/null)" = "$want_results" ]; then
	report "results file lists every test id with its status" OK
else
	report "results file lists every test id with its status" FAIL "results-clean.txt differs"
fi

# Every guest's CPU is QEMU's "max" without LA57: with 5-level paging a
# KASAN kernel can report an interrupt's access as wild while
# identify_cpu() has cleared the boot CPU's feature words
# (Documentation/results/debug-la57-kasan-identify-cpu.txt).
if grep -qx -- '-cpu max,la57=off' "$tmp/args-clean"; then
	report "guests run on -cpu max,la57=off (4-level paging)" OK
else
	report "guests run on -cpu max,la57=off (4-level paging)" FAIL "QEMU got: $(grep -- '^-cpu' "$tmp/args-clean")"
fi

# The drain token is fresh per boot and on the command line.
tok1=$(sed -n 's/.*ptw\.drain=\([0-9a-f]*\).*/\1/p' "$tmp/args-clean")
boot clean-again check clean 1 "$f/clean.tap" "$f/clean.console"
tok2=$(sed -n 's/.*ptw\.drain=\([0-9a-f]*\).*/\1/p' "$tmp/args-clean-again")
if [ "${#tok1}" -ge 16 ] && [ "${#tok2}" -ge 16 ] && [ "$tok1" != "$tok2" ]; then
	report "ptw.drain= is a fresh random token per boot" OK
else
	report "ptw.drain= is a fresh random token per boot" FAIL "tokens '$tok1' '$tok2'"
fi

PTW_STUB_CRLF=1 boot crlf check clean 1 "$f/clean.tap" "$f/clean.console"
expect_green "clean boot with a serial port's CRLF line ends" "clean: 4 passed, 0 failed, 2 skipped"

# A known failure (pinned "fail" with evidence) explains the guest's
# verdict 1 when the TAP is complete.
sed 's/^# ok 1 listen_waking_on$/# not ok 1 listen_waking_on/' "$f/clean.tap" > "$f/known.tap"
boot known check known 3 "$f/known.tap" "$f/clean.console"
expect_green "known failure pinned in the inventory, guest verdict 1" \
	"known: 3 passed, 0 failed, 2 skipped, 1 expected failures"

{ console_head; lkdtm_warning; drain_line; } > "$f/control.console"
{
	hdr 3
	echo "ok 1 ptw:cpus 2 CPUs online (0-1)"
	echo "ok 2 ptw:control-counts malformed RACE_ITERS and UNLOAD_CYCLES rejected by name"
	echo "ok 3 ptw:control-dmesg the guest's dmesg scan saw the LKDTM WARNING"
	done_line
} > "$f/control.tap"
boot control control control 1 "$f/control.tap" "$f/control.console"
expect_green "control boot: WARNING in the console, ok ptw:control-counts and ptw:control-dmesg" \
	"control: 3 passed, 0 failed, 0 skipped"

echo "# demo: races done" > "$f/demo.tap"
boot demo demo demo 1 "$f/demo.tap" "$f/clean.console"
expect_green "clean demo boot" "demo: 0 passed, 0 failed, 0 skipped"

# Record mode: a boot without inventory writes its section; that section
# then pins the same boot green.
inv_sum=$(cksum < "$PTW_INVENTORY")
boot record-1 check fresh 1 "$f/clean.tap" "$f/clean.console"
rc1=$rc
PTW_INVENTORY_RECORD=1 boot record check fresh 1 "$f/clean.tap" "$f/clean.console"
if [ "$rc1" -ne 0 ] && [ "$rc" -eq 0 ] && [ -f "$logdir/inventory-fresh.txt" ]; then
	PTW_INVENTORY=$logdir/inventory-fresh.txt boot record-2 check fresh 1 "$f/clean.tap" "$f/clean.console"
	expect_green "record mode writes an inventory section that pins the boot" \
		"fresh: 4 passed, 0 failed, 2 skipped"
else
	report "record mode writes an inventory section that pins the boot" FAIL \
		"unrecorded rc=$rc1 (want red), record rc=$rc (want 0), file $logdir/inventory-fresh.txt"
fi
if [ "$(cksum < "$PTW_INVENTORY")" = "$inv_sum" ]; then
	report "record mode leaves the inventory file alone" OK
else
	report "record mode leaves the inventory file alone" FAIL "$PTW_INVENTORY changed"
fi

# ---- the guest's verdict byte ---------------------------------------------------

{ echo "TAP version 13"; echo "1..9"; checks 1; echo "ok 3 ptw:sysctl kernel.ptrace_waking = 1"; } > "$f/lost.tap"
boot lost-tap check clean 3 "$f/lost.tap" "$f/clean.console"
expect_red "guest failure verdict with lost TAP lines (plan 1..9, 3 ok, exit 3)" \
	"TAP lines were lost" "plan 1..9 but 3 results"

boot verdict-3-complete check clean 3 "$f/clean.tap" "$f/clean.console"
expect_red "guest failure verdict, complete all-ok TAP" "guest reported a failure (QEMU status 3)"

boot no-verdict check clean 0 "$f/clean.tap" "$f/clean.console"
expect_red "no verdict (QEMU status 0: panic or poweroff)" "without a verdict"

PTW_VM_TIMEOUT=1 PTW_STUB_HANG=30 boot hang check clean 1 "$f/lost.tap" "$f/clean.console"
expect_red "host timeout (hung guest)" "guest hung: no verdict within 1s (host timeout, PTW_VM_TIMEOUT"

# A guest that never reaches its test runner (the debug kernel once hung
# 17 s into boot, console silent): no TAP line at all, QEMU still running.
# It must fail after PTW_BOOT_LIMIT, long before the host timeout (20 s).
: > "$f/empty.tap"
PTW_BOOT_LIMIT=2 PTW_STUB_HANG=60 boot boot-stall check clean 1 "$f/empty.tap" "$f/clean.console"
if [ "$(awk '{ print $1 }' "$logdir/time-clean.txt")" -ge 10 ]; then
	report "guest stalled in early boot: no TAP line within PTW_BOOT_LIMIT" FAIL \
		"the boot ran to the host timeout: the limit did not stop QEMU"
else
	expect_red "guest stalled in early boot: no TAP line within PTW_BOOT_LIMIT" \
		"no TAP line within 2s" "never reached its test runner" \
		"guest hung: no verdict within 2s (stopped at the boot limit, PTW_BOOT_LIMIT"
fi

boot qemu-fail check clean 2 "$f/clean.tap" "$f/clean.console"
expect_red "QEMU failure (status 2)" "QEMU failed with status 2"

# ---- the TAP stream's shape ---------------------------------------------------------

{ hdr 6; races 1; faults 2; vmaccess 3; checks 4; done_line; } > "$f/plan.tap"
boot plan-mismatch check clean 1 "$f/plan.tap" "$f/clean.console"
expect_red "plan mismatch (1..6, 5 results)" "plan 1..6 but 5 results"

grep -v '^1\.\.5$' "$f/clean.tap" > "$f/noplan.tap"
boot no-plan check clean 1 "$f/noplan.tap" "$f/clean.console"
expect_red "no plan" "no TAP plan"

grep -v '^# guest runner done$' "$f/clean.tap" > "$f/notdone.tap"
boot no-runner-done check clean 1 "$f/notdone.tap" "$f/clean.console"
expect_red "missing '# guest runner done'" "\"# guest runner done\" missing"

{ hdr 5; races 1; echo "# selftests: ptrace_waking: module_faults"; echo "ok 2 selftests: ptrace_waking: module_faults"
  vmaccess 3; checks 4; done_line; } > "$f/silent.tap"
boot silent-binary check clean 1 "$f/silent.tap" "$f/clean.console"
expect_red "silent binary (runner ok, no nested TAP)" \
	"ptrace_waking: module_faults printed no TAP result of its own"

{ hdr 5; races 1; faults 2; echo "# selftests: ptrace: vmaccess"; echo "ok 3 selftests: ptrace: vmaccess # SKIP"
  checks 4; done_line; } > "$f/skipnoplan.tap"
boot skip-without-plan check clean 1 "$f/skipnoplan.tap" "$f/clean.console"
expect_red "runner SKIP without the binary's skip plan" "printed no skip plan"

{ hdr 5; races 1; faults 2 | sed -e '/^# ok 1 /,$d'
  echo "# # faults.init_allocation_sweep: still sweeping"
  echo "not ok 2 selftests: ptrace_waking: module_faults # TIMEOUT 45 seconds"
  vmaccess 3; checks 4; done_line; } > "$f/timeout.tap"
boot runner-timeout check clean 3 "$f/timeout.tap" "$f/clean.console"
expect_red "runner TIMEOUT line names the test that hung" \
	"ptrace_waking: module_faults hung: the runner killed it" "TIMEOUT 45 seconds"

sed 's/^ok 2 selftests: ptrace_waking: module_faults$/not ok 2 selftests: ptrace_waking: module_faults # exit=1/' \
	"$f/clean.tap" > "$f/exit1.tap"
boot exit-nonzero check clean 3 "$f/exit1.tap" "$f/clean.console"
expect_red "binary exit failure although its nested cases passed" \
	"ptrace_waking: module_faults failed as a whole (not ok 2"

boot nested-fail check clean 3 "$f/known.tap" "$f/clean.console"
expect_red "nested not ok under a runner ok" "ptrace_waking:races:listen_waking_on failed (not ok 1 listen_waking_on)"

sed 's/^# 1\.\.2$/# 1..3/' "$f/clean.tap" > "$f/nestedplan.tap"
boot nested-plan check clean 1 "$f/nestedplan.tap" "$f/clean.console"
expect_red "nested plan mismatch" "ptrace_waking: races printed plan 1..3 but 2 nested results"

{ hdr 5; races 1; faults 2; vmaccess 3; echo "ok 4 ptw:cpus 2 CPUs online (0-1)"
  echo "not ok 5 ptw:dmesg splat: WARNING: kernel/signal.c:2410 at ptrace_stop+0x2c1/0x300"; done_line; } \
	> "$f/dmesg.tap"
boot guest-dmesg-splat check clean 3 "$f/dmesg.tap" "$f/clean.console"
expect_red "splat only in the guest's dmesg (not ok ptw:dmesg, exit 3)" "guest check ptw:dmesg failed"

# ---- the console --------------------------------------------------------------------

{ console_head; echo "[    6.100000] ------------[ cut here ]------------"
  echo "[    6.100001] WARNING: kernel/ptrace.c:301 at ptrace_check_attach+0x88/0x1a0, CPU#0: races/77"
  echo "[    6.100002] Call Trace:"; drain_line; } > "$f/splat.console"
boot console-splat check clean 1 "$f/clean.tap" "$f/splat.console"
expect_red "splat only in the console (TAP all ok, exit 1)" "kernel splat in the console: [    6.100001] WARNING:"
# ...and its context goes to context-clean.txt for make check's closing
# lines; a green verdict in the same directory removes it again.
if grep -q 'WARNING: kernel/ptrace.c:301 at ptrace_check_attach' "$logdir/context-clean.txt" 2>/dev/null; then
	boot console-splat check clean 1 "$f/clean.tap" "$f/clean.console"
	if [ "$rc" -eq 0 ] && [ ! -e "$logdir/context-clean.txt" ]; then
		report "a red boot writes its context file, a green one removes it" OK
	else
		report "a red boot writes its context file, a green one removes it" FAIL "green rerun: exit $rc, context file left"
	fi
else
	report "a red boot writes its context file, a green one removes it" FAIL "no splat in $logdir/context-clean.txt"
fi

{ console_head; echo "[    6.200000] ** 12 printk messages dropped **"; drain_line; } > "$f/dropped.console"
boot console-dropped check clean 1 "$f/clean.tap" "$f/dropped.console"
expect_red "dropped printk messages in the console" "the console dropped printk messages"

console_head > "$f/nodrain.console"
boot no-drain check clean 1 "$f/clean.tap" "$f/nodrain.console"
expect_red "console drain marker missing" "the console did not drain"

{ console_head; echo "[    9.000000] ptw: console drain marker 0123456789abcdef"; } > "$f/stale.console"
boot stale-drain check clean 1 "$f/clean.tap" "$f/stale.console"
expect_red "console drain marker of another boot" "console drain marker has the wrong token"

# ---- the inventory -----------------------------------------------------------------

boot inv-missing check inv-missing 1 "$f/clean.tap" "$f/clean.console"
expect_red "inventory: missing test" "inv-missing: missing test ptrace_waking:races:attach_stopped_on"

sed -e 's/^# 1\.\.2$/# 1..3/' -e 's/^\(# ok 2 seed # SKIP needs 2 CPUs\)$/\1\n# ok 3 attach_stopped_on # SKIP no debugfs/' \
	"$f/clean.tap" > "$f/newskip.tap"
boot inv-new-skip check clean 1 "$f/newskip.tap" "$f/clean.console"
expect_red "inventory: a new test that skips" "unexpected test ptrace_waking:races:attach_stopped_on (got skip"

sed 's/^# ok 1 faults.init_allocation_sweep$/# ok 1 faults.init_allocation_sweep # SKIP no fault injection/' \
	"$f/clean.tap" > "$f/nowskip.tap"
boot inv-now-skips check clean 1 "$f/nowskip.tap" "$f/clean.console"
expect_red "inventory: a test that now skips" \
	"ptrace_waking:module_faults:faults.init_allocation_sweep: expected pass, got skip"

# A flaky test (pinned "flaky" with evidence) may pass or fail.
boot flaky check flaky 3 "$f/known.tap" "$f/clean.console"
expect_green "flaky test that failed this time, guest verdict 1" \
	"flaky: 3 passed, 0 failed, 2 skipped, 1 expected failures"
boot flaky check flaky 1 "$f/clean.tap" "$f/clean.console"
expect_green "flaky test that passed this time" "flaky: 4 passed, 0 failed, 2 skipped"
boot known-now-passes check known 1 "$f/clean.tap" "$f/clean.console"
expect_red "inventory: a known failure that now passes" "ptrace_waking:races:listen_waking_on: expected fail, got pass"

boot no-inventory check nosuch 1 "$f/clean.tap" "$f/clean.console"
expect_red "inventory: boot label absent" "no inventory for boot nosuch"

# ---- control, demo ---------------------------------------------------------------------

boot control-no-warning control control 1 "$f/control.tap" "$f/clean.console"
expect_red "control boot without the WARNING in the console" "the console scan missed the control WARNING"

sed 's/^ok 3 ptw:control-dmesg/not ok 3 ptw:control-dmesg/' "$f/control.tap" > "$f/control-missed.tap"
boot control-dmesg-missed control control 3 "$f/control-missed.tap" "$f/control.console"
expect_red "control boot whose guest dmesg scan missed the WARNING" "guest check ptw:control-dmesg failed"

sed 's/^ok 2 ptw:control-counts/not ok 2 ptw:control-counts/' "$f/control.tap" > "$f/control-counts.tap"
boot control-counts-failed control control 3 "$f/control-counts.tap" "$f/control.console"
expect_red "control boot whose malformed counts were accepted" "guest check ptw:control-counts failed"

{ hdr 2; echo "ok 1 ptw:cpus 2 CPUs online (0-1)"
  echo "ok 2 ptw:control-dmesg the guest's dmesg scan saw the LKDTM WARNING"; done_line; } > "$f/control-nocounts.tap"
boot control-no-counts control control 1 "$f/control-nocounts.tap" "$f/control.console"
expect_red "control boot without ptw:control-counts" "control boot without its \"ok N ptw:control-counts\" result"

{ console_head; lkdtm_warning; echo "[    7.000000] BUG: sleeping function called from invalid context"; drain_line; } \
	> "$f/control-extra.console"
boot control-extra-splat control control 1 "$f/control.tap" "$f/control-extra.console"
expect_red "control boot with a second, unexpected splat" "kernel splat in the console: [    7.000000] BUG:"

boot demo-fail demo demo 3 "$f/demo.tap" "$f/clean.console"
expect_red "demo: a reproducer failed (guest verdict 1)" "a reproducer or the guest script failed"

boot demo-splat demo demo 1 "$f/demo.tap" "$f/splat.console"
expect_red "demo: splat in the console" "kernel splat in the console"

boot demo-no-drain demo demo 1 "$f/demo.tap" "$f/nodrain.console"
expect_red "demo: console drain marker missing" "the console did not drain"

# ---- every splat pattern, straight through verdict.py ---------------------------------

logdir=$tmp/logs/patterns
out=$tmp/out-patterns.txt
bad=
while IFS= read -r line; do
	{ console_head | sed "s/@TOKEN@/abcdef0123456789/"; echo "[    6.0] $line"
	  echo "[    9.0] ptw: console drain marker abcdef0123456789"; } > "$f/pattern.console"
	rc=0
	"$PTW_PYTHON" "$harness/verdict.py" boot --label pattern --mode stress --status 1 --tap "$f/clean.tap" \
		--console "$f/pattern.console" --drain abcdef0123456789 --logdir "$logdir" >"$out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ] || ! grep -q '^ERROR: .*console' "$out"; then
		bad="$bad [$line]"
	fi
done <<-'EOF'
	WARNING: kernel/signal.c:2410 at ptrace_stop+0x2c1/0x300, CPU#1: races/80
	BUG: KASAN: slab-use-after-free in ptrace_check_attach+0x1b/0x1a0
	BUG: sleeping function called from invalid context at kernel/ptrace.c:290
	BUG kmalloc-64 (Not tainted): Object already free
	kernel BUG at kernel/signal.c:2345!
	Oops: general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP
	Kernel panic - not syncing: Fatal exception
	UBSAN: shift-out-of-bounds in kernel/ptrace.c:77:3
	ODEBUG: free active (active state 0) object: ffff888003a0c000 object type: timer_list
	CFI failure at ptw_probe_check_attach+0x10/0x40 (target: 0x0; expected type: 0x12345678)
	WARNING: possible circular locking dependency detected
	WARNING: inconsistent lock state
	WARNING: suspicious RCU usage
	INFO: task races:81 blocked for more than 30 seconds.
	rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
	unreferenced object 0xffff888004b1c000 (size 64):
	Call Trace:
	RIP: 0010:ptrace_check_attach+0x88/0x1a0
	** 3 printk messages dropped **
EOF
if [ -z "$bad" ]; then
	report "every console splat pattern is red" OK
else
	out=
	report "every console splat pattern is red" FAIL "not red:$bad"
fi
logdir=

# ---- compare ------------------------------------------------------------------------------

printf '%s\n' "pass ptrace:vmaccess:vmaccess_at_exit" "pass seccomp:seccomp_bpf:TRACE_syscall.ptrace.negative_ENOSYS" \
	"skip pidfd:pidfd_test:#3" "pass cgroup:test_freezer:test_cgfreezer_ptrace" "fail ptrace_waking:races:listen_waking_on" \
	> "$f/vanilla.txt"
sed 's/^fail ptrace_waking/pass ptrace_waking/' "$f/vanilla.txt" > "$f/patched.txt"
compare() { # compare CASE PATCHED
	out=$tmp/out-$1.txt
	rc=0
	"$PTW_PYTHON" "$harness/verdict.py" compare --patched "$2" --vanilla "$f/vanilla.txt" \
		--collections "ptrace seccomp pidfd cgroup" --out "$tmp/compare-$1.md" >"$out" 2>&1 || rc=$?
}
logdir=
compare compare-clean "$f/patched.txt"
if [ "$rc" -eq 0 ] && grep -q '^| seccomp | 1 | 0 | 0 | 1 | 0 | 0 | 0 | 0 |$' "$tmp/compare-compare-clean.md"; then
	report "compare: patched as good as vanilla, table written" OK
else
	report "compare: patched as good as vanilla, table written" FAIL "exit $rc or table row missing"
fi
sed 's/^pass seccomp:/fail seccomp:/' "$f/patched.txt" > "$f/patched-regress.txt"
compare compare-regress "$f/patched-regress.txt"
expect_red "compare: passes on vanilla, fails on patched" \
	"seccomp:seccomp_bpf:TRACE_syscall.ptrace.negative_ENOSYS passes on the pristine kernel but fails"
printf '[x]\nflaky seccomp:seccomp_bpf:TRACE_syscall.ptrace.negative_ENOSYS  # fixture\n' > "$f/flaky-inventory.txt"
out=$tmp/out-compare-flaky.txt
rc=0
"$PTW_PYTHON" "$harness/verdict.py" compare --patched "$f/patched-regress.txt" --vanilla "$f/vanilla.txt" \
	--collections "ptrace seccomp pidfd cgroup" --inventory "$f/flaky-inventory.txt" >"$out" 2>&1 || rc=$?
if [ "$rc" -eq 0 ] && grep -q 'flaky, not judged' "$out"; then
	report "compare: a flaky test failing on patched only is reported, not judged" OK
else
	report "compare: a flaky test failing on patched only is reported, not judged" FAIL "exit $rc"
fi
grep -v '^pass cgroup:' "$f/patched.txt" > "$f/patched-missing.txt"
compare compare-missing "$f/patched-missing.txt"
expect_red "compare: passes on vanilla, missing on patched" "cgroup:test_freezer:test_cgfreezer_ptrace passes on the pristine kernel but is missing"
grep -v '^pass ptrace:' "$f/vanilla.txt" > "$f/vanilla-noptrace.txt"
out=$tmp/out-compare-empty.txt
rc=0
"$PTW_PYTHON" "$harness/verdict.py" compare --patched "$f/patched.txt" --vanilla "$f/vanilla-noptrace.txt" \
	--collections "ptrace seccomp pidfd cgroup" >"$out" 2>&1 || rc=$?
expect_red "compare: a collection without vanilla results is not a pass" "collection ptrace: no result on the pristine kernel"

# ---- make check's closing lines ---------------------------------------------------------
# check-summary (the top-level Makefile) on fixture logs: green only when
# every boot's status is 0, every summary is there with no failure, the
# upstream comparison passes and the parallel make itself succeeded.

mk=$tmp/mk
mkdir -p "$mk/build/logs"
ln -s "$harness" "$mk/harness"
summary_fixture() {
	rm -f "$mk"/build/logs/*
	for s in harness-selftest abi-codes rust-compile-fail; do
		echo "$s: 1 passed, 0 failed, 0 skipped" > "$mk/build/logs/$s.txt"
	done
	for b in waking-on waking-off control vanilla debug; do
		echo "$b: 2 passed, 0 failed, 0 skipped" > "$mk/build/logs/summary-$b.txt"
		echo 0 > "$mk/build/logs/rc-$b.txt"
	done
	cp "$f/patched.txt" "$mk/build/logs/results-waking-on.txt"
	cp "$f/vanilla.txt" "$mk/build/logs/results-vanilla.txt"
}
check_summary() { # check_summary CASE [MAKE-ARGS...]
	out=$tmp/out-$1.txt
	shift
	rc=0
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -f "$harness/../Makefile" -C "$mk" \
		check-summary PTW_CACHE="$tmp/cache" "$@" >"$out" 2>&1 || rc=$?
}
expect_red_summary() { # CASE NEEDLE: exit non-zero, NEEDLE in the closing lines
	if [ "$rc" -ne 0 ] && grep -qF -- "$2" "$out"; then
		report "$1" OK
	else
		report "$1" FAIL "expected red with '$2', got exit $rc"
	fi
}
summary_fixture
check_summary summary-green
if [ "$rc" -eq 0 ] && grep -q '^total: 13 passed, 0 failed, 0 skipped' "$out"; then
	report "make check's closing lines: all green" OK
else
	report "make check's closing lines: all green" FAIL "exit $rc: $(tail -1 "$out")"
fi
summary_fixture
echo 1 > "$mk/build/logs/rc-control.txt"
check_summary summary-boot-rc
expect_red_summary "make check's closing lines: a boot's status is 1" "total: 13 passed, 0 failed"
summary_fixture
rm "$mk/build/logs/rc-debug.txt"
check_summary summary-no-rc
expect_red_summary "make check's closing lines: a boot that never ran" "total: 13 passed, 0 failed"
summary_fixture
rm "$mk/build/logs/summary-vanilla.txt"
check_summary summary-no-summary
expect_red_summary "make check's closing lines: a summary missing, status 0" "summary-vanilla: 0 passed, 1 failed, 0 skipped (no summary)"
summary_fixture
check_summary summary-build-failed CHECK_RC=1
expect_red_summary "make check's closing lines: the parallel make failed (a build)" "total: 13 passed, 0 failed"
summary_fixture
cp "$f/patched-regress.txt" "$mk/build/logs/results-waking-on.txt"
check_summary summary-regression
expect_red_summary "make check's closing lines: an upstream regression" "passes on the pristine kernel but fails"
summary_fixture
echo "debug: it crashed" > "$mk/build/logs/summary-debug.txt"
check_summary summary-malformed
expect_red_summary "make check's closing lines: a malformed summary" "debug: it crashed (malformed: counted as 1 failed)"
# A red boot's context (verdict.py writes it) is shown again at the very
# end, right above the total, cut to CONTEXT_SHOWN (30) lines; that of a
# boot whose status is 0 is not.
summary_fixture
echo "debug: 1 passed, 1 failed, 0 skipped" > "$mk/build/logs/summary-debug.txt"
echo 1 > "$mk/build/logs/rc-debug.txt"
# An old context of a boot that is green this time is not shown.
echo "--- stale context of waking-off" > "$mk/build/logs/context-waking-off.txt"
{ echo "--- kernel splat in console-debug.log:"
  for n in $(seq 1 40); do echo "  console-debug.log:$n: splat line $n"; done; } > "$mk/build/logs/context-debug.txt"
check_summary summary-context
if [ "$rc" -ne 0 ] && [ "$(grep -v '^make' "$out" | tail -n 1 | cut -c1-24)" = "total: 12 passed, 1 fail" ] &&
   grep -v '^make' "$out" | tail -n 2 | head -n 1 | grep -q ':29: splat line 29$' && ! grep -q 'splat line 30$' "$out" &&
   ! grep -q 'stale context' "$out" &&
   grep -q '^==> debug is red; the start of what went wrong' "$out"; then
	report "make check's closing lines: a red boot's context is shown last, above the total" OK
else
	report "make check's closing lines: a red boot's context is shown last, above the total" FAIL \
		"exit $rc: $(tail -n 3 "$out" | tr '\n' '|')"
fi

# make check itself, with a fixture in place of the parallel make of its
# builds and boots (CHECK_RUN): it lays down the green logs above and a
# boot's time file, waits two seconds, then succeeds or fails.  The run
# must be red when that make fails, and its timings.log record must count
# from the start of make check (the boot's time file is in it) and carry
# the CPU time: the boot's (its time file's fourth field; a time file
# without one, as written before, gives none), the whole run's (the green
# fixture burns 1.2 s of CPU, so at least 1) and the host's cores.
summary_fixture
echo "216 1.36 0 180" > "$mk/build/logs/time-waking-on.txt"
echo "40 1.20 5" > "$mk/build/logs/time-waking-off.txt"
mkdir -p "$mk/fixture"
mv "$mk"/build/logs/* "$mk/fixture/"
{
	echo "include $harness/../Makefile"
	printf 'fixture-green:\n\tcp fixture/* build/logs/ && %s -c "%s" && sleep 1\n' "$PTW_PYTHON" \
		"import time; exec('while time.process_time() < 1.2: pass')"
	printf 'fixture-red:\n\tcp fixture/* build/logs/ && sleep 2 && false\n'
} > "$mk/GNUmakefile"
make_check() { # make_check CASE FIXTURE [MAKE-ARGS...]
	out=$tmp/out-$1.txt
	rc=0
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u PTW_T0 make -s --no-print-directory -C "$mk" \
		check CHECK_RUN="$2" PTW_CACHE="$tmp/cache" "${@:3}" >"$out" 2>&1 || rc=$?
	record=$(tail -n 1 "$tmp/cache/timings.log" 2>/dev/null)
}
make_check check-green fixture-green
total=$(echo "$record" | sed -n 's/.* total=\([0-9]*\) .*/\1/p')
if [ "$rc" -eq 0 ] && grep -q '^total: 13 passed, 0 failed' "$out" && [ "${total:-0}" -ge 2 ] &&
   echo "$record" | grep -q ' result=pass .*boot_waking-on=216:' &&
   echo "$record" | grep -q ' cpu_boot_waking-on=180\( \|$\)' &&
   echo "$record" | grep -q ' boot_waking-off=40:5 ' && ! echo "$record" | grep -q 'cpu_boot_waking-off' &&
   echo "$record" | grep -Eq ' cpu_total=[1-9][0-9]*( |$)' &&
   echo "$record" | grep -Eq ' cores=[1-9][0-9]*$'; then
	report "make check: green run, its timings record counts from the start, with CPU times" OK
else
	report "make check: green run, its timings record counts from the start, with CPU times" FAIL "exit $rc, record: $record"
fi
make_check check-red fixture-red
if [ "$rc" -ne 0 ] && grep -q '^ERROR: a build or lint step of make check failed' "$out" &&
   echo "$record" | grep -q ' result=fail'; then
	report "make check: red when its builds and boots make fails, whatever the logs say" OK
else
	report "make check: red when its builds and boots make fails, whatever the logs say" FAIL "exit $rc, record: $record"
fi

# A debug-boot count out of range (0: the guest would drop it and run the
# kselftest's default) stops make before anything runs.
rm -rf "$mk/build/logs"
mkdir -p "$mk/build/logs"
make_check check-bad-count fixture-green DEBUG_UNLOAD_CYCLES=0
if [ "$rc" -ne 0 ] && grep -q 'DEBUG_UNLOAD_CYCLES=0: not a whole number from 1 to 999999' "$out" &&
   [ -z "$(ls -A "$mk/build/logs")" ]; then
	report "make check: a bad debug-boot count stops it before anything runs" OK
else
	report "make check: a bad debug-boot count stops it before anything runs" FAIL \
		"exit $rc; build/logs: $(ls -A "$mk/build/logs" | tr '\n' ' ')"
fi

# ---- inventory files ------------------------------------------------------------------

out=$tmp/out-lint.txt
printf '[x]\nfail seccomp:seccomp_bpf:global.kcmp\npass ptw:cpus\npass ptw:cpus\nmaybe ptw:dmesg\n' > "$f/bad-inventory.txt"
rc=0
"$PTW_PYTHON" "$harness/verdict.py" lint-inventory "$f/bad-inventory.txt" >"$out" 2>&1 || rc=$?
expect_red "inventory lint: a known failure without evidence, duplicates, bad status" \
	"needs its evidence" "listed twice" "expected 'pass|skip|fail|flaky TEST-ID'"
rc=0
"$PTW_PYTHON" "$harness/verdict.py" lint-inventory "$harness/inventory.txt" >"$out" 2>&1 || rc=$?
if [ "$rc" -eq 0 ]; then
	report "harness/inventory.txt parses" OK
else
	report "harness/inventory.txt parses" FAIL "lint-inventory failed"
fi

# mkinitramfs.sh must not depend on how fast a pipe's reader is: an
# ldconfig whose output goes on after the line awk wants (here: more than a
# pipe's worth, after a pause) got SIGPIPE once awk exited, and with
# pipefail the whole image failed (exit 141, cold run of 2026-11-30 18:06).
out=$tmp/out-mkinit.txt
mkdir -p "$tmp/mkinit/ks" "$tmp/mkinit/mod/rust" "$tmp/mkinit/mod/selftests/t" "$tmp/mkinit/bin" "$tmp/mkinit/lib"
printf '#!/bin/sh\n' > "$tmp/mkinit/ks/run_kselftest.sh"
chmod +x "$tmp/mkinit/ks/run_kselftest.sh"
: > "$tmp/mkinit/mod/rust/ptrace_waking.ko"
: > "$tmp/mkinit/mod/selftests/t/ptw_late_trap.ko"
# A module of an earlier build, no longer in modules.order, stays out.
: > "$tmp/mkinit/mod/rust/stale.ko"
printf 'rust/ptrace_waking.o\nselftests/t/ptw_late_trap.o\n' > "$tmp/mkinit/mod/modules.order"
# The stub's libgcc_s is a file of its own (not the host's): the case
# depends on no ld.so cache.  Its marker proves the stub ran.
: > "$tmp/mkinit/lib/libgcc_s.so.1"
{
	echo '#!/bin/sh'
	echo ": > '$tmp/mkinit/ldconfig-ran'"
	echo "echo '	libgcc_s.so.1 (libc6,x86-64) => $tmp/mkinit/lib/libgcc_s.so.1'"
	echo 'sleep 0.3'
	echo "head -c 200000 /dev/zero | tr '\\0' x"
	echo 'echo'
} > "$tmp/mkinit/bin/ldconfig"
chmod +x "$tmp/mkinit/bin/ldconfig"
rc=0
PATH="$tmp/mkinit/bin:$PATH" "$harness/mkinitramfs.sh" "$tmp/mkinit/out.cpio" "$tmp/mkinit/ks" \
	"$tmp/mkinit/mod" >"$out" 2>&1 || rc=$?
cpio -it --quiet < "$tmp/mkinit/out.cpio" > "$tmp/mkinit/list.txt" 2>/dev/null || true
if [ "$rc" -eq 0 ] && [ -f "$tmp/mkinit/ldconfig-ran" ] &&
   grep -qx "\(\./\)\?${tmp#/}/mkinit/lib/libgcc_s\.so\.1" "$tmp/mkinit/list.txt" &&
   grep -qx "\(\./\)\?ptw/ptw_late_trap\.ko" "$tmp/mkinit/list.txt" &&
   grep -qx "\(\./\)\?ptw/ptrace_waking\.ko" "$tmp/mkinit/list.txt" &&
   ! grep -q "stale\.ko" "$tmp/mkinit/list.txt"; then
	report "initramfs: libgcc_s found although ldconfig writes on after its line, the modules of modules.order in /ptw" OK
else
	report "initramfs: libgcc_s found although ldconfig writes on after its line, the modules of modules.order in /ptw" FAIL \
		"mkinitramfs.sh exit $rc, stub ran: $([ -f "$tmp/mkinit/ldconfig-ran" ] && echo yes || echo no): $(tail -n 2 "$out" | tr '\n' ' ')"
fi

# make bench's pipeline table takes the latest passing cold run (every
# kernel built from scratch) and warm run (none built) of timings.log, in
# the serial format (build SECS:KIND) and the overlapping one (SECS:KIND:START).
mkdir -p "$tmp/cache"
cat > "$tmp/cache/timings.log" <<'EOF'
date=A total=3232 result=pass build_normal=675:cold build_debug=816:cold boot_debug=552
date=B total=1148 result=pass build_normal=7:up-to-date build_debug=7:up-to-date boot_debug=587
date=C total=2449 result=pass build_normal=543:cold:109 build_debug=676:cold:1287 build_vanilla=1113:cold:151 boot_debug=480:1968
date=D total=900 result=pass build_normal=60:incremental:5 build_debug=7:up-to-date:70 build_vanilla=7:up-to-date:6
date=E total=1100 result=pass build_normal=7:up-to-date:5 build_debug=7:up-to-date:70 build_vanilla=7:up-to-date:6 boot_debug=480:600
date=F total=1000 result=fail build_normal=7:up-to-date:5 build_debug=7:up-to-date:70 build_vanilla=7:up-to-date:6
date=G total=1500 result=pass build_normal=543:cold:109 build_debug=7:up-to-date:70 build_vanilla=7:up-to-date:6
EOF
got=$("$PTW_PYTHON" "$harness/bench-table.py" records 2>&1 | cut -d' ' -f1,2 | tr '\n' ' ')
if [ "$got" = "cold date=C warm date=E " ]; then
	report "bench table: latest passing cold and warm timings, both record formats" OK
else
	report "bench table: latest passing cold and warm timings, both record formats" FAIL "got: $got"
fi

echo "1..$n"
line="harness-selftest: $passed passed, $failed failed, 0 skipped"
echo "# $line"
if [ -n "$summary_file" ]; then
	mkdir -p "$(dirname "$summary_file")"
	echo "$line" > "$summary_file"
fi
[ "$failed" -eq 0 ]
