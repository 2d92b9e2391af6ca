# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Common helpers for the harness scripts: progress lines with elapsed time,
# fatal errors that name the fix, and the cache layout.  Sourced, not run.

PTW_CACHE=${PTW_CACHE:-$HOME/.cache/ptrace-waking}
PTW_T0=${PTW_T0:-$(date +%s)}
mkdir -p "$PTW_CACHE"
export PTW_CACHE PTW_T0

# Pinned inputs come from the top-level Makefile; the defaults let a
# script run on its own.
PTW_KVER_PIN=${PTW_KVER_PIN:-7.3.4-1~bpo13+1}
PTW_BINDGEN_VERSION=${PTW_BINDGEN_VERSION:-0.72.1}
BINDGEN=${BINDGEN:-$PTW_CACHE/bindgen-$PTW_BINDGEN_VERSION/bin/bindgen}
KMAKEFLAGS=${KMAKEFLAGS:-ARCH=x86_64 LLVM=-19 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTFMT=/usr/bin/rustfmt CLIPPY_DRIVER=/usr/bin/clippy-driver BINDGEN=$BINDGEN LIBCLANG_PATH=/usr/lib/llvm-19/lib rustdoc_test_kernel_quiet=}
export PTW_KVER_PIN PTW_BINDGEN_VERSION BINDGEN KMAKEFLAGS

# ptw_cpu_cs PID: the CPU time, in hundredths of a second (user + system),
# of the children PID has waited for, theirs included (cutime + cstime of
# /proc/PID/stat): in a script, ptw_cpu_cs $$ is the CPU time of
# everything it ran so far.  Prints nothing if it can't tell: a timing
# aid, it never fails its caller.
ptw_cpu_cs() {
	local hz
	hz=$(getconf CLK_TCK 2>/dev/null) || return 0
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null |
		awk -v hz="$hz" 'hz > 0 && NF >= 15 { printf "%d\n", ($14 + $15) * 100 / hz }' || true
}

# ptw_cs_to_s CS: hundredths of a second to whole seconds, rounded;
# nothing for nothing.
ptw_cs_to_s() {
	[ -z "$1" ] || echo $((($1 + 50) / 100))
}

ptw_elapsed() {
	local s=$(( $(date +%s) - PTW_T0 ))
	printf '%02d:%02d' $((s / 60)) $((s % 60))
}

# stage NAME: announce a long step so nobody thinks the run hung.
stage() {
	printf '==> [%s] %s\n' "$(ptw_elapsed)" "$*" >&2
}

info() {
	printf '    %s\n' "$*" >&2
}

die() {
	printf '\nERROR: %s\n' "$*" >&2
	exit 1
}

loud() {
	printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
	printf '!!! %s\n' "$@" >&2
	printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
}

# QEMU's version as "MAJOR MINOR" (empty if there is no QEMU).
qemu_version() {
	qemu-system-x86_64 --version 2>/dev/null |
		sed -n '1s/^QEMU emulator version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p'
}

# Multi-threaded TCG is safe for this kernel only from QEMU 8.1 on.
# Before, a vCPU could translate a block from code that another vCPU was
# patching and keep it after the patch was done: QEMU read the guest bytes
# first and took the page lock only to publish the block, so the
# invalidation done by the patching store could miss it (fixed by QEMU
# commit deba78709ae8, "accel/tcg: Always lock pages before translation").
# The kernel patches static calls and jump labels with an INT3 protocol
# while other CPUs run the code, so a stale INT3 survives the patch and
# oopses ("Oops: int3" in __do_trace_ptrace_check_attach on every module
# load/unload under traffic with QEMU 7.2).  thread=single runs every vCPU
# on one host thread, so no translation can overlap a store.
qemu_mttcg_safe() {
	local v
	v=$(qemu_version)
	[ -n "$v" ] || return 1
	set -- $v
	[ "$1" -gt 8 ] || { [ "$1" -eq 8 ] && [ "$2" -ge 1 ]; }
}

# A private apt configuration in DIR: its own lists, cache and sources
# (DIR/etc/sources.list, written by the caller), the machine's dpkg
# status, verified against the Debian archive keyring already installed.
# The machine's own apt sources are never edited.  With "system" the
# machine's source files are copied in too, so that packages from the
# extra line can take their dependencies from the release.
PTW_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
ptw_apt_setup() {
	local d=$1
	[ -r "$PTW_KEYRING" ] || die "$PTW_KEYRING missing: apt-get install debian-archive-keyring"
	mkdir -p "$d"/{lists/partial,cache/archives/partial,etc/sources.list.d,etc/preferences.d}
	rm -f "$d"/etc/sources.list.d/*
	if [ "${2:-}" = system ]; then
		cp /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
			"$d/etc/sources.list.d/" 2>/dev/null || true
	fi
	cat > "$d/apt.conf" <<EOS
Dir::State "$d";
Dir::State::Lists "$d/lists";
Dir::State::status "/var/lib/dpkg/status";
Dir::Cache "$d/cache";
Dir::Etc::SourceList "$d/etc/sources.list";
Dir::Etc::SourceParts "$d/etc/sources.list.d";
Dir::Etc::Preferences "$d/etc/preferences";
Dir::Etc::PreferencesParts "$d/etc/preferences.d";
APT::Sandbox::User "root";
EOS
}

# ptw_apt DIR CMD...: run an apt command with DIR's configuration.
ptw_apt() {
	local d=$1
	shift
	APT_CONFIG=$d/apt.conf "$@"
}
