# SPDX-License-Identifier: GPL-2.0
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
KMAKEFLAGS=${KMAKEFLAGS:-ARCH=x86_64 LLVM=-19 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTFMT=/usr/bin/rustfmt CLIPPY_DRIVER=/usr/bin/clippy-driver BINDGEN=$BINDGEN LIBCLANG_PATH=/usr/lib/llvm-19/lib}
export PTW_KVER_PIN PTW_BINDGEN_VERSION BINDGEN KMAKEFLAGS

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
