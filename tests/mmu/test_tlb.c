/*
 * TLB semantics (SDM 4.10): a TLB is a cache, so a PTE changed in memory is not seen until
 * the translation is invalidated; geometry and replacement; PCIDs and global pages;
 * INVLPG, INVPCID, MOV to CR3 and CR4; fracturing of large pages; the fast path's
 * exact accounting.
 */
#include "tests/mmu/mmu_test_env.h"

#define LA 0x00007f0000200000ULL

/* 4-level paging with root at a fresh table, extra CR4 bits, TLB geometry tlb. */
static uint64_t setup(struct env *e, const char *tlb, uint64_t cr4_extra)
{
	env_init_cfg(e, tlb);
	uint64_t root = env_table(e);
	env_long_mode(e, false, root, cr4_extra);
	return root;
}

static uint64_t map(struct env *e, uint64_t root, uint64_t la, uint64_t pa, uint64_t flags)
{
	uint64_t epa[4];
	env_map64(e, root, 4, la, pa, 12, flags, ENV_ALL, epa);
	return epa[3];
}

#define xlate(e, la) xlate_at(e, la, __LINE__)
static uint64_t xlate_at(struct env *e, uint64_t la, int line)
{
	struct x86_fault f;
	uint64_t pa = 0;
	if (!mmu_translate(&e->m, la, MMU_READ, &pa, &f))
		fail_msg("line %d: #%u(%#x) at %#llx", line, f.vector, f.error_code,
			 (unsigned long long)la);
	return pa;
}

static bool faults(struct env *e, uint64_t la, unsigned flags)
{
	struct x86_fault f;
	uint64_t pa;
	return !mmu_translate(&e->m, la, flags, &pa, &f);
}

static void test_tlb_changed_pte_is_stale_until_invlpg(void **state)
{
	struct env e;
	uint64_t root = setup(&e, NULL, 0);
	uint64_t pte = map(&e, root, LA, 0x10000, ENV_ALL);
	assert_int_equal(xlate(&e, LA), 0x10000);
	wr64(&e, pte, 0x20000 | ENV_ALL);
	assert_int_equal(xlate(&e, LA), 0x10000); /* stale, as on hardware */
	mmu_invlpg(&e.m, LA);
	assert_int_equal(xlate(&e, LA), 0x20000);
	/* Clearing P is not seen either, until the invalidation. */
	wr64(&e, pte, 0);
	assert_false(faults(&e, LA, MMU_READ));
	mmu_invlpg(&e.m, LA);
	assert_true(faults(&e, LA, MMU_READ));
	env_destroy(&e);
}

static void test_tlb_fault_on_stale_entry_drops_it(void **state)
{
	struct env e;
	uint64_t root = setup(&e, NULL, 0);
	uint64_t pte = map(&e, root, LA, 0x10000, PTE_P | PTE_US);
	mmu_set_cpl(&e.m, 3);
	assert_false(faults(&e, LA, MMU_READ));
	/* Upgrade to writable without an INVLPG: the cached read-only entry faults once. */
	wr64(&e, pte, 0x10000 | ENV_ALL);
	assert_true(faults(&e, LA, MMU_WRITE));
	assert_false(faults(&e, LA, MMU_WRITE));
	env_destroy(&e);
}

static void test_tlb_cr3_reload_keeps_only_global_entries(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t root = setup(&e, NULL, CR4_PGE);
	uint64_t g = map(&e, root, LA, 0x10000, ENV_ALL | PTE_G);
	uint64_t ng = map(&e, root, LA + 0x1000, 0x11000, ENV_ALL);
	xlate(&e, LA);
	xlate(&e, LA + 0x1000);
	wr64(&e, g, 0x30000 | ENV_ALL | PTE_G);
	wr64(&e, ng, 0x31000 | ENV_ALL);
	env_ok(mmu_set_cr3(&e.m, root, &f));
	assert_int_equal(xlate(&e, LA), 0x10000);	   /* global survives */
	assert_int_equal(xlate(&e, LA + 0x1000), 0x31000); /* non-global flushed */
	mmu_invlpg(&e.m, LA);				   /* INVLPG removes global entries too */
	assert_int_equal(xlate(&e, LA), 0x30000);
	/* A CR4.PGE toggle flushes globals. */
	wr64(&e, g, 0x40000 | ENV_ALL | PTE_G);
	env_ok(mmu_set_cr4(&e.m, e.m.cr4 & ~CR4_PGE, &f));
	env_ok(mmu_set_cr4(&e.m, e.m.cr4 | CR4_PGE, &f));
	assert_int_equal(xlate(&e, LA), 0x40000);
	env_destroy(&e);
}

