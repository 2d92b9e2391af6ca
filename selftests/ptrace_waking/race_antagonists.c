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
	long iters = 20000, nant = 4;
	long resume_esrch = 0, group_stops = 0, listens = 0;
	char extra[160];
	int status;
	pid_t pid;

	race_args(argc, argv, &iters, &nant);
	pid = spawn_spinner();
	if (pid < 0 ||
	    seize_interrupt(pid, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL) ||
	    start_antagonists(pid, nant, 20))
		return setup_failed("f");

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
		if (account(race_ptrace(req, pid, 0, (void *)sig), "resume", pid,
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
