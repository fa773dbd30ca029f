/*
 * Helpers for the address-space tests: a booted machine with one mm, and a user-memory
 * access that behaves as the x86 hardware would, written from the Intel SDM (Vol. 3A,
 * 4.5 and 4.7) independently of kernel-sim's own page-table code: a 4-level walk through
 * guest physical memory, the permission checks of a CPL-3 access (P, R/W, U/S, XD with
 * EFER.NXE = 1, CR0.WP = 1), Accessed/Dirty updates, and on a fault the #PF error code
 * handed to do_user_addr_fault(), retried as the CPU retries the instruction.
 * Included by test files after <cmocka.h>.
 */
#ifndef TESTS_MMTEST_H
#define TESTS_MMTEST_H

#include <stdint.h>
#include <string.h>

#include "kernel-sim/mm.h"
#include "kernel-sim/slab.h"
#include "kernel-sim/swap.h"
#include "tests/kernel-sim/ktest.h"

/* SDM entry bits, spelled out here rather than taken from pgtable.h. */
#define SDM_P 0x1ULL
#define SDM_RW 0x2ULL
#define SDM_US 0x4ULL
#define SDM_A 0x20ULL
#define SDM_D 0x40ULL
#define SDM_PS 0x80ULL
#define SDM_XD (1ULL << 63)
#define SDM_ADDR 0x000ffffffffff000ULL

/* #PF error code bits (SDM Vol. 3A, Figure 4-12). */
#define PFEC_P 0x1u
#define PFEC_W 0x2u
#define PFEC_U 0x4u
#define PFEC_I 0x10u

#define PG 4096UL

struct mmt {
	struct machine *m;
	struct kernel *k;
	struct mm_struct *mm;
	long baseline_leak; /* mmt_leaked_pages() before the mm existed */
};

static inline long mmt_leaked_pages(struct kernel *k);

static inline struct mmt *mmt_new(uint64_t mb)
{
	struct mmt *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->m = ktest_boot(mb);
	t->k = &t->m->kernel;
	t->baseline_leak = mmt_leaked_pages(t->k);
	t->mm = mm_alloc(t->k);
	assert_non_null(t->mm);
	return t;
}

static inline void mmt_free(struct mmt *t)
{
	if (t->mm)
		mmput(t->k, t->mm);
	ktest_shutdown(t->m);
	free(t);
}

/* The leaf PTE for va under the mm's pgd, as the hardware finds it; 0 when a level on the
 * way is not present. *slot gets its physical address. */
static inline uint64_t sdm_leaf(struct kernel *k, struct mm_struct *mm, uint64_t va,
				uint64_t *slot)
{
	uint64_t table = __pa(k, mm->pgd);
	for (int level = 4; level >= 1; level--) {
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		uint64_t pa = table + ((va >> shift) & 0x1ff) * 8;
		uint64_t e = bus_load(k->bus, pa, 8);
		if (level == 1) {
			if (slot)
				*slot = pa;
			return e;
		}
		if (!(e & SDM_P))
			return 0;
		if (e & SDM_PS)
			fail_msg("unexpected large page at level %d for %llx", level,
				 (unsigned long long)va);
		table = e & SDM_ADDR;
	}
	return 0;
}

/* Outcome of one simulated user access. */
struct uacc {
	int signo;       /* 0: the access completed */
	int si_code;
	int faults;      /* #PFs taken on the way */
	uint64_t pa;     /* physical address reached */
};

/* Would a CPL-3 access of this kind be allowed by the leaf (and the levels above, which
 * the kernel always writes with P, RW, US)? Returns the #PF error code, or 0 when allowed. */
static inline unsigned sdm_check(uint64_t leaf, bool write, bool exec)
{
	unsigned ec = PFEC_U | (write ? PFEC_W : 0) | (exec ? PFEC_I : 0);
	if (!(leaf & SDM_P))
		return ec;
	if (!(leaf & SDM_US) || (write && !(leaf & SDM_RW)) || (exec && (leaf & SDM_XD)))
		return ec | PFEC_P;
	return 0;
}

/* One user access at va, faulting into the kernel and retrying as the CPU would (at most
 * a few times: a correct kernel resolves a fault in one or two rounds). */
