// SPDX-License-Identifier: GPL-2.0
/*
 * D5: one more look after a wait that timed out, or that a signal ended.
 *
 * ptrace_check_attach() waits for a kicked tracee with
 * wait_on_bit_timeout(), which returns -EAGAIN once its deadline passed
 * even if the tracee trapped, and cleared PT_WAKING, after the wait last
 * tested the bit.  The request must then check the tracee once more and
 * go ahead, not fail with ESRCH (reason ESRCH_WAKING_TIMEOUT).
 *
 * That window is a few instructions wide, so the test module
 * ptw_late_trap.ko (test_modules/) puts every wait of this tracer in it:
 * a kretprobe on bit_wait_timeout() turns a wait on PT_WAKING that ended
 * with the bit clear into -EAGAIN, the deadline passing as the tracee
 * trapped.  The tracer is SCHED_FIFO on the tracee's CPU, so the kicked
 * LISTEN tracee runs, and re-traps, only once the tracer sleeps in the
 * wait: every request below waits, and every wait is turned (the module
 * counts them; a wait that was not turned fails the test, so it cannot
 * pass without reaching the window).
 *
 * The same look covers a wait that a signal ended (-EINTR) after the
 * tracee trapped.  No help is needed there: a tracer with a SIGCHLD
 * handler (unblocked, without SA_NOCLDSTOP), as debuggers have, gets one
 * in every such wait, because ptrace_stop() clears PT_WAKING, then
 * notifies the tracer (SIGCHLD, which wakes it with a signal pending) and
 * only then wakes the bit's waiters.  The module only counts those waits
 * (interrupted), so that test too fails unless every wait ended that way.
 * The tracee must not be in a group stop: SIGCONT would then make it
 * notify its parent and its ptracer (CLD_CONTINUED) on its way, before it
 * traps, and end the wait with the bit still set (see "Known limits" in
 * the documentation); wk_seize_listen() stops it with PTRACE_INTERRUPT.
 */
#include "waking_common.h"
#include <sys/utsname.h>
#include "../kselftest_harness.h"

#define LATE_TRAP	"ptw_late_trap"
#define INJECTED	"/sys/module/" LATE_TRAP "/parameters/injected"
#define INTERRUPTED	"/sys/module/" LATE_TRAP "/parameters/interrupted"
#define ROUNDS		10

static int late_trap_unload(void)
{
	return syscall(__NR_delete_module, LATE_TRAP, O_NONBLOCK) ? -errno : 0;
}

/* ptw_late_trap.ko, next to ptrace_waking.ko. */
static const char *late_trap_path(void)
{
	static char path[PATH_MAX];
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", ptw_module_path());
	snprintf(path, sizeof(path), "%s/" LATE_TRAP ".ko", dirname(dir));
	return path;
}

