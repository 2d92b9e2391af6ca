# SPDX-License-Identifier: GPL-2.0
#
# ptrace-waking: the front door.  See README.md.
#
#   make check           lint, build everything, run every test in two boots
#   make demo            build, boot, run the race scenarios with the waking
#                        path off and on (ITERS=), print the table and the
#                        module's counters
#   make KDIR=<tree>     build only ptrace_waking.ko against your kernel tree
#   make selftest-patch  regenerate the series' kselftests patch
#
# Caches (kernel source, kernel build, bindgen) live in $(PTW_CACHE);
# VM images, console logs and TAP output in ./build/.

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

MODULE_KO := rust/ptrace_waking.ko
SELFTESTS := $(BUILD)/selftests
INITRAMFS := $(BUILD)/initramfs.cpio

.PHONY: all module bootstrap kernel selftests initramfs check demo clean help lint selftest-patch

all: module

help:
	@sed -n '3,14p' Makefile

bootstrap:
	@$(H)/bootstrap.sh

ifdef OWN_KERNEL
kernel: bootstrap
	@$(H)/fetch-kernel.sh "$(KSRC)"
	@$(H)/apply-patches.sh "$(KSRC)" "$(CURDIR)/patches"
	@$(H)/build-kernel.sh "$(KSRC)" "$(KOUT)" $(H)/kernel.config

module: kernel
selftests: kernel
else
kernel:
	$(error make KDIR=... builds only the module; drop KDIR to build the kernel)
endif

module:
	@printf '==> building %s against %s\n' "$(MODULE_KO)" "$(KDIR)" >&2
	@$(MAKE) -s -C $(KDIR) M=$(CURDIR) $(KMAKEFLAGS) modules

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

# Two boots: the waking path on (the default), and off from the kernel
# command line.  Each prints its own summary; the last line adds them up.
check: lint initramfs
	@rm -f $(BUILD)/logs/summary-*.txt; rc=0; \
	$(H)/run-vm.sh check $(KOUT)/arch/x86/boot/bzImage $(INITRAMFS) $(BUILD)/logs waking-on || rc=1; \
	$(H)/run-vm.sh check $(KOUT)/arch/x86/boot/bzImage $(INITRAMFS) $(BUILD)/logs waking-off ptrace_waking=off || rc=1; \
	for b in waking-on waking-off; do \
		cat $(BUILD)/logs/summary-$$b.txt 2>/dev/null || echo "$$b: 0 passed, 1 failed, 0 skipped"; \
	done | awk '{ print "    " $$0; p += $$2; f += $$4; s += $$6 } \
		END { printf "total: %d passed, %d failed, %d skipped\n", p, f, s }'; \
	exit $$rc

# Iterations per race scenario and mode in make demo.
ITERS ?= 2000

demo: initramfs
	@PTW_VM_TIMEOUT=$$((900 + $(ITERS) / 10)) $(H)/run-vm.sh demo $(KOUT)/arch/x86/boot/bzImage $(INITRAMFS) $(BUILD)/logs demo ptw.iters=$(ITERS)
	@printf '\n==> races: %s iterations per scenario and mode (waking path off, then on)\n\n' "$(ITERS)"
	@$(H)/demo-table.sh $(BUILD)/logs/tap-demo.log

clean:
	-@$(MAKE) -s -C $(KDIR) M=$(CURDIR) $(KMAKEFLAGS) clean 2>/dev/null
	rm -rf $(BUILD)
