# SPDX-License-Identifier: GPL-2.0
#
# ptrace-waking: the front door.  See README.md.
#
#   make check           lint (with the harness's own negative controls),
#                        three kernel builds and five boots, overlapping:
#                        the patched kernel with the waking path on (the
#                        series' tests, the upstream suites) and off, an
#                        LKDTM control, the pristine kernel with the same
#                        config (upstream suites), and the debug kernel
#                        with KUnit and a stress pass (STRESS_SECONDS=,
#                        DEBUG_RACE_ITERS=, DEBUG_UNLOAD_CYCLES=;
#                        CHECK_JOBS= parallel jobs, 4)
#   make boot-<name>     one of those boots alone (waking-on, waking-off,
#                        control, vanilla, debug)
#   make demo            build, boot, run the race scenarios with the waking
#                        path off and on (ITERS=), print the table; writes
#                        Documentation/results/demo.txt
#   make stress          soak the debug kernel for DURATION= (600, 30m, 2h)
#   make bench           cost of the waking path and the module, in one boot
#                        under QEMU icount; updates README
#   make KDIR=<tree>     build only the modules (ptrace_waking.ko and the
#                        kselftests' ptw_late_trap.ko) against your kernel tree
#   make selftest-patch  regenerate the series' kselftests patch
#
# Caches (kernel source, kernel builds, bindgen) live in $(PTW_CACHE);
# modules, kselftests, VM images, console logs and TAP output in ./build/.

# ---- pinned inputs ---------------------------------------------------------
export PTW_KVER_PIN := 7.3.4-1~bpo13+1
export PTW_BINDGEN_VERSION := 0.72.1

# ---- where things go --------------------------------------------------------
export PTW_CACHE ?= $(HOME)/.cache/ptrace-waking
# When the run started (stage stamps, timings.log): set once by the make
# the user started, inherited by the sub-makes of make check.
ifndef PTW_T0
PTW_T0 := $(shell date +%s)
endif
export PTW_T0
H := $(CURDIR)/harness
BUILD := $(CURDIR)/build
KSRC := $(PTW_CACHE)/src/linux-$(PTW_KVER_PIN)
KOUT := $(PTW_CACHE)/build/normal
KOUT_DEBUG := $(PTW_CACHE)/build/debug
# The pristine tree (a git worktree of the source at tag "pristine") and
# its build, with the same configuration as the patched kernel.
KSRC_VANILLA := $(PTW_CACHE)/src/vanilla
KOUT_VANILLA := $(PTW_CACHE)/build/vanilla

# ---- toolchain: Debian's rustc-web and LLVM 19, pinned bindgen -------------
export BINDGEN := $(PTW_CACHE)/bindgen-$(PTW_BINDGEN_VERSION)/bin/bindgen
# rustdoc_test_kernel_quiet= lets the build log show rustdoc's verdict on
# each kernel doctest, the compile_fail ones included (see rust-doctests).
KMAKEFLAGS ?= ARCH=x86_64 LLVM=-19 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTFMT=/usr/bin/rustfmt \
	CLIPPY_DRIVER=/usr/bin/clippy-driver BINDGEN=$(BINDGEN) \
	LIBCLANG_PATH=/usr/lib/llvm-19/lib rustdoc_test_kernel_quiet=
export KMAKEFLAGS

# Without KDIR on the command line we build (and boot) our own kernel.
ifeq ($(origin KDIR),undefined)
OWN_KERNEL := 1
KDIR := $(KOUT)
# Our own kernels and modules are built with clippy, and any rustc, clippy
# or rustdoc warning is an error (the C side keeps its flags).
KMAKEFLAGS += CLIPPY=1 KRUSTFLAGS=-Dwarnings
endif

