// SPDX-License-Identifier: GPL-2.0
/*
 * (d) Attach to an already group-stopped process while SIGCONT arrives.
 *
 * Each iteration: stop the target with SIGSTOP and wait until it is in
 * TASK_STOPPED ('T' in /proc/PID/stat); poke the antagonist through a pipe
 * so that it sends SIGCONT right now, and PTRACE_ATTACH (default) or
 * PTRACE_SEIZE (ANTAGONISTS argument < 0 selects SEIZE) at the same time.
 * ptrace_attach() hides the STOPPED -> RUNNING -> TRACED transition from
 * the attacher with JOBCTL_TRAPPING, but if SIGCONT wins the race after
 * ->ptrace was set and before ptrace_set_stopped() took siglock, attach
 * returns with the tracee running on its way to the SIGSTOP stop.  The
 * "eager" probe right after attach (before waitpid) exposes that; it also
 * fails legitimately when SIGCONT came before the attach (then the target
 * simply runs), so eager_esrch is an upper bound of the window.  After
 * waitpid() reports a stop the "protocol" probe is counted in esrch
 * (expected 0).  Then PTRACE_DETACH.
 * Extra: ANTAGONISTS: |value| is ignored, < 0 means use PTRACE_SEIZE.
 */
#include "race_common.h"

static void drain(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, __WALL | WNOHANG | WUNTRACED | WCONTINUED) > 0)
		;
}

int main(int argc, char **argv)
{
	long iters = 2000, mode = 1;
	int seize;
	long eager_esrch = 0, eager_ok = 0, attach_err = 0, not_stopped = 0;
	char extra[200], c = 1;
	int pfd[2], status, i;
	pid_t pid, ant;

	race_args(argc, argv, &iters, &mode);
	seize = mode < 0;
	if (pipe(pfd))
		return 1;
	pid = spawn_spinner();
	if (pid < 0)
		return setup_failed("d");
	ant = fork();
	if (ant == 0) {
		die_child_with_parent();
		while (read(pfd[0], &c, 1) == 1) {
			spin(rnd() % 2000);
			kill(pid, SIGCONT);
		}
		_exit(0);
	}
	if (ant < 0)
		return setup_failed("d");
	track(ant);

	while (n_iter < iters && !timed_out()) {
		kill(pid, SIGSTOP);
		/*
		 * A SIGCONT of the antagonist that comes late (it was poked
		 * in the previous iteration) flushes this SIGSTOP: send it
		 * again every 100 polls rather than waiting for a stop that
		 * will not come.  A poll costs a few microseconds on a
		 * normal kernel and milliseconds on a debug kernel.
		 */
		for (i = 1; ptw_proc_state(pid) != 'T' && !timed_out(); i++) {
			if (i % 100 == 0)
				kill(pid, SIGSTOP);
			usleep(10);
		}
		drain(pid);
		if (ptw_proc_state(pid) != 'T') {
			not_stopped++;
			continue;
		}
		if (write(pfd[1], &c, 1) != 1)
			break;
		spin(rnd() % 2000);
		if (race_ptrace(seize ? PTRACE_SEIZE : PTRACE_ATTACH, pid, 0,
				(void *)(long)PTRACE_O_EXITKILL)) {
			attach_err++;
			account(-1, "attach", pid, &n_other);
			continue;
		}
		if (account(probe(pid), "GETREGSET(eager)", pid, &eager_esrch) == 0)
			eager_ok++;
		if (seize)
			race_ptrace(PTRACE_INTERRUPT, pid, 0, 0);
		if (wait_for(pid, &status) < 0)
			break;
		account(probe(pid), "GETREGSET", pid, &n_esrch);
		if (resume_retry(PTRACE_DETACH, pid, 0) == -1)
			account(-1, "PTRACE_DETACH", pid, &n_other);
		n_iter++;
	}
	snprintf(extra, sizeof(extra),
		 "mode=%s eager_esrch=%ld eager_ok=%ld attach_errors=%ld not_stopped=%ld",
		 seize ? "seize" : "attach", eager_esrch, eager_ok, attach_err,
		 not_stopped);
	return finish("d", extra);
}
