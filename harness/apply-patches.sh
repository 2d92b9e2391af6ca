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
pdir=$(realpath "$2")
series=$pdir/series
[ -f "$series" ] || die "$series missing (an empty file means: no patches)"

mapfile -t patches < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$series")
for p in "${patches[@]}"; do
	[ -f "$pdir/$p" ] || die "patches/series names $p, which does not exist"
done

# One line per patch: "<sha256 of its content> <name>".  The stamp holds
# the lines of the series last applied successfully.
want=$(for p in "${patches[@]}"; do echo "$(sha256sum < "$pdir/$p" | cut -d' ' -f1) $p"; done)
stamp=$tree/.git/ptw-series-applied
have=$(cat "$stamp" 2>/dev/null || echo none)
[ "$have" = "$want" ] && exit 0

cd "$tree"
git am --abort >/dev/null 2>&1 || true
# Keep the longest prefix of the applied series that the wanted series
# starts with: reset to the commit of its last patch (git rewrites only
# the files that differ, so everything else keeps its mtime and the
# rebuild stays small) and apply the rest.  Appending a patch, editing
# or dropping the last one are cheap this way.  No usable prefix: back
# to pristine and apply everything.
skip=0
if [ "$have" != none ] && [ -f "$stamp.commits" ] &&
   [ "$(git rev-parse HEAD)" = "$(cat "$stamp.head" 2>/dev/null)" ]; then
	mapfile -t hl < <(echo "$have")
	mapfile -t wl < <(echo "$want")
	mapfile -t commits < "$stamp.commits"
	while [ $skip -lt ${#hl[@]} ] && [ $skip -lt ${#wl[@]} ] &&
	      [ "${hl[$skip]}" = "${wl[$skip]}" ] && [ -n "${commits[$skip]:-}" ]; do
		skip=$((skip + 1))
	done
fi
if [ $skip -gt 0 ]; then
	stage "keeping $skip applied patches, applying $(( ${#patches[@]} - skip )) of patches/series on top"
	git reset -q --hard "${commits[$((skip - 1))]}"
	head -n $skip "$stamp.commits" > "$stamp.commits.new"
else
	stage "applying patches/series (${#patches[@]} patches) to a fresh copy of the pristine tree"
	git checkout -q -f -B ptw-series pristine
	git reset -q --hard pristine
	: > "$stamp.commits.new"
fi
rm -f "$stamp" "$stamp.head" "$stamp.commits"
i=0
for p in "${patches[@]}"; do
	i=$((i + 1))
	[ $i -le $skip ] && continue
	# Files the patch creates may exist untracked (the harness copies
	# selftests/ptrace_waking into the tree): make room for them.
	awk '/^--- \/dev\/null$/ { n = 1; next } n && /^\+\+\+ b\// { print substr($2, 3) } { n = 0 }' \
		"$pdir/$p" | while read -r f; do
		git ls-files --error-unmatch "$f" >/dev/null 2>&1 || rm -f "$f"
	done
	if ! git am -q --keep-cr "$pdir/$p" > "$tree/.git/ptw-am.log" 2>&1; then
		cat "$tree/.git/ptw-am.log" >&2
		git am --abort >/dev/null 2>&1 || true
		git reset -q --hard pristine
		die "patch does not apply: patches/$p (tree reset to pristine)"
	fi
	info "applied $p"
	git rev-parse HEAD >> "$stamp.commits.new"
done
mv "$stamp.commits.new" "$stamp.commits"
echo "$want" > "$stamp"
git rev-parse HEAD > "$stamp.head"
