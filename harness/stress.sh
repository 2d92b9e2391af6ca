#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# stress.sh BZIMAGE INITRAMFS LOGDIR DURATION [CHURN]
#
# make stress: boot BZIMAGE and run only the stress pass of
# harness/guest-stress.sh for DURATION (seconds, or with an m or h
# suffix), then the kmemleak and lockdep checks.  Progress lines arrive
# as the guest prints them; the run fails on any failed round, leak or
# kernel splat, exactly as make check's debug boot does.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=$1 initrd=$2 logdir=$3 duration=$4 churn=${5:-1}
case "$duration" in
*h) secs=$(( ${duration%h} * 3600 )) ;;
*m) secs=$(( ${duration%m} * 60 )) ;;
*s) secs=${duration%s} ;;
*) secs=$duration ;;
esac
[[ "$secs" =~ ^[0-9]+$ ]] && [ "$secs" -gt 0 ] ||
	die "DURATION=$duration: give seconds, or minutes/hours as 30m, 2h"
stage "stress: $secs s of races, SIGKILL storms and module reloads"
PTW_VM_TIMEOUT=$((secs + 1800)) exec "$(dirname "$0")/run-vm.sh" stress "$kernel" "$initrd" "$logdir" stress \
	"ptw.stress=$secs ptw.stress_min=0 ptw.churn=$churn"
