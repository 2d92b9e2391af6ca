// SPDX-License-Identifier: GPL-2.0
/*
 * Race scenarios, each run with the waking path on and off, counted three
 * ways: by the reproducer (its summary line, see race_common.h), by the
 * kernel's tracepoints (ftrace hist triggers on ptrace:ptrace_check_attach,
 * keys=reason, and ptrace:ptrace_waking, keys=site) and by the
 * ptrace_waking module, which is loaded and reset before every scenario.
 *
 * Every variant asserts:
 *  - the reproducer ran all its iterations, cleanly, and a tracer that
 *    follows ptrace(2) (requests only after waitpid() reported a stop)
 *    never saw ESRCH;
 *  - the kernel saw exactly the reproducer's requests (calls, ESRCH, ok),
 *    the module counted exactly what the tracepoints reported, reason by
 *    reason and site by site, its stats are consistent, every tracee that
 *    was kicked towards a trap got there or died (set == cleared), and the
 *    wait histogram holds exactly the calls that waited;
 *  - waking off: no call waited; waking on: no call reported waking_off.
 * and its scenario's own invariant:
 *  - window scenarios (listen: SIGCONT kicks a LISTENING tracee;
 *    listen_interrupt: PTRACE_INTERRUPT does): PT_WAKING is set at the
 *    scenario's site; waking off: the eager request hits the window
 *    (eager ESRCH > 0, reason waking_off > 0); waking on: it never fails
 *    (eager ESRCH 0) because it waited (ok_after_waking > 0), and no wait
 *    timed out, failed or was interrupted;
 *  - seed, stop_cont (PTRACE_TRACEME tracees, never in TASK_STOPPED and
 *    never LISTENING): PT_WAKING is never set;
 *  - threads, antagonists, attach_stopped: waking on, no wait timed out
 *    (attach_stopped may see waking_failed: a late SIGCONT can flush the
 *    SIGSTOP that PTRACE_ATTACH queued, and the tracee returns to user
 *    mode instead of trapping).
 * Reason and site names come from the events' format files: no second list.
 *
 * One machine-readable line per variant ("# race=NAME mode=on|off
 * key=value ..."), from which make demo builds its table.
 *
 * Iterations per run: $RACE_ITERS (default 500).  The module is taken
 * from $PTRACE_WAKING_KO, else ./ptrace_waking.ko next to this binary.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "ptw_abi.h"

#define EVENTS		PTW_TRACING "/events/ptrace"
#define CA		EVENTS "/ptrace_check_attach"
#define PW		EVENTS "/ptrace_waking"
/*
 * 14 reasons and 12 sites; the smallest table the kernel makes (128 entries,
 * not the default 2048) is far more than enough, and each trigger
 * preallocates its whole table: under KASAN and kmemleak the default
 * made arming the two triggers cost seconds a variant.
 */
#define CA_HIST		"hist:keys=reason:size=128"
#define PW_HIST		"hist:keys=site:size=128"
#define MAX_KEY		64

