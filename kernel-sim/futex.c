/*
 * futex for a single-threaded task (Linux's kernel/futex/): with no other thread there is
 * never a waiter to wake and nobody to wake a sleeper, so
 *   FUTEX_WAIT(_BITSET): -EAGAIN when *uaddr != val (the usual case); with a timeout the
 *     clock runs to it and -ETIMEDOUT; with none the task would sleep forever: the call
 *     logs that once and returns -EINTR instead of hanging the machine;
 *   FUTEX_WAKE(_BITSET), FUTEX_REQUEUE, FUTEX_CMP_REQUEUE: nobody woken (0), after the
 *     value check CMP_REQUEUE makes;
 *   FUTEX_WAKE_OP: performs the operation on *uaddr2, wakes nobody;
 *   FUTEX_LOCK_PI / TRYLOCK_PI / UNLOCK_PI: the lock word is taken or released directly.
 */
#include <errno.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_CMD_MASK 127 /* without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME */
#define FUTEX_TID_MASK 0x3fffffffu

static long futex_wait(struct kernel *k, const uint64_t *a, int cmd, bool time64)
{
	uint32_t val;
	if (get_user_u32(k, &val, a[0]))
		return -EFAULT;
	if (val != (uint32_t)a[2])
		return -EAGAIN;
	if (!a[3]) {
		printk(k, KERN_WARNING,
		       "mmemu: %s[%d] waits on futex %#llx with no thread to wake it",
		       k->current->comm, k->current->pid, (unsigned long long)a[0]);
		return -EINTR;
	}
	int64_t ns, now;
	int err = get_timespec(k, a[3], time64, &ns);
	if (err)
		return err;
	/* FUTEX_WAIT's timeout is relative; WAIT_BITSET's is absolute (CLOCK_MONOTONIC, or
	 * REALTIME with FUTEX_CLOCK_REALTIME). */
	if (cmd == FUTEX_WAIT_BITSET) {
		clock_now_ns(k, (a[1] & 256) ? 0 : 1, &now);
		ns -= now;
	}
	kernel_sleep_ns(k, ns);
	return -ETIMEDOUT;
}

/* FUTEX_WAKE_OP's operation on *uaddr2 (the encoding of FUTEX_OP()). */
static long futex_wake_op(struct kernel *k, uint64_t uaddr2, uint32_t encoded)
{
	unsigned op = (encoded >> 28) & 7;
	int oparg = (int32_t)(encoded << 8) >> 20;
	uint32_t old, new;
	if ((encoded >> 28) & 8) /* FUTEX_OP_OPARG_SHIFT */
		oparg = oparg < 0 || oparg > 31 ? 0 : 1 << oparg;
	if (get_user_u32(k, &old, uaddr2))
		return -EFAULT;
	switch (op) {
	case 0:
		new = (uint32_t)oparg;
		break;
	case 1:
		new = old + (uint32_t)oparg;
		break;
	case 2:
		new = old | (uint32_t)oparg;
		break;
	case 3:
		new = old & ~(uint32_t)oparg;
		break;
	case 4:
		new = old ^ (uint32_t)oparg;
		break;
	default:
		return -ENOSYS;
	}
	return put_user_u32(k, new, uaddr2);
}

static long futex_lock_pi(struct kernel *k, uint64_t uaddr)
{
	uint32_t v, tid = (uint32_t)k->current->pid;
	if (get_user_u32(k, &v, uaddr))
		return -EFAULT;
	if ((v & FUTEX_TID_MASK) == tid)
		return -EDEADLK;
	if (v & FUTEX_TID_MASK) /* held by a task that does not exist */
		return -ESRCH;
	return put_user_u32(k, tid, uaddr);
}

static long futex_unlock_pi(struct kernel *k, uint64_t uaddr)
{
	uint32_t v;
	if (get_user_u32(k, &v, uaddr))
		return -EFAULT;
	if ((v & FUTEX_TID_MASK) != (uint32_t)k->current->pid)
		return -EPERM;
	return put_user_u32(k, 0, uaddr);
}

static long do_futex(struct kernel *k, const uint64_t *a, bool time64)
{
	int cmd = (int)a[1] & FUTEX_CMD_MASK;
	uint32_t v;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		return futex_wait(k, a, cmd, time64);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
	case FUTEX_REQUEUE:
		return 0;
	case FUTEX_CMP_REQUEUE:
		if (get_user_u32(k, &v, a[0]))
			return -EFAULT;
		return v != (uint32_t)a[5] ? -EAGAIN : 0;
	case FUTEX_WAKE_OP: {
		long err = futex_wake_op(k, a[4], (uint32_t)a[5]);
		return err < 0 ? err : 0;
	}
	case FUTEX_LOCK_PI:
	case FUTEX_TRYLOCK_PI:
		return futex_lock_pi(k, a[0]);
	case FUTEX_UNLOCK_PI:
		return futex_unlock_pi(k, a[0]);
	}
	return -ENOSYS;
}

long sys_futex(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_futex(k, a, false);
}

long sys_futex_time64(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	return do_futex(k, a, true);
}
