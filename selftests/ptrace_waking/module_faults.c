// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection into the ptrace_waking module's initialisation.
 *
 * With /proc/thread-self/fail-nth, failslab and fail_page_alloc, fail the
 * 1st, 2nd, 3rd ... allocation made under do_init_module() (the
 * stacktrace filter keeps the module loader's own allocations out of the
 * count), one load per fault point, until a load goes through without a
 * fault injected.  Each load with a fault injected must end in one of
 * two clean ways:
 *
 *  - the load fails with an error: no module is left behind, no debugfs
 *    directory, and ptrace requests are unaffected;
 *  - the fault hit something whose failure the kernel tolerates: the
 *    module loads, with a partial directory when the fault hit debugfs
 *    (whose failures the kernel ignores on purpose: a module must not
 *    fail because debugfs did) or a complete one when it hit anything
 *    else that copes (the uevent after init, for instance), and it must
 *    unload cleanly.
 *
 * A kernel splat fails the run through the harness's console scan, and
 * the harness's kmemleak scan after the last test finds any leak of the
 * failed loads.  Needs a kernel with CONFIG_FAULT_INJECTION_DEBUG_FS,
 * CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and
 * CONFIG_FAULT_INJECTION_STACKTRACE_FILTER (the harness's debug kernel);
 * skips elsewhere.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "ptw_util.h"

#define DEBUGFS		"/sys/kernel/debug"
#define PTW_DIR		DEBUGFS "/ptrace_waking"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
/* Far more fault points than the module's init has (about 100). */
#define MAX_FAULTS	4000

static const char *const fault_attrs[] = { "failslab", "fail_page_alloc" };

/* Entries below @path, recursively; -1 if @path does not exist. */
static int count_entries(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(path);

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n++;
		if (de->d_type == DT_DIR) {
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			n += count_entries(sub);
		}
	}
	closedir(d);
	return n;
}

static bool module_present(void)
{
	return access("/sys/module/ptrace_waking", F_OK) == 0;
}

/* Start and end of the text symbol @name, from /proc/kallsyms. */
static int symbol_range(const char *name, unsigned long *start, unsigned long *end)
{
	char line[256], sym[128], type;
	unsigned long addr;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return -1;
	*start = 0;
	*end = ULONG_MAX;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %127s", &addr, &type, sym) != 3)
			continue;
		if (!strcmp(sym, name) && (type == 't' || type == 'T'))
			*start = addr;
	}
	if (!*start) {
		fclose(f);
		return -1;
	}
	/* The end is the next symbol up. */
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %127s", &addr, &type, sym) != 3)
			continue;
		if (addr > *start && addr < *end)
			*end = addr;
	}
	fclose(f);
	return *end == ULONG_MAX ? -1 : 0;
}

static int attr_write(const char *attr, const char *file, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), DEBUGFS "/%s/%s", attr, file);
	return ptw_write_str(path, val);
}

/* Point every fault attribute at do_init_module(), quietly; or undo it. */
static int setup_attrs(bool on, unsigned long start, unsigned long end)
{
	char s[32], e[32];
	unsigned int i;
	int ret = 0;

	snprintf(s, sizeof(s), "%lu", on ? start : 0);
	snprintf(e, sizeof(e), "%lu", on ? end : ULONG_MAX);
	for (i = 0; i < ARRAY_SIZE(fault_attrs); i++) {
		const char *a = fault_attrs[i];

		/*
		 * probability stays 0: nothing fails except through
		 * fail-nth.  verbose 0: an injected failure must not dump
		 * a stack that the harness would take for a splat.
		 */
		ret |= attr_write(a, "probability", "0");
		ret |= attr_write(a, "verbose", on ? "0" : "2");
		ret |= attr_write(a, "require-start", s);
		ret |= attr_write(a, "require-end", e);
		ret |= attr_write(a, "stacktrace-depth", "32");
		ret |= attr_write(a, "ignore-gfp-wait", on ? "N" : "Y");
	}
	ret |= attr_write("fail_page_alloc", "ignore-gfp-highmem", on ? "N" : "Y");
	return ret;
}

/* Attach to a child, stop it, read its registers, detach: 0 if all went. */
static int ptrace_works(void)
{
	int status, ret = -1;
	siginfo_t si;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		pause();
		_exit(0);
	}
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) == 0 &&
	    ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0 &&
	    waitpid(pid, &status, __WALL) == pid && WIFSTOPPED(status) &&
	    ptrace(PTRACE_GETSIGINFO, pid, 0, &si) == 0)
		ret = 0;
	kill(pid, SIGKILL);
	waitpid(pid, &status, __WALL);
	return ret;
}

