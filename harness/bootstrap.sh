#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the build needs and nothing else.  Debian packages come from
# the machine's own apt sources; bindgen-cli is pinned and built from
# crates.io into the cache.  Without root, print the exact command instead.
#
# bootstrap.sh [packages|bindgen]: only the Debian packages, or only
# bindgen (once the packages are there: cargo links with their gcc), so
# that make check can build bindgen while the kernel source is fetched;
# both by default.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

what=${1:-all}
case $what in all | packages | bindgen) ;; *) die "usage: bootstrap.sh [packages|bindgen]" ;; esac

# Debian packages.  rustc-web/rust-web-src: the rustup toolchain has no
# rust-src and cannot build kernel Rust; these four come from one source
# package, so the versions always pair.  clang/lld/llvm 19: LLVM=-19 build.
# busybox-static + cpio: the guest initramfs.  QEMU: see below.
# libc6-dev: static kselftests.  libcap-dev: the upstream seccomp and
# pidfd kselftests.  coreutils: timeout and stdbuf for the kernel's
# kselftest runner in the guest.  python3-ply/-git: checkpatch's
# spdxcheck.  shellcheck: the harness's lint.  The rest: kernel build
# prerequisites.
PKGS="rustc-web rust-web-src rustfmt-web rust-web-clippy
      clang-19 lld-19 llvm-19 libclang-19-dev
      busybox-static cpio kmod coreutils
      flex bison bc libelf-dev libssl-dev libc6-dev libcap-dev
      make gcc perl python3 git xz-utils rsync
      python3-ply python3-git shellcheck"

missing=()
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done

# QEMU runs the guest.  Multi-threaded TCG needs QEMU 8.1 or newer (see
# qemu_mttcg_safe in lib.sh); Debian 12 ships 7.2 and its backports 10.
# So when QEMU is missing and the release's own is older than 8.1, it
# comes from <codename>-backports, through a private apt configuration
# (ptw_apt_setup in lib.sh, as for the kernel source).  A QEMU that is
# already installed is left alone, however old: run-vm.sh then runs the
# vCPUs on one host thread.
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)

apt_log=$PTW_CACHE/apt-install.log
apt_fail() {
	tail -20 "$apt_log" >&2
	die "$1 failed (log: $apt_log); fix apt, then rerun.
       what was run:  $2"
}

# qemu_from_backports: install qemu-system-x86 from the release's backports,
# with a private apt configuration that adds them to the machine's sources.
qemu_from_backports() {
	local codename d=$PTW_CACHE/apt-bpo
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "this Debian has QEMU < 8.1 and no codename for its backports.
       install qemu-system-x86 (any version runs the guest, >= 8.1 in parallel), then rerun."
	ptw_apt_setup "$d" system
	echo "deb [signed-by=$PTW_KEYRING] http://deb.debian.org/debian $codename-backports main" \
		> "$d/etc/sources.list"
	stage "installing qemu-system-x86 from $codename-backports (multi-threaded TCG needs QEMU >= 8.1)"
	{ ptw_apt "$d" apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	  ptw_apt "$d" apt-get install -y -q --no-install-recommends -t "$codename-backports" qemu-system-x86; } \
		>> "$apt_log" 2>&1 ||
		apt_fail "installing qemu-system-x86 from $codename-backports" \
			 "APT_CONFIG=$d/apt.conf apt-get -t $codename-backports install qemu-system-x86"
}

[ "$what" = bindgen ] && missing=()
if [ ${#missing[@]} -gt 0 ]; then
	cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		die "missing Debian packages: ${missing[*]}
       run as root:  $cmd"
	fi
	apt-get update -q > "$apt_log" 2>&1 || apt_fail "apt-get update" "$cmd"
	qemu_bpo=
	if [ "${missing[-1]}" = qemu-system-x86 ]; then
		cand=$(apt-cache policy qemu-system-x86 | awk '/Candidate:/ { print $2 }')
		if [ -z "$cand" ] || [ "$cand" = "(none)" ] || dpkg --compare-versions "$cand" lt 1:8.1; then
			qemu_bpo=1
			unset 'missing[-1]'
		fi
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		stage "installing Debian packages: ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
			>> "$apt_log" 2>&1 || apt_fail "apt-get install" "$cmd"
	fi
	[ -z "$qemu_bpo" ] || qemu_from_backports
fi

if [ "$what" != packages ] && [ ! -x "$BINDGEN" ]; then
	command -v cargo >/dev/null ||
		die "cargo not found: bindgen-cli $PTW_BINDGEN_VERSION is built with cargo.
       install a Rust toolchain (rustup, or: apt-get install cargo), then rerun."
	stage "building bindgen-cli $PTW_BINDGEN_VERSION from crates.io (once)"
	# PTW_BUILD_NICE (make check: 19): cargo gets the CPU time that the
	# kernel source's unpack and git record leave, a single-threaded
	# chain that is the longer one before the first kernel build.
	nice=()
	[ -z "${PTW_BUILD_NICE:-}" ] || nice=(nice -n "$PTW_BUILD_NICE")
	if ! "${nice[@]}" cargo install --locked --quiet bindgen-cli --version "$PTW_BINDGEN_VERSION" \
	     --root "$PTW_CACHE/bindgen-$PTW_BINDGEN_VERSION" \
	     > "$PTW_CACHE/bindgen-install.log" 2>&1; then
		tail -20 "$PTW_CACHE/bindgen-install.log" >&2
		die "cargo install bindgen-cli@$PTW_BINDGEN_VERSION failed (log: $PTW_CACHE/bindgen-install.log).
       check that crates.io is reachable, then rerun."
	fi
fi

[ "$what" = bindgen ] && exit 0
for t in /usr/bin/rustc /usr/bin/rustfmt /usr/bin/clippy-driver \
	 clang-19 ld.lld-19 qemu-system-x86_64 /bin/busybox; do
	command -v "$t" >/dev/null || die "$t still missing after bootstrap"
done
