// SPDX-License-Identifier: GPL-2.0
/*
 * ptw_late_trap - land a tracee's trap in the last moment of a PT_WAKING
 * wait, for the waking_deadline kselftest.
 *
 * ptrace_check_attach() waits for a kicked tracee with
 * wait_on_bit_timeout(), which returns -EAGAIN once its deadline has
 * passed, even if the tracee trapped, and cleared JOBCTL_PT_WAKING, after
 * the wait last tested the bit.  That window is a few instructions wide
 * and no test can hit it on purpose.  This module makes every wait of one
 * tracer end in it: a kretprobe on bit_wait_timeout() that, for the task
 * whose PID is in tracer_pid and for the PT_WAKING bit only, turns a wait
 * that ended with the bit clear into -EAGAIN, the deadline passing just as
 * the tracee trapped.  wait_on_bit_timeout() then returns -EAGAIN with the
 * tracee trapped, and the request must look once more rather than fail.
 *
 * It also counts, in the interrupted parameter, the waits of that tracer
 * that a signal ended with the bit already clear: a tracer with a SIGCHLD
 * handler gets one whenever the tracee it waits for traps, as
 * ptrace_stop() clears the bit, then notifies the tracer (SIGCHLD) and
 * only then wakes the bit's waiters.  Those are counted only, never
 * changed: they end in -EINTR with the tracee trapped without any help,
 * and the request must look once more then too.
 *
 * The waits of every other task, and of tracer_pid for any other bit, are
 * left alone.  tracer_pid is set at load time and never changes.
 */
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/jobctl.h>
#include <linux/wait_bit.h>

static int tracer_pid;
module_param(tracer_pid, int, 0444);
MODULE_PARM_DESC(tracer_pid,
		 "Thread ID, as the tracer itself sees it, whose PT_WAKING waits are turned");

static unsigned long injected;
module_param(injected, ulong, 0444);
MODULE_PARM_DESC(injected,
		 "PT_WAKING waits that ended with the bit clear and were turned into -EAGAIN");

static unsigned long interrupted;
module_param(interrupted, ulong, 0444);
MODULE_PARM_DESC(interrupted,
		 "PT_WAKING waits that a signal ended (-EINTR) with the bit already clear");

struct late_trap_data {
	struct wait_bit_key *key;
};

/* Arm the return handler only for tracer_pid's wait on PT_WAKING. */
static int late_trap_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct late_trap_data *d = (struct late_trap_data *)ri->data;
	struct wait_bit_key *key = (struct wait_bit_key *)regs_get_kernel_argument(regs, 0);

	if (!tracer_pid || task_pid_vnr(current) != tracer_pid ||
	    key->bit_nr != JOBCTL_PT_WAKING_BIT)
		return 1;
	d->key = key;
	return 0;
}

/*
 * bit_wait_timeout() returned 0: it slept and was woken, by the tracee's
 * wake-up or by the deadline.  If the bit is clear now, report what the
 * wait would have reported had the deadline passed as the tracee trapped.
 * It returned -EINTR with the bit clear: count it, change nothing.  Only
 * the tracer itself runs this, so the counters need no atomics.
 */
static int late_trap_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct late_trap_data *d = (struct late_trap_data *)ri->data;
	/* bit_wait_timeout() returns int: the upper half of rax is undefined. */
	int ret = (int)regs_return_value(regs);

	if (test_bit(d->key->bit_nr, d->key->flags))
		return 0;
	if (ret == 0) {
		regs_set_return_value(regs, -EAGAIN);
		WRITE_ONCE(injected, injected + 1);
	} else if (ret == -EINTR) {
		WRITE_ONCE(interrupted, interrupted + 1);
	}
	return 0;
}

/*
 * One instance is held per call in flight, and only for tracer_pid's own
 * wait (the entry handler gives the others back at once): 8 is plenty.
 */
static struct kretprobe late_trap_probe = {
	.kp.symbol_name = "bit_wait_timeout",
	.entry_handler = late_trap_entry,
	.handler = late_trap_return,
	.data_size = sizeof(struct late_trap_data),
	.maxactive = 8,
};

static int __init late_trap_init(void)
{
	return register_kretprobe(&late_trap_probe);
}

static void __exit late_trap_exit(void)
{
	unregister_kretprobe(&late_trap_probe);
}

module_init(late_trap_init);
module_exit(late_trap_exit);
MODULE_DESCRIPTION("Test module: a PT_WAKING wait that times out as the tracee traps, and one that a signal ends");
MODULE_LICENSE("GPL");
