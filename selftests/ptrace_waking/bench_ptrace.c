// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmarks for the PT_WAKING series (make bench); not a test.
 *
 * bench_ptrace roundtrip N [any|split|same]
 *	A tracer drives its tracee with PTRACE_SYSCALL: resume, the tracee
 *	makes a cheap syscall (getppid) and stops at its entry or exit,
 *	the tracer's waitpid() returns.  Every PTRACE_SYSCALL passes
 *	ptrace_check_attach(), the path the series changes.  After a
 *	warm-up of N/10, times N round trips.
 *	Output: "roundtrip n=N ns=T per_sec=R cpus=P"
 *
 * bench_ptrace waking N [any|split|same]
 *	The race_listen scenario: PTRACE_LISTEN, SIGCONT, then a request at
 *	once.  Measures, per iteration, the time from kill() returning to
 *	the first successful PTRACE_GETSIGINFO.  With the waking path on the
 *	request waits in the kernel for the re-trap; with it off it fails
 *	with ESRCH and the tracer does what ptrace(2) asks: waitpid() for
 *	the stop, then the request again.
 *	Each sample is bracketed by two reads of the guest's activity
 *	counters, just before kill() and just after the request succeeded,
 *	outside the timed window: local timer interrupts (LOC in
 *	/proc/interrupts), all interrupts, context switches and softirqs
 *	(/proc/stat), all CPUs.  A "tick" sample saw a timer interrupt in
 *	its bracket; an "other" sample saw none, but a softirq, or a number
 *	of context switches or of other interrupts (the wake-ups' IPIs)
 *	that differs from the run's most frequent one; a "quiet" sample saw
 *	nothing of that.  The bracket is wider than the timed window, so a
 *	tick sample was not necessarily slowed down by the tick, but a
 *	quiet one was certainly not.  The tail is every sample above
 *	TAIL = 2 * p50.
 *	Output: "waking n=N eager_esrch=E p50_ns=.. p90_ns=.. p99_ns=..
 *	max_ns=.. cpus=P ctxt_mode=C irq_mode=I tail_ns=TAIL tail_n=T" and
 *	per class K (quiet, tick, other) "K_n=.. K_p50_ns=.. K_p99_ns=..
 *	K_max_ns=.. K_tail_n=..", on one line; on stderr, one "# quiet tail
 *	sample ..." line per quiet sample in the tail (at most 20).
 *
 * The placement: "any" leaves tracer and tracee where the scheduler puts
 * them; "split" pins the tracer to CPU 0 and the tracee to CPU 1 (the
 * default: every round trip then takes the same path, a wake-up across
 * CPUs, so the run-to-run noise is far smaller); "same" pins both to
 * CPU 0.
 */
#include "race_common.h"

enum placement { ANY, SPLIT, SAME };
static const char *const placement_name[] = { "any", "split", "same" };
static enum placement placement = SPLIT;

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

static int pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(pid, sizeof(set), &set)) {
		perror("sched_setaffinity");
		return -1;
	}
	return 0;
}

static pid_t start_tracee(void)
{
	pid_t pid;

	if (placement != ANY && pin(0, 0))
		return -1;
	pid = spawn_spinner();
	if (pid < 0 || (placement == SPLIT && pin(pid, 1)) ||
	    seize_interrupt(pid, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD))
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
	printf("%s n=%ld ns=%llu per_sec=%.0f cpus=%s\n", __func__, n, t1 - t0,
	       (double)n * 1e9 / (double)(t1 - t0), placement_name[placement]);
	return 0;
}

/*
 * What else happened in the guest around a sample: local timer interrupts
 * (the LOC line of /proc/interrupts, all CPUs), interrupts of any kind,
 * context switches and softirqs (the intr, ctxt and softirq lines of
 * /proc/stat, all CPUs).
 */
struct activity {
	long long loc, intr, ctxt, softirq;
};

static int proc_fd[2] = { -1, -1 };
static char proc_buf[65536];

