#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# selftest-patch.sh gen|check TREE PATCHDIR
#
# selftests/ptrace_waking/ is the one source of the kselftests.  The series
# carries them into tools/testing/selftests/ptrace_waking/ with a patch
# generated from that directory:
#   gen    regenerate the patch (after changing selftests/ptrace_waking/)
#          and the diffstat at the end of the cover letter
#   check  fail if the patch's files differ from selftests/ptrace_waking/,
#          or the cover letter's diffstat from the series applied to the
#          pristine tree
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cmd=$1 tree=$2 pdir=$(realpath "$3")
top=$(cd "$(dirname "$0")/.." && pwd)
# The series' selftests patch: its last patch, named *-selftests-ptrace_waking-*.
mapfile -t series < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$pdir/series")
name=${series[-1]}
case $name in *-selftests-ptrace_waking-*) ;; *) die "the last patch of patches/series is not the selftests patch ($name)" ;; esac
number=${#series[@]}
src=selftests/ptrace_waking
dst=tools/testing/selftests/ptrace_waking
mapfile -t files < <(cd "$top" && git ls-files --cached --others --exclude-standard "$src" | sed "s|^$src/||")

cover=$pdir/0000-cover-letter.patch
# The cover letter as it should be: its text up to the blank line after
# the shortlog, then the diffstat of worktree $1 (the whole series on the
# pristine tree), as git format-patch --cover-letter writes it.
cover_letter() {
	awk '{ print } /^[^ ].* \([0-9]+\):$/ { s = 1 } s && /^$/ { exit }' "$cover"
	git -C "$1" diff --stat=72 --summary pristine HEAD
	echo
}
# A worktree of $tree at the pristine tag, removed on exit.
wt=$(mktemp -d)
trap 'git -C "$tree" worktree remove --force "$wt" >/dev/null 2>&1 || true; rm -rf "$wt"' EXIT
git -C "$tree" worktree add -q --detach "$wt" pristine
export GIT_AUTHOR_NAME="ptrace-waking developers" GIT_AUTHOR_EMAIL="ptrace-waking@example.org"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export GIT_AUTHOR_DATE="2026-11-26T12:00:00Z" GIT_COMMITTER_DATE="2026-11-26T12:00:00Z"

if [ "$cmd" = check ]; then
	[ -f "$pdir/$name" ] || die "patches/$name missing: make selftest-patch"
	for p in "${series[@]}"; do git -C "$wt" am -q --keep-cr "$pdir/$p"; done
	cover_letter "$wt" | cmp -s - "$cover" ||
		die "the diffstat in patches/${cover##*/} is not the series': run make selftest-patch"
	# Every file's content in the patch, rebuilt from its "+" lines.
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	awk -v dst="$dst/" -v out="$tmp/" '
		/^diff --git / {
			f = ""
			if (index($3, "a/" dst) == 1) {
				f = substr($3, length(dst) + 3)
				if (f ~ /\//) system("mkdir -p \"" out f "\" && rmdir \"" out f "\"")
			}
			next
		}
		/^\+\+\+ / || /^--- / { next }
		/^@@/ { body = 1; next }
		f != "" && /^\+/ { print substr($0, 2) > (out f); next }
		f != "" && /^ / { print substr($0, 2) > (out f) }' "$pdir/$name"
	bad=0
	for f in "${files[@]}"; do
		cmp -s "$top/$src/$f" "$tmp/$f" || { echo "    out of sync: $src/$f" >&2; bad=1; }
	done
	[ "$(find "$tmp" -type f | wc -l)" -eq ${#files[@]} ] || { echo "    the patch has other files than $src/" >&2; bad=1; }
	[ $bad -eq 0 ] || die "patches/$name does not match $src/: run make selftest-patch"
	exit 0
fi

[ "$cmd" = gen ] || die "usage: selftest-patch.sh gen|check TREE PATCHDIR"
stage "generating patches/$name from $src/"
for p in "${series[@]}"; do
	[ "$p" = "$name" ] && continue
	git -C "$wt" am -q --keep-cr "$pdir/$p"
done
mkdir -p "$wt/$dst"
for f in "${files[@]}"; do mkdir -p "$(dirname "$wt/$dst/$f")" && cp "$top/$src/$f" "$wt/$dst/$f"; done
sed -i 's|^TARGETS += ptrace$|TARGETS += ptrace\nTARGETS += ptrace_waking|' "$wt/tools/testing/selftests/Makefile"
sed -i 's|^F:\tkernel/ptrace.c$|F:\tkernel/ptrace.c\nF:\ttools/testing/selftests/ptrace_waking/|' "$wt/MAINTAINERS"
git -C "$wt" add -f MAINTAINERS tools/testing/selftests/Makefile "$dst"
git -C "$wt" commit -q -F "$top/harness/selftest-patch.msg"
rm -f "$pdir/$name"
git -C "$wt" format-patch -q -1 --zero-commit --no-signature --numbered --start-number "$number" -o "$pdir" HEAD
[ -f "$pdir/$name" ] || die "format-patch did not write patches/$name (subject changed? rename it in patches/series)"
info "wrote patches/$name"
cover_letter "$wt" > "$cover.tmp"
mv "$cover.tmp" "$cover"
info "wrote the diffstat of patches/${cover##*/}"
