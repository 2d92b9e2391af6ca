// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs ABI of the ptrace_waking module, version 2, as documented in
 * Documentation/ABI/testing/debugfs-ptrace-waking (tables in ptw_abi.h):
 * load it, check every file, its mode and format, that the counters count
 * what they claim (exactly, for known numbers of requests), that every
 * read of stats is consistent even under waking traffic from more tracers
 * than CPUs and two concurrent resetters, that reset and its input
 * validation work, that read-only files reject writes, that non-root can
 * do nothing, that short reads reproduce a file, that an open file pins
 * the module, that the module unloads under ptrace traffic, and that its
 * directory is gone after unload.
 *
 * The module is taken from $PTRACE_WAKING_KO, else ./ptrace_waking.ko
 * next to this binary.  Needs root and a mounted debugfs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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
#include "ptw_abi.h"

#define DEBUGFS_MAGIC	0x64626720
#define NOBODY		65534
/* Tracers of the waking-traffic test: more than the guest's 2 CPUs. */
#define N_TRACERS	4
#define N_RESETTERS	2
#define MIN_READS	200

/* A child that only sleeps; the caller kills and reaps it. */
static pid_t sleeper(void)
{
	pid_t pid = ptw_fork_child();

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
 * @n PTRACE_PEEKUSER requests on @pid; returns how many failed with
 * ESRCH, or -1 if one failed otherwise.
 */
static int peek(pid_t pid, int n)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		errno = 0;
		if (ptrace(PTRACE_PEEKUSER, pid, 0, 0) == -1 && errno) {
			if (errno != ESRCH)
				return -1;
			failed++;
		}
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
	pid_t pid = ptw_fork_child();

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
 * race_listen (next to this binary) with @iters iterations and @ants
 * SIGCONT antagonists: a tracer in the PT_WAKING window all the time.
 * Returns its pid, or -1 if it is missing.
 */
static pid_t spawn_race_listen(long iters, int ants)
{
	char path[PATH_MAX], it[32], an[16];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/race_listen", ptw_self_dir());
	if (access(path, X_OK))
		return -1;
	snprintf(it, sizeof(it), "%ld", iters);
	snprintf(an, sizeof(an), "%d", ants);
	pid = ptw_fork_child();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		execl(path, path, it, an, NULL);
		_exit(127);
	}
	return pid;
}

/* race_listen @iters to its end; its exit status, or -1. */
static int race_listen_run(long iters)
{
	pid_t pid = spawn_race_listen(iters, 0);
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static double now(void)
{
	return ptw_now_ns() / 1e9;
}

FIXTURE(module) {
	bool loaded;
	int waking;
};

FIXTURE_SETUP(module)
{
	struct statfs sfs;
	const char *ko = ptw_module_path();
	int ret;

	self->loaded = false;
	self->waking = -1;
	if (geteuid())
		SKIP(return, "needs root");
	if (statfs(PTW_DEBUGFS, &sfs) || sfs.f_type != DEBUGFS_MAGIC)
		SKIP(return, "debugfs is not mounted at " PTW_DEBUGFS);
	if (access(ko, R_OK))
		SKIP(return, "module %.200s not found (set PTRACE_WAKING_KO)", ko);

	/* The waking tests need the wait on; restored in the teardown. */
	self->waking = ptw_waking_get();
	if (self->waking >= 0)
		ASSERT_EQ(0, ptw_waking_set(1));
	/* A module left over from an earlier run must not fail the test. */
	ret = ptw_reload_module(ko);
	ASSERT_EQ(0, ret) TH_LOG("loading %s: %s", ko, strerror(-ret));
	self->loaded = true;
}

FIXTURE_TEARDOWN(module)
{
	if (self->loaded)
		ptw_unload_module();
	if (self->waking >= 0)
		ptw_waking_set(self->waking);
}

TEST_F(module, version_file)
{
	struct stat st;
	char buf[64], *end;
	unsigned long v;
	ssize_t n;

	ASSERT_EQ(0, stat(PTW_DIR, &st)) TH_LOG("%s: %s", PTW_DIR, strerror(errno));
	ASSERT_TRUE(S_ISDIR(st.st_mode));

	n = ptw_read_file(PTW_DIR "/version", buf, sizeof(buf));
	ASSERT_GT(n, 0) TH_LOG("read: %s", strerror((int)-n));
	ASSERT_EQ('\n', buf[n - 1]) TH_LOG("no trailing newline: '%s'", buf);
	errno = 0;
	v = strtoul(buf, &end, 10);
	ASSERT_EQ(0, errno);
	EXPECT_EQ('\n', *end) TH_LOG("not a decimal number: '%s'", buf);
	EXPECT_EQ((unsigned long)PTW_ABI_VERSION, v);
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

/* The entries of @dir are exactly @want (@n names), each of mode @mode. */
static void expect_listing(struct __test_metadata *_metadata, const char *dir,
			   const char *const *want, size_t n)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t found = 0;
	DIR *d = opendir(dir);

	ASSERT_NE(NULL, d) TH_LOG("%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		size_t i;

		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < n && strcmp(want[i], de->d_name); i++)
			;
		EXPECT_LT(i, n) TH_LOG("%s/%s is not in ABI version 2", dir, de->d_name);
		found += i < n;
	}
	closedir(d);
	EXPECT_EQ(n, found) TH_LOG("%s: %zu of %zu files", dir, found, n);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, want[i]);
		EXPECT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
	}
}

