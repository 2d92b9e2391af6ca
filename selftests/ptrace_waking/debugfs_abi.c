// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs ABI of the ptrace_waking module: load it, check its files,
 * unload it, check that its directory is gone.
 *
 * The module is taken from $PTRACE_WAKING_KO, else ./ptrace_waking.ko
 * next to this binary.  Needs root and a mounted debugfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../kselftest_harness.h"

#define DEBUGFS		"/sys/kernel/debug"
#define PTW_DIR		DEBUGFS "/ptrace_waking"
#define DEBUGFS_MAGIC	0x64626720

static const char *module_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("PTRACE_WAKING_KO");
	char self[PATH_MAX];
	ssize_t n;

	if (env)
		return env;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return "ptrace_waking.ko";
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/ptrace_waking.ko", dirname(self));
	return path;
}

static int load_module(const char *path)
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

static int unload_module(void)
{
	return syscall(__NR_delete_module, "ptrace_waking", O_NONBLOCK) ? -errno : 0;
}

/* Read a whole small file into buf; returns length or -errno. */
static ssize_t read_file(const char *path, char *buf, size_t size)
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

FIXTURE(module) {
	bool loaded;
};

FIXTURE_SETUP(module)
{
	struct statfs sfs;
	const char *ko = module_path();
	int ret;

	self->loaded = false;
	if (geteuid())
		SKIP(return, "needs root");
	if (statfs(DEBUGFS, &sfs) || sfs.f_type != DEBUGFS_MAGIC)
		SKIP(return, "debugfs is not mounted at " DEBUGFS);
	if (access(ko, R_OK))
		SKIP(return, "module %s not found (set PTRACE_WAKING_KO)", ko);

	/* A module left over from an earlier run must not fail the test. */
	unload_module();
	ret = load_module(ko);
	ASSERT_EQ(0, ret) TH_LOG("loading %s: %s", ko, strerror(-ret));
	self->loaded = true;
}

FIXTURE_TEARDOWN(module)
{
	if (self->loaded)
		unload_module();
}

TEST_F(module, version_file)
{
	struct stat st;
	char buf[64], *end;
	unsigned long v;
	ssize_t n;

	ASSERT_EQ(0, stat(PTW_DIR, &st)) TH_LOG("%s: %s", PTW_DIR, strerror(errno));
	ASSERT_TRUE(S_ISDIR(st.st_mode));

	ASSERT_EQ(0, stat(PTW_DIR "/version", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	/* Read-only: nobody may write it, not even root. */
	EXPECT_EQ(0U, st.st_mode & 0222) TH_LOG("mode %o", st.st_mode & 07777);

	n = read_file(PTW_DIR "/version", buf, sizeof(buf));
	ASSERT_GT(n, 0) TH_LOG("read: %s", strerror((int)-n));
	ASSERT_EQ('\n', buf[n - 1]) TH_LOG("no trailing newline: '%s'", buf);
	errno = 0;
	v = strtoul(buf, &end, 10);
	ASSERT_EQ(0, errno);
	EXPECT_EQ('\n', *end) TH_LOG("not a decimal number: '%s'", buf);
	EXPECT_EQ(1UL, v);
}

TEST_F(module, version_rejects_writes)
{
	char buf[64];
	ssize_t n;
	int fd;

	/*
	 * Root may open a 0444 file for writing (CAP_DAC_OVERRIDE), so the
	 * contract is that the write itself fails and changes nothing.
	 */
	fd = open(PTW_DIR "/version", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		EXPECT_EQ(-1, write(fd, "2\n", 2));
		close(fd);
	}
	n = read_file(PTW_DIR "/version", buf, sizeof(buf));
	ASSERT_GT(n, 0);
	EXPECT_STREQ("1\n", buf);
}

TEST_F(module, unload_removes_directory)
{
	struct stat st;

	ASSERT_EQ(0, stat(PTW_DIR, &st));
	ASSERT_EQ(0, unload_module());
	self->loaded = false;
	EXPECT_EQ(-1, stat(PTW_DIR, &st));
	EXPECT_EQ(ENOENT, errno);
	/* ... and it comes back on the next load. */
	ASSERT_EQ(0, load_module(module_path()));
	self->loaded = true;
	EXPECT_EQ(0, stat(PTW_DIR "/version", &st));
}

TEST_HARNESS_MAIN