/* Value of " key=N" in the reproducer's summary line, or -1. */
static long field(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* The symbols of an event's print fmt: "{ 2, "OK_AFTER_WAKING" }" ... */
struct symbols {
	int n;
	unsigned int num[MAX_KEY];
	char raw[MAX_KEY][48];		/* as printed: ESRCH_WAKING_OFF */
	char name[MAX_KEY][48];		/* as in debugfs: waking_off */
};

static int read_symbols(const char *format, struct symbols *sy)
{
	char buf[16384], name[48];
	const char *p;
	unsigned int num;

	sy->n = 0;
	if (ptw_read_file(format, buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "print fmt:");
	while (p && (p = strstr(p, "{ ")) && sy->n < MAX_KEY) {
		if (sscanf(p, "{ %u, \"%47[A-Za-z0-9_]\" }", &num, name) == 2) {
			char *d = sy->name[sy->n];

			snprintf(sy->raw[sy->n], sizeof(sy->raw[0]), "%s", name);
			/* OK_AFTER_WAKING -> ok_after_waking, ESRCH_X -> x */
			for (const char *s = name; *s; s++)
				*d++ = tolower((unsigned char)*s);
			*d = '\0';
			if (!strncmp(sy->name[sy->n], "esrch_", 6))
				memmove(sy->name[sy->n], sy->name[sy->n] + 6,
					strlen(sy->name[sy->n] + 6) + 1);
			sy->num[sy->n++] = num;
		}
		p += 2;
	}
	return sy->n ? 0 : -1;
}

/* What a hist trigger counted: hits per key, and keys not in the format. */
struct hist {
	unsigned long hits[MAX_KEY];
	unsigned long total, unknown, dropped;
};

static int read_hist(const char *path, const char *key, const struct symbols *sy,
		     struct hist *h)
{
	char line[256], fmt[64];
	unsigned long cnt;
	unsigned int k;
	FILE *f = fopen(path, "r");
	bool totals = false;

	memset(h, 0, sizeof(*h));
	if (!f)
		return -1;
	snprintf(fmt, sizeof(fmt), "{ %s: %%u } hitcount: %%lu", key);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, fmt, &k, &cnt) == 2) {
			int i;

			for (i = 0; i < sy->n && sy->num[i] != k; i++)
				;
			if (i < sy->n)
				h->hits[i] += cnt;
			else
				h->unknown += cnt;
			h->total += cnt;
		} else if (sscanf(line, " Dropped: %lu", &cnt) == 1) {
			h->dropped = cnt;
			totals = true;
		}
	}
	fclose(f);
	return totals ? 0 : -1;
}

/* Sum of the hits of the symbols whose printed name starts with @prefix. */
static unsigned long hist_sum(const struct symbols *sy, const struct hist *h,
			      const char *prefix)
{
	unsigned long s = 0;

	for (int i = 0; i < sy->n; i++)
		if (!strncmp(sy->raw[i], prefix, strlen(prefix)))
			s += h->hits[i];
	return s;
}