static void test_tlb_global_bit_needs_cr4_pge(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t root = setup(&e, NULL, 0);
	uint64_t g = map(&e, root, LA, 0x10000, ENV_ALL | PTE_G);
	xlate(&e, LA);
	wr64(&e, g, 0x30000 | ENV_ALL | PTE_G);
	env_ok(mmu_set_cr3(&e.m, root, &f));
	assert_int_equal(xlate(&e, LA), 0x30000);
	env_destroy(&e);
}

/* Two address spaces with PCIDs 1 and 2 mapping LA to different frames. */
static void two_spaces(struct env *e, uint64_t *r1, uint64_t *r2, uint64_t *pte1)
{
	struct x86_fault f;
	*r1 = setup(e, NULL, 0);
	*r2 = env_table(e);
	*pte1 = map(e, *r1, LA, 0x10000, ENV_ALL);
	map(e, *r2, LA, 0x20000, ENV_ALL);
	env_ok(mmu_set_cr4(&e->m, e->m.cr4 | CR4_PCIDE, &f));
	env_ok(mmu_set_cr3(&e->m, *r1 | 1, &f));
	assert_int_equal(e->m.pcid, 1);
	assert_int_equal(xlate(e, LA), 0x10000);
	env_ok(mmu_set_cr3(&e->m, *r2 | 2 | CR3_NOFLUSH, &f));
	assert_int_equal(xlate(e, LA), 0x20000);
}

static void test_tlb_pcid_entries_survive_noflush_switch(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t r1, r2, pte1;
	two_spaces(&e, &r1, &r2, &pte1);
	wr64(&e, pte1, 0x50000 | ENV_ALL);
	/* Back to PCID 1 without flushing: its old entry is still there. */
	env_ok(mmu_set_cr3(&e.m, r1 | 1 | CR3_NOFLUSH, &f));
	assert_int_equal(e.m.cr3 >> 63, 0); /* bit 63 is never stored */
	assert_int_equal(xlate(&e, LA), 0x10000);
	/* Without bit 63, the PCID's entries go. */
	env_ok(mmu_set_cr3(&e.m, r1 | 1, &f));
	assert_int_equal(xlate(&e, LA), 0x50000);
	assert_int_equal(e.m.st.cr3_noflush, 2);
	env_destroy(&e);
}

static void test_tlb_invpcid_types_follow_sdm(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t r1, r2, pte1;
	two_spaces(&e, &r1, &r2, &pte1);
	/* In PCID 2, also a global page. */
	uint64_t gpte = map(&e, r2, LA + 0x1000, 0x21000, ENV_ALL | PTE_G);
	env_ok(mmu_set_cr4(&e.m, e.m.cr4 | CR4_PGE, &f)); /* flushes all; refill */
	xlate(&e, LA);
	xlate(&e, LA + 0x1000);
	env_ok(mmu_set_cr3(&e.m, r1 | 1 | CR3_NOFLUSH, &f));
	xlate(&e, LA);
	wr64(&e, pte1, 0x50000 | ENV_ALL);
	wr64(&e, gpte, 0x61000 | ENV_ALL | PTE_G);

	/* Type 0, individual address of PCID 2: PCID 1's entry and the global one stay. */
	env_ok(mmu_invpcid(&e.m, 0, 2, LA, &f));
	assert_int_equal(xlate(&e, LA), 0x10000);
	assert_int_equal(xlate(&e, LA + 0x1000), 0x21000);
	/* Type 1, single context PCID 1: its entry goes, globals stay. */
	env_ok(mmu_invpcid(&e.m, 1, 1, 0, &f));
	assert_int_equal(xlate(&e, LA), 0x50000);
	assert_int_equal(xlate(&e, LA + 0x1000), 0x21000);
	/* Type 3, all contexts but globals. */
	wr64(&e, pte1, 0x70000 | ENV_ALL);
	env_ok(mmu_invpcid(&e.m, 3, 0, 0, &f));
	assert_int_equal(xlate(&e, LA), 0x70000);
	assert_int_equal(xlate(&e, LA + 0x1000), 0x21000);
	/* Type 2, everything (the global page is mapped in PCID 2's tables only). */
	env_ok(mmu_invpcid(&e.m, 2, 0, 0, &f));
	assert_true(faults(&e, LA + 0x1000, MMU_READ));
	env_ok(mmu_set_cr3(&e.m, r2 | 2 | CR3_NOFLUSH, &f));
	assert_int_equal(xlate(&e, LA + 0x1000), 0x61000);
	assert_int_equal(
	    e.m.st.invpcid[0] + e.m.st.invpcid[1] + e.m.st.invpcid[2] + e.m.st.invpcid[3], 4);
	env_destroy(&e);
}