FIXTURE(faults) {
	bool armed;
	int full_entries;
};

FIXTURE_SETUP(faults)
{
	unsigned long start, end;
	const char *ko = ptw_module_path();
	int ret;

	self->armed = false;
	if (geteuid())
		SKIP(return, "needs root");
	if (access(FAIL_NTH, W_OK) || access(DEBUGFS "/failslab/require-start", W_OK) ||
	    access(DEBUGFS "/fail_page_alloc/require-start", W_OK))
		SKIP(return, "no fail-nth, failslab, fail_page_alloc or stacktrace filter");
	if (access(ko, R_OK))
		SKIP(return, "module %.200s not found (set PTRACE_WAKING_KO)", ko);
	ASSERT_EQ(0, symbol_range("do_init_module", &start, &end))
		TH_LOG("do_init_module not in /proc/kallsyms");

	/* A clean load first: how many entries a complete directory has. */
	ptw_unload_module();
	ret = ptw_load_module(ko);
	ASSERT_EQ(0, ret) TH_LOG("clean load of %s: %s", ko, strerror(-ret));
	self->full_entries = count_entries(PTW_DIR);
	ASSERT_GT(self->full_entries, 20);
	ASSERT_EQ(0, ptw_unload_module());

	ASSERT_EQ(0, setup_attrs(true, start, end));
	self->armed = true;
	TH_LOG("do_init_module at %#lx..%#lx; complete directory: %d entries",
	       start, end, self->full_entries);
}

FIXTURE_TEARDOWN(faults)
{
	if (self->armed)
		setup_attrs(false, 0, 0);
}

/* Arm fail-nth for the nth fault point; returns the fd or -errno. */
static int arm_fail_nth(unsigned int nth)
{
	char buf[16];
	int fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	snprintf(buf, sizeof(buf), "%u", nth);
	if (write(fd, buf, strlen(buf)) != (ssize_t)strlen(buf)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Read back and disarm: how many fault points were still to go (0: injected). */
static int disarm_fail_nth(int fd)
{
	char buf[16] = "";
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (pwrite(fd, "0", 1, 0) != 1 || n <= 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return atoi(buf);
}

TEST_F_TIMEOUT(faults, init_allocation_sweep, 1200)
{
	const char *ko = ptw_module_path();
	unsigned int nth, failed = 0, partial = 0, absorbed = 0, enomem = 0;
	int ret, left, entries, fd, kofd;

	for (nth = 1; nth <= MAX_FAULTS; nth++) {
		kofd = open(ko, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, kofd);
		fd = arm_fail_nth(nth);
		ASSERT_LE(0, fd) TH_LOG("arming %s: %s", FAIL_NTH, strerror(-fd));
		ret = syscall(__NR_finit_module, kofd, "", 0) ? -errno : 0;
		left = disarm_fail_nth(fd);
		close(kofd);
		ASSERT_LE(0, left);

		if (left > 0) {
			/* No fault left to inject: the sweep is complete. */
			ASSERT_EQ(0, ret) TH_LOG("load without a fault: %s", strerror(-ret));
			EXPECT_EQ(self->full_entries, count_entries(PTW_DIR));
			ASSERT_EQ(0, ptw_unload_module());
			break;
		}
		if (ret) {
			failed++;
			enomem += ret == -ENOMEM;
			ASSERT_FALSE(module_present())
				TH_LOG("fault %u: load failed (%s) but the module is there",
				       nth, strerror(-ret));
			ASSERT_EQ(-1, count_entries(PTW_DIR))
				TH_LOG("fault %u: load failed (%s) but left its directory",
				       nth, strerror(-ret));
		} else {
			entries = count_entries(PTW_DIR);
			EXPECT_LE(entries, self->full_entries);
			if (entries < self->full_entries)
				partial++;
			else
				absorbed++;
			ret = ptw_unload_module();
			ASSERT_EQ(0, ret) TH_LOG("fault %u: unload: %s", nth, strerror(-ret));
			ASSERT_EQ(-1, count_entries(PTW_DIR));
		}
		ASSERT_EQ(0, ptrace_works()) TH_LOG("fault %u: ptrace broken after the load", nth);
	}
	ASSERT_LE(nth, (unsigned int)MAX_FAULTS)
		TH_LOG("more than %d fault points in init?", MAX_FAULTS);
	/* The sweep reached the module's own allocations, not only debugfs. */
	EXPECT_LT(0U, failed);
	ksft_print_msg("module_faults: fault_points=%u load_failed=%u enomem=%u ",
		       nth - 1, failed, enomem);
	printf("partial_debugfs=%u absorbed=%u (all unloaded)\n", partial, absorbed);
}

TEST_HARNESS_MAIN
