#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# How d5-eintr-2026-12-01.txt was produced.  Run from a clone of the
# project after its make check (the test and module under build/); steps
# 1 and 2 have manual parts.  C is the make check cache whose normal
# kernel the control copies (here /work/cold3, series of 97ff9ab), K the
# one whose normal kernel is the series booted (here /work/cold4, the
# cold run of 9be2172), W a scratch directory.  The one difference from
# what was run is in step 1.
#
# 1. The negative-control kernel: a copy of the source and of the normal
#    build directory, kernel/ptrace.c changed (see the .txt), built at the
#    original paths through bind mounts in a private mount namespace, so
#    that Kbuild sees the same command lines and rebuilds only ptrace.o.
#    The run used hardlinks (cp -al) for the source: that changes every
#    file's ctime, so the harness's next "git reset --hard" in the cache's
#    tree (apply-patches.sh) rewrote every file, and the cache's kernels
#    were rebuilt in full.  A real copy (cp -a), as below, avoids that.
set -euo pipefail
C=${C:-/work/cold3} K=${K:-/work/cold4} W=${W:-/work/eintr}
S=$C/src/linux-7.3.4-1~bpo13+1
mkdir -p "$W"
cp -a "$S" "$W/src" && cp -a "$C/build/normal" "$W/out"
# (edit $W/src/kernel/ptrace.c as in the .txt)
unshare -m --propagation private bash -c "
	mount --bind '$W/src' '$S' && mount --bind '$W/out' '$C/build/normal' &&
	nice -n 10 make -C '$S' O='$C/build/normal' ARCH=x86_64 LLVM=-19 RUSTC=/usr/bin/rustc \
		RUSTDOC=/usr/bin/rustdoc RUSTFMT=/usr/bin/rustfmt CLIPPY_DRIVER=/usr/bin/clippy-driver \
		BINDGEN=$C/bindgen-0.72.1/bin/bindgen LIBCLANG_PATH=/usr/lib/llvm-19/lib CLIPPY=1 \
		KRUSTFLAGS=-Dwarnings rustdoc_test_kernel_quiet= -j2 all"

# 2. The test and its module as make initramfs builds them
#    (make check, make initramfs), and the guard's binary:
#    waking_deadline.c with the -EINTR test's sigaction() line replaced by
#    a comment, next to
#    copies of the tests' headers, and kselftest_harness.h and
#    kselftest.h one directory up:
#    gcc -Wall -Wextra -O2 -isystem $K/build/normal/usr/include -static \
#        -o waking_deadline waking_deadline.c -lpthread

# 3. A minimal initramfs: busybox, /init, /ptw/waking_deadline and
#    /ptw/ptw_late_trap.ko.
mkinit() {	# mkinit TEST_BINARY OUT.cpio
	local root
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,ptw}
	cp /bin/busybox "$root/bin/"
	cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mkdir -p /tmp && mount -t tmpfs tmpfs /tmp
echo "# guest kernel: $(uname -r) $(cat /proc/version)"
echo "# kernel.ptrace_waking=$(cat /proc/sys/kernel/ptrace_waking)"
export PTRACE_WAKING_KO=/ptw/ptrace_waking.ko
cd /ptw
# One test per run: each setup empties the trace buffer, so what it holds
# after a run is that test's.
for t in request_looks_again_after_timeout request_looks_again_after_interrupt \
	 group_stop_sigcont_interrupts_the_wait; do
	echo "# ---- ./waking_deadline -t $t"
	./waking_deadline -t $t
	echo "# exit=$?"
	echo "# $t: its ptrace:ptrace_check_attach events, by reason:"
	grep ptrace_check_attach /sys/kernel/tracing/trace | grep -o 'reason=[A-Z_]*' | sort | uniq -c | sed 's/^/#   /'
	echo "# $t: its last three:"
	grep ptrace_check_attach /sys/kernel/tracing/trace | tail -n 3 | sed 's/^/#   /'
done
poweroff -f
INIT
	chmod 755 "$root/init"
	install -m 755 "$1" "$root/ptw/waking_deadline"
	install -m 644 build/module/normal/selftests/ptrace_waking/test_modules/ptw_late_trap.ko "$root/ptw/"
	(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) > "$2"
	rm -rf "$root"
}

# 4. One boot per run.
boot() {	# boot KERNEL INITRAMFS CONSOLE_LOG
	timeout 600 qemu-system-x86_64 -accel tcg -cpu max,la57=off -smp 2 -m 1G \
		-kernel "$1" -initrd "$2" -append "console=ttyS0 panic=-1" \
		-display none -monitor none -no-reboot -serial "file:$3" </dev/null
}
mkinit build/kselftest/ptrace_waking/waking_deadline "$W/eintr.cpio"
boot "$W/out/arch/x86/boot/bzImage" "$W/eintr.cpio" "$W/console-control.log"	# run 1
boot "$K/build/normal/arch/x86/boot/bzImage" "$W/eintr.cpio" "$W/console-series.log"	# run 2
mkinit "$W/guard/ptrace_waking/waking_deadline" "$W/guard.cpio"
boot "$K/build/normal/arch/x86/boot/bzImage" "$W/guard.cpio" "$W/console-guard.log"	# run 3
