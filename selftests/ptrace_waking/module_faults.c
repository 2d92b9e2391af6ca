// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection into the ptrace_waking module's initialisation.
 *
 * With /proc/thread-self/fail-nth, failslab and fail_page_alloc (order-0
 * pages too: min-order=0), fail the 1st, 2nd, 3rd ... allocation made
 * with the module's code on the stack, one load per fault point, until a
 * load goes through without a fault injected.  The stacktrace filter
 * requires a return address above the kernel image (require-start = the
 * kernel's _end from /proc/kallsyms, or above its highest symbol when only
 * text symbols are listed; require-end = ULONG_MAX: on x86_64 module text
 * lives above the kernel image), so that the module loader's
 * own allocations (the copy of the image, its sections, the freeinit
 * record of do_init_module()) are not fault points, and rejects
 * kmemleak's metadata allocator (reject-start/end = its text from
 * /proc/kallsyms), whose failure would switch kmemleak off rather than
 * fail the module.
 *
 * Each load with a fault injected must end in one of two clean ways:
 *
 *  - the load fails with an error: no module is left behind, no debugfs
 *    directory, and ptrace requests are unaffected;
 *  - the module loads, because the fault hit something whose failure the
 *    kernel tolerates (debugfs, whose failures a module must ignore; the
 *    stack depot of a debug kernel).  Then it must work: it gets known
 *    ptrace traffic (one PTRACE_INTERRUPT, N_ESRCH requests that fail
 *    not_traced, N_OK that succeed), and every file of its directory that
 *    exists must count exactly that; a file missing because debugfs
 *    failed to create it is allowed and reported.  Then it must unload
 *    cleanly.
 *
 * At least one load must fail: the module's own allocations are fault
 * points.  A kernel splat fails the run through the harness's console
 * scan, and the harness's kmemleak scan after the last test finds any
 * leak of the failed loads.  Needs a kernel with
 * CONFIG_FAULT_INJECTION_DEBUG_FS, CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC
 * and CONFIG_FAULT_INJECTION_STACKTRACE_FILTER (the harness's debug
 * kernel); skips elsewhere.
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
#include "ptw_abi.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
/* Far more fault points than the module's init has (a few hundred). */
#define MAX_FAULTS	4000
#define N_ESRCH		7
#define N_OK		5

static const char *const fault_attrs[] = { "failslab", "fail_page_alloc" };

/* kmemleak's metadata allocator, innermost first: whichever exists. */
static const char *const kmemleak_alloc_fns[] = {
	"mem_pool_alloc", "__alloc_object", "__create_object", "create_object",
};

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

/*
 * Address of symbol @name in /proc/kallsyms (any type), and the address
 * of the next symbol up (its end, for a function); 0 or -1.
 */
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
		if (sscanf(line, "%lx %c %127s", &addr, &type, sym) == 3 &&
		    !strcmp(sym, name) && !strchr(line, '['))
			*start = addr;
	}
	if (!*start) {
		fclose(f);
		return -1;
	}
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx %c %127s", &addr, &type, sym) != 3)
			continue;
		if (addr > *start && addr < *end)
			*end = addr;
	}
	fclose(f);
	return 0;
}

static int attr_write(const char *attr, const char *file, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PTW_DEBUGFS "/%s/%s", attr, file);
	return ptw_write_str(path, val);
}

struct filter {
	unsigned long require_start, reject_start, reject_end;
};

/*
 * The end of the kernel image: _end, or without CONFIG_KALLSYMS_ALL (only
 * text symbols listed) just above the highest symbol of the image.
 * Module symbols ("[module]" lines) are left out.  0 or -1.
 */
static int image_end(unsigned long *end)
{
	char line[256], sym[128], type;
	unsigned long addr, top = 0;
	FILE *f;

	if (!symbol_range("_end", end, &addr))
		return 0;
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx %c %127s", &addr, &type, sym) == 3 &&
		    !strchr(line, '[') && addr > top)
			top = addr;
	fclose(f);
	*end = top + 1;
	return top ? 0 : -1;
}

/* Point every fault attribute at the module's allocations, quietly; or undo it. */
static int setup_attrs(const struct filter *f)
{
	char rs[32], re[32], js[32], je[32];
	unsigned int i;
	int ret = 0;

	snprintf(rs, sizeof(rs), "%lu", f ? f->require_start : 0);
	snprintf(re, sizeof(re), "%lu", ULONG_MAX);
	snprintf(js, sizeof(js), "%lu", f ? f->reject_start : 0);
	snprintf(je, sizeof(je), "%lu", f ? f->reject_end : 0);
	for (i = 0; i < ARRAY_SIZE(fault_attrs); i++) {
		const char *a = fault_attrs[i];

		/*
		 * probability stays 0: nothing fails except through
		 * fail-nth.  verbose 0: an injected failure must not dump
		 * a stack that the harness would take for a splat.
		 */
		ret |= attr_write(a, "probability", "0");
		ret |= attr_write(a, "verbose", f ? "0" : "2");
		ret |= attr_write(a, "require-start", rs);
		ret |= attr_write(a, "require-end", re);
		ret |= attr_write(a, "reject-start", js);
		ret |= attr_write(a, "reject-end", je);
		ret |= attr_write(a, "stacktrace-depth", "32");
		ret |= attr_write(a, "ignore-gfp-wait", f ? "N" : "Y");
	}
	ret |= attr_write("fail_page_alloc", "ignore-gfp-highmem", f ? "N" : "Y");
	ret |= attr_write("fail_page_alloc", "min-order", f ? "0" : "1");
	return ret;
}