/* Load ptw_late_trap.ko for tracer @pid (a leftover copy unloaded first). */
static int late_trap_load(pid_t pid)
{
	int fd = open(late_trap_path(), O_RDONLY | O_CLOEXEC);
	char params[32];
	int ret;

	if (fd < 0)
		return -errno;
	snprintf(params, sizeof(params), "tracer_pid=%d", pid);
	late_trap_unload();
	ret = syscall(__NR_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

FIXTURE(deadline) {
	pid_t tracee;
	bool loaded;
	char waking[8];
};

/*
 * The harness runs no teardown after a setup that failed or skipped, so
 * what outlives the test (the sysctl, the module) is changed last, and
 * the module is unloaded again if a later step fails.  The tracee dies
 * with the test (PR_SET_PDEATHSIG).
 */
FIXTURE_SETUP(deadline)
{
	int ret;

	self->tracee = 0;
	self->loaded = false;
	self->waking[0] = '\0';
	if (wk_save_waking(self->waking, sizeof(self->waking)))
		SKIP(return, WK_NO_WAKING);
	if (access(late_trap_path(), R_OK)) {
		ret = errno;
		SKIP(return, "%.200s: %s", late_trap_path(), strerror(ret));
	}
	self->tracee = wk_fifo_tracer_on_listening_tracee();
	ASSERT_LT(0, self->tracee) TH_LOG("%s", strerror(-self->tracee));
	ASSERT_EQ(0, wk_trace_start());
	ret = late_trap_load(getpid());
	if (ret == -EOPNOTSUPP)
		SKIP(return, LATE_TRAP ".ko: no kretprobes (CONFIG_KRETPROBES)");
	ASSERT_EQ(0, ret) TH_LOG("loading %s: %s", late_trap_path(), strerror(-ret));
	self->loaded = true;
	ret = ptw_write_str(PTW_SYSCTL, "1");
	if (ret)
		late_trap_unload();
	ASSERT_EQ(0, ret) TH_LOG(PTW_SYSCTL ": %s", strerror(-ret));
}

FIXTURE_TEARDOWN(deadline)
{
	wk_tracer_normal();
	wk_kill_reap(self->tracee);
	wk_trace_stop();
	if (self->loaded)
		late_trap_unload();
	if (self->waking[0])
		ptw_write_str(PTW_SYSCTL, self->waking);
}

TEST_F(deadline, request_looks_again_after_timeout)
{
	unsigned long long before, after;
	long long t0, ms;
	int status, err;
	siginfo_t si;
	long ret;

	for (int i = 0; i < ROUNDS; i++) {
		ASSERT_EQ(0, ptw_read_u64(INJECTED, &before));
		ASSERT_EQ(0, kill(self->tracee, SIGCONT));
		t0 = wk_now_ms();
		ret = ptrace(PTRACE_GETSIGINFO, self->tracee, 0, &si);
		err = errno;
		ms = wk_now_ms() - t0;
		ASSERT_EQ(0, ptw_read_u64(INJECTED, &after));

		/* The wait ended in the window: else this round proves nothing. */
		ASSERT_EQ(before + 1, after)
			TH_LOG("round %d: the wait was not turned into a timeout", i);
		ASSERT_EQ(0, ret)
			TH_LOG("round %d: trapped as the wait timed out, yet %s after %lld ms",
			       i, strerror(err), ms);
		EXPECT_GT(WK_PROMPT_MS, ms) TH_LOG("round %d", i);

		/* The re-trap is still reported; listen again for the next round. */
		ASSERT_EQ(self->tracee, waitpid(self->tracee, &status, __WALL));
		ASSERT_TRUE(WIFSTOPPED(status));
		ASSERT_EQ(PTRACE_EVENT_STOP, status >> 16);
		ASSERT_EQ(0, ptrace(PTRACE_LISTEN, self->tracee, 0, 0));
	}
	EXPECT_EQ(ROUNDS, ptw_count_trace(self->tracee, "ptrace_check_attach",
					  "reason=OK_AFTER_WAKING"));
	EXPECT_EQ(0, ptw_count_trace(self->tracee, "ptrace_check_attach",
				     "reason=ESRCH_WAKING_TIMEOUT"));
}

/* SIGCHLDs handled; lock-free atomics are safe in a signal handler. */
static int sigchld_seen;

static void on_sigchld(int sig)
{
	(void)sig;
	__atomic_fetch_add(&sigchld_seen, 1, __ATOMIC_RELAXED);
}

/*
 * The tracer has a SIGCHLD handler: the trap it waits for ends its wait
 * with -EINTR, and the request must still go ahead (reason
 * OK_AFTER_WAKING, not ESRCH_WAKING_INTERRUPTED).
 */
TEST_F(deadline, request_looks_again_after_interrupt)
{
	unsigned long long inj_before, inj_after, intr_before, intr_after;
	struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART };
	int seen;
	long long t0, ms;
	int status, err;
	siginfo_t si;
	long ret;

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGCHLD, &sa, NULL));
	for (int i = 0; i < ROUNDS; i++) {
		ASSERT_EQ(0, ptw_read_u64(INJECTED, &inj_before));
		ASSERT_EQ(0, ptw_read_u64(INTERRUPTED, &intr_before));
		seen = __atomic_load_n(&sigchld_seen, __ATOMIC_RELAXED);
		ASSERT_EQ(0, kill(self->tracee, SIGCONT));
		t0 = wk_now_ms();
		ret = ptrace(PTRACE_GETSIGINFO, self->tracee, 0, &si);
		err = errno;
		ms = wk_now_ms() - t0;
		ASSERT_EQ(0, ptw_read_u64(INJECTED, &inj_after));
		ASSERT_EQ(0, ptw_read_u64(INTERRUPTED, &intr_after));

		/* SIGCHLD ended the wait, the trap already done. */
		ASSERT_EQ(intr_before + 1, intr_after)
			TH_LOG("round %d: the wait was not ended by SIGCHLD after the trap", i);
		ASSERT_EQ(inj_before, inj_after) TH_LOG("round %d", i);
		ASSERT_LT(seen, __atomic_load_n(&sigchld_seen, __ATOMIC_RELAXED))
			TH_LOG("round %d: no SIGCHLD handled", i);
		ASSERT_EQ(0, ret)
			TH_LOG("round %d: trapped as SIGCHLD ended the wait, yet %s after %lld ms",
			       i, strerror(err), ms);
		EXPECT_GT(WK_PROMPT_MS, ms) TH_LOG("round %d", i);

		ASSERT_EQ(self->tracee, waitpid(self->tracee, &status, __WALL));
		ASSERT_TRUE(WIFSTOPPED(status));
		ASSERT_EQ(PTRACE_EVENT_STOP, status >> 16);
		ASSERT_EQ(0, ptrace(PTRACE_LISTEN, self->tracee, 0, 0));
	}
	EXPECT_EQ(ROUNDS, ptw_count_trace(self->tracee, "ptrace_check_attach",
					  "reason=OK_AFTER_WAKING"));
	EXPECT_EQ(0, ptw_count_trace(self->tracee, "ptrace_check_attach",
				     "reason=ESRCH_WAKING_INTERRUPTED"));
}

