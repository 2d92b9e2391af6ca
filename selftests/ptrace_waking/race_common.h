/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the race reproducers (race_*.c), kill_storm and
 * bench_ptrace.
 *
 * Usage of every race program:  PROG [ITERATIONS] [ANTAGONISTS] [TIMEOUT_SEC]
 * Output: one summary line
 *   "scenario=... iterations=N esrch=E other_errors=O calls=C
 *    calls_esrch=S calls_ok=K ..."
 *   esrch        = ESRCH from requests issued after waitpid() reported the
 *                  tracee stopped and before it was resumed (protocol).
 *   other_errors = any other unexpected failure.
 *   calls        = requests that reach ptrace_check_attach(): every
 *                  request but PTRACE_TRACEME, PTRACE_ATTACH and
 *                  PTRACE_SEIZE (the target always exists here).
 *   calls_esrch  = those that failed with ESRCH: ptrace_check_attach()
 *                  returned -ESRCH.
 *   calls_ok     = the others: ptrace_check_attach() returned 0 and the
 *                  request returned 0, or failed later with another errno
 *                  (PTRACE_GETSIGINFO's EINVAL in a group-stop).
 * The calls_* fields are what the ptrace:ptrace_check_attach tracepoint
 * sees, one event per call, so the ptrace_waking module's calls, esrch and
 * ok counters must equal them when nothing else uses ptrace.
 * Every request goes through race_ptrace(); ptrace() itself is poisoned.
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

#include "ptw_util.h"

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
static long n_calls, n_calls_esrch, n_calls_ok;

/*
 * The one way the reproducers issue a ptrace request: counted as the
 * kernel's ptrace_check_attach tracepoint counts it.  errno is kept.
 */
static inline long race_ptrace(int req, pid_t pid, void *addr, void *data)
{
	long r;
	int err;

	errno = 0;
	r = ptrace((enum __ptrace_request)req, pid, addr, data);
	err = errno;
	if (req != PTRACE_TRACEME && req != PTRACE_ATTACH && req != PTRACE_SEIZE) {
		n_calls++;
		if (r == -1 && err == ESRCH)
			n_calls_esrch++;
		else
			n_calls_ok++;
	}
	errno = err;
	return r;
}

/* Anything else would be missing from calls=. */
#pragma GCC poison ptrace

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

/*
 * The tracee of most scenarios: a child that loops on getppid() (a cheap
 * syscall, so syscall-stops come fast) and dies with its parent.
 * Returns its pid (tracked for cleanup()), or -1.
 */
static inline pid_t spawn_spinner(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		die_child_with_parent();
		for (;;)
			getppid();
	}
	if (pid > 0)
		track(pid);
	return pid;
}

/* PTRACE_SEIZE @pid with @opts and PTRACE_INTERRUPT it; 0 or -1. */
static inline int seize_interrupt(pid_t pid, long opts)
{
	if (race_ptrace(PTRACE_SEIZE, pid, 0, (void *)opts)) {
		perror("PTRACE_SEIZE");
		return -1;
	}
	return race_ptrace(PTRACE_INTERRUPT, pid, 0, 0) ? -1 : 0;
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

	return race_ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov);
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
		r = race_ptrace(req, pid, 0, (void *)sig);
		if (r != -1 || errno != ESRCH || timed_out())
			return r;
		usleep(10);
	}
	return r;
}

/*
 * Wait for the next PTRACE_EVENT_STOP of the seized @pid.  A
 * signal-delivery-stop on the way (SIGCONT from the tracer or an
 * antagonist) is suppressed, with a PTRACE_INTERRUPT so that the tracee
 * traps again.  0, or -1 if the tracee died or the watchdog fired.
 */
static inline int get_event_stop(pid_t pid)
{
	int status;

	for (;;) {
		if (wait_for(pid, &status) < 0)
			return -1;
		if (WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP)
			return 0;
		race_ptrace(PTRACE_INTERRUPT, pid, 0, 0);
		if (resume_retry(PTRACE_CONT, pid, 0) == -1)
			return -1;
	}
}

/*
 * A PTRACE_TRACEME child that stops itself with SIGSTOP and then loops on
 * getppid(), driven with PTRACE_SYSCALL: the tracee of the 2010 seed
 * scenarios.  Returns its pid once it is stopped and has the options
 * PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL, or -1.
 */
