// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs ABI of the ptrace_waking module, as documented in
 * Documentation/ABI/testing/debugfs-ptrace-waking: load it, check every
 * file, its mode and format, that the counters count what they claim
 * (exactly, for a known number of ESRCH failures), that reset and its
 * input validation work, that stats stays consistent under concurrent
 * traffic and resets, that the module unloads under ptrace traffic, and
 * that its directory is gone after unload.
 *
 * The module is taken from $PTRACE_WAKING_KO, else ./ptrace_waking.ko
 * next to this binary.  Needs root and a mounted debugfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "ptw_util.h"

#define DEBUGFS		"/sys/kernel/debug"
#define PTW_DIR		DEBUGFS "/ptrace_waking"
#define DEBUGFS_MAGIC	0x64626720

/* Read a whole small file into buf; returns length or -errno. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

/*
 * The documented ABI.  Keep in sync with
 * Documentation/ABI/testing/debugfs-ptrace-waking.
 */
static const char *const counter_files[] = {
	"calls", "ok", "esrch", "ret_other", "waking_path", "waking_ok",
	"waking_esrch", "wait_ns_total", "wait_ns_max", "waking_set",
	"waking_cleared",
};

static const char *const reason_files[] = {
	"ok", "ok_ignore_state", "ok_after_waking", "not_traced",
	"not_stopped", "listening", "fatal_signal", "exec_pid", "inactive",
	"waking_off", "waking_timeout", "waking_killed", "waking_failed",
	"unknown",
};

static const char *const site_files[] = {
	"prepare_signal", "trap_notify", "listen", "attach", "ptrace_stop",
	"ptrace_stop_abort", "get_signal", "unlink", "exit", "fatal_signal",
	"unknown",
};

/* Other files at the top level, with their modes. */
static const struct {
	const char *name;
	mode_t mode;
} other_files[] = {
	{ "version", 0400 },
	{ "stats", 0400 },
	{ "wait_histogram", 0400 },
	{ "wait_summary", 0400 },
	{ "last_esrch", 0400 },
	{ "reset", 0200 },
};

/* The lines of "stats", in this order; later versions may append more. */
static const char *const stats_names[] = {
	"calls", "ok", "esrch", "ret_other", "waking_path", "waking_ok",
	"waking_esrch", "wait_ns_total", "wait_ns_max", "waking_set",
	"waking_cleared",
	"reason_ok", "reason_ok_ignore_state", "reason_ok_after_waking",
	"reason_not_traced", "reason_not_stopped", "reason_listening",
	"reason_fatal_signal", "reason_exec_pid", "reason_inactive",
	"reason_waking_off", "reason_waking_timeout", "reason_waking_killed",
	"reason_waking_failed", "reason_unknown",
	"site_prepare_signal", "site_trap_notify", "site_listen",
	"site_attach", "site_ptrace_stop", "site_ptrace_stop_abort",
	"site_get_signal", "site_unlink", "site_exit", "site_fatal_signal",
	"site_unknown",
};

static const char *const summary_names[] = {
	"count", "total_ns", "max_ns", "mean_ns", "p50_ns", "p90_ns", "p99_ns",
};

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define N_STATS		ARRAY_LEN(stats_names)
#define MAX_KV		128

struct kv {
	char name[64];
	unsigned long long v;
};

/*
 * Parse "name value\n" lines.  Returns the number of lines, or -EINVAL
 * if a line is malformed (value not a plain decimal u64, no newline).
 */
static int parse_kv(char *buf, struct kv *kv, int max)
{
	int n = 0;

	while (*buf) {
		char *nl = strchr(buf, '\n'), *sp, *end;

		if (!nl || n == max)
			return -EINVAL;
		*nl = '\0';
		sp = strchr(buf, ' ');
		if (!sp || sp == buf || (size_t)(sp - buf) >= sizeof(kv->name))
			return -EINVAL;
		memcpy(kv[n].name, buf, sp - buf);
		kv[n].name[sp - buf] = '\0';
		if (sp[1] < '0' || sp[1] > '9')
			return -EINVAL;
		errno = 0;
		kv[n].v = strtoull(sp + 1, &end, 10);
		if (errno || *end)
			return -EINVAL;
		n++;
		buf = nl + 1;
	}
	return n;
}

