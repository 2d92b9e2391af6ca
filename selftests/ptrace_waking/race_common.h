/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the race reproducers (race_*.c).
 *
 * Usage of every program:  PROG [ITERATIONS] [ANTAGONISTS] [TIMEOUT_SEC]
 * Output: one summary line "scenario=... iterations=N esrch=E other_errors=O ..."
 *   esrch        = ESRCH from requests issued after waitpid() reported the
 *                  tracee stopped and before it was resumed (protocol).
 *   other_errors = any other unexpected failure.
 * Exit status: 0 normally, 1 setup failure, 2 watchdog timeout.
 */
#ifndef PTRACE_WAKING_RACE_COMMON_H
#define PTRACE_WAKING_RACE_COMMON_H

#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

/*
 * Set by the SIGALRM handler, read by the loops: an atomic int rather
 * than volatile sig_atomic_t, in the kernel's style.
 */
static int timed_out_flag;

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static inline int timed_out(void)
{
	return __atomic_load_n(&timed_out_flag, __ATOMIC_RELAXED);
}

static pid_t kill_list[256];
static int nkill;
static long n_iter, n_esrch, n_other;

static inline void on_alarm(int sig)
{
	(void)sig;
	__atomic_store_n(&timed_out_flag, 1, __ATOMIC_RELAXED);
}

/*
 * Watchdog default: generous for TCG guests, where one iteration can take
 * a few milliseconds; the watchdog only guards against hangs.
 */
static inline unsigned int default_timeout(long iters)
{
	return 300 + iters / 20;
}

static inline void setup_watchdog(unsigned int secs)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: waitpid() gets EINTR */
	sigaction(SIGALRM, &sa, NULL);
	alarm(secs);
}

static inline void track(pid_t p)
{
	if (nkill < (int)ARRAY_SIZE(kill_list))
		kill_list[nkill++] = p;
}

static inline void cleanup(void)
{
	int i;

	alarm(0);
	for (i = 0; i < nkill; i++)
		kill(kill_list[i], SIGKILL);
	/* reap everything, including traced threads of a killed tracee */
	while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
		;
}

static inline void die_child_with_parent(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(0);
}

static inline unsigned int rnd(void)
{
	static unsigned int s;

	if (!s)
		s = (unsigned int)getpid() * 2654435761u ^ (unsigned int)time(NULL);
	s ^= s << 13;
	s ^= s >> 17;
	s ^= s << 5;
	return s;
}

static inline void spin(unsigned int n)
{
	unsigned int i;

	/* The empty asm keeps the compiler from dropping the loop. */
	for (i = 0; i < n; i++)
		asm volatile("" ::: "memory");
}

/* Count the result of a request; returns 0 on success, else errno. */
static inline int account(long r, const char *what, pid_t pid, long *esrch_ctr)
{
	static int reported;

	if (r != -1)
		return 0;
	if (errno == ESRCH) {
		(*esrch_ctr)++;
		return errno;
	}
	n_other++;
	if (reported++ < 10)
		fprintf(stderr, "%s(%d): %s\n", what, pid, strerror(errno));
	return errno;
}

/* A request that needs a ptrace-stopped tracee and works in every stop. */
static inline long probe(pid_t pid)
{
	unsigned long regs[256];
	struct iovec iov = { regs, sizeof(regs) };

	return ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov);
}

/* Wait for a state change of @pid; -1 on watchdog, -2 if it died. */
static inline pid_t wait_for(pid_t pid, int *status)
{
	pid_t r;

	for (;;) {
		if (timed_out())
			return -1;
		r = waitpid(pid, status, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			n_other++;
			perror("waitpid");
			return -2;
		}
		if (WIFEXITED(*status) || WIFSIGNALED(*status)) {
			n_other++;
			fprintf(stderr, "tracee %d died (status 0x%x)\n", r, *status);
			return -2;
		}
		return r;
	}
}

/* Retry a resume that failed with ESRCH for at most ~1s. */
static inline long resume_retry(int req, pid_t pid, long sig)
{
	long r;
	int i;

	for (i = 0; i < 100000; i++) {
		r = ptrace(req, pid, 0, (void *)sig);
		if (r != -1 || errno != ESRCH || timed_out())
			return r;
		usleep(10);
	}
	return r;
}

static inline pid_t start_antagonist(pid_t target, int stop_percent)
{
	pid_t p = fork();

	if (p == 0) {
		die_child_with_parent();
		for (;;) {
			int sig = (int)(rnd() % 100) < stop_percent ? SIGSTOP : SIGCONT;

			if (kill(target, sig) && errno == ESRCH)
				_exit(0);
			if (!(rnd() & 7))
				sched_yield();
		}
	}
	if (p > 0)
		track(p);
	return p;
}

static inline long arg(int argc, char **argv, int i, long def)
{
	return argc > i ? strtol(argv[i], NULL, 0) : def;
}

static inline int finish(const char *scenario, const char *extra)
{
	int to = timed_out();

	cleanup();
	printf("scenario=%s iterations=%ld esrch=%ld other_errors=%ld%s%s%s\n",
	       scenario, n_iter, n_esrch, n_other, extra ? " " : "",
	       extra ? extra : "", to ? " TIMEOUT" : "");
	fflush(stdout);
	return to ? 2 : 0;
}

#endif /* PTRACE_WAKING_RACE_COMMON_H */
