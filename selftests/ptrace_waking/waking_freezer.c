// SPDX-License-Identifier: GPL-2.0
/*
 * PT_WAKING and the freezers.
 *
 * frozen_tracee: a seized tracee in PTRACE_LISTEN inside a cgroup that is
 * frozen with the cgroup v1 or v2 freezer is kicked towards a trap (by
 * SIGCONT or PTRACE_INTERRUPT) and the tracer asks for it at once.  The
 * v1 freezer (like the PM freezer) froze the tracee in place: the kick
 * only rewrites its saved state and it can't trap before the thaw, so the
 * request must fail at once (ESRCH, reason ESRCH_WAKING_FROZEN), as it
 * does without the series -- never wait for the one-second bound.  With
 * the v2 freezer the kicked tracee takes its trap before the freezer trap:
 * the request succeeds, promptly.
 *
 * frozen_tracer: the tracer sleeps in the waking wait (its tracee is kept
 * from running by a real-time hog on the tracee's CPU) and the tracer's own
 * cgroup is frozen.  The freeze must complete at once, not when the wait
 * ends: the wait is interruptible, the freezer's wake-up ends it, and the
 * tracee still has not trapped, so the request fails with ESRCH (reason
 * ESRCH_WAKING_INTERRUPTED), as it fails at once without the series; the
 * tracer freezes on its way out and the failure is seen after the thaw.
 */
#include "waking_common.h"
#include "../kselftest_harness.h"

#define CG1	"/tmp/ptw-cg1"
#define CG2	"/tmp/ptw-cg2"
#define GROUP	"ptw_frz"

static int mount_kind(struct __test_metadata *_metadata, bool v2)
{
	int ret = wk_cgroup_mount(v2 ? CG2 : CG1, v2 ? "cgroup2" : "freezer");

	if (ret)
		TH_LOG("mounting the %s hierarchy: %s", v2 ? "cgroup2" : "v1 freezer",
		       strerror(-ret));
	return ret;
}

FIXTURE(frozen_tracee) {
	pid_t tracee;
	char waking[8];
	bool frozen;
};

FIXTURE_VARIANT(frozen_tracee) {
	bool v2;
	bool interrupt;	/* kick with PTRACE_INTERRUPT, else SIGCONT */
};

FIXTURE_VARIANT_ADD(frozen_tracee, v1_sigcont) { .v2 = false, .interrupt = false };
FIXTURE_VARIANT_ADD(frozen_tracee, v1_interrupt) { .v2 = false, .interrupt = true };
FIXTURE_VARIANT_ADD(frozen_tracee, v2_sigcont) { .v2 = true, .interrupt = false };
FIXTURE_VARIANT_ADD(frozen_tracee, v2_interrupt) { .v2 = true, .interrupt = true };

FIXTURE_SETUP(frozen_tracee)
{
	const char *dir = variant->v2 ? CG2 : CG1;

	self->tracee = 0;
	self->frozen = false;
	self->waking[0] = '\0';
	if (mount_kind(_metadata, variant->v2))
		SKIP(return, "no %s freezer", variant->v2 ? "cgroup v2" : "cgroup v1");
	if (wk_save_waking(self->waking, sizeof(self->waking)))
		SKIP(return, WK_NO_WAKING);
	ASSERT_EQ(0, ptw_write_str(PTW_SYSCTL, "1"));

	self->tracee = ptw_fork_child();
	ASSERT_LE(0, self->tracee);
	if (self->tracee == 0) {
		for (;;)
			pause();
	}
	ASSERT_EQ(0, wk_cgroup_enter(dir, GROUP, self->tracee));
	ASSERT_EQ(0, wk_seize_listen(self->tracee));
	ASSERT_LE(0, wk_cgroup_freeze(dir, GROUP, variant->v2, true, 5000))
		TH_LOG("the cgroup did not freeze");
	self->frozen = true;
	ASSERT_EQ(0, wk_trace_start());
}

FIXTURE_TEARDOWN(frozen_tracee)
{
	const char *dir = variant->v2 ? CG2 : CG1;

	wk_trace_stop();
	if (self->frozen)
		wk_cgroup_freeze(dir, GROUP, variant->v2, false, 5000);
	wk_kill_reap(self->tracee);
	wk_cgroup_remove(dir, GROUP);
	if (self->waking[0])
		ptw_write_str(PTW_SYSCTL, self->waking);
}