static int read_kv(const char *path, struct kv *kv, int max)
{
	char buf[8192];
	ssize_t n = read_file(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	return parse_kv(buf, kv, max);
}

/* Value of @name in @kv, or ULLONG_MAX if there is no such line. */
static unsigned long long kv_get(const struct kv *kv, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(kv[i].name, name))
			return kv[i].v;
	return ULLONG_MAX;
}

/* Read a file that holds one decimal u64 and a newline. */
static int read_u64(const char *path, unsigned long long *v)
{
	char buf[64], *end;
	ssize_t n = read_file(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	if (n < 2 || buf[n - 1] != '\n' || buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || *end != '\n')
		return -EINVAL;
	return 0;
}

static unsigned long long counter(const char *rel)
{
	char path[PATH_MAX];
	unsigned long long v;

	snprintf(path, sizeof(path), PTW_DIR "/%s", rel);
	return read_u64(path, &v) ? ULLONG_MAX : v;
}

/* One write(2) of @len bytes to reset: 0, or -errno. */
static int write_reset(const void *buf, size_t len)
{
	int fd = open(PTW_DIR "/reset", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	n = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return n;
}

/*
 * Fork a child that dies with its parent, so that nothing is left
 * behind when a test fails half-way.  Returns like fork().
 */
static pid_t fork_child(void)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
	}
	return pid;
}

/* A child that only sleeps; the caller kills and reaps it. */
static pid_t sleeper(void)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void kill_reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
}

/*
 * @n PTRACE_PEEKUSER requests on @pid that are expected to fail with
 * ESRCH.  Returns how many did.
 */
static int peek_esrch(pid_t pid, int n)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		errno = 0;
		if (ptrace(PTRACE_PEEKUSER, pid, 0, 0) == -1 && errno == ESRCH)
			failed++;
	}
	return failed;
}

/*
 * A seized child stopped by PTRACE_INTERRUPT: requests on it succeed
 * (reason ok).  Returns its pid, or -1.
 */
static pid_t stopped_tracee(void)
{
	pid_t pid = sleeper();
	int status;

	if (pid < 0)
		return -1;
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) ||
	    ptrace(PTRACE_INTERRUPT, pid, 0, 0) ||
	    waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status)) {
		kill_reap(pid);
		return -1;
	}
	return pid;
}

/*
 * Background ptrace traffic: a process that issues requests that fail
 * with ESRCH (not_traced) and requests that succeed (ok), until killed.
 * It and its children die with the test.
 */
static pid_t traffic(void)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		pid_t victim = sleeper(), tracee = stopped_tracee();

		if (victim < 0 || tracee < 0)
			_exit(1);
		for (;;) {
			ptrace(PTRACE_PEEKUSER, victim, 0, 0);
			ptrace(PTRACE_PEEKUSER, tracee, 0, 0);
		}
	}
	return pid;
}

/*
 * A tracer and an antagonist: the race_listen reproducer next to this
 * binary, with one extra SIGCONT sender, so that the waking path and both
 * tracepoints fire all the time.  Runs until killed.
 */