TEST_F(module, files_and_modes)
{
	const char *top[PTW_NR_COUNTERS + ARRAY_SIZE(ptw_other_files) + 2];
	const char *reasons[PTW_NR_REASONS + 1], *sites[PTW_NR_SITES + 1];
	char path[PATH_MAX];
	struct ptw_rel names[PTW_MAX_FILES];
	struct stat st;
	size_t i, n = 0;
	int nro;

	for (i = 0; i < PTW_NR_COUNTERS; i++)
		top[n++] = ptw_counters[i];
	for (i = 0; i < ARRAY_SIZE(ptw_other_files); i++)
		top[n++] = ptw_other_files[i].name;
	top[n++] = "reasons";
	top[n++] = "waking_sites";
	for (i = 0; i < PTW_NR_REASONS; i++)
		reasons[i] = ptw_reasons[i].name;
	reasons[i] = "unknown";
	for (i = 0; i < PTW_NR_SITES; i++)
		sites[i] = ptw_sites[i].name;
	sites[i] = "unknown";
	expect_listing(_metadata, PTW_DIR, top, n);
	expect_listing(_metadata, PTW_DIR "/reasons", reasons, ARRAY_SIZE(reasons));
	expect_listing(_metadata, PTW_DIR "/waking_sites", sites, ARRAY_SIZE(sites));

	/* Read-only files are 0400, reset is 0200. */
	nro = ptw_ro_files(names, PTW_MAX_FILES);
	for (int k = 0; k < nro; k++) {
		snprintf(path, sizeof(path), PTW_DIR "/%s", names[k].s);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
		EXPECT_TRUE(S_ISREG(st.st_mode));
		EXPECT_EQ(0400U, st.st_mode & 07777)
			TH_LOG("%s: mode %o", path, st.st_mode & 07777);
	}
	ASSERT_EQ(0, stat(PTW_DIR "/reset", &st));
	EXPECT_EQ(0200U, st.st_mode & 07777) TH_LOG("reset: mode %o", st.st_mode & 07777);
}

/*
 * Every read-only file rejects writes by root with EINVAL and keeps its
 * value.  Root may open a 0400 file for writing (CAP_DAC_OVERRIDE), so
 * the write itself must fail: the module's read-only files have no write
 * operation, and debugfs's full proxy (full_proxy_write() in
 * fs/debugfs/file.c) fails the write with -EINVAL, as vfs_write()
 * (fs/read_write.c) does for a file without one.  Likewise reading reset.
 */