TEST_F(frozen_tracee, request_does_not_wait)
{
	long long t0, ms;
	siginfo_t si;
	long ret;
	int err, status;

	if (variant->interrupt) {
		ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, self->tracee, 0, 0));
	} else {
		ASSERT_EQ(0, kill(self->tracee, SIGCONT));
	}
	t0 = wk_now_ms();
	ret = ptrace(PTRACE_GETSIGINFO, self->tracee, 0, &si);
	err = errno;
	ms = wk_now_ms() - t0;
	TH_LOG("request after the kick: %ld (%s) in %lld ms", ret,
	       ret ? strerror(err) : "ok", ms);

	EXPECT_GT(WK_PROMPT_MS, ms) TH_LOG("the request waited for a frozen tracee");
	EXPECT_EQ(0, ptw_count_trace(self->tracee, "ptrace_check_attach",
				     "reason=ESRCH_WAKING_TIMEOUT"));
	if (variant->v2) {
		/* The kicked tracee traps before it enters the freezer trap. */
		EXPECT_EQ(0, ret) TH_LOG("%s", strerror(err));
	} else {
		/* Frozen in place: it can't trap before the thaw. */
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(ESRCH, err);
		EXPECT_EQ(1, ptw_count_trace(self->tracee, "ptrace_check_attach",
					     "reason=ESRCH_WAKING_FROZEN"));
	}

	/* Thawed, it re-traps into an EVENT_STOP as the kick asked. */
	ASSERT_LE(0, wk_cgroup_freeze(variant->v2 ? CG2 : CG1, GROUP, variant->v2,
				      false, 5000));
	self->frozen = false;
	for (;;) {
		ASSERT_EQ(self->tracee, waitpid(self->tracee, &status, __WALL));
		ASSERT_TRUE(WIFSTOPPED(status));
		if ((status >> 16) == PTRACE_EVENT_STOP)
			break;
		/* The SIGCONT's own signal-delivery-stop: suppress it. */
		ASSERT_EQ(0, ptrace(PTRACE_CONT, self->tracee, 0, 0));
	}
	EXPECT_EQ(0, ptrace(PTRACE_GETSIGINFO, self->tracee, 0, &si));
}

/* State shared with the tracer child (MAP_SHARED), atomics only. */
struct tracer_state {
	int ready;
	int go;
	int returned;
	long ret;
	int err;
};

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

FIXTURE(frozen_tracer) {
	struct tracer_state *st;
	struct wk_hog hog;
	pid_t tracer, tracee;
	char waking[8];
	bool frozen;
};

FIXTURE_VARIANT(frozen_tracer) {
	bool v2;
};

FIXTURE_VARIANT_ADD(frozen_tracer, v1) { .v2 = false };
FIXTURE_VARIANT_ADD(frozen_tracer, v2) { .v2 = true };