static pid_t race_traffic(void)
{
	char path[PATH_MAX];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/race_listen", ptw_self_dir());
	if (access(path, X_OK))
		return -1;
	pid = fork_child();
	if (pid == 0) {
		execl(path, path, "100000000", "1", NULL);
		_exit(127);
	}
	return pid;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE(module) {
	bool loaded;
};

FIXTURE_SETUP(module)
{
	struct statfs sfs;
	const char *ko = ptw_module_path();
	int ret;

	self->loaded = false;
	if (geteuid())
		SKIP(return, "needs root");
	if (statfs(DEBUGFS, &sfs) || sfs.f_type != DEBUGFS_MAGIC)
		SKIP(return, "debugfs is not mounted at " DEBUGFS);
	if (access(ko, R_OK))
		SKIP(return, "module %.200s not found (set PTRACE_WAKING_KO)", ko);

	/* A module left over from an earlier run must not fail the test. */
	ptw_unload_module();
	ret = ptw_load_module(ko);
	ASSERT_EQ(0, ret) TH_LOG("loading %s: %s", ko, strerror(-ret));
	self->loaded = true;
}

FIXTURE_TEARDOWN(module)
{
	if (self->loaded)
		ptw_unload_module();
}

TEST_F(module, version_file)
{
	struct stat st;
	char buf[64], *end;
	unsigned long v;
	ssize_t n;

	ASSERT_EQ(0, stat(PTW_DIR, &st)) TH_LOG("%s: %s", PTW_DIR, strerror(errno));
	ASSERT_TRUE(S_ISDIR(st.st_mode));

	ASSERT_EQ(0, stat(PTW_DIR "/version", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	/* Read-only: nobody may write it, not even root. */
	EXPECT_EQ(0U, st.st_mode & 0222) TH_LOG("mode %o", st.st_mode & 07777);

	n = read_file(PTW_DIR "/version", buf, sizeof(buf));
	ASSERT_GT(n, 0) TH_LOG("read: %s", strerror((int)-n));
	ASSERT_EQ('\n', buf[n - 1]) TH_LOG("no trailing newline: '%s'", buf);
	errno = 0;
	v = strtoul(buf, &end, 10);
	ASSERT_EQ(0, errno);
	EXPECT_EQ('\n', *end) TH_LOG("not a decimal number: '%s'", buf);
	EXPECT_EQ(1UL, v);
}

TEST_F(module, version_rejects_writes)
{
	char buf[64];
	ssize_t n;
	int fd;

	/*
	 * Root may open a 0444 file for writing (CAP_DAC_OVERRIDE), so the
	 * contract is that the write itself fails and changes nothing.
	 */
	fd = open(PTW_DIR "/version", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		EXPECT_EQ(-1, write(fd, "2\n", 2));
		close(fd);
	}
	n = read_file(PTW_DIR "/version", buf, sizeof(buf));
	ASSERT_GT(n, 0);
	EXPECT_STREQ("1\n", buf);
}

TEST_F(module, unload_removes_directory)
{
	struct stat st;

	ASSERT_EQ(0, stat(PTW_DIR, &st));
	ASSERT_EQ(0, ptw_unload_module());
	self->loaded = false;
	EXPECT_EQ(-1, stat(PTW_DIR, &st));
	EXPECT_EQ(ENOENT, errno);
	/* ... and it comes back on the next load. */
	ASSERT_EQ(0, ptw_load_module(ptw_module_path()));
	self->loaded = true;
	EXPECT_EQ(0, stat(PTW_DIR "/version", &st));
}

TEST_F(module, files_and_modes)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < ARRAY_LEN(counter_files); i++) {
		snprintf(path, sizeof(path), PTW_DIR "/%s", counter_files[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
		EXPECT_TRUE(S_ISREG(st.st_mode));
		EXPECT_EQ(0400U, st.st_mode & 07777)
			TH_LOG("%s: mode %o", path, st.st_mode & 07777);
	}
	for (i = 0; i < ARRAY_LEN(other_files); i++) {
		snprintf(path, sizeof(path), PTW_DIR "/%s", other_files[i].name);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
		EXPECT_TRUE(S_ISREG(st.st_mode));
		EXPECT_EQ(other_files[i].mode, st.st_mode & 07777)
			TH_LOG("%s: mode %o", path, st.st_mode & 07777);
	}
	ASSERT_EQ(0, stat(PTW_DIR "/reasons", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	for (i = 0; i < ARRAY_LEN(reason_files); i++) {
		snprintf(path, sizeof(path), PTW_DIR "/reasons/%s", reason_files[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
		EXPECT_EQ(0400U, st.st_mode & 07777)
			TH_LOG("%s: mode %o", path, st.st_mode & 07777);
	}
	ASSERT_EQ(0, stat(PTW_DIR "/waking_sites", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	for (i = 0; i < ARRAY_LEN(site_files); i++) {
		snprintf(path, sizeof(path), PTW_DIR "/waking_sites/%s", site_files[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
		EXPECT_EQ(0400U, st.st_mode & 07777)
			TH_LOG("%s: mode %o", path, st.st_mode & 07777);
	}
}

/* Counter files reject writes; reset can't be read. */
TEST_F(module, access_is_enforced)
{
	char path[PATH_MAX], buf[64];
	int fd;

	for (size_t i = 0; i < ARRAY_LEN(counter_files); i++) {
		snprintf(path, sizeof(path), PTW_DIR "/%s", counter_files[i]);
		/* Root may open it for writing anyway (CAP_DAC_OVERRIDE). */
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			EXPECT_EQ(-1, write(fd, "0\n", 2)) TH_LOG("%s", path);
			close(fd);
		}
	}
	fd = open(PTW_DIR "/reset", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
		close(fd);
	}
}

TEST_F(module, counters_are_decimal)
{
	char path[PATH_MAX];
	unsigned long long v;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_LEN(counter_files); i++) {
		snprintf(path, sizeof(path), PTW_DIR "/%s", counter_files[i]);
		ret = read_u64(path, &v);
		EXPECT_EQ(0, ret) TH_LOG("%s: %s", path, strerror(-ret));
	}
	for (i = 0; i < ARRAY_LEN(reason_files); i++) {
		snprintf(path, sizeof(path), PTW_DIR "/reasons/%s", reason_files[i]);
		ret = read_u64(path, &v);
		EXPECT_EQ(0, ret) TH_LOG("%s: %s", path, strerror(-ret));
	}
	for (i = 0; i < ARRAY_LEN(site_files); i++) {
		snprintf(path, sizeof(path), PTW_DIR "/waking_sites/%s", site_files[i]);
		ret = read_u64(path, &v);
		EXPECT_EQ(0, ret) TH_LOG("%s: %s", path, strerror(-ret));
	}
}

TEST_F(module, stats_format)
{
	struct kv kv[MAX_KV], sum[ARRAY_LEN(summary_names) + 1];
	pid_t victim = sleeper();
	char buf[64], want[64];
	int n;

	ASSERT_GT(victim, 0);
	ASSERT_EQ(3, peek_esrch(victim, 3));
	kill_reap(victim);

	n = read_kv(PTW_DIR "/stats", kv, MAX_KV);
	ASSERT_GE(n, (int)N_STATS) TH_LOG("stats: %d lines (%s)", n, n < 0 ? strerror(-n) : "");
	for (size_t i = 0; i < N_STATS; i++) {
		EXPECT_STREQ(stats_names[i], kv[i].name) TH_LOG("stats line %zu", i + 1);
	}
	EXPECT_LE(kv_get(kv, n, "ok") + kv_get(kv, n, "esrch"), kv_get(kv, n, "calls"));
	EXPECT_LE(3ULL, kv_get(kv, n, "esrch"));

	/* The single-value files agree with stats when nothing runs. */
	for (size_t i = 0; i < ARRAY_LEN(counter_files); i++) {
		EXPECT_EQ(kv_get(kv, n, counter_files[i]), counter(counter_files[i]))
			TH_LOG("%s", counter_files[i]);
	}

	n = read_kv(PTW_DIR "/wait_summary", sum, ARRAY_LEN(sum));
	ASSERT_EQ((int)ARRAY_LEN(summary_names), n) TH_LOG("wait_summary: %d", n);
	for (size_t i = 0; i < ARRAY_LEN(summary_names); i++) {
		EXPECT_STREQ(summary_names[i], sum[i].name);
	}

	/* The last ESRCH was ours. */
	snprintf(want, sizeof(want), "%d not_traced\n", victim);
	ASSERT_GT(read_file(PTW_DIR "/last_esrch", buf, sizeof(buf)), 0);
	EXPECT_STREQ(want, buf);
}

/* A known number of ESRCH failures is counted exactly, with its reason. */
TEST_F(module, esrch_counted_exactly)
{
	const int N = 100;
	unsigned long long calls0, esrch0, reason0, calls1, esrch1, reason1;
	pid_t victim, tracee;
	int status;

	/* Not traced by us: reason not_traced. */
	victim = sleeper();
	ASSERT_GT(victim, 0);
	calls0 = counter("calls");
	esrch0 = counter("esrch");
	reason0 = counter("reasons/not_traced");
	EXPECT_EQ(N, peek_esrch(victim, N));
	calls1 = counter("calls");
	esrch1 = counter("esrch");
	reason1 = counter("reasons/not_traced");
	kill_reap(victim);
	EXPECT_EQ((unsigned long long)N, esrch1 - esrch0);
	EXPECT_EQ((unsigned long long)N, reason1 - reason0);
	EXPECT_LE((unsigned long long)N, calls1 - calls0);

	/* Traced by us but running (seized, never stopped): not_stopped. */
	tracee = sleeper();
	ASSERT_GT(tracee, 0);
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, tracee, 0, 0))
		TH_LOG("PTRACE_SEIZE: %s", strerror(errno));
	calls0 = counter("calls");
	esrch0 = counter("esrch");
	reason0 = counter("reasons/not_stopped");
	EXPECT_EQ(N, peek_esrch(tracee, N));
	calls1 = counter("calls");
	esrch1 = counter("esrch");
	reason1 = counter("reasons/not_stopped");
	EXPECT_EQ((unsigned long long)N, esrch1 - esrch0);
	EXPECT_EQ((unsigned long long)N, reason1 - reason0);
	EXPECT_LE((unsigned long long)N, calls1 - calls0);

	/* Stopped tracee: the same request now succeeds, reason ok. */
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, tracee, 0, 0));
	ASSERT_EQ(tracee, waitpid(tracee, &status, __WALL));
	calls0 = counter("calls");
	esrch0 = counter("esrch");
	reason0 = counter("reasons/ok");
	for (int i = 0; i < N; i++) {
		errno = 0;
		ptrace(PTRACE_PEEKUSER, tracee, 0, 0);
		EXPECT_EQ(0, errno);
	}
	calls1 = counter("calls");
	esrch1 = counter("esrch");
	reason1 = counter("reasons/ok");
	kill_reap(tracee);
	EXPECT_EQ(0ULL, esrch1 - esrch0);
	EXPECT_EQ((unsigned long long)N, reason1 - reason0);
	EXPECT_LE((unsigned long long)N, calls1 - calls0);
}

/*
 * PTRACE_ATTACH to a group-stopped task kicks it out of the stop to
 * re-trap (JOBCTL_PT_WAKING set at site attach) and waits until it has
 * trapped (cleared at site ptrace_stop).
 */
TEST_F(module, waking_attach_to_stopped)
{
	unsigned long long set0, clr0, att0, stop0;
	int status;
	pid_t pid;

	pid = sleeper();
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));

	set0 = counter("waking_set");
	clr0 = counter("waking_cleared");
	att0 = counter("waking_sites/attach");
	stop0 = counter("waking_sites/ptrace_stop");
	ASSERT_EQ(0, ptrace(PTRACE_ATTACH, pid, 0, 0)) TH_LOG("PTRACE_ATTACH: %s", strerror(errno));
	EXPECT_EQ(pid, waitpid(pid, &status, __WALL));
	EXPECT_LE(set0 + 1, counter("waking_set"));
	EXPECT_LE(clr0 + 1, counter("waking_cleared"));
	EXPECT_LE(att0 + 1, counter("waking_sites/attach"));
	EXPECT_LE(stop0 + 1, counter("waking_sites/ptrace_stop"));
	kill_reap(pid);
}

static void expect_all_zero(struct __test_metadata *_metadata)
{
	struct kv kv[MAX_KV];
	char buf[256];
	int n;

	n = read_kv(PTW_DIR "/stats", kv, MAX_KV);
	ASSERT_GE(n, (int)N_STATS);
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(0ULL, kv[i].v) TH_LOG("stats: %s %llu", kv[i].name, kv[i].v);
	}
	for (size_t i = 0; i < ARRAY_LEN(counter_files); i++) {
		EXPECT_EQ(0ULL, counter(counter_files[i])) TH_LOG("%s", counter_files[i]);
	}
	for (size_t i = 0; i < ARRAY_LEN(reason_files); i++) {
		snprintf(buf, sizeof(buf), "reasons/%s", reason_files[i]);
		EXPECT_EQ(0ULL, counter(buf)) TH_LOG("%s", buf);
	}
	EXPECT_EQ(0, read_file(PTW_DIR "/wait_histogram", buf, sizeof(buf)));
	n = read_kv(PTW_DIR "/wait_summary", kv, MAX_KV);
	ASSERT_EQ((int)ARRAY_LEN(summary_names), n);
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(0ULL, kv[i].v) TH_LOG("wait_summary: %s", kv[i].name);
	}
	ASSERT_GT(read_file(PTW_DIR "/last_esrch", buf, sizeof(buf)), 0);
	EXPECT_STREQ("0 none\n", buf);
}

TEST_F(module, reset_zeroes_everything)
{
	pid_t victim = sleeper(), tracee;

	/* Make counters non-zero first, so that the test can't pass trivially. */
	ASSERT_GT(victim, 0);
	ASSERT_EQ(10, peek_esrch(victim, 10));
	kill_reap(victim);
	tracee = stopped_tracee();
	ASSERT_GT(tracee, 0);
	ptrace(PTRACE_PEEKUSER, tracee, 0, 0);
	kill_reap(tracee);
	ASSERT_LE(11ULL, counter("calls"));
	ASSERT_LE(10ULL, counter("esrch"));
	ASSERT_LE(1ULL, counter("ok"));
	ASSERT_LE(10ULL, counter("reasons/not_traced"));

	ASSERT_EQ(0, write_reset("1\n", 2));
	expect_all_zero(_metadata);

	/* Without the newline too. */
	victim = sleeper();
	ASSERT_GT(victim, 0);
	ASSERT_EQ(5, peek_esrch(victim, 5));
	kill_reap(victim);
	ASSERT_EQ(5ULL, counter("esrch"));
	ASSERT_EQ(0, write_reset("1", 1));
	expect_all_zero(_metadata);
}

TEST_F(module, reset_rejects_invalid_input)
{
	static const struct {
		const char *what;
		const char *buf;
		size_t len;
	} bad[] = {
		{ "garbage", "garbage\n", 8 },
		{ "0", "0\n", 2 },
		{ "2", "2\n", 2 },
		{ "empty", "", 0 },
		{ "1x", "1x", 2 },
		{ "1x\\n", "1x\n", 3 },
		{ "11", "11", 2 },
		{ "\\n1", "\n1", 2 },
		{ " 1", " 1", 2 },
		{ "1\\n\\n", "1\n\n", 3 },
		{ "1\\0", "1", 2 },
	};
	static char big[4096];
	struct kv before[MAX_KV], after[MAX_KV];
	pid_t victim = sleeper();
	int nb, na, ret;

	ASSERT_GT(victim, 0);
	ASSERT_EQ(7, peek_esrch(victim, 7));
	kill_reap(victim);
	nb = read_kv(PTW_DIR "/stats", before, MAX_KV);
	ASSERT_GE(nb, (int)N_STATS);
	ASSERT_LE(7ULL, kv_get(before, nb, "esrch"));

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		ret = write_reset(bad[i].buf, bad[i].len);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("'%s': %s", bad[i].what, strerror(-ret));
	}
	/* Oversized: "1\n" padded to 65 bytes, and 4096 bytes. */
	memset(big, '\n', sizeof(big));
	big[0] = '1';
	ret = write_reset(big, 65);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("65 bytes: %s", strerror(-ret));
	memset(big, '1', sizeof(big));
	ret = write_reset(big, sizeof(big));
	EXPECT_EQ(-EINVAL, ret) TH_LOG("4096 bytes: %s", strerror(-ret));

	na = read_kv(PTW_DIR "/stats", after, MAX_KV);
	ASSERT_EQ(nb, na);
	for (int i = 0; i < na; i++) {
		EXPECT_EQ(before[i].v, after[i].v) TH_LOG("%s changed", after[i].name);
	}
}

