/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The debugfs ABI of the ptrace_waking module, version 2, as the tests
 * see it: the files, the lines of "stats" and the equalities between
 * them.  Documentation/ABI/testing/debugfs-ptrace-waking describes it;
 * the reason and site tables are the kernel's enum ptrace_attach_reason
 * and enum ptrace_waking_site in code order (include/linux/ptrace_waking.h).
 *
 * Counted primitives: one counter per reason, one per site, the wait
 * histogram (with its total and maximum) and last_esrch.  Everything else
 * is derived when read, so in any single read of "stats" the equalities
 * that ptw_stats_check() tests hold exactly.
 */
#ifndef PTRACE_WAKING_PTW_ABI_H
#define PTRACE_WAKING_PTW_ABI_H

#include <stdbool.h>
#include <stdarg.h>

#include "../kselftest.h"
#include "ptw_util.h"

#define PTW_DEBUGFS		"/sys/kernel/debug"
#define PTW_DIR			PTW_DEBUGFS "/ptrace_waking"
#define PTW_ABI_VERSION		2

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* What ptrace_check_attach() returns for a reason. */
enum ptw_ret { PTW_RET_OK, PTW_RET_ESRCH };

static const struct ptw_reason {
	const char *name;	/* file in reasons/, line reason_<name> */
	enum ptw_ret ret;
	bool waking_path;	/* the call waited for a waking tracee */
} ptw_reasons[] = {
	{ "ok",			PTW_RET_OK,		false },
	{ "ok_ignore_state",	PTW_RET_OK,		false },
	{ "not_traced",		PTW_RET_ESRCH,		false },
	{ "not_stopped",	PTW_RET_ESRCH,		false },
	{ "listening",		PTW_RET_ESRCH,		false },
	{ "fatal_signal",	PTW_RET_ESRCH,		false },
	{ "exec_pid",		PTW_RET_ESRCH,		false },
	{ "inactive",		PTW_RET_ESRCH,		false },
	{ "ok_after_waking",	PTW_RET_OK,		true },
	{ "waking_frozen",	PTW_RET_ESRCH,		false },
	{ "waking_timeout",	PTW_RET_ESRCH,		true },
	{ "waking_failed",	PTW_RET_ESRCH,		true },
	{ "waking_interrupted",	PTW_RET_ESRCH,		true },
	{ "waking_off",		PTW_RET_ESRCH,		false },
};

static const struct ptw_site {
	const char *name;	/* file in waking_sites/, line site_<name> */
	bool set;		/* sets JOBCTL_PT_WAKING, or clears it */
} ptw_sites[] = {
	{ "prepare_signal",	true },
	{ "trap_notify",	true },
	{ "listen",		true },
	{ "attach",		true },
	{ "interrupt",		true },
	{ "ptrace_stop",	false },
	{ "ptrace_stop_abort",	false },
	{ "get_signal",		false },
	{ "unlink",		false },
	{ "exit",		false },
	{ "fatal_signal",	false },
	{ "freezer_trap",	false },
};

#define PTW_NR_REASONS	ARRAY_SIZE(ptw_reasons)	/* without "unknown" */
#define PTW_NR_SITES	ARRAY_SIZE(ptw_sites)	/* without "unknown" */

/* The single-counter files at the top level, also the first stats lines. */
enum {
	PTW_CALLS, PTW_OK, PTW_ESRCH, PTW_RET_OTHER, PTW_WAKING_PATH,
	PTW_WAKING_OK, PTW_WAKING_ESRCH, PTW_WAIT_NS_TOTAL, PTW_WAIT_NS_MAX,
	PTW_WAKING_SET, PTW_WAKING_CLEARED, PTW_NR_COUNTERS
};

static const char *const ptw_counters[PTW_NR_COUNTERS] = {
	"calls", "ok", "esrch", "ret_other", "waking_path", "waking_ok",
	"waking_esrch", "wait_ns_total", "wait_ns_max", "waking_set",
	"waking_cleared",
};

/* The other files at the top level, with their modes. */
static const struct {
	const char *name;
	unsigned int mode;
} ptw_other_files[] = {
	{ "version", 0400 },
	{ "stats", 0400 },
	{ "wait_histogram", 0400 },
	{ "wait_summary", 0400 },
	{ "last_esrch", 0400 },
	{ "reset", 0200 },
};

static const char *const ptw_summary_names[] = {
	"count", "total_ns", "max_ns", "mean_ns", "p50_ns", "p90_ns", "p99_ns",
};

#define PTW_NR_SUMMARY	ARRAY_SIZE(ptw_summary_names)

/* A file name relative to PTW_DIR. */
struct ptw_rel {
	char s[48];
};

