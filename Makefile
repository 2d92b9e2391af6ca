# SPDX-License-Identifier: GPL-2.0
#
# ptrace-waking: the front door.  See README.md.
#
#   make check           lint, build everything, run every test in two boots
#                        of the kernel and one of the debug kernel, with a
#                        stress pass there (STRESS_SECONDS=)
#   make demo            build, boot, run the race scenarios with the waking
#                        path off and on (ITERS=), print the table and the
#                        module's counters
#   make stress          soak the debug kernel for DURATION= (600, 30m, 2h)
#   make bench           PTRACE_SYSCALL round-trip cost of the waking path and
#                        the module, interleaved in one boot; updates README
#   make KDIR=<tree>     build only ptrace_waking.ko against your kernel tree
#   make selftest-patch  regenerate the series' kselftests patch
#
# Caches (kernel source, kernel builds, bindgen) live in $(PTW_CACHE);
# modules, VM images, console logs and TAP output in ./build/.

# ---- pinned inputs ---------------------------------------------------------
export PTW_KVER_PIN := 7.3.4-1~bpo13+1
export PTW_BINDGEN_VERSION := 0.72.1

# ---- where things go --------------------------------------------------------
export PTW_CACHE ?= $(HOME)/.cache/ptrace-waking
export PTW_T0 := $(shell date +%s)
H := $(CURDIR)/harness
BUILD := $(CURDIR)/build
KSRC := $(PTW_CACHE)/src/linux-$(PTW_KVER_PIN)
KOUT := $(PTW_CACHE)/build/normal
KOUT_DEBUG := $(PTW_CACHE)/build/debug

# ---- toolchain: Debian's rustc-web and LLVM 19, pinned bindgen -------------
export BINDGEN := $(PTW_CACHE)/bindgen-$(PTW_BINDGEN_VERSION)/bin/bindgen
KMAKEFLAGS ?= ARCH=x86_64 LLVM=-19 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTFMT=/usr/bin/rustfmt \
	CLIPPY_DRIVER=/usr/bin/clippy-driver BINDGEN=$(BINDGEN) \
	LIBCLANG_PATH=/usr/lib/llvm-19/lib
export KMAKEFLAGS

# Without KDIR on the command line we build (and boot) our own kernel.
ifeq ($(origin KDIR),undefined)
OWN_KERNEL := 1
KDIR := $(KOUT)
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
SELFTESTS := $(BUILD)/selftests
INITRAMFS := $(BUILD)/initramfs.cpio
INITRAMFS_DEBUG := $(BUILD)/initramfs-debug.cpio

.PHONY: all module module-debug bootstrap kernel kernel-debug selftests initramfs \
	initramfs-debug check demo stress bench clean help lint selftest-patch

all: module

help:
	@sed -n '3,18p' Makefile

bootstrap:
	@$(H)/bootstrap.sh

ifdef OWN_KERNEL
kernel: bootstrap
	@$(H)/fetch-kernel.sh "$(KSRC)"
	@$(H)/apply-patches.sh "$(KSRC)" "$(CURDIR)/patches"
	@$(H)/build-kernel.sh "$(KSRC)" "$(KOUT)" $(H)/kernel.config

# The debug kernel: the same tree and fragment plus the debug fragment,
# in its own build directory.
kernel-debug: kernel
	@$(H)/build-kernel.sh "$(KSRC)" "$(KOUT_DEBUG)" $(H)/kernel.config $(H)/kernel-debug.config

module: kernel
selftests: kernel
else
kernel kernel-debug:
	$(error make KDIR=... builds only the module; drop KDIR to build the kernel)
endif

module:
	@printf '==> building %s against %s\n' "$(MODULE_KO)" "$(KDIR)" >&2
	@mkdir -p $(MODULE_DIR)
	@$(MAKE) -s -C $(KDIR) M=$(CURDIR) MO=$(MODULE_DIR) $(KMAKEFLAGS) modules

module-debug: kernel-debug
	@printf '==> building %s against %s\n' "$(MODULE_DEBUG_KO)" "$(KOUT_DEBUG)" >&2
	@mkdir -p $(BUILD)/module/debug
	@$(MAKE) -s -C $(KOUT_DEBUG) M=$(CURDIR) MO=$(BUILD)/module/debug $(KMAKEFLAGS) modules

# Regenerate the series' selftests patch after changing selftests/ptrace_waking/.
selftest-patch: kernel
	@$(H)/selftest-patch.sh gen "$(KSRC)" "$(CURDIR)/patches"

# The kselftests build with the kernel's own lib.mk: they are copied into
# the tree's tools/testing/selftests/ and built there, static, into ./build.
selftests:
	@mkdir -p $(SELFTESTS)
	@rsync -a --delete selftests/ptrace_waking/ $(KSRC)/tools/testing/selftests/ptrace_waking/
	@$(MAKE) -s -C $(KSRC)/tools/testing/selftests/ptrace_waking \
		OUTPUT=$(SELFTESTS) KHDR_INCLUDES="-isystem $(KOUT)/usr/include"
	@$(MAKE) -s --no-print-directory -C $(KSRC)/tools/testing/selftests/ptrace_waking \
		COLLECTION=ptrace_waking emit_tests > $(SELFTESTS)/kselftest-list.txt

