// SPDX-License-Identifier: GPL-2.0
/*
 * The waking wait is interruptible, is ended by a signal, and ends when the
 * tracee is killed.
 *
 * A PTRACE_SEIZEd tracee pinned to CPU 1 listens (PTRACE_LISTEN).  A
 * SCHED_FIFO hog takes CPU 1 for HOG_MS (5 s, five times the kernel's 1 s
 * bound on the wait), with RT throttling and the fair server switched off
 * there, so that once the tracer's SIGCONT kicks the tracee out of its
 * trap the tracee cannot run to re-trap: it stays in its PT_WAKING
 * window.  The tracer, on CPU 0, then asks PTRACE_GETSIGINFO and sleeps
 * in the waking wait.  Then:
 *
 *  - kill_tracer: SIGKILL to the tracer.  It must be reaped within
 *    PROMPT_MS of the SIGKILL and well before the 1 s bound runs out,
 *    while the hog still holds CPU 1.  An uninterruptible wait
 *    (TASK_UNINTERRUPTIBLE) would sleep until the bound: more than
 *    1000 - SETUP_MAX_MS ms after the SIGKILL.  The kernel reports
 *    ESRCH_WAKING_INTERRUPTED, never WAKING_TIMEOUT.
 *  - kill_tracee: SIGKILL to the tracee.  The tracer's request must fail
 *    with ESRCH within PROMPT_MS, while the hog still holds CPU 1 (the
 *    tracee has not run); PT_WAKING is cleared at site fatal_signal and
 *    the reason is ESRCH_WAKING_FAILED, never a timeout.
 *  - signal_interrupts: SIGUSR1, which the tracer handles (without
 *    SA_RESTART), to the tracer.  The request must return ESRCH within
 *    PROMPT_MS, while the hog still runs (the tracee has not stopped: the
 *    one look after the wait finds it still waking), reason
 *    ESRCH_WAKING_INTERRUPTED, and the handler must run right after it.
 *    A killable-only wait makes both wait for the 1 s bound.
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "ptw_util.h"

#define TRACING		PTW_TRACING
#define WAKING		PTW_SYSCTL
#define RT_RUNTIME	"/proc/sys/kernel/sched_rt_runtime_us"
#define FAIR_SERVER	"/sys/kernel/debug/sched/fair_server/cpu1/runtime"

#define MS		1000000ULL	/* in ns */
#define HOG_MS		5000	/* the hog holds CPU 1 this long at most */
#define BOUND_MS	1000	/* the kernel's bound on the waking wait */
#define PROMPT_MS	500	/* "at once", generous for TCG guests */
#define SETUP_MAX_MS	300	/* seeing the tracer asleep may take this */

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

/* @pid sleeps (S or D) in the ptrace() system call. */
static int asleep_in_ptrace(pid_t pid)
{
	char path[64], buf[256], want[16];
	char st = ptw_proc_state(pid);

	if (st != 'S' && st != 'D')
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	snprintf(want, sizeof(want), "%d ", __NR_ptrace);
	if (ptw_read_str(path, buf, sizeof(buf)))
		return 0;
	return !strncmp(buf, want, strlen(want));
}

/*
 * Shared between the test, the tracer and the hog (MAP_SHARED); always
 * accessed with LOAD()/STORE(), i.e. atomically.  Times are
 * CLOCK_MONOTONIC in ns.
 */
struct shared {
	int hog_stop;		/* set by the test: give CPU 1 back */
	int hog_spinning;	/* set by the hog once it is SCHED_FIFO */
	int hog_done;		/* set by the hog when it stops */
	int tracer_ret;		/* result of the tracer's request */
	int tracer_errno;
	int tracer_returned;
	int hog_done_at_return;	/* hog_done when the request returned */
	int handler_ran;	/* the tracer's SIGUSR1 handler */
	int handler_saw_returned;
	int handler_saw_hog_done;
	unsigned long long t_call, t_return, t_handler;
};

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

static struct shared *shared;

static void on_usr1(int sig)
{
	(void)sig;
	STORE(shared->t_handler, ptw_now_ns());
	STORE(shared->handler_saw_returned, LOAD(shared->tracer_returned));
	STORE(shared->handler_saw_hog_done, LOAD(shared->hog_done));
	STORE(shared->handler_ran, 1);
}

/* Poll every 500 us until *@flag is set, for at most @ms; its value. */
static int wait_flag(int *flag, unsigned int ms)
{
	unsigned long long end = ptw_now_ns() + ms * MS;

	while (!LOAD(*flag) && ptw_now_ns() < end)
		usleep(500);
	return LOAD(*flag);
}

/* The processes of a test, and what they share. */
struct scene {
	struct shared *sh;
	pid_t tracee, tracer, hog;
};

FIXTURE(kill) {
	struct scene s;
	char rt_runtime[32], fair_runtime[32], waking[8];
};

