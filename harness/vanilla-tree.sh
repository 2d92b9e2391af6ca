#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vanilla-tree.sh TREE VANILLA
#
# The pristine kernel for the upstream suites' baseline: a git worktree of
# TREE (the unpacked Debian source, see fetch-kernel.sh) at its tag
# "pristine", made once in VANILLA.  Same source, same configuration
# (build-kernel.sh with the same fragment), none of patches/: what the
# patched kernel's results are compared against.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=$1 vanilla=$2
if [ -d "$vanilla/.git" ] || [ -f "$vanilla/.git" ]; then
	[ "$(git -C "$vanilla" rev-parse HEAD)" = "$(git -C "$tree" rev-parse pristine)" ] ||
		die "$vanilla is not at the pristine tag of $tree; remove it and rerun"
	exit 0
fi
stage "making the pristine tree $vanilla (git worktree of $tree at tag pristine, once)"
git -C "$tree" worktree prune
git -C "$tree" worktree add -q --detach "$vanilla" pristine
