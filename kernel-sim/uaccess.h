/*
 * The kernel reading and writing a process's memory on its behalf (system-call arguments,
 * exec's stack and bss), as Linux's copy_to_user / copy_from_user / clear_user /
 * strncpy_from_user: every byte goes through the process's page tables with the access a
 * supervisor-mode instruction would make, faulting pages in through do_user_addr_fault
 * (error code without U), so the faults count as the process's, as on Linux. An access the
 * VMAs do not allow stops the copy: Linux's exception-table fixup, here a short count.
 */
#ifndef KSIM_UACCESS_H
#define KSIM_UACCESS_H

#include <stddef.h>

struct kernel;
struct mm_struct;

/* Linux's access_ok: [addr, addr + len) lies in the user half of mm. */
int access_ok(const struct mm_struct *mm, unsigned long addr, unsigned long len);
/* Bytes NOT copied (0: all of them), as Linux returns. */
unsigned long copy_to_user(struct kernel *k, struct mm_struct *mm, unsigned long to,
			   const void *from, unsigned long n);
unsigned long copy_from_user(struct kernel *k, struct mm_struct *mm, void *to,
			     unsigned long from, unsigned long n);
unsigned long clear_user(struct kernel *k, struct mm_struct *mm, unsigned long to,
			 unsigned long n);
/* Copies a NUL-terminated string of at most count bytes: its length (without the NUL; count
 * when no NUL came within count bytes, dst then unterminated), or -EFAULT. */
long strncpy_from_user(struct kernel *k, struct mm_struct *mm, char *dst, unsigned long src,
		       long count);

#endif /* KSIM_UACCESS_H */
