/*
 * Access to user memory from system calls, as Linux's <linux/uaccess.h>: copy_from_user,
 * copy_to_user, strncpy_from_user, clear_user, get_user/put_user, and the non-faulting
 * copy_from_user_nofault that tracers use.
 *
 * The kernel reaches a user address the way the MMU would: through the task's page tables
 * (mm->pgd), one page at a time. A page that is not present, not user-accessible or (for a
 * write) not writable is faulted in with do_user_addr_fault() and the access's error code,
 * exactly as a kernel access that faults and is fixed up by the #PF handler; when the fault
 * cannot be resolved the copy stops there (Linux's exception-table fixup) and the caller
 * turns the short copy into -EFAULT. A successful access sets the leaf's Accessed bit (and
 * Dirty for a write), as the hardware would. Addresses at or above mm->task_size are
 * refused without a fault (access_ok).
 *
 * The mm is the current task's (k->current->mm) unless a function takes one.
 */
#ifndef KSIM_UACCESS_H
#define KSIM_UACCESS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kernel;
struct mm_struct;

/* Copies n bytes from user address from into to. Returns the bytes NOT copied (0: all). */
unsigned long copy_from_user(struct kernel *k, void *to, uint64_t from, unsigned long n);
/* Copies n bytes from from to user address to. Returns the bytes NOT copied (0: all). */
unsigned long copy_to_user(struct kernel *k, uint64_t to, const void *from, unsigned long n);
/* Zeroes n user bytes at to. Returns the bytes NOT cleared. */
unsigned long clear_user(struct kernel *k, uint64_t to, unsigned long n);
/* Copies a NUL-terminated user string of at most count bytes (NUL included) into dst.
 * Returns its length without the NUL, count when no NUL came within count bytes (dst is
 * then not terminated), or -EFAULT. */
long strncpy_from_user(struct kernel *k, char *dst, uint64_t src, long count);

/* Reads (write false) or writes n bytes of buf at user address addr of mm, faulting pages
 * in as needed (/proc/PID/cmdline, ...). Returns the bytes NOT transferred. */
unsigned long access_user_mm(struct kernel *k, struct mm_struct *mm, uint64_t addr, void *buf,
			     unsigned long n, bool write);

/* Copies n bytes from user address from in mm without faulting anything in and without
 * touching Accessed/Dirty bits: only pages already mapped and user-readable are read.
 * Returns the bytes copied (a prefix of the range). */
size_t copy_from_user_nofault_mm(struct kernel *k, struct mm_struct *mm, void *to,
				 uint64_t from, size_t n);

/* Fixed-size helpers: 0 or -EFAULT. */
int get_user_u32(struct kernel *k, uint32_t *val, uint64_t addr);
int get_user_u64(struct kernel *k, uint64_t *val, uint64_t addr);
int put_user_u32(struct kernel *k, uint32_t val, uint64_t addr);
int put_user_u64(struct kernel *k, uint64_t val, uint64_t addr);
/* A user-sized word: 4 bytes for i386 tasks, 8 for x86-64 ones. */
int get_user_long(struct kernel *k, uint64_t *val, uint64_t addr);
int put_user_long(struct kernel *k, uint64_t val, uint64_t addr);

/* Copy-in/out that give 0 or -EFAULT (the common system-call shape). */
static inline int copy_from_user_ok(struct kernel *k, void *to, uint64_t from, unsigned long n)
{
	return copy_from_user(k, to, from, n) ? -EFAULT : 0;
}
static inline int copy_to_user_ok(struct kernel *k, uint64_t to, const void *from,
				  unsigned long n)
{
	return copy_to_user(k, to, from, n) ? -EFAULT : 0;
}

#endif /* KSIM_UACCESS_H */
