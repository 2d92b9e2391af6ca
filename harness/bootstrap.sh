#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the build needs and nothing else.  Debian packages come from
# the machine's own apt sources; bindgen-cli is pinned and built from
# crates.io into the cache.  Without root, print the exact command instead.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Debian packages.  rustc-web/rust-web-src: the rustup toolchain has no
# rust-src and cannot build kernel Rust; these four come from one source
# package, so the versions always pair.  clang/lld/llvm 19: LLVM=-19 build.
# busybox-static + cpio: the guest initramfs.  qemu-system-x86: the guest.
# libc6-dev: static kselftests.  python3-ply/-git: checkpatch's spdxcheck.
# The rest: kernel build prerequisites.
PKGS="rustc-web rust-web-src rustfmt-web rust-web-clippy
      clang-19 lld-19 llvm-19 libclang-19-dev
      qemu-system-x86 busybox-static cpio kmod
      flex bison bc libelf-dev libssl-dev libc6-dev
      make gcc perl python3 git xz-utils rsync
      python3-ply python3-git"

missing=()
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		die "missing Debian packages: ${missing[*]}
       run as root:  $cmd"
	fi
	stage "installing Debian packages: ${missing[*]}"
	if ! (apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -q --no-install-recommends "${missing[@]}") \
	      > "$PTW_CACHE/apt-install.log" 2>&1; then
		tail -20 "$PTW_CACHE/apt-install.log" >&2
		die "apt-get install failed (log: $PTW_CACHE/apt-install.log); fix apt, then rerun.
       command was:  $cmd"
	fi
fi

if [ ! -x "$BINDGEN" ]; then
	command -v cargo >/dev/null ||
		die "cargo not found: bindgen-cli $PTW_BINDGEN_VERSION is built with cargo.
       install a Rust toolchain (rustup, or: apt-get install cargo), then rerun."
	stage "building bindgen-cli $PTW_BINDGEN_VERSION from crates.io (once)"
	if ! cargo install --locked --quiet bindgen-cli --version "$PTW_BINDGEN_VERSION" \
	     --root "$PTW_CACHE/bindgen-$PTW_BINDGEN_VERSION" \
	     > "$PTW_CACHE/bindgen-install.log" 2>&1; then
		tail -20 "$PTW_CACHE/bindgen-install.log" >&2
		die "cargo install bindgen-cli@$PTW_BINDGEN_VERSION failed (log: $PTW_CACHE/bindgen-install.log).
       check that crates.io is reachable, then rerun."
	fi
fi

for t in /usr/bin/rustc /usr/bin/rustfmt /usr/bin/clippy-driver \
	 clang-19 ld.lld-19 qemu-system-x86_64 /bin/busybox; do
	command -v "$t" >/dev/null || die "$t still missing after bootstrap"
done
