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
 *
 * On a CONFIG_LOCKDEP kernel schedule() itself has a preemption point
 * before __schedule() (see classify()), so there the tracer preempts the
 * tracee inside schedule() every time, whoever woke it: the trigger also
 * records where the tracee was preempted, and only a preemption outside
 * schedule() counts against ptrace_stop().
 */
#include "waking_common.h"
#include "../kselftest_harness.h"

#define ITERATIONS	200
#define MAX_IN_WTI	(ITERATIONS / 50)
#define SWITCH_EV	PTW_TRACING "/events/sched/sched_switch"
/* sched_switch's prev_state of a preempted task ("R+"): TASK_REPORT_MAX */
#define SWITCH_PREEMPTED	0x100

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

struct stacks {
	int tracer;		/* the tracer's switches */
	int in_wti;		/* ... in wait_task_inactive() */
	int in_schedule;	/* tracee preempted inside schedule() from ptrace_stop() */
	int early;		/* tracee preempted in ptrace_stop() before schedule() */
};

/* " => fn" or " => fn+0x..": the frame's function is @fn. */
static bool frame_is(const char *frame, const char *fn)
{
	size_t n = strlen(fn);

	return !strncmp(frame, fn, n) && strchr("+\n ", frame[n]);
}

static void classify(struct stacks *st, bool tracer, char frames[][64], int n)
{
	int i;

	if (tracer) {
		st->tracer++;
		for (i = 0; i < n; i++)
			if (frame_is(frames[i], "wait_task_inactive")) {
				st->in_wti++;
				break;
			}
		return;
	}
	/* The tracee's stacks are those of its preemptions (the trigger). */
	for (i = 0; i < n; i++) {
		if (!frame_is(frames[i], "ptrace_stop"))
			continue;
		/*
		 * Inside schedule() itself, before __schedule() disables
		 * preemption: on CONFIG_LOCKDEP kernels sched_submit_work()'s
		 * lock_map_acquire_try() -> lock_acquire() -> trace_lock_acquire()
		 * -> rcu_is_watching() -> preempt_enable_notrace() is a
		 * preemption point that ptrace_stop()'s preempt-disabled
		 * section can't cover.  Anywhere else in ptrace_stop() the
		 * tracee was preempted on its way to schedule().
		 */
		if (i && frame_is(frames[i - 1], "schedule"))
			st->in_schedule++;
		else
			st->early++;
		return;
	}
}

/*
 * Sort the stack traces in the ftrace buffer by task (the header line
 * "comm-PID [CPU] ...: <stack trace>") and by what they show.
 */
static int count_stacks(pid_t tracer, pid_t tracee, struct stacks *st)
{
	static char frames[64][64];
	char line[512], *p;
	int n = 0, total = 0;
	pid_t pid = 0;
	FILE *f = fopen(PTW_TRACING "/trace", "r");

	memset(st, 0, sizeof(*st));
	if (!f)
		return -1;
	for (;;) {
		bool eof = !fgets(line, sizeof(line), f);

		if (!eof && pid && !strncmp(line, " => ", 4)) {
			if (n < 64)
				snprintf(frames[n++], sizeof(frames[0]), "%.63s", line + 4);
			continue;
		}
		if (pid == tracer || pid == tracee)
			classify(st, pid == tracer, frames, n);
		pid = 0;
		n = 0;
		if (eof)
			break;
		p = strstr(line, "<stack trace>") ? strchr(line, '[') : NULL;
		if (!p)
			continue;
		/* "comm-PID  [CPU]": the PID ends the last word before '['. */
		while (p > line && p[-1] == ' ')
			p--;
		while (p > line && p[-1] >= '0' && p[-1] <= '9')
			p--;
		pid = atoi(p);
		total++;
	}
	fclose(f);
	return total;
}

FIXTURE(order) {
	pid_t tracee;
	char waking[8];
	char bufsize[32];
	char trigger[96];
};

FIXTURE_SETUP(order)
{
	self->tracee = 0;
	self->waking[0] = '\0';
	self->trigger[0] = '\0';
	self->bufsize[0] = '\0';
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	if (access(SWITCH_EV "/trigger", W_OK))
		SKIP(return, "no sched_switch event trigger");
	if (wk_save_waking(self->waking, sizeof(self->waking)))
		SKIP(return, WK_NO_WAKING);
	ASSERT_EQ(0, ptw_write_str(PTW_SYSCTL, "1"));
	self->tracee = wk_fifo_tracer_on_listening_tracee();
	ASSERT_LT(0, self->tracee) TH_LOG("%s", strerror(-self->tracee));

	/*
	 * Room for all the stacks: until something expands it, the ring
	 * buffer of a fresh boot has a few KiB per CPU and keeps only the
	 * last few dozen.
	 */
	ASSERT_EQ(0, ptw_read_str(PTW_TRACING "/buffer_size_kb", self->bufsize,
				  sizeof(self->bufsize)));
	ASSERT_EQ(0, ptw_write_str(PTW_TRACING "/buffer_size_kb", "4096"));
	ASSERT_EQ(0, ptw_write_str(PTW_TRACING "/trace", ""));
	/* The tracer's switches, and the tracee's preemptions: where. */
	snprintf(self->trigger, sizeof(self->trigger),
		 "stacktrace if prev_pid == %d || (prev_pid == %d && prev_state == %d)",
		 getpid(), self->tracee, SWITCH_PREEMPTED);
	ASSERT_EQ(0, ptw_write_str(SWITCH_EV "/trigger", self->trigger));
}

FIXTURE_TEARDOWN(order)
{
	char undo[104];

	wk_tracer_normal();
	if (self->trigger[0]) {
		snprintf(undo, sizeof(undo), "!%s", self->trigger);
		ptw_write_str(SWITCH_EV "/trigger", undo);
	}
	wk_kill_reap(self->tracee);
	if (self->bufsize[0]) {
		/* "7 (expanded: 1408)" before the first expansion. */
		snprintf(undo, sizeof(undo), "%d", atoi(self->bufsize));
		ptw_write_str(PTW_TRACING "/buffer_size_kb", undo);
	}
	if (self->waking[0])
		ptw_write_str(PTW_SYSCTL, self->waking);
}

TEST_F(order, woken_after_the_stop)
{
	int i, excused, eager_esrch = 0;
	struct stacks st;
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
	ASSERT_LE(0, count_stacks(getpid(), self->tracee, &st));
	TH_LOG("%d iterations: %d eager ESRCH, tracer off CPU %d times, %d in wait_task_inactive()",
	       ITERATIONS, eager_esrch, st.tracer, st.in_wti);
	TH_LOG("tracee preempted in ptrace_stop() %d times before schedule(), %d inside it",
	       st.early, st.in_schedule);
	EXPECT_EQ(0, eager_esrch);
	/* The trigger worked: the tracer slept in the waking wait at least. */
	EXPECT_LE(ITERATIONS, st.tracer);
	/*
	 * Woken too early (under siglock, say), the tracer preempts the
	 * tracee on its way to schedule(); that may happen only in the
	 * interrupt window.  A preemption inside schedule() (lockdep, see
	 * classify()) is none of ptrace_stop()'s doing: the tracer's sleep
	 * in wait_task_inactive() that follows it is excused.
	 */
	EXPECT_GE(MAX_IN_WTI, st.early);
	excused = st.in_schedule < st.in_wti ? st.in_schedule : st.in_wti;
	EXPECT_GE(MAX_IN_WTI, st.in_wti - excused);
}

TEST_HARNESS_MAIN
