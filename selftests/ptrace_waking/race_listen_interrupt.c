// SPDX-License-Identifier: GPL-2.0
/*
 * (g) PTRACE_SEIZE + PTRACE_LISTEN + PTRACE_INTERRUPT (defect D1): the
 * window scenario of listen_race() (race_common.h), with
 * PTRACE_INTERRUPT as the kick.
 *
 * PTRACE_INTERRUPT on a LISTENING tracee kicks it out of its trap to
 * re-trap into a new PTRACE_EVENT_STOP; the wake-up has happened when the
 * request returns.  Until the tracee has re-trapped, a request fails with
 * ESRCH unless PTRACE_INTERRUPT marked it JOBCTL_PT_WAKING (site
 * interrupt), which lets the request wait for the re-trap.
 */
#include "race_common.h"

static long kick_interrupt(pid_t pid)
{
	return race_ptrace(PTRACE_INTERRUPT, pid, 0, 0);
}

int main(int argc, char **argv)
{
	return listen_race(argc, argv, "g", kick_interrupt);
}