static void test_tlb_invpcid_bad_operands_raise_gp(void **state)
{
	struct env e;
	struct x86_fault f;
	setup(&e, NULL, 0);
	assert_false(mmu_invpcid(&e.m, 4, 0, 0, &f));
	assert_int_equal(f.vector, X86_VEC_GP);
	assert_false(mmu_invpcid(&e.m, 0, 0, 0x0000800000000000ULL, &f));
	assert_int_equal(f.vector, X86_VEC_GP);
	assert_false(mmu_invpcid(&e.m, 1, 1, 0, &f)); /* PCIDE = 0 and PCID != 0 */
	assert_true(mmu_invpcid(&e.m, 2, 1, 0, &f));  /* types 2 and 3 ignore the PCID */
	env_ok(mmu_set_cr4(&e.m, e.m.cr4 | CR4_PCIDE, &f));
	assert_false(mmu_invpcid(&e.m, 1, 4096, 0, &f));
	assert_true(mmu_invpcid(&e.m, 1, 4095, 0, &f));
	env_destroy(&e);
}

static void test_tlb_cr4_pcide_rules(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t root = setup(&e, NULL, 0);
	env_ok(mmu_set_cr3(&e.m, root | 5, &f));		  /* PWT/PCD bits with PCIDE = 0 */
	assert_false(mmu_set_cr4(&e.m, e.m.cr4 | CR4_PCIDE, &f)); /* CR3[11:0] != 0 */
	assert_int_equal(f.vector, X86_VEC_GP);
	env_ok(mmu_set_cr3(&e.m, root, &f));
	env_ok(mmu_set_cr4(&e.m, e.m.cr4 | CR4_PCIDE, &f));
	assert_false(mmu_set_cr3(&e.m, 1ULL << 50, &f)); /* above MAXPHYADDR */
	env_destroy(&e);
}

/* Reads page n (4K pages at LA + n * 4K, identity-ish mapped) through mmu_read. */
static void touch(struct env *e, unsigned n)
{
	struct x86_fault f;
	uint64_t v;
	assert_true(mmu_read(&e->m, LA + n * 0x1000ULL, 8, &v, 0, &f));
}

static void map_pages(struct env *e, uint64_t root, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		map(e, root, LA + i * 0x1000ULL, 0x100000 + i * 0x1000ULL, ENV_ALL);
}

static uint64_t l1d_misses(struct env *e)
{
	return e->m.tlb.lv[TLB_LEVEL_L1D].misses;
}

static void test_tlb_lru_evicts_least_recently_used(void **state)
{
	struct env e;
	/* l1d4k: 2 sets of 2 ways; pages 0, 2, 4 share set 0 (LA is 2M aligned). */
	uint64_t root = setup(&e, "none,l1d4k=4:2:lru", 0);
	map_pages(&e, root, 6);
	touch(&e, 0);
	touch(&e, 2);
	touch(&e, 0); /* 0 is now more recent than 2 */
	touch(&e, 4); /* evicts 2 */
	assert_int_equal(e.m.tlb.a[TLB_L1D_4K].st.evictions, 1);
	uint64_t m = l1d_misses(&e);
	touch(&e, 0);
	assert_int_equal(l1d_misses(&e), m);
	touch(&e, 2);
	assert_int_equal(l1d_misses(&e), m + 1);
	env_destroy(&e);
}

static void test_tlb_fifo_evicts_oldest_fill(void **state)
{
	struct env e;
	uint64_t root = setup(&e, "none,l1d4k=4:2:fifo", 0);
	map_pages(&e, root, 6);
	touch(&e, 0);
	touch(&e, 2);
	touch(&e, 0); /* a hit does not change FIFO order */
	touch(&e, 4); /* evicts 0 */
	uint64_t m = l1d_misses(&e);
	touch(&e, 2);
	assert_int_equal(l1d_misses(&e), m);
	touch(&e, 0);
	assert_int_equal(l1d_misses(&e), m + 1);
	env_destroy(&e);
}

