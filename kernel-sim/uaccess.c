/*
 * User-memory access from the kernel (see kernel-sim/uaccess.h), a page at a time: look the
 * leaf entry up in the process's tables, check it as the MMU would for a supervisor access
 * with CR0.WP set (present, user page, writable for a write), set Accessed (and Dirty) as
 * the walker would, else take the fault and look again.
 */
#include "kernel-sim/uaccess.h"

#include <errno.h>
#include <string.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"

int access_ok(const struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	return len <= mm->task_size && addr <= mm->task_size - len;
}

/* A host pointer to user address addr for this access, faulting it in; NULL when the
 * process may not make it. */
static void *user_page_ptr(struct kernel *k, struct mm_struct *mm, unsigned long addr,
			   bool write)
{
	for (int round = 0; round < 2; round++) {
		pte_t *pte = mm_find_pte(k, mm, addr);
		uint64_t v = pte ? pte_val(*pte) : 0;
		unsigned int ec = write ? X86_PF_WRITE : 0;
		if (v & _PAGE_PRESENT) {
			if ((v & _PAGE_USER) && (!write || (v & _PAGE_RW))) {
				set_pte(pte, __pte(v | _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0)));
				return (uint8_t *)__va(k, PFN_PHYS(pte_pfn(*pte))) +
				       (addr & ~PAGE_MASK);
			}
			ec |= X86_PF_PROT;
		}
		if (do_user_addr_fault(k, mm, addr, ec).signo)
			return NULL;
	}
	return NULL;
}

/* Runs fn over [addr, addr + n) page by page; returns the bytes not reached. */
static unsigned long user_walk(struct kernel *k, struct mm_struct *mm, unsigned long addr,
			       unsigned long n, bool write,
			       void (*fn)(void *user, unsigned long done, size_t len, void *arg),
			       void *arg)
{
	if (!access_ok(mm, addr, n))
		return n;
	unsigned long done = 0;
	while (done < n) {
		unsigned long a = addr + done;
		size_t chunk = PAGE_SIZE - (a & ~PAGE_MASK);
		if (chunk > n - done)
			chunk = n - done;
		void *p = user_page_ptr(k, mm, a, write);
		if (!p)
			break;
		fn(p, done, chunk, arg);
		done += chunk;
	}
	return n - done;
}

static void put_bytes(void *user, unsigned long done, size_t len, void *arg)
{
	memcpy(user, (const uint8_t *)arg + done, len);
}

static void get_bytes(void *user, unsigned long done, size_t len, void *arg)
{
	memcpy((uint8_t *)arg + done, user, len);
}

static void zero_bytes(void *user, unsigned long done, size_t len, void *arg)
{
	memset(user, 0, len);
}

unsigned long copy_to_user(struct kernel *k, struct mm_struct *mm, unsigned long to,
			   const void *from, unsigned long n)
{
	return user_walk(k, mm, to, n, true, put_bytes, (void *)from);
}

unsigned long copy_from_user(struct kernel *k, struct mm_struct *mm, void *to,
			     unsigned long from, unsigned long n)
{
	unsigned long left = user_walk(k, mm, from, n, false, get_bytes, to);
	memset((uint8_t *)to + (n - left), 0, left); /* Linux zeroes what it could not copy */
	return left;
}

unsigned long clear_user(struct kernel *k, struct mm_struct *mm, unsigned long to,
			 unsigned long n)
{
	return user_walk(k, mm, to, n, true, zero_bytes, NULL);
}

long strncpy_from_user(struct kernel *k, struct mm_struct *mm, char *dst, unsigned long src,
		       long count)
{
	if (count <= 0)
		return 0;
	for (long i = 0; i < count;) {
		unsigned long a = src + (unsigned long)i;
		if (!access_ok(mm, a, 1))
			return -EFAULT;
		const char *p = user_page_ptr(k, mm, a, false);
		if (!p)
			return -EFAULT;
		long chunk = (long)(PAGE_SIZE - (a & ~PAGE_MASK));
		if (chunk > count - i)
			chunk = count - i;
		const char *nul = memchr(p, '\0', (size_t)chunk);
		long len = nul ? nul - p : chunk;
		memcpy(dst + i, p, (size_t)len + (nul ? 1 : 0));
		if (nul)
			return i + len;
		i += chunk;
	}
	return count;
}
