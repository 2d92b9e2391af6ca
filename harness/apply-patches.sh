#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# apply-patches.sh TREE SERIES_DIR
#
# Bring TREE to "pristine + the series in SERIES_DIR/series", applied with
# git am.  Idempotent: nothing happens when the series (the list and every
# patch's content) is unchanged since the last successful apply.  A failed
# apply leaves the tree pristine and stops the run naming the patch.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=$1
pdir=$2
series=$pdir/series
[ -f "$series" ] || die "$series missing (an empty file means: no patches)"

mapfile -t patches < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$series")
for p in "${patches[@]}"; do
	[ -f "$pdir/$p" ] || die "patches/series names $p, which does not exist"
done

hash=$( { cat "$series"; for p in "${patches[@]}"; do cat "$pdir/$p"; done; } | sha256sum | cut -d' ' -f1)
stamp=$tree/.git/ptw-series-applied
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
	exit 0
fi

stage "applying patches/series (${#patches[@]} patches) to a fresh copy of the pristine tree"
cd "$tree"
rm -f "$stamp"
git am --abort >/dev/null 2>&1 || true
git checkout -q -f -B ptw-series pristine
git reset -q --hard pristine
for p in "${patches[@]}"; do
	if ! git am -q --keep-cr "$pdir/$p" > "$tree/.git/ptw-am.log" 2>&1; then
		cat "$tree/.git/ptw-am.log" >&2
		git am --abort >/dev/null 2>&1 || true
		git reset -q --hard pristine
		die "patch does not apply: patches/$p (tree reset to pristine)"
	fi
	info "applied $p"
done
echo "$hash" > "$stamp"
