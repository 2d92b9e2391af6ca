#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT.cpio KSELFTEST_DIR MODULE_DIR
#
# The guest's whole userspace: Debian's static busybox, harness/guest-init.sh
# as /init, a kselftest-install tree (run_kselftest.sh, kselftest-list.txt
# and the collections) under /ptw/kselftest, the modules of the build in
# MODULE_DIR (its modules.order: ptrace_waking.ko, the kselftests'
# ptw_late_trap.ko and, if built, ptrace_waking_kunit.ko) under /ptw, and
# what the kernel's runner and the dynamically linked upstream kselftests
# need from the host: coreutils' timeout and stdbuf, and every shared
# library ldd names for them, at the same paths.
set -euo pipefail
# ldconfig is in /sbin, which a user's PATH may lack (a stub first stays first).
PATH=$PATH:/usr/sbin:/sbin
. "$(dirname "$0")/lib.sh"

out=$1 ks=$2 moddir=$3
here=$(cd "$(dirname "$0")" && pwd)
[ -x /bin/busybox ] || die "/bin/busybox missing: apt-get install busybox-static"
case "$(ldd /bin/busybox 2>&1 || true)" in
*"not a dynamic"*) ;;
*) die "/bin/busybox is not the static one: apt-get install busybox-static" ;;
esac
[ -x "$ks/run_kselftest.sh" ] || die "$ks is not a kselftest-install tree (no run_kselftest.sh)"
[ -f "$moddir/rust/ptrace_waking.ko" ] && [ -f "$moddir/modules.order" ] ||
	die "$moddir/rust/ptrace_waking.ko or modules.order missing (make module)"

root=$(mktemp -d "${out%/*}/.initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,ptw/bin}
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$here/guest-init.sh" "$root/init"
cp -a "$ks" "$root/ptw/kselftest"
# The modules of the last build, from its modules.order (Kbuild leaves the
# .ko of a module dropped from obj-m behind); their names must not clash.
mapfile -t mods < <(sed 's/\.o$/.ko/' "$moddir/modules.order")
[ -z "$(printf '%s\n' "${mods[@]##*/}" | sort | uniq -d)" ] ||
	die "$moddir/modules.order: two modules of the same name"
for m in "${mods[@]}"; do
	install -m 0644 "$moddir/$m" "$root/ptw/"
done
install -m 0644 "$here/upstream.list" "$root/ptw/"
# Upstream collections without a settings file get the runner's default
# timeout of 45 s, too short for some of their tests under QEMU TCG
# (pidfd_test sleeps 3 s per case, eight cases): give them 300 s.
for c in $(sed -e 's/#.*//' -e 's/:.*//' "$here/upstream.list" | sort -u); do
	[ -d "$root/ptw/kselftest/$c" ] && [ ! -f "$root/ptw/kselftest/$c/settings" ] &&
		printf '# ptrace-waking harness: 45 s is too short under QEMU TCG\ntimeout=300\n' \
			> "$root/ptw/kselftest/$c/settings"
done
# The guest's dmesg scan uses the host console scan's pattern: one source.
python3 "$here/verdict.py" splat-regex > "$root/ptw/splat.regex"
install -m 0755 "$here/guest-stress.sh" "$root/ptw/stress.sh"
install -m 0755 "$here/guest-bench.sh" "$root/ptw/bench.sh"
install -m 0755 "$(command -v timeout)" "$(command -v stdbuf)" "$root/ptw/bin/"
stdbuf_lib=/usr/libexec/coreutils/libstdbuf.so
[ -f $stdbuf_lib ] && install -D -m 0644 $stdbuf_lib "$root$stdbuf_lib"

# Shared libraries of every dynamically linked ELF file, with their
# symlinks, at the host's paths (the guest has the host's glibc ABI).
# (ldd fails for the shell scripts among them, hence the "|| true".)
libs=$(find "$root/ptw" -type f -perm -u+x -print0 | { xargs -0 ldd 2>/dev/null || true; } |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(/ { print $1 }' | sort -u)
# glibc dlopen()s libgcc_s for pthread_exit()'s unwinding; ldd can't see it.
# awk reads to the end: if it left early, ldconfig could get SIGPIPE on
# its next write and, with pipefail, fail the script (exit 141).
libs="$libs $(ldconfig -p | awk '$1 == "libgcc_s.so.1" && /x86-64/ && !found { print $NF; found = 1 }')"
for lib in $libs; do
	install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
done

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
info "initramfs: $out ($(du -h "$out" | cut -f1))"
