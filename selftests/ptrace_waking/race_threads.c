// SPDX-License-Identifier: GPL-2.0
/*
 * (e) Multithreaded tracee traced thread by thread.
 *
 * The target has NTHREADS (4) threads plus its main thread, all looping
 * on getppid().  The tracer PTRACE_SEIZEs every thread and drives them
 * with PTRACE_SYSCALL, handling stops as ptrace(2) says for seized
 * tracees: group-stops (PTRACE_EVENT_STOP with a stop signal) get
 * PTRACE_LISTEN, SIGSTOP deliveries are injected, SIGCONT suppressed.
 * Antagonists send SIGSTOP/SIGCONT (50/50) to the whole process, so
 * group stops come and go across threads.  To look like a debugger that
 * inspects all stopped threads, after each reported stop the tracer
 * probes that thread and every other thread it believes is stopped
 * (reported and not yet resumed or listening); one thread at a time is
 * kept stopped across events.  ESRCH on those probes and on resumes is
 * counted in esrch (expected 0 on 7.x).
 * Extra: ANTAGONISTS (default 1).
 */
#include "race_common.h"
#include <dirent.h>
#include <pthread.h>

#define NTHREADS 4
#define MAXT (NTHREADS + 1)

enum { RUNNING, STOPPED, LISTENING };

static pid_t tids[MAXT];
static int state[MAXT];
static int ntids;

static void *loop(void *a)
{
	(void)a;
	for (;;)
		getppid();
	return NULL;
}

static int idx(pid_t t)
{
	int i;

	for (i = 0; i < ntids; i++)
		if (tids[i] == t)
			return i;
	return -1;
}

static int list_threads(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -1;
	ntids = 0;
	while ((de = readdir(d)) && ntids < MAXT)
		if (de->d_name[0] != '.')
			tids[ntids++] = atoi(de->d_name);
	closedir(d);
	return ntids;
}

int main(int argc, char **argv)
{
	long iters = 20000, nant = 1;
	long resume_esrch = 0, other_esrch = 0, group_stops = 0;
	int i, k, status, deferred = -1;
	char extra[200];
	pid_t pid, t;

	race_args(argc, argv, &iters, &nant);
	pid = fork();
	if (pid == 0) {
		pthread_t th;

		die_child_with_parent();
		for (i = 0; i < NTHREADS; i++)
			pthread_create(&th, NULL, loop, NULL);
		loop(NULL);
	}
	if (pid < 0)
		return 1;
	track(pid);
	for (i = 0; i < 100000 && list_threads(pid) < MAXT; i++)
		usleep(10);
	if (ntids < MAXT)
		return setup_failed("e");
	for (i = 0; i < ntids; i++) {
		if (seize_interrupt(tids[i], PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL))
			return setup_failed("e");
	}
	if (start_antagonists(pid, nant, 50))
		return setup_failed("e");

	while (n_iter < iters && !timed_out()) {
		long sig = 0;
		int req = PTRACE_SYSCALL;

		t = wait_for(-1, &status);
		if (t < 0)
			break;
		k = idx(t);
		if (k < 0 || !WIFSTOPPED(status))
			continue;
		state[k] = STOPPED;
		if (deferred == k)
			deferred = -1;

		account(probe(t), "GETREGSET", t, &n_esrch);
		for (i = 0; i < ntids; i++)
			if (i != k && state[i] == STOPPED &&
			    account(probe(tids[i]), "GETREGSET(other)", tids[i],
				    &other_esrch) == ESRCH)
				n_esrch++;

		if ((status >> 16) == PTRACE_EVENT_STOP) {
			int s = WSTOPSIG(status);

			if (s == SIGSTOP || s == SIGTSTP || s == SIGTTIN || s == SIGTTOU) {
				group_stops++;
				req = PTRACE_LISTEN;
			}
		} else if (WSTOPSIG(status) != (SIGTRAP | 0x80) &&
			   WSTOPSIG(status) != SIGCONT) {
			sig = WSTOPSIG(status);
		}

		/* keep one thread stopped for a while, resume the previous one */
		if (req == PTRACE_SYSCALL && deferred < 0 && (rnd() & 1)) {
			deferred = k;
			n_iter++;
			continue;
		}
		if (req == PTRACE_SYSCALL && deferred >= 0 && deferred != k) {
			if (account(race_ptrace(PTRACE_SYSCALL, tids[deferred], 0, 0),
				    "PTRACE_SYSCALL(deferred)", tids[deferred],
				    &resume_esrch) == ESRCH)
				n_esrch++;
			state[deferred] = RUNNING;
			deferred = -1;
		}
		if (account(race_ptrace(req, t, 0, (void *)sig), "resume", t,
			    &resume_esrch) == ESRCH) {
			n_esrch++;
			if (resume_retry(req, t, sig) == -1)
				break;
		}
		state[k] = req == PTRACE_LISTEN ? LISTENING : RUNNING;
		/* never leave the deferred thread stopped when all others listen */
		if (deferred >= 0) {
			for (i = 0; i < ntids && state[i] != RUNNING; i++)
				;
			if (i == ntids) {
				race_ptrace(PTRACE_SYSCALL, tids[deferred], 0, 0);
				state[deferred] = RUNNING;
				deferred = -1;
			}
		}
		n_iter++;
	}
	snprintf(extra, sizeof(extra),
		 "threads=%d resume_esrch=%ld other_thread_esrch=%ld group_stops=%ld",
		 ntids, resume_esrch, other_esrch, group_stops);
	return finish("e", extra);
}
