#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT.cpio MODULE.ko TESTDIR
#
# The guest's whole userspace: Debian's static busybox, harness/guest-init.sh
# as /init, and the module plus the kselftest binaries under /ptw/tests/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$1 ko=$2 testdir=$3
here=$(cd "$(dirname "$0")" && pwd)
[ -x /bin/busybox ] || die "/bin/busybox missing: apt-get install busybox-static"
case "$(ldd /bin/busybox 2>&1 || true)" in
*"not a dynamic"*) ;;
*) die "/bin/busybox is not the static one: apt-get install busybox-static" ;;
esac

root=$(mktemp -d "${out%/*}/.initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,ptw/tests}
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$here/guest-init.sh" "$root/init"
install -m 0644 "$ko" "$root/ptw/tests/"
find "$testdir" -maxdepth 1 -type f -perm -u+x -exec install -m 0755 {} "$root/ptw/tests/" \;
# Which binaries are tests (kselftest's own list); the rest are helpers.
install -m 0644 "$testdir/kselftest-list.txt" "$root/ptw/"
install -m 0755 "$here/guest-races.sh" "$root/ptw/races.sh"
install -m 0755 "$here/guest-stress.sh" "$root/ptw/stress.sh"
install -m 0755 "$here/guest-bench.sh" "$root/ptw/bench.sh"
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
info "initramfs: $out ($(du -h "$out" | cut -f1))"
