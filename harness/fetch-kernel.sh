#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-kernel.sh TREE
#
# Fetch Debian's linux-source-7.3 from trixie-backports with a private apt
# configuration (the machine's sources are never touched), verified by apt
# against the Debian archive keyring already installed, and unpack it once
# into TREE as a git tree whose first commit is tagged "pristine".  The
# version actually unpacked is recorded in TREE/.ptw-unpacked.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

APTDIR=$PTW_CACHE/apt

papt() { ptw_apt "$APTDIR" "$@"; }

setup_apt() {
	ptw_apt_setup "$APTDIR"
	echo "deb [signed-by=$PTW_KEYRING] http://deb.debian.org/debian trixie-backports main" \
		> "$APTDIR/etc/sources.list"
}

tree=$1
# Reuse an already unpacked tree.
if [ -f "$tree/.ptw-unpacked" ]; then
	exit 0
fi
mkdir -p "$PTW_CACHE/src"

deb=$(ls "$PTW_CACHE"/linux-source-7.3_"${PTW_KVER_PIN//:/%3a}"_all.deb 2>/dev/null || true)
ver=$PTW_KVER_PIN
if [ -z "$deb" ]; then
	setup_apt
	stage "apt-get update (private config, trixie-backports)"
	papt apt-get update -q > "$APTDIR/update.log" 2>&1 ||
		die "apt-get update of trixie-backports failed (log: $APTDIR/update.log).
       check that deb.debian.org is reachable and that $PTW_KEYRING carries the trixie keys."
	if ! papt apt-cache madison linux-source-7.3 | grep "| $PTW_KVER_PIN |" >/dev/null; then
		ver=$(papt apt-cache madison linux-source-7.3 | awk -F'|' '{gsub(/ /,"",$2); print $2}' |
		      sort -V | tail -1)
		[ -n "$ver" ] || die "linux-source-7.3 not found in trixie-backports"
		loud "pinned linux-source-7.3 $PTW_KVER_PIN has left the archive" \
		     "using the newest 7.3.x there instead: $ver" \
		     "update PTW_KVER_PIN in harness/lib.sh once this is verified"
	fi
	stage "downloading linux-source-7.3=$ver (about 170 MB)"
	(cd "$PTW_CACHE" && papt apt-get download -q "linux-source-7.3=$ver") \
		> "$APTDIR/download.log" 2>&1 ||
		die "download of linux-source-7.3=$ver failed (log: $APTDIR/download.log)"
	deb=$(ls "$PTW_CACHE"/linux-source-7.3_*_all.deb | sort -V | tail -1)
fi

stage "unpacking $(basename "$deb") (once)"
tmp=$PTW_CACHE/src/.unpack.$$
rm -rf "$tmp" "$tree"
mkdir -p "$tmp"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/src/linux-source-7.3.tar.xz
tar -xJf "$tmp/usr/src/linux-source-7.3.tar.xz" -C "$tmp"
mv "$tmp/linux-source-7.3" "$tree"
rm -rf "$tmp"

# A git tree lets apply-patches.sh return to pristine with "git reset",
# touching only the files the series changed, so rebuilds stay incremental.
stage "recording the pristine tree in git (once)"
(
	cd "$tree"
	git init -q
	git config user.name "ptrace-waking harness"
	git config user.email "harness@ptrace-waking.invalid"
	git config gc.auto 0
	# Debian's .gitignore ignores the whole top level: add by force.
	git add -A -f .
	git commit -q -m "Linux 7.3 from Debian linux-source-7.3 $ver"
	git tag pristine
)
echo "$ver" > "$tree/.ptw-unpacked"
