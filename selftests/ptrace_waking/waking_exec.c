// SPDX-License-Identifier: GPL-2.0
/*
 * PT_WAKING is never set on a thread that has a fatal signal pending.
 *
 * A process has two threads; the tracer seizes only the second one, T2,
 * and parks it in PTRACE_LISTEN on CPU 1, where a real-time hog then keeps
 * it from running.  The main thread execs: de_thread() -> zap_other_threads()
 * sends T2 SIGKILL (without SIGNAL_GROUP_EXIT) and waits for it to die,
 * which it can't while the hog runs.  Now SIGCONT comes: prepare_signal()
 * calls ptrace_trap_notify() for T2, which is still LISTENING.  T2 will
 * die, not trap, so it must not be marked PT_WAKING (the tracer would
 * wait for a trap that never comes), and the tracer's request must fail
 * at once, as it does without the series.
 */
#include "waking_common.h"
#include <pthread.h>

#include "../kselftest_harness.h"

#define EXEC_ENV	"PTW_WAKING_EXEC_CHILD"

/* The program the main thread execs into: waits to be killed. */
static void __attribute__((constructor)) exec_child(void)
{
	if (getenv(EXEC_ENV)) {
		for (;;)
			pause();
	}
}

static int tid_pipe[2], go_pipe[2];

static void *t2_main(void *arg)
{
	pid_t tid = gettid();

	(void)arg;
	wk_pin(0, 1);
	if (write(tid_pipe[1], &tid, sizeof(tid)) != sizeof(tid))
		_exit(1);
	for (;;)
		pause();
	return NULL;
}

/* SIGKILL pending for thread @tid of @pid (SigPnd in its status). */
static bool sigkill_pending(pid_t pid, pid_t tid)
{
	char path[96], line[256];
	bool ret = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "SigPnd:", 7))
			ret = strtoull(line + 7, NULL, 16) & (1ULL << (SIGKILL - 1));
	fclose(f);
	return ret;
}

FIXTURE(exec) {
	struct wk_hog hog;
	long long hog_t0;
	pid_t pid, t2;
	char waking[8];
};

FIXTURE_SETUP(exec)
{
	char c;

	memset(&self->hog, 0, sizeof(self->hog));
	self->pid = 0;
	self->t2 = 0;
	self->waking[0] = '\0';
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	if (wk_save_waking(self->waking, sizeof(self->waking)))
		SKIP(return, WK_NO_WAKING);
	ASSERT_EQ(0, ptw_write_str(PTW_SYSCTL, "1"));
	ASSERT_EQ(0, pipe(tid_pipe));
	ASSERT_EQ(0, pipe(go_pipe));

	wk_pin(0, 0);
	self->pid = ptw_fork_child();
	ASSERT_LE(0, self->pid);
	if (self->pid == 0) {
		char *const argv[] = { "waking_exec_child", NULL };
		char *const envp[] = { EXEC_ENV "=1", NULL };
		pthread_t th;

		if (pthread_create(&th, NULL, t2_main, NULL))
			_exit(1);
		if (read(go_pipe[0], &c, 1) != 1)
			_exit(1);
		execve("/proc/self/exe", argv, envp);
		_exit(2);
	}
	ASSERT_EQ((ssize_t)sizeof(self->t2),
		  read(tid_pipe[0], &self->t2, sizeof(self->t2)));
	ASSERT_EQ(0, wk_seize_listen(self->t2));
	/* Before the hog: tracing setup needs every CPU to make progress. */
	ASSERT_EQ(0, wk_trace_start());
	self->hog_t0 = wk_now_ms();
	ASSERT_EQ(0, wk_hog_start(&self->hog, 1, 30000))
		TH_LOG("no real-time hog (sched debugfs mounted?)");
}

/*
 * A zapped thread that is traced stays a zombie until its tracer reaps it,
 * and de_thread() waits for that: reap T2, then the exec completes.
 */
static int reap_t2(pid_t t2)
{
	int status;

	do {
		if (waitpid(t2, &status, __WALL) != t2)
			return -errno;
	} while (WIFSTOPPED(status));
	return 0;
}

FIXTURE_TEARDOWN(exec)
{
	wk_trace_stop();
	wk_hog_stop(&self->hog);
	if (self->t2 > 0)
		reap_t2(self->t2);
	wk_kill_reap(self->pid);
	if (self->waking[0])
		ptw_write_str(PTW_SYSCTL, self->waking);
}

TEST_F(exec, sigcont_after_zap_does_not_mark)
{
	long long t0, ms;
	siginfo_t si;
	long ret;
	int err, i;

	/* The main thread execs; de_thread() zaps T2, which can't run. */
	TH_LOG("hog on CPU %d since %lld ms", self->hog.cpu, wk_now_ms() - self->hog_t0);
	ASSERT_EQ(1, write(go_pipe[1], "g", 1));
	for (i = 0; i < 3000 && !sigkill_pending(self->pid, self->t2); i++)
		usleep(1000);
	ASSERT_TRUE(sigkill_pending(self->pid, self->t2))
		TH_LOG("T2 was not zapped: main thread %c, T2 %c, hog %s",
		       ptw_proc_state(self->pid), ptw_proc_state(self->t2),
		       wk_hog_done(&self->hog) ? "done" : "running");
	ASSERT_FALSE(wk_hog_done(&self->hog));

	ASSERT_EQ(0, kill(self->pid, SIGCONT));
	t0 = wk_now_ms();
	ret = ptrace(PTRACE_GETSIGINFO, self->t2, 0, &si);
	err = errno;
	ms = wk_now_ms() - t0;
	TH_LOG("request on the zapped thread: %ld (%s) in %lld ms", ret,
	       ret ? strerror(err) : "ok", ms);
	EXPECT_FALSE(wk_hog_done(&self->hog)) TH_LOG("measured too late");

	/* Never marked: T2 dies, it won't trap. */
	EXPECT_EQ(0, ptw_count_trace(self->t2, "ptrace_waking", " set site="));
	/* So the request fails at once, as without the series. */
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(ESRCH, err);
	EXPECT_GT(WK_PROMPT_MS, ms);

	/* T2 dies as soon as it can run, and the exec goes through. */
	wk_hog_stop(&self->hog);
	EXPECT_EQ(0, reap_t2(self->t2));
	self->t2 = 0;
}

TEST_HARNESS_MAIN