# The module is built out of the source tree (Kbuild's MO=), once per
# kernel it is for.
ifdef OWN_KERNEL
MODULE_DIR := $(BUILD)/module/normal
else
MODULE_DIR := $(BUILD)/module/kdir
endif
MODULE_KO := $(MODULE_DIR)/rust/ptrace_waking.ko
MODULE_DEBUG_KO := $(BUILD)/module/debug/rust/ptrace_waking.ko
KSELFTEST := $(BUILD)/kselftest
# Collections the kselftest-install carries: the series' own and the
# upstream ones of harness/upstream.list.
UPSTREAM_TARGETS := $(sort $(shell sed -e 's/\#.*//' -e 's/:.*//' harness/upstream.list))
INITRAMFS := $(BUILD)/initramfs.cpio
INITRAMFS_DEBUG := $(BUILD)/initramfs-debug.cpio

.PHONY: all module module-debug packages bindgen bootstrap source kernel kernel-debug kernel-vanilla selftests \
	initramfs initramfs-debug check demo stress bench clean help lint selftest-patch \
	harness-selftest rust-compile-fail

all: module

help:
	@sed -n '3,27p' Makefile

# What the build needs (harness/bootstrap.sh): the Debian packages, then
# bindgen from crates.io, built while the kernel source is fetched.
packages:
	@$(H)/bootstrap.sh packages

bindgen: packages
	@PTW_BUILD_NICE=$(BACKGROUND_NICE) $(H)/bootstrap.sh bindgen

bootstrap: packages bindgen

ifdef OWN_KERNEL
# The kernel source with patches/ applied.
source: packages
	@$(H)/fetch-kernel.sh "$(KSRC)"
	@$(H)/apply-patches.sh "$(KSRC)" "$(CURDIR)/patches"

# make check builds the pristine kernel beside the normal one and the debug
# kernel beside its guests, both with PTW_BUILD_NICE=19 so that the
# compilers only get the CPU time the rest leaves (harness/build-kernel.sh).
kernel: bindgen source
	@$(H)/build-kernel.sh "$(KSRC)" "$(KOUT)" $(H)/kernel.config

# The debug kernel: the same tree and fragment plus the debug fragment,
# in its own build directory.
kernel-debug: kernel
	@PTW_BUILD_NICE=$(BACKGROUND_NICE) $(H)/build-kernel.sh "$(KSRC)" "$(KOUT_DEBUG)" $(H)/kernel.config $(H)/kernel-debug.config

# The pristine kernel, same fragment, for the upstream suites' baseline.
kernel-vanilla: bindgen source
	@$(H)/vanilla-tree.sh "$(KSRC)" "$(KSRC_VANILLA)"
	@PTW_BUILD_NICE=$(BACKGROUND_NICE) $(H)/build-kernel.sh "$(KSRC_VANILLA)" "$(KOUT_VANILLA)" $(H)/kernel.config

module: kernel
selftests: kernel
else
source kernel kernel-debug kernel-vanilla:
	$(error make KDIR=... builds only the module; drop KDIR to build the kernel)
endif

module:
	@printf '==> building %s against %s\n' "$(MODULE_KO)" "$(KDIR)" >&2
	@mkdir -p $(MODULE_DIR)
	@$(MAKE) -s -C $(KDIR) M=$(CURDIR) MO=$(MODULE_DIR) $(KMAKEFLAGS) modules

module-debug: kernel-debug
	@printf '==> building %s against %s\n' "$(MODULE_DEBUG_KO)" "$(KOUT_DEBUG)" >&2
	@mkdir -p $(BUILD)/module/debug
	@$(if $(BACKGROUND_NICE),nice -n $(BACKGROUND_NICE)) $(MAKE) -s -C $(KOUT_DEBUG) M=$(CURDIR) MO=$(BUILD)/module/debug $(KMAKEFLAGS) modules

# Regenerate the series' selftests patch after changing selftests/ptrace_waking/.
selftest-patch: kernel
	@$(H)/selftest-patch.sh gen "$(KSRC)" "$(CURDIR)/patches"

