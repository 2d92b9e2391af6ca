// SPDX-License-Identifier: GPL-2.0
/*
 * The tracer waiting for a waking tracee is woken only once the tracee can
 * no longer be found preempted on its way into the ptrace-stop.
 *
 * A woken tracer goes straight from the waking wait to wait_task_inactive(),
 * which sleeps for a tick if it finds the tracee preempted but still queued.
 * ptrace_stop() has a preempt-disabled section up to schedule() so that the
 * tracer woken by do_notify_parent_cldstop() never finds it so; the waking
 * wait's wake-up must come from inside that section too.
 *
 * To make a preemption certain if the wake-up came earlier, the tracer is
 * SCHED_FIFO on the tracee's CPU: a woken RT task preempts a fair one at the
 * next preemption point.  ITERATIONS times: PTRACE_LISTEN, SIGCONT, and an
 * eager PTRACE_GETSIGINFO that waits for the re-trap.  A stacktrace trigger
 * on sched:sched_switch records why the tracer scheduled out.  Woken under
 * siglock, as before the fix, it sleeps in wait_task_inactive() on every
 * iteration.  Woken from the preempt-disabled section, it can do so only if
 * an interrupt lands between preempt_enable_no_resched() and schedule() in
 * ptrace_stop() and preempts the tracee on its return: the same window the
 * wake-up by do_notify_parent_cldstop() has always had.  So at most
 * MAX_IN_WTI of the ITERATIONS may.
 */
#include "waking_common.h"
#include "../kselftest_harness.h"

#define ITERATIONS	200
#define MAX_IN_WTI	(ITERATIONS / 50)
#define SWITCH_EV	PTW_TRACING "/events/sched/sched_switch"

/* Wait for @pid's next EVENT_STOP, suppressing its SIGCONT deliveries. */
static int event_stop(pid_t pid)
{
	int status;

	for (;;) {
		if (waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status))
			return -1;
		if ((status >> 16) == PTRACE_EVENT_STOP)
			return 0;
		if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) || ptrace(PTRACE_CONT, pid, 0, 0))
			return -1;
	}
}

/* Stack traces in the ftrace buffer, and those with @fn in them. */
static int count_stacks(const char *fn, int *with_fn)
{
	char line[512];
	bool in_stack = false, hit = false;
	int stacks = 0;
	FILE *f = fopen(PTW_TRACING "/trace", "r");

	*with_fn = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "<stack trace>")) {
			if (in_stack && hit)
				(*with_fn)++;
			in_stack = true;
			hit = false;
			stacks++;
		} else if (in_stack && strstr(line, " => ")) {
			hit |= !!strstr(line, fn);
		} else {
			if (in_stack && hit)
				(*with_fn)++;
			in_stack = false;
		}
	}
	if (in_stack && hit)
		(*with_fn)++;
	fclose(f);
	return stacks;
}

FIXTURE(order) {
	pid_t tracee;
	char waking[8];
	char trigger[64];
};

FIXTURE_SETUP(order)
{
	self->tracee = 0;
	self->waking[0] = '\0';
	self->trigger[0] = '\0';
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	if (access(SWITCH_EV "/trigger", W_OK))
		SKIP(return, "no sched_switch event trigger");
	if (wk_save_waking(self->waking, sizeof(self->waking)))
		SKIP(return, WK_NO_WAKING);
	ASSERT_EQ(0, ptw_write_str(PTW_SYSCTL, "1"));
	self->tracee = wk_fifo_tracer_on_listening_tracee();
	ASSERT_LT(0, self->tracee) TH_LOG("%s", strerror(-self->tracee));

	ASSERT_EQ(0, ptw_write_str(PTW_TRACING "/trace", ""));
	snprintf(self->trigger, sizeof(self->trigger), "stacktrace if prev_pid == %d",
		 getpid());
	ASSERT_EQ(0, ptw_write_str(SWITCH_EV "/trigger", self->trigger));
}

FIXTURE_TEARDOWN(order)
{
	char undo[72];

	wk_tracer_normal();
	if (self->trigger[0]) {
		snprintf(undo, sizeof(undo), "!%s", self->trigger);
		ptw_write_str(SWITCH_EV "/trigger", undo);
	}
	wk_kill_reap(self->tracee);
	if (self->waking[0])
		ptw_write_str(PTW_SYSCTL, self->waking);
}

TEST_F(order, woken_after_the_stop)
{
	int i, stacks, in_wti, eager_esrch = 0;
	siginfo_t si;

	for (i = 0; i < ITERATIONS; i++) {
		if (i)
			ASSERT_EQ(0, ptrace(PTRACE_LISTEN, self->tracee, 0, 0));
		ASSERT_EQ(0, kill(self->tracee, SIGCONT));
		/* The tracee can't run before this sleeps: it always waits. */
		if (ptrace(PTRACE_GETSIGINFO, self->tracee, 0, &si))
			eager_esrch++;
		ASSERT_EQ(0, event_stop(self->tracee));
	}
	stacks = count_stacks("wait_task_inactive", &in_wti);
	TH_LOG("%d iterations: %d eager ESRCH, tracer off CPU %d times, %d in wait_task_inactive()",
	       ITERATIONS, eager_esrch, stacks, in_wti);
	EXPECT_EQ(0, eager_esrch);
	/* The trigger worked: the tracer slept in the waking wait at least. */
	EXPECT_LE(ITERATIONS, stacks);
	EXPECT_GE(MAX_IN_WTI, in_wti);
}

TEST_HARNESS_MAIN
