/*
 * The kernel reading and writing a process's memory on its behalf (system-call arguments,
 * exec's stack and bss, signal frames), as Linux's copy_to_user / copy_from_user /
 * clear_user / strncpy_from_user: every byte goes through the process's page tables with
 * the access a supervisor-mode instruction would make, faulting pages in through
 * do_user_addr_fault (error code without U), so the faults count as the process's, as on
 * Linux. A successful access sets the leaf's Accessed bit (and Dirty for a write), as the
 * hardware would. An access the VMAs do not allow stops the copy: Linux's exception-table
 * fixup, here a short count that system calls turn into -EFAULT. Addresses outside the
 * user half are refused without a fault (access_ok).
 *
 * Two forms: the *_mm functions take the mm explicitly (exec, /proc/PID/cmdline); the
 * Linux-named ones act on the current task's mm (k->current->mm), as system calls do.
 * copy_from_user_nofault_mm is the tracer's reader: it faults nothing in and leaves the
 * Accessed bits alone, so tracing cannot change a run.
 */
#ifndef KSIM_UACCESS_H
#define KSIM_UACCESS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

struct kernel;
struct mm_struct;

/* Linux's access_ok: [addr, addr + len) lies in the user half of mm. */
int access_ok(const struct mm_struct *mm, unsigned long addr, unsigned long len);

/* ---- on an explicit mm ---- */

/* Bytes NOT copied (0: all of them), as Linux returns. */
unsigned long copy_to_user_mm(struct kernel *k, struct mm_struct *mm, unsigned long to,
			      const void *from, unsigned long n);
/* Bytes NOT copied; those bytes of the destination are zeroed, as Linux does. */
unsigned long copy_from_user_mm(struct kernel *k, struct mm_struct *mm, void *to,
				unsigned long from, unsigned long n);
unsigned long clear_user_mm(struct kernel *k, struct mm_struct *mm, unsigned long to,
			    unsigned long n);
/* Copies a NUL-terminated string of at most count bytes: its length (without the NUL; count
 * when no NUL came within count bytes, dst then unterminated), or -EFAULT. */
long strncpy_from_user_mm(struct kernel *k, struct mm_struct *mm, char *dst, unsigned long src,
			  long count);
/* Copies what is mapped and user-readable of [from, from + n) without faulting and without
 * setting Accessed bits; returns the bytes copied (a prefix). */
size_t copy_from_user_nofault_mm(struct kernel *k, struct mm_struct *mm, void *to, uint64_t from,
				 size_t n);

/* ---- on the current task's mm ---- */

unsigned long copy_to_user(struct kernel *k, uint64_t to, const void *from, unsigned long n);
unsigned long copy_from_user(struct kernel *k, void *to, uint64_t from, unsigned long n);
unsigned long clear_user(struct kernel *k, uint64_t to, unsigned long n);
long strncpy_from_user(struct kernel *k, char *dst, uint64_t src, long count);

/* Fixed-size helpers: 0 or -EFAULT. */
int get_user_u32(struct kernel *k, uint32_t *val, uint64_t addr);
int get_user_u64(struct kernel *k, uint64_t *val, uint64_t addr);
int put_user_u32(struct kernel *k, uint32_t val, uint64_t addr);
int put_user_u64(struct kernel *k, uint64_t val, uint64_t addr);
/* A user-sized word: 4 bytes inside an INT 0x80 call, 8 otherwise. */
int get_user_long(struct kernel *k, uint64_t *val, uint64_t addr);
int put_user_long(struct kernel *k, uint64_t val, uint64_t addr);

/* Copy-in/out that give 0 or -EFAULT (the common system-call shape). */
static inline int copy_from_user_ok(struct kernel *k, void *to, uint64_t from, unsigned long n)
{
	return copy_from_user(k, to, from, n) ? -EFAULT : 0;
}
static inline int copy_to_user_ok(struct kernel *k, uint64_t to, const void *from, unsigned long n)
{
	return copy_to_user(k, to, from, n) ? -EFAULT : 0;
}

#endif /* KSIM_UACCESS_H */