/* The first number after @key at the start of a line of @fd, or -1. */
static long long proc_field(int fd, const char *key, int sum_all)
{
	ssize_t len = pread(fd, proc_buf, sizeof(proc_buf) - 1, 0);
	long long v, sum = 0;
	char *p, *end;

	if (len <= 0)
		return -1;
	proc_buf[len] = '\0';
	p = strstr(proc_buf, key);
	if (!p)
		return -1;
	for (p += strlen(key);; p = end) {
		v = strtoll(p, &end, 10);
		if (end == p)
			break;
		sum += v;
		if (!sum_all)
			break;
	}
	return sum;
}

static int activity(struct activity *a)
{
	a->loc = proc_field(proc_fd[0], "LOC:", 1);
	a->intr = proc_field(proc_fd[1], "\nintr ", 0);
	a->ctxt = proc_field(proc_fd[1], "\nctxt ", 0);
	a->softirq = proc_field(proc_fd[1], "\nsoftirq ", 0);
	return a->loc < 0 || a->intr < 0 || a->ctxt < 0 || a->softirq < 0 ? -1 : 0;
}

/* Percentile @q (0..100) of the sorted @v[0..n-1]; 0 without samples. */
static unsigned long long pct(const unsigned long long *v, long n, int q)
{
	return n ? v[n * q / 100 < n ? n * q / 100 : n - 1] : 0;
}

/* The classes of samples, by what else happened around them. */
enum { QUIET, TICK, OTHER, NCLASS };
static const char *const class_name[] = { "quiet", "tick", "other" };

struct sample {
	unsigned long long t0, ns;
	long long irq, ctxt;
	int tick, softirq, cls;
};

/* The most frequent value of @v[0..n-1] (sorted in place). */
static long long mode_of(unsigned long long *v, long n)
{
	long i, cnt, best = 0;
	long long mode = 0;

	qsort(v, n, sizeof(*v), cmp_ull);
	for (i = 0; i < n; i += cnt) {
		for (cnt = 1; i + cnt < n && v[i + cnt] == v[i]; cnt++)
			;
		if (cnt > best) {
			best = cnt;
			mode = v[i];
		}
	}
	return mode;
}

