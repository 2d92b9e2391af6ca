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

int main(int argc, char **argv)
{
	long iters = arg(argc, argv, 1, 20000);
	long nant = arg(argc, argv, 2, 1);
	long group_stops = 0, stop_deliveries = 0, resume_esrch = 0, dummy = 0;
	char extra[160];
	siginfo_t si;
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
		return finish("b", "setup-failed");
	ptrace(PTRACE_SETOPTIONS, pid, 0,
	       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
	for (i = 0; i < nant; i++)
		start_antagonist(pid, 50);

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
		account(probe(pid), "GETREGSET", pid, &n_esrch);
		if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			/* syscall-stop */
		} else if (WSTOPSIG(status) == SIGCONT) {
			/* suppress */
		} else if (WSTOPSIG(status) == SIGSTOP) {
			if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) == -1) {
				if (errno == EINVAL)
					group_stops++;
				else
					account(-1, "GETSIGINFO", pid, &n_esrch);
			} else {
				stop_deliveries++;
				sig = SIGSTOP;
			}
		} else {
			sig = WSTOPSIG(status);
		}
		n_iter++;
	}
	(void)dummy;
	snprintf(extra, sizeof(extra),
		 "resume_esrch=%ld group_stops=%ld sigstop_deliveries=%ld",
		 resume_esrch, group_stops, stop_deliveries);
	return finish("b", extra);
}