#define PTW_MAX_FILES	64

/*
 * Every read-only file of the directory, relative to PTW_DIR, into
 * @names; returns how many.
 */
static inline int ptw_ro_files(struct ptw_rel *names, int max)
{
	const size_t sz = sizeof(names->s);
	int n = 0;
	size_t i;

	for (i = 0; i < PTW_NR_COUNTERS && n < max; i++)
		snprintf(names[n++].s, sz, "%s", ptw_counters[i]);
	for (i = 0; i < ARRAY_SIZE(ptw_other_files) && n < max; i++)
		if (ptw_other_files[i].mode == 0400)
			snprintf(names[n++].s, sz, "%s", ptw_other_files[i].name);
	for (i = 0; i <= PTW_NR_REASONS && n < max; i++)
		snprintf(names[n++].s, sz, "reasons/%s",
			 i < PTW_NR_REASONS ? ptw_reasons[i].name : "unknown");
	for (i = 0; i <= PTW_NR_SITES && n < max; i++)
		snprintf(names[n++].s, sz, "waking_sites/%s",
			 i < PTW_NR_SITES ? ptw_sites[i].name : "unknown");
	return n;
}

/* Does read-only file @rel hold a counter: one decimal number? */
static inline bool ptw_is_counter(const char *rel)
{
	return strcmp(rel, "stats") && strncmp(rel, "wait_", 5) &&
	       strcmp(rel, "last_esrch") && strcmp(rel, "version");
}

/* Number of lines of "stats": counters, reasons + unknown, sites + unknown. */
#define PTW_NR_STATS	(PTW_NR_COUNTERS + PTW_NR_REASONS + 1 + PTW_NR_SITES + 1)

/* One read of "stats". */
struct ptw_stats {
	unsigned long long c[PTW_NR_COUNTERS];
	unsigned long long reason[PTW_NR_REASONS + 1];	/* last: unknown */
	unsigned long long site[PTW_NR_SITES + 1];	/* last: unknown */
};

/* Name of stats line @i (0-based) into @buf. */
static inline const char *ptw_stats_name(size_t i, char *buf, size_t size)
{
	if (i < PTW_NR_COUNTERS)
		return ptw_counters[i];
	i -= PTW_NR_COUNTERS;
	if (i <= PTW_NR_REASONS) {
		snprintf(buf, size, "reason_%s",
			 i < PTW_NR_REASONS ? ptw_reasons[i].name : "unknown");
		return buf;
	}
	i -= PTW_NR_REASONS + 1;
	snprintf(buf, size, "site_%s", i < PTW_NR_SITES ? ptw_sites[i].name : "unknown");
	return buf;
}

static inline unsigned long long *ptw_stats_slot(struct ptw_stats *s, size_t i)
{
	if (i < PTW_NR_COUNTERS)
		return &s->c[i];
	i -= PTW_NR_COUNTERS;
	if (i <= PTW_NR_REASONS)
		return &s->reason[i];
	return &s->site[i - PTW_NR_REASONS - 1];
}

/* Index of reason or site @name in its table, or -1. */
static inline int ptw_reason_idx(const char *name)
{
	for (size_t i = 0; i < PTW_NR_REASONS; i++)
		if (!strcmp(ptw_reasons[i].name, name))
			return i;
	return -1;
}

static inline int ptw_site_idx(const char *name)
{
	for (size_t i = 0; i < PTW_NR_SITES; i++)
		if (!strcmp(ptw_sites[i].name, name))
			return i;
	return -1;
}

static inline __printf(3, 4) int ptw_why(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Parse the text of "stats" (modified in place) into @s: exactly the
 * PTW_NR_STATS lines "<name> <decimal>\n" in ABI order; later versions may
 * append lines, which are ignored.  0, or -EINVAL with @why filled in.
 */
static inline int ptw_stats_parse(char *text, struct ptw_stats *s, char *why,
				  size_t size)
{
	char name[64];
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; *text; i++) {
		char *nl = strchr(text, '\n'), *sp, *end;

		if (!nl)
			return ptw_why(why, size, "line %zu: no newline", i + 1);
		*nl = '\0';
		sp = strchr(text, ' ');
		if (!sp || sp[1] < '0' || sp[1] > '9')
			return ptw_why(why, size, "line %zu malformed: '%s'", i + 1, text);
		*sp = '\0';
		if (i < PTW_NR_STATS) {
			if (strcmp(text, ptw_stats_name(i, name, sizeof(name))))
				return ptw_why(why, size, "line %zu is '%s', expected '%s'",
					       i + 1, text, name);
			errno = 0;
			*ptw_stats_slot(s, i) = strtoull(sp + 1, &end, 10);
			if (errno || *end)
				return ptw_why(why, size, "%s: bad value '%s'", text, sp + 1);
		}
		text = nl + 1;
	}
	if (i < PTW_NR_STATS)
		return ptw_why(why, size, "%zu lines, expected %zu", i, (size_t)PTW_NR_STATS);
	return 0;
}

