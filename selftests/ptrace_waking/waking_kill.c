// SPDX-License-Identifier: GPL-2.0
/*
 * The waking wait is killable and ends when the tracee is killed.
 *
 * A PTRACE_SEIZEd tracee pinned to CPU 1 listens (PTRACE_LISTEN).  A
 * SCHED_FIFO hog takes CPU 1, with RT throttling and the fair server
 * switched off there, so that once the tracer's SIGCONT kicks the tracee
 * out of its trap the tracee cannot run to re-trap: it stays in its
 * PT_WAKING window.  The tracer, on CPU 0, then asks PTRACE_GETSIGINFO and
 * sleeps in the waking wait.  Then:
 *
 *  - kill_tracer: SIGKILL to the tracer.  It must be reaped while the hog
 *    still holds CPU 1, i.e. while the tracee is still waking, and the
 *    kernel reports ESRCH_WAKING_KILLED.
 *  - kill_tracee: SIGKILL to the tracee.  The tracer's request must fail
 *    with ESRCH while the hog still holds CPU 1 (the tracee has not run),
 *    PT_WAKING is cleared at site fatal_signal, and the reason is
 *    ESRCH_WAKING_FAILED, not a timeout.
 *
 * The hog gives CPU 1 back after at most 3 seconds whatever happens.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "ptw_util.h"

#define TRACING		PTW_TRACING
#define WAKING		PTW_SYSCTL
#define RT_RUNTIME	"/proc/sys/kernel/sched_rt_runtime_us"
#define FAIR_SERVER	"/sys/kernel/debug/sched/fair_server/cpu1/runtime"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Process state letter from /proc/PID/stat, or 0. */
static char proc_state(pid_t pid)
{
	char path[64], buf[256], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (ptw_read_str(path, buf, sizeof(buf)))
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Shared between the test, the tracer and the hog (MAP_SHARED); always
 * accessed with LOAD()/STORE(), i.e. atomically.
 */
struct shared {
	int hog_stop;		/* set by the test: give CPU 1 back */
	int hog_spinning;	/* set by the hog once it is SCHED_FIFO */
	int hog_done;		/* set by the hog when it stops */
	int tracer_ret;		/* result of the tracer's request */
	int tracer_errno;
	int tracer_returned;
};

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

FIXTURE(kill) {
	struct shared *sh;
	pid_t tracee, tracer, hog;
	char rt_runtime[32], fair_runtime[32], waking[8];
};

FIXTURE_SETUP(kill)
{
	struct sched_param sp = { .sched_priority = 50 };
	int ready[2], go[2], status;
	char c;

	self->tracee = 0;
	self->tracer = 0;
	self->hog = 0;
	self->rt_runtime[0] = '\0';
	self->fair_runtime[0] = '\0';
	self->waking[0] = '\0';
	if (geteuid())
		SKIP(return, "needs root");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	if (ptw_read_str(WAKING, self->waking, sizeof(self->waking)))
		SKIP(return, "no " WAKING " (kernel without the PT_WAKING series?)");
	if (ptw_read_str(FAIR_SERVER, self->fair_runtime, sizeof(self->fair_runtime)))
		SKIP(return, "no " FAIR_SERVER " (debugfs not mounted?)");
	ASSERT_EQ(0, ptw_read_str(RT_RUNTIME, self->rt_runtime, sizeof(self->rt_runtime)));

	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	memset((void *)self->sh, 0, sizeof(*self->sh));

	ASSERT_EQ(0, ptw_write_str(WAKING, "1"));
	ASSERT_EQ(0, ptw_write_str(RT_RUNTIME, "-1"));
	ASSERT_EQ(0, ptw_write_str(FAIR_SERVER, "0"));
	ASSERT_EQ(0, ptw_write_str(TRACING "/trace", ""));
	ASSERT_EQ(0, ptw_write_str(TRACING "/events/ptrace/enable", "1"));
	ASSERT_EQ(0, ptw_write_str(TRACING "/tracing_on", "1"));
	/* The tracee inherits CPU 1 from the fork, before it can run. */
	pin(1);
	self->tracee = fork();
	ASSERT_GE(self->tracee, 0);
	if (self->tracee == 0) {
		for (;;)
			pause();
	}
	pin(0);

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	self->tracer = fork();
	ASSERT_GE(self->tracer, 0);
	if (self->tracer == 0) {
		siginfo_t si;
		pid_t t = self->tracee;

		if (ptrace(PTRACE_SEIZE, t, 0, 0) || ptrace(PTRACE_INTERRUPT, t, 0, 0))
			_exit(1);
		if (waitpid(t, &status, __WALL) != t || (status >> 16) != PTRACE_EVENT_STOP)
			_exit(2);
		if (ptrace(PTRACE_LISTEN, t, 0, 0))
			_exit(3);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(4);
		kill(t, SIGCONT);
		/* The tracee is kicked but can't run: this sleeps. */
		STORE(self->sh->tracer_ret, ptrace(PTRACE_GETSIGINFO, t, 0, &si));
		STORE(self->sh->tracer_errno, errno);
		STORE(self->sh->tracer_returned, 1);
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("tracer failed to set up");

	self->hog = fork();
	ASSERT_GE(self->hog, 0);
	if (self->hog == 0) {
		struct timespec t0, t;

		pin(1);
		if (sched_setscheduler(0, SCHED_FIFO, &sp))
			_exit(1);
		STORE(self->sh->hog_spinning, 1);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do
			clock_gettime(CLOCK_MONOTONIC, &t);
		while (!LOAD(self->sh->hog_stop) && t.tv_sec - t0.tv_sec < 3);
		STORE(self->sh->hog_done, 1);
		_exit(0);
	}
	while (!LOAD(self->sh->hog_spinning))
		usleep(1000);
	ASSERT_EQ(1, write(go[1], "g", 1));

	/* Wait until the tracer sleeps in the waking wait (state D). */
	for (int i = 0; i < 2000 && proc_state(self->tracer) != 'D'; i++) {
		ASSERT_EQ(0, LOAD(self->sh->tracer_returned))
			TH_LOG("request returned %d (%s) without waiting",
			       LOAD(self->sh->tracer_ret), strerror(LOAD(self->sh->tracer_errno)));
		usleep(500);
	}
	ASSERT_EQ('D', proc_state(self->tracer));
	ASSERT_EQ(0, LOAD(self->sh->hog_done));
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

FIXTURE_TEARDOWN(kill)
{
	if (self->sh)
		STORE(self->sh->hog_stop, 1);
	if (self->hog > 0)
		waitpid(self->hog, NULL, 0);
	if (self->tracer > 0) {
		kill(self->tracer, SIGKILL);
		waitpid(self->tracer, NULL, 0);
	}
	if (self->tracee > 0) {
		kill(self->tracee, SIGKILL);
		waitpid(self->tracee, NULL, 0);
	}
	if (self->fair_runtime[0])
		ptw_write_str(FAIR_SERVER, self->fair_runtime);
	if (self->rt_runtime[0])
		ptw_write_str(RT_RUNTIME, self->rt_runtime);
	if (self->waking[0])
		ptw_write_str(WAKING, self->waking);
	ptw_write_str(TRACING "/events/ptrace/enable", "0");
}

TEST_F(kill, kill_tracer)
{
	int status;

	ASSERT_EQ(0, kill(self->tracer, SIGKILL));
	ASSERT_EQ(self->tracer, waitpid(self->tracer, &status, 0));
	/* Reaped while the tracee still could not run: the wait was killable. */
	EXPECT_EQ(0, LOAD(self->sh->hog_done));
	self->tracer = 0;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_EQ(0, LOAD(self->sh->tracer_returned));
	EXPECT_EQ(1, ptw_count_trace(self->tracee, "", "reason=ESRCH_WAKING_KILLED"));
}

TEST_F(kill, kill_tracee)
{
	ASSERT_EQ(0, kill(self->tracee, SIGKILL));
	while (!LOAD(self->sh->tracer_returned) && !LOAD(self->sh->hog_done))
		usleep(500);
	/* The request ended while the tracee still could not run. */
	EXPECT_EQ(0, LOAD(self->sh->hog_done));
	ASSERT_EQ(1, LOAD(self->sh->tracer_returned));
	EXPECT_EQ(-1, LOAD(self->sh->tracer_ret));
	EXPECT_EQ(ESRCH, LOAD(self->sh->tracer_errno));
	EXPECT_EQ(1, ptw_count_trace(self->tracee, "", "clear site=fatal_signal"));
	EXPECT_EQ(1, ptw_count_trace(self->tracee, "", "reason=ESRCH_WAKING_FAILED"));
	EXPECT_EQ(0, ptw_count_trace(self->tracee, "", "reason=ESRCH_WAKING_TIMEOUT"));
}

TEST_HARNESS_MAIN
