// SPDX-License-Identifier: GPL-2.0
/*
 * SIGKILL storm on tracers and tracees in the middle of the waking wait.
 *
 * Each round forks a tracer that seizes its own tracee and runs the
 * PTRACE_LISTEN + SIGCONT race of race_listen as fast as it can, so that
 * it spends much of its time in ptrace_check_attach()'s waking wait.
 * After a random delay (0-2 ms) this program SIGKILLs the tracer, the
 * tracee, or both.  Whatever is killed, everything must die and be
 * reaped: a tracer killed in the wait leaves it at once (the wait is
 * interruptible: reason ESRCH_WAKING_INTERRUPTED, and the tracer dies
 * before it returns), a tracee killed while waking ends the
 * tracer's wait (PT_WAKING cleared at site fatal_signal, reason
 * ESRCH_WAKING_FAILED), a killed tracer takes its tracee along
 * (PTRACE_O_EXITKILL).  This process is a child subreaper, so orphaned
 * tracees are reaped here too.
 *
 * Before the SIGKILL the tracer also gets a SIGUSR1, which it handles:
 * one that arrives in the waking wait ends it (the request fails with
 * ESRCH, reason ESRCH_WAKING_INTERRUPTED, unless the tracee has trapped
 * meanwhile), the handler runs, and the tracer goes on with the next round of the race,
 * so the SIGKILL finds the tracer anywhere in its loop.
 *
 * Usage: kill_storm [ROUNDS] [TIMEOUT_SEC]
 * Output: "scenario=kill_storm rounds=N kills_tracer=N kills_tracee=N
 *          kills_both=N sigkills=N sigusr1s=N other_errors=N"
 * Exit status: 0, 1 on a setup failure, 2 if a round did not finish
 * (something survived its SIGKILL or was never reaped).
 */
#include "race_common.h"

static void on_usr1(int sig)
{
	(void)sig;
}

/* The tracer: never returns; exits when its tracee is gone. */
static void tracer(int ready_fd)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	siginfo_t si;
	int status;
	pid_t pid;

	die_child_with_parent();
	alarm(0);
	sigaction(SIGUSR1, &sa, NULL);
	pid = spawn_spinner();
	if (pid < 0 || seize_interrupt(pid, PTRACE_O_EXITKILL))
		_exit(1);
	if (write(ready_fd, &pid, sizeof(pid)) != sizeof(pid))
		_exit(1);
	close(ready_fd);
	for (;;) {
		if (waitpid(pid, &status, __WALL) != pid ||
		    WIFEXITED(status) || WIFSIGNALED(status))
			_exit(0);
		if ((status >> 16) != PTRACE_EVENT_STOP) {
			/* signal-delivery-stop (SIGCONT): suppress it */
			race_ptrace(PTRACE_INTERRUPT, pid, 0, 0);
			race_ptrace(PTRACE_CONT, pid, 0, 0);
			continue;
		}
		/* The race of race_listen: the eager request may wait. */
		race_ptrace(PTRACE_LISTEN, pid, 0, 0);
		kill(pid, SIGCONT);
		race_ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
	}
}

int main(int argc, char **argv)
{
	long rounds = arg(argc, argv, 1, 200);
	long kills[3] = { 0, 0, 0 }, sigkills = 0, sigusr1s = 0;
	pid_t t, c;
	int fds[2];
	char extra[160];

	setup_watchdog(arg(argc, argv, 2, default_timeout(rounds * 20)));
	if (prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		perror("PR_SET_CHILD_SUBREAPER");
		return 1;
	}
	while (n_iter < rounds && !timed_out()) {
		int victim = (int)(rnd() % 3);

		if (pipe(fds))
			return 1;
		t = fork();
		if (t < 0)
			return 1;
		if (t == 0) {
			close(fds[0]);
			tracer(fds[1]);
		}
		close(fds[1]);
		if (read(fds[0], &c, sizeof(c)) != sizeof(c)) {
			n_other++;
			fprintf(stderr, "round %ld: tracer %d failed to set up\n", n_iter, t);
			c = 0;
		}
		close(fds[0]);
		usleep(rnd() % 1000);
		if (!kill(t, SIGUSR1))
			sigusr1s++;
		usleep(rnd() % 1000);
		if (victim != 1 && !kill(t, SIGKILL))
			sigkills++;
		if (victim != 0 && c > 0 && !kill(c, SIGKILL))
			sigkills++;
		kills[victim]++;
		/*
		 * Reap the tracer and the tracee (ours once orphaned).  An
		 * unkillable task keeps waitpid() here until the watchdog.
		 */
		while (waitpid(-1, NULL, __WALL) > 0 || (errno == EINTR && !timed_out()))
			;
		if (errno != ECHILD) {
			n_other++;
			fprintf(stderr, "round %ld: tracer %d / tracee %d not reaped\n",
				n_iter, t, c);
			break;
		}
		n_iter++;
	}
	snprintf(extra, sizeof(extra),
		 "kills_tracer=%ld kills_tracee=%ld kills_both=%ld sigkills=%ld sigusr1s=%ld",
		 kills[0], kills[1], kills[2], sigkills, sigusr1s);
	printf("scenario=kill_storm rounds=%ld %s other_errors=%ld%s\n",
	       n_iter, extra, n_other, timed_out() ? " TIMEOUT" : "");
	fflush(stdout);
	return timed_out() || n_other ? 2 : 0;
}