# The kselftests: a kselftest-install of the patched tree (the kernel's own
# lib.mk, run_kselftest.sh and runner) with the series' collection, copied
# from selftests/ptrace_waking/ (its one source), and the upstream ones.
# The same binaries run on the patched and the pristine kernel.
selftests:
	@printf '==> building the kselftests (%s) into %s\n' "ptrace_waking $(UPSTREAM_TARGETS)" "$(KSELFTEST)" >&2
	@rsync -a --delete selftests/ptrace_waking/ $(KSRC)/tools/testing/selftests/ptrace_waking/
	@rm -rf $(KSELFTEST) && mkdir -p $(BUILD)/kselftest-build
	@$(MAKE) -s -C $(KSRC)/tools/testing/selftests O=$(BUILD)/kselftest-build \
		TARGETS="ptrace_waking $(UPSTREAM_TARGETS)" KHDR_INCLUDES="-isystem $(KOUT)/usr/include" \
		INSTALL_PATH=$(KSELFTEST) install > $(BUILD)/kselftest-build.log 2>&1 \
		|| { tail -30 $(BUILD)/kselftest-build.log >&2; echo "ERROR: kselftest build failed (log: $(BUILD)/kselftest-build.log)" >&2; exit 1; }

initramfs: module selftests
	@mkdir -p $(BUILD)
	@$(H)/mkinitramfs.sh $(INITRAMFS) $(KSELFTEST) $(MODULE_DIR)

initramfs-debug: module-debug selftests
	@mkdir -p $(BUILD)
	@$(H)/mkinitramfs.sh $(INITRAMFS_DEBUG) $(KSELFTEST) $(BUILD)/module/debug

