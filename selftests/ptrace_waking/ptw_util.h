/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small file helpers shared by the ptrace_waking kselftests: sysctl,
 * tracefs and debugfs files are all "write a short string, read one back".
 */
#ifndef PTRACE_WAKING_PTW_UTIL_H
#define PTRACE_WAKING_PTW_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define PTW_TRACING	"/sys/kernel/tracing"
#define PTW_SYSCTL	"/proc/sys/kernel/ptrace_waking"

/* The directory this test binary lives in ("." if unknown). */
static inline char const *ptw_self_dir(void)
{
	static char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return ".";
	self[n] = '\0';
	return dirname(self);
}

/* ptrace_waking.ko: $PTRACE_WAKING_KO, else next to this binary. */
static inline char const *ptw_module_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("PTRACE_WAKING_KO");

	if (env)
		return env;
	snprintf(path, sizeof(path), "%s/ptrace_waking.ko", ptw_self_dir());
	return path;
}

/* finit_module(2) of @path; 0 or -errno. */
static inline int ptw_load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

static inline int ptw_unload_module(void)
{
	return syscall(__NR_delete_module, "ptrace_waking", O_NONBLOCK) ? -errno : 0;
}

static inline int ptw_module_loaded(void)
{
	return access("/sys/module/ptrace_waking", F_OK) == 0;
}

/* Unload a module left over from an earlier run, load @path; 0 or -errno. */
static inline int ptw_reload_module(const char *path)
{
	if (ptw_module_loaded())
		ptw_unload_module();
	return ptw_load_module(path);
}

/* Write @s to @path in one write(); 0 or -errno. */
static inline int ptw_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* Read a whole small file into @buf, NUL-terminated; length or -errno. */
static inline ssize_t ptw_read_file(const char *path, char *buf, size_t size)
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

/* Read @path into @buf without trailing newlines; 0 or -errno. */
static inline int ptw_read_str(const char *path, char *buf, size_t size)
{
	ssize_t n = ptw_read_file(path, buf, size);

	if (n < 0)
		return n;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

/* Process state letter of @pid from /proc/PID/stat ('R', 'S', ...), or 0. */
static inline char ptw_proc_state(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (ptw_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Fork a child that dies with its parent (PR_SET_PDEATHSIG), so that
 * nothing is left behind when a test fails half-way.  Returns like fork().
 */
static inline pid_t ptw_fork_child(void)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
	}
	return pid;
}

/* Read a file that holds one decimal u64 and a newline; 0 or -errno. */
static inline int ptw_read_u64(const char *path, unsigned long long *v)
{
	char buf[64], *end;
	ssize_t n = ptw_read_file(path, buf, sizeof(buf));

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

/*
 * A count from environment variable @name: digits only (no blank, no
 * sign), from 1 to @max.  Unset: 0 and *@count untouched (the caller's
 * default).  Anything else: -EINVAL and *@count untouched.
 */
static inline int ptw_env_count(const char *name, long max, long *count)
{
	const char *env = getenv(name);
	char *end;
	long v;

	if (!env)
		return 0;
	if (env[0] < '0' || env[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(env, &end, 10);
	if (errno || *end || v < 1 || v > max)
		return -EINVAL;
	*count = v;
	return 0;
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline unsigned long long ptw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* kernel.ptrace_waking: 0 or 1, or -1 if the kernel lacks the series. */
static inline int ptw_waking_get(void)
{
	char buf[16];

	return ptw_read_str(PTW_SYSCTL, buf, sizeof(buf)) ? -1 : atoi(buf);
}

static inline int ptw_waking_set(int on)
{
	return ptw_write_str(PTW_SYSCTL, on ? "1" : "0");
}

/*
 * Lines of the ftrace buffer about task @pid (the events' pid= field)
 * that contain both @event and @what.
 */
static inline int ptw_count_trace(pid_t pid, const char *event, const char *what)
{
	char line[512], pidstr[32];
	FILE *f = fopen(PTW_TRACING "/trace", "r");
	int n = 0;

	if (!f)
		return -1;
	snprintf(pidstr, sizeof(pidstr), " pid=%d ", pid);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, event) && strstr(line, pidstr) && strstr(line, what))
			n++;
	fclose(f);
	return n;
}

#endif /* PTRACE_WAKING_PTW_UTIL_H */