struct resetter {
	bool stop;	/* __atomic accesses only */
	int resets;
	int errors;
};

static void *reset_loop(void *arg)
{
	struct resetter *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		if (write_reset("1", 1))
			r->errors++;
		else
			r->resets++;
		usleep(500);
	}
	return NULL;
}

/* stats never shows a child sum above its parent, even while reset races. */
TEST_F_TIMEOUT(module, stats_consistent_under_traffic_and_reset, 60)
{
	struct resetter r = { 0 };
	struct kv kv[MAX_KV];
	pthread_t thread;
	pid_t load[2];
	int reads = 0, bad = 0;
	double end;

	load[0] = traffic();
	load[1] = traffic();
	ASSERT_GT(load[0], 0);
	ASSERT_GT(load[1], 0);
	ASSERT_EQ(0, pthread_create(&thread, NULL, reset_loop, &r));

	end = now() + 3;
	while (now() < end) {
		unsigned long long calls, ret_sum, reason_sum = 0, wpath, wsum;
		int n = read_kv(PTW_DIR "/stats", kv, MAX_KV);

		if (n < (int)N_STATS) {
			bad++;
			continue;
		}
		reads++;
		calls = kv_get(kv, n, "calls");
		ret_sum = kv_get(kv, n, "ok") + kv_get(kv, n, "esrch") +
			  kv_get(kv, n, "ret_other");
		for (int i = 0; i < n; i++)
			if (!strncmp(kv[i].name, "reason_", 7))
				reason_sum += kv[i].v;
		wpath = kv_get(kv, n, "waking_path");
		wsum = kv_get(kv, n, "waking_ok") + kv_get(kv, n, "waking_esrch");
		if (ret_sum > calls || reason_sum > calls || wpath > calls ||
		    wsum > wpath) {
			bad++;
			TH_LOG("calls %llu ok+esrch+ret_other %llu reasons %llu",
			       calls, ret_sum, reason_sum);
			TH_LOG("waking_path %llu waking_ok+waking_esrch %llu",
			       wpath, wsum);
		}
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
	pthread_join(thread, NULL);
	kill_reap(load[0]);
	kill_reap(load[1]);

	/*
	 * At rest, after thousands of racing resets, the ret counters and
	 * the waking subsets add up exactly again: nothing drifted.  The
	 * reasons may miss the few calls in flight during the last reset.
	 */
	{
		int n = read_kv(PTW_DIR "/stats", kv, MAX_KV);
		unsigned long long calls, reason_sum = 0;

		ASSERT_GE(n, (int)N_STATS);
		calls = kv_get(kv, n, "calls");
		for (int i = 0; i < n; i++)
			if (!strncmp(kv[i].name, "reason_", 7))
				reason_sum += kv[i].v;
		EXPECT_EQ(calls, kv_get(kv, n, "ok") + kv_get(kv, n, "esrch") +
				 kv_get(kv, n, "ret_other"));
		EXPECT_EQ(kv_get(kv, n, "waking_path"),
			  kv_get(kv, n, "waking_ok") + kv_get(kv, n, "waking_esrch"));
		EXPECT_LE(reason_sum, calls);
		EXPECT_LE(calls - reason_sum, 64ULL)
			TH_LOG("calls %llu reasons %llu", calls, reason_sum);
	}

	TH_LOG("%d stats reads, %d resets", reads, r.resets);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, r.errors);
	EXPECT_LT(0, r.resets);
	EXPECT_LT(0, reads);
}

