// SPDX-License-Identifier: GPL-2.0
/*
 * What a tracer observes when a request lands in the PT_WAKING window:
 * the contract documented for kernel.ptrace_waking, pinned.
 *
 * The tracee is parked in PTRACE_LISTEN and the tracer is SCHED_FIFO on
 * the tracee's CPU, so the tracee can't run (and re-trap) after the
 * tracer's SIGCONT before the tracer sleeps: every request below is made
 * in the window, deterministically.
 *
 *  - waking on, eager PTRACE_GETSIGINFO: waits, succeeds; the re-trap is
 *    still reported by waitpid(WNOHANG) afterwards.
 *  - waking on, eager PTRACE_CONT: waits, succeeds and resumes the tracee;
 *    the re-trap it acted on is then never reported: waitpid(WNOHANG)
 *    finds nothing, like for any resume of a stop not yet collected.
 *  - waking off: both fail with ESRCH, and waitpid() reports the re-trap.
 */
#include "waking_common.h"
#include "../kselftest_harness.h"

FIXTURE(contract) {
	pid_t tracee;
	char waking[8];
};

FIXTURE_VARIANT(contract) {
	int waking;
	int request;
};

FIXTURE_VARIANT_ADD(contract, on_getsiginfo) {
	.waking = 1, .request = PTRACE_GETSIGINFO,
};

FIXTURE_VARIANT_ADD(contract, on_cont) {
	.waking = 1, .request = PTRACE_CONT,
};

FIXTURE_VARIANT_ADD(contract, off_getsiginfo) {
	.waking = 0, .request = PTRACE_GETSIGINFO,
};

FIXTURE_VARIANT_ADD(contract, off_cont) {
	.waking = 0, .request = PTRACE_CONT,
};

FIXTURE_SETUP(contract)
{
	self->tracee = 0;
	self->waking[0] = '\0';
	if (wk_save_waking(self->waking, sizeof(self->waking)))
		SKIP(return, WK_NO_WAKING);
	ASSERT_EQ(0, ptw_write_str(PTW_SYSCTL, variant->waking ? "1" : "0"));
	self->tracee = wk_fifo_tracer_on_listening_tracee();
	ASSERT_LT(0, self->tracee) TH_LOG("%s", strerror(-self->tracee));
}

FIXTURE_TEARDOWN(contract)
{
	wk_tracer_normal();
	wk_kill_reap(self->tracee);
	if (self->waking[0])
		ptw_write_str(PTW_SYSCTL, self->waking);
}

TEST_F(contract, eager_request)
{
	siginfo_t si;
	int status, err;
	long ret;
	pid_t w;

	ASSERT_EQ(0, kill(self->tracee, SIGCONT));
	ret = ptrace(variant->request, self->tracee, 0,
		     variant->request == PTRACE_CONT ? NULL : (void *)&si);
	err = errno;

	if (!variant->waking) {
		/* The old contract: ESRCH in the window, the stop comes later. */
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(ESRCH, err);
		ASSERT_EQ(self->tracee, waitpid(self->tracee, &status, __WALL));
		EXPECT_TRUE(WIFSTOPPED(status));
		EXPECT_EQ(PTRACE_EVENT_STOP, status >> 16);
		return;
	}

	EXPECT_EQ(0, ret) TH_LOG("%s", strerror(err));
	w = waitpid(self->tracee, &status, WNOHANG | __WALL);
	if (variant->request == PTRACE_CONT) {
		/* Resumed: the re-trap it acted on is consumed. */
		EXPECT_EQ(0, w) TH_LOG("waitpid reported status %#x", status);
		EXPECT_NE('t', ptw_proc_state(self->tracee));
	} else {
		/* Not resumed: the re-trap is reported as usual. */
		ASSERT_EQ(self->tracee, w);
		EXPECT_TRUE(WIFSTOPPED(status));
		EXPECT_EQ(PTRACE_EVENT_STOP, status >> 16);
	}
}

TEST_HARNESS_MAIN