static int waking(long n)
{
	struct sample *smp = calloc(n, sizeof(*smp));
	unsigned long long *lat = calloc(n, sizeof(*lat)), *cl[NCLASS], t0, tail_ns;
	long i, eager_esrch = 0, ncl[NCLASS] = { 0 }, ntail[NCLASS] = { 0 };
	long long ctxt_mode, irq_mode;
	struct activity a0, a1;
	pid_t pid;
	siginfo_t si;
	int c;

	proc_fd[0] = open("/proc/interrupts", O_RDONLY);
	proc_fd[1] = open("/proc/stat", O_RDONLY);
	for (c = 0; c < NCLASS; c++)
		cl[c] = calloc(n, sizeof(*cl[c]));
	if (!smp || !lat || !cl[QUIET] || !cl[TICK] || !cl[OTHER] || activity(&a0)) {
		fprintf(stderr, "%s: no memory, or no LOC, intr, ctxt or softirq line in /proc\n",
			__func__);
		return 1;
	}
	/* No page fault of ours in a timed window: touch every page now. */
	memset(smp, 0, n * sizeof(*smp));
	pid = start_tracee();
	if (pid < 0 || get_event_stop(pid))
		return 1;
	for (i = 0; i < n; i++) {
		if (race_ptrace(PTRACE_LISTEN, pid, 0, 0) || activity(&a0))
			break;
		kill(pid, SIGCONT);
		t0 = now_ns();
		if (race_ptrace(PTRACE_GETSIGINFO, pid, 0, &si)) {
			/* The spurious ESRCH a tracer has to handle. */
			eager_esrch++;
			if (get_event_stop(pid) || race_ptrace(PTRACE_GETSIGINFO, pid, 0, &si))
				break;
			smp[i].ns = now_ns() - t0;
			if (activity(&a1))
				break;
		} else {
			smp[i].ns = now_ns() - t0;
			if (activity(&a1) || get_event_stop(pid))
				break;
		}
		smp[i].t0 = t0;
		smp[i].tick = a1.loc != a0.loc;
		smp[i].softirq = a1.softirq != a0.softirq;
		smp[i].ctxt = a1.ctxt - a0.ctxt;
		smp[i].irq = (a1.intr - a0.intr) - (a1.loc - a0.loc);
	}
	cleanup();
	if (i < n) {
		fprintf(stderr, "%s: stopped after %ld iterations: %s\n", __func__, i,
			strerror(errno));
		return 1;
	}
	/*
	 * The usual numbers of context switches and of other interrupts (the
	 * IPIs of the wake-ups) in a bracket: their modes.
	 */
	for (i = 0; i < n; i++)
		lat[i] = smp[i].ctxt;
	ctxt_mode = mode_of(lat, n);
	for (i = 0; i < n; i++)
		lat[i] = smp[i].irq;
	irq_mode = mode_of(lat, n);
	for (i = 0; i < n; i++) {
		lat[i] = smp[i].ns;
		if (smp[i].tick)
			c = TICK;
		else if (smp[i].softirq || smp[i].ctxt != ctxt_mode || smp[i].irq != irq_mode)
			c = OTHER;
		else
			c = QUIET;
		smp[i].cls = c;
		cl[c][ncl[c]++] = smp[i].ns;
	}
	qsort(lat, n, sizeof(*lat), cmp_ull);
	tail_ns = 2 * pct(lat, n, 50);
	for (i = 0, c = 0; i < n && c < 20; i++) {
		if (smp[i].cls != QUIET || smp[i].ns <= tail_ns)
			continue;
		fprintf(stderr, "# quiet tail sample i=%ld t0_ns=%llu ns=%llu\n", i, smp[i].t0,
			smp[i].ns);
		c++;
	}
	for (c = 0; c < NCLASS; c++) {
		qsort(cl[c], ncl[c], sizeof(*cl[c]), cmp_ull);
		for (i = 0; i < ncl[c]; i++)
			ntail[c] += cl[c][i] > tail_ns;
	}
	printf("%s n=%ld eager_esrch=%ld p50_ns=%llu p90_ns=%llu p99_ns=%llu max_ns=%llu cpus=%s",
	       __func__, n, eager_esrch, pct(lat, n, 50), pct(lat, n, 90), pct(lat, n, 99),
	       lat[n - 1], placement_name[placement]);
	printf(" ctxt_mode=%lld irq_mode=%lld tail_ns=%llu tail_n=%ld", ctxt_mode, irq_mode,
	       tail_ns, ntail[QUIET] + ntail[TICK] + ntail[OTHER]);
	for (c = 0; c < NCLASS; c++)
		printf(" %s_n=%ld %s_p50_ns=%llu %s_p99_ns=%llu %s_max_ns=%llu %s_tail_n=%ld",
		       class_name[c], ncl[c], class_name[c], pct(cl[c], ncl[c], 50),
		       class_name[c], pct(cl[c], ncl[c], 99), class_name[c],
		       ncl[c] ? cl[c][ncl[c] - 1] : 0, class_name[c], ntail[c]);
	printf("\n");
	for (c = 0; c < NCLASS; c++)
		free(cl[c]);
	free(lat);
	free(smp);
	close(proc_fd[0]);
	close(proc_fd[1]);
	return 0;
}

int main(int argc, char **argv)
{
	long n = arg(argc, argv, 2, 10000);
	int p;

	if (argc > 3) {
		for (p = ANY; p <= SAME && strcmp(argv[3], placement_name[p]); p++)
			;
		if (p > SAME)
			n = 0;
		placement = p;
	}
	if (argc > 1 && !strcmp(argv[1], "roundtrip") && n > 0)
		return roundtrip(n);
	if (argc > 1 && !strcmp(argv[1], "waking") && n > 0)
		return waking(n);
	fprintf(stderr, "usage: %s roundtrip|waking [N [any|split|same]]\n", argv[0]);
	return 1;
}
