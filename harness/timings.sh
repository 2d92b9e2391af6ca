#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# timings.sh LOGDIR RC [PID]
#
# End of make check: append one line about this run to
# $PTW_CACHE/timings.log -- wall time since make started (PTW_T0), each
# kernel build's time, kind (cold, incremental, up-to-date; only if it ran
# during this make) and start, each boot's time, start and
# boot-to-first-test time (starts in seconds after PTW_T0: the stages of
# make check overlap), and CPU seconds (user + system): each build's
# (cpu_build_K), each boot's (cpu_boot_L: QEMU's, every vCPU thread) and
# the whole run's (cpu_total: everything the shell PID, make check's
# recipe, has waited for; our parent if not given), and the host's cores.
# make bench reports the latest cold and warm runs from it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

logdir=$1 rc=$2 shell=${3:-$PPID}
t0=${PTW_T0:?PTW_T0 comes from the top-level Makefile}
line="date=$(date -u +%Y-%m-%dT%H:%MZ) total=$(( $(date +%s) - t0 )) result=$([ "$rc" = 0 ] && echo pass || echo fail)"
for k in normal debug vanilla; do
	f=$PTW_CACHE/build/$k/.ptw-last-build
	cpu=
	if [ -f "$f" ] && read -r end secs kind cpu < "$f" && [ "$end" -ge "$t0" ]; then
		line="$line build_$k=$secs:$kind:$((end - secs - t0))${cpu:+ cpu_build_$k=$cpu}"
	fi
done
for f in "$logdir"/time-*.txt; do
	[ -f "$f" ] && [ "$(stat -c %Y "$f")" -ge "$t0" ] || continue
	label=${f##*/time-}
	label=${label%.txt}
	first="" start="" cpu=""
	read -r secs first start cpu < "$f" || true
	line="$line boot_$label=$secs${start:+:$start}${cpu:+ cpu_boot_$label=$cpu}"
	case ${first:--} in -) ;; *) line="$line first_test_$label=$first" ;; esac
done
cpu=$(ptw_cs_to_s "$(ptw_cpu_cs "$shell")")
echo "$line${cpu:+ cpu_total=$cpu} cores=$(nproc)" >> "$PTW_CACHE/timings.log"
