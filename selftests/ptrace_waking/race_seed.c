// SPDX-License-Identifier: GPL-2.0
/*
 * (a) The 2010 seed scenario: the tracer drives a PTRACE_TRACEME tracee
 * with PTRACE_SYSCALL + waitpid() while an antagonist process blasts
 * SIGCONT at it.  After every reported stop the tracer issues a probe
 * request (PTRACE_GETREGSET) and the PTRACE_SYSCALL resume; ESRCH on
 * either is counted.  On 2.6.33 the resume failed with ESRCH; on 7.x a
 * ptrace-stopped tracee is in __TASK_TRACED, which the SIGCONT wake-up
 * (__TASK_STOPPED) doesn't touch, so esrch is expected to be 0.
 * Extra: ANTAGONISTS (default 1).
 */
#include "race_common.h"

int main(int argc, char **argv)
{
	long iters = arg(argc, argv, 1, 20000);
	long nant = arg(argc, argv, 2, 1);
	long sigcont_stops = 0, resume_esrch = 0;
	char extra[128];
	int status, i;
	long sig = 0;
	pid_t pid;

	setup_watchdog(arg(argc, argv, 3, default_timeout(iters)));
	pid = fork();
	if (pid == 0) {
		die_child_with_parent();
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		for (;;)
			getppid();
	}
	if (pid < 0)
		return 1;
	track(pid);
	if (wait_for(pid, &status) < 0)
		return finish("a", "setup-failed");
	ptrace(PTRACE_SETOPTIONS, pid, 0,
	       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
	for (i = 0; i < nant; i++)
		start_antagonist(pid, 0);

	while (n_iter < iters && !timed_out()) {
		if (account(ptrace(PTRACE_SYSCALL, pid, 0, (void *)sig),
			    "PTRACE_SYSCALL", pid, &resume_esrch) == ESRCH) {
			n_esrch++;
			if (resume_retry(PTRACE_SYSCALL, pid, sig) == -1)
				break;
		}
		if (wait_for(pid, &status) < 0)
			break;
		if (!WIFSTOPPED(status))
			continue;
		sig = 0;
		if (WSTOPSIG(status) == SIGCONT)
			sigcont_stops++;	/* signal-delivery-stop: suppress */
		else if (WSTOPSIG(status) != (SIGTRAP | 0x80))
			sig = WSTOPSIG(status);
		account(probe(pid), "GETREGSET", pid, &n_esrch);
		n_iter++;
	}
	snprintf(extra, sizeof(extra), "resume_esrch=%ld sigcont_stops=%ld",
		 resume_esrch, sigcont_stops);
	return finish("a", extra);
}
