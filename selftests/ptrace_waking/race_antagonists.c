// SPDX-License-Identifier: GPL-2.0
/*
 * (f) Several antagonists against a seized single-threaded tracee driven
 * with PTRACE_SYSCALL.  ANTAGONISTS (default 4) processes blast the
 * tracee; each sends SIGCONT 80% and SIGSTOP 20% of the time, so group
 * stops start and end constantly and PTRACE_LISTEN tracees are kicked by
 * SIGCONT and by new group stops (ptrace_trap_notify()).  The tracer
 * follows the protocol (LISTEN on group-stop, inject SIGSTOP, suppress
 * SIGCONT) and probes after every reported stop; ESRCH there and on the
 * resumes is counted in esrch (expected 0 on 7.x).
 */
#include "race_common.h"

int main(int argc, char **argv)
{
	long iters = arg(argc, argv, 1, 20000);
	long nant = arg(argc, argv, 2, 4);
	long resume_esrch = 0, group_stops = 0, listens = 0;
	char extra[160];
	int status, i;
	pid_t pid;

	setup_watchdog(arg(argc, argv, 3, default_timeout(iters)));
	pid = fork();
	if (pid == 0) {
		die_child_with_parent();
		for (;;)
			getppid();
	}
	if (pid < 0)
		return 1;
	track(pid);
	if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)
		   (PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL))) {
		perror("PTRACE_SEIZE");
		return finish("f", "setup-failed");
	}
	ptrace(PTRACE_INTERRUPT, pid, 0, 0);
	for (i = 0; i < nant; i++)
		start_antagonist(pid, 20);

	while (n_iter < iters && !timed_out()) {
		int req = PTRACE_SYSCALL;
		long sig = 0;

		if (wait_for(pid, &status) < 0)
			break;
		if (!WIFSTOPPED(status))
			continue;
		account(probe(pid), "GETREGSET", pid, &n_esrch);
		if ((status >> 16) == PTRACE_EVENT_STOP) {
			if (WSTOPSIG(status) != SIGTRAP) {
				group_stops++;
				req = PTRACE_LISTEN;
				listens++;
			}
		} else if (WSTOPSIG(status) != (SIGTRAP | 0x80) &&
			   WSTOPSIG(status) != SIGCONT) {
			sig = WSTOPSIG(status);
		}
		if (account(ptrace(req, pid, 0, (void *)sig), "resume", pid,
			    &resume_esrch) == ESRCH) {
			n_esrch++;
			if (resume_retry(req, pid, sig) == -1)
				break;
		}
		n_iter++;
	}
	snprintf(extra, sizeof(extra),
		 "antagonists=%ld resume_esrch=%ld group_stops=%ld listens=%ld",
		 nant, resume_esrch, group_stops, listens);
	return finish("f", extra);
}
