/*
 * User-memory access for system calls (Linux's copy_from_user/copy_to_user and the #PF
 * fixup that makes them return short instead of oopsing). See kernel-sim/uaccess.h.
 */
#include "kernel-sim/uaccess.h"

#include <string.h>

#include "kernel-sim/kernel.h"
#include "kernel-sim/mm.h"
#include "kernel-sim/sched.h"

/* Linux's access_ok: [addr, addr + n) lies below the user half's end. */
static bool access_ok(const struct mm_struct *mm, uint64_t addr, uint64_t n)
{
	return addr <= mm->task_size && n <= mm->task_size - addr;
}

/* The leaf bits a kernel access of this kind needs in a user pte. */
static uint64_t pte_needed(bool write)
{
	return _PAGE_PRESENT | _PAGE_USER | (write ? _PAGE_RW : 0);
}

/*
 * Host pointer to the byte at user address addr of mm, for a read or a write, faulting the
 * page in when the page tables do not allow the access (as the hardware would raise #PF
 * and the handler would resolve it). NULL when the fault cannot be resolved.
 */
static uint8_t *user_byte(struct kernel *k, struct mm_struct *mm, uint64_t addr, bool write)
{
	for (int round = 0; round < 3; round++) {
		pte_t *ptep = mm_find_pte(k, mm, addr);
		uint64_t v = ptep ? pte_val(*ptep) : 0;
		if ((v & pte_needed(write)) == pte_needed(write) && pfn_valid(k, pte_pfn(*ptep))) {
			set_pte(ptep, __pte(v | _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0)));
			return (uint8_t *)__va(k, PFN_PHYS(pte_pfn(*ptep))) + (addr & ~PAGE_MASK);
		}
		/* A kernel-mode access: no X86_PF_USER, as Linux's fault on a uaccess. */
		unsigned ec = (write ? X86_PF_WRITE : 0) | (v & _PAGE_PRESENT ? X86_PF_PROT : 0);
		if (do_user_addr_fault(k, mm, addr, ec).signo)
			return NULL;
	}
	return NULL;
}

unsigned long access_user_mm(struct kernel *k, struct mm_struct *mm, uint64_t addr, void *buf,
			     unsigned long n, bool write)
{
	uint8_t *p = buf;
	if (!mm || !access_ok(mm, addr, n))
		return n;
	while (n) {
		unsigned long chunk = PAGE_SIZE - (addr & ~PAGE_MASK);
		if (chunk > n)
			chunk = n;
		uint8_t *u = user_byte(k, mm, addr, write);
		if (!u)
			return n;
		if (write)
			memcpy(u, p, chunk);
		else
			memcpy(p, u, chunk);
		p += chunk;
		addr += chunk;
		n -= chunk;
	}
	return 0;
}

static struct mm_struct *current_mm(struct kernel *k)
{
	return k->current ? k->current->mm : NULL;
}

unsigned long copy_from_user(struct kernel *k, void *to, uint64_t from, unsigned long n)
{
	return access_user_mm(k, current_mm(k), from, to, n, false);
}

unsigned long copy_to_user(struct kernel *k, uint64_t to, const void *from, unsigned long n)
{
	return access_user_mm(k, current_mm(k), to, (void *)from, n, true);
}

unsigned long clear_user(struct kernel *k, uint64_t to, unsigned long n)
{
	static const uint8_t zeros[256];
	while (n) {
		unsigned long chunk = n < sizeof(zeros) ? n : sizeof(zeros);
		unsigned long left = copy_to_user(k, to, zeros, chunk);
		if (left)
			return n - (chunk - left);
		to += chunk;
		n -= chunk;
	}
	return 0;
}

long strncpy_from_user(struct kernel *k, char *dst, uint64_t src, long count)
{
	struct mm_struct *mm = current_mm(k);
	long i = 0;
	while (i < count) {
		uint64_t addr = src + (uint64_t)i;
		const uint8_t *u = mm && access_ok(mm, addr, 1) ? user_byte(k, mm, addr, false)
								: NULL;
		if (!u)
			return -EFAULT;
		/* The rest of this page in one go, up to the NUL. */
		long room = (long)(PAGE_SIZE - (addr & ~PAGE_MASK));
		for (long j = 0; j < room && i < count; j++, i++) {
			dst[i] = (char)u[j];
			if (!u[j])
				return i;
		}
	}
	return count;
}

size_t copy_from_user_nofault_mm(struct kernel *k, struct mm_struct *mm, void *to,
				 uint64_t from, size_t n)
{
	uint8_t *p = to;
	size_t done = 0;
	if (!mm || !access_ok(mm, from, 1))
		return 0;
	while (done < n && access_ok(mm, from, 1)) {
		size_t chunk = PAGE_SIZE - (from & ~PAGE_MASK);
		if (chunk > n - done)
			chunk = n - done;
		pte_t *ptep = mm_find_pte(k, mm, from);
		if (!ptep || (pte_val(*ptep) & pte_needed(false)) != pte_needed(false) ||
		    !pfn_valid(k, pte_pfn(*ptep)))
			break;
		memcpy(p + done, (uint8_t *)__va(k, PFN_PHYS(pte_pfn(*ptep))) + (from & ~PAGE_MASK),
		       chunk);
		done += chunk;
		from += chunk;
	}
	return done;
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
	uint32_t v32;
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