# Series and module hygiene: checkpatch --strict must be silent on every
# patch, rustfmt must have nothing to change.  /usr/bin first so that
# checkpatch's spdxcheck.py finds Debian's python3-ply and python3-git.
# The selftests patch keeps checkpatch's BRACES warnings on purpose (its
# commit message says why); nothing else is ignored anywhere.
lint: kernel harness-selftest
	@mkdir -p $(BUILD)/logs
	@printf '==> checkpatch --strict on patches/, selftests patch in sync, rustfmt --check on rust/\n' >&2
	@cd $(KSRC) && for p in $$(sed -e 's/#.*//' -e '/^[[:space:]]*$$/d' $(CURDIR)/patches/series); do \
		case $$p in 0000-*) continue ;; *-selftests-*) ign="--ignore BRACES" ;; *) ign= ;; esac; \
		PATH=/usr/bin:$$PATH perl scripts/checkpatch.pl --strict -q $$ign $(CURDIR)/patches/$$p \
		|| { echo "ERROR: checkpatch --strict complains about patches/$$p (see above)" >&2; exit 1; }; \
	done
	@$(H)/selftest-patch.sh check "$(KSRC)" "$(CURDIR)/patches"
	@/usr/bin/rustfmt --edition 2021 --config-path $(KSRC)/.rustfmt.toml --check rust/*.rs \
		|| { echo "ERROR: rust/ needs rustfmt (see diff above)" >&2; exit 1; }
	@printf '==> reason and site codes: the ABI document against the kernel, the event, the module, the tests\n' >&2
	@python3 $(H)/abi-codes.py $(KSRC) $(BUILD)/logs/abi-codes.txt
	@printf '==> rustdoc of the kernel crate, warnings as errors (clippy: every build of ours)\n' >&2
	@$(MAKE) -s -C $(KSRC) O=$(KOUT) $(KMAKEFLAGS) rustdoc > $(BUILD)/logs/rustdoc.log 2>&1 \
		|| { tail -30 $(BUILD)/logs/rustdoc.log >&2; echo "ERROR: make rustdoc failed (log: $(BUILD)/logs/rustdoc.log)" >&2; exit 1; }

# The harness's negative controls (seconds, no kernel): run-vm.sh and
# verdict.py against a stub QEMU, every failure mode must come out red.
harness-selftest: packages
	@printf '==> harness self-test: shellcheck, and every way a boot can fail must be red\n' >&2
	@mkdir -p $(BUILD)/logs
	@shellcheck -x -S warning $(H)/*.sh $(H)/selftest/run.sh $(H)/selftest/stub/qemu-system-x86_64 \
		|| { echo "ERROR: shellcheck complains about harness/ (see above)" >&2; exit 1; }
	@$(H)/selftest/run.sh $(BUILD)/logs/harness-selftest.txt

# Guest seconds of the stress pass in make check's debug boot; it goes on
# past them, a round at a time, until STRESS_MIN race iterations are done
# and three rounds at least have run.
# A round runs every reproducer, each sized to a few seconds, and
# kill_storm; a round takes 15 to 45 s (16, 42 and 30 s in the debug boot
# of 2026-12-01, Documentation/results/stress-floor-2026-12-01.md).  Round 1 measures the reproducers'
# rates (about 700 iterations, waking path on), round 2 runs them with
# the path off, round 3 on again, some 7800 iterations each (16382 after
# round 3, run of 2026-11-30 18:03).  60 s and 10000 iterations end the
# pass after round 3, both modes at full size, in about 100 s; a
# reproducer that stops early leaves the total short of the floor.
# (120 s added a fourth round, 46 s of the debug boot, the last stage of
# make check.)  make stress soaks for longer.
STRESS_SECONDS ?= 60
STRESS_MIN ?= 10000
# Module load/unload churn during the stress pass (0 turns it off).
STRESS_CHURN ?= 1
# Iterations per scenario and mode of the races kselftest in the debug
# boot (the other boots run its default, 500): the stress pass right
# after it runs the same reproducers 10000 times and more.  Under KASAN
# and lockdep its 14 runs of 100 take 21 s (the reproducers about 15 s
# of it; 2026-12-01), the debug boot being the last stage of make check.
DEBUG_RACE_ITERS ?= 100
# Load/unload cycles of debugfs_abi's unload_under_traffic in the debug
# boot (the other boots run its default, 100): the stress pass right
# after it loads and unloads the module under heavier traffic again
# (module_cycles in its ptw:stress line, about 60).  A cycle takes
# 0.64 s there: the kselftest's 300 s timeout allows about 400.
DEBUG_UNLOAD_CYCLES ?= 20
# What the debug boot is given must be a number, or make stops before it
# builds anything: the guest would take other stress values as they are
# and hang its loop.  The kselftests check their counts again, with their
# own maxima (DEBUG_UNLOAD_CYCLES up to 100000), and fail naming the value.
ptw_from_1 := [1-9][0-9]{0,5}
ptw_from_0 := 0|$(ptw_from_1)
ptw_count = $(if $(shell echo '$($(1))' | grep -Ex '$(ptw_from_$(2))'),,$(error \
	$(1)=$($(1)): not a whole number from $(2) to 999999))
$(foreach v,STRESS_SECONDS STRESS_MIN,$(call ptw_count,$(v),0))
$(foreach v,DEBUG_RACE_ITERS DEBUG_UNLOAD_CYCLES,$(call ptw_count,$(v),1))

# The boots of make check, in the order make check runs them (make
# boot-<name> runs one alone).  Each prints its own
# summary (harness/verdict.py decides it: the guest's verdict, the TAP's
# shape, both splat scans, the pinned inventory of harness/inventory.txt);
# the last line adds them up.
#   waking-on   patched kernel (kCFI), the series' kselftests and the
#               upstream suites of harness/upstream.list
#   waking-off  the same kernel booted with ptrace_waking=off
#   control     negative control: one LKDTM WARN that both splat scans
#               must catch
#   vanilla     the pristine kernel, same config, the upstream suites:
#               a test that passes there must pass on waking-on
#   debug       the debug kernel (lockdep, KASAN, kmemleak, fault
#               injection, KUnit and the Rust doctests), then the stress pass
BOOTS := waking-on waking-off control vanilla debug
KERNEL_waking-on := $(KOUT)
KERNEL_waking-off := $(KOUT)
KERNEL_vanilla := $(KOUT_VANILLA)
KERNEL_control := $(KOUT)
KERNEL_debug := $(KOUT_DEBUG)
CMDLINE_waking-on := ptw.role=waking-on
CMDLINE_waking-off := ptw.role=waking-off ptrace_waking=off
CMDLINE_vanilla := ptw.role=vanilla
CMDLINE_control := ptw.role=control
CMDLINE_debug := ptw.role=debug ptw.stress=$(STRESS_SECONDS) ptw.stress_min=$(STRESS_MIN) \
	ptw.churn=$(STRESS_CHURN) ptw.race_iters=$(DEBUG_RACE_ITERS) \
	ptw.unload_cycles=$(DEBUG_UNLOAD_CYCLES)
MODE_control := control
INITRD_debug := $(INITRAMFS_DEBUG)
TIMEOUT_debug := $(shell echo $$((2400 + $(STRESS_SECONDS))))
# Summaries the closing line adds up: the lint stage's tests, the kernel
# doctests that must not compile, then the boots.
SUMMARIES := $(BUILD)/logs/harness-selftest.txt $(BUILD)/logs/abi-codes.txt $(BUILD)/logs/rust-compile-fail.txt \
	$(foreach b,$(BOOTS),$(BUILD)/logs/summary-$(b).txt)

# The kernel crate's compile_fail doctests (e.g. a tracepoint probe that
# borrows a local must not compile): rustdoc checks them while the debug
# kernel builds its doctests (scripts/rustdoc_test_builder.rs, patch 7);
# build-kernel.sh keeps rustdoc's verdicts.  Each counts as a test; none
# at all is a failure.
rust-compile-fail: kernel-debug
	@mkdir -p $(BUILD)/logs
	@f=$(KOUT_DEBUG)/.ptw-rustdoc-tests.txt; \
	[ -f $$f ] || { echo "ERROR: $$f missing: the debug kernel extracted no doctests" >&2; exit 1; }; \
	grep -E ' - compile fail \.\.\. ' $$f | sed 's/^test /    /' >&2; \
	p=$$(grep -cE ' - compile fail \.\.\. ok$$' $$f); \
	n=$$(grep -cE ' - compile fail \.\.\. ' $$f); \
	echo "rust-compile-fail: $$p passed, $$((n - p + (n == 0))) failed, 0 skipped" | tee $(BUILD)/logs/rust-compile-fail.txt >&2; \
	[ "$$n" -gt 0 ] && [ "$$p" = "$$n" ]

# make check is a parallel make (CHECK_JOBS) of check-run, in two lines of
# work that meet at the end:
#   builds  normal kernel, with the pristine one beside it; then the debug
#           one (both at nice 19: they get the CPU time the rest leaves)
#   boots   waking-on (once lint has passed), waking-off, control,
#           vanilla, debug: one guest at a time, in this order
# A boot that fails does not stop the others.  A build or lint that fails
# stops make check once the jobs already running (a boot, a build) end.
# Either way check-summary then adds up what there is (a boot without a
# summary counts as failed) and the run goes into timings.log.
# CHECK_RUN: the harness self-test runs check with a fixture instead.
CHECK_JOBS ?= 4
CHECK_RUN ?= check-run
check:
	@rm -f $(SUMMARIES) $(BUILD)/logs/results-*.txt $(BUILD)/logs/rc-*.txt $(BUILD)/logs/context-*.txt \
		$(BUILD)/logs/upstream-compare.md
	@rc=0; $(MAKE) --no-print-directory -j$(CHECK_JOBS) $(CHECK_RUN) PTW_IN_CHECK=1 || rc=1; \
	$(MAKE) --no-print-directory check-summary CHECK_RC=$$rc || rc=1; \
	$(H)/timings.sh $(BUILD)/logs $$rc $$$$ || true; \
	exit $$rc

BOOT_TARGETS := $(addprefix boot-,$(BOOTS))
.PHONY: check-run check-summary $(BOOT_TARGETS)
boot-waking-on boot-waking-off boot-control: initramfs
boot-vanilla: initramfs kernel-vanilla
boot-debug: initramfs-debug
# make check's order; only when check itself set PTW_IN_CHECK on the
# sub-make's command line, never from the environment.
ifeq ($(origin PTW_IN_CHECK),command line)
IN_CHECK := 1
BACKGROUND_NICE := 19
kernel-debug: | kernel-vanilla
module selftests: | lint
boot-waking-on: | lint
boot-waking-off: | boot-waking-on
boot-control: | boot-waking-off
boot-vanilla: | boot-control
boot-debug: | boot-vanilla
endif

# One boot of make check (make boot-debug alone works too, and exits with
# the boot's status); under make check its status goes to rc-<boot>.txt
# and the next boot goes on.
$(BOOT_TARGETS): boot-%:
	@mkdir -p $(BUILD)/logs
	@rc=0; PTW_VM_TIMEOUT=$(or $(TIMEOUT_$*),1200) $(H)/run-vm.sh $(or $(MODE_$*),check) \
		$(KERNEL_$*)/arch/x86/boot/bzImage $(or $(INITRD_$*),$(INITRAMFS)) $(BUILD)/logs $* \
		"$(CMDLINE_$*)" || rc=$$?; \
	echo $$rc > $(BUILD)/logs/rc-$*.txt; [ -n "$(IN_CHECK)" ] || exit $$rc

check-run: lint rust-compile-fail $(BOOT_TARGETS)

# The closing lines: every boot's status, the upstream comparison, every
# summary added up (a missing, empty or malformed one is a failure).
# CHECK_RC: make check's own status so far.
CHECK_RC ?= 0
# The first red boot's context (a splat, a failed test's TAP) is shown
# again at the very end, above the total: a log cut to its tail still
# says what went wrong.
CONTEXT_SHOWN ?= 30
check-summary:
	@mkdir -p $(BUILD)/logs; rc=$(CHECK_RC); [ "$$rc" = 0 ] || printf '\nERROR: a build or lint step of make check failed (see above): boots without a summary count as failed\n' >&2; \
	for b in $(BOOTS); do [ "$$(cat $(BUILD)/logs/rc-$$b.txt 2>/dev/null)" = 0 ] || rc=1; done; \
	printf '\n==> upstream suites: the pristine kernel against the series, same config\n' >&2; \
	python3 $(H)/verdict.py compare --patched $(BUILD)/logs/results-waking-on.txt \
		--vanilla $(BUILD)/logs/results-vanilla.txt --collections "$(UPSTREAM_TARGETS)" \
		--inventory $(H)/inventory.txt \
		--out $(BUILD)/logs/upstream-compare.md || rc=1; \
	for f in $(SUMMARIES); do \
		if [ -s $$f ]; then cat $$f; else echo "$$(basename $$f .txt): 0 passed, 1 failed, 0 skipped (no summary)"; fi; \
	done | awk '!/^[^ ]+: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped/ { $$0 = $$0 " (malformed: counted as 1 failed)"; f++ } \
		{ print "    " $$0; p += $$2; f += $$4; s += $$6; x += $$8 } \
		END { printf "total: %d passed, %d failed, %d skipped, %d expected failures (they fail on the pristine kernel too)\n", p, f, s, x; \
		      exit (f > 0) }' > $(BUILD)/logs/check-total.txt || rc=1; \
	head -n -1 $(BUILD)/logs/check-total.txt; \
	for b in $(BOOTS); do \
		c=$(BUILD)/logs/context-$$b.txt; [ -s $$c ] || continue; \
		[ "$$(cat $(BUILD)/logs/rc-$$b.txt 2>/dev/null)" != 0 ] || continue; \
		printf '\n==> %s is red; the start of what went wrong (all of it: %s):\n' $$b $$c; \
		head -n $(CONTEXT_SHOWN) $$c; break; \
	done; \
	tail -n 1 $(BUILD)/logs/check-total.txt; \
	exit $$rc

# Iterations per race scenario and mode in make demo.
ITERS ?= 2000

# The races kselftest sized for a demo, in one boot; its assertions decide
# the verdict.  The table and the raw lines go to the terminal and, with
# what produced them, to Documentation/results/demo.txt.
demo: initramfs
	@PTW_VM_TIMEOUT=$$((900 + $(ITERS) / 10)) $(H)/run-vm.sh demo $(KOUT)/arch/x86/boot/bzImage $(INITRAMFS) \
		$(BUILD)/logs demo ptw.iters=$(ITERS)
	@{ printf '# make demo ITERS=%s, %s\n' "$(ITERS)" "$$(date -u +%Y-%m-%dT%H:%MZ)"; \
	   printf '# project commit %s%s, series: %s\n' "$$(git rev-parse --short HEAD)" \
		"$$(git diff --quiet HEAD -- patches rust selftests || echo ' + local changes')" \
		"$$(sed -e 's/\#.*//' -e '/^$$/d' patches/series | cut -c1-4 | tr '\n' ' ')"; \
	   printf '# guest: %s, %s\n' "$$(sed -n 's/^# kernel: //p' $(BUILD)/logs/tap-demo.log)" \
		"$$(cat $(BUILD)/logs/vm-demo.txt)"; \
	   echo; $(H)/demo-table.sh $(BUILD)/logs/tap-demo.log; \
	   echo; echo '# raw lines of the races kselftest:'; grep 'race=' $(BUILD)/logs/tap-demo.log; \
	} > $(BUILD)/logs/demo.txt
	@cat $(BUILD)/logs/demo.txt
	@mkdir -p Documentation/results && cp $(BUILD)/logs/demo.txt Documentation/results/demo.txt

