// SPDX-License-Identifier: GPL-2.0
/*
 * Race scenarios, each run with the waking path on and off.
 *
 * Every scenario is one of the race_* reproducers next to this binary
 * (see race_common.h for their output).  A tracer that follows ptrace(2)'s
 * rules -- requests only after waitpid() reported a stop -- must never see
 * ESRCH, whatever the antagonists do and whether the waking path is on or
 * off.  The listen scenario also makes requests in the PT_WAKING window
 * ("eager"): with the waking path on they must all succeed.
 *
 * Iterations per run: $RACE_ITERS (default 500).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "ptw_util.h"

/* Value of " key=N" in the reproducer's summary line, or -1. */
static long field(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

FIXTURE(race) {
	int saved;
};

FIXTURE_VARIANT(race) {
	const char *prog;
	int waking;
};

FIXTURE_VARIANT_ADD(race, seed_waking_on) {
	.prog = "race_seed",
	.waking = 1,
};

FIXTURE_VARIANT_ADD(race, seed_waking_off) {
	.prog = "race_seed",
	.waking = 0,
};

FIXTURE_VARIANT_ADD(race, stop_cont_waking_on) {
	.prog = "race_stop_cont",
	.waking = 1,
};

FIXTURE_VARIANT_ADD(race, stop_cont_waking_off) {
	.prog = "race_stop_cont",
	.waking = 0,
};

FIXTURE_VARIANT_ADD(race, listen_waking_on) {
	.prog = "race_listen",
	.waking = 1,
};

FIXTURE_VARIANT_ADD(race, listen_waking_off) {
	.prog = "race_listen",
	.waking = 0,
};

FIXTURE_VARIANT_ADD(race, attach_stopped_waking_on) {
	.prog = "race_attach_stopped",
	.waking = 1,
};

FIXTURE_VARIANT_ADD(race, attach_stopped_waking_off) {
	.prog = "race_attach_stopped",
	.waking = 0,
};

FIXTURE_VARIANT_ADD(race, threads_waking_on) {
	.prog = "race_threads",
	.waking = 1,
};

FIXTURE_VARIANT_ADD(race, threads_waking_off) {
	.prog = "race_threads",
	.waking = 0,
};

FIXTURE_VARIANT_ADD(race, antagonists_waking_on) {
	.prog = "race_antagonists",
	.waking = 1,
};

FIXTURE_VARIANT_ADD(race, antagonists_waking_off) {
	.prog = "race_antagonists",
	.waking = 0,
};

FIXTURE_SETUP(race)
{
	self->saved = ptw_waking_get();
	if (geteuid())
		SKIP(return, "needs root");
	if (self->saved < 0)
		SKIP(return, PTW_SYSCTL " missing (kernel without the PT_WAKING series?)");
	ASSERT_EQ(0, ptw_waking_set(variant->waking));
}

FIXTURE_TEARDOWN(race)
{
	if (self->saved >= 0)
		ptw_waking_set(self->saved);
}

TEST_F_TIMEOUT(race, protocol_never_sees_esrch, 600)
{
	const char *env = getenv("RACE_ITERS");
	long iters = env ? atol(env) : 500;
	char self_path[PATH_MAX], cmd[PATH_MAX + 64], line[512] = "";
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	FILE *p;
	int status;

	ASSERT_GT(n, 0);
	self_path[n] = '\0';
	snprintf(cmd, sizeof(cmd), "%s/%s %ld 2>&1", dirname(self_path),
		 variant->prog, iters);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p) && strncmp(line, "scenario=", 9))
		TH_LOG("%s: %s", variant->prog, line);
	status = pclose(p);
	TH_LOG("waking=%d: %s", variant->waking, line);

	ASSERT_EQ(0, strncmp(line, "scenario=", 9)) TH_LOG("no summary from %s", cmd);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(iters, field(line, "iterations"));
	EXPECT_EQ(0, field(line, "other_errors"));
	/* The claim of ptrace(2): after waitpid() reported a stop, no ESRCH. */
	EXPECT_EQ(0, field(line, "esrch"));
	/* The fix: requests in the PT_WAKING window wait instead of failing. */
	if (variant->waking && !strcmp(variant->prog, "race_listen"))
		EXPECT_EQ(0, field(line, "eager_esrch"));
}

TEST_HARNESS_MAIN
