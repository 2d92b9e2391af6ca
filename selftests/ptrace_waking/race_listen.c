// SPDX-License-Identifier: GPL-2.0
/*
 * (c) PTRACE_SEIZE + PTRACE_INTERRUPT/PTRACE_LISTEN + SIGCONT.
 *
 * The tracee sits in a PTRACE_EVENT_STOP.  Each iteration the tracer
 * issues PTRACE_LISTEN, sends SIGCONT itself (so it knows the wake-up has
 * happened when kill() returns: prepare_signal() -> ptrace_trap_notify()
 * kicked the tracee out of LISTEN) and at once issues PTRACE_GETSIGINFO
 * ("eager" request, before waitpid).  That request lands in the window
 * between the wake-up and the re-trap: on vanilla 7.x it fails with ESRCH
 * (first for LISTENING, then for not being stopped) unless the tracee was
 * faster; with PT_WAKING it waits for the re-trap and succeeds.
 * Then the tracer waits for the re-trap (EVENT_STOP) as ptrace(2) says and
 * issues PTRACE_GETSIGINFO again ("protocol" request): ESRCH there is
 * counted in esrch and is expected to be 0 on every kernel.
 * Extra: ANTAGONISTS (default 0) blasting SIGCONT asynchronously.
 * Output: eager_esrch / eager_ok count the eager request.
 */
#include "race_common.h"

static int get_event_stop(pid_t pid)
{
	int status;

	for (;;) {
		if (wait_for(pid, &status) < 0)
			return -1;
		if (WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP)
			return 0;
		/* signal-delivery-stop (SIGCONT): suppress, keep INTERRUPT */
		ptrace(PTRACE_INTERRUPT, pid, 0, 0);
		if (resume_retry(PTRACE_CONT, pid, 0) == -1)
			return -1;
	}
}

int main(int argc, char **argv)
{
	long iters = arg(argc, argv, 1, 20000);
	long nant = arg(argc, argv, 2, 0);
	long eager_esrch = 0, eager_ok = 0, listen_esrch = 0;
	char extra[160];
	siginfo_t si;
	pid_t pid;
	int i;

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
	if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(long)PTRACE_O_EXITKILL)) {
		perror("PTRACE_SEIZE");
		return finish("c", "setup-failed");
	}
	ptrace(PTRACE_INTERRUPT, pid, 0, 0);
	if (get_event_stop(pid))
		return finish("c", "setup-failed");
	for (i = 0; i < nant; i++)
		start_antagonist(pid, 0);

	while (n_iter < iters && !timed_out()) {
		if (account(ptrace(PTRACE_LISTEN, pid, 0, 0), "PTRACE_LISTEN",
			    pid, &listen_esrch))
			break;
		kill(pid, SIGCONT);
		if (account(ptrace(PTRACE_GETSIGINFO, pid, 0, &si),
			    "GETSIGINFO(eager)", pid, &eager_esrch) == 0)
			eager_ok++;
		if (get_event_stop(pid))
			break;
		account(ptrace(PTRACE_GETSIGINFO, pid, 0, &si), "GETSIGINFO",
			pid, &n_esrch);
		n_iter++;
	}
	snprintf(extra, sizeof(extra),
		 "eager_esrch=%ld eager_ok=%ld listen_esrch=%ld",
		 eager_esrch, eager_ok, listen_esrch);
	return finish("c", extra);
}