/* From a trap stop, into a group stop (SIGSTOP), and LISTEN there. */
static int group_stop_listen(pid_t pid)
{
	int status;

	if (kill(pid, SIGSTOP) || ptrace(PTRACE_CONT, pid, 0, 0))
		return -errno;
	/* The signal-delivery-stop for SIGSTOP... */
	if (waitpid(pid, &status, __WALL) != pid)
		return -errno;
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP || status >> 16)
		return -EPROTO;
	/* ...and, SIGSTOP delivered, the group stop. */
	if (ptrace(PTRACE_CONT, pid, 0, SIGSTOP) || waitpid(pid, &status, __WALL) != pid)
		return -errno;
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP ||
	    status >> 16 != PTRACE_EVENT_STOP)
		return -EPROTO;
	return ptrace(PTRACE_LISTEN, pid, 0, 0) ? -errno : 0;
}

/* SIGCHLDs that reported CLD_CONTINUED. */
static int cld_continued;

static void on_sigchld_info(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)uc;
	if (info->si_code == CLD_CONTINUED)
		__atomic_fetch_add(&cld_continued, 1, __ATOMIC_RELAXED);
}

/*
 * Does a task woken on this CPU preempt the current one at the next
 * preemption point (PREEMPT, PREEMPT_LAZY, PREEMPT_RT, or PREEMPT_DYNAMIC
 * in full or lazy mode)?  1, 0, or -1 if it can't tell.
 */
static int preempts_at_unlock(void)
{
	char buf[128];
	struct utsname u;
	ssize_t n;

	if (uname(&u))
		return -1;
	if (!strstr(u.version, "PREEMPT_DYNAMIC"))
		return !!strstr(u.version, "PREEMPT");
	n = ptw_read_file("/sys/kernel/debug/sched/preempt", buf, sizeof(buf));
	if (n < 0)
		return -1;
	return strstr(buf, "(full)") || strstr(buf, "(lazy)");
}

/*
 * A known limit, pinned: the tracee LISTENs in a group stop.  SIGCONT
 * ends the group stop, so on its way to the trap the tracee notifies its
 * parent, and its ptracer if that is another process, of CLD_CONTINUED
 * (get_signal()) while PT_WAKING is still set; here the tracer is both.
 * Its SIGCHLD handler makes that end the wait, the one look finds the
 * tracee not yet stopped, and the request fails with
 * ESRCH_WAKING_INTERRUPTED, as on a kernel without the series (ESRCH).
 * That is certain here only because the tracer, SCHED_FIFO on the
 * tracee's CPU, preempts it at read_unlock(&tasklist_lock) right after
 * the notification: on a kernel without preemption the tracee would trap
 * first and the request succeed, and with the tracer on another CPU it is
 * a race.  If this test fails on a preemptible kernel, the limit changed:
 * update "Known limits".
 */
TEST_F(deadline, group_stop_sigcont_interrupts_the_wait)
{
	struct sigaction sa = { .sa_sigaction = on_sigchld_info,
				.sa_flags = SA_RESTART | SA_SIGINFO };
	unsigned long long before, after;
	int status, err, cont, preempts;
	siginfo_t si;
	long ret;

	preempts = preempts_at_unlock();
	if (preempts <= 0)
		SKIP(return, "%s", preempts ? "can't tell whether the kernel preempts" :
			     "needs a preemptible kernel (the outcome is a race without)");
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGCHLD, &sa, NULL));
	/* Out of the fixture's LISTEN: a trap stop to start from. */
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, self->tracee, 0, 0));
	ASSERT_EQ(self->tracee, waitpid(self->tracee, &status, __WALL));
	ASSERT_EQ(PTRACE_EVENT_STOP, status >> 16);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, group_stop_listen(self->tracee)) TH_LOG("round %d", i);
		ASSERT_EQ(0, ptw_read_u64(INTERRUPTED, &before));
		cont = __atomic_load_n(&cld_continued, __ATOMIC_RELAXED);
		ASSERT_EQ(0, kill(self->tracee, SIGCONT));
		ret = ptrace(PTRACE_GETSIGINFO, self->tracee, 0, &si);
		err = errno;
		ASSERT_EQ(0, ptw_read_u64(INTERRUPTED, &after));

		/* CLD_CONTINUED ended the wait, the bit still set: not counted. */
		ASSERT_LT(cont, __atomic_load_n(&cld_continued, __ATOMIC_RELAXED))
			TH_LOG("round %d: no CLD_CONTINUED handled", i);
		ASSERT_EQ(before, after) TH_LOG("round %d", i);
		ASSERT_EQ(-1, ret) TH_LOG("round %d: the request succeeded", i);
		ASSERT_EQ(ESRCH, err) TH_LOG("round %d: %s", i, strerror(err));

		/* The tracee traps all the same, after the group stop. */
		ASSERT_EQ(self->tracee, waitpid(self->tracee, &status, __WALL));
		ASSERT_TRUE(WIFSTOPPED(status));
		ASSERT_EQ(PTRACE_EVENT_STOP, status >> 16);
	}
	EXPECT_EQ(3, ptw_count_trace(self->tracee, "ptrace_check_attach",
				     "reason=ESRCH_WAKING_INTERRUPTED"));
	EXPECT_EQ(0, ptw_count_trace(self->tracee, "ptrace_check_attach",
				     "reason=OK_AFTER_WAKING"));
}

TEST_HARNESS_MAIN