static void test_tlb_non_power_of_two_sets_index_by_modulo(void **state)
{
	struct env e;
	/* 3 sets of 2 ways: pages 0, 3, 6 share a set; 0, 1, 2 do not. */
	uint64_t root = setup(&e, "none,l1d4k=6:2", 0);
	map_pages(&e, root, 8);
	assert_int_equal(e.m.tlb.a[TLB_L1D_4K].sets, 3);
	for (unsigned i = 0; i < 6; i++)
		touch(&e, i); /* fills every way exactly */
	assert_int_equal(e.m.tlb.a[TLB_L1D_4K].st.evictions, 0);
	assert_int_equal(tlb_array_occupancy(&e.m.tlb.a[TLB_L1D_4K]), 6);
	touch(&e, 6); /* set 0 (6 mod 3): evicts page 0 */
	assert_int_equal(e.m.tlb.a[TLB_L1D_4K].st.evictions, 1);
	uint64_t m = l1d_misses(&e);
	touch(&e, 1);
	touch(&e, 2);
	assert_int_equal(l1d_misses(&e), m);
	touch(&e, 0);
	assert_int_equal(l1d_misses(&e), m + 1);
	env_destroy(&e);
}

static void test_tlb_random_replacement_is_seeded(void **state)
{
	uint64_t misses[2];
	for (int run = 0; run < 2; run++) {
		struct env e;
		uint64_t root = setup(&e, "none,l1d4k=8:8:random,seed=42", 0);
		map_pages(&e, root, 16);
		for (unsigned i = 0; i < 200; i++)
			touch(&e, (i * 7) % 16);
		misses[run] = l1d_misses(&e);
		assert_true(e.m.tlb.a[TLB_L1D_4K].st.evictions > 0);
		env_destroy(&e);
	}
	assert_int_equal(misses[0], misses[1]);
}

static void test_tlb_l2_hit_refills_l1(void **state)
{
	struct env e;
	uint64_t root = setup(&e, "none,l1d4k=1:1,l2=16:4", 0);
	map_pages(&e, root, 2);
	touch(&e, 0);
	touch(&e, 1); /* evicts page 0 from L1, not from L2 */
	uint64_t walks = e.m.st.walks;
	touch(&e, 0);
	assert_int_equal(e.m.st.walks, walks);
	assert_int_equal(tlb_array_hits(&e.m.tlb, &e.m.tlb.a[TLB_L2]), 1);
	assert_int_equal(e.m.tlb.lv[TLB_LEVEL_L2].misses, 2);
	assert_int_equal(l1d_misses(&e), 3);
	env_destroy(&e);
}

static void test_tlb_fetch_uses_itlb_and_data_uses_dtlb(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v;
	uint64_t root = setup(&e, NULL, 0);
	map_pages(&e, root, 1);
	assert_true(mmu_fetch(&e.m, LA, 4, &v, &f));
	assert_true(mmu_fetch(&e.m, LA, 4, &v, &f));
	assert_int_equal(tlb_array_hits(&e.m.tlb, &e.m.tlb.a[TLB_L1I_4K]), 1);
	assert_int_equal(tlb_array_hits(&e.m.tlb, &e.m.tlb.a[TLB_L1D_4K]), 0);
	touch(&e, 0); /* the DTLB misses, the L2 filled by the fetch's walk hits */
	assert_int_equal(tlb_array_hits(&e.m.tlb, &e.m.tlb.a[TLB_L2]), 1);
	assert_int_equal(e.m.st.walks, 1);
	env_destroy(&e);
}

static void test_tlb_1g_page_fractures_into_itlb_2m_entries(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v, epa[4];
	uint64_t root = setup(&e, NULL, 0); /* Skylake: no 1G ITLB array */
	uint64_t la = 0x00007f8000000000ULL;
	env_map64(&e, root, 4, la, 0, 30, ENV_ALL, ENV_ALL, epa);
	assert_true(mmu_fetch(&e.m, la + 0x600000, 4, &v, &f));
	struct tlb_array *a = &e.m.tlb.a[TLB_L1I_2M];
	assert_int_equal(tlb_array_occupancy(a), 1);
	assert_true(a->fractured);
	assert_int_equal(tlb_array_occupancy(&e.m.tlb.a[TLB_L2_1G]), 1);
	/* INVLPG of another 2M part of the same 1G page removes the fractured entry. */
	mmu_invlpg(&e.m, la + 0x10000000);
	assert_int_equal(tlb_array_occupancy(a), 0);
	assert_int_equal(tlb_array_occupancy(&e.m.tlb.a[TLB_L2_1G]), 0);
	env_destroy(&e);
}

