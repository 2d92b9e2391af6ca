// SPDX-License-Identifier: GPL-2.0
/*
 * (b) Like (a), but the antagonists mix SIGSTOP and SIGCONT (50/50).
 * The tracer follows ptrace(2) for a non-seized tracee: a SIGSTOP
 * signal-delivery-stop is injected (starting a group stop), a group-stop
 * (PTRACE_GETSIGINFO fails with EINVAL) is resumed with signal 0, SIGCONT
 * delivery is suppressed.  ESRCH on the probe after a reported stop or
 * on the resume is counted (expected 0 on 7.x).
 * Extra: ANTAGONISTS (default 1).
 */
#include "race_common.h"

static long group_stops, stop_deliveries;

static long on_stop(pid_t pid, int status)
{
	siginfo_t si;

	account(probe(pid), "GETREGSET", pid, &n_esrch);
	switch (WSTOPSIG(status)) {
	case SIGTRAP | 0x80:	/* syscall-stop */
	case SIGCONT:		/* suppress */
		return 0;
	case SIGSTOP:
		if (race_ptrace(PTRACE_GETSIGINFO, pid, 0, &si) == 0) {
			stop_deliveries++;
			return SIGSTOP;
		}
		if (errno == EINVAL)
			group_stops++;
		else
			account(-1, "GETSIGINFO", pid, &n_esrch);
		return 0;
	default:
		return WSTOPSIG(status);
	}
}

int main(int argc, char **argv)
{
	long resume_esrch;
	char extra[160];

	if (traceme_race(argc, argv, 50, on_stop, &resume_esrch))
		return setup_failed("b");
	snprintf(extra, sizeof(extra),
		 "resume_esrch=%ld group_stops=%ld sigstop_deliveries=%ld",
		 resume_esrch, group_stops, stop_deliveries);
	return finish("b", extra);
}