FIXTURE_SETUP(frozen_tracer)
{
	memset(&self->hog, 0, sizeof(self->hog));
	self->tracer = 0;
	self->tracee = 0;
	self->frozen = false;
	self->waking[0] = '\0';
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	if (mount_kind(_metadata, variant->v2))
		SKIP(return, "no %s freezer", variant->v2 ? "cgroup v2" : "cgroup v1");
	if (wk_save_waking(self->waking, sizeof(self->waking)))
		SKIP(return, WK_NO_WAKING);
	ASSERT_EQ(0, ptw_write_str(PTW_SYSCTL, "1"));
	self->st = mmap(NULL, sizeof(*self->st), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->st);
	memset(self->st, 0, sizeof(*self->st));

	self->tracer = ptw_fork_child();
	ASSERT_LE(0, self->tracer);
	if (self->tracer == 0) {
		struct tracer_state *st = self->st;
		siginfo_t si;
		pid_t t;

		wk_pin(0, 1);
		t = ptw_fork_child();		/* the tracee, on CPU 1 */
		if (t == 0) {
			for (;;)
				pause();
		}
		wk_pin(0, 0);
		if (t < 0 || wk_seize_listen(t))
			_exit(1);
		STORE(st->ready, t);
		while (!LOAD(st->go))
			usleep(1000);
		kill(t, SIGCONT);
		/* The tracee is kicked but can't run: this waits. */
		st->ret = ptrace(PTRACE_GETSIGINFO, t, 0, &si);
		st->err = errno;
		STORE(st->returned, 1);
		_exit(0);
	}
	while (!LOAD(self->st->ready)) {
		ASSERT_EQ(0, waitpid(self->tracer, NULL, WNOHANG)) TH_LOG("tracer died");
		usleep(1000);
	}
	self->tracee = LOAD(self->st->ready);
	ASSERT_EQ(0, wk_cgroup_enter(variant->v2 ? CG2 : CG1, GROUP, self->tracer));
	/* Before the hog: tracing setup needs every CPU to make progress. */
	ASSERT_EQ(0, wk_trace_start());
	ASSERT_EQ(0, wk_hog_start(&self->hog, 1, 30000))
		TH_LOG("no real-time hog (sched debugfs mounted?)");
	STORE(self->st->go, 1);

	/* Wait until the tracer sleeps in the waking wait. */
	for (long long t0 = wk_now_ms(); wk_now_ms() - t0 < 3000; usleep(5000)) {
		char s = ptw_proc_state(self->tracer);

		ASSERT_EQ(0, LOAD(self->st->returned))
			TH_LOG("request returned %ld (%s) without waiting",
			       self->st->ret, strerror(self->st->err));
		if ((s == 'S' || s == 'D') &&
		    ptw_count_trace(self->tracee, "ptrace_waking", "set site=trap_notify") > 0)
			break;
	}
	ASSERT_EQ(1, ptw_count_trace(self->tracee, "ptrace_waking", "set site=trap_notify"))
		TH_LOG("tracer state %c", ptw_proc_state(self->tracer));
	ASSERT_FALSE(wk_hog_done(&self->hog));
}

FIXTURE_TEARDOWN(frozen_tracer)
{
	const char *dir = variant->v2 ? CG2 : CG1;

	wk_trace_stop();
	if (self->frozen)
		wk_cgroup_freeze(dir, GROUP, variant->v2, false, 5000);
	wk_hog_stop(&self->hog);
	wk_kill_reap(self->tracer);
	wk_kill_reap(self->tracee);
	wk_cgroup_remove(dir, GROUP);
	if (self->waking[0])
		ptw_write_str(PTW_SYSCTL, self->waking);
}

TEST_F(frozen_tracer, freeze_is_not_held_up)
{
	const char *dir = variant->v2 ? CG2 : CG1;
	long long ms;
	int status;

	ms = wk_cgroup_freeze(dir, GROUP, variant->v2, true, 3 * WK_BOUND_MS);
	self->frozen = ms >= 0;
	TH_LOG("the tracer's cgroup froze in %lld ms", ms);
	ASSERT_LE(0, ms) TH_LOG("the cgroup did not freeze");
	/* At once: not when the waking wait would have timed out. */
	EXPECT_GT(WK_PROMPT_MS, ms);
	EXPECT_FALSE(wk_hog_done(&self->hog)) TH_LOG("measured too late");
	EXPECT_EQ(0, LOAD(self->st->returned));

	/*
	 * Thawed, the tracer returns from the request the freezer's wake-up
	 * ended: ESRCH, the tracee never trapped while it was frozen.
	 */
	ASSERT_LE(0, wk_cgroup_freeze(dir, GROUP, variant->v2, false, 5000));
	self->frozen = false;
	wk_hog_stop(&self->hog);
	ASSERT_EQ(self->tracer, waitpid(self->tracer, &status, 0));
	self->tracer = 0;
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(1, LOAD(self->st->returned));
	EXPECT_EQ(-1, self->st->ret);
	EXPECT_EQ(ESRCH, self->st->err) TH_LOG("request: %s", strerror(self->st->err));
	EXPECT_EQ(1, ptw_count_trace(self->tracee, "ptrace_check_attach",
				     "reason=ESRCH_WAKING_INTERRUPTED"));
	EXPECT_EQ(0, ptw_count_trace(self->tracee, "ptrace_check_attach",
				     "reason=ESRCH_WAKING_TIMEOUT"));
}

TEST_HARNESS_MAIN
