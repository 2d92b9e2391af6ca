/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the PT_WAKING behaviour tests (waking_*.c): a seized tracee
 * parked in PTRACE_LISTEN, a real-time hog that keeps a kicked tracee
 * from running (so that it stays in its PT_WAKING window for as long as
 * a test needs), the ptrace:* events of one task, and cgroup freezers.
 */
#ifndef PTRACE_WAKING_WAKING_COMMON_H
#define PTRACE_WAKING_WAKING_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "ptw_util.h"

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

#define WK_RT_RUNTIME	"/proc/sys/kernel/sched_rt_runtime_us"
#define WK_FAIR_SERVER	"/sys/kernel/debug/sched/fair_server/cpu%d/runtime"

/* The bound of the waking wait (PTRACE_WAKING_TIMEOUT, one second). */
#define WK_BOUND_MS	1000
/* "At once": well below the bound, far above a request on TCG. */
#define WK_PROMPT_MS	400

static inline long long wk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static inline int wk_pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(pid, sizeof(set), &set);
}

static inline void wk_kill_reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

/*
 * Seize @pid, stop it with PTRACE_INTERRUPT, wait for the EVENT_STOP and
 * put it in PTRACE_LISTEN.  0 or -errno.
 */
static inline int wk_seize_listen(pid_t pid)
{
	int status;

	if (ptrace(PTRACE_SEIZE, pid, 0, 0) || ptrace(PTRACE_INTERRUPT, pid, 0, 0))
		return -errno;
	if (waitpid(pid, &status, __WALL) != pid)
		return -errno;
	if (!WIFSTOPPED(status) || (status >> 16) != PTRACE_EVENT_STOP)
		return -EPROTO;
	return ptrace(PTRACE_LISTEN, pid, 0, 0) ? -errno : 0;
}

/*
 * Fixture setup shared by the waking_* tests: save kernel.ptrace_waking
 * into @saved (restored by the teardown).  Fails, and the test must be
 * skipped, unless root on a kernel with the series.
 */
static inline int wk_save_waking(char *saved, size_t size)
{
	return geteuid() ? -EPERM : ptw_read_str(PTW_SYSCTL, saved, size);
}

#define WK_NO_WAKING	"needs root and " PTW_SYSCTL " (a kernel with the PT_WAKING series)"

/*
 * A tracee on CPU 1 parked in PTRACE_LISTEN, and the caller made a
 * SCHED_FIFO tracer on the same CPU: after a kick the tracee can't run
 * (and re-trap) before the tracer sleeps, so a request right after the
 * kick lands in the window every time.  Returns the tracee or -errno.
 */
static inline pid_t wk_fifo_tracer_on_listening_tracee(void)
{
	struct sched_param sp = { .sched_priority = 10 };
	pid_t pid;
	int ret;

	if (wk_pin(0, 1))
		return -errno;
	pid = ptw_fork_child();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		for (;;)
			getppid();
	}
	ret = wk_seize_listen(pid);
	/* Only now: the tracee stays a fair task, the tracer preempts it. */
	if (!ret && sched_setscheduler(0, SCHED_FIFO, &sp))
		ret = -errno;
	if (ret) {
		wk_kill_reap(pid);
		return ret;
	}
	return pid;
}

/* Back to SCHED_OTHER (the teardown of the above). */
static inline void wk_tracer_normal(void)
{
	struct sched_param sp = { .sched_priority = 0 };

	sched_setscheduler(0, SCHED_OTHER, &sp);
}

/*
 * A SCHED_FIFO hog on one CPU, with RT throttling and that CPU's fair
 * server off, so that a fair task on that CPU does not run at all while
 * the hog spins.  It gives the CPU back when told to, and after
 * @max_ms whatever happens.
 */
struct wk_hog {
	pid_t pid;
	pid_t probe;		/* starved fair task, reaped after the hog */
	int cpu;
	int *shared;		/* [0] stop request, [1] spinning, [2] done, [3] probe */
	char rt_runtime[32];
	char fair_runtime[32];
};

/*
 * The hog really holds its CPU: a fair task on that CPU makes no progress
 * for 300 ms.  (A fair server that was already running finishes its
 * period first.)  0, or -EBUSY if fair tasks still run there after 3 s.
 */
static inline int wk_hog_holds(struct wk_hog *h)
{
	long long t0 = wk_now_ms();
	int ret = -EBUSY, before;
	pid_t probe = ptw_fork_child();

	if (probe < 0)
		return -errno;
	/* Reaped by wk_hog_stop(): it can't run to die while the hog runs. */
	h->probe = probe;
	if (probe == 0) {
		wk_pin(0, h->cpu);
		for (;;)
			__atomic_add_fetch(&h->shared[3], 1, __ATOMIC_SEQ_CST);
	}
	while (wk_now_ms() - t0 < 3000) {
		before = __atomic_load_n(&h->shared[3], __ATOMIC_SEQ_CST);
		usleep(300000);
		if (before == __atomic_load_n(&h->shared[3], __ATOMIC_SEQ_CST)) {
			ret = 0;
			break;
		}
	}
	kill(probe, SIGKILL);
	return ret;
}