TEST_F(module, read_only_files_reject_writes)
{
	char path[PATH_MAX], before[4096], after[4096];
	struct ptw_rel names[PTW_MAX_FILES];
	pid_t victim = sleeper(), tracee = stopped_tracee();
	ssize_t r;
	int n, fd;

	/* Non-zero values first, so that a write that zeroes shows. */
	ASSERT_GT(victim, 0);
	ASSERT_GT(tracee, 0);
	ASSERT_EQ(3, peek(victim, 3));
	ASSERT_EQ(0, peek(tracee, 2));
	ASSERT_EQ(0, race_listen_run(20));
	kill_reap(victim);
	kill_reap(tracee);

	n = ptw_ro_files(names, PTW_MAX_FILES);
	for (int k = 0; k < n; k++) {
		snprintf(path, sizeof(path), PTW_DIR "/%s", names[k].s);
		ASSERT_LE(0, ptw_read_file(path, before, sizeof(before))) TH_LOG("%s", path);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		EXPECT_LE(0, fd) TH_LOG("%s: open for writing: %s", path, strerror(errno));
		if (fd >= 0) {
			errno = 0;
			r = write(fd, "0\n", 2);
			EXPECT_EQ(-1, r) TH_LOG("%s: write returned %zd", path, r);
			EXPECT_EQ(EINVAL, errno) TH_LOG("%s: %s", path, strerror(errno));
			close(fd);
		}
		ASSERT_LE(0, ptw_read_file(path, after, sizeof(after)));
		EXPECT_STREQ(before, after) TH_LOG("%s changed", path);
	}

	fd = open(PTW_DIR "/reset", O_RDONLY | O_CLOEXEC);
	EXPECT_LE(0, fd) TH_LOG("reset: open for reading: %s", strerror(errno));
	if (fd >= 0) {
		errno = 0;
		EXPECT_EQ(-1, read(fd, before, sizeof(before)));
		EXPECT_EQ(EINVAL, errno) TH_LOG("reset: %s", strerror(errno));
		close(fd);
	}
}

/* Nobody but root may list, read or write anything. */
TEST_F(module, non_root_denied)
{
	char path[PATH_MAX];
	struct ptw_rel names[PTW_MAX_FILES + 1];
	int n = ptw_ro_files(names, PTW_MAX_FILES), status;
	pid_t pid;

	snprintf(names[n++].s, sizeof(names->s), "reset");
	for (int k = 0; k < n; k++) {
		snprintf(path, sizeof(path), PTW_DIR "/%s", names[k].s);
		ASSERT_EQ(0, access(path, F_OK)) TH_LOG("%s missing", path);
	}
	pid = ptw_fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		static const char *const dirs[] = {
			PTW_DIR, PTW_DIR "/reasons", PTW_DIR "/waking_sites",
		};
		int bad = 0, fd;

		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(100);
		for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
			DIR *d = opendir(dirs[i]);

			if (d || errno != EACCES) {
				fprintf(stderr, "# nobody: opendir %s: %s\n", dirs[i],
					d ? "allowed" : strerror(errno));
				bad++;
			}
			if (d)
				closedir(d);
		}
		for (int k = 0; k < n; k++) {
			snprintf(path, sizeof(path), PTW_DIR "/%s", names[k].s);
			for (int mode = O_RDONLY; mode <= O_WRONLY; mode++) {
				fd = open(path, mode | O_CLOEXEC);
				if (fd >= 0 || errno != EACCES) {
					fprintf(stderr, "# nobody: open %s %s: %s\n", path,
						mode ? "O_WRONLY" : "O_RDONLY",
						fd >= 0 ? "allowed" : strerror(errno));
					bad++;
				}
				if (fd >= 0)
					close(fd);
			}
		}
		_exit(bad > 99 ? 99 : bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_NE(100, WEXITSTATUS(status)) TH_LOG("could not become uid %d", NOBODY);
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("nobody got through (above)");
}

TEST_F(module, counters_are_decimal)
{
	char path[PATH_MAX];
	struct ptw_rel names[PTW_MAX_FILES];
	unsigned long long v;
	int n = ptw_ro_files(names, PTW_MAX_FILES), ret;

	for (int k = 0; k < n; k++) {
		if (!ptw_is_counter(names[k].s))
			continue;
		snprintf(path, sizeof(path), PTW_DIR "/%s", names[k].s);
		ret = ptw_read_u64(path, &v);
		EXPECT_EQ(0, ret) TH_LOG("%s: %s", path, strerror(-ret));
	}
}

