// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmarks for the PT_WAKING series (make bench); not a test.
 *
 * bench_ptrace roundtrip N
 *	A tracer drives its tracee with PTRACE_SYSCALL: resume, the tracee
 *	makes a cheap syscall (getppid) and stops at its entry or exit,
 *	the tracer's waitpid() returns.  Every PTRACE_SYSCALL passes
 *	ptrace_check_attach(), the path the series changes.  After a
 *	warm-up of N/10, times N round trips.
 *	Output: "roundtrip n=N ns=T per_sec=R"
 *
 * bench_ptrace waking N
 *	The race_listen scenario: PTRACE_LISTEN, SIGCONT, then a request at
 *	once.  Measures, per iteration, the time from kill() returning to
 *	the first successful PTRACE_GETSIGINFO.  With the waking path on the
 *	request waits in the kernel for the re-trap; with it off it fails
 *	with ESRCH and the tracer does what ptrace(2) asks: waitpid() for
 *	the stop, then the request again.
 *	Output: "waking n=N eager_esrch=E p50_ns=.. p90_ns=.. p99_ns=.. max_ns=.."
 */
#include "race_common.h"

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static pid_t start_tracee(void)
{
	pid_t pid = spawn_spinner();

	if (pid < 0 || seize_interrupt(pid, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD))
		return -1;
	return pid;
}

static int roundtrip(long n)
{
	unsigned long long t0 = 0, t1;
	long i, warm = n / 10 + 1;
	pid_t pid = start_tracee();
	int status;

	if (pid < 0 || waitpid(pid, &status, __WALL) != pid)
		return 1;
	for (i = 0; i < warm + n; i++) {
		if (i == warm)
			t0 = now_ns();
		if (race_ptrace(PTRACE_SYSCALL, pid, 0, 0) ||
		    waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status)) {
			perror("PTRACE_SYSCALL round trip");
			cleanup();
			return 1;
		}
	}
	t1 = now_ns();
	cleanup();
	printf("%s n=%ld ns=%llu per_sec=%.0f\n", __func__, n, t1 - t0,
	       (double)n * 1e9 / (double)(t1 - t0));
	return 0;
}

static int waking(long n)
{
	unsigned long long *lat = calloc(n, sizeof(*lat)), t0;
	long i, eager_esrch = 0;
	pid_t pid = start_tracee();
	siginfo_t si;

	if (!lat || pid < 0 || get_event_stop(pid))
		return 1;
	for (i = 0; i < n; i++) {
		if (race_ptrace(PTRACE_LISTEN, pid, 0, 0))
			break;
		kill(pid, SIGCONT);
		t0 = now_ns();
		if (race_ptrace(PTRACE_GETSIGINFO, pid, 0, &si)) {
			/* The spurious ESRCH a tracer has to handle. */
			eager_esrch++;
			if (get_event_stop(pid) || race_ptrace(PTRACE_GETSIGINFO, pid, 0, &si))
				break;
			lat[i] = now_ns() - t0;
			continue;
		}
		lat[i] = now_ns() - t0;
		if (get_event_stop(pid))
			break;
	}
	cleanup();
	if (i < n) {
		fprintf(stderr, "%s: stopped after %ld iterations: %s\n", __func__, i,
			strerror(errno));
		return 1;
	}
	qsort(lat, n, sizeof(*lat), cmp_ull);
	printf("%s n=%ld eager_esrch=%ld p50_ns=%llu p90_ns=%llu p99_ns=%llu max_ns=%llu\n",
	       __func__, n, eager_esrch, lat[n / 2], lat[n * 9 / 10], lat[n * 99 / 100],
	       lat[n - 1]);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	long n = arg(argc, argv, 2, 10000);

	if (argc > 1 && !strcmp(argv[1], "roundtrip") && n > 0)
		return roundtrip(n);
	if (argc > 1 && !strcmp(argv[1], "waking") && n > 0)
		return waking(n);
	fprintf(stderr, "usage: %s roundtrip|waking [N]\n", argv[0]);
	return 1;
}