/* Append to the string in @buf. */
static __printf(3, 4) void add(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

enum race_kind {
	NEVER_WAKING,	/* PT_WAKING must never be set */
	WINDOW,		/* the eager request hits the PT_WAKING window */
	PROTOCOL,	/* only the protocol's own invariants */
};

FIXTURE(race) {
	int saved;
	bool loaded, armed;
	char tracing_on[8];
};

FIXTURE_VARIANT(race) {
	const char *name;	/* race_<name> is the reproducer */
	int waking;
	enum race_kind kind;
	const char *site;	/* WINDOW: the site that sets PT_WAKING */
};

FIXTURE_VARIANT_ADD(race, seed_waking_on) {
	.name = "seed", .waking = 1, .kind = NEVER_WAKING,
};

FIXTURE_VARIANT_ADD(race, seed_waking_off) {
	.name = "seed", .waking = 0, .kind = NEVER_WAKING,
};

FIXTURE_VARIANT_ADD(race, stop_cont_waking_on) {
	.name = "stop_cont", .waking = 1, .kind = NEVER_WAKING,
};

FIXTURE_VARIANT_ADD(race, stop_cont_waking_off) {
	.name = "stop_cont", .waking = 0, .kind = NEVER_WAKING,
};

FIXTURE_VARIANT_ADD(race, listen_waking_on) {
	.name = "listen", .waking = 1, .kind = WINDOW, .site = "trap_notify",
};

FIXTURE_VARIANT_ADD(race, listen_waking_off) {
	.name = "listen", .waking = 0, .kind = WINDOW, .site = "trap_notify",
};

FIXTURE_VARIANT_ADD(race, listen_interrupt_waking_on) {
	.name = "listen_interrupt", .waking = 1, .kind = WINDOW, .site = "interrupt",
};

FIXTURE_VARIANT_ADD(race, listen_interrupt_waking_off) {
	.name = "listen_interrupt", .waking = 0, .kind = WINDOW, .site = "interrupt",
};

FIXTURE_VARIANT_ADD(race, attach_stopped_waking_on) {
	.name = "attach_stopped", .waking = 1, .kind = PROTOCOL,
};

FIXTURE_VARIANT_ADD(race, attach_stopped_waking_off) {
	.name = "attach_stopped", .waking = 0, .kind = PROTOCOL,
};

FIXTURE_VARIANT_ADD(race, threads_waking_on) {
	.name = "threads", .waking = 1, .kind = PROTOCOL,
};

FIXTURE_VARIANT_ADD(race, threads_waking_off) {
	.name = "threads", .waking = 0, .kind = PROTOCOL,
};

FIXTURE_VARIANT_ADD(race, antagonists_waking_on) {
	.name = "antagonists", .waking = 1, .kind = PROTOCOL,
};

FIXTURE_VARIANT_ADD(race, antagonists_waking_off) {
	.name = "antagonists", .waking = 0, .kind = PROTOCOL,
};

static void disarm(void)
{
	/* O_TRUNC on a trigger file removes every trigger of the event. */
	ptw_write_str(CA "/trigger", "!" CA_HIST);
	ptw_write_str(PW "/trigger", "!" PW_HIST);
}

FIXTURE_SETUP(race)
{
	const char *ko = ptw_module_path();
	int ret;

	self->saved = -1;
	self->loaded = false;
	self->armed = false;
	self->tracing_on[0] = '\0';
	if (geteuid())
		SKIP(return, "needs root");
	self->saved = ptw_waking_get();
	if (self->saved < 0)
		SKIP(return, PTW_SYSCTL " missing (kernel without the PT_WAKING series?)");
	ASSERT_EQ(0, access(CA "/hist", R_OK))
		TH_LOG("no hist triggers on ptrace:* (CONFIG_HIST_TRIGGERS?)");
	ASSERT_EQ(0, access(ko, R_OK)) TH_LOG("module %s not found (set PTRACE_WAKING_KO)", ko);

	ret = ptw_reload_module(ko);
	ASSERT_EQ(0, ret) TH_LOG("loading %s: %s", ko, strerror(-ret));
	self->loaded = true;
	ASSERT_EQ(0, ptw_waking_set(variant->waking));
	ASSERT_EQ(0, ptw_reset_write("1", 1));

	ASSERT_EQ(0, ptw_read_str(PTW_TRACING "/tracing_on", self->tracing_on,
				  sizeof(self->tracing_on)));
	ASSERT_EQ(0, ptw_write_str(PTW_TRACING "/tracing_on", "1"));
	self->armed = true;
	ASSERT_EQ(0, ptw_write_str(CA "/trigger", CA_HIST));
	ASSERT_EQ(0, ptw_write_str(PW "/trigger", PW_HIST));
}

FIXTURE_TEARDOWN(race)
{
	if (self->armed)
		disarm();
	if (self->tracing_on[0])
		ptw_write_str(PTW_TRACING "/tracing_on", self->tracing_on);
	if (self->loaded)
		ptw_unload_module();
	if (self->saved >= 0)
		ptw_waking_set(self->saved);
}

/* Run @prog @iters; its summary line into @line, its exit status. */
static int run_reproducer(struct __test_metadata *_metadata, const char *prog,
			  long iters, char *line, size_t size)
{
	char cmd[PATH_MAX + 64], buf[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s/race_%s %ld 2>&1", ptw_self_dir(), prog, iters);
	line[0] = '\0';
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(buf, sizeof(buf), p)) {
		buf[strcspn(buf, "\n")] = '\0';
		if (!strncmp(buf, "scenario=", 9))
			snprintf(line, size, "%s", buf);
		else
			TH_LOG("race_%s: %s", prog, buf);
	}
	return pclose(p);
}

TEST_F_TIMEOUT(race, counted_three_ways, 900)
{
	long iters = 500, calls, calls_esrch, calls_ok, eager;
	char eager_s[24] = "-";
	unsigned long long sum[PTW_NR_SUMMARY], v;
	struct symbols rs, ss;
	struct hist rh, sh;
	struct ptw_stats st;
	char line[512], why[256], path[PATH_MAX], out[1024] = "";
	int status, i, stats_ret, sum_ret;

	ASSERT_EQ(0, ptw_env_count("RACE_ITERS", 10000000, &iters))
		TH_LOG("RACE_ITERS=%.40s: not a whole number from 1 to 10000000",
		       getenv("RACE_ITERS"));
	ASSERT_EQ(0, read_symbols(CA "/format", &rs)) TH_LOG("no reasons in %s/format", CA);
	ASSERT_EQ(0, read_symbols(PW "/format", &ss)) TH_LOG("no sites in %s/format", PW);

	status = run_reproducer(_metadata, variant->name, iters, line, sizeof(line));

	ASSERT_EQ(0, read_hist(CA "/hist", "reason", &rs, &rh));
	ASSERT_EQ(0, read_hist(PW "/hist", "site", &ss, &sh));
	disarm();
	self->armed = false;
	stats_ret = ptw_stats_read(&st, why, sizeof(why));
	sum_ret = ptw_summary_read(sum);
	if (sum_ret)
		memset(sum, 0, sizeof(sum));

	calls = field(line, "calls");
	calls_esrch = field(line, "calls_esrch");
	calls_ok = field(line, "calls_ok");
	eager = field(line, "eager_esrch");
	if (eager >= 0)
		snprintf(eager_s, sizeof(eager_s), "%ld", eager);
	add(out, sizeof(out), "race=%s mode=%s iterations=%ld tracer_esrch=%ld eager_esrch=%s",
	    variant->name, variant->waking ? "on" : "off", field(line, "iterations"),
	    field(line, "esrch"), eager_s);
	add(out, sizeof(out), " calls=%ld calls_esrch=%ld calls_ok=%ld",
	    calls, calls_esrch, calls_ok);
	add(out, sizeof(out), " mod_calls=%llu mod_esrch=%llu mod_ok=%llu set=%llu cleared=%llu",
	    st.c[PTW_CALLS], st.c[PTW_ESRCH], st.c[PTW_OK], st.c[PTW_WAKING_SET],
	    st.c[PTW_WAKING_CLEARED]);
	add(out, sizeof(out), " ok_after_waking=%llu waking_off=%llu waking_timeout=%llu",
	    ptw_stats_reason(&st, "ok_after_waking"), ptw_stats_reason(&st, "waking_off"),
	    ptw_stats_reason(&st, "waking_timeout"));
	add(out, sizeof(out), " waking_failed=%llu waking_interrupted=%llu",
	    ptw_stats_reason(&st, "waking_failed"), ptw_stats_reason(&st, "waking_interrupted"));
	add(out, sizeof(out), " wait_p50_ns=%llu wait_p99_ns=%llu wait_max_ns=%llu exit=%d",
	    sum[PTW_SUM_P50], sum[PTW_SUM_P99], sum[PTW_SUM_MAX],
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	ksft_print_msg("%s\n", out);
	fflush(stdout);
	TH_LOG("%s", line);

	/* The reproducer: complete, clean, and the protocol never failed. */
	ASSERT_EQ(0, strncmp(line, "scenario=", 9))
		TH_LOG("no summary from race_%s", variant->name);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(iters, field(line, "iterations"));
	EXPECT_EQ(0, field(line, "other_errors"));
	EXPECT_EQ(0, field(line, "esrch"));

	/* The kernel saw exactly the reproducer's requests, nothing dropped. */
	EXPECT_EQ(0UL, rh.dropped);
	EXPECT_EQ(0UL, sh.dropped);
	EXPECT_EQ((unsigned long)calls, rh.total);
	EXPECT_EQ((unsigned long)calls_esrch, hist_sum(&rs, &rh, "ESRCH_"));
	EXPECT_EQ((unsigned long)calls_ok, hist_sum(&rs, &rh, "OK"));
	EXPECT_EQ(0UL, rh.unknown);
	EXPECT_EQ(0UL, sh.unknown);

	/* The module counted what the reproducer did ... */
	ASSERT_EQ(0, stats_ret) TH_LOG("stats: %s", why);
	EXPECT_EQ((unsigned long long)calls, st.c[PTW_CALLS]);
	EXPECT_EQ((unsigned long long)calls_esrch, st.c[PTW_ESRCH]);
	EXPECT_EQ((unsigned long long)calls_ok, st.c[PTW_OK]);
	EXPECT_EQ(0, ptw_stats_check(&st, why, sizeof(why))) TH_LOG("stats: %s", why);

	/* ... and what the tracepoints reported, file by file. */
	for (i = 0; i < rs.n; i++) {
		snprintf(path, sizeof(path), PTW_DIR "/reasons/%s", rs.name[i]);
		ASSERT_EQ(0, ptw_read_u64(path, &v)) TH_LOG("%s unreadable", path);
		EXPECT_EQ(rh.hits[i], v) TH_LOG("%s", path);
		EXPECT_EQ(ptw_stats_reason(&st, rs.name[i]), v) TH_LOG("stats vs %s", path);
	}
	EXPECT_EQ(rh.unknown, ptw_counter("reasons/unknown"));
	for (i = 0; i < ss.n; i++) {
		snprintf(path, sizeof(path), PTW_DIR "/waking_sites/%s", ss.name[i]);
		ASSERT_EQ(0, ptw_read_u64(path, &v)) TH_LOG("%s unreadable", path);
		EXPECT_EQ(sh.hits[i], v) TH_LOG("%s", path);
		EXPECT_EQ(ptw_stats_site(&st, ss.name[i]), v) TH_LOG("stats vs %s", path);
	}
	EXPECT_EQ(sh.unknown, ptw_counter("waking_sites/unknown"));

	/* Every tracee kicked towards a trap got there, or died. */
	EXPECT_EQ(st.c[PTW_WAKING_SET], st.c[PTW_WAKING_CLEARED]);
	/* The histogram holds exactly the calls that waited. */
	ASSERT_EQ(0, sum_ret) TH_LOG("wait_summary unreadable or malformed");
	EXPECT_EQ(st.c[PTW_WAKING_PATH], sum[PTW_SUM_COUNT]);
	EXPECT_EQ(st.c[PTW_WAIT_NS_TOTAL], sum[PTW_SUM_TOTAL]);
	EXPECT_EQ(st.c[PTW_WAIT_NS_MAX], sum[PTW_SUM_MAX]);

	if (variant->waking) {
		/* The sysctl is on: no call may find the wait switched off. */
		EXPECT_EQ(0ULL, ptw_stats_reason(&st, "waking_off"));
	} else {
		/* Switched off: nothing waited. */
		EXPECT_EQ(0ULL, st.c[PTW_WAKING_PATH]);
		EXPECT_EQ(0ULL, sum[PTW_SUM_COUNT]);
	}

	switch (variant->kind) {
	case NEVER_WAKING:
		/* A PTRACE_TRACEME tracee never sleeps in TASK_STOPPED. */
		EXPECT_EQ(0UL, sh.total);
		EXPECT_EQ(0ULL, st.c[PTW_WAKING_SET]);
		EXPECT_EQ(0ULL, st.c[PTW_WAKING_CLEARED]);
		break;
	case WINDOW:
		/* PT_WAKING is set where the scenario kicks the tracee ... */
		EXPECT_LT(0ULL, ptw_stats_site(&st, variant->site))
			TH_LOG("PT_WAKING never set at site %s", variant->site);
		if (!variant->waking) {
			/* ... and without the wait the window is real. */
			EXPECT_LT(0, eager) TH_LOG("the scenario never hit the window");
			EXPECT_LT(0ULL, ptw_stats_reason(&st, "waking_off"));
			break;
		}
		/* The fix: the eager request waited and never failed. */
		EXPECT_EQ(0, eager);
		EXPECT_LT(0ULL, ptw_stats_reason(&st, "ok_after_waking"));
		EXPECT_EQ(0ULL, ptw_stats_reason(&st, "waking_timeout"));
		EXPECT_EQ(0ULL, ptw_stats_reason(&st, "waking_failed"));
		EXPECT_EQ(0ULL, ptw_stats_reason(&st, "waking_interrupted"));
		break;
	case PROTOCOL:
		if (variant->waking)
			EXPECT_EQ(0ULL, ptw_stats_reason(&st, "waking_timeout"));
		break;
	}
}

TEST_HARNESS_MAIN