/* One read(2) of stats, parsed; 0 or -errno (@why says more on -EINVAL). */
static inline int ptw_stats_read(struct ptw_stats *s, char *why, size_t size)
{
	char buf[8192];
	ssize_t n = ptw_read_file(PTW_DIR "/stats", buf, sizeof(buf));

	if (n < 0)
		return ptw_why(why, size, "read stats: %s", strerror(-n));
	return ptw_stats_parse(buf, s, why, size);
}

/*
 * The derived lines of one stats read against its primitives.  0 if
 * every equality of the ABI holds, else -EINVAL with @why filled in.
 */
static inline int ptw_stats_check(const struct ptw_stats *s, char *why, size_t size)
{
	unsigned long long sum[PTW_NR_COUNTERS] = { 0 };
	size_t i;

	for (i = 0; i <= PTW_NR_REASONS; i++) {
		unsigned long long v = s->reason[i];

		sum[PTW_CALLS] += v;
		if (i == PTW_NR_REASONS) {	/* unknown */
			sum[PTW_RET_OTHER] += v;
			continue;
		}
		if (ptw_reasons[i].ret == PTW_RET_OK)
			sum[PTW_OK] += v;
		else
			sum[PTW_ESRCH] += v;
		if (ptw_reasons[i].waking_path) {
			sum[PTW_WAKING_PATH] += v;
			if (ptw_reasons[i].ret == PTW_RET_OK)
				sum[PTW_WAKING_OK] += v;
			else
				sum[PTW_WAKING_ESRCH] += v;
		}
	}
	for (i = 0; i < PTW_NR_SITES; i++)
		sum[ptw_sites[i].set ? PTW_WAKING_SET : PTW_WAKING_CLEARED] += s->site[i];

	for (i = 0; i < PTW_NR_COUNTERS; i++) {
		if (i == PTW_WAIT_NS_TOTAL || i == PTW_WAIT_NS_MAX)
			continue;	/* primitives of their own */
		if (s->c[i] != sum[i])
			return ptw_why(why, size, "%s %llu, but its parts add up to %llu",
				       ptw_counters[i], s->c[i], sum[i]);
	}
	return 0;
}

/* Reason @name's count in @s (name as in reasons/), or ULLONG_MAX. */
static inline unsigned long long ptw_stats_reason(const struct ptw_stats *s,
						  const char *name)
{
	int i = ptw_reason_idx(name);

	return i < 0 ? ULLONG_MAX : s->reason[i];
}

static inline unsigned long long ptw_stats_site(const struct ptw_stats *s,
						const char *name)
{
	int i = ptw_site_idx(name);

	return i < 0 ? ULLONG_MAX : s->site[i];
}

/* The counter file @rel below PTW_DIR, or ULLONG_MAX if it can't be read. */
static inline unsigned long long ptw_counter(const char *rel)
{
	char path[PATH_MAX];
	unsigned long long v;

	snprintf(path, sizeof(path), PTW_DIR "/%s", rel);
	return ptw_read_u64(path, &v) ? ULLONG_MAX : v;
}

/* One write(2) of @len bytes to reset (no O_TRUNC): 0, or -errno. */
static inline int ptw_reset_write(const void *buf, size_t len)
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

/* wait_summary, values in ptw_summary_names order; 0 or -EINVAL. */
static inline int ptw_summary_read(unsigned long long v[PTW_NR_SUMMARY])
{
	char buf[1024], *p = buf, name[32];
	size_t i;
	int len;

	if (ptw_read_file(PTW_DIR "/wait_summary", buf, sizeof(buf)) < 0)
		return -EINVAL;
	for (i = 0; i < PTW_NR_SUMMARY; i++) {
		if (sscanf(p, "%31s %llu\n%n", name, &v[i], &len) != 2 ||
		    strcmp(name, ptw_summary_names[i]))
			return -EINVAL;
		p += len;
	}
	return *p ? -EINVAL : 0;
}

enum {
	PTW_SUM_COUNT, PTW_SUM_TOTAL, PTW_SUM_MAX, PTW_SUM_MEAN, PTW_SUM_P50,
	PTW_SUM_P90, PTW_SUM_P99
};

#endif /* PTRACE_WAKING_PTW_ABI_H */