static inline struct uacc uaccess(struct kernel *k, struct mm_struct *mm, uint64_t va,
				  bool write, bool exec)
{
	struct uacc r = {0};
	for (int round = 0; round < 4; round++) {
		uint64_t slot = 0;
		uint64_t leaf = va < (1ULL << 47) ? sdm_leaf(k, mm, va, &slot) : 0;
		unsigned ec = va < (1ULL << 47) ? sdm_check(leaf, write, exec)
						: PFEC_U | (write ? PFEC_W : 0);
		if (!ec) {
			leaf |= SDM_A | (write ? SDM_D : 0);
			bus_store(k->bus, slot, leaf, 8);
			r.pa = (leaf & SDM_ADDR) | (va & 0xfff);
			return r;
		}
		r.faults++;
		struct fault_result f = do_user_addr_fault(k, mm, va, ec);
		if (f.signo) {
			r.signo = f.signo;
			r.si_code = f.si_code;
			return r;
		}
	}
	fail_msg("access at %llx did not resolve", (unsigned long long)va);
	return r;
}

static inline void uwrite8(struct kernel *k, struct mm_struct *mm, uint64_t va, uint8_t v)
{
	struct uacc r = uaccess(k, mm, va, true, false);
	if (r.signo)
		fail_msg("write at %llx: signal %d code %d", (unsigned long long)va, r.signo,
			 r.si_code);
	bus_store(k->bus, r.pa, v, 1);
}

static inline uint8_t uread8(struct kernel *k, struct mm_struct *mm, uint64_t va)
{
	struct uacc r = uaccess(k, mm, va, false, false);
	if (r.signo)
		fail_msg("read at %llx: signal %d code %d", (unsigned long long)va, r.signo,
			 r.si_code);
	return (uint8_t)bus_load(k->bus, r.pa, 1);
}

static inline long anon_map(struct mmt *t, uint64_t addr, uint64_t len, unsigned long prot,
			    unsigned long flags)
{
	return vm_mmap(t->k, t->mm, NULL, addr, len, prot, flags | MAP_PRIVATE | MAP_ANONYMOUS,
		       0);
}

/* Frames not back in the buddy allocator since boot, once this layer's empty slabs are
 * returned (0: nothing leaked). */
static inline long mmt_leaked_pages(struct kernel *k)
{
	vm_shrink_caches(k);
	return debug_vm_leaked_pages(k);
}

/* A machine of ram_mb MiB on one node with a swap area of swap_mb MiB (0: none), zswap in
 * front of it when asked, and one mm: the reclaim tests' fixture. */
static inline struct mmt *mmt_new_swap(uint64_t ram_mb, uint64_t swap_mb, bool zswap)
{
	struct boot_params p;
	boot_params_default(&p);
	p.ram_size = ram_mb << 20;
	p.node[0].mem = p.ram_size;
	p.swap_size = swap_mb << 20;
	p.zswap = zswap;
	struct mmt *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->m = ktest_boot_params(&p);
	t->k = &t->m->kernel;
	t->baseline_leak = mmt_leaked_pages(t->k);
	t->mm = mm_alloc(t->k);
	assert_non_null(t->mm);
	return t;
}

/* The DEBUG_VM checks of reclaim's state: free lists, the LRU lists (with writeback and
 * workingset state), and the rmap and swap counts of the fixture's mm when it has one. */
static inline void mmt_assert_consistent(struct mmt *t)
{
	char msg[256];
	ktest_assert_consistent(t->k);
	if (debug_vm_check_lru(t->k, msg, sizeof(msg)) != 0)
		fail_msg("debug_vm_check_lru: %s", msg);
	if (debug_vm_check_rmap(t->k, &t->mm, t->mm ? 1 : 0, msg, sizeof(msg)) != 0)
		fail_msg("debug_vm_check_rmap: %s", msg);
}

/* The end of a reclaim test: the state consistent, the mm gone, every frame and swap slot
 * back, the state consistent again. The machine stays for the caller's own end checks;
 * mmt_free it afterwards. */
static inline void mmt_drop_mm_checked(struct mmt *t)
{
	mmt_assert_consistent(t);
	mmput(t->k, t->mm);
	t->mm = NULL;
	assert_int_equal(nr_free_swap_pages(t->k), total_swap_pages(t->k));
	assert_int_equal(mmt_leaked_pages(t->k), t->baseline_leak);
	mmt_assert_consistent(t);
}

/* Reclaims from node 0 until nothing more goes (priority 0: whole lists), then drains the
 * pcp lists; the pages reclaimed. */
static inline unsigned long mmt_reclaim_all(struct mmt *t)
{
	unsigned long total = 0, got;
	while ((got = shrink_node_pages(t->k, 0, ~0UL, 0, false)) != 0)
		total += got;
	drain_all_pages(t->k);
	return total;
}

#endif /* TESTS_MMTEST_H */
