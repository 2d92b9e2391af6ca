// SPDX-License-Identifier: GPL-2.0
/*
 * The ptrace:* tracepoints and the waking path, seen through ftrace alone.
 *
 * A PTRACE_SEIZEd tracee sits in a group-stop trap.  Each round the
 * tracer issues PTRACE_LISTEN, sends SIGCONT itself and, before waitpid(),
 * asks PTRACE_GETSIGINFO.  SIGCONT kicks the listening tracee out of its
 * trap (ptrace_trap_notify(), PT_WAKING set) and it re-traps for the
 * notification (PT_WAKING cleared in ptrace_stop()).  With the waking path
 * on the request waits for the re-trap and succeeds every time; with it
 * off (kernel.ptrace_waking = 0) it fails with ESRCH as on vanilla 7.3,
 * reported as reason ESRCH_WAKING_OFF.  Either way the ftrace ring buffer
 * must show the events, and the ESRCH the tracer saw must match the
 * ptrace_check_attach events with ret=-3 for the tracee, one for one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "ptw_util.h"

#define TRACING		PTW_TRACING
#define ROUNDS		200

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

/* Wait for the tracee's next PTRACE_EVENT_STOP; 0 on success. */
static int wait_event_stop(pid_t pid)
{
	int status;

	for (;;) {
		if (waitpid(pid, &status, __WALL) != pid)
			return -1;
		if (!WIFSTOPPED(status))
			return -1;
		if ((status >> 16) == PTRACE_EVENT_STOP)
			return 0;
		/* SIGCONT signal-delivery-stop: suppress it, re-stop. */
		if (ptrace(PTRACE_CONT, pid, 0, 0) ||
		    ptrace(PTRACE_INTERRUPT, pid, 0, 0))
			return -1;
	}
}

FIXTURE(listen) {
	pid_t pid;
	int saved_sysctl;
};

FIXTURE_VARIANT(listen) {
	int waking;		/* kernel.ptrace_waking for this run */
};

FIXTURE_VARIANT_ADD(listen, waking_on) { .waking = 1 };
FIXTURE_VARIANT_ADD(listen, waking_off) { .waking = 0 };

FIXTURE_SETUP(listen)
{
	self->pid = 0;
	self->saved_sysctl = -1;
	if (geteuid())
		SKIP(return, "needs root");
	if (access(TRACING "/events/ptrace/ptrace_check_attach", F_OK))
		SKIP(return, "no ptrace:* tracepoints (kernel without the PT_WAKING series?)");
	self->saved_sysctl = ptw_waking_get();
	ASSERT_GE(self->saved_sysctl, 0);
	ASSERT_EQ(0, ptw_waking_set(variant->waking));

	ASSERT_EQ(0, ptw_write_str(TRACING "/tracing_on", "0"));
	ASSERT_EQ(0, ptw_write_str(TRACING "/trace", ""));
	ASSERT_EQ(0, ptw_write_str(TRACING "/events/ptrace/enable", "1"));

	self->pid = fork();
	ASSERT_GE(self->pid, 0);
	if (self->pid == 0) {
		for (;;)
			pause();
	}
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, self->pid, 0, 0));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, self->pid, 0, 0));
	ASSERT_EQ(0, wait_event_stop(self->pid));
	ASSERT_EQ(0, ptw_write_str(TRACING "/tracing_on", "1"));
}

FIXTURE_TEARDOWN(listen)
{
	ptw_write_str(TRACING "/tracing_on", "0");
	ptw_write_str(TRACING "/events/ptrace/enable", "0");
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, __WALL);
	}
	if (self->saved_sysctl >= 0)
		ptw_waking_set(self->saved_sysctl);
}

TEST_F(listen, sigcont_kick)
{
	siginfo_t si;
	int i, esrch = 0, ok = 0;

	for (i = 0; i < ROUNDS; i++) {
		ASSERT_EQ(0, ptrace(PTRACE_LISTEN, self->pid, 0, 0));
		ASSERT_EQ(0, kill(self->pid, SIGCONT));
		/* The tracee is now on its way back into a trap. */
		if (ptrace(PTRACE_GETSIGINFO, self->pid, 0, &si) == 0)
			ok++;
		else if (errno == ESRCH)
			esrch++;
		else
			ASSERT_EQ(ESRCH, errno);
		ASSERT_EQ(0, wait_event_stop(self->pid));
		/* After waitpid() the protocol guarantees success. */
		ASSERT_EQ(0, ptrace(PTRACE_GETSIGINFO, self->pid, 0, &si));
	}
	ASSERT_EQ(0, ptw_write_str(TRACING "/tracing_on", "0"));
	TH_LOG("waking=%d: %d rounds, eager request ok=%d esrch=%d",
	       variant->waking, ROUNDS, ok, esrch);

	/* PT_WAKING was set by the SIGCONT kick and cleared on re-trap. */
	EXPECT_GE(ptw_count_trace(self->pid, "ptrace_waking:", "set site=trap_notify"), 1);
	EXPECT_GE(ptw_count_trace(self->pid, "ptrace_waking:", "clear site=ptrace_stop"), 1);
	/* Every ESRCH the tracer saw is an event with ret=-3, and vice versa. */
	EXPECT_EQ(esrch, ptw_count_trace(self->pid, "ptrace_check_attach:", "ret=-3 "));

	if (variant->waking) {
		/* The fix: the eager request never fails... */
		EXPECT_EQ(0, esrch);
		/* ...because it waited for the re-trap. */
		EXPECT_GE(ptw_count_trace(self->pid, "ptrace_check_attach:",
					  "reason=OK_AFTER_WAKING"), 1);
	} else {
		/* Vanilla behaviour: the window is real and gets reported. */
		EXPECT_GE(esrch, 1);
		EXPECT_EQ(esrch, ptw_count_trace(self->pid, "ptrace_check_attach:",
						 "reason=ESRCH_WAKING_OFF"));
	}
}

TEST_HARNESS_MAIN