TEST_F(module, stats_format)
{
	unsigned long long sum[PTW_NR_SUMMARY];
	pid_t victim = sleeper();
	char buf[64], want[64], why[256];
	struct ptw_stats st;

	ASSERT_GT(victim, 0);
	ASSERT_EQ(3, peek(victim, 3));
	kill_reap(victim);

	/* The lines in ABI order, and consistent. */
	ASSERT_EQ(0, ptw_stats_read(&st, why, sizeof(why))) TH_LOG("stats: %s", why);
	EXPECT_EQ(0, ptw_stats_check(&st, why, sizeof(why))) TH_LOG("stats: %s", why);
	EXPECT_EQ(3ULL, st.c[PTW_ESRCH]);
	EXPECT_EQ(3ULL, ptw_stats_reason(&st, "not_traced"));

	/* The single-value files agree with stats when nothing runs. */
	for (size_t i = 0; i < PTW_NR_COUNTERS; i++) {
		EXPECT_EQ(st.c[i], ptw_counter(ptw_counters[i])) TH_LOG("%s", ptw_counters[i]);
	}
	for (size_t i = 0; i < PTW_NR_REASONS; i++) {
		snprintf(buf, sizeof(buf), "reasons/%s", ptw_reasons[i].name);
		EXPECT_EQ(st.reason[i], ptw_counter(buf)) TH_LOG("%s", buf);
	}
	for (size_t i = 0; i < PTW_NR_SITES; i++) {
		snprintf(buf, sizeof(buf), "waking_sites/%s", ptw_sites[i].name);
		EXPECT_EQ(st.site[i], ptw_counter(buf)) TH_LOG("%s", buf);
	}

	ASSERT_EQ(0, ptw_summary_read(sum)) TH_LOG("wait_summary malformed");

	/* The last ESRCH was ours. */
	snprintf(want, sizeof(want), "%d not_traced\n", victim);
	ASSERT_GT(ptw_read_file(PTW_DIR "/last_esrch", buf, sizeof(buf)), 0);
	EXPECT_STREQ(want, buf);
}

/*
 * @n PTRACE_PEEKUSER requests on @pid move calls by exactly @n, reason
 * @reason by @n, esrch by @n if @esrch else ok by @n, and nothing else.
 */
static void expect_counted(struct __test_metadata *_metadata, pid_t pid, int n,
			   const char *reason, bool esrch)
{
	unsigned long long want = n;
	struct ptw_stats a, b;
	char why[256];

	ASSERT_EQ(0, ptw_stats_read(&a, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(esrch ? n : 0, peek(pid, n)) TH_LOG("%s", reason);
	ASSERT_EQ(0, ptw_stats_read(&b, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ((unsigned long long)n, b.c[PTW_CALLS] - a.c[PTW_CALLS]) TH_LOG("%s", reason);
	EXPECT_EQ(esrch ? want : 0, b.c[PTW_ESRCH] - a.c[PTW_ESRCH]) TH_LOG("%s", reason);
	EXPECT_EQ(esrch ? 0 : want, b.c[PTW_OK] - a.c[PTW_OK]) TH_LOG("%s", reason);
	EXPECT_EQ((unsigned long long)n,
		  ptw_stats_reason(&b, reason) - ptw_stats_reason(&a, reason)) TH_LOG("%s", reason);
}

/* Known numbers of requests are counted exactly, with their reason. */
TEST_F(module, requests_counted_exactly)
{
	const int N = 100;
	pid_t victim, tracee;
	int status;

	/* Not traced by us: reason not_traced. */
	victim = sleeper();
	ASSERT_GT(victim, 0);
	expect_counted(_metadata, victim, N, "not_traced", true);
	kill_reap(victim);

	/* Traced by us but running (seized, never stopped): not_stopped. */
	tracee = sleeper();
	ASSERT_GT(tracee, 0);
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, tracee, 0, 0))
		TH_LOG("PTRACE_SEIZE: %s", strerror(errno));
	expect_counted(_metadata, tracee, N, "not_stopped", true);

	/* Stopped tracee: the same request now succeeds, reason ok. */
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, tracee, 0, 0));
	ASSERT_EQ(tracee, waitpid(tracee, &status, __WALL));
	expect_counted(_metadata, tracee, N, "ok", false);
	kill_reap(tracee);
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

	set0 = ptw_counter("waking_set");
	clr0 = ptw_counter("waking_cleared");
	att0 = ptw_counter("waking_sites/attach");
	stop0 = ptw_counter("waking_sites/ptrace_stop");
	ASSERT_EQ(0, ptrace(PTRACE_ATTACH, pid, 0, 0)) TH_LOG("PTRACE_ATTACH: %s", strerror(errno));
	EXPECT_EQ(pid, waitpid(pid, &status, __WALL));
	EXPECT_EQ(set0 + 1, ptw_counter("waking_set"));
	EXPECT_EQ(clr0 + 1, ptw_counter("waking_cleared"));
	EXPECT_EQ(att0 + 1, ptw_counter("waking_sites/attach"));
	EXPECT_EQ(stop0 + 1, ptw_counter("waking_sites/ptrace_stop"));
	kill_reap(pid);
}