# Benchmark (not a test): BENCH_ROUNDS interleaved rounds of BENCH_N
# PTRACE_SYSCALL round trips per mode (the first BENCH_WARMUP rounds are
# discarded), then the waking wait, in two boots: under QEMU icount
# (instruction time: the figures) and on the wall clock (BENCH_WALL_N
# round trips, beside it).  The raw output goes to
# Documentation/results/bench-<date>.txt and README.md's bench section
# is generated from that file (harness/bench-table.py).
BENCH_ROUNDS ?= 9
BENCH_WARMUP ?= 1
BENCH_N ?= 20000
BENCH_WALL_N ?= 2000

# The project's state as the boots start (make expands the whole recipe,
# after the prerequisites, before its first line runs), for the results.
bench: BENCH_PROJECT = $(shell python3 $(H)/bench-table.py project)
bench: initramfs
	@PTW_ICOUNT=1 PTW_VM_TIMEOUT=$$((600 + $(BENCH_ROUNDS) * $(BENCH_N) / 500)) $(H)/run-vm.sh bench \
		$(KOUT)/arch/x86/boot/bzImage $(INITRAMFS) $(BUILD)/logs bench-icount \
		"ptw.bench=$(BENCH_ROUNDS) ptw.iters=$(BENCH_N)"
	@PTW_VM_TIMEOUT=$$((600 + $(BENCH_ROUNDS) * $(BENCH_WALL_N) / 100)) $(H)/run-vm.sh bench \
		$(KOUT)/arch/x86/boot/bzImage $(INITRAMFS) $(BUILD)/logs bench-wall \
		"ptw.bench=$(BENCH_ROUNDS) ptw.iters=$(BENCH_WALL_N)"
	@python3 $(H)/bench-table.py run --logdir $(BUILD)/logs --results-dir Documentation/results \
		--readme README.md --kernel $(KOUT)/arch/x86/boot/bzImage --module $(MODULE_KO) \
		--warmup $(BENCH_WARMUP) --project "$(BENCH_PROJECT)"

# Soak: the stress pass alone for DURATION (seconds, or 30m, 2h), on the
# debug kernel; STRESS_KERNEL=normal soaks the normal one.
DURATION ?= 600
STRESS_KERNEL ?= debug
ifeq ($(STRESS_KERNEL),normal)
stress: initramfs
	@$(H)/stress.sh $(KOUT)/arch/x86/boot/bzImage $(INITRAMFS) $(BUILD)/logs "$(DURATION)" $(STRESS_CHURN)
else
stress: initramfs-debug
	@$(H)/stress.sh $(KOUT_DEBUG)/arch/x86/boot/bzImage $(INITRAMFS_DEBUG) $(BUILD)/logs "$(DURATION)" $(STRESS_CHURN)
endif

clean:
	rm -rf $(BUILD)
