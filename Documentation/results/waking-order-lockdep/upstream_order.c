// Control experiment: the same measurement as waking_order, but for the
// upstream wake-up of ptrace_stop() (do_notify_parent_cldstop() waking a
// tracer in waitpid()), without PT_WAKING being involved at all.
// SCHED_FIFO tracer on CPU 1, tracee on CPU 1 in PTRACE_SYSCALL stops; the
// tracer does waitpid() then PTRACE_GETSIGINFO (-> wait_task_inactive()).
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
#define T "/sys/kernel/tracing"
static void wr(const char *p, const char *s)
{
	FILE *f = fopen(p, "w");
	if (!f || fputs(s, f) < 0 || fclose(f)) { perror(p); }
}
int main(void)
{
	cpu_set_t set;
	struct sched_param sp = { .sched_priority = 10 };
	char trig[128], line[512];
	int i, status, preempted = 0, stacks = 0, in_wti = 0, in_st = 0, hit = 0;
	siginfo_t si;
	pid_t pid;
	FILE *f;

	CPU_ZERO(&set); CPU_SET(1, &set);
	sched_setaffinity(0, sizeof(set), &set);
	pid = fork();
	if (!pid) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		for (;;) getppid();
	}
	waitpid(pid, &status, 0);
	ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
	sched_setscheduler(0, SCHED_FIFO, &sp);
	wr(T "/buffer_size_kb", "4096");
	wr(T "/trace", "");
	snprintf(trig, sizeof(trig), "stacktrace if prev_pid == %d || (prev_pid == %d && prev_state == 256)", getpid(), pid);
	wr(T "/events/sched/sched_switch/trigger", trig);
	for (i = 0; i < 200; i++) {
		ptrace(PTRACE_SYSCALL, pid, 0, 0);
		waitpid(pid, &status, 0);	/* woken by do_notify_parent_cldstop() */
		ptrace(PTRACE_GETSIGINFO, pid, 0, &si);	/* wait_task_inactive() */
	}
	snprintf(line, sizeof(line), "!%s", trig);
	wr(T "/events/sched/sched_switch/trigger", line);
	f = fopen(T "/trace", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, "<stack trace>") && atoi(strrchr(strtok(strdup(line), "["), '-') + 1) != getpid()) { in_wti += hit; hit = 0; in_st = 0; preempted++; }
		else if (strstr(line, "<stack trace>")) { stacks++; in_wti += hit; hit = 0; in_st = 1; }
		else if (in_st && strstr(line, " => ")) hit |= !!strstr(line, "wait_task_inactive");
		else { in_wti += hit; hit = 0; in_st = 0; }
	}
	in_wti += hit;
	printf("upstream_order: 200 syscall stops: tracer off CPU %d times, %d in wait_task_inactive(); tracee preempted %d times\n",
	       stacks, in_wti, preempted);
	kill(pid, SIGKILL);
	return 0;
}
