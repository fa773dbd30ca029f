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
#include "kernel-sim/sched.h"
#include "kernel-sim/trace_mm.h"

int access_ok(const struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	return mm && len <= mm->task_size && addr <= mm->task_size - len;
}

/* user_page_ptr's look-up and faults. */
static void *user_page_fault_in(struct kernel *k, struct mm_struct *mm, unsigned long addr,
				bool write)
{
	for (int round = 0; round < 2; round++) {
		pte_t *pte = mm_find_pte(k, mm, addr);
		uint64_t v = pte ? pte_val(*pte) : 0;
		unsigned int ec = write ? X86_PF_WRITE : 0;
		if ((v & _PAGE_PRESENT) && pfn_valid(k, pte_pfn(*pte))) {
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

/* A host pointer to user address addr for this access, faulting it in; NULL when the
 * process may not make it. A tracer sees the access begin and its faults end. */
static void *user_page_ptr(struct kernel *k, struct mm_struct *mm, unsigned long addr, bool write)
{
	if (likely(!k->mm_tracer))
		return user_page_fault_in(k, mm, addr, write);
	trace_uaccess_slow(k, mm, addr, write);
	void *p = user_page_fault_in(k, mm, addr, write);
	if (k->mm_tracer)
		trace_uaccess_done_slow(k);
	return p;
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

unsigned long copy_to_user_mm(struct kernel *k, struct mm_struct *mm, unsigned long to,
			      const void *from, unsigned long n)
{
	return user_walk(k, mm, to, n, true, put_bytes, (void *)from);
}

unsigned long copy_from_user_mm(struct kernel *k, struct mm_struct *mm, void *to,
				unsigned long from, unsigned long n)
{
	unsigned long left = user_walk(k, mm, from, n, false, get_bytes, to);
	if (left && left <= n)
		memset((uint8_t *)to + (n - left), 0, left); /* Linux zeroes what it could not copy */
	return left;
}

unsigned long clear_user_mm(struct kernel *k, struct mm_struct *mm, unsigned long to,
			    unsigned long n)
{
	return user_walk(k, mm, to, n, true, zero_bytes, NULL);
}

long strncpy_from_user_mm(struct kernel *k, struct mm_struct *mm, char *dst, unsigned long src,
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

size_t copy_from_user_nofault_mm(struct kernel *k, struct mm_struct *mm, void *to, uint64_t from,
				 size_t n)
{
	uint8_t *p = to;
	size_t done = 0;
	if (!access_ok(mm, from, 1))
		return 0;
	while (done < n && access_ok(mm, from, 1)) {
		size_t chunk = PAGE_SIZE - (from & ~PAGE_MASK);
		if (chunk > n - done)
			chunk = n - done;
		pte_t *ptep = mm_find_pte(k, mm, from);
		if (!ptep ||
		    (pte_val(*ptep) & (_PAGE_PRESENT | _PAGE_USER)) !=
			(_PAGE_PRESENT | _PAGE_USER) ||
		    !pfn_valid(k, pte_pfn(*ptep)))
			break;
		memcpy(p + done, (uint8_t *)__va(k, PFN_PHYS(pte_pfn(*ptep))) + (from & ~PAGE_MASK),
		       chunk);
		done += chunk;
		from += chunk;
	}
	return done;
}

/* ---- the current task's mm ---- */

static struct mm_struct *current_mm(struct kernel *k)
{
	return k->current ? k->current->mm : NULL;
}

unsigned long copy_to_user(struct kernel *k, uint64_t to, const void *from, unsigned long n)
{
	struct mm_struct *mm = current_mm(k);
	return mm ? copy_to_user_mm(k, mm, to, from, n) : n;
}

unsigned long copy_from_user(struct kernel *k, void *to, uint64_t from, unsigned long n)
{
	struct mm_struct *mm = current_mm(k);
	return mm ? copy_from_user_mm(k, mm, to, from, n) : n;
}

unsigned long clear_user(struct kernel *k, uint64_t to, unsigned long n)
{
	struct mm_struct *mm = current_mm(k);
	return mm ? clear_user_mm(k, mm, to, n) : n;
}

long strncpy_from_user(struct kernel *k, char *dst, uint64_t src, long count)
{
	struct mm_struct *mm = current_mm(k);
	return mm ? strncpy_from_user_mm(k, mm, dst, src, count) : -EFAULT;
}

int get_user_u32(struct kernel *k, uint32_t *val, uint64_t addr)
{
	return copy_from_user_ok(k, val, addr, sizeof(*val));
}

int get_user_u64(struct kernel *k, uint64_t *val, uint64_t addr)
{
	return copy_from_user_ok(k, val, addr, sizeof(*val));
}

int put_user_u32(struct kernel *k, uint32_t val, uint64_t addr)
{
	return copy_to_user_ok(k, addr, &val, sizeof(val));
}

int put_user_u64(struct kernel *k, uint64_t val, uint64_t addr)
{
	return copy_to_user_ok(k, addr, &val, sizeof(val));
}

static bool current_abi32(const struct kernel *k)
{
	return k->current && k->current->in_compat;
}

int get_user_long(struct kernel *k, uint64_t *val, uint64_t addr)
{
	uint32_t v32 = 0;
	if (!current_abi32(k))
		return get_user_u64(k, val, addr);
	int err = get_user_u32(k, &v32, addr);
	*val = v32;
	return err;
}

int put_user_long(struct kernel *k, uint64_t val, uint64_t addr)
{
	if (current_abi32(k))
		return put_user_u32(k, (uint32_t)val, addr);
	return put_user_u64(k, val, addr);
}