static inline int wk_hog_start(struct wk_hog *h, int cpu, int max_ms)
{
	struct sched_param sp = { .sched_priority = 50 };
	char fair[96];
	long long t0;

	memset(h, 0, sizeof(*h));
	h->cpu = cpu;
	snprintf(fair, sizeof(fair), WK_FAIR_SERVER, cpu);
	if (ptw_read_str(WK_RT_RUNTIME, h->rt_runtime, sizeof(h->rt_runtime)) ||
	    ptw_read_str(fair, h->fair_runtime, sizeof(h->fair_runtime)))
		return -ENOENT;
	h->shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (h->shared == MAP_FAILED) {
		h->shared = NULL;
		return -ENOMEM;
	}
	if (ptw_write_str(WK_RT_RUNTIME, "-1") || ptw_write_str(fair, "0"))
		return -EIO;
	h->pid = ptw_fork_child();
	if (h->pid < 0)
		return -errno;
	if (h->pid == 0) {
		wk_pin(0, cpu);
		if (sched_setscheduler(0, SCHED_FIFO, &sp))
			_exit(1);
		__atomic_store_n(&h->shared[1], 1, __ATOMIC_SEQ_CST);
		t0 = wk_now_ms();
		while (!__atomic_load_n(&h->shared[0], __ATOMIC_SEQ_CST) &&
		       wk_now_ms() - t0 < max_ms)
			;
		__atomic_store_n(&h->shared[2], 1, __ATOMIC_SEQ_CST);
		_exit(0);
	}
	while (!__atomic_load_n(&h->shared[1], __ATOMIC_SEQ_CST)) {
		if (waitpid(h->pid, NULL, WNOHANG) == h->pid) {
			h->pid = 0;
			return -EPERM;
		}
		usleep(1000);
	}
	return wk_hog_holds(h);
}

static inline bool wk_hog_done(struct wk_hog *h)
{
	return !h->shared || __atomic_load_n(&h->shared[2], __ATOMIC_SEQ_CST);
}

static inline void wk_hog_stop(struct wk_hog *h)
{
	char fair[96];

	if (h->shared)
		__atomic_store_n(&h->shared[0], 1, __ATOMIC_SEQ_CST);
	if (h->pid > 0)
		waitpid(h->pid, NULL, 0);
	h->pid = 0;
	wk_kill_reap(h->probe);
	h->probe = 0;
	snprintf(fair, sizeof(fair), WK_FAIR_SERVER, h->cpu);
	if (h->fair_runtime[0])
		ptw_write_str(fair, h->fair_runtime);
	if (h->rt_runtime[0])
		ptw_write_str(WK_RT_RUNTIME, h->rt_runtime);
	h->fair_runtime[0] = '\0';
	h->rt_runtime[0] = '\0';
}

/* Empty the ftrace buffer and trace the ptrace:* events. */
static inline int wk_trace_start(void)
{
	return ptw_write_str(PTW_TRACING "/trace", "") ||
	       ptw_write_str(PTW_TRACING "/events/ptrace/enable", "1") ||
	       ptw_write_str(PTW_TRACING "/tracing_on", "1") ? -EIO : 0;
}

static inline void wk_trace_stop(void)
{
	ptw_write_str(PTW_TRACING "/events/ptrace/enable", "0");
}

/*
 * Mount a cgroup hierarchy at @dir unless one is there: "cgroup2", or
 * "freezer" for the v1 freezer.  0 or -errno.
 */
static inline int wk_cgroup_mount(const char *dir, const char *kind)
{
	bool v2 = !strcmp(kind, "cgroup2");
	struct statfs sfs;

	mkdir(dir, 0755);
	if (!statfs(dir, &sfs) &&
	    sfs.f_type == (v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC))
		return 0;
	if (v2 ? mount("none", dir, "cgroup2", 0, NULL) :
		 mount("none", dir, "cgroup", 0, "freezer"))
		return -errno;
	return 0;
}

/* Make @dir/@name and move @pid into it.  0 or -errno. */
static inline int wk_cgroup_enter(const char *dir, const char *name, pid_t pid)
{
	char path[256], buf[32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", dir, name);
	snprintf(buf, sizeof(buf), "%d", pid);
	return ptw_write_str(path, buf);
}

/*
 * Freeze (or thaw) @dir/@name and wait up to @ms for the freezer to say
 * it is done.  Returns the milliseconds it took, or -1 on timeout.
 */
static inline long long wk_cgroup_freeze(const char *dir, const char *name,
					 bool v2, bool freeze, int ms)
{
	char path[256], buf[512];
	long long t0 = wk_now_ms();

	snprintf(path, sizeof(path), "%s/%s/%s", dir, name,
		 v2 ? "cgroup.freeze" : "freezer.state");
	if (ptw_write_str(path, v2 ? (freeze ? "1" : "0") :
			  (freeze ? "FROZEN" : "THAWED")))
		return -1;
	if (v2)
		snprintf(path, sizeof(path), "%s/%s/cgroup.events", dir, name);
	while (wk_now_ms() - t0 <= ms) {
		if (!ptw_read_str(path, buf, sizeof(buf))) {
			if (v2 && strstr(buf, freeze ? "frozen 1" : "frozen 0"))
				return wk_now_ms() - t0;
			if (!v2 && !strcmp(buf, freeze ? "FROZEN" : "THAWED"))
				return wk_now_ms() - t0;
		}
		usleep(1000);
	}
	return -1;
}

/* Move everything in @dir/@name back to the root and remove the group. */
static inline void wk_cgroup_remove(const char *dir, const char *name)
{
	char path[256], root[256], line[32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", dir, name);
	snprintf(root, sizeof(root), "%s/cgroup.procs", dir);
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			ptw_write_str(root, line);
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rmdir(path);
}

#endif /* PTRACE_WAKING_WAKING_COMMON_H */