static void expect_all_zero(struct __test_metadata *_metadata)
{
	unsigned long long sum[PTW_NR_SUMMARY];
	char buf[256];
	struct ptw_rel names[PTW_MAX_FILES];
	struct ptw_stats st, zero = { 0 };
	int n = ptw_ro_files(names, PTW_MAX_FILES);

	ASSERT_EQ(0, ptw_stats_read(&st, buf, sizeof(buf))) TH_LOG("%s", buf);
	EXPECT_EQ(0, memcmp(&st, &zero, sizeof(st))) TH_LOG("stats not all 0");
	for (int k = 0; k < n; k++) {
		if (!ptw_is_counter(names[k].s))
			continue;
		EXPECT_EQ(0ULL, ptw_counter(names[k].s)) TH_LOG("%s", names[k].s);
	}
	EXPECT_EQ(0, ptw_read_file(PTW_DIR "/wait_histogram", buf, sizeof(buf)));
	ASSERT_EQ(0, ptw_summary_read(sum));
	for (size_t i = 0; i < PTW_NR_SUMMARY; i++) {
		EXPECT_EQ(0ULL, sum[i]) TH_LOG("wait_summary: %s", ptw_summary_names[i]);
	}
	ASSERT_GT(ptw_read_file(PTW_DIR "/last_esrch", buf, sizeof(buf)), 0);
	EXPECT_STREQ("0 none\n", buf);
}

TEST_F(module, reset_zeroes_everything)
{
	pid_t victim = sleeper(), tracee;

	/* Every kind of counter non-zero first, so that it can't pass trivially. */
	ASSERT_GT(victim, 0);
	ASSERT_EQ(10, peek(victim, 10));
	kill_reap(victim);
	tracee = stopped_tracee();
	ASSERT_GT(tracee, 0);
	ASSERT_EQ(0, peek(tracee, 1));
	kill_reap(tracee);
	ASSERT_EQ(0, race_listen_run(50));
	ASSERT_LE(10ULL, ptw_counter("esrch"));
	ASSERT_LE(1ULL, ptw_counter("ok"));
	ASSERT_LE(1ULL, ptw_counter("waking_path"));
	ASSERT_LE(1ULL, ptw_counter("waking_set"));

	ASSERT_EQ(0, ptw_reset_write("1\n", 2));
	expect_all_zero(_metadata);

	/* Without the newline too. */
	victim = sleeper();
	ASSERT_GT(victim, 0);
	ASSERT_EQ(5, peek(victim, 5));
	kill_reap(victim);
	ASSERT_EQ(5ULL, ptw_counter("esrch"));
	ASSERT_EQ(0, ptw_reset_write("1", 1));
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
	char before[8192], after[8192];
	pid_t victim = sleeper();
	int ret;

	ASSERT_GT(victim, 0);
	ASSERT_EQ(7, peek(victim, 7));
	kill_reap(victim);
	ASSERT_LT(0, ptw_read_file(PTW_DIR "/stats", before, sizeof(before)));

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = ptw_reset_write(bad[i].buf, bad[i].len);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("'%s': %s", bad[i].what, strerror(-ret));
	}
	/* Oversized: "1\n" padded to 65 bytes, and 4096 bytes. */
	memset(big, '\n', sizeof(big));
	big[0] = '1';
	ret = ptw_reset_write(big, 65);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("65 bytes: %s", strerror(-ret));
	memset(big, '1', sizeof(big));
	ret = ptw_reset_write(big, sizeof(big));
	EXPECT_EQ(-EINVAL, ret) TH_LOG("4096 bytes: %s", strerror(-ret));

	ASSERT_LT(0, ptw_read_file(PTW_DIR "/stats", after, sizeof(after)));
	EXPECT_STREQ(before, after);
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
		if (ptw_reset_write("1", 1))
			r->errors++;
		else
			r->resets++;
		usleep(300);
	}
	return NULL;
}