/* The tracer: seize, listen, kick, and the request that waits. */
static void tracer(pid_t t, int ready_fd, int go_fd)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	siginfo_t si;
	int status;
	char c;

	sigaction(SIGUSR1, &sa, NULL);
	if (ptrace(PTRACE_SEIZE, t, 0, 0) || ptrace(PTRACE_INTERRUPT, t, 0, 0))
		_exit(1);
	if (waitpid(t, &status, __WALL) != t || (status >> 16) != PTRACE_EVENT_STOP)
		_exit(2);
	if (ptrace(PTRACE_LISTEN, t, 0, 0))
		_exit(3);
	if (write(ready_fd, "r", 1) != 1 || read(go_fd, &c, 1) != 1)
		_exit(4);
	kill(t, SIGCONT);
	/* The tracee is kicked but can't run: this sleeps. */
	STORE(shared->t_call, ptw_now_ns());
	STORE(shared->tracer_ret, ptrace(PTRACE_GETSIGINFO, t, 0, &si));
	STORE(shared->tracer_errno, errno);
	STORE(shared->hog_done_at_return, LOAD(shared->hog_done));
	STORE(shared->t_return, ptw_now_ns());
	STORE(shared->tracer_returned, 1);
	_exit(0);
}

static void hog(void)
{
	struct sched_param sp = { .sched_priority = 50 };
	unsigned long long end;

	pin(1);
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		_exit(1);
	STORE(shared->hog_spinning, 1);
	end = ptw_now_ns() + HOG_MS * MS;
	while (!LOAD(shared->hog_stop) && ptw_now_ns() < end)
		;
	STORE(shared->hog_done, 1);
	_exit(0);
}

FIXTURE_SETUP(kill)
{
	self->s.sh = NULL;
	self->s.tracee = 0;
	self->s.tracer = 0;
	self->s.hog = 0;
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
}

/*
 * The scene of every test, set at its start rather than in the fixture
 * setup so that the teardown restores RT throttling, the fair server and
 * the sysctl even when setting it up fails: the tracer asleep in the
 * waking wait for a tracee that the hog keeps off CPU 1.
 */
