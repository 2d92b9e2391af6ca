// SPDX-License-Identifier: GPL-2.0
/*
 * (a) The 2010 seed scenario (traceme_race() in race_common.h): the
 * tracer drives a PTRACE_TRACEME tracee with PTRACE_SYSCALL + waitpid()
 * while an antagonist process blasts SIGCONT at it.  After every reported
 * stop the tracer issues a probe request (PTRACE_GETREGSET) and the
 * PTRACE_SYSCALL resume; ESRCH on either is counted.  On 2.6.33 the
 * resume failed with ESRCH; on 7.x a ptrace-stopped tracee is in
 * __TASK_TRACED, which the SIGCONT wake-up (__TASK_STOPPED) doesn't touch,
 * so esrch is expected to be 0.
 * Extra: ANTAGONISTS (default 1).
 */
#include "race_common.h"

static long sigcont_stops;

static long on_stop(pid_t pid, int status)
{
	long sig = 0;

	if (WSTOPSIG(status) == SIGCONT)
		sigcont_stops++;	/* signal-delivery-stop: suppress */
	else if (WSTOPSIG(status) != (SIGTRAP | 0x80))
		sig = WSTOPSIG(status);
	account(probe(pid), "GETREGSET", pid, &n_esrch);
	return sig;
}

int main(int argc, char **argv)
{
	long resume_esrch;
	char extra[128];

	if (traceme_race(argc, argv, 0, on_stop, &resume_esrch))
		return setup_failed("a");
	snprintf(extra, sizeof(extra), "resume_esrch=%ld sigcont_stops=%ld",
		 resume_esrch, sigcont_stops);
	return finish("a", extra);
}
