// SPDX-License-Identifier: GPL-2.0
/*
 * (c) PTRACE_SEIZE + PTRACE_LISTEN + SIGCONT: the window scenario of
 * listen_race() (race_common.h), with SIGCONT as the kick.
 *
 * The tracer sends SIGCONT itself, so it knows the wake-up has happened
 * when kill() returns: prepare_signal() -> ptrace_trap_notify() kicked
 * the LISTENING tracee out of its trap (PT_WAKING set at site
 * trap_notify).  The SIGCONT is then also reported as a
 * signal-delivery-stop, which the tracer suppresses.
 */
#include "race_common.h"

static long kick_sigcont(pid_t pid)
{
	return kill(pid, SIGCONT);
}

int main(int argc, char **argv)
{
	return listen_race(argc, argv, "c", kick_sigcont);
}