/*
 * Unloading while probes fire must be safe (and the next load work):
 * 100 cycles while a tracer races an antagonist and more ptrace traffic
 * runs.  A splat in the console fails make check even if this passes.
 */
TEST_F_TIMEOUT(module, unload_under_traffic, 300)
{
	const char *ko = ptw_module_path();
	unsigned long long calls;
	pid_t load[3];
	int ret;

	load[0] = traffic();
	load[1] = traffic();
	load[2] = race_traffic();
	ASSERT_GT(load[0], 0);
	ASSERT_GT(load[1], 0);
	ASSERT_GT(load[2], 0) TH_LOG("race_listen not found next to this test");

	for (int i = 0; i < 100; i++) {
		usleep(10000);
		ret = ptw_unload_module();
		ASSERT_EQ(0, ret) TH_LOG("unload %d: %s", i, strerror(-ret));
		self->loaded = false;
		ret = ptw_load_module(ko);
		ASSERT_EQ(0, ret) TH_LOG("load %d: %s", i, strerror(-ret));
		self->loaded = true;
	}
	usleep(20000);
	calls = counter("calls");
	kill_reap(load[0]);
	kill_reap(load[1]);
	kill_reap(load[2]);
	EXPECT_LT(0ULL, calls) TH_LOG("no traffic counted after reload");
	EXPECT_NE(ULLONG_MAX, calls);
}

TEST_HARNESS_MAIN