initramfs: module selftests
	@mkdir -p $(BUILD)
	@$(H)/mkinitramfs.sh $(INITRAMFS) $(MODULE_KO) $(SELFTESTS)

initramfs-debug: module-debug selftests
	@mkdir -p $(BUILD)
	@$(H)/mkinitramfs.sh $(INITRAMFS_DEBUG) $(MODULE_DEBUG_KO) $(SELFTESTS)

# Series and module hygiene: checkpatch --strict must be silent on every
# patch, rustfmt must have nothing to change.  /usr/bin first so that
# checkpatch's spdxcheck.py finds Debian's python3-ply and python3-git.
# The selftests patch keeps checkpatch's BRACES warnings on purpose (its
# commit message says why); nothing else is ignored anywhere.
lint: kernel
	@printf '==> checkpatch --strict on patches/, selftests patch in sync, rustfmt --check on rust/\n' >&2
	@cd $(KSRC) && for p in $$(sed -e 's/#.*//' -e '/^[[:space:]]*$$/d' $(CURDIR)/patches/series); do \
		case $$p in 0008-selftests-*) ign="--ignore BRACES" ;; *) ign= ;; esac; \
		PATH=/usr/bin:$$PATH perl scripts/checkpatch.pl --strict -q $$ign $(CURDIR)/patches/$$p \
		|| { echo "ERROR: checkpatch --strict complains about patches/$$p (see above)" >&2; exit 1; }; \
	done
	@$(H)/selftest-patch.sh check "$(KSRC)" "$(CURDIR)/patches"
	@/usr/bin/rustfmt --edition 2021 --config-path $(KSRC)/.rustfmt.toml --check rust/*.rs \
		|| { echo "ERROR: rust/ needs rustfmt (see diff above)" >&2; exit 1; }

# Guest seconds of the stress pass in make check's debug boot; it goes on
# past them until STRESS_MIN race iterations are done.
STRESS_SECONDS ?= 240
STRESS_MIN ?= 100000
# Module load/unload churn during the stress pass (0 turns it off).
STRESS_CHURN ?= 1

# Three boots: the waking path on (the default), off from the kernel
# command line, and the debug kernel (lockdep, KASAN, kmemleak, fault
# injection) with the whole suite and the stress pass.  Each prints its
# own summary; the last line adds them up.
check: lint initramfs initramfs-debug
	@rm -f $(BUILD)/logs/summary-*.txt; rc=0; \
	$(H)/run-vm.sh check $(KOUT)/arch/x86/boot/bzImage $(INITRAMFS) $(BUILD)/logs waking-on || rc=1; \
	$(H)/run-vm.sh check $(KOUT)/arch/x86/boot/bzImage $(INITRAMFS) $(BUILD)/logs waking-off ptrace_waking=off || rc=1; \
	PTW_VM_TIMEOUT=$$((2400 + $(STRESS_SECONDS))) $(H)/run-vm.sh check $(KOUT_DEBUG)/arch/x86/boot/bzImage \
		$(INITRAMFS_DEBUG) $(BUILD)/logs debug "ptw.stress=$(STRESS_SECONDS) ptw.stress_min=$(STRESS_MIN) ptw.churn=$(STRESS_CHURN)" || rc=1; \
	for b in waking-on waking-off debug; do \
		cat $(BUILD)/logs/summary-$$b.txt 2>/dev/null || echo "$$b: 0 passed, 1 failed, 0 skipped"; \
	done | awk '{ print "    " $$0; p += $$2; f += $$4; s += $$6 } \
		END { printf "total: %d passed, %d failed, %d skipped\n", p, f, s }'; \
	$(H)/timings.sh $(BUILD)/logs $$rc || true; \
	exit $$rc

# Iterations per race scenario and mode in make demo.
ITERS ?= 2000

demo: initramfs
	@PTW_VM_TIMEOUT=$$((900 + $(ITERS) / 10)) $(H)/run-vm.sh demo $(KOUT)/arch/x86/boot/bzImage $(INITRAMFS) $(BUILD)/logs demo ptw.iters=$(ITERS)
	@printf '\n==> races: %s iterations per scenario and mode (waking path off, then on)\n\n' "$(ITERS)"
	@$(H)/demo-table.sh $(BUILD)/logs/tap-demo.log

# Benchmark (not a test): BENCH_ROUNDS interleaved rounds of BENCH_N
# PTRACE_SYSCALL round trips per mode, in one boot; the table goes to
# the terminal and into README.md between the bench markers.
BENCH_ROUNDS ?= 15
BENCH_N ?= 20000

bench: initramfs
	@PTW_VM_TIMEOUT=$$((600 + $(BENCH_ROUNDS) * $(BENCH_N) / 100)) $(H)/run-vm.sh bench \
		$(KOUT)/arch/x86/boot/bzImage $(INITRAMFS) $(BUILD)/logs bench \
		"ptw.bench=$(BENCH_ROUNDS) ptw.iters=$(BENCH_N)"
	@python3 $(H)/bench-table.py $(BUILD)/logs README.md

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