static inline pid_t spawn_traceme(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		die_child_with_parent();
		race_ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		for (;;)
			getppid();
	}
	if (pid < 0)
		return -1;
	track(pid);
	if (wait_for(pid, &status) < 0)
		return -1;
	race_ptrace(PTRACE_SETOPTIONS, pid, 0,
		    (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
	return pid;
}

/*
 * An antagonist process: blasts SIGSTOP (@stop_percent of the time) and
 * SIGCONT at @target until it is gone.  Tracked for cleanup().
 */
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

/* @n antagonists against @target; 0, or -1 if a fork failed. */
static inline int start_antagonists(pid_t target, long n, int stop_percent)
{
	long i;

	for (i = 0; i < n; i++)
		if (start_antagonist(target, stop_percent) < 0)
			return -1;
	return 0;
}

static inline long arg(int argc, char **argv, int i, long def)
{
	return argc > i ? strtol(argv[i], NULL, 0) : def;
}

/*
 * The command line of a race program, PROG [ITERATIONS] [ANTAGONISTS]
 * [TIMEOUT_SEC], with these defaults; arms the watchdog.
 */
static inline void race_args(int argc, char **argv, long *iters, long *nant)
{
	*iters = arg(argc, argv, 1, *iters);
	*nant = arg(argc, argv, 2, *nant);
	setup_watchdog(arg(argc, argv, 3, default_timeout(*iters)));
}

static inline int finish(const char *scenario, const char *extra)
{
	int to = timed_out();

	cleanup();
	printf("scenario=%s iterations=%ld esrch=%ld other_errors=%ld ",
	       scenario, n_iter, n_esrch, n_other);
	printf("calls=%ld calls_esrch=%ld calls_ok=%ld%s%s%s\n",
	       n_calls, n_calls_esrch, n_calls_ok, extra ? " " : "",
	       extra ? extra : "", to ? " TIMEOUT" : "");
	fflush(stdout);
	return to ? 2 : 0;
}

/* Summary line of a run that could not set up; exit status 1. */
static inline int setup_failed(const char *scenario)
{
	finish(scenario, "setup-failed");
	return 1;
}

/*
 * The 2010 seed scenarios (race_seed, race_stop_cont): a PTRACE_TRACEME
 * tracee (spawn_traceme()) driven with PTRACE_SYSCALL and waitpid(),
 * while ANTAGONISTS (default 1) send it SIGSTOP (@stop_percent of the
 * time) and SIGCONT.  An ESRCH on the resume is a protocol failure:
 * counted in esrch and @resume_esrch, and retried.  Each reported stop is
 * handled by @on_stop(), which returns the signal to inject with the next
 * resume.  Returns 0 when the run is over, -1 if it could not set up.
 */
static inline int traceme_race(int argc, char **argv, int stop_percent,
			       long (*on_stop)(pid_t pid, int status), long *resume_esrch)
{
	long iters = 20000, nant = 1, sig = 0;
	int status;
	pid_t pid;

	*resume_esrch = 0;
	race_args(argc, argv, &iters, &nant);
	pid = spawn_traceme();
	if (pid < 0 || start_antagonists(pid, nant, stop_percent))
		return -1;
	while (n_iter < iters && !timed_out()) {
		if (account(race_ptrace(PTRACE_SYSCALL, pid, 0, (void *)sig),
			    "PTRACE_SYSCALL", pid, resume_esrch) == ESRCH) {
			n_esrch++;
			if (resume_retry(PTRACE_SYSCALL, pid, sig) == -1)
				break;
		}
		if (wait_for(pid, &status) < 0)
			break;
		if (!WIFSTOPPED(status))
			continue;
		sig = on_stop(pid, status);
		n_iter++;
	}
	return 0;
}

/*
 * The PTRACE_LISTEN window scenarios (race_listen, race_listen_interrupt).
 * A seized tracee sits in a PTRACE_EVENT_STOP.  Each iteration the tracer
 * issues PTRACE_LISTEN, then @kick() kicks the LISTENING tracee out of its
 * trap to re-trap (it has happened when @kick returns), and at once the
 * tracer asks PTRACE_GETSIGINFO ("eager" request, before waitpid).  That
 * request lands in the window between the kick and the re-trap: without
 * the waking path it fails with ESRCH (LISTENING, then not stopped)
 * unless the tracee was faster; with it, it waits for the re-trap and
 * succeeds.  Then the tracer waits for the re-trap (EVENT_STOP) as
 * ptrace(2) says and asks PTRACE_GETSIGINFO again ("protocol" request):
 * ESRCH there is counted in esrch and is expected to be 0 on every kernel.
 * ANTAGONISTS (default 0) blast SIGCONT asynchronously.
 * Output: eager_esrch / eager_ok count the eager request, listen_esrch and
 * kick_esrch the PTRACE_LISTENs and kicks that failed.
 */
static inline int listen_race(int argc, char **argv, const char *scenario,
			      long (*kick)(pid_t pid))
{
	long iters = 20000, nant = 0;
	long eager_esrch = 0, eager_ok = 0, listen_esrch = 0, kick_esrch = 0;
	char extra[200];
	siginfo_t si;
	pid_t pid;

	race_args(argc, argv, &iters, &nant);
	pid = spawn_spinner();
	if (pid < 0 || seize_interrupt(pid, PTRACE_O_EXITKILL) ||
	    get_event_stop(pid) || start_antagonists(pid, nant, 0))
		return setup_failed(scenario);

	while (n_iter < iters && !timed_out()) {
		if (account(race_ptrace(PTRACE_LISTEN, pid, 0, 0), "PTRACE_LISTEN",
			    pid, &listen_esrch))
			break;
		if (account(kick(pid), "kick", pid, &kick_esrch))
			break;
		if (account(race_ptrace(PTRACE_GETSIGINFO, pid, 0, &si),
			    "GETSIGINFO(eager)", pid, &eager_esrch) == 0)
			eager_ok++;
		if (get_event_stop(pid))
			break;
		account(race_ptrace(PTRACE_GETSIGINFO, pid, 0, &si), "GETSIGINFO",
			pid, &n_esrch);
		n_iter++;
	}
	snprintf(extra, sizeof(extra),
		 "eager_esrch=%ld eager_ok=%ld listen_esrch=%ld kick_esrch=%ld",
		 eager_esrch, eager_ok, listen_esrch, kick_esrch);
	return finish(scenario, extra);
}

#endif /* PTRACE_WAKING_RACE_COMMON_H */
