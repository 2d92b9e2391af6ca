# SPDX-License-Identifier: GPL-2.0
#
# ptrace-waking: the front door.  See README.md.
#
#   make check           build everything, boot the guest, run every test
#   make demo            build, boot, show the module's debugfs state
#   make KDIR=<tree>     build only ptrace_waking.ko against your kernel tree
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
KMAKEFLAGS ?= ARCH=x86_64 LLVM=-19 RUSTC=/usr/bin/rustc RUSTFMT=/usr/bin/rustfmt \
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

.PHONY: all module bootstrap kernel selftests initramfs check demo clean help

all: module

help:
	@sed -n '3,12p' Makefile

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

# The kselftests build with the kernel's own lib.mk: they are copied into
# the tree's tools/testing/selftests/ and built there, static, into ./build.
selftests:
	@mkdir -p $(SELFTESTS)
	@rsync -a --delete selftests/ptrace_waking/ $(KSRC)/tools/testing/selftests/ptrace_waking/
	@$(MAKE) -s -C $(KSRC)/tools/testing/selftests/ptrace_waking \
		OUTPUT=$(SELFTESTS) KHDR_INCLUDES="-isystem $(KOUT)/usr/include"

initramfs: module selftests
	@mkdir -p $(BUILD)
	@$(H)/mkinitramfs.sh $(INITRAMFS) $(MODULE_KO) $(SELFTESTS)

check: initramfs
	@$(H)/run-vm.sh check $(KOUT)/arch/x86/boot/bzImage $(INITRAMFS) $(BUILD)/logs normal

demo: initramfs
	@$(H)/run-vm.sh demo $(KOUT)/arch/x86/boot/bzImage $(INITRAMFS) $(BUILD)/logs demo

clean:
	-@$(MAKE) -s -C $(KDIR) M=$(CURDIR) $(KMAKEFLAGS) clean 2>/dev/null
	rm -rf $(BUILD)