static void test_tlb_fast_path_counts_every_hit_exactly(void **state)
{
	struct env e;
	uint64_t root = setup(&e, NULL, 0);
	map_pages(&e, root, 1);
	for (int i = 0; i < 100; i++)
		touch(&e, 0);
	assert_int_equal(mmu_tlb_level_hits(&e.m, TLB_LEVEL_L1D), 99);
	assert_int_equal(l1d_misses(&e), 1);
	e.m.exact_stats = false;
	for (int i = 0; i < 100; i++)
		touch(&e, 0);
	assert_int_equal(mmu_tlb_level_hits(&e.m, TLB_LEVEL_L1D), 99);
	env_destroy(&e);
}

static void test_tlb_eviction_drops_fast_path_entry(void **state)
{
	struct env e;
	uint64_t root = setup(&e, "none,l1d4k=1:1", 0);
	map_pages(&e, root, 2);
	touch(&e, 0);
	touch(&e, 0); /* fast hit */
	touch(&e, 1); /* evicts page 0's L1 entry */
	touch(&e, 0); /* must miss: its fast entry went with the L1 entry */
	assert_int_equal(l1d_misses(&e), 3);
	assert_int_equal(mmu_tlb_level_hits(&e.m, TLB_LEVEL_L1D), 1);
	env_destroy(&e);
}

static void test_tlb_invlpg_drops_fast_path_entry_of_large_page(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v, epa[4];
	uint64_t root = setup(&e, NULL, 0);
	env_map64(&e, root, 4, LA, 0x400000, 21, ENV_ALL, ENV_ALL, epa);
	assert_true(mmu_read(&e.m, LA + 0x5000, 8, &v, 0, &f));
	assert_true(mmu_read(&e.m, LA + 0x5000, 8, &v, 0, &f));
	wr64(&e, epa[2], 0x600000 | ENV_ALL | PTE_PS);
	memcpy(e.bus.ram + 0x605000, "newframe", 8);
	mmu_invlpg(&e.m, LA + 0x1ff000); /* any address in the 2M page */
	assert_true(mmu_read(&e.m, LA + 0x5000, 8, &v, 0, &f));
	assert_memory_equal(&v, "newframe", 8);
	env_destroy(&e);
}

static void test_tlb_smap_ac_toggle_uses_separate_fast_entries(void **state)
{
	struct env e;
	struct x86_fault f;
	uint64_t v;
	uint64_t root = setup(&e, NULL, CR4_SMAP);
	map_pages(&e, root, 1);
	mmu_set_ac(&e.m, true);
	assert_true(mmu_read(&e.m, LA, 8, &v, 0, &f));
	assert_true(mmu_read(&e.m, LA, 8, &v, 0, &f));
	mmu_set_ac(&e.m, false); /* CLAC: the user page is now off limits */
	assert_false(mmu_read(&e.m, LA, 8, &v, 0, &f));
	assert_int_equal(f.error_code, PF_ERR_P);
	env_destroy(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tlb_changed_pte_is_stale_until_invlpg),
	    cmocka_unit_test(test_tlb_fault_on_stale_entry_drops_it),
	    cmocka_unit_test(test_tlb_cr3_reload_keeps_only_global_entries),
	    cmocka_unit_test(test_tlb_global_bit_needs_cr4_pge),
	    cmocka_unit_test(test_tlb_pcid_entries_survive_noflush_switch),
	    cmocka_unit_test(test_tlb_invpcid_types_follow_sdm),
	    cmocka_unit_test(test_tlb_invpcid_bad_operands_raise_gp),
	    cmocka_unit_test(test_tlb_cr4_pcide_rules),
	    cmocka_unit_test(test_tlb_lru_evicts_least_recently_used),
	    cmocka_unit_test(test_tlb_fifo_evicts_oldest_fill),
	    cmocka_unit_test(test_tlb_non_power_of_two_sets_index_by_modulo),
	    cmocka_unit_test(test_tlb_random_replacement_is_seeded),
	    cmocka_unit_test(test_tlb_l2_hit_refills_l1),
	    cmocka_unit_test(test_tlb_fetch_uses_itlb_and_data_uses_dtlb),
	    cmocka_unit_test(test_tlb_1g_page_fractures_into_itlb_2m_entries),
	    cmocka_unit_test(test_tlb_fast_path_counts_every_hit_exactly),
	    cmocka_unit_test(test_tlb_eviction_drops_fast_path_entry),
	    cmocka_unit_test(test_tlb_invlpg_drops_fast_path_entry_of_large_page),
	    cmocka_unit_test(test_tlb_smap_ac_toggle_uses_separate_fast_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
