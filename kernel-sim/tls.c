/*
 * Thread-local storage bases (Linux's arch/x86/kernel/process_64.c do_arch_prctl_64 and
 * arch/x86/kernel/tls.c set_thread_area/get_thread_area with fill_ldt from
 * asm/desc.h). The kernel only records the state in task->thread; the entry glue loads
 * it into the CPU (FS/GS bases, GDT entries 12-14) on the way back to user mode.
 *
 * A TLS descriptor as set_thread_area writes it into the GDT (SDM Vol. 3A, 3.4.5):
 *
 *   63    56 55 54 53 52 51   48 47 46 45 44 43  40 39     32 31          16 15          0
 *  +--------+--+--+--+--+-------+--+-----+--+------+---------+--------------+-------------+
 *  |base    |G |D |L |AV|limit  |P | DPL |S | type | base    | base 15:0    | limit 15:0  |
 *  |31:24   |  |/B|  |L |19:16  |  |     |  |      | 23:16   |              |             |
 *  +--------+--+--+--+--+-------+--+-----+--+------+---------+--------------+-------------+
 *
 * type = accessed | writable (!read_exec_only) << 1 | contents << 2; S = 1, DPL = 3,
 * P = !seg_not_present, AVL = useable, D/B = seg_32bit, G = limit_in_pages, L = 0.
 */
#include <errno.h>
#include <string.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/sched.h"
#include "kernel-sim/syscalls.h"
#include "kernel-sim/uaccess.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define ARCH_GET_CPUID 0x1011
#define ARCH_SET_CPUID 0x1012
#define TASK_SIZE_MAX ((1ULL << 47) - 4096)

/* arch_prctl(code, addr) for 64-bit tasks. */
long sys_arch_prctl(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct thread_struct *th = &k->current->thread;
	switch ((int)a[0]) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (in_compat_syscall(k))
			return -EINVAL;
		if (a[1] >= TASK_SIZE_MAX)
			return -EPERM;
		if ((int)a[0] == ARCH_SET_FS)
			th->fsbase = a[1];
		else
			th->gsbase = a[1];
		return 0;
	case ARCH_GET_FS:
		return in_compat_syscall(k) ? -EINVAL : put_user_u64(k, th->fsbase, a[1]);
	case ARCH_GET_GS:
		return in_compat_syscall(k) ? -EINVAL : put_user_u64(k, th->gsbase, a[1]);
	case ARCH_GET_CPUID:
		return 1; /* CPUID is not faulting */
	case ARCH_SET_CPUID:
		return -ENODEV; /* CPUID faulting is not offered */
	}
	return -EINVAL;
}

/* struct user_desc, as set_thread_area reads it. */
struct user_desc {
	uint32_t entry_number;
	uint32_t base_addr;
	uint32_t limit;
	unsigned seg_32bit, contents, read_exec_only, limit_in_pages, seg_not_present, useable;
};

static void decode_user_desc(const uint32_t raw[4], struct user_desc *u)
{
	u->entry_number = raw[0];
	u->base_addr = raw[1];
	u->limit = raw[2];
	u->seg_32bit = raw[3] & 1;
	u->contents = (raw[3] >> 1) & 3;
	u->read_exec_only = (raw[3] >> 3) & 1;
	u->limit_in_pages = (raw[3] >> 4) & 1;
	u->seg_not_present = (raw[3] >> 5) & 1;
	u->useable = (raw[3] >> 6) & 1;
}

/* LDT_empty / LDT_zero: a descriptor that clears the slot. */
static bool desc_clears(const struct user_desc *u)
{
	bool zero = !u->base_addr && !u->limit && !u->contents && !u->read_exec_only &&
		    !u->seg_32bit && !u->limit_in_pages && !u->seg_not_present && !u->useable;
	bool empty = !u->base_addr && !u->limit && !u->contents && u->read_exec_only &&
		     !u->seg_32bit && !u->limit_in_pages && u->seg_not_present && !u->useable;
	return zero || empty;
}

/* tls_desc_okay: only present 32-bit data segments. */
static bool tls_desc_okay(const struct user_desc *u)
{
	if (desc_clears(u))
		return true;
	return u->seg_32bit && u->contents <= 1 && !u->seg_not_present;
}

/* fill_ldt: the 8-byte descriptor (see the diagram above). */
static uint64_t fill_ldt(const struct user_desc *u)
{
	uint64_t base = u->base_addr, limit = u->limit;
	uint64_t type = 1 | ((uint64_t)(u->read_exec_only ^ 1) << 1) | ((uint64_t)u->contents << 2);
	return (limit & 0xffff) | ((base & 0xffffff) << 16) | (type << 40) | (1ULL << 44) |
	       (3ULL << 45) | ((uint64_t)(u->seg_not_present ^ 1) << 47) |
	       (((limit >> 16) & 0xf) << 48) | ((uint64_t)u->useable << 52) |
	       ((uint64_t)u->seg_32bit << 54) | ((uint64_t)u->limit_in_pages << 55) |
	       (((base >> 24) & 0xff) << 56);
}

long sys_set_thread_area(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	struct thread_struct *th = &k->current->thread;
	uint32_t raw[4];
	struct user_desc u;
	if (copy_from_user_ok(k, raw, a[0], sizeof(raw)))
		return -EFAULT;
	decode_user_desc(raw, &u);
	if (!tls_desc_okay(&u))
		return -EINVAL;
	int idx = (int)u.entry_number;
	if (u.entry_number == 0xffffffffu) {
		for (idx = GDT_ENTRY_TLS_MIN; idx <= GDT_ENTRY_TLS_MAX; idx++)
			if (!th->tls_array[idx - GDT_ENTRY_TLS_MIN])
				break;
		if (idx > GDT_ENTRY_TLS_MAX)
			return -ESRCH;
		if (put_user_u32(k, (uint32_t)idx, a[0]))
			return -EFAULT;
	}
	if (idx < GDT_ENTRY_TLS_MIN || idx > GDT_ENTRY_TLS_MAX)
		return -EINVAL;
	th->tls_array[idx - GDT_ENTRY_TLS_MIN] = desc_clears(&u) ? 0 : fill_ldt(&u);
	th->tls_dirty = true;
	return 0;
}

/* fill_user_desc: the struct user_desc a descriptor came from. */
long sys_get_thread_area(struct kernel *k, struct pt_regs *regs, const uint64_t *a)
{
	uint32_t idx;
	if (get_user_u32(k, &idx, a[0]))
		return -EFAULT;
	if (idx < GDT_ENTRY_TLS_MIN || idx > GDT_ENTRY_TLS_MAX)
		return -EINVAL;
	uint64_t d = k->current->thread.tls_array[idx - GDT_ENTRY_TLS_MIN];
	uint32_t raw[4] = {idx, (uint32_t)(((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24)),
			   (uint32_t)((d & 0xffff) | (((d >> 48) & 0xf) << 16)), 0};
	raw[3] = (uint32_t)(((d >> 54) & 1) | (((d >> 42) & 3) << 1) |
			    ((((d >> 41) & 1) ^ 1) << 3) | (((d >> 55) & 1) << 4) |
			    ((((d >> 47) & 1) ^ 1) << 5) | (((d >> 52) & 1) << 6));
	return copy_to_user_ok(k, a[0], raw, sizeof(raw));
}