static void scene(struct __test_metadata *_metadata, struct scene *sc)
{
	int ready[2], go[2];
	void *map;
	char c;

	map = mmap(NULL, sizeof(*sc->sh), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	memset(map, 0, sizeof(*sc->sh));
	sc->sh = map;
	shared = map;

	ASSERT_EQ(0, ptw_write_str(WAKING, "1"));
	ASSERT_EQ(0, ptw_write_str(RT_RUNTIME, "-1"));
	ASSERT_EQ(0, ptw_write_str(FAIR_SERVER, "0"));
	ASSERT_EQ(0, ptw_write_str(TRACING "/trace", ""));
	ASSERT_EQ(0, ptw_write_str(TRACING "/events/ptrace/enable", "1"));
	ASSERT_EQ(0, ptw_write_str(TRACING "/tracing_on", "1"));
	/* The tracee inherits CPU 1 from the fork, before it can run. */
	pin(1);
	sc->tracee = fork();
	ASSERT_GE(sc->tracee, 0);
	if (sc->tracee == 0) {
		for (;;)
			pause();
	}
	pin(0);

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	sc->tracer = fork();
	ASSERT_GE(sc->tracer, 0);
	if (sc->tracer == 0)
		tracer(sc->tracee, ready[1], go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("tracer failed to set up");

	sc->hog = fork();
	ASSERT_GE(sc->hog, 0);
	if (sc->hog == 0)
		hog();
	while (!LOAD(sc->sh->hog_spinning))
		usleep(1000);
	ASSERT_EQ(1, write(go[1], "g", 1));

	/* Wait until the tracer sleeps in the waking wait. */
	while (!LOAD(sc->sh->t_call))
		usleep(100);
	for (int i = 0; i < 2000 && !asleep_in_ptrace(sc->tracer); i++) {
		ASSERT_EQ(0, LOAD(sc->sh->tracer_returned))
			TH_LOG("request returned %d (%s) without waiting",
			       LOAD(sc->sh->tracer_ret), strerror(LOAD(sc->sh->tracer_errno)));
		usleep(500);
	}
	ASSERT_TRUE(asleep_in_ptrace(sc->tracer))
		TH_LOG("tracer not asleep in ptrace(): state %c", ptw_proc_state(sc->tracer));
	TH_LOG("tracer asleep in ptrace(), state %c, %llu us after the call",
	       ptw_proc_state(sc->tracer), (ptw_now_ns() - LOAD(sc->sh->t_call)) / 1000);
	/* Early enough that an uninterruptible wait would still sleep long. */
	ASSERT_GT(SETUP_MAX_MS * MS, ptw_now_ns() - LOAD(sc->sh->t_call));
	ASSERT_EQ(0, LOAD(sc->sh->hog_done));
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

FIXTURE_TEARDOWN(kill)
{
	if (self->s.sh)
		STORE(self->s.sh->hog_stop, 1);
	if (self->s.hog > 0)
		waitpid(self->s.hog, NULL, 0);
	if (self->s.tracer > 0) {
		kill(self->s.tracer, SIGKILL);
		waitpid(self->s.tracer, NULL, 0);
	}
	if (self->s.tracee > 0) {
		kill(self->s.tracee, SIGKILL);
		waitpid(self->s.tracee, NULL, 0);
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
	unsigned long long t_kill, t_reaped;
	int status;

	scene(_metadata, &self->s);

	t_kill = ptw_now_ns();
	ASSERT_EQ(0, kill(self->s.tracer, SIGKILL));
	ASSERT_EQ(self->s.tracer, waitpid(self->s.tracer, &status, 0));
	t_reaped = ptw_now_ns();
	self->s.tracer = 0;
	TH_LOG("reaped %llu us after SIGKILL, %llu us after the request",
	       (t_reaped - t_kill) / 1000, (t_reaped - LOAD(self->s.sh->t_call)) / 1000);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* At once, not when the bound ran out ... */
	EXPECT_GT(PROMPT_MS * MS, t_reaped - t_kill);
	EXPECT_GT(BOUND_MS * MS, t_reaped - LOAD(self->s.sh->t_call));
	/* ... while the tracee still could not run. */
	EXPECT_EQ(0, LOAD(self->s.sh->hog_done));
	EXPECT_EQ(1, ptw_count_trace(self->s.tracee, "", "reason=ESRCH_WAKING_INTERRUPTED"));
	EXPECT_EQ(0, ptw_count_trace(self->s.tracee, "", "reason=ESRCH_WAKING_TIMEOUT"));
}

TEST_F(kill, kill_tracee)
{
	unsigned long long t_kill;

	scene(_metadata, &self->s);

	t_kill = ptw_now_ns();
	ASSERT_EQ(0, kill(self->s.tracee, SIGKILL));
	ASSERT_EQ(1, wait_flag(&self->s.sh->tracer_returned, 2 * HOG_MS))
		TH_LOG("the request did not return");
	TH_LOG("returned %llu us after SIGKILL", (LOAD(self->s.sh->t_return) - t_kill) / 1000);
	/* The request ended at once, while the tracee still could not run. */
	EXPECT_EQ(0, LOAD(self->s.sh->hog_done_at_return));
	EXPECT_GT(PROMPT_MS * MS, LOAD(self->s.sh->t_return) - t_kill);
	EXPECT_EQ(-1, LOAD(self->s.sh->tracer_ret));
	EXPECT_EQ(ESRCH, LOAD(self->s.sh->tracer_errno));
	EXPECT_EQ(1, ptw_count_trace(self->s.tracee, "", "clear site=fatal_signal"));
	EXPECT_EQ(1, ptw_count_trace(self->s.tracee, "", "reason=ESRCH_WAKING_FAILED"));
	EXPECT_EQ(0, ptw_count_trace(self->s.tracee, "", "reason=ESRCH_WAKING_TIMEOUT"));
}

TEST_F(kill, signal_interrupts)
{
	unsigned long long t_sig;

	scene(_metadata, &self->s);

	t_sig = ptw_now_ns();
	ASSERT_EQ(0, kill(self->s.tracer, SIGUSR1));
	ASSERT_EQ(1, wait_flag(&self->s.sh->handler_ran, 2 * HOG_MS))
		TH_LOG("the SIGUSR1 handler never ran");
	ASSERT_EQ(1, wait_flag(&self->s.sh->tracer_returned, 2 * HOG_MS))
		TH_LOG("the request did not return");
	TH_LOG("request returned %llu us, handler ran %llu us after SIGUSR1",
	       (LOAD(self->s.sh->t_return) - t_sig) / 1000,
	       (LOAD(self->s.sh->t_handler) - t_sig) / 1000);
	/* The signal ended the wait at once, while the tracee could not run ... */
	EXPECT_GT(PROMPT_MS * MS, LOAD(self->s.sh->t_return) - t_sig);
	EXPECT_GT(PROMPT_MS * MS, LOAD(self->s.sh->t_handler) - t_sig);
	EXPECT_EQ(0, LOAD(self->s.sh->hog_done_at_return));
	/* ... and the request failed as it would have without the wait. */
	EXPECT_EQ(-1, LOAD(self->s.sh->tracer_ret));
	EXPECT_EQ(ESRCH, LOAD(self->s.sh->tracer_errno));
	EXPECT_EQ(1, ptw_count_trace(self->s.tracee, "", "reason=ESRCH_WAKING_INTERRUPTED"));
	EXPECT_EQ(0, ptw_count_trace(self->s.tracee, "", "reason=ESRCH_WAKING_TIMEOUT"));
}

TEST_HARNESS_MAIN
