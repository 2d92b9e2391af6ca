#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh TREE OUTDIR FRAGMENT...
#
# Configure (tinyconfig + the project's fragments) and build the guest
# kernel out of tree in OUTDIR, with the LLVM=-19 toolchain and Debian's
# rustc.  Incremental: the config is regenerated only when a fragment or
# the tree's Kconfig changed; make itself skips up-to-date objects.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=$1
out=$2
shift 2
frags=()
for f in "$@"; do frags+=("$(realpath "$f")"); done
mkdir -p "$out"
# The build's time (make bench's pipeline table) includes its configuration.
t0=$(date +%s)

# KMAKEFLAGS (toolchain: LLVM=-19, Debian rustc, pinned bindgen) comes
# from the top-level Makefile, or lib.sh's default.  PTW_BUILD_NICE: make
# check builds the pristine and the debug kernel while its guests run; at
# nice 19 the compilers get the CPU time the guests leave, and the guests
# keep their timing.
nice=()
[ -z "${PTW_BUILD_NICE:-}" ] || nice=(nice -n "$PTW_BUILD_NICE")
# The kernel's make is a make of its own: under make check's parallel make
# it must not inherit that make's jobserver and variables (MAKEFLAGS).
kmake() {
	# shellcheck disable=SC2086 # KMAKEFLAGS is a list of VAR=value words
	"${nice[@]}" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$tree" O="$out" $KMAKEFLAGS "$@"
}

if [ ! -f "$out/.ptw-rustavailable" ]; then
	stage "checking the Rust toolchain with the kernel's 'make rustavailable'"
	kmake -s rustavailable > "$out/rustavailable.log" 2>&1 || {
		cat "$out/rustavailable.log" >&2
		die "the kernel cannot use this Rust toolchain; rerun harness/bootstrap.sh"
	}
	touch "$out/.ptw-rustavailable"
fi

# The config depends on the fragments and on the tree (a patch may add
# Kconfig symbols): rebuild it when any of them changed.
cfghash=$( { cat "${frags[@]}"; git -C "$tree" rev-parse HEAD; } | sha256sum | cut -d' ' -f1)
if [ ! -f "$out/.config" ] || [ "$(cat "$out/.ptw-config-hash" 2>/dev/null)" != "$cfghash" ]; then
	stage "configuring: tinyconfig + ${frags[*]##*/}"
	kmake -s tinyconfig > "$out/config.log" 2>&1
	(cd "$out" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$out" .config "${frags[@]}") \
		>> "$out/config.log" 2>&1 || die "merge_config.sh failed (log: $out/config.log)"
	kmake -s olddefconfig >> "$out/config.log" 2>&1
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qx -- "$line" "$out/.config" || {
				echo "    fragment wants $line, .config has: $(grep -E "^(# )?${line%%=*}[= ]" "$out/.config" || echo 'nothing')" >&2
				bad=1
			} ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			! grep -q -- "^$sym=" "$out/.config" || {
				echo "    fragment wants $line, .config has: $(grep -- "^$sym=" "$out/.config")" >&2
				bad=1
			} ;;
		esac
	done < <(cat "${frags[@]}")
	[ $bad -eq 0 ] || die "kernel config fragment not honoured (see above; log: $out/config.log)"
	echo "$cfghash" > "$out/.ptw-config-hash"
fi

stage "building the kernel in $out (cold: about 11 minutes on 2 cores, the debug kernel longer)"
# How long, and what kind of build it was, for make bench's pipeline table.
kind=cold
[ -f "$out/vmlinux" ] && kind=incremental
before=$(stat -c %Y "$out/vmlinux" 2>/dev/null || echo 0)
if ! kmake -j"$(nproc)" all > "$out/build.log" 2>&1; then
	grep -E -m 20 'error|Error' "$out/build.log" >&2 || tail -30 "$out/build.log" >&2
	die "kernel build failed (log: $out/build.log)"
fi
# rustdoc's verdicts on the kernel doctests (CONFIG_RUST_KERNEL_DOCTESTS),
# kept until the next build that extracts them again: the compile_fail ones
# run nowhere else (make check's rust-doctests step counts them).
if grep -q 'RUSTDOC TK' "$out/build.log"; then
	grep -E '^test .* \.\.\. |^test result:' "$out/build.log" > "$out/.ptw-rustdoc-tests.txt" || true
fi
# Exported UAPI headers for the kselftests (KHDR_INCLUDES).
kmake -s headers_install > /dev/null
[ "$(stat -c %Y "$out/vmlinux")" = "$before" ] && kind=up-to-date
cpu=$(ptw_cs_to_s "$(ptw_cpu_cs $$)")
echo "$(date +%s) $(( $(date +%s) - t0 )) $kind${cpu:+ $cpu}" > "$out/.ptw-last-build"
