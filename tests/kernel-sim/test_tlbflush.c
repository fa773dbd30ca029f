/*
 * Tests of kernel-sim/tlbflush.c with the real MMU (mmu/): a CPU in 64-bit mode at CPL 3
 * with the mm's tables in CR3 caches translations in its TLB; when the kernel unmaps,
 * write-protects, copies on write or moves pages, the stale translations must be gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mmu/mmu.h"
#include "mmu/paging.h"
#include "tests/kernel-sim/mmtest.h"

#define BASE 0x10000000UL

struct tf {
	struct mmt *t;
	struct mmu mmu;
};

static int setup(void **state)
{
	struct tf *x = calloc(1, sizeof(*x));
	x->t = mmt_new(64);
	struct x86_fault f;
	assert_int_equal(mmu_init(&x->mmu, x->t->k->bus, NULL), 0);
	assert_true(mmu_set_efer(&x->mmu, EFER_LME | EFER_NXE, &f));
	assert_true(mmu_set_cr4(&x->mmu, CR4_PAE, &f));
	assert_true(mmu_set_cr3(&x->mmu, __pa(x->t->k, x->t->mm->pgd), &f));
	assert_true(mmu_set_cr0(&x->mmu, CR0_PE | CR0_PG | CR0_WP, &f));
	mmu_set_cpl(&x->mmu, 3);
	kernel_register_mmu(x->t->k, 0, &x->mmu);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct tf *x = *state;
	x->t->k->cpu_mmu[0] = NULL;
	mmu_destroy(&x->mmu);
	mmt_free(x->t);
	free(x);
	return 0;
}

/* A CPL-3 access through the MMU, taking page faults into the kernel as the CPU would.
 * The physical address, or ~0 when the kernel answered with a signal. */
static uint64_t cpu_access(struct tf *x, uint64_t va, unsigned kind)
{
	for (int i = 0; i < 3; i++) {
		uint64_t pa;
		struct x86_fault f;
		if (mmu_translate(&x->mmu, va, kind, &pa, &f))
			return pa;
		assert_int_equal(f.vector, X86_VEC_PF);
		if (do_user_addr_fault(x->t->k, x->t->mm, f.cr2, f.error_code).signo)
			return ~0ULL;
	}
	fail_msg("no progress at %llx", (unsigned long long)va);
	return ~0ULL;
}

static bool translates(struct tf *x, uint64_t va, unsigned kind)
{
	uint64_t pa;
	struct x86_fault f;
	return mmu_translate(&x->mmu, va, kind, &pa, &f);
}

static void test_tlbflush_unregistered_mmu_keeps_stale_entry(void **state)
{
	/* The control: without shootdowns the MMU really serves a stale translation, so the
	 * tests below can fail. */
	struct tf *x = *state;
	x->t->k->cpu_mmu[0] = NULL;
	assert_int_equal(anon_map(x->t, BASE, PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	assert_int_not_equal(cpu_access(x, BASE, MMU_WRITE), ~0ULL);
	assert_int_equal(do_munmap(x->t->k, x->t->mm, BASE, PG), 0);
	assert_true(translates(x, BASE, MMU_READ));
}

static void test_tlbflush_munmap_drops_translation(void **state)
{
	struct tf *x = *state;
	assert_int_equal(anon_map(x->t, BASE, PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	assert_int_not_equal(cpu_access(x, BASE, MMU_WRITE), ~0ULL);
	assert_true(translates(x, BASE, MMU_READ));
	assert_int_equal(do_munmap(x->t->k, x->t->mm, BASE, PG), 0);
	assert_false(translates(x, BASE, MMU_READ));
	assert_int_equal(cpu_access(x, BASE, MMU_READ), ~0ULL); /* SIGSEGV */
}

static void test_tlbflush_large_munmap_flushes_context(void **state)
{
	struct tf *x = *state;
	assert_int_equal(anon_map(x->t, BASE, 64 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	for (unsigned i = 0; i < 64; i++)
		assert_int_not_equal(cpu_access(x, BASE + i * PG, MMU_WRITE), ~0ULL);
	assert_int_equal(do_munmap(x->t->k, x->t->mm, BASE, 64 * PG), 0);
	for (unsigned i = 0; i < 64; i++)
		assert_false(translates(x, BASE + i * PG, MMU_READ));
}

static void test_tlbflush_mprotect_readonly_stops_writes(void **state)
{
	struct tf *x = *state;
	assert_int_equal(anon_map(x->t, BASE, 2 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	assert_int_not_equal(cpu_access(x, BASE, MMU_WRITE), ~0ULL);
	assert_int_equal(do_mprotect(x->t->k, x->t->mm, BASE, 2 * PG, PROT_READ), 0);
	assert_false(translates(x, BASE, MMU_WRITE));
	assert_true(translates(x, BASE, MMU_READ));
	assert_int_equal(cpu_access(x, BASE, MMU_WRITE), ~0ULL); /* SEGV_ACCERR */
}

static void test_tlbflush_cow_replaces_zero_page_translation(void **state)
{
	struct tf *x = *state;
	uint64_t zero = page_to_phys(x->t->k, x->t->k->vm->zero_page);
	assert_int_equal(anon_map(x->t, BASE, PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	assert_int_equal(cpu_access(x, BASE + 8, MMU_READ), zero + 8);
	uint64_t pa = cpu_access(x, BASE + 8, MMU_WRITE);
	assert_int_not_equal(pa, ~0ULL);
	assert_int_not_equal(pa & ~0xfffULL, zero);
	assert_int_equal(cpu_access(x, BASE + 8, MMU_READ), pa);
}

static void test_tlbflush_mremap_move_follows_pages(void **state)
{
	struct tf *x = *state;
	assert_int_equal(anon_map(x->t, BASE, 2 * PG, PROT_READ | PROT_WRITE, MAP_FIXED), BASE);
	uint64_t pa = cpu_access(x, BASE, MMU_WRITE);
	long n = do_mremap(x->t->k, x->t->mm, BASE, 2 * PG, 2 * PG,
			   MREMAP_MAYMOVE | MREMAP_FIXED, BASE + 100 * PG);
	assert_int_equal(n, BASE + 100 * PG);
	assert_false(translates(x, BASE, MMU_READ));
	assert_int_equal(cpu_access(x, BASE + 100 * PG, MMU_READ), pa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_tlbflush_unregistered_mmu_keeps_stale_entry),
		T(test_tlbflush_munmap_drops_translation),
		T(test_tlbflush_large_munmap_flushes_context),
		T(test_tlbflush_mprotect_readonly_stops_writes),
		T(test_tlbflush_cow_replaces_zero_page_translation),
		T(test_tlbflush_mremap_move_follows_pages),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