/* A child stopped by PTRACE_SEIZE + PTRACE_INTERRUPT (one ok_ignore_state call). */
static pid_t stopped_child(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		pause();
		_exit(0);
	}
	if (pid < 0)
		return -1;
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) || ptrace(PTRACE_INTERRUPT, pid, 0, 0) ||
	    waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
		return -1;
	}
	return pid;
}

static void kill_reap(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
	}
}

/*
 * Known ptrace traffic: 1 PTRACE_INTERRUPT (ok_ignore_state), N_OK
 * PTRACE_GETSIGINFO on a stopped tracee (ok), N_ESRCH on a child that is
 * not traced (not_traced).  @victim is left alive for last_esrch.
 * 0 if every request did what it should.
 */
static int known_traffic(pid_t *victim)
{
	pid_t tracee = stopped_child();
	siginfo_t si;
	int i, bad = tracee < 0;

	*victim = fork();
	if (*victim == 0) {
		pause();
		_exit(0);
	}
	for (i = 0; i < N_OK && tracee > 0; i++)
		bad |= ptrace(PTRACE_GETSIGINFO, tracee, 0, &si) != 0;
	for (i = 0; i < N_ESRCH && *victim > 0; i++)
		bad |= ptrace(PTRACE_GETSIGINFO, *victim, 0, &si) != -1 || errno != ESRCH;
	kill_reap(tracee);
	return bad || *victim < 0;
}

/* What the files of a freshly loaded module must hold after known_traffic(). */
static unsigned long long expected(const char *rel)
{
	static const struct {
		const char *rel;
		unsigned long long v;
	} nonzero[] = {
		{ "calls", 1 + N_OK + N_ESRCH },
		{ "ok", 1 + N_OK },
		{ "esrch", N_ESRCH },
		{ "reasons/ok", N_OK },
		{ "reasons/ok_ignore_state", 1 },
		{ "reasons/not_traced", N_ESRCH },
	};

	for (size_t i = 0; i < ARRAY_SIZE(nonzero); i++)
		if (!strcmp(nonzero[i].rel, rel))
			return nonzero[i].v;
	return 0;
}

/*
 * A module that loaded with a fault injected counts exactly, in every
 * file it has.  Returns how many files were missing.
 */
static int check_loaded_module(struct __test_metadata *_metadata, unsigned int nth)
{
	char path[PATH_MAX], buf[8192], want[64], why[256];
	struct ptw_rel names[PTW_MAX_FILES];
	unsigned long long v = ULLONG_MAX;
	int n = ptw_ro_files(names, PTW_MAX_FILES), missing = 0;
	struct ptw_stats st;
	pid_t victim;

	EXPECT_EQ(0, known_traffic(&victim)) TH_LOG("fault %u: ptrace traffic failed", nth);

	for (int k = 0; k < n; k++) {
		const char *rel = names[k].s;

		snprintf(path, sizeof(path), PTW_DIR "/%s", rel);
		if (access(path, F_OK)) {
			missing++;
			continue;
		}
		if (!strcmp(rel, "stats")) {
			ASSERT_EQ(0, ptw_stats_read(&st, why, sizeof(why)))
				TH_LOG("fault %u: %s", nth, why);
			EXPECT_EQ(0, ptw_stats_check(&st, why, sizeof(why)))
				TH_LOG("fault %u: %s", nth, why);
			EXPECT_EQ(expected("calls"), st.c[PTW_CALLS]) TH_LOG("fault %u", nth);
			EXPECT_EQ(expected("esrch"), st.c[PTW_ESRCH]) TH_LOG("fault %u", nth);
		} else if (!strcmp(rel, "last_esrch")) {
			snprintf(want, sizeof(want), "%d not_traced\n", victim);
			ASSERT_LT(0, ptw_read_file(path, buf, sizeof(buf)));
			EXPECT_STREQ(want, buf) TH_LOG("fault %u: last_esrch", nth);
		} else if (!strcmp(rel, "version")) {
			EXPECT_EQ(0, ptw_read_u64(path, &v)) TH_LOG("fault %u: version", nth);
			EXPECT_EQ((unsigned long long)PTW_ABI_VERSION, v);
		} else if (ptw_is_counter(rel)) {
			EXPECT_EQ(0, ptw_read_u64(path, &v)) TH_LOG("fault %u: %s", nth, rel);
			EXPECT_EQ(expected(rel), v) TH_LOG("fault %u: %s", nth, rel);
		}
	}
	kill_reap(victim);
	return missing;
}