/*
 * Every single read of stats is consistent (all derived lines equal their
 * parts) while N_TRACERS race_listen tracers, each with a SIGCONT
 * antagonist, keep the waking path busy on fewer CPUs, ordinary traffic
 * runs, and two threads reset concurrently.  Afterwards, at rest,
 * waking_ok equals reasons/ok_after_waking.
 */
TEST_F_TIMEOUT(module, stats_consistent_under_waking_traffic_and_resets, 120)
{
	struct resetter r[N_RESETTERS] = { 0 };
	pthread_t thread[N_RESETTERS];
	unsigned long long max_waking_ok = 0, max_set = 0;
	pid_t load[N_TRACERS + 1];
	int reads = 0, bad = 0, i;
	struct ptw_stats st;
	char why[256];
	double start, took;

	for (i = 0; i < N_TRACERS; i++) {
		load[i] = spawn_race_listen(100000000, 1);
		ASSERT_GT(load[i], 0) TH_LOG("race_listen not found next to this test");
	}
	load[N_TRACERS] = traffic();
	ASSERT_GT(load[N_TRACERS], 0);
	for (i = 0; i < N_RESETTERS; i++)
		ASSERT_EQ(0, pthread_create(&thread[i], NULL, reset_loop, &r[i]));

	/* 5 s, or longer on a slow (debug, TCG) kernel: MIN_READS reads. */
	start = now();
	while (now() < start + 5 || (reads < MIN_READS && now() < start + 60)) {
		int ret = ptw_stats_read(&st, why, sizeof(why));

		if (!ret)
			ret = ptw_stats_check(&st, why, sizeof(why));
		reads++;
		if (ret) {
			if (bad++ < 5)
				TH_LOG("read %d: %s", reads, why);
			continue;
		}
		if (ptw_stats_reason(&st, "ok_after_waking") > max_waking_ok)
			max_waking_ok = ptw_stats_reason(&st, "ok_after_waking");
		if (st.c[PTW_WAKING_SET] > max_set)
			max_set = st.c[PTW_WAKING_SET];
	}
	took = now() - start;
	for (i = 0; i < N_RESETTERS; i++) {
		__atomic_store_n(&r[i].stop, true, __ATOMIC_RELAXED);
		pthread_join(thread[i], NULL);
	}
	for (i = 0; i <= N_TRACERS; i++)
		kill_reap(load[i]);

	TH_LOG("%d reads in %.1f s, %d + %d resets, max ok_after_waking %llu, waking_set %llu",
	       reads, took, r[0].resets, r[1].resets, max_waking_ok, max_set);
	EXPECT_EQ(0, bad);
	EXPECT_LT(0, reads);
	for (i = 0; i < N_RESETTERS; i++) {
		EXPECT_EQ(0, r[i].errors);
		EXPECT_LT(0, r[i].resets);
	}
	/* The waking equalities were checked on real numbers, not zeros. */
	EXPECT_LT(0ULL, max_waking_ok);
	EXPECT_LT(0ULL, max_set);

	/* At rest. */
	ASSERT_EQ(0, ptw_stats_read(&st, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(0, ptw_stats_check(&st, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(ptw_counter("waking_ok"), ptw_counter("reasons/ok_after_waking"));
	EXPECT_EQ(ptw_counter("waking_esrch"), ptw_counter("reasons/waking_timeout") +
					      ptw_counter("reasons/waking_failed") +
					      ptw_counter("reasons/waking_interrupted"));
}

/* Sum of the counts of wait_histogram's lines "[lo, hi) count |bar|". */
static long long histogram_count(void)
{
	char buf[8192], *p = buf, *nl;
	long long n = 0;

	if (ptw_read_file(PTW_DIR "/wait_histogram", buf, sizeof(buf)) < 0)
		return -1;
	for (; *p; p = nl + 1) {
		char *c = strchr(p, ')');

		nl = strchr(p, '\n');
		if (*p != '[' || !nl || !c || c > nl)
			return -1;
		n += strtoll(c + 1, NULL, 10);
	}
	return n;
}

/*
 * With no reset racing, wait_summary and wait_histogram hold exactly the
 * calls that waited (waking_path), with their total and maximum.
 */
TEST_F(module, wait_summary_at_rest)
{
	unsigned long long s[PTW_NR_SUMMARY];
	struct ptw_stats st;
	char why[256];

	ASSERT_EQ(0, race_listen_run(200));
	ASSERT_EQ(0, ptw_stats_read(&st, why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(0, ptw_summary_read(s)) TH_LOG("wait_summary malformed");
	EXPECT_LT(0ULL, st.c[PTW_WAKING_PATH]);
	EXPECT_EQ(st.c[PTW_WAKING_PATH], s[PTW_SUM_COUNT]);
	EXPECT_EQ((long long)s[PTW_SUM_COUNT], histogram_count());
	EXPECT_EQ(st.c[PTW_WAIT_NS_TOTAL], s[PTW_SUM_TOTAL]);
	EXPECT_EQ(st.c[PTW_WAIT_NS_MAX], s[PTW_SUM_MAX]);
	EXPECT_LE(s[PTW_SUM_MAX], s[PTW_SUM_TOTAL]);
	if (s[PTW_SUM_COUNT]) {
		EXPECT_EQ(s[PTW_SUM_TOTAL] / s[PTW_SUM_COUNT], s[PTW_SUM_MEAN]);
	}
	EXPECT_LT(0ULL, s[PTW_SUM_P50]);
	EXPECT_LE(s[PTW_SUM_P50], s[PTW_SUM_P90]);
	EXPECT_LE(s[PTW_SUM_P90], s[PTW_SUM_P99]);
	EXPECT_LE(s[PTW_SUM_P99], s[PTW_SUM_MAX]);
}

/* Read @path @chunk bytes at a time; total length or -errno. */
static ssize_t read_chunked(const char *path, char *buf, size_t size, size_t chunk)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (len + chunk < size && (n = read(fd, buf + len, chunk)) > 0)
		len += n;
	buf[len] = '\0';
	close(fd);
	return len;
}

/* 1-byte reads reproduce each file exactly (compared at rest). */
TEST_F(module, one_byte_reads)
{
	static const char *const files[] = {
		"stats", "wait_histogram", "wait_summary", "last_esrch", "calls",
		"version",
	};
	char whole[8192], bytes[8192], path[PATH_MAX];
	pid_t victim = sleeper();

	int rounds = 0;

	ASSERT_GT(victim, 0);
	ASSERT_EQ(1, peek(victim, 1));
	kill_reap(victim);
	/*
	 * wait_histogram is empty until a request has waited, and 100
	 * iterations of the race do not always make one wait: race again,
	 * a bounded number of times, until one did.
	 */
	do {
		ASSERT_EQ(0, race_listen_run(100));
	} while (++rounds < 10 &&
		 read_chunked(PTW_DIR "/wait_histogram", whole, sizeof(whole),
			      sizeof(whole) - 1) == 0);
	TH_LOG("%d round(s) of 100 race iterations", rounds);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), PTW_DIR "/%s", files[i]);
		ASSERT_LT(0, read_chunked(path, whole, sizeof(whole), sizeof(whole) - 1))
			TH_LOG("%s", path);
		ASSERT_LT(0, read_chunked(path, bytes, sizeof(bytes), 1)) TH_LOG("%s", path);
		EXPECT_STREQ(whole, bytes) TH_LOG("%s", path);
	}
}

/* The module's reference count, or -1. */
static long module_refcnt(void)
{
	unsigned long long v;

	return ptw_read_u64("/sys/module/ptrace_waking/refcnt", &v) ? -1 : (long)v;
}

/*
 * Hand @a and @b to a process that keeps them open for good, so that
 * they are never released: for files whose module is gone, the release
 * would read the module's freed memory.
 */
static void park_fds(int a, int b)
{
	pid_t pid = fork();

	if (pid == 0) {
		setsid();
		for (;;)
			pause();
	}
	close(a);
	close(b);
}

/*
 * S2: a debugfs file held open pins the module.  With stats and reset
 * open, delete_module() must fail with EWOULDBLOCK (the files hold module
 * references), and reads and writes through the open files still work;
 * after the close the module unloads.  Checked before the unload is
 * tried: the open files raised the module's reference count.  If the
 * files do not pin the module (owner NULL) the test fails without
 * unloading, or, if the unload went through anyway, without ever closing
 * the files.
 */
TEST_F(module, open_across_rmmod)
{
	long ref0 = module_refcnt(), ref1;
	char buf[8192], why[256];
	struct ptw_stats st;
	int stats, reset, ret;
	ssize_t n;

	ASSERT_LE(0, ref0);
	stats = open(PTW_DIR "/stats", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, stats);
	reset = open(PTW_DIR "/reset", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, reset);
	ref1 = module_refcnt();
	TH_LOG("module refcnt %ld, with stats and reset open %ld", ref0, ref1);
	if (ref1 < ref0 + 2) {
		close(stats);
		close(reset);
		ASSERT_LE(ref0 + 2, ref1)
			TH_LOG("open debugfs files do not pin the module (owner NULL?)");
	}

	ret = ptw_unload_module();
	if (!ret) {
		self->loaded = false;
		park_fds(stats, reset);
		ASSERT_NE(0, ret) TH_LOG("unloaded with stats and reset open");
	}
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY) TH_LOG("%s", strerror(-ret));
	EXPECT_TRUE(ptw_module_loaded());

	/* The open files still work. */
	n = read(stats, buf, sizeof(buf) - 1);
	ASSERT_LT(0, n) TH_LOG("read: %s", strerror(errno));
	buf[n] = '\0';
	EXPECT_EQ(0, ptw_stats_parse(buf, &st, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(1, write(reset, "1", 1));
	EXPECT_EQ(0, close(stats));
	EXPECT_EQ(0, close(reset));
	EXPECT_EQ(ref0, module_refcnt());

	ASSERT_EQ(0, ptw_unload_module());
	self->loaded = false;
	EXPECT_EQ(-1, access(PTW_DIR, F_OK));
}

/*
 * Unloading while probes fire must be safe (and the next load work):
 * $UNLOAD_CYCLES cycles (default 100) while a tracer races an antagonist
 * and more ptrace traffic runs.  A splat in the console fails make check
 * even if this passes.
 */
TEST_F_TIMEOUT(module, unload_under_traffic, 300)
{
	const char *ko = ptw_module_path();
	unsigned long long calls;
	long cycles = 100;
	pid_t load[3];
	double start;
	int ret;

	ASSERT_EQ(0, ptw_env_count("UNLOAD_CYCLES", 100000, &cycles))
		TH_LOG("UNLOAD_CYCLES=%.40s: not a whole number from 1 to 100000",
		       getenv("UNLOAD_CYCLES"));
	load[0] = traffic();
	load[1] = traffic();
	load[2] = spawn_race_listen(100000000, 1);
	ASSERT_GT(load[0], 0);
	ASSERT_GT(load[1], 0);
	ASSERT_GT(load[2], 0) TH_LOG("race_listen not found next to this test");

	start = now();
	for (long i = 0; i < cycles; i++) {
		usleep(10000);
		ret = ptw_unload_module();
		ASSERT_EQ(0, ret) TH_LOG("unload %ld: %s", i, strerror(-ret));
		self->loaded = false;
		ret = ptw_load_module(ko);
		ASSERT_EQ(0, ret) TH_LOG("load %ld: %s", i, strerror(-ret));
		self->loaded = true;
	}
	TH_LOG("%ld unload/load cycles in %.1f s", cycles, now() - start);
	usleep(20000);
	calls = ptw_counter("calls");
	kill_reap(load[0]);
	kill_reap(load[1]);
	kill_reap(load[2]);
	EXPECT_LT(0ULL, calls) TH_LOG("no traffic counted after reload");
	EXPECT_NE(ULLONG_MAX, calls);
}

TEST_HARNESS_MAIN