/* Attach to a child, stop it, read its registers, detach: 0 if all went. */
static int ptrace_works(void)
{
	siginfo_t si;
	pid_t pid = stopped_child();
	int ret;

	if (pid < 0)
		return -1;
	ret = ptrace(PTRACE_GETSIGINFO, pid, 0, &si) ? -1 : 0;
	kill_reap(pid);
	return ret;
}

FIXTURE(faults) {
	bool armed;
	int full_entries;
	struct filter filter;
};

FIXTURE_SETUP(faults)
{
	const char *ko = ptw_module_path();
	size_t i;
	int ret;

	self->armed = false;
	if (geteuid())
		SKIP(return, "needs root");
	if (access(FAIL_NTH, W_OK) || access(PTW_DEBUGFS "/failslab/require-start", W_OK) ||
	    access(PTW_DEBUGFS "/fail_page_alloc/require-start", W_OK))
		SKIP(return, "no fail-nth, failslab, fail_page_alloc or stacktrace filter");
	if (access(ko, R_OK))
		SKIP(return, "module %.200s not found (set PTRACE_WAKING_KO)", ko);

	/* Above the kernel image: module text (x86_64). */
	ASSERT_EQ(0, image_end(&self->filter.require_start))
		TH_LOG("no kernel symbols with addresses in /proc/kallsyms");
	for (i = 0; i < ARRAY_SIZE(kmemleak_alloc_fns); i++)
		if (!symbol_range(kmemleak_alloc_fns[i], &self->filter.reject_start,
				  &self->filter.reject_end))
			break;
	if (i == ARRAY_SIZE(kmemleak_alloc_fns)) {
		self->filter.reject_start = 0;
		self->filter.reject_end = 0;
	}

	/* A clean load first: how many entries a complete directory has. */
	ret = ptw_reload_module(ko);
	ASSERT_EQ(0, ret) TH_LOG("clean load of %s: %s", ko, strerror(-ret));
	self->full_entries = count_entries(PTW_DIR);
	ASSERT_GT(self->full_entries, 20);
	ASSERT_EQ(0, ptw_unload_module());

	ASSERT_EQ(0, setup_attrs(&self->filter));
	self->armed = true;
	TH_LOG("faults only above the kernel image (%#lx); not in %s (%#lx..%#lx)",
	       self->filter.require_start,
	       i < ARRAY_SIZE(kmemleak_alloc_fns) ? kmemleak_alloc_fns[i] : "-",
	       self->filter.reject_start, self->filter.reject_end);
	TH_LOG("complete directory: %d entries", self->full_entries);
}

FIXTURE_TEARDOWN(faults)
{
	if (self->armed)
		setup_attrs(NULL);
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

TEST_F_TIMEOUT(faults, init_allocation_sweep, 1500)
{
	const char *ko = ptw_module_path();
	unsigned int nth, failed = 0, partial = 0, absorbed = 0, enomem = 0;
	int ret, left, fd, kofd, missing;

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
			EXPECT_EQ(0, check_loaded_module(_metadata, nth));
			ASSERT_EQ(0, ptw_unload_module());
			break;
		}
		if (ret) {
			failed++;
			enomem += ret == -ENOMEM;
			ASSERT_FALSE(ptw_module_loaded())
				TH_LOG("fault %u: load failed (%s) but the module is there",
				       nth, strerror(-ret));
			ASSERT_EQ(-1, count_entries(PTW_DIR))
				TH_LOG("fault %u: load failed (%s) but left its directory",
				       nth, strerror(-ret));
		} else {
			/* Loaded despite the fault: it must work. */
			missing = check_loaded_module(_metadata, nth);
			EXPECT_LE(count_entries(PTW_DIR), self->full_entries);
			if (missing) {
				partial++;
				ksft_print_msg("fault %u: loaded without %d of its files\n",
					       nth, missing);
			} else {
				absorbed++;
			}
			ret = ptw_unload_module();
			ASSERT_EQ(0, ret) TH_LOG("fault %u: unload: %s", nth, strerror(-ret));
			ASSERT_EQ(-1, count_entries(PTW_DIR));
		}
		ASSERT_EQ(0, ptrace_works()) TH_LOG("fault %u: ptrace broken after the load", nth);
	}
	ASSERT_LE(nth, (unsigned int)MAX_FAULTS)
		TH_LOG("more than %d fault points in init?", MAX_FAULTS);
	ksft_print_msg("module_faults: fault_points=%u load_failed=%u enomem=%u ",
		       nth - 1, failed, enomem);
	printf("partial_debugfs=%u absorbed=%u (all unloaded)\n", partial, absorbed);
	fflush(stdout);
	/* The sweep reached the module's own allocations, not only debugfs. */
	EXPECT_LT(0U, failed);
}

TEST_HARNESS_MAIN
